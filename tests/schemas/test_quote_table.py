"""Table-driven: one payload change per case, and the wire path that must (or must not) err.

A "bad" case must produce errors at exactly the named wire path(s) and nowhere
else; a "good" case must leave the whole payload valid. The base payload is
:func:`dividebuy_checkout.schemas.example_quote_payload` on TODAY (2025-06-15),
with the terms 3, 6 and 12 months available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from dividebuy_checkout.schemas import flatten_errors, validate_quote

from .payloads import DELETE, TERMS, TODAY, changed


@dataclass(frozen=True)
class Case:
    name: str
    changes: dict[str, Any]
    #: wire paths that must carry an error (exactly these); () means "valid"
    errors: tuple[str, ...] = ()
    #: the path the case is about (for a good case: must not carry an error)
    path: str = ""
    context: dict[str, Any] = field(default_factory=dict)


def bad(name: str, path: str | tuple[str, ...], changes: dict[str, Any], **context: Any) -> Case:
    paths = (path,) if isinstance(path, str) else path
    return Case(name, changes, paths, paths[0], context)


def good(name: str, path: str, changes: dict[str, Any], **context: Any) -> Case:
    return Case(name, changes, (), path, context)


C = "customer."
A = "customer.address."
P0 = "customer.previous_addresses.0."
O = "order."  # noqa: E741
L0 = "order.line_items.0."

#: The current and previous address given by move-in dates, covering exactly 36 months.
MOVE_IN_FORM = {
    A + "time_at_address": DELETE,
    A + "move_in_date": "2023-12-15",
    P0 + "time_at_address": DELETE,
    P0 + "move_in_date": "2022-06-15",
}
NO_PREVIOUS = {C + "previous_addresses": DELETE}

CASES = [
    # -- title
    good("title Mr", C + "title", {C + "title": "Mr"}),
    good("title Mx", C + "title", {C + "title": "Mx"}),
    good("title Rev", C + "title", {C + "title": "Rev"}),
    good("title in lower case is normalised", C + "title", {C + "title": "mrs"}),
    bad("title Sir is not in the list", C + "title", {C + "title": "Sir"}),
    bad("title missing", C + "title", {C + "title": DELETE}),
    bad("title blank", C + "title", {C + "title": "  "}),
    bad("title null", C + "title", {C + "title": None}),
    # -- first name
    good("first name of 50 letters", C + "first_name", {C + "first_name": "A" * 50}),
    bad("first name of 51 letters", C + "first_name", {C + "first_name": "A" * 51}),
    good("first name with a hyphen", C + "first_name", {C + "first_name": "Mary-Jane"}),
    good("first name with an apostrophe", C + "first_name", {C + "first_name": "D'Arcy"}),
    good("first name with a space", C + "first_name", {C + "first_name": "Anne Marie"}),
    good("first name with a curly apostrophe", C + "first_name", {C + "first_name": "D’Arcy"}),
    good("first name of one letter", C + "first_name", {C + "first_name": "J"}),
    bad("first name with an accent", C + "first_name", {C + "first_name": "Zoë"}),
    bad("first name with a digit", C + "first_name", {C + "first_name": "Ann3"}),
    bad("first name of punctuation only", C + "first_name", {C + "first_name": "'-"}),
    bad("first name missing", C + "first_name", {C + "first_name": DELETE}),
    bad("first name a number", C + "first_name", {C + "first_name": 123}),
    # -- last name
    good("last name of 2 letters", C + "last_name", {C + "last_name": "Ng"}),
    bad("last name of 1 letter", C + "last_name", {C + "last_name": "N"}),
    good("last name of 50 letters", C + "last_name", {C + "last_name": "B" * 50}),
    bad("last name of 51 letters", C + "last_name", {C + "last_name": "B" * 51}),
    good("double-barrelled last name", C + "last_name", {C + "last_name": "Smith-Jones"}),
    bad("last name with punctuation", C + "last_name", {C + "last_name": "Smith!"}),
    bad("last name missing", C + "last_name", {C + "last_name": DELETE}),
    # -- date of birth (TODAY is 2025-06-15)
    good("exactly 18 today", C + "date_of_birth", {C + "date_of_birth": "2007-06-15"}),
    bad("18 tomorrow (one day short)", C + "date_of_birth", {C + "date_of_birth": "2007-06-16"}),
    good("exactly 100 today", C + "date_of_birth", {C + "date_of_birth": "1925-06-15"}),
    good("100, 101 tomorrow", C + "date_of_birth", {C + "date_of_birth": "1924-06-16"}),
    bad("101 today", C + "date_of_birth", {C + "date_of_birth": "1924-06-15"}),
    bad("date of birth in DD/MM/YYYY", C + "date_of_birth", {C + "date_of_birth": "15/06/1990"}),
    bad("date of birth 30 February", C + "date_of_birth", {C + "date_of_birth": "1990-02-30"}),
    bad("date of birth in the future", C + "date_of_birth", {C + "date_of_birth": "2030-01-01"}),
    bad("date of birth missing", C + "date_of_birth", {C + "date_of_birth": DELETE}),
    bad("date of birth a number", C + "date_of_birth", {C + "date_of_birth": 19900101}),
    bad(
        "born 29 February 2008: still 17 on 28 February 2026",
        C + "date_of_birth",
        {C + "date_of_birth": "2008-02-29"},
        today=date(2026, 2, 28),
    ),
    good(
        "born 29 February 2008: 18 on 1 March 2026",
        C + "date_of_birth",
        {C + "date_of_birth": "2008-02-29"},
        today=date(2026, 3, 1),
    ),
    good(
        "born 29 February 2008: 18 on 29 February 2026 is no date, 2028 is a leap year",
        C + "date_of_birth",
        {C + "date_of_birth": "2008-02-29"},
        today=date(2028, 2, 29),
    ),
    # -- mobile number
    good("mobile 07400123456", C + "mobile_number", {C + "mobile_number": "07400123456"}),
    good("mobile with +44", C + "mobile_number", {C + "mobile_number": "+44 7400 123456"}),
    good("mobile with +44 (0)", C + "mobile_number", {C + "mobile_number": "+44 (0)7400 123456"}),
    good("mobile with brackets", C + "mobile_number", {C + "mobile_number": "(07400) 123 456"}),
    good("mobile with 0044", C + "mobile_number", {C + "mobile_number": "0044 7911 123456"}),
    bad("mobile of 10 digits", C + "mobile_number", {C + "mobile_number": "0740012345"}),
    bad("mobile of 12 digits", C + "mobile_number", {C + "mobile_number": "074001234567"}),
    bad("landline number", C + "mobile_number", {C + "mobile_number": "0113 496 0000"}),
    bad("pager number (076)", C + "mobile_number", {C + "mobile_number": "07640 123456"}),
    bad("personal number (070)", C + "mobile_number", {C + "mobile_number": "07000 123456"}),
    bad("Ofcom drama number", C + "mobile_number", {C + "mobile_number": "07700 900123"}),
    bad("mobile of another country", C + "mobile_number", {C + "mobile_number": "+33612345678"}),
    bad("mobile missing", C + "mobile_number", {C + "mobile_number": DELETE}),
    bad("mobile as a number", C + "mobile_number", {C + "mobile_number": 7400123456}),
    # -- current address
    good("town of 25 characters", A + "town", {A + "town": "T" * 25}),
    bad("town of 26 characters", A + "town", {A + "town": "T" * 26}),
    bad("town missing", A + "town", {A + "town": DELETE}),
    good("house number of 12 characters", A + "house_number", {A + "house_number": "1" * 12}),
    bad("house number of 13 characters", A + "house_number", {A + "house_number": "1" * 13}),
    good("house number as a number", A + "house_number", {A + "house_number": 12}),
    good("house name of 50 characters", A + "house_name", {A + "house_name": "H" * 50}),
    bad("house name of 51 characters", A + "house_name", {A + "house_name": "H" * 51}),
    bad("address line 1 missing", A + "address_line_1", {A + "address_line_1": DELETE}),
    good("address line 1 of 50", A + "address_line_1", {A + "address_line_1": "x" * 50}),
    bad("address line 1 of 51", A + "address_line_1", {A + "address_line_1": "x" * 51}),
    bad("address line 2 of 51", A + "address_line_2", {A + "address_line_2": "x" * 51}),
    good("address line 3 of 50", A + "address_line_3", {A + "address_line_3": "x" * 50}),
    bad("address line 3 of 51", A + "address_line_3", {A + "address_line_3": "x" * 51}),
    good("blank optional line is left out", A + "address_line_2", {A + "address_line_2": ""}),
    good("county of 100 characters", A + "county", {A + "county": "c" * 100}),
    bad("county of 101 characters", A + "county", {A + "county": "c" * 101}),
    good("postcode without a space, lower case", A + "postcode", {A + "postcode": "sw1a1aa"}),
    good("postcode with extra spaces", A + "postcode", {A + "postcode": "  EC1A   1BB "}),
    bad("postcode that is not a UK one", A + "postcode", {A + "postcode": "75008"}),
    bad("postcode with impossible letters", A + "postcode", {A + "postcode": "QQ1 1AA"}),
    bad("postcode missing", A + "postcode", {A + "postcode": DELETE}),
    bad("address not an object", "customer.address", {C + "address": "12 Acacia Avenue"}),
    bad("address missing", "customer.address", {C + "address": DELETE}),
    bad("unknown field in the address", A + "street", {A + "street": "Acacia Avenue"}),
    # -- time at the current address: exactly one of the two forms
    bad(
        "both time at address and move-in date",
        "customer.address",
        {A + "move_in_date": "2023-12-15"},
    ),
    bad(
        "neither time at address nor move-in date",
        "customer.address",
        {A + "time_at_address": DELETE},
    ),
    good(
        "time at address 1-6 is sent as 01-06",
        A + "time_at_address",
        {A + "time_at_address": "1-6"},
    ),
    bad("time at address of 12 months", A + "time_at_address", {A + "time_at_address": "01-12"}),
    good(
        "time at address of 11 months",
        A + "time_at_address",
        {A + "time_at_address": "01-11", P0 + "time_at_address": "01-07"},
    ),
    bad("time at address in words", A + "time_at_address", {A + "time_at_address": "1 year"}),
    good("move-in dates covering 36 months", A + "move_in_date", MOVE_IN_FORM),
    bad(
        "move-in dates covering 35 months (one day short)",
        "customer.previous_addresses",
        {**MOVE_IN_FORM, P0 + "move_in_date": "2022-06-16"},
    ),
    bad(
        "move-in date in the future",
        A + "move_in_date",
        {**MOVE_IN_FORM, A + "move_in_date": "2025-06-16"},
    ),
    good("moved in today", A + "move_in_date", {**MOVE_IN_FORM, A + "move_in_date": "2025-06-15"}),
    bad(
        "move-in date not a real date",
        A + "move_in_date",
        {**MOVE_IN_FORM, A + "move_in_date": "2023-13-01"},
    ),
    # -- address history (3 years unless configured)
    good("history of 36 months (18 + 18)", "customer.previous_addresses", {}),
    bad(
        "history of 35 months (18 + 17)",
        "customer.previous_addresses",
        {P0 + "time_at_address": "01-05"},
    ),
    good(
        "no previous address, 3 years at the current one",
        "customer.previous_addresses",
        {**NO_PREVIOUS, A + "time_at_address": "03-00"},
    ),
    bad(
        "no previous address, 2 years 11 months at the current one",
        "customer.previous_addresses",
        {**NO_PREVIOUS, A + "time_at_address": "02-11"},
    ),
    good(
        "history of 24 months when 24 are configured",
        "customer.previous_addresses",
        {**NO_PREVIOUS, A + "time_at_address": "02-00"},
        min_history_months=24,
    ),
    bad(
        "history of 36 months when 60 are configured",
        "customer.previous_addresses",
        {},
        min_history_months=60,
    ),
    good(
        "previous addresses null",
        "customer.previous_addresses",
        {C + "previous_addresses": None, A + "time_at_address": "05-00"},
    ),
    bad(
        "previous addresses not a list",
        "customer.previous_addresses",
        {C + "previous_addresses": "none"},
    ),
    # -- previous addresses use the current address's form
    bad(
        "previous address without time at address",
        P0 + "time_at_address",
        {P0 + "time_at_address": DELETE},
    ),
    bad(
        "previous address with a move-in date instead",
        (P0 + "time_at_address", P0 + "move_in_date"),
        {P0 + "time_at_address": DELETE, P0 + "move_in_date": "2022-06-15"},
    ),
    bad(
        "previous address with a time instead of a move-in date",
        (P0 + "move_in_date", P0 + "time_at_address"),
        {**MOVE_IN_FORM, P0 + "move_in_date": DELETE, P0 + "time_at_address": "01-06"},
    ),
    bad(
        "previous move-in date after the current one",
        P0 + "move_in_date",
        {**MOVE_IN_FORM, P0 + "move_in_date": "2024-01-01"},
    ),
    bad(
        "previous time at address of 12 months",
        P0 + "time_at_address",
        {P0 + "time_at_address": "00-12"},
    ),
    good("previous town of 50 characters", P0 + "town", {P0 + "town": "T" * 50}),
    bad("previous town of 51 characters", P0 + "town", {P0 + "town": "T" * 51}),
    good("previous town left out", P0 + "town", {P0 + "town": DELETE}),
    good("previous postcode abroad", P0 + "postcode", {P0 + "postcode": "75008"}),
    bad("previous address without line 1", P0 + "address_line_1", {P0 + "address_line_1": DELETE}),
    bad("previous house number of 13", P0 + "house_number", {P0 + "house_number": "1" * 13}),
    bad(
        "previous address not an object",
        "customer.previous_addresses.0",
        {"customer.previous_addresses.0": "Mill Lane"},
    ),
    # -- income type and residential status
    good(
        "income Retired, not working",
        C + "income_type",
        {C + "income_type": "Retired, not working"},
    ),
    good("income Unemployed", C + "income_type", {C + "income_type": "Unemployed"}),
    good(
        "income Director", C + "income_type", {C + "income_type": "Director of a limited company"}
    ),
    good("income in another case", C + "income_type", {C + "income_type": "self employed"}),
    bad("income Self-employed (hyphen)", C + "income_type", {C + "income_type": "Self-employed"}),
    bad("income missing", C + "income_type", {C + "income_type": DELETE}),
    bad(
        "residential status Renting",
        C + "residential_status",
        {C + "residential_status": "Renting"},
    ),
    # -- rent
    good(
        "outright owner needs no rent",
        C + "rent",
        {C + "residential_status": "Yes, outright owner", C + "rent": DELETE},
    ),
    good(
        "No, other needs no rent",
        C + "rent",
        {C + "residential_status": "No, other", C + "rent": DELETE},
    ),
    bad("renting without rent", C + "rent", {C + "rent": DELETE}),
    bad(
        "mortgage without rent",
        C + "rent",
        {C + "residential_status": "Yes, with mortgage", C + "rent": DELETE},
    ),
    bad("renting with blank rent", C + "rent", {C + "rent": ""}),
    bad("rent with pence", C + "rent", {C + "rent": "650.50"}),
    bad("negative rent", C + "rent", {C + "rent": -1}),
    good("rent written £650", C + "rent", {C + "rent": "£650"}),
    good("rent of 0", C + "rent", {C + "rent": 0}),
    # -- IP address and nationality
    good("IPv6 address", C + "ip_address", {C + "ip_address": "2001:db8::1"}),
    bad("two IP addresses", C + "ip_address", {C + "ip_address": "203.0.113.7, 198.51.100.2"}),
    bad("not an IP address", C + "ip_address", {C + "ip_address": "999.1.1.1"}),
    bad("IP address missing", C + "ip_address", {C + "ip_address": DELETE}),
    good("nationality in lower case", C + "nationality", {C + "nationality": "new zealander"}),
    good("nationality English", C + "nationality", {C + "nationality": "English"}),
    good(
        "nationality Citizen of Guinea-Bissau",
        C + "nationality",
        {C + "nationality": "Citizen of Guinea-Bissau"},
    ),
    bad(
        "nationality Stateless (not in our copy)",
        C + "nationality",
        {C + "nationality": "Stateless"},
    ),
    bad("nationality misspelt", C + "nationality", {C + "nationality": "Britsh"}),
    bad("unknown customer field (email)", C + "email", {C + "email": "ada@example.com"}),
    bad(
        "slip path customer.customer is refused",
        C + "customer",
        {C + "customer": {"nationality": "British"}},
    ),
    # -- order ids and refs
    bad("order id missing", O + "retailer_order_id", {O + "retailer_order_id": DELETE}),
    good("order id as a number", O + "retailer_order_id", {O + "retailer_order_id": 9925650}),
    bad("order ref missing", O + "retailer_order_ref", {O + "retailer_order_ref": DELETE}),
    bad("order ref blank", O + "retailer_order_ref", {O + "retailer_order_ref": " "}),
    # -- instalment term and day
    good("term 3 available", O + "selected_instalment_term", {O + "selected_instalment_term": 3}),
    bad(
        "term 24 not available",
        O + "selected_instalment_term",
        {O + "selected_instalment_term": 24},
    ),
    good(
        "term 24 when the terms are not known",
        O + "selected_instalment_term",
        {O + "selected_instalment_term": 24},
        available_terms=None,
    ),
    bad(
        "no terms available for the total",
        O + "selected_instalment_term",
        {},
        available_terms=(),
    ),
    bad("term 0", O + "selected_instalment_term", {O + "selected_instalment_term": 0}),
    good("term as text", O + "selected_instalment_term", {O + "selected_instalment_term": "12"}),
    bad(
        "term as a boolean", O + "selected_instalment_term", {O + "selected_instalment_term": True}
    ),
    good("instalment day 1", O + "instalment_date", {O + "instalment_date": 1}),
    good("instalment day 31", O + "instalment_date", {O + "instalment_date": 31}),
    bad("instalment day 0", O + "instalment_date", {O + "instalment_date": 0}),
    bad("instalment day 32", O + "instalment_date", {O + "instalment_date": 32}),
    bad("instalment day 1.5", O + "instalment_date", {O + "instalment_date": 1.5}),
    # -- amounts
    bad("subtotal with three decimals", O + "subtotal", {O + "subtotal": "833.333"}),
    bad("negative subtotal", O + "subtotal", {O + "subtotal": -1}),
    good("subtotal as a float", O + "subtotal", {O + "subtotal": 833.33}),
    good("subtotal as a Decimal", O + "subtotal", {O + "subtotal": Decimal("833.33")}),
    bad("float with binary noise", O + "subtotal", {O + "subtotal": 0.1 + 0.2}),
    bad("shipping as a boolean", O + "shipping", {O + "shipping": True}),
    bad("shipping missing", O + "shipping", {O + "shipping": DELETE}),
    good("VAT left out", O + "vat", {O + "vat": DELETE}),
    bad("VAT rate above 100", O + "vat_rate", {O + "vat_rate": 101}),
    good("VAT rate 17.5", O + "vat_rate", {O + "vat_rate": "17.5"}),
    bad("discount in words", O + "discount", {O + "discount": "none"}),
    bad("total not a number", O + "total", {O + "total": "NaN"}),
    bad(
        "total of zero",
        O + "total",
        {O + "total": 0, O + "upfront_payment": 0, O + "credit_amount": 0},
    ),
    good(
        "no upfront payment, all on credit",
        O + "credit_amount",
        {O + "upfront_payment": 0, O + "credit_amount": "1000.00"},
    ),
    bad(
        "upfront payment equal to the total",
        O + "upfront_payment",
        {O + "upfront_payment": "1000.00", O + "credit_amount": 0},
    ),
    bad("credit a penny short", O + "credit_amount", {O + "credit_amount": "899.99"}),
    bad("upfront payment missing", O + "upfront_payment", {O + "upfront_payment": DELETE}),
    # -- discount timing, flags, source
    good(
        "discount afterVat", O + "time_discount_applied", {O + "time_discount_applied": "afterVat"}
    ),
    bad(
        "discount timing 'after'",
        O + "time_discount_applied",
        {O + "time_discount_applied": "after"},
    ),
    good("default shipping 0", O + "is_default_shipping", {O + "is_default_shipping": 0}),
    good("default billing true", O + "is_default_billing", {O + "is_default_billing": True}),
    bad("default shipping 2", O + "is_default_shipping", {O + "is_default_shipping": 2}),
    bad("default billing 'yes'", O + "is_default_billing", {O + "is_default_billing": "yes"}),
    bad("default billing missing", O + "is_default_billing", {O + "is_default_billing": DELETE}),
    good("source in-store", O + "source", {O + "source": "in-store"}),
    good("source telephony", O + "source", {O + "source": "telephony"}),
    good("source in-home", O + "source", {O + "source": "in-home"}),
    good("blank source is a web order", O + "source", {O + "source": ""}),
    bad("source web", O + "source", {O + "source": "web"}),
    # -- shipping
    bad("shipping method missing", O + "shipping_method", {O + "shipping_method": DELETE}),
    bad("shipping label missing", O + "shipping_label", {O + "shipping_label": DELETE}),
    # -- line items
    bad("quantity 0", L0 + "quantity", {L0 + "quantity": 0}),
    bad("no price at all", "order.line_items.0", {L0 + "price_including_vat": DELETE}),
    good(
        "only the price excluding VAT",
        "order.line_items.0",
        {L0 + "price_including_vat": DELETE, L0 + "price_excluding_vat": "833.33"},
    ),
    bad("item name missing", L0 + "name", {L0 + "name": DELETE}),
    bad("item price negative", L0 + "price_including_vat", {L0 + "price_including_vat": "-1"}),
    good("no line items", O + "line_items", {O + "line_items": []}),
    bad("line items not a list", O + "line_items", {O + "line_items": {"name": "Table"}}),
    # -- redirect URL
    good(
        "redirect URL on localhost",
        O + "redirect_url",
        {O + "redirect_url": "http://localhost:5000/r?a=1"},
    ),
    good("redirect URL left out", O + "redirect_url", {O + "redirect_url": DELETE}),
    bad("relative redirect URL", O + "redirect_url", {O + "redirect_url": "/checkout/return"}),
    bad("ftp redirect URL", O + "redirect_url", {O + "redirect_url": "ftp://shop.example/r"}),
    bad("javascript redirect URL", O + "redirect_url", {O + "redirect_url": "javascript:alert(1)"}),
    # -- payment
    good("no payment details", "payment", {"payment": DELETE}),
    good("payment null", "payment", {"payment": None}),
    bad("payment by card", "payment.method", {"payment.method": "card"}),
    good("sort code with spaces", "payment.sort_code", {"payment.sort_code": "12 34 56"}),
    bad("sort code of 5 digits", "payment.sort_code", {"payment.sort_code": "12345"}),
    bad("sort code of 7 digits", "payment.sort_code", {"payment.sort_code": "1234567"}),
    bad("sort code missing", "payment.sort_code", {"payment.sort_code": DELETE}),
    bad(
        "account number of 7 digits",
        "payment.account_number",
        {"payment.account_number": "1234567"},
    ),
    bad(
        "account number of 9 digits",
        "payment.account_number",
        {"payment.account_number": "123456789"},
    ),
    good(
        "account number with hyphens",
        "payment.account_number",
        {"payment.account_number": "1234-5678"},
    ),
    bad("account number missing", "payment.account_number", {"payment.account_number": DELETE}),
    # -- the payload itself
    bad("unknown top-level field", "extra", {"extra": 1}),
    bad("customer missing", "customer", {"customer": DELETE}),
    bad("order not an object", "order", {"order": []}),
]


def _validate(case: Case) -> dict[str, list[str]]:
    context = {"available_terms": TERMS, "today": TODAY, **case.context}
    return flatten_errors(validate_quote(changed(case.changes), **context))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case) -> None:
    flat = _validate(case)
    if case.errors:
        assert set(flat) == set(case.errors), flat
    else:
        assert case.path not in flat
        assert flat == {}


def test_the_table_is_large_and_its_names_unique() -> None:
    assert len(CASES) >= 80
    assert len({case.name for case in CASES}) == len(CASES)
    assert sum(bool(case.errors) for case in CASES) >= 40
    assert sum(not case.errors for case in CASES) >= 40


_PYTHON_WORDS = re.compile(r"\b(str|int|dict|tuple|float|bool|None|NoneType|Decimal)\b")
# Type names are matched as words ("apostrophes" holds "str"; "into" would hold "int").
_FORBIDDEN = ("Traceback", "NoneType", "Field may not be null", "<class", "Error", "int(", "{", "}")


def test_every_message_is_a_sentence() -> None:
    messages = {m for case in CASES for ms in _validate(case).values() for m in ms}
    assert len(messages) > 60
    for message in messages:
        assert message[:1].isupper(), message
        assert message.endswith("."), message
        assert not _PYTHON_WORDS.search(message), message
        for word in _FORBIDDEN:
            assert word not in message, message
        # marshmallow's own defaults never leak
        for default in ("Not a valid", "Missing data", "Unknown field", "Invalid "):
            assert default not in message, message
