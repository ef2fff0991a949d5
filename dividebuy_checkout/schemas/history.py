"""Dates for the quote rules: today in the UK, ages, time at an address, address history.

All calendar arithmetic goes through :class:`dateutil.relativedelta.relativedelta`
(never days divided by 365, never a hand-made month table), so month ends and
29 February behave the way a person would count them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

__all__ = [
    "UK",
    "Today",
    "age_on",
    "anniversary",
    "describe_months",
    "format_yy_mm",
    "history_months_from_durations",
    "history_months_from_move_in",
    "months_of_yy_mm",
    "months_since",
    "parse_yy_mm",
    "resolve_today",
    "uk_today",
]

#: Ages and move-in dates are judged on the calendar date in the UK, whatever the
#: server's time zone (a server on UTC would otherwise be an hour behind in summer).
UK = ZoneInfo("Europe/London")

#: ``YY-MM``: years and months at an address. One-digit parts (``3-6``) are accepted
#: and written back with two digits (``03-06``).
_YY_MM = re.compile(r"([0-9]{1,2})-([0-9]{1,2})", re.ASCII)

Today = date | Callable[[], date] | None


def uk_today() -> date:
    """The calendar date now in Europe/London."""
    return datetime.now(UK).date()


def resolve_today(today: Today = None) -> date:
    """*today* itself, the date a clock callable returns, or :func:`uk_today`."""
    if today is None:
        return uk_today()
    if isinstance(today, date):
        return today.date() if isinstance(today, datetime) else today
    return today()


def anniversary(start: date, years: int) -> date:
    """The date *years* after *start*, the way UK law counts a birthday.

    Someone born on 29 February has a birthday on 1 March in a year without a
    29 February (the reading commonly given of the Family Law Reform Act 1969,
    s. 9, for England and Wales), not on 28 February: a person born on
    2008-02-29 turns 18 on 2026-03-01.
    """
    moved = start + relativedelta(years=years)
    if (start.month, start.day) == (2, 29) and moved.day == 28:
        moved += relativedelta(days=1)
    return moved


def age_on(birth: date, today: date) -> int:
    """Whole years of age on *today* (birthdays counted by :func:`anniversary`)."""
    years = relativedelta(today, birth).years
    if years > 0 and today < anniversary(birth, years):
        years -= 1
    return years


def parse_yy_mm(text: str) -> tuple[int, int] | None:
    """``(years, months)`` of a ``YY-MM`` (or ``Y-M``) text, or ``None`` if it is not one.

    The month part is not range-checked here (the caller says what is wrong).
    """
    match = _YY_MM.fullmatch(text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def format_yy_mm(years: int, months: int) -> str:
    """``YY-MM`` with two digits each."""
    return f"{years:02d}-{months:02d}"


def months_of_yy_mm(text: str) -> int:
    """The number of whole months a valid ``YY-MM`` text stands for."""
    parts = parse_yy_mm(text)
    if parts is None:
        raise ValueError("not a YY-MM text")
    years, months = parts
    return years * 12 + months


def months_since(start: date, today: date) -> int:
    """Whole calendar months from *start* to *today* (0 if *start* is later)."""
    if start >= today:
        return 0
    delta = relativedelta(today, start)
    return delta.years * 12 + delta.months


def history_months_from_durations(durations: Iterable[str]) -> int:
    """Months of address history given as ``YY-MM`` durations (current and previous)."""
    return sum(months_of_yy_mm(text) for text in durations)


def history_months_from_move_in(move_in_dates: Iterable[date], today: date) -> int:
    """Months of address history given as move-in dates: from the earliest to *today*.

    Each address runs from its move-in date to the next address's move-in date,
    so together they cover the time since the earliest of them.
    """
    earliest = min(move_in_dates)
    return months_since(earliest, today)


def describe_months(months: int) -> str:
    """``36`` is ``"3 years"``, ``30`` is ``"2 years and 6 months"``, ``1`` is ``"1 month"``."""
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year" + ("s" if years != 1 else ""))
    if rest or not years:
        parts.append(f"{rest} month" + ("s" if rest != 1 else ""))
    return " and ".join(parts)
