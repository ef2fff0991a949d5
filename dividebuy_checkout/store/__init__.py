"""Storage behind two protocols: checkouts (quote↔order) with their audit trail, and the ledger.

:class:`CheckoutStore` and :class:`Ledger` (in :mod:`.base`) are what the
services need; :class:`SqlStore` implements both on SQLAlchemy Core: SQLite by
default, any SQLAlchemy URL for a shared database. Tables are created on first
use (:mod:`.tables`, one shared ``metadata``); records are plain dataclasses
(:mod:`.records`); refusals are in :mod:`.errors`.

Personal data from the application form (date of birth, income, bank details)
is sent to DivideBuy and never stored here.
"""

from .base import CheckoutStore, Ledger
from .errors import (
    DatabaseBusy,
    DuplicateLiveCheckout,
    ExceedsRemaining,
    LedgerRefusal,
    NoSuchRefund,
    NothingLeft,
    RefundNotUnknown,
    RefundsBlocked,
    StoreError,
)
from .ledger import SqlLedger
from .records import (
    Balance,
    CheckoutRecord,
    CheckoutStatus,
    ClaimResult,
    RefundEntry,
    RefundStatus,
    SettlementClaim,
    SettlementEntry,
    SettlementStatus,
    Transition,
    fold_balance,
)
from .retry import ContentionPolicy
from .sql import SqlStore, make_engine

__all__ = [
    "Balance",
    "CheckoutRecord",
    "CheckoutStatus",
    "CheckoutStore",
    "ClaimResult",
    "ContentionPolicy",
    "DatabaseBusy",
    "DuplicateLiveCheckout",
    "ExceedsRemaining",
    "Ledger",
    "LedgerRefusal",
    "NoSuchRefund",
    "NothingLeft",
    "RefundEntry",
    "RefundNotUnknown",
    "RefundStatus",
    "RefundsBlocked",
    "SettlementClaim",
    "SettlementEntry",
    "SettlementStatus",
    "SqlLedger",
    "SqlStore",
    "StoreError",
    "Transition",
    "fold_balance",
    "make_engine",
]
