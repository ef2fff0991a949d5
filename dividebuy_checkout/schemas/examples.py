"""A complete, valid create-quote payload: for the docs, the sandbox, tests and the bench."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from .history import Today, resolve_today

__all__ = ["EXAMPLE_TERMS", "example_quote_for", "example_quote_payload"]

#: The terms :func:`example_quote_payload` chooses among.
EXAMPLE_TERMS: tuple[int, ...] = (3, 6, 12)


def example_quote_payload(today: Today = None) -> dict[str, Any]:
    """A fresh payload, valid on *today*, as a shop would build it (JSON-like values).

    The applicant is 35, has lived 1 year 6 months at the current address and
    1 year 6 months at the previous one (exactly three years), and rents.
    """
    now: date = resolve_today(today)
    return {
        "customer": {
            "title": "Ms",
            "first_name": "Ada",
            "last_name": "O'Neill",
            "date_of_birth": (now - relativedelta(years=35, months=2)).isoformat(),
            "mobile_number": "07400 123456",
            "address": {
                "house_number": "12",
                "address_line_1": "Acacia Avenue",
                "town": "Leeds",
                "county": "West Yorkshire",
                "postcode": "ls1 4ap",
                "time_at_address": "01-06",
            },
            "previous_addresses": [
                {
                    "house_name": "Rose Cottage",
                    "address_line_1": "Mill Lane",
                    "town": "Harrogate",
                    "postcode": "HG1 1AA",
                    "time_at_address": "01-06",
                }
            ],
            "income_type": "Employed full-time",
            "residential_status": "No, renting",
            "rent": 650,
            "ip_address": "203.0.113.7",
            "nationality": "British",
        },
        "order": {
            "retailer_order_id": "100045",
            "retailer_order_ref": "ABC-100045",
            "selected_instalment_term": 12,
            "instalment_date": 28,
            "subtotal": "833.33",
            "vat_rate": 20,
            "vat": "166.67",
            "shipping": "0.00",
            "shipping_method": "free_shipping",
            "shipping_label": "Free Shipping",
            "discount": "0",
            "time_discount_applied": "beforeVat",
            "total": "1000.00",
            "is_default_shipping": 1,
            "is_default_billing": 1,
            "upfront_payment": "100.00",
            "credit_amount": "900.00",
            "line_items": [
                {
                    "name": "Oak dining table",
                    "sku": "TBL-OAK-6",
                    "quantity": 1,
                    "price_including_vat": "1000.00",
                }
            ],
            "redirect_url": "https://shop.example/checkout/return?order=100045",
        },
        "payment": {
            "method": "direct_debit",
            "sort_code": "12-34-56",
            "account_number": "1234 5678",
            "account_name": "Ada O'Neill",
        },
    }


def example_quote_for(
    order_id: str,
    total: Decimal,
    *,
    upfront: Decimal = Decimal("0.00"),
    term: int = 12,
    today: Today = None,
) -> dict[str, Any]:
    """:func:`example_quote_payload` for one order of *total* pounds (tests, benches, demos).

    The order is one line at 20 % VAT, paid for with no payment block (the
    shopper gives bank details at DivideBuy).
    """
    payload = example_quote_payload(today)
    payload.pop("payment", None)
    subtotal = (total / Decimal("1.2")).quantize(Decimal("0.01"))
    payload["order"].update(
        retailer_order_id=order_id,
        retailer_order_ref=f"REF-{order_id}",
        selected_instalment_term=term,
        subtotal=subtotal,
        vat=total - subtotal,
        total=total,
        upfront_payment=upfront,
        credit_amount=total - upfront,
        redirect_url=f"https://shop.example/dividebuy/return?order={order_id}",
        line_items=[{"name": "Sofa", "quantity": 1, "price_including_vat": total}],
    )
    return payload
