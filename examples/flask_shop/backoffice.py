"""The example shop's back-office page: list finance orders, settle them, refund them.

A deliberately small page behind a demo login, calling the same
:class:`~dividebuy_checkout.backoffice.BackOfficeService` as the CLI and the
JSON endpoints (so it has the same checks and the same ledger). Every form is a
Flask-WTF form, so each POST carries a CSRF token.

Configuration (``app.config``):

- ``BACKOFFICE_PASSWORD``: the demo password. Unset, the page uses
  ``backoffice-demo`` and says so on the login page: fine for a demo on your
  own machine, not for anything else. A real shop puts its own staff login here.

``create_app`` calls :func:`register` when this module exists.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from dividebuy_checkout.backoffice import (
    BackOfficeService,
    CallFailed,
    Refused,
    SettlementResult,
)
from dividebuy_checkout.flask import get_state
from dividebuy_checkout.money import format_gbp

log = logging.getLogger(__name__)

DEMO_PASSWORD = "backoffice-demo"  # noqa: S105 - a documented demo default, shown on the page
SESSION_KEY = "backoffice_user"

bp = Blueprint(
    "backoffice",
    __name__,
    url_prefix="/backoffice",
    template_folder=str(Path(__file__).with_name("templates")),
)


# -- forms ----------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired()])


class LogoutForm(FlaskForm):
    pass


class SettleForm(FlaskForm):
    order_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    delivered_on = DateField("Delivered on", validators=[DataRequired()])


class RefundForm(FlaskForm):
    order_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    amount = StringField("Amount (£, blank = all that is left)", validators=[Optional()])


class ConfirmForm(FlaskForm):
    refund_id = IntegerField(validators=[DataRequired()])
    verdict = HiddenField(validators=[DataRequired()])


# -- login ----------------------------------------------------------------------------------


def _password() -> str:
    return str(current_app.config.get("BACKOFFICE_PASSWORD") or DEMO_PASSWORD)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not session.get(SESSION_KEY):
            return redirect(url_for("backoffice.login"))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        given = (form.password.data or "").encode()
        if hmac.compare_digest(given, _password().encode()):
            session.clear()  # a fresh session at the privilege change
            session[SESSION_KEY] = True
            return redirect(url_for("backoffice.index"))
        error = "That is not the back-office password."
    demo = not current_app.config.get("BACKOFFICE_PASSWORD")
    status = 401 if error else 200
    return render_template("backoffice/login.html", form=form, error=error, demo=demo), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if LogoutForm().validate_on_submit():
        session.pop(SESSION_KEY, None)
    return redirect(url_for("backoffice.login"))


# -- the page -------------------------------------------------------------------------------


def _service() -> BackOfficeService:
    service = get_state().services.get("backoffice")
    if service is None:
        abort(503, "DivideBuy's back office is not set up on this app.")
    return service


@bp.route("/")
@login_required
def index() -> Any:
    service = _service()
    orders = service.list_orders(limit=200)
    return render_template(
        "backoffice/index.html",
        orders=orders,
        today=service.today().isoformat(),
        settle_form=SettleForm(),
        refund_form=RefundForm(),
        confirm_form=ConfirmForm(),
        logout_form=LogoutForm(),
        gbp=format_gbp,
    )


@bp.route("/settle", methods=["POST"])
@login_required
def settle() -> Any:
    form = SettleForm()
    if not form.validate_on_submit():
        return _form_errors(form)
    order_id = form.order_id.data
    report = _service().settle([order_id], form.delivered_on.data)
    (outcome,) = report.outcomes
    if outcome.outcome is SettlementResult.SETTLED:
        flash(f"Order {order_id} settled: delivered on {outcome.delivered_on}.", "ok")
    elif outcome.outcome is SettlementResult.ALREADY_SETTLED:
        flash(f"Order {order_id} was already settled for that date; nothing was sent.", "ok")
    else:
        flash(f"Order {order_id} was not settled: {outcome.reason}", "error")
    return redirect(url_for("backoffice.index"))


@bp.route("/refund", methods=["POST"])
@login_required
def refund() -> Any:
    form = RefundForm()
    if not form.validate_on_submit():
        return _form_errors(form)
    order_id = form.order_id.data
    amount = (form.amount.data or "").strip() or None
    try:
        entry = _service().refund(order_id, amount)
    except (Refused, CallFailed) as exc:
        flash(str(exc), "error")
    else:
        flash(f"Refunded {format_gbp(entry.amount)} on order {order_id}.", "ok")
    return redirect(url_for("backoffice.index"))


@bp.route("/refunds/confirm", methods=["POST"])
@login_required
def confirm() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit() or form.verdict.data not in ("succeeded", "failed"):
        return _form_errors(form)
    succeeded = form.verdict.data == "succeeded"
    try:
        entry = _service().confirm_refund(
            form.refund_id.data, succeeded, note="confirmed on the back-office page"
        )
    except Refused as exc:
        flash(str(exc), "error")
    else:
        verdict = "refunded" if succeeded else "not refunded"
        flash(f"Refund #{entry.id} recorded as {verdict}.", "ok")
    return redirect(url_for("backoffice.index"))


def _form_errors(form: FlaskForm) -> Any:
    """Bad or forged input changes nothing: say why and go back to the list."""
    for field, messages in form.errors.items():
        label = "The form has expired; try again" if field == "csrf_token" else field
        flash(f"{label}: {' '.join(str(m) for m in messages)}", "error")
    if not form.errors:
        flash("That form was not complete.", "error")
    return redirect(url_for("backoffice.index")), 303


def register(app: Flask) -> None:
    """Add the back-office page (blueprint ``backoffice``, endpoint ``backoffice.index``)."""
    if not app.config.get("BACKOFFICE_PASSWORD"):
        log.warning(
            "The back-office page uses the demo password; set BACKOFFICE_PASSWORD for anything "
            "but a local demo."
        )
    app.register_blueprint(bp)
