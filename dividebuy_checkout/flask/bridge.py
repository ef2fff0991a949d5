"""The blueprint's bridge part: "find your order" for shoppers from a hosted platform.

Route (under ``DIVIDEBUY_URL_PREFIX``)::

    GET/POST /start/<platform>[?order=N]   order number + e-mail → the signed application form

A shop on REC+ (or another hosted platform) cannot sign the checkout's start
link, so its "pay with DivideBuy" link points here instead. The shopper gives
the order number and the e-mail address of the order; both are compared with
the order the platform reports now, case-folded and trimmed, in constant time
(:func:`order_matches`). A match is a 303 to the existing signed application
form; anything else — no such order, not payable, the wrong e-mail — is one
generic message, so the page never says which part was wrong. POSTs are rate
limited per client address (``DIVIDEBUY_RATE_LIMIT``) and carry a CSRF token.
When the platform cannot be read the shopper gets a clear "try again" page
(503) and nothing is changed.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as AnyResponse
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..checkout import CheckoutService, SlidingWindowLimiter
from ..orders import Order, OrderNotFinanceable, OrderSourceError, OrderSourceUnavailable
from ..settings import ConfigurationError
from .extension import DivideBuyState

__all__ = ["CONFIG_DEFAULTS", "MISS_MESSAGE", "FindOrderForm", "order_matches", "register"]

log = logging.getLogger("dividebuy_checkout.flask.bridge")

CONFIG_DEFAULTS: dict[str, Any] = {}

#: the one message for every miss: it never says which of the two was wrong
MISS_MESSAGE = (
    "We could not find an order with that number and e-mail address that can be paid "
    "with DivideBuy. Check both and try again."
)
_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def _normal(value: str | None) -> bytes:
    return (value or "").strip().casefold().encode()


def order_matches(order: Order | None, order_number: str, email: str) -> bool:
    """Whether *order* is the order the shopper named: number and e-mail, constant time.

    Both comparisons always run (against blanks when there is no order), so the
    time taken does not tell a wrong number from a wrong e-mail.
    """
    expected_number = order.order_id if order is not None else ""
    expected_email = (order.customer.email or "") if order is not None else ""
    number_ok = hmac.compare_digest(_normal(order_number), _normal(expected_number))
    email_ok = hmac.compare_digest(_normal(email), _normal(expected_email))
    return order is not None and bool(expected_email) and number_ok and email_ok


class FindOrderForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    """Order number and e-mail (Flask-WTF: CSRF token included)."""

    order_number = StringField(
        "Order number",
        validators=[
            DataRequired("Enter your order number."),
            Length(max=64, message="Enter your order number."),
        ],
    )
    email = StringField(
        "E-mail address",
        validators=[
            DataRequired("Enter the e-mail address you ordered with."),
            Length(max=254, message="Enter the e-mail address you ordered with."),
        ],
    )


def _page(template: str, code: int, /, **context: Any) -> Response:
    response = make_response(render_template(template, **context), code)
    response.headers.update(_PAGE_HEADERS)
    return response


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    service = state.services.get("checkout")
    platform = str(app.config.get("DIVIDEBUY_ORDER_SOURCE") or "").strip().lower()
    if service is None or not platform or ":" in platform:
        return  # no checkout, or the shop signs its own links
    limiter = _limiter(app, state)
    bridge = _Bridge(service, platform, limiter)
    bp.add_url_rule("/start/<platform>", "bridge", bridge.view, methods=["GET", "POST"])


def _limiter(app: Flask, state: DivideBuyState) -> SlidingWindowLimiter | None:
    spec = app.config.get("DIVIDEBUY_RATE_LIMIT")
    if not spec:
        return None
    try:
        return SlidingWindowLimiter.from_spec(str(spec), name="bridge", settings=state.settings)
    except ValueError as exc:
        raise ConfigurationError(f"DIVIDEBUY_RATE_LIMIT: {exc}") from None


class _Bridge:
    def __init__(
        self, service: CheckoutService, platform: str, limiter: SlidingWindowLimiter | None
    ) -> None:
        self.service = service
        self.platform = platform
        self.limiter = limiter

    def view(self, platform: str) -> AnyResponse:
        if platform.lower() != self.platform:
            return _page(
                "dividebuy/problem.html",
                404,
                title="Page not found",
                message="This shop does not take orders from that platform.",
            )
        form = FindOrderForm()
        if request.method == "GET":
            form.order_number.data = (request.args.get("order") or "")[:64]
            return self._form(form, {}, [])
        if self.limiter is not None:
            wait = self.limiter.hit(f"bridge:{request.remote_addr or '-'}")
            if wait is not None:
                response = _page(
                    "dividebuy/problem.html",
                    429,
                    title="Please wait a moment",
                    message="There have been too many attempts from your connection. "
                    "Please wait a minute and try again.",
                )
                response.headers["Retry-After"] = str(max(int(wait + 0.999), 1))
                return response
        if not form.validate():
            errors = {name: list(messages) for name, messages in form.errors.items()}
            general = []
            if "csrf_token" in errors:
                errors.pop("csrf_token")
                general.append("This form had expired. Please enter your details again.")
            return self._form(form, errors, general, status=400)
        number = str(form.order_number.data).strip()
        try:
            order = self.service.order_source.get_order(number)
        except OrderSourceUnavailable as exc:
            log.warning(
                "bridge: the %s order source is unavailable (%s)", self.platform, exc.detail
            )
            return _page(
                "dividebuy/problem.html",
                503,
                title="We cannot find orders just now",
                message=exc.message,
            )
        except OrderNotFinanceable:
            order = None  # the same miss: never tell a stranger about an order
        except OrderSourceError:
            order = None
        if not order_matches(order, number, str(form.email.data)):
            log.info("bridge: no matching order for a shopper from %s", request.remote_addr)
            return self._form(form, {}, [MISS_MESSAGE], status=400)
        assert order is not None
        token = self.service.start_token(order.order_id)
        return redirect(url_for("dividebuy.apply", token=token), 303)

    def _form(
        self,
        form: FindOrderForm,
        errors: dict[str, list[str]],
        general: list[str],
        *,
        status: int = 200,
    ) -> Response:
        summary = [(messages[0], f"{name}") for name, messages in errors.items() if messages]
        return _page(
            "dividebuy/bridge.html",
            status,
            form=form,
            errors=errors,
            summary=summary,
            general_errors=general,
        )
