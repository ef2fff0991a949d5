"""The blueprint's checkout part: application form, submit, verified return, outcome pages.

Routes (under ``DIVIDEBUY_URL_PREFIX``, ``/dividebuy`` by default)::

    GET  /apply/<token>   the application form for the order a signed start link names
    POST /apply/<token>   submit it: a quote, then 303 to DivideBuy (or the decline page)
    GET  /return?ref=…    where DivideBuy sends the shopper back (order.redirect_url)

The shop links to the form with ``dividebuy_checkout_url(order_id)`` (a template
global), so an order's form — which shows its customer's name and address —
cannot be opened by guessing an order id.

Thin by design: every decision is :class:`~dividebuy_checkout.checkout.CheckoutService`'s.
This module translates HTTP to its calls, its errors to pages, and its events
to the blinker signals of :mod:`.signals`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as AnyResponse

from ..checkout import (
    AlreadyFinanced,
    BadReference,
    CheckoutService,
    DivideBuyUnavailable,
    InvalidApplication,
    NotFinanceable,
    QuoteOutcomeUnknown,
    ReferenceSigner,
    ShopOrderNotFound,
    SlidingWindowLimiter,
)
from ..checkout.answers import (
    MAX_PREVIOUS_ADDRESSES,
    FormErrors,
    asked_fields,
    map_errors,
    offer_another_row,
)
from ..checkout.lifecycle import service_options
from ..config import setting
from ..money import format_gbp
from ..orders import Order, OrderSourceUnavailable
from ..settings import ConfigurationError
from ..store import CheckoutRecord, CheckoutStatus
from . import disclosure, signals
from .extension import DivideBuyState
from .forms import ApplicationForm, CancelForm, answers_from, prefill
from .public_url import check_public_url, external_url, host_refusal, require_public_url
from .terms import terms_source

__all__ = ["CONFIG_DEFAULTS", "DEFAULT_LAYOUT", "Pages", "make_service", "register"]

log = logging.getLogger("dividebuy_checkout.flask.checkout")

#: this part's keys (see dividebuy_checkout.config: typed, documented, read from app.config or env)
CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_CHECKOUT_ENABLED": setting(
        None,
        "none: on when an order source is given; true: an order source is required; false: off",
        kind=bool,
    ),
    "DIVIDEBUY_RETURN_MAX_AGE": setting(
        2 * 24 * 3600, "seconds a return link is honoured (a shopper may take a while)", minimum=1
    ),
    "DIVIDEBUY_START_MAX_AGE": setting(
        24 * 3600, "seconds a link to the application form is honoured", minimum=1
    ),
    "DIVIDEBUY_RATE_LIMIT": setting(
        "20/minute",
        "submits and returns per client address (each separately); none turns it off",
        accepts="'N/second', 'N/minute' or 'N/hour', or none",
        nullable=True,
    ),
    "DIVIDEBUY_SUCCESS_ENDPOINT": setting(
        None,
        "endpoint a paid shopper is redirected to, with order_id=… (none: a thank-you page)",
        kind=str,
        endpoint=True,
    ),
    "DIVIDEBUY_PAYMENT_METHODS_ENDPOINT": setting(
        None,
        "endpoint of the shop's other ways to pay, with order_id=… (linked on decline, cancel)",
        kind=str,
        endpoint=True,
    ),
    "DIVIDEBUY_LAYOUT_TEMPLATE": setting(
        None,
        "the shop's layout template (blocks title and content); none: a plain one",
        kind=str,
    ),
    "DIVIDEBUY_MIN_HISTORY_MONTHS": setting(
        36, "months of address history DivideBuy needs", minimum=0
    ),
    "DIVIDEBUY_PUBLIC_URL": setting(
        None,
        "the shop's public base URL (e.g. https://shop.example): return URLs sent to DivideBuy "
        "are built on it, never on the request's Host; required in live. None: the request's "
        "host, only if it matches SERVER_NAME / TRUSTED_HOSTS where set",
        kind=str,
        check=check_public_url,
    ),
}

DEFAULT_LAYOUT = "dividebuy/_layout.html"
#: checkout pages hold personal data and signed links: never cached, never sent on as Referer
_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def make_service(app: Flask, state: DivideBuyState) -> CheckoutService:
    """The app's checkout service; raises :class:`ConfigurationError` for what is missing."""
    require_public_url(app, state.settings.environment)  # live: never the request's Host
    if state.order_source is None:
        raise ConfigurationError(
            "DivideBuy checkout needs an order source: DivideBuy(app, order_source=…) with a "
            "get_order(order_id) method (or set DIVIDEBUY_CHECKOUT_ENABLED = False)."
        )
    secret = app.config.get("SECRET_KEY")
    if not secret:
        raise ConfigurationError(
            "DivideBuy checkout signs its return links with the app's SECRET_KEY: set "
            "app.config['SECRET_KEY'] to a long random value before DivideBuy(app)."
        )
    keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or []), secret]
    try:
        signer = ReferenceSigner(
            keys,
            return_max_age=int(app.config["DIVIDEBUY_RETURN_MAX_AGE"]),
            start_max_age=int(app.config["DIVIDEBUY_START_MAX_AGE"]),
        )
        return CheckoutService(
            state.client,
            state.store,
            state.order_source,
            signer=signer,
            notify=signals.notifier(app),
            terms=terms_source(app, state),  # one terms cache with the widgets
            min_history_months=int(app.config["DIVIDEBUY_MIN_HISTORY_MONTHS"]),
            **service_options(app.config.__getitem__),  # lifecycle settings
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"DivideBuy checkout cannot start: {exc}") from None


