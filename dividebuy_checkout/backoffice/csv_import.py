"""Reading a settlement CSV: ``order_id,delivered_on``, one order per row.

Rows are yielded one at a time (a 100,000-row file is never held in memory),
each either a :class:`SettleRow` or a :class:`RowError` that names the file's
line number, so an operator can fix exactly the rows that were wrong. Only a
file that cannot be read as a whole (no header, missing columns, not text)
raises :class:`CsvFormatError`.

Assumptions, stated once here:

- the header row is required; column names are matched case-insensitively and
  extra columns (``customer``, ``notes`` …) are ignored;
- dates are ISO ``YYYY-MM-DD`` only: ``03/04/2026`` is ambiguous (UK vs US) in
  a file that moves money, so it is refused rather than guessed;
- a blank ``delivered_on`` takes the *default_date* if one was given (the
  CLI's ``--delivered``), otherwise it is an error;
- blank lines are skipped; a UTF-8 byte-order mark (Excel) is tolerated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from ..dates import parse_iso_date
from ..printable import has_control, printable

__all__ = [
    "MAX_ORDER_ID",
    "REQUIRED_COLUMNS",
    "CsvFormatError",
    "RowError",
    "SettleRow",
    "read_settlement_csv",
]

REQUIRED_COLUMNS = ("order_id", "delivered_on")
#: the longest order id the store holds (``dividebuy_checkouts.order_id``)
MAX_ORDER_ID = 64


class CsvFormatError(ValueError):
    """The file as a whole is unusable (no header, a required column missing)."""


@dataclass(frozen=True)
class SettleRow:
    """One order to settle. ``line`` is the file's line number, when read from a file."""

    order_id: str
    delivered_on: date
    line: int | None = None


@dataclass(frozen=True)
class RowError:
    """A row that could not be read; reported, never sent."""

    line: int
    message: str
    order_id: str | None = None


def read_settlement_csv(
    stream: IO[str] | Iterable[str], *, default_date: date | None = None
) -> Iterator[SettleRow | RowError]:
    """Yield each data row of *stream* as a :class:`SettleRow` or a :class:`RowError`.

    Raises :class:`CsvFormatError` (before yielding anything) when the header
    lacks a required column.
    """
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFormatError(
            "The CSV file is empty: it needs a header row 'order_id,delivered_on'."
        ) from None
    except csv.Error as exc:
        raise CsvFormatError(f"The CSV file cannot be read: {exc}.") from None
    except UnicodeDecodeError:
        raise CsvFormatError("The CSV file is not UTF-8 text: save it as 'CSV UTF-8'.") from None
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [col for col in REQUIRED_COLUMNS if col not in names]
    if missing:
        raise CsvFormatError(
            f"The CSV header is missing {', '.join(missing)}: the first line must name the "
            "columns, e.g. 'order_id,delivered_on'."
        )
    id_at, date_at = names.index("order_id"), names.index("delivered_on")
    width = max(id_at, date_at) + 1
    yield from _rows(reader, id_at, date_at, width, default_date)


def _rows(
    reader: Iterator[list[str]],
    id_at: int,
    date_at: int,
    width: int,
    default_date: date | None,
) -> Iterator[SettleRow | RowError]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(_line(reader), f"This line cannot be read as CSV: {exc}.")
            continue
        except UnicodeDecodeError:
            raise CsvFormatError(
                f"The CSV file is not UTF-8 text (near line {_line(reader) + 1}): save it as "
                "'CSV UTF-8'."
            ) from None
        line = _line(reader)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < width:
            yield RowError(line, f"Expected at least {width} columns, found {len(cells)}.")
            continue
        yield _row(cells[id_at].strip(), cells[date_at].strip(), line, default_date)


def _row(
    order_id: str, raw_date: str, line: int, default_date: date | None
) -> SettleRow | RowError:
    if not order_id:
        return RowError(line, "order_id is empty.")
    if has_control(order_id):
        return RowError(
            line,
            f"order_id {printable(order_id)} holds control characters: it cannot be an order id.",
            printable(order_id),
        )
    if len(order_id) > MAX_ORDER_ID:
        return RowError(line, f"order_id is longer than {MAX_ORDER_ID} characters.")
    if not raw_date:
        if default_date is None:
            return RowError(line, "delivered_on is empty: give a date like 2026-11-23.", order_id)
        return SettleRow(order_id, default_date, line)
    delivered_on = parse_iso_date(raw_date)
    if delivered_on is None:
        return RowError(
            line, f"delivered_on {raw_date!r} is not a date like 2026-11-23 (YYYY-MM-DD).", order_id
        )
    return SettleRow(order_id, delivered_on, line)


def _line(reader: Iterator[list[str]]) -> int:
    # csv.reader counts physical lines, so a quoted field spanning lines still
    # reports where its row ends.
    return getattr(reader, "line_num", 0)
