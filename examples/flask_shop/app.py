"""The example shop: catalogue, basket in the session, checkout, and an order page.

Mounting DivideBuy takes the few lines in :func:`create_app` marked "DivideBuy":
the extension with an order source, two endpoints for its pages to send the
shopper back to, the shop's layout for its templates, and signal handlers that
keep the shop's own order status in step.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
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
from marshmallow import ValidationError as MarshmallowError
from wtforms import EmailField, Field, HiddenField, IntegerField, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from dividebuy_checkout.backoffice import Refused
from dividebuy_checkout.checkout import DivideBuyUnavailable
from dividebuy_checkout.flask import DivideBuy, get_state, signals
from dividebuy_checkout.flask.guards import private_page
from dividebuy_checkout.money import format_gbp
from dividebuy_checkout.schemas import rules
from dividebuy_checkout.schemas.rules import FieldRule
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus

from .catalogue import BY_SLUG, PRODUCTS
from .orders import (
    AWAITING_PAYMENT,
    FREE_SHIPPING_FROM,
    ON_HOLD,
    PAID,
    PENDING_FINANCE,
    STANDARD_SHIPPING,
    OrderBook,
    ShopOrder,
    customer_from,
    shipping_for,
    vat_in,
)

log = logging.getLogger(__name__)

MAX_QUANTITY = 20

bp = Blueprint("shop", __name__)


# -- forms (Flask-WTF: every POST carries a CSRF token) ---------------------------------------


class AddToBasketForm(FlaskForm):
    slug = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(
        "Quantity", default=1, validators=[DataRequired(), NumberRange(1, MAX_QUANTITY)]
    )


class UpdateBasketForm(FlaskForm):
    slug = HiddenField(validators=[DataRequired()])
    quantity = IntegerField("Quantity", validators=[Optional(), NumberRange(0, MAX_QUANTITY)])


def package_rule(rule: FieldRule) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from one of the package's UK rules (its check, its message).

    The field keeps the rule's normalised value (``ls1 4ap`` → ``LS1 4AP``), so the
    order holds what DivideBuy would accept: the shop's form can never take a postcode
    or mobile number that the application form would then refuse.
    """

    def check(form: FlaskForm, field: Field) -> None:
        try:
            field.data = rule(field.data)
        except MarshmallowError as exc:
            messages = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
            raise StopValidation(" ".join(str(m) for m in messages)) from None

    return check


class CheckoutForm(FlaskForm):
    """The shop's own checkout: who is buying and where it goes.

    Field order is page order (the error summary lists errors in it). The mobile
    number and postcode are checked by :mod:`dividebuy_checkout.schemas.rules`.
    """

    first_name = StringField(
        "First name", validators=[DataRequired("Enter your first name."), Length(max=50)]
    )
    last_name = StringField(
        "Last name", validators=[DataRequired("Enter your last name."), Length(max=50)]
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email like name@example.com."),
        ],
    )
    mobile_number = StringField(
        "Mobile number", validators=[Optional(), package_rule(rules.MOBILE_NUMBER)]
    )
    house_number = StringField("House number", validators=[Optional(), Length(max=12)])
    address_line_1 = StringField(
        "Street", validators=[DataRequired("Enter your street."), Length(max=50)]
    )
    town = StringField(
        "Town or city", validators=[DataRequired("Enter your town or city."), Length(max=50)]
    )
    postcode = StringField("Postcode", validators=[package_rule(rules.POSTCODE)])

    def error_summary(self) -> list[tuple[str, str]]:
        """``(message, field id)`` for each field in error, in page order."""
        return [
            (message, field.id)
            for field in self
            if field.name != "csrf_token"
            for message in field.errors
        ]


class PayByCardForm(FlaskForm):
    """The shop's "other payment method" (a demo: no card is taken)."""


# -- session helpers ------------------------------------------------------------------------------


def orders() -> OrderBook:
    return current_app.extensions["shop_orders"]


def basket() -> dict[str, int]:
    raw = session.get("basket") or {}
    return {slug: int(qty) for slug, qty in raw.items() if slug in BY_SLUG and int(qty) > 0}


def save_basket(items: Mapping[str, int]) -> None:
    session["basket"] = {slug: qty for slug, qty in items.items() if qty > 0}


