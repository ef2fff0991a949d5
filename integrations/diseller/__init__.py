"""DiSeller order source: ``DiSellerOrderSource``, its settings and its request budget.

The field mapping (and what it assumes) lives in :mod:`.mapping`, the settings in
:mod:`.config`, the product-name cache in :mod:`.products`, the background
request budget in :mod:`.budget`, the local fake in :mod:`.fake`, the seed's
example order, customer and product (and the GBP fixtures) in ``fixtures/``.
"""

from __future__ import annotations

from .budget import BudgetExhausted, RequestBudget
from .client import BackfillResult, DiSellerOrderSource, PagingError, PlatformCheck, StatusWrite
from .config import DiSellerConfig
from .mapping import MappedOrder, ProductInfo, map_order

__all__ = [
    "BackfillResult",
    "BudgetExhausted",
    "DiSellerConfig",
    "DiSellerOrderSource",
    "MappedOrder",
    "PagingError",
    "PlatformCheck",
    "ProductInfo",
    "RequestBudget",
    "StatusWrite",
    "map_order",
]
