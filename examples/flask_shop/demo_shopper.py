"""The example shop's demo shopper (Ada Lovelace): the package's one, for trying the shop by hand.

It lives in :mod:`dividebuy_checkout.checkout.demo_shopper` so the tests, the
benches and this shop share one shopper without importing each other.
"""

from __future__ import annotations

from dividebuy_checkout.checkout.demo_shopper import ANSWERS, CUSTOMER

__all__ = ["ANSWERS", "CUSTOMER"]