def basket_lines() -> list[tuple[Any, int, Decimal]]:
    return [(BY_SLUG[slug], qty, BY_SLUG[slug].price * qty) for slug, qty in basket().items()]


def my_order(order_id: str) -> ShopOrder:
    """An order of this browser's session (others are not shown: they hold addresses)."""
    if order_id not in session.get("my_orders", []):
        abort(404)
    order = orders().get(order_id)
    if order is None:
        abort(404)
    return order


def finance_offer(amount: Decimal) -> Any:
    """DivideBuy's terms for *amount* (cached by the checkout), or None if it cannot be asked."""
    service = get_state().services.get("checkout")
    if service is None:
        return None
    try:
        return service.offer_for(amount)
    except DivideBuyUnavailable:
        return None


# -- pages ----------------------------------------------------------------------------------------


@bp.route("/")
def index() -> Any:
    return render_template("shop/index.html", products=PRODUCTS)


@bp.route("/products/<slug>")
def product(slug: str) -> Any:
    item = BY_SLUG.get(slug)
    if item is None:
        abort(404)
    form = AddToBasketForm(slug=slug)
    return render_template("shop/product.html", product=item, form=form, amount=item.price)


@bp.post("/basket/add")
def add_to_basket() -> Any:
    form = AddToBasketForm()
    if not form.validate_on_submit() or form.slug.data not in BY_SLUG:
        flash("That could not be added to your basket; please try again.", "error")
        return redirect(url_for("shop.index"))
    items = basket()
    items[form.slug.data] = min(items.get(form.slug.data, 0) + form.quantity.data, MAX_QUANTITY)
    save_basket(items)
    flash(f"Added {BY_SLUG[form.slug.data].name} to your basket.", "ok")
    return redirect(url_for("shop.show_basket"))


@bp.post("/basket/update")
def update_basket() -> Any:
    form = UpdateBasketForm()
    if form.validate_on_submit() and form.slug.data in BY_SLUG:
        items = basket()
        items[form.slug.data] = form.quantity.data or 0
        save_basket(items)
    else:
        flash("Your basket could not be updated; please try again.", "error")
    return redirect(url_for("shop.show_basket"))


@bp.route("/basket")
def show_basket() -> Any:
    lines = basket_lines()
    total = sum((row for _, _, row in lines), Decimal("0.00"))
    forms = {p.slug: UpdateBasketForm(slug=p.slug, quantity=qty) for p, qty, _ in lines}
    return render_template(
        "shop/basket.html",
        lines=lines,
        total=total,
        forms=forms,
        standard_delivery=STANDARD_SHIPPING,
        free_delivery_from=FREE_SHIPPING_FROM,
    )


