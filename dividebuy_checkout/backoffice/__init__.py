"""The back office: settle delivered orders and refund returns, never twice.

::

    from dividebuy_checkout.backoffice import BackOfficeService

    service = BackOfficeService(client, store)          # the ledger shares the store's database
    report = service.settle(["A1001", "A1002"], date(2026, 11, 20))
    service.refund("A1001", "150.00")                   # partial
    service.refund("A1001")                             # everything that is left

See ``docs/backoffice.md`` for the CLI, the endpoints and the ledger's states.
"""

from ..store import Balance, Ledger, RefundEntry, RefundStatus, SettlementEntry
from .csv_import import CsvFormatError, RowError, SettleRow, read_settlement_csv
from .errors import (
    BackOfficeError,
    CallFailed,
    CheckoutNotFound,
    DatabaseBusyError,
    InvalidAmount,
    NothingToRefund,
    OrderNotCompleted,
    RefundBlocked,
    RefundExceedsRemaining,
    RefundFailed,
    RefundNotConfirmable,
    RefundNotFound,
    RefundNotRecorded,
    RefundOutcomeUnknown,
    Refused,
)
from .reports import OrderStatus, SettlementOutcome, SettlementReport, SettlementResult
from .service import DEFAULT_CHUNK_SIZE, BackOfficeService

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BackOfficeError",
    "BackOfficeService",
    "Balance",
    "CallFailed",
    "CheckoutNotFound",
    "CsvFormatError",
    "DatabaseBusyError",
    "InvalidAmount",
    "Ledger",
    "NothingToRefund",
    "OrderNotCompleted",
    "OrderStatus",
    "RefundBlocked",
    "RefundEntry",
    "RefundExceedsRemaining",
    "RefundFailed",
    "RefundNotConfirmable",
    "RefundNotFound",
    "RefundNotRecorded",
    "RefundOutcomeUnknown",
    "RefundStatus",
    "Refused",
    "RowError",
    "SettleRow",
    "SettlementEntry",
    "SettlementOutcome",
    "SettlementReport",
    "SettlementResult",
    "read_settlement_csv",
]
