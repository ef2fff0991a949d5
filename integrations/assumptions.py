"""Every assumption the platform adapters make where the platform documents are silent.

One named constant (or small table) per assumption, each with the reason, so a
shop or a maintainer changes it in one place. ``ASSUMPTIONS`` lists them all by
key; ``docs/assumptions.md`` ("Shop platforms") has one row per key, and a test
keeps the two in step. Seed line numbers (``004:577``) point into
``shared/seeds/004_*.txt`` (REC+).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

__all__ = [
    "ASSUMPTIONS",
    "CONNECT_TIMEOUT",
    "DISELLER_NOT_PAYABLE_STATUSES",
    "DISELLER_NO_SHIPPING",
    "DISELLER_PAGE_LIMIT",
    "DISELLER_PRODUCT_CACHE_SIZE",
    "DISELLER_RATE_LIMIT_HEADERS",
    "DISELLER_SHIPPING",
    "EVENT_DEFER_EVERY",
    "EVENT_DEFER_FOR",
    "EVENT_LEASE",
    "EVENT_MAX_ATTEMPTS",
    "EVENT_RETRY_CAP",
    "EVENT_RETRY_FIRST",
    "FLOAT_ARTEFACT_TOLERANCE",
    "LOOPBACK_HOSTS",
    "POLL_LIMIT",
    "POLL_SINCE_DAYS",
    "POLL_STOP_AFTER_FAILURES",
    "READ_TIMEOUT",
    "RECPLUS_CURRENCY",
    "RECPLUS_JSON_TYPES",
    "RECPLUS_KNOWN_LINE_TYPES",
    "RECPLUS_LINE_DISCOUNT_INCLUDED",
    "RECPLUS_MOBILE_FIELDS",
    "RECPLUS_NO_DELIVERY",
    "RECPLUS_SCOPE",
    "RECPLUS_WRITE_OK_STATUSES",
    "UK_COUNTRY_NAMES",
    "WEBHOOK_MAX_BYTES",
    "WEBHOOK_SECRET_MIN_LENGTH",
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

# -- inbox, outbox and webhooks -------------------------------------------------------------

#: No platform documents a redelivery policy, so failed actions are retried by us:
#: 1 minute doubling to a 6-hour cap, at most 10 attempts, then ``rejected``.
EVENT_RETRY_FIRST = timedelta(minutes=1)
EVENT_RETRY_CAP = timedelta(hours=6)
EVENT_MAX_ATTEMPTS = 10
#: A settle event for a checkout still ``pending`` waits (the shopper may finish at
#: DivideBuy later): looked at again every 15 minutes, for at most 30 days.
EVENT_DEFER_EVERY = timedelta(minutes=15)
EVENT_DEFER_FOR = timedelta(days=30)
#: How long a host holds a claimed row before another host may take it over (a host
#: that died mid-row). Longer than any DivideBuy call with its retries.
EVENT_LEASE = timedelta(minutes=5)
#: ``platform poll`` (a cron line, every 15 minutes): orders read per run, and how old a
#: checkout may be and still be read — a shop ships and refunds within weeks; an order still
#: unsettled after 90 days needs an operator, not a poll.
POLL_LIMIT = 200
POLL_SINCE_DAYS = 90
#: A poll stops after this many failed reads in a row: the platform is down or throttling
#: hard, and reading on would only spend its connections; the next run tries again.
POLL_STOP_AFTER_FAILURES = 5
#: Largest webhook body read (``DIVIDEBUY_WEBHOOK_MAX_BYTES`` default): REC+ sends one
#: order object; even 1,000-line orders are ~2.5 MB.
WEBHOOK_MAX_BYTES = 5 * 1024 * 1024
#: A webhook password, bearer token or signing secret shorter than this is refused at
#: start-up (it would be guessable).
WEBHOOK_SECRET_MIN_LENGTH = 16

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

#: Webhook content types read as JSON. REC+ can send XML (004:857); the shop is told
#: to choose JSON in Admin > API Webhooks (415 otherwise).
RECPLUS_JSON_TYPES = frozenset({"application/json", "text/json"})


# -- DiSeller (seed 002) ---------------------------------------------------------------------

#: Order statuses that are never payable: ``order.cancelled`` (002:166) implies "cancelled".
DISELLER_NOT_PAYABLE_STATUSES = frozenset({"cancelled"})
#: ``shipping_method`` / ``shipping_label`` when the residual (total − items) is shipping, and
#: when there is none: DiSeller orders name no shipping method (002:97-111).
DISELLER_SHIPPING = ("shipping", "Shipping")
DISELLER_NO_SHIPPING = ("no_shipping", "No shipping charge")
#: Product names are cached (they do not move money) at most this many ids, least recently
#: used first out; the lifetime is ``DIVIDEBUY_DISELLER_PRODUCT_CACHE_SECONDS``.
DISELLER_PRODUCT_CACHE_SIZE = 1024
#: Paging reads Stripe's cursor (only ``has_more`` is documented, 002:54-68): ``limit`` (at
#: most this) and ``starting_after=<last id of the page>``.
DISELLER_PAGE_LIMIT = 100
#: Rate-limit headers logged when present; the seed's "Rate Limit Headers" names none (Q-D5).
DISELLER_RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


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
    Assumption(
        "event-retries",
        "all",
        "Failed platform actions are retried 1 min doubling to 6 h, at most 10 attempts, then "
        "rejected; a settle for a pending checkout is looked at every 15 min for 30 days.",
    ),
    Assumption(
        "event-lease",
        "all",
        "A claimed inbox/outbox row is held 5 minutes; a host that died mid-row loses it to the "
        "next `events process`.",
    ),
    Assumption(
        "webhook-limits",
        "all",
        "Webhook bodies over 5 MiB are refused (413); passwords, tokens and secrets shorter than "
        "16 characters are refused at start-up.",
    ),
    Assumption(
        "webhook-notification",
        "all",
        "A webhook body is a notification, not the truth: the order is re-read from the platform "
        "before acting, and only when it has a live DivideBuy checkout.",
    ),
    Assumption(
        "poll-in-play",
        "all",
        "platform poll reads completed checkouts not yet settled or with a refundable balance "
        "(the latter only when the platform derives refunds), and pending ones for their "
        "settlement only; created in the last 90 days, 200 per run, one at a time; it stops "
        "after 5 failed reads in a row, or at once when the credentials are refused.",
    ),
    Assumption(
        "divendo-poll-dates",
        "divendo",
        "A settlement is dated the UK calendar date of shipping.shippingdate (or of modified, "
        "for a status in _SETTLE_STATUSES); a date-time without an offset is UK local time; "
        "the shipping date wins over a settle status.",
    ),
    Assumption(
        "divendo-poll-refunds",
        "divendo",
        "A cancelled line (cancellation not null) refunds its subtotal, once per line id; a "
        "status in _REFUND_STATUSES refunds all that is left; status names compare "
        "case-insensitively.",
    ),
    Assumption(
        "bridge-order-number",
        "all",
        "The bridge page's order number is the platform's order id (REC+ `id`, the number in its "
        "'pay with DivideBuy' link); the e-mail is the order's customer e-mail, both compared "
        "case-folded and trimmed in constant time.",
    ),
    Assumption(
        "recplus-webhook-json",
        "recplus",
        "REC+ webhooks are read as JSON only (raw or Wrap Data); XML is 415 (choose JSON in Admin"
        " > API Webhooks).",
    ),
    Assumption(
        "recplus-webhook-auth",
        "recplus",
        "The Bearer token REC+ sends is an opaque shared secret (no JWT validation: no key or "
        "claims are documented); Basic or Bearer is configured, never none.",
    ),
    Assumption(
        "recplus-settle-date",
        "recplus",
        "REC+ has no dispatch date: a settle uses the UK date the dispatched status was observed.",
    ),
    Assumption(
        "diseller-minor-units",
        "diseller",
        "DiSeller amounts (total, price) are integer minor units (pence); strings, fractions and "
        "amounts of £10^15 or more are refused; only GBP (any case) is financeable.",
    ),
    Assumption(
        "diseller-vat-inclusive",
        "diseller",
        "DiSeller prices include VAT at DIVIDEBUY_DISELLER_VAT_RATE (20): vat = total × r/(100+r), "
        "subtotal = items − items × r/(100+r), each rounded half-up once.",
    ),
    Assumption(
        "diseller-residual",
        "diseller",
        "total − Σ price × quantity is shipping when positive and a discount when negative "
        "(DIVIDEBUY_DISELLER_RESIDUAL = shipping), or refuses the order (refuse).",
    ),
    Assumption(
        "diseller-read-endpoints",
        "diseller",
        "An order, its customer and its products are read with GET /orders/{id}, "
        "/customers/{id}, /products/{id}; a read order carries the create body's "
        "shipping_address, the applicant's address only when its country is GB/UK.",
    ),
    Assumption(
        "diseller-paging",
        "diseller",
        "Lists page with Stripe's limit (≤ 100) and starting_after=<last id>; has_more true with "
        "no data, or an id seen twice, stops with an error.",
    ),
    Assumption(
        "diseller-request-budget",
        "diseller",
        "Background reads (poll, backfill) spend a token bucket of DIVIDEBUY_DISELLER_"
        "REQUESTS_PER_HOUR (1,000, the Starter plan); interactive get_order never waits on it.",
    ),
    Assumption(
        "diseller-product-cache",
        "diseller",
        "Product names are cached per id (lifetime DIVIDEBUY_DISELLER_PRODUCT_CACHE_SECONDS, "
        "1,024 ids, one request per id at a time); orders and customers are never cached.",
    ),
    Assumption(
        "diseller-signature",
        "diseller",
        "X-DiSeller-Signature is Stripe's scheme: t=<unix s>,v1=<hex HMAC-SHA256 of "
        "'<t>.'+raw body>; any v1 against any configured secret, 300 s tolerance (Q-D6).",
    ),
    Assumption(
        "diseller-event-envelope",
        "diseller",
        "A webhook is one event {id, type, created (Unix seconds), data.object}; a signed "
        "event missing one is 400; it is deduplicated by id (at-least-once, any order, Q-D12).",
    ),
    Assumption(
        "diseller-settle-event",
        "diseller",
        "order.completed settles (DIVIDEBUY_DISELLER_SETTLE_EVENT) after re-reading the order, "
        "still 'completed'; delivered on the UK date of the event's created (Q-D8).",
    ),
    Assumption(
        "diseller-refund-payload",
        "diseller",
        "refund.processed's data.object is {id, order_id, amount (minor units), currency}; "
        "the refund id is the action key; anything else is not acted on (Q-D7).",
    ),
    Assumption(
        "diseller-cancel",
        "diseller",
        "order.cancelled moves no money unless DIVIDEBUY_DISELLER_REFUND_ON_CANCEL is set "
        "(then all that is left of a completed checkout is refunded).",
    ),
)
