"""The example shop's back-office page: list finance orders, settle them, refund them.

A deliberately small page behind a demo login, calling the same
:class:`~dividebuy_checkout.backoffice.BackOfficeService` as the CLI and the
JSON endpoints (so it has the same checks and the same ledger), and reading a
settlement CSV with the package's own :func:`read_settlement_csv`. Every form is
a Flask-WTF form, so each POST carries a CSRF token.

Money moves only after an explicit confirmation: settling an order, or refunding
everything that is left, first shows what will happen and asks "Yes"; a partial
refund needs its amount typed. A form with a mistake comes back with the
mistake explained and what was typed still in it.

Configuration (``app.config``):

- ``BACKOFFICE_PASSWORD``: the demo password. Unset, the page uses
  ``backoffice-demo`` and says so on the login page: fine for a demo on your
  own machine, not for anything else. A real shop puts its own staff login here.
- ``BACKOFFICE_CSV_MAX_BYTES``: the largest settlement CSV the page accepts
  (default 5 MB, about 100,000 rows); bigger files go through the CLI.
- ``BACKOFFICE_LOGIN_FAILURES``: wrong passwords allowed per client address
  (default ``"10 per 10 minutes"``); then the login answers 429 with
  ``Retry-After`` — even to the right password, so a guesser learns nothing
  while blocked. Shared by every worker through Redis when
  ``DIVIDEBUY_REDIS_URL`` is set.

``create_app`` calls :func:`register` when this module exists.
"""

from __future__ import annotations

import hmac
import io
import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
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
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from dividebuy_checkout.backoffice import (
    BackOfficeService,
    CallFailed,
    CsvFormatError,
    OrderStatus,
    Refused,
    SettlementReport,
    SettlementResult,
    read_settlement_csv,
)
from dividebuy_checkout.backoffice.throttle import (
    DEFAULT_FAILURE_LIMIT,
    FailureThrottle,
    retry_after,
)
from dividebuy_checkout.flask import get_state
from dividebuy_checkout.money import format_gbp
from dividebuy_checkout.store import CheckoutStatus

log = logging.getLogger(__name__)

DEMO_PASSWORD = "backoffice-demo"  # noqa: S105 - a documented demo default, shown on the page
SESSION_KEY = "backoffice_user"
#: the login throttle: ``app.extensions[THROTTLE_KEY]``
THROTTLE_KEY = "example_backoffice_login_throttle"
#: 5 MB: a 100,000-row ``order_id,delivered_on`` file is about 3 MB.
DEFAULT_CSV_MAX_BYTES = 5 * 1024 * 1024
#: the report lists every row that was not settled, and at most this many settled ones
SETTLED_ROWS_SHOWN = 500
#: a confirmation's hidden "yes": present only on the confirmation page's form
YES = "yes"

HERE = Path(__file__).parent
bp = Blueprint(
    "backoffice",
    __name__,
    url_prefix="/backoffice",
    template_folder=str(HERE / "templates"),
    # the shop's stylesheet and icon, served by the blueprint so the page works on any app
    static_folder=str(HERE / "static"),
)


# -- forms ----------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Enter the password.")])


class LogoutForm(FlaskForm):
    pass


class SettleForm(FlaskForm):
    order_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    delivered_on = DateField(
        "Delivered on",
        validators=[DataRequired("Enter the delivery date, like 2026-11-23.")],
    )
    confirmed = HiddenField()


class RefundForm(FlaskForm):
    order_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    amount = StringField("Amount to refund (£)", validators=[Optional(), Length(max=20)])
    #: "1" from the "Refund everything (£X)" button; with ``everything_amount`` = X
    everything = HiddenField()
    everything_amount = HiddenField(validators=[Optional(), Length(max=20)])
    confirmed = HiddenField()


class ConfirmForm(FlaskForm):
    refund_id = IntegerField(validators=[DataRequired()])
    verdict = HiddenField(validators=[DataRequired()])


class CsvSettleForm(FlaskForm):
    csv_file = FileField("Settlement CSV file")
    default_date = DateField("Delivery date for rows without one (optional)", [Optional()])
    confirmed = StringField()


# -- what the page shows after a mistake ----------------------------------------------------


@dataclass
class PageErrors:
    """Mistakes to show on the list page: beside their field and in the error summary.

    ``fields`` maps a field's HTML id (``amount-A1``) to its messages; ``typed``
    maps it to what was typed, so the page shows it again.
    """

    fields: dict[str, list[str]] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, field_id: str, message: str, typed: str | None = None) -> None:
        self.fields.setdefault(field_id, []).append(message)
        if typed is not None:
            self.typed[field_id] = typed

    def summary(self) -> list[tuple[str, str]]:
        return [(m, field_id) for field_id, ms in self.fields.items() for m in ms]

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


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


def _throttle() -> FailureThrottle:
    throttle: FailureThrottle = current_app.extensions[THROTTLE_KEY]
    return throttle


