"""How many create-quote payloads per second the validation checks.

    .venv/bin/python bench/bench_validation.py [--seconds 2]

Prints validations per second of a full valid payload and of a payload with ten
errors (one in each of ten fields or cross-field rules), plus loads per second
of the valid payload. Uses one schema, as ``validate_quote`` does (it caches a
schema per set of available terms, today and history length).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dividebuy_checkout.schemas import (
    example_quote_payload,
    flatten_errors,
    load_quote,
    uk_today,
    validate_quote,
)
from dividebuy_checkout.schemas.examples import EXAMPLE_TERMS

TEN_ERRORS: dict[str, Any] = {
    "customer.title": "Sir",
    "customer.date_of_birth": "2099-01-01",
    "customer.mobile_number": "0113 496 0000",
    "customer.address.town": "T" * 26,
    "customer.address.postcode": "75008",
    "customer.previous_addresses.0.time_at_address": "01-05",
    "customer.nationality": "Stateless",
    "order.selected_instalment_term": 24,
    "order.credit_amount": "899.99",
    "payment.sort_code": "12345",
}


def ten_error_payload(today: date) -> dict[str, Any]:
    payload = copy.deepcopy(example_quote_payload(today))
    for path, value in TEN_ERRORS.items():
        *parents, last = path.split(".")
        node: Any = payload
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return payload


def rate(call: Callable[[], Any], seconds: float) -> float:
    call()  # warm up (builds and caches the schema)
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            call()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()

    today = uk_today()
    valid = example_quote_payload(today)
    invalid = ten_error_payload(today)
    context = {"available_terms": EXAMPLE_TERMS, "today": today}
    assert validate_quote(valid, **context) == {}
    flat = flatten_errors(validate_quote(invalid, **context))
    assert len(flat) == len(TEN_ERRORS), sorted(flat)

    results = [
        ("validate, valid payload", rate(lambda: validate_quote(valid, **context), args.seconds)),
        ("validate, 10 errors", rate(lambda: validate_quote(invalid, **context), args.seconds)),
        ("load, valid payload", rate(lambda: load_quote(valid, **context), args.seconds)),
    ]
    print(f"Python {sys.version.split()[0]}, {args.seconds:g} s per measurement")
    for name, per_second in results:
        print(f"{name:<26} {per_second:>10,.0f} per second  ({1e6 / per_second:,.0f} µs each)")


if __name__ == "__main__":
    main()
