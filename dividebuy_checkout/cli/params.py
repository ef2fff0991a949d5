"""Command-line argument types with one-line, field-level errors (exit status 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import click

from ..dates import parse_iso_date
from ..money import MoneyError, to_money

__all__ = ["DATE", "MONEY", "NEGATIVE_NUMBERS_AS_ARGUMENTS", "DateParam", "MoneyParam"]


class MoneyParam(click.ParamType[Decimal]):
    """An amount of pounds: ``2000``, ``149.99``, ``£1,250.00``; never negative."""

    name = "amount"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return to_money(str(value))
        except MoneyError as exc:
            self.fail(str(exc), param, ctx)


class DateParam(click.ParamType[date]):
    """A calendar date written ``YYYY-MM-DD``."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        day = parse_iso_date(str(value))
        if day is None:
            self.fail(f"{value!r} is not a date like 2026-11-23.", param, ctx)
        return day


MONEY = MoneyParam()

#: lets ``terms -5`` reach the amount's own check ("cannot be negative") instead
#: of failing as an unknown option
NEGATIVE_NUMBERS_AS_ARGUMENTS = {"ignore_unknown_options": True}
DATE = DateParam()