def _too_many(wait: float) -> Any:
    page = render_template(
        "backoffice/login.html",
        form=LoginForm(formdata=None),
        error="Too many wrong passwords from your connection: wait a few minutes, then try again.",
        demo=not current_app.config.get("BACKOFFICE_PASSWORD"),
    )
    return page, 429, {"Retry-After": retry_after(wait)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    error = None
    if request.method == "POST":
        # A blocked address is refused before its password is compared (see throttle.py)
        wait = _throttle().blocked(request.remote_addr)
        if wait is not None:
            return _too_many(wait)
    if form.validate_on_submit():
        given = (form.password.data or "").encode()
        if hmac.compare_digest(given, _password().encode()):
            session.clear()  # a fresh session at the privilege change
            session[SESSION_KEY] = True
            return redirect(url_for("backoffice.index"))
        wait = _throttle().failed(request.remote_addr)
        if wait is not None:
            return _too_many(wait)
        error = "That is not the back-office password."
    elif request.method == "POST":
        error = (
            "The form had expired: please sign in again."
            if form.csrf_token.errors
            else "Enter the password."
        )
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


def refundable(order: OrderStatus) -> Decimal:
    """What the page offers to refund: nothing unless DivideBuy completed the order.

    A declined, cancelled, expired, pending or on-hold checkout lent nothing, so
    its credit amount is not money that can go back.
    """
    if order.record.status is not CheckoutStatus.COMPLETED:
        return Decimal("0.00")
    return order.refundable


def _list_page(
    errors: PageErrors | None = None,
    *,
    report: SettlementReport | None = None,
    status: int = 200,
) -> Any:
    service = _service()
    errors = errors or PageErrors()
    page = render_template(
        "backoffice/index.html",
        orders=service.list_orders(limit=200),
        today=service.today().isoformat(),
        refundable=refundable,
        errors=errors,
        report=report,
        report_rows=report_rows(report) if report is not None else None,
        settled_rows_shown=SETTLED_ROWS_SHOWN,
        settle_form=SettleForm(formdata=None),
        refund_form=RefundForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        csv_form=CsvSettleForm(formdata=None),
        logout_form=LogoutForm(formdata=None),
        gbp=format_gbp,
    )
    return page, status


@bp.route("/")
@login_required
def index() -> Any:
    return _list_page()


def _confirm_page(**context: Any) -> Any:
    return render_template(
        "backoffice/confirm.html", logout_form=LogoutForm(formdata=None), gbp=format_gbp, **context
    )


@bp.route("/settle", methods=["POST"])
@login_required
def settle() -> Any:
    form = SettleForm()
    order_id = (form.order_id.data or "").strip()
    field_id = f"delivered-{order_id}"
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.order_id.errors:
            return _form_errors(form)
        errors = PageErrors()
        typed = request.form.get("delivered_on", "")
        message = "Enter the delivery date, like 2026-11-23." if not typed else "Enter a real date."
        errors.add(field_id, message, typed)
        return _list_page(errors, status=422)
    service = _service()
    delivered_on: date = form.delivered_on.data
    if delivered_on > service.today():
        errors = PageErrors()
        errors.add(
            field_id,
            f"The delivery date {delivered_on} is in the future (today is {service.today()}): "
            "settle an order once it has been delivered.",
            delivered_on.isoformat(),
        )
        return _list_page(errors, status=422)
    if form.confirmed.data != YES:
        return _confirm_page(
            kind="settle",
            order=_order_or_none(order_id),
            order_id=order_id,
            delivered_on=delivered_on.isoformat(),
        )
    report = service.settle([order_id], delivered_on)
    (outcome,) = report.outcomes
    if outcome.outcome is SettlementResult.SETTLED:
        flash(f"Order {order_id} settled: delivered on {outcome.delivered_on}.", "ok")
    elif outcome.outcome is SettlementResult.ALREADY_SETTLED:
        flash(f"Order {order_id} was already settled for that date; nothing was sent.", "ok")
    else:
        flash(f"Order {order_id} was not settled: {outcome.reason}", "error")
    return redirect(url_for("backoffice.index"), 303)


def _order_or_none(order_id: str) -> OrderStatus | None:
    try:
        return _service().order_status(order_id)
    except Refused:
        return None


@bp.route("/refund", methods=["POST"])
@login_required
def refund() -> Any:
    form = RefundForm()
    if not form.validate_on_submit():
        return _form_errors(form)
    order_id = form.order_id.data.strip()
    typed = (form.amount.data or "").strip()
    field_id = f"amount-{order_id}"
    errors = PageErrors()
    everything = form.everything.data == "1"
    if everything and typed:
        errors.add(
            field_id,
            "Either type an amount or choose 'Refund everything', not both.",
            typed,
        )
        return _list_page(errors, status=422)
    if not everything and not typed:
        errors.add(
            field_id,
            "Enter the amount to refund, like 25.00, or choose 'Refund everything'.",
            typed,
        )
        return _list_page(errors, status=422)
    service = _service()
    if everything:
        order = _order_or_none(order_id)
        left = refundable(order) if order is not None else Decimal("0.00")
        if form.confirmed.data != YES:
            if left <= 0:
                errors.add(field_id, f"Order {order_id} has nothing left to refund.")
                return _list_page(errors, status=422)
            return _confirm_page(kind="refund", order=order, order_id=order_id, left=left)
        if (form.everything_amount.data or "") != format(left, "f"):
            # What is left changed since the confirmation was shown (another refund):
            # the confirmed figure is no longer "everything", so nothing is sent.
            errors.add(
                field_id,
                f"What is left to refund on order {order_id} is now {format_gbp(left)}, not "
                "the amount you confirmed: nothing was refunded. Check and try again.",
            )
            return _list_page(errors, status=409)
    try:
        entry = service.refund(order_id, None if everything else typed)
    except Refused as exc:
        errors.add(field_id, str(exc), typed)
        return _list_page(errors, status=422)
    except CallFailed as exc:
        # Failed (nothing refunded) or unknown (the page then shows the check to make).
        errors.general.append(str(exc))
        return _list_page(errors, status=502)
    flash(f"Refunded {format_gbp(entry.amount)} on order {order_id}.", "ok")
    return redirect(url_for("backoffice.index"), 303)


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
    return redirect(url_for("backoffice.index"), 303)


@bp.route("/settle/csv", methods=["POST"])
@login_required
def settle_csv() -> Any:
    """Settle the orders of an uploaded CSV, as ``dividebuy-checkout settle --csv`` does."""
    form = CsvSettleForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return _form_errors(form)
        errors = PageErrors()
        errors.add("default_date", "Enter a real date, like 2026-11-23, or leave it empty.")
        return _list_page(errors, status=422)
    service = _service()
    errors = PageErrors()
    default_date: date | None = form.default_date.data
    if default_date is not None and default_date > service.today():
        errors.add(
            "default_date",
            f"{default_date} is in the future (today is {service.today()}): settle an order "
            "once it has been delivered.",
            default_date.isoformat(),
        )
    upload = request.files.get("csv_file")
    if upload is None or not upload.filename:
        errors.add("csv_file", "Choose the CSV file of delivered orders.")
    if form.confirmed.data != YES:
        errors.add(
            "csv-confirmed",
            "Tick the box to confirm these orders were delivered on the dates in the file.",
        )
    if errors:
        if default_date is not None and "default_date" not in errors.typed:
            errors.typed["default_date"] = default_date.isoformat()
        return _list_page(errors, status=422)
    assert upload is not None
    text, problem = _read_upload(upload.stream)
    if problem is None:
        assert text is not None
        try:
            rows = read_settlement_csv(io.StringIO(text, newline=""), default_date=default_date)
            first = next(rows, None)
        except CsvFormatError as exc:
            problem = f"{exc} Nothing was sent."
    if problem is not None:
        errors.add("csv_file", problem)
        return _list_page(errors, status=422)
    report = service.settle_rows(itertools.chain([first] if first else [], rows))
    return _list_page(report=report)


def _read_upload(stream: Any) -> tuple[str | None, str | None]:
    """The upload as text, or why not; the whole file is checked before any order is sent."""
    limit = int(current_app.config.get("BACKOFFICE_CSV_MAX_BYTES") or DEFAULT_CSV_MAX_BYTES)
    data = stream.read(limit + 1)
    if len(data) > limit:
        return None, (
            f"The file is larger than {limit // (1024 * 1024)} MB: split it, or use "
            "`dividebuy-checkout settle --csv FILE`. Nothing was sent."
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "The file is not UTF-8 text: save it as 'CSV UTF-8'. Nothing was sent."


def _form_errors(form: FlaskForm) -> Any:
    """Forged or expired input changes nothing: say why and go back to the list."""
    for name, messages in form.errors.items():
        label = "The form has expired; try again" if name == "csrf_token" else name
        flash(f"{label}: {' '.join(str(m) for m in messages)}", "error")
    if not form.errors:
        flash("That form was not complete.", "error")
    return redirect(url_for("backoffice.index")), 303


def report_rows(report: SettlementReport) -> Mapping[str, list[Any]]:
    """The report's rows as the CLI prints them: problems first (by line), then the settled."""
    by_line = sorted(report.outcomes, key=lambda o: (o.line is None, o.line or 0))
    not_settled = (SettlementResult.REJECTED, SettlementResult.FAILED)
    problems = [o for o in by_line if o.outcome in not_settled]
    done = [o for o in by_line if o.outcome not in not_settled]
    return {"problems": problems, "done": done}


def register(app: Flask) -> None:
    """Add the back-office page (blueprint ``backoffice``, endpoint ``backoffice.index``)."""
    if not app.config.get("BACKOFFICE_PASSWORD"):
        log.warning(
            "The back-office page uses the demo password; set BACKOFFICE_PASSWORD for anything "
            "but a local demo."
        )
    app.extensions[THROTTLE_KEY] = FailureThrottle.from_spec(
        str(app.config.get("BACKOFFICE_LOGIN_FAILURES") or DEFAULT_FAILURE_LIMIT),
        name="example-backoffice-login",
        settings=get_state(app).settings,
    )
    app.register_blueprint(bp)