def _limiter(app: Flask, settings: Any = None) -> SlidingWindowLimiter | None:
    spec = app.config["DIVIDEBUY_RATE_LIMIT"]
    if not spec:
        return None
    try:
        # shared by every worker through Redis when settings.redis_url is set
        return SlidingWindowLimiter.from_spec(str(spec), name="checkout", settings=settings)
    except ValueError as exc:
        raise ConfigurationError(f"DIVIDEBUY_RATE_LIMIT: {exc}") from None


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    enabled = app.config["DIVIDEBUY_CHECKOUT_ENABLED"]
    if enabled is None:
        enabled = state.order_source is not None
    if not enabled:
        log.info("DivideBuy checkout is off for %s: no order source was given.", app.name)
        return
    service = make_service(app, state)
    state.services["checkout"] = service
    Pages(service, _limiter(app, state.settings)).mount(bp, app)
    disclosure.register(app, service)  # the example beside a rate; a completed plan


class Pages:
    """The checkout's views over one service (one instance per app)."""

    def __init__(self, service: CheckoutService, limiter: SlidingWindowLimiter | None) -> None:
        self.service = service
        self.limiter = limiter

    def mount(self, bp: Blueprint, app: Flask) -> None:
        bp.add_url_rule("/apply/<token>", "apply", self.apply, methods=["GET", "POST"])
        bp.add_url_rule("/return", "return", self.back, methods=["GET"])
        bp.add_url_rule("/cancel", "cancel", self.cancel, methods=["POST"])

        @bp.after_request
        def private(response: Response) -> Response:
            # Checkout pages hold personal data and signed links: never cached, never
            # sent on in a Referer header (redirects included).
            if request.endpoint in ("dividebuy.apply", "dividebuy.return", "dividebuy.cancel"):
                response.headers.update(_PAGE_HEADERS)
            return response

        @bp.context_processor
        def layout() -> dict[str, Any]:
            return {
                "dividebuy_layout": current_app.config["DIVIDEBUY_LAYOUT_TEMPLATE"]
                or DEFAULT_LAYOUT,
                "gbp": format_gbp,
            }

        service = self.service

        def checkout_url(order_id: str) -> str:
            """The link to an order's application form (signed; expires)."""
            return url_for("dividebuy.apply", token=service.start_token(str(order_id)))

        def checkout_status(order_id: str) -> CheckoutRecord | None:
            """The order's DivideBuy checkout as recorded (``None`` if it has none)."""
            return service.status(str(order_id))

        app.add_template_global(checkout_url, "dividebuy_checkout_url")
        app.add_template_global(checkout_status, "dividebuy_checkout_status")

    # -- helpers --------------------------------------------------------------------------------

    def _limited(self, kind: str) -> Response | None:
        if self.limiter is None:
            return None
        wait = self.limiter.hit(f"{kind}:{request.remote_addr or '-'}")
        if wait is None:
            return None
        response = _page(
            "dividebuy/problem.html",
            429,
            title="Please wait a moment",
            message="There have been too many attempts from your connection. "
            "Please wait a minute and try again.",
        )
        response.headers["Retry-After"] = str(max(int(wait + 0.999), 1))
        return response

    def _return_url(self, token: str) -> str:
        return external_url("dividebuy.return", ref=token)  # DIVIDEBUY_PUBLIC_URL when set

    def _to_outcome(self, record: CheckoutRecord) -> AnyResponse:
        token = self.service.return_token(record)
        if token is None:
            return _outcome_page(record, checked=True)
        return redirect(url_for("dividebuy.return", ref=token), 303)

    # -- the form -------------------------------------------------------------------------------

    def apply(self, token: str) -> AnyResponse:
        try:
            order_id = self.service.order_id_for_start(token)
        except BadReference as exc:
            return _bad_link(exc)
        # Paid with DivideBuy: its outcome, even once the shop no longer offers the order.
        live = self.service.status(order_id)
        if live is not None and live.status in (CheckoutStatus.COMPLETED, CheckoutStatus.ON_HOLD):
            return self._to_outcome(live)
        try:
            order = self.service.get_order(order_id)
        except (ShopOrderNotFound, NotFinanceable, OrderSourceUnavailable) as exc:
            return _order_problem(exc, order_id)
        if live is not None and _declined_as_is(live, order):  # DivideBuy said no to this
            return _outcome_page(live, checked=True)
        try:
            offer = self.service.offer(order)
        except DivideBuyUnavailable as exc:
            return _page(
                "dividebuy/problem.html",
                503,
                title="DivideBuy is not available just now",
                message=str(exc),
                order_id=order.order_id,
            )
        if not offer.choices:
            return _page(
                "dividebuy/not_available.html",
                200,
                order=order,
                reason=offer.why_none,
                other_methods=_endpoint_url("DIVIDEBUY_PAYMENT_METHODS_ENDPOINT", order.order_id),
            )
        form = ApplicationForm()
        form.setup(offer)
        asked = asked_fields(order)
        if request.method == "GET":
            prefill(form, order, asked)
            return self._form(form, order, offer, asked, FormErrors())
        limited = self._limited("submit")
        if limited is not None:
            return limited
        refusal = host_refusal()  # a Host the shop does not use never reaches DivideBuy
        if refusal is not None:
            return _page("dividebuy/problem.html", 400, title="Wrong address", message=refusal)
        if not form.validate():
            errors = FormErrors(
                general=[
                    "This form had expired, so nothing was sent. Please check your "
                    "details and submit it again."
                ]
            )
            return self._form(form, order, offer, asked, errors, status=400)
        if form.add_address.data:
            if len(form.previous.entries) < MAX_PREVIOUS_ADDRESSES:
                form.previous.append_entry()
            return self._form(form, order, offer, asked, FormErrors())
        answers = answers_from(form, asked)
        try:
            submitted = self.service.submit(
                order.order_id,
                answers.applicant,
                ip_address=request.remote_addr or "",
                return_url=self._return_url,
            )
        except InvalidApplication as exc:
            errors = map_errors(exc.field_errors, answers.rows, asked, answers.problems)
            # The history is short and every row is used: offer one more row.
            if offer_another_row(errors, answers.rows, len(form.previous)):
                form.previous.append_entry()
            return self._form(form, order, offer, asked, errors, status=400)
        except (DivideBuyUnavailable, QuoteOutcomeUnknown) as exc:
            return self._form(form, order, offer, asked, FormErrors(general=[str(exc)]), status=503)
        except AlreadyFinanced as exc:
            return self._to_outcome(exc.record)
        except (ShopOrderNotFound, NotFinanceable, OrderSourceUnavailable) as exc:
            return _order_problem(exc, order.order_id)
        if submitted.checkout_url:
            return redirect(submitted.checkout_url, 303)
        return redirect(url_for("dividebuy.return", ref=submitted.return_token), 303)

    def _form(
        self,
        form: ApplicationForm,
        order: Order,
        offer: Any,
        asked: set[str],
        errors: FormErrors,
        *,
        status: int = 200,
    ) -> Response:
        return _page(
            "dividebuy/apply.html",
            status,
            form=form,
            order=order,
            offer=offer,
            asked=asked,
            errors=errors.by_field,
            general_errors=errors.general,
            summary=errors.summary(),
            other_methods=_endpoint_url("DIVIDEBUY_PAYMENT_METHODS_ENDPOINT", order.order_id),
            max_previous=MAX_PREVIOUS_ADDRESSES,
        )

    # -- the return -----------------------------------------------------------------------------

    def cancel(self) -> AnyResponse:
        """ "Cancel this application" (a POST with CSRF, from the return page of a pending one).

        The signed return reference says which checkout; the service cancels it here
        and keeps watching it at DivideBuy (a later completion is held, not paid). The
        shopper lands back on the return page, which now offers the other ways to pay.
        """
        limited = self._limited("return")
        if limited is not None:
            return limited
        token = request.args.get("ref", "")
        try:
            ref = self.service.signer.verify_return(token)
        except BadReference as exc:
            return _bad_link(exc)
        record = self.service.store.by_return_ref(ref.return_ref)
        if record is None or record.order_id != ref.order_id:
            return _bad_link(BadReference("foreign"))
        if not CancelForm().validate():
            return _page(
                "dividebuy/problem.html",
                400,
                title="Your application was not cancelled",
                message="This page had expired, so nothing was changed. Please go back, "
                "reload the page and try again.",
            )
        if record.status is CheckoutStatus.PENDING:
            self.service.cancel_application(record.order_id, source="shopper")
        return redirect(url_for("dividebuy.return", ref=token), 303)

    def back(self) -> AnyResponse:
        limited = self._limited("return")
        if limited is not None:
            return limited
        try:
            outcome = self.service.handle_return(request.args.get("ref", ""))
        except BadReference as exc:
            return _bad_link(exc)
        record = outcome.record
        if record.status is CheckoutStatus.COMPLETED:
            success = _endpoint_url("DIVIDEBUY_SUCCESS_ENDPOINT", record.order_id)
            if success:
                return redirect(success, 303)
        return _outcome_page(record, checked=outcome.checked)


