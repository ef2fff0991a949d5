"""Divendo (``divendo``): OAuth 2.0 order source, capped connections, polling (ADAPTERS §4).

Divendo documents no webhooks, so settle and refund events come from ``platform poll``
(``poll.py``); the order source reads ``GET /orders/{orderid}`` (and ``GET /contacts/{id}``
when the order carries no billing contact) through a connection pool capped below the
account's five simultaneous connections.
"""

from __future__ import annotations

from .config import DivendoConfig

__all__ = ["DivendoConfig"]
