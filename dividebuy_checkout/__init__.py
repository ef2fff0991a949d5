"""Sell on DivideBuy interest-free credit from a Python web shop.

The core is framework-free; ``dividebuy_checkout.flask`` mounts it in Flask.
"""

from ._version import __version__
from .client import DivideBuyClient
from .errors import (
    AuthenticationError,
    ConflictError,
    DivideBuyError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ServiceUnavailableError,
)
from .models import (
    Quote,
    Refund,
    RepresentativeExample,
    RequestedQuote,
    SettlementOrder,
    Term,
    Terms,
)
from .settings import ConfigurationError, Settings
from .tokens import MemoryTokenStore, TokenStore

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "DivideBuyClient",
    "DivideBuyError",
    "MalformedResponseError",
    "MemoryTokenStore",
    "NotFoundError",
    "OutcomeUnknownError",
    "Quote",
    "RateLimitedError",
    "Refund",
    "RepresentativeExample",
    "RequestValidationError",
    "RequestedQuote",
    "ServiceUnavailableError",
    "Settings",
    "SettlementOrder",
    "Term",
    "Terms",
    "TokenStore",
    "__version__",
]