@bp.route("/checkout", methods=["GET", "POST"])
def checkout() -> Any:
    lines = basket_lines()
    if not lines:
        flash("Your basket is empty.", "error")
        return redirect(url_for("shop.show_basket"))
    open_id = session.get("open_order")
    open_order = orders().get(open_id) if open_id else None
    form = CheckoutForm()
    if request.method == "GET" and open_order is not None:
        customer = open_order.customer
        address = customer.address
        form.process(
            data={
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "email": customer.email,
                "mobile_number": customer.mobile_number,
                "house_number": address.house_number if address else None,
                "address_line_1": address.address_line_1 if address else None,
                "town": address.town if address else None,
                "postcode": address.postcode if address else None,
            }
        )
    if form.validate_on_submit():
        order = orders().place(basket(), customer_from(form.data), order_id=open_id)
        session["open_order"] = order.id
        session["my_orders"] = [*session.get("my_orders", []), order.id][-20:]
        return redirect(url_for("shop.order", order_id=order.id), 303)
    goods = sum((row for _, _, row in lines), Decimal("0.00"))
    service = get_state().services.get("checkout")
    pending = bool(open_order and service and service.is_pending_finance(open_order.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "shop/checkout.html",
        form=form,
        lines=lines,
        total=goods,
        delivery=shipping_for(goods),
        goods_vat=vat_in(goods),
        delivery_vat=vat_in(shipping_for(goods)),
        free_delivery_from=FREE_SHIPPING_FROM,
        pending_finance=pending,
    ), status


#: How long a referred application may take. DivideBuy's documents give no figure; the
#: shop says "a few working days" (recorded in docs/assumptions.md, example shop).
REFERRED_WAIT = "a few working days"


@dataclass(frozen=True)
class PaymentChoices:
    """What the order page may offer, decided from the order and its DivideBuy checkout.

    ``finance`` is the checkout's state for the page: ``pending``, ``referred``,
    ``declined``, ``completed``, ``on_hold``, ``cancelled``, ``expired`` or ``None``
    (no application yet). Only actions that can succeed are offered: no DivideBuy
    again after a decline for the same amount, no card payment while an
    application is still open at DivideBuy (the shop refuses it then).
    """

    finance: str | None
    dividebuy: bool
    card: bool
    #: the application was for another amount (the basket changed since): apply again
    stale: bool = False


def payment_choices(shop_order: ShopOrder, record: CheckoutRecord | None) -> PaymentChoices:
    finance: str | None = None
    if record is not None:
        finance = record.status.value
        if record.status is CheckoutStatus.PENDING and record.decision == "REFERRED":
            finance = "referred"
        elif record.status is CheckoutStatus.SUPERSEDED:
            finance = None
    same_amount = record is not None and record.amount == shop_order.total
    open_at_dividebuy = finance in ("pending", "referred")
    return PaymentChoices(
        finance=finance,
        # a new application only where it can differ: not while this amount's is open or
        # after DivideBuy declined this amount
        dividebuy=shop_order.open
        and not (same_amount and (open_at_dividebuy or finance == "declined")),
        # the shop refuses a card payment while any application is open (pay_by_card)
        card=shop_order.open and not open_at_dividebuy,
        stale=open_at_dividebuy and not same_amount,
    )


@dataclass(frozen=True)
class RepaymentPlan:
    """A completed order's plan, in DivideBuy's own figures for its term (and refunds since)."""

    paid_today: Decimal
    monthly: Decimal
    payments: int
    final: Decimal
    total_payable: Decimal
    refunded: Decimal


def repayment_plan(record: CheckoutRecord) -> RepaymentPlan | None:
    """DivideBuy's figures for the term the shopper chose (its terms for the amount, cached).

    The checkout records the amount and the term, not the instalments, so the plan is
    read from DivideBuy's terms for that amount; ``None`` when DivideBuy cannot be
    asked or no longer offers that term (the page then shows the credit and term).
    """
    offer = finance_offer(record.amount)
    term = next((c for c in offer.choices if c.months == record.term), None) if offer else None
    if term is None:
        return None
    backoffice = get_state().services.get("backoffice")
    refunded = Decimal("0.00")
    if backoffice is not None:
        with contextlib.suppress(Refused):
            refunded = backoffice.order_status(record.order_id).balance.refunded
    return RepaymentPlan(
        paid_today=term.first,
        monthly=term.regular,
        payments=term.months,
        final=term.final,
        total_payable=term.total_payable,
        refunded=refunded,
    )


@bp.route("/orders/<order_id>")
@private_page  # the order page carries a signed checkout link: DivideBuy's private-page headers
def order(order_id: str) -> Any:
    shop_order = my_order(order_id)
    if not shop_order.open and session.get("open_order") == shop_order.id:
        session.pop("open_order", None)  # paid (or on hold): the next basket is a new order
        session.pop("basket", None)
    service = get_state().services.get("checkout")
    record = service.status(shop_order.id) if service is not None else None
    choices = payment_choices(shop_order, record)
    offer = finance_offer(shop_order.total) if choices.dividebuy else None
    completed = record is not None and record.status is CheckoutStatus.COMPLETED
    plan = repayment_plan(record) if completed and record is not None else None
    return render_template(
        "shop/order.html",
        order=shop_order,
        record=record,
        choices=choices,
        offer=offer,
        plan=plan,
        card_form=PayByCardForm(),
        referred_wait=REFERRED_WAIT,
    )


@bp.post("/orders/<order_id>/pay-by-card")
def pay_by_card(order_id: str) -> Any:
    shop_order = my_order(order_id)
    service = get_state().services.get("checkout")
    if not PayByCardForm().validate_on_submit():
        flash("The form had expired; please try again.", "error")
    elif service is not None and service.is_pending_finance(order_id):
        flash(
            "This order has a DivideBuy application in progress: finish or cancel it first.",
            "error",
        )
    elif shop_order.open:
        orders().update(order_id, status=PAID, paid_with="card (demo)")
        flash("Paid by card (demo: no card was charged).", "ok")
    return redirect(url_for("shop.order", order_id=order_id), 303)


# -- DivideBuy signals → the shop's own order status ---------------------------------------------


def _connect_signals(app: Flask) -> None:
    book: OrderBook = app.extensions["shop_orders"]

    def created(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        if record.status is CheckoutStatus.PENDING:
            book.update(record.order_id, status=PENDING_FINANCE)

    def still_held(sender: Flask, order_id: str) -> bool:
        """Only resolve-hold clears a hold: while any checkout of the order is on hold, the
        order stays on hold whatever else DivideBuy reports."""
        service = get_state(sender).services.get("checkout")
        return service is not None and bool(service.holds(order_id))

    def completed(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        if still_held(sender, record.order_id):
            return
        book.update(record.order_id, status=PAID, paid_with="DivideBuy", note=None)

    def on_hold(sender: Flask, record: CheckoutRecord, reason: str = "", **extra: Any) -> None:
        # keep how it was paid (a card payment before a late DivideBuy completion)
        current = book.get(record.order_id)
        paid_with = current.paid_with if current is not None and current.paid_with else "DivideBuy"
        book.update(record.order_id, status=ON_HOLD, paid_with=paid_with, note=reason)

    def hold_refunded(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        """The held DivideBuy money went back: the order is as it was paid otherwise, or unpaid."""
        current = book.get(record.order_id)
        if current is None or still_held(sender, record.order_id):
            return
        service = get_state(sender).services.get("checkout")
        live = service.status(record.order_id) if service is not None else None
        if live is not None and live.status is CheckoutStatus.COMPLETED:
            book.update(record.order_id, status=PAID, paid_with="DivideBuy", note=None)
        elif current.paid_with and current.paid_with != "DivideBuy":
            book.update(record.order_id, status=PAID, note=None)
        else:
            book.update(record.order_id, status=AWAITING_PAYMENT, paid_with=None, note=None)

    def not_paid(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        current = book.get(record.order_id)
        if current is not None and current.status == PENDING_FINANCE:
            book.update(record.order_id, status=AWAITING_PAYMENT)

    # connect_via(app): each shop app hears only its own checkouts; weak=False keeps
    # these closures alive as long as the signal.
    signals.quote_created.connect_via(app, weak=False)(created)
    signals.quote_completed.connect_via(app, weak=False)(completed)
    signals.order_on_hold.connect_via(app, weak=False)(on_hold)
    signals.hold_refunded.connect_via(app, weak=False)(hold_refunded)
    signals.quote_declined.connect_via(app, weak=False)(not_paid)
    signals.quote_cancelled.connect_via(app, weak=False)(not_paid)
    signals.quote_expired.connect_via(app, weak=False)(not_paid)
    signals.quote_orphaned.connect_via(app, weak=False)(not_paid)  # DivideBuy forgot the quote


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The shop, configured by *config* (DivideBuy settings, SECRET_KEY, database URL…)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        # DivideBuy: its pages use the shop's layout and come back to the order page.
        DIVIDEBUY_LAYOUT_TEMPLATE="shop/layout.html",
        DIVIDEBUY_SUCCESS_ENDPOINT="shop.order",
        DIVIDEBUY_PAYMENT_METHODS_ENDPOINT="shop.order",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config or {})
    book = OrderBook()
    app.extensions["shop_orders"] = book
    # DivideBuy: the shop's own orders, unless DIVIDEBUY_ORDER_SOURCE names a platform
    DivideBuy(app, order_source=None if app.config.get("DIVIDEBUY_ORDER_SOURCE") else book)
    _connect_signals(app)  # DivideBuy
    app.register_blueprint(bp)

    @app.route("/favicon.ico")
    def favicon() -> Any:
        """Browsers that ignore the layout's <link rel="icon"> still find the shop's icon."""
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.context_processor
    def shop_context() -> dict[str, Any]:
        return {
            "gbp": format_gbp,
            "view_functions": current_app.view_functions,
            "basket_count": sum(basket().values()),
        }

    try:
        from . import backoffice
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.backoffice":
            raise
    else:
        backoffice.register(app)
    return app
