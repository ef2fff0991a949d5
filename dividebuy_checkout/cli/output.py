"""Readable tables by default, ``--json`` for scripts: one place for both."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from ..printable import printable, printable_json

__all__ = ["echo", "emit", "emit_fields", "emit_json", "emit_table"]


def echo(text: str, *, err: bool = False) -> None:
    """One line of output with anything from outside made printable (see :mod:`..printable`)."""
    click.echo(printable(text), err=err)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    # JSON escapes C0 controls itself; C1 and direction overrides are escaped as \uXXXX
    # (the same string to a JSON reader, harmless on a terminal)
    text = json.dumps(_plain(data), indent=2, ensure_ascii=False)
    click.echo(printable_json(text))


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Print *rows* as an aligned text table (no third-party table library needed)."""
    if not rows:
        click.echo("(nothing)")
        return
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    click.echo("  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def emit_fields(data: Mapping[str, Any]) -> None:
    """Print one object as ``name: value`` lines."""
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        click.echo(f"{key.ljust(width)}  {_cell(value)}")


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return printable(str(value))


def emit(data: Any, *, json_output: bool, table: Any = None) -> None:
    """``--json`` prints *data*; otherwise *table* (rows or a mapping) or *data* readably."""
    if json_output:
        emit_json(data)
        return
    shown = data if table is None else table
    if isinstance(shown, Mapping):
        emit_fields(shown)
    else:
        emit_table(list(shown))
