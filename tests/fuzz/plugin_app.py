"""Every plugin endpoint on one app, served over loopback, and what it has written so far.

The app is the REC+ platform shop of tests/integrations (the fake REC+ as its order
source, the session's sandbox as DivideBuy) with the back office switched on, so the
application form, the return and cancel pages, the bridge page, the back office, the
widget terms, the webhooks, the health check and the OpenAPI document are all mounted.
:func:`written` is the snapshot the fuzz and schemathesis tests compare before and after
a rejected request: every row of every store table and what the sandbox has recorded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from hypothesis import HealthCheck, Phase, given, settings
from integrations.platform_app import HOOK_PASSWORD, HOOK_USER, ORDER, PlatformShop
from integrations.platform_app import build_platform_shop as _build
from sqlalchemy import Engine, MetaData, select

from dividebuy_checkout.sandbox import SandboxServer

__all__ = [
    "API_KEY",
    "HOOK_PASSWORD",
    "HOOK_USER",
    "ORDER",
    "PREFIX",
    "PlatformShop",
    "build_plugin",
    "csrf_token",
    "form_values",
    "http",
    "run_examples",
    "written",
]

API_KEY = "fuzz-backoffice-key-0123456789abcdef"
PREFIX = "/dividebuy"

#: what DivideBuy (the sandbox) has recorded that a request could have caused
_SANDBOX_RECORDS = ("quotes", "orders", "refunds", "settlements")


def build_plugin(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path, **extra: Any
) -> PlatformShop:
    """The platform shop with the back office on and no rate limits (unless *extra* says)."""
    config: dict[str, Any] = {
        "DIVIDEBUY_BACKOFFICE_API_KEY": API_KEY,
        "DIVIDEBUY_RATE_LIMIT": None,
        "DIVIDEBUY_WIDGET_NEW_AMOUNTS_PER_CLIENT": None,
        "DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL": None,
        **extra,
    }
    return _build(sandbox, recplus, tmp_path, **config)


@functools.cache
def _tables(engine: Engine) -> MetaData:
    """The store's tables, read from the database once (reflection is slow)."""
    tables = MetaData()
    tables.reflect(engine)
    return tables


def written(shop: PlatformShop) -> dict[str, Any]:
    """Every row of every table in the shop's store, and the sandbox's records.

    The platform status write-backs started so far (background threads) are waited for
    first: what they write belongs to the request that started them.
    """
    writeback = shop.platform.writeback
    if writeback is not None:
        writeback.wait()
    engine = shop.store.engine
    rows: dict[str, Any] = {}
    with engine.connect() as conn:
        for name, table in sorted(_tables(engine).tables.items()):
            rows[name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
    # what GET /_sandbox/state answers, read in-process (the sandbox runs in this process):
    # the same records, without a JSON round trip per request
    state = shop.sandbox.state.snapshot()
    return {"store": rows, "sandbox": {key: state[key] for key in _SANDBOX_RECORDS}}


def csrf_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def form_values(html: str) -> dict[str, str]:
    """What a browser would post from the page's form as it is (prefilled inputs, checked
    radios, selected options): the base a test changes fields of."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'\bname="([^"]+)"', tag)
        if name is None:
            continue
        kind = re.search(r'\btype="([^"]+)"', tag)
        if kind and kind.group(1) in ("submit", "radio", "checkbox") and "checked" not in tag:
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option\b[^>]*value="([^"]*)"[^>]*selected', body)
        if chosen:
            values[name] = chosen.group(1)
    return values


def run_examples(strategy: Any, examples: int, test: Callable[[Any], None]) -> None:
    """Run *test* on *examples* values of *strategy*: derandomised (the same requests on
    every run), no deadline (a loaded machine), no example database (nothing kept)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(value=strategy)
    def run(value: Any) -> None:
        test(value)

    run()


def http(shop: PlatformShop, *, source: str = "127.0.0.1") -> httpx.Client:
    """A client of the shop from loopback address *source* (limits count per address)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=shop.url, timeout=30, transport=transport)
