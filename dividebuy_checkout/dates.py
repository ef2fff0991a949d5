"""Calendar dates as DivideBuy writes them: ``YYYY-MM-DD`` and nothing else.

``date.fromisoformat`` alone also takes ``20261123`` and ``2026-W47``; every
place that reads a date from a person or a wire (the form, a CSV row, a CLI
argument, the sandbox) uses this one strict reading instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

__all__ = ["parse_iso_date"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_iso_date(value: Any) -> date | None:
    """A ``date`` from ``YYYY-MM-DD`` text (or a ``date``), or ``None`` if it is not a real date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
