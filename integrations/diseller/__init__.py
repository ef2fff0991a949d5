"""DiSeller order source (being built: see config.py)."""

from __future__ import annotations

from .config import DiSellerConfig

__all__ = ["DiSellerConfig"]
