"""The checkout suite's example shop over loopback HTTP (and its shopper), reused here."""

from __future__ import annotations

from checkout.conftest import make_shop, shop, shopper

__all__ = ["make_shop", "shop", "shopper"]
