"""Reading settlement CSVs: every bad row named by its line, the good rows untouched."""

from __future__ import annotations

import io
from datetime import date

import pytest

from dividebuy_checkout.backoffice import CsvFormatError, RowError, SettleRow, read_settlement_csv


def _read(text: str, **kw) -> list[SettleRow | RowError]:
    return list(read_settlement_csv(io.StringIO(text, newline=""), **kw))


def test_rows_are_read_with_their_line_numbers():
    rows = _read("order_id,delivered_on\nA1,2026-11-20\n\nA2, 2026-11-21 \n")

    assert rows == [
        SettleRow("A1", date(2026, 11, 20), 2),
        SettleRow("A2", date(2026, 11, 21), 4),  # the blank line 3 is skipped, not renumbered
    ]


def test_columns_are_found_by_name_in_any_order_with_extras_ignored():
    rows = _read("\ufeffNotes,Delivered_On,ORDER_ID\nfragile,2026-11-20,A1\n")

    assert rows == [SettleRow("A1", date(2026, 11, 20), 2)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (",2026-11-20", "order_id is empty"),
        ("A1,20/11/2026", "not a date like 2026-11-23"),
        ("A1,20261120", "not a date like 2026-11-23"),
        ("A1,2026-W47-1", "not a date like 2026-11-23"),
        ("A1,2026-02-30", "not a date like 2026-11-23"),
        ("A1,", "delivered_on is empty"),
        ("A1", "Expected at least 2 columns"),
        ("X" * 65 + ",2026-11-20", "longer than 64"),
    ],
)
def test_bad_rows_are_reported_with_their_line(line: str, message: str):
    rows = _read(f"order_id,delivered_on\nGOOD,2026-11-20\n{line}\nGOOD2,2026-11-20\n")

    assert [type(r).__name__ for r in rows] == ["SettleRow", "RowError", "SettleRow"]
    error = rows[1]
    assert isinstance(error, RowError) and error.line == 3 and message in error.message


def test_a_blank_date_takes_the_default_when_one_is_given():
    rows = _read("order_id,delivered_on\nA1,\n", default_date=date(2026, 11, 20))

    assert rows == [SettleRow("A1", date(2026, 11, 20), 2)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("order,date\nA1,2026-11-20\n", "missing order_id, delivered_on"),
        ("A1,2026-11-20\n", "missing order_id, delivered_on"),
    ],
)
def test_a_file_without_its_header_is_refused_as_a_whole(text: str, message: str):
    with pytest.raises(CsvFormatError, match=message):
        _read(text)
