"""One strict reading of dates everywhere a date comes in (form, CSV, CLI, sandbox)."""

from __future__ import annotations

from datetime import date, datetime

import click
import pytest

from dividebuy_checkout.cli.params import DATE
from dividebuy_checkout.dates import parse_iso_date


@pytest.mark.parametrize("text", ["2026-11-23", " 2026-11-23 "])
def test_iso_dates_are_read(text):
    assert parse_iso_date(text) == date(2026, 11, 23)


@pytest.mark.parametrize(
    "text",
    ["20261123", "2026-W47", "2026-02-30", "23/11/2026", "２０２６-11-23", "", None, 20261123],
)
def test_anything_else_is_not_a_date(text):
    assert parse_iso_date(text) is None


def test_dates_and_datetimes_pass_through():
    assert parse_iso_date(datetime(2026, 11, 23, 9, 30)) == date(2026, 11, 23)


def test_the_cli_reads_dates_the_same_way_as_a_csv_row():
    assert DATE.convert("2026-11-23", None, None) == date(2026, 11, 23)
    with pytest.raises(click.BadParameter, match="not a date like 2026-11-23"):
        DATE.convert("20261123", None, None)
