"""Divendo (``divendo``): OAuth 2.0 order source, capped connections, polling (ADAPTERS §4).

Divendo documents no webhooks, so settle and refund events come from ``platform poll``
(``poll.py``); the order source reads ``GET /orders/{orderid}`` (and ``GET /contacts/{id}``
when the order carries no billing contact) through a connection pool capped below the
account's five simultaneous connections. The field mapping lives in :mod:`.mapping`, the
settings in :mod:`.config`, the token in :mod:`.tokens`, the local fake in :mod:`.fake`.
"""

from __future__ import annotations

from .client import CappedTransport, DivendoOrderSource, PlatformCheck, PoolBusy
from .config import DivendoConfig
from .mapping import DivendoOrderShape, MappedOrder, map_order

__all__ = [
    "CappedTransport",
    "DivendoConfig",
    "DivendoOrderShape",
    "DivendoOrderSource",
    "MappedOrder",
    "PlatformCheck",
    "PoolBusy",
    "map_order",
]
