"""Payload helpers for the quote-validation tests."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from dividebuy_checkout.schemas import example_quote_payload

#: The fixed "today in the UK" of the tests.
TODAY = date(2025, 6, 15)
#: The terms DivideBuy reports as available for the example's total.
TERMS = (3, 6, 12)
DELETE = object()

_BASE = example_quote_payload(TODAY)


def base_payload() -> dict[str, Any]:
    """A fresh valid payload (valid on TODAY with TERMS)."""
    return copy.deepcopy(_BASE)


def set_path(payload: Any, path: str, value: Any) -> None:
    """Set (or with DELETE, remove) the value at a dotted wire path; digits index lists."""
    *parents, last = path.split(".")
    node = payload
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        if value is DELETE:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


def changed(changes: dict[str, Any]) -> dict[str, Any]:
    payload = base_payload()
    for path, value in changes.items():
        set_path(payload, path, value)
    return payload
