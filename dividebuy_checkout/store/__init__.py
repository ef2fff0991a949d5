"""Storage behind a small interface: checkouts (quote↔order), their audit trail, the ledger.

:class:`SqlStore` is the one implementation: SQLite by default, any SQLAlchemy
URL for a shared database. Tables are created on first use.

Personal data from the application form (date of birth, income, bank details)
is sent to DivideBuy and never stored here.
"""

from . import ledger  # noqa: F401 — defines the ledger tables on the shared metadata
from .checkouts import CheckoutRecord, CheckoutStatus, DuplicateLiveCheckout
from .sql import SqlStore

__all__ = ["CheckoutRecord", "CheckoutStatus", "DuplicateLiveCheckout", "SqlStore"]
