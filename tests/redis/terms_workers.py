"""Worker processes for the shared terms tests: each builds its widgets the way a shop's
worker does (``DivideBuyClient.from_env()`` with the test's environment, then
``WidgetService(client)``) and reports to the test through a queue."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.widgets import WidgetService

#: the widget budget the workers render with (the Flask default)
BUDGET = 0.3


class _Count(logging.Handler):
    """Counts the shared-state fallback's warnings in this process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _listen() -> _Count:
    handler = _Count()
    logging.getLogger("dividebuy_checkout.shared").addHandler(handler)
    return handler


def cold_price_worker(env: dict[str, str], barrier: Any, results: Any) -> None:
    """Wait for every worker, then ask for the same cold price's terms (checkout's call)."""
    os.environ.update(env)
    try:
        with DivideBuyClient.from_env() as client:
            widgets = WidgetService(client, budget=BUDGET)
            barrier.wait(timeout=60)
            terms = widgets.source.current("2000")
            results.put(("ok", str(terms.order_value)))
            widgets.source.close()
    except Exception as exc:  # reported to the test, which fails with it
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def outage_worker(env: dict[str, str], ready: Any, cut: Any, results: Any) -> None:
    """Render the widget for cached and new prices before and after the test cuts Redis;
    report the slowest render after the cut, what rendered, and the warnings logged."""
    os.environ.update(env)
    warnings = _listen()
    try:
        with DivideBuyClient.from_env() as client:
            widgets = WidgetService(client, budget=BUDGET)
            widgets.source.current("2000")  # warm: cached in this process and in Redis
            ready.wait(timeout=60)  # every worker warm
            cut.wait(timeout=60)  # the test has cut Redis
            slowest, shown = 0.0, 0
            for price in ["2000", "2000", "1500", "2000", "750", "1500", "2000"] * 3:
                started = time.perf_counter()
                result = widgets.result(price)
                slowest = max(slowest, time.perf_counter() - started)
                shown += result.view.eligible
            results.put(("ok", slowest, shown, warnings.messages))
            widgets.source.close()
    except Exception as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}", 0, warnings.messages))