def _declined_as_is(live: CheckoutRecord, order: Order) -> bool:
    """DivideBuy declined this order at this amount: applying again would be declined too.

    An assumption: DivideBuy's decision stands for the same order and amount (the
    document gives no resubmission rule); a changed basket may apply again.
    """
    return (
        live.status is CheckoutStatus.DECLINED
        and live.amount == order.total
        and live.credit_amount == order.credit_amount
    )


def _order_problem(
    exc: ShopOrderNotFound | NotFinanceable | OrderSourceUnavailable, order_id: str
) -> Response:
    """Three answers the shopper must tell apart: no such order (404), this order cannot be
    financed (the "not available" page with the reason), the shop's platform is down (503,
    nothing written; the operator's detail is logged by the service, never shown)."""
    if isinstance(exc, OrderSourceUnavailable):
        response = _page(
            "dividebuy/problem.html",
            503,
            title="We could not read your order just now",
            message=exc.message,
            order_id=order_id,
        )
        if exc.retry_after is not None and exc.retry_after > 0:
            response.headers["Retry-After"] = str(max(int(exc.retry_after + 0.999), 1))
        return response
    if isinstance(exc, NotFinanceable):
        return _page(
            "dividebuy/not_available.html",
            200,
            order=None,
            reason=str(exc),
            other_methods=_endpoint_url("DIVIDEBUY_PAYMENT_METHODS_ENDPOINT", order_id),
        )
    return _page("dividebuy/problem.html", 404, title="Order not found", message=str(exc))


