"""Every assumption the platform adapters make where the platform documents are silent.

One named constant (or small table) per assumption, each with the reason, so a
shop or a maintainer changes it in one place. ``ASSUMPTIONS`` lists them all by
key; ``docs/assumptions.md`` ("Shop platforms") has one row per key, and a test
keeps the two in step. Seed line numbers (``004:577``) point into
``shared/seeds/004_*.txt`` (REC+).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "ASSUMPTIONS",
    "CONNECT_TIMEOUT",
    "FLOAT_ARTEFACT_TOLERANCE",
    "LOOPBACK_HOSTS",
    "READ_TIMEOUT",
    "RECPLUS_CURRENCY",
    "RECPLUS_KNOWN_LINE_TYPES",
    "RECPLUS_LINE_DISCOUNT_INCLUDED",
    "RECPLUS_MOBILE_FIELDS",
    "RECPLUS_NO_DELIVERY",
    "RECPLUS_SCOPE",
    "RECPLUS_WRITE_OK_STATUSES",
    "UK_COUNTRY_NAMES",
    "Assumption",
]


@dataclass(frozen=True)
class Assumption:
    """One assumption: a stable ``key`` (used in docs), the platform, and what is assumed."""

    key: str
    platform: str
    statement: str


# -- common ---------------------------------------------------------------------------------

#: A money value with more than two decimal places is a binary-float artefact (and
#: rounded half-up to the penny) only when it is this close to a penny amount: REC+
#: sends ``"each_price_vat": 22.900000000000006`` (004:577). Anything further off
#: (``22.905``) means something we cannot represent and is refused.
FLOAT_ARTEFACT_TOLERANCE = Decimal("0.000001")

#: Seconds to wait for a platform connection / a whole reply. No platform documents
#: its latency; these keep a shopper's page from hanging on a slow platform.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0

#: Hosts where plain HTTP is allowed (the local fakes). Everything else must be HTTPS:
#: the credentials are HTTP Basic or bearer tokens.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

#: Country names (case-insensitive) that mark an address as UK. DivideBuy lends to UK
#: residents; a foreign address is never pre-filled into a credit application.
UK_COUNTRY_NAMES = frozenset(
    {
        "uk",
        "united kingdom",
        "gb",
        "gbr",
        "great britain",
        "england",
        "scotland",
        "wales",
        "northern ireland",
    }
)

# -- REC+ -----------------------------------------------------------------------------------

#: REC+ orders carry no currency (004:427-660): the shop's currency is a setting,
#: ``DIVIDEBUY_RECPLUS_CURRENCY``, pounds by default.
RECPLUS_CURRENCY = "GBP"

#: Line types we can read. Anything else (a fee, a payment, a surcharge) could move
#: money in a way we would misreport, so the order is refused instead.
RECPLUS_KNOWN_LINE_TYPES = frozenset({"PRODUCT", "OPTION", "DELIVERY", "COUPON"})

#: A line's ``price`` is the row total *after* its ``each_price_discount_*`` (the seed's
#: discounts are all 0; Σ price == totals.price confirms what is paid).
RECPLUS_LINE_DISCOUNT_INCLUDED = True

#: Where a mobile number is looked for, in order (the first UK mobile wins).
RECPLUS_MOBILE_FIELDS = (
    ("user.billing_address", "mobile_tel_no"),
    ("user.billing_address", "tel_no"),
    ("delivery_address", "mobile_tel_no"),
    ("delivery_address", "tel_no"),
)

#: ``shipping_method`` / ``shipping_label`` for an order without a DELIVERY line.
RECPLUS_NO_DELIVERY = ("no_delivery", "No delivery")

#: The API scope reading an order needs: the order embeds its user and billing
#: address, so the ``users`` scope is not needed (004:26-30 do not say).
RECPLUS_SCOPE = "orders"

#: A status write (``POST /orders/{id}``) succeeds with 200 or 204 ("204 for updated",
#: 004:662; whether a body comes back is not shown).
RECPLUS_WRITE_OK_STATUSES = frozenset({200, 201, 204})


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "float-artefact",
        "all",
        "A money value within 0.000001 of a penny amount is a "
        "binary-float artefact and is rounded half-up; further off is refused.",
    ),
    Assumption(
        "timeouts",
        "all",
        "Platform calls time out after 3 s to connect and 10 s to "
        "reply; 429/5xx/timeouts are retried by the project's retry policy.",
    ),
    Assumption(
        "https-only",
        "all",
        "Platform base URLs must be HTTPS except on loopback "
        "(127.0.0.1, ::1, localhost), where the local fakes run.",
    ),
    Assumption(
        "uk-address-gate",
        "all",
        "An address is pre-filled only when its country is "
        "one of the UK names; otherwise the form asks.",
    ),
    Assumption(
        "name-split",
        "all",
        "A full name is split only when exactly two tokens remain "
        "after a leading title; otherwise the form asks.",
    ),
    Assumption(
        "mobile-pick",
        "all",
        "The first candidate that is a UK mobile is used; else the "
        "first non-blank candidate raw (the form asks); else none.",
    ),
    Assumption(
        "subtotal-net",
        "all",
        "Order subtotal is the goods rows excluding VAT, before order-level discounts.",
    ),
    Assumption(
        "recplus-currency",
        "recplus",
        "REC+ orders carry no currency: DIVIDEBUY_RECPLUS_CURRENCY (default GBP) must be GBP.",
    ),
    Assumption(
        "recplus-line-types",
        "recplus",
        "Only PRODUCT, OPTION, DELIVERY and COUPON lines "
        "are read; any other line type makes the order not financeable.",
    ),
    Assumption(
        "recplus-row-price",
        "recplus",
        "A line's price is the row total including VAT, "
        "after its line discount; a PRODUCT's price already includes its options.",
    ),
    Assumption(
        "recplus-coupon-discount",
        "recplus",
        "COUPON lines are an order discount; "
        "afterVat when every COUPON line has zero VAT, else beforeVat.",
    ),
    Assumption(
        "recplus-order-ref",
        "recplus",
        "order_ref is invoice_id; when it is null, 0 or blank the order id is sent again.",
    ),
    Assumption(
        "recplus-scope",
        "recplus",
        "Reading an order needs the Full API credentials "
        "with the orders scope only; 401/403 name the setting to fix.",
    ),
    Assumption(
        "recplus-suppressed-codes",
        "recplus",
        "A 2xx whose body has an errors array is the error it names (suppress_response_codes).",
    ),
    Assumption(
        "recplus-write-status",
        "recplus",
        "A status write answers 200, 201 or 204 (with or without a body).",
    ),
    Assumption(
        "recplus-payable",
        "recplus",
        "An order whose status or payment method is outside "
        "the configured lists is treated as not found (None).",
    ),
)
