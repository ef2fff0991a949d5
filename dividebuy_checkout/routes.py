"""The one route table: every DivideBuy operation's method and path.

``docs/wire.md`` fixes these paths (the retailer API document lost them). A
retailer whose account uses other paths overrides the base URL; a correction
to a path is a one-line change here, and the client, the sandbox and the tests
all follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "CREATE_QUOTE",
    "GET_QUOTE",
    "REFUND",
    "REPRESENTATIVE_EXAMPLE",
    "SETTLE",
    "TERMS",
    "TOKEN",
    "Route",
]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    #: safe to send again after a timeout or a 5xx: the server holds no new state
    retryable: bool

    def format(self, **params: str) -> str:
        return self.path.format(**{k: quote(str(v), safe="") for k, v in params.items()})


TOKEN = Route("POST", "/oauth/token", retryable=True)
TERMS = Route("GET", "/terms", retryable=True)
REPRESENTATIVE_EXAMPLE = Route("GET", "/representative-example", retryable=True)
CREATE_QUOTE = Route("POST", "/quotes", retryable=False)
GET_QUOTE = Route("GET", "/quotes/{quote_id}", retryable=True)
# Marking an order completed with the same date twice changes nothing, so a
# retried settlement cannot pay twice.
SETTLE = Route("POST", "/orders/complete", retryable=True)
REFUND = Route("POST", "/orders/{retailer_order_id}/refunds", retryable=False)
