"""The example shop: catalogue, basket in the session, checkout, and an order page.

Mounting DivideBuy takes the few lines in :func:`create_app` marked "DivideBuy":
the extension with an order source, two endpoints for its pages to send the
shopper back to, the shop's layout for its templates, and signal handlers that
keep the shop's own order status in step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
from wtforms import EmailField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from dividebuy_checkout.checkout import DivideBuyUnavailable
from dividebuy_checkout.flask import DivideBuy, get_state, signals
from dividebuy_checkout.money import format_gbp
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus

from .catalogue import BY_SLUG, PRODUCTS
from .orders import (
    AWAITING_PAYMENT,
    ON_HOLD,
    PAID,
    PENDING_FINANCE,
    OrderBook,
    ShopOrder,
    customer_from,
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


class CheckoutForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired(), Length(max=50)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=50)])
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email like name@example.com."),
        ],
    )
    mobile_number = StringField("Mobile number", validators=[Optional(), Length(max=20)])
    house_number = StringField("House number", validators=[Optional(), Length(max=12)])
    address_line_1 = StringField("Street", validators=[DataRequired(), Length(max=50)])
    town = StringField("Town or city", validators=[DataRequired(), Length(max=50)])
    postcode = StringField("Postcode", validators=[DataRequired(), Length(max=10)])


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
    return render_template("shop/basket.html", lines=lines, total=total, forms=forms)


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
    total = sum((row for _, _, row in lines), Decimal("0.00"))
    service = get_state().services.get("checkout")
    pending = bool(open_order and service and service.is_pending_finance(open_order.id))
    return render_template(
        "shop/checkout.html", form=form, lines=lines, total=total, pending_finance=pending
    )


@bp.route("/orders/<order_id>")
def order(order_id: str) -> Any:
    shop_order = my_order(order_id)
    if not shop_order.open and session.get("open_order") == shop_order.id:
        session.pop("open_order", None)  # paid (or on hold): the next basket is a new order
        session.pop("basket", None)
    offer = finance_offer(shop_order.total) if shop_order.open else None
    return render_template(
        "shop/order.html",
        order=shop_order,
        offer=offer,
        card_form=PayByCardForm(),
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

    def completed(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        book.update(record.order_id, status=PAID, paid_with="DivideBuy", note=None)

    def on_hold(sender: Flask, record: CheckoutRecord, reason: str = "", **extra: Any) -> None:
        book.update(record.order_id, status=ON_HOLD, paid_with="DivideBuy", note=reason)

    def not_paid(sender: Flask, record: CheckoutRecord, **extra: Any) -> None:
        current = book.get(record.order_id)
        if current is not None and current.status == PENDING_FINANCE:
            book.update(record.order_id, status=AWAITING_PAYMENT)

    # connect_via(app): each shop app hears only its own checkouts; weak=False keeps
    # these closures alive as long as the signal.
    signals.quote_created.connect_via(app, weak=False)(created)
    signals.quote_completed.connect_via(app, weak=False)(completed)
    signals.order_on_hold.connect_via(app, weak=False)(on_hold)
    signals.quote_declined.connect_via(app, weak=False)(not_paid)
    signals.quote_cancelled.connect_via(app, weak=False)(not_paid)
    signals.quote_expired.connect_via(app, weak=False)(not_paid)


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
    DivideBuy(app, order_source=book)  # DivideBuy
    _connect_signals(app)  # DivideBuy
    app.register_blueprint(bp)

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
