"""REC+ (Really Easy Cart) order source: ``RecPlusOrderSource`` and its settings.

The field mapping lives in :mod:`.mapping`, the settings in :mod:`.config`, the
local fake in :mod:`.fake`, the seed's example order in ``fixtures/``.
"""

from __future__ import annotations

from .client import PlatformCheck, RecPlusOrderSource, StatusWrite
from .config import RecPlusConfig
from .mapping import MappedOrder, map_order

__all__ = [
    "MappedOrder",
    "PlatformCheck",
    "RecPlusConfig",
    "RecPlusOrderSource",
    "StatusWrite",
    "map_order",
]
