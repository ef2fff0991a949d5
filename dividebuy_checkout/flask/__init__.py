"""Flask adapter: ``DivideBuy`` extension, one blueprint, signals, template globals."""

from . import signals
from .extension import CONFIG_DEFAULTS, DivideBuy, DivideBuyState, get_state

__all__ = ["CONFIG_DEFAULTS", "DivideBuy", "DivideBuyState", "get_state", "signals"]