def _outcome_page(record: CheckoutRecord, *, checked: bool) -> Response:
    other = _endpoint_url("DIVIDEBUY_PAYMENT_METHODS_ENDPOINT", record.order_id)
    if record.status is CheckoutStatus.DECLINED:
        return _page("dividebuy/decline.html", 200, record=record, other_methods=other)
    return _page(
        "dividebuy/return.html",
        200,
        record=record,
        checked=checked,
        status=record.status.value,
        title=_outcome_title(record),
        other_methods=other,
        order_page=_endpoint_url("DIVIDEBUY_SUCCESS_ENDPOINT", record.order_id),
    )


_TITLES = {
    CheckoutStatus.COMPLETED: "Thank you: your order is paid",
    CheckoutStatus.PENDING: "Your application is not finished yet",
    CheckoutStatus.ON_HOLD: "Your order is on hold",
    CheckoutStatus.CANCELLED: "You cancelled your DivideBuy application",
    CheckoutStatus.EXPIRED: "Your DivideBuy application expired",
    CheckoutStatus.SUPERSEDED: "This application was replaced",
    CheckoutStatus.ORPHANED: "We could not confirm your DivideBuy application",
    CheckoutStatus.REFUNDED: "Your DivideBuy finance was refunded",
}


def _outcome_title(record: CheckoutRecord) -> str:
    if record.status is CheckoutStatus.PENDING and record.decision == "REFERRED":
        return "A guarantor is needed"
    return _TITLES.get(record.status, "Your DivideBuy application")


def _bad_link(exc: BadReference) -> Response:
    titles = {
        "expired": "This link has expired",
        "foreign": "This link is not for this shop",
    }
    log.info("Refused a checkout link (%s) from %s", exc.reason, request.remote_addr)
    return _page(
        "dividebuy/problem.html",
        400,
        title=titles.get(exc.reason, "This link is not valid"),
        message=str(exc),
        reason=exc.reason,
    )


def _endpoint_url(config_key: str, order_id: str) -> str | None:
    """The shop's page named by *config_key*, for *order_id* (only ``url_for`` targets)."""
    endpoint = current_app.config.get(config_key)
    if not endpoint:
        return None
    try:
        return url_for(endpoint, order_id=order_id)
    except BuildError:
        log.warning("%s names %r, which is not an endpoint of this app", config_key, endpoint)
        return None


def _page(template: str, code: int, /, **context: Any) -> Response:
    return make_response(render_template(template, **context), code)
