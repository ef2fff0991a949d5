"""Shop-platform commands: ``fake recplus``, ``order show``, ``platform check``.

``order show`` reads one order through the configured order source and prints the
mapped order, how it was read (the mapping notes), and the ``order`` block a quote
would send — the quickest way for a shop to see what DivideBuy will be told.
Customer values are shown only as "set" (they are personal); ``--raw`` adds the
platform's own JSON with personal values masked.

Exit status: 0 success; 1 the platform failed (down, refusing the credentials, or
an order that cannot be financed); 2 bad input (unknown source, missing setting,
no such order).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import click

from ..orders import (
    Applicant,
    Order,
    OrderNotFinanceable,
    OrderSource,
    OrderSourceUnavailable,
    build_quote_payload,
)
from ..settings import ConfigurationError
from .output import emit_fields, emit_json
from .poll import poll_command

__all__ = ["commands"]

#: Settings key naming the order source (also ``--source``).
SOURCE_SETTING = "DIVIDEBUY_ORDER_SOURCE"
#: Quote fields that come from the applicant or the checkout, not from the order.
_CHECKOUT_FIELDS = ("selected_instalment_term", "instalment_date", "redirect_url")


def _config() -> dict[str, Any]:
    """``DIVIDEBUY_*`` settings: the process environment, overlaid by a Flask app's config."""
    config: dict[str, Any] = {k: v for k, v in os.environ.items() if k.startswith("DIVIDEBUY_")}
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            config.update(
                {k: v for k, v in current_app.config.items() if str(k).startswith("DIVIDEBUY_")}
            )
    except ImportError:  # pragma: no cover - flask is a dependency
        pass
    return config


def _source(name: str | None) -> tuple[str, OrderSource]:
    from ..integrations import build_order_source  # type: ignore[import-not-found]  # mapped: see cli/checkout.py

    config = _config()
    chosen = (name or str(config.get(SOURCE_SETTING) or "")).strip()
    if not chosen:
        raise click.UsageError(f"Give --source recplus (or set {SOURCE_SETTING}).")
    try:
        return chosen, build_order_source(chosen, config)
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None


def _close(source: OrderSource) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _order_block(order: Order) -> dict[str, Any]:
    """The quote's ``order`` block for *order*, without the applicant's/checkout's fields."""
    placeholder = Applicant(instalment_term=None, instalment_day=None, time_at_address="")
    block = build_quote_payload(order, placeholder, redirect_url="", ip_address="127.0.0.1")[
        "order"
    ]
    return {k: v for k, v in block.items() if k not in _CHECKOUT_FIELDS}


def _order_view(order: Order) -> dict[str, Any]:
    view = asdict(order)
    customer = view.pop("customer")
    view["customer"] = {
        key: (None if value in (None, "") else ("set" if key != "title" else value))
        for key, value in customer.items()
    }
    view["credit_amount"] = order.credit_amount
    return view


@click.group()
def fake() -> None:
    """Run a local fake of a shop platform (stateful, with magic values; see docs/platforms.md)."""


def _serve_fake(
    name: str,
    host: str,
    port: int,
    start: Callable[[], Any],
    settings_line: Callable[[Any], str],
) -> None:
    """Start a platform fake's server, say where it listens and the settings that use it,
    and serve until Ctrl-C: the three ``fake`` commands differ only in what they start."""
    try:
        server = start()
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    click.echo(f"{name} fake listening on {server.url}")
    click.echo(f"Use it with: {settings_line(server)}")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")


def _listen_options(port: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--host`` and ``--port`` (default *port*) of a ``fake`` command."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--port", default=port, show_default=True, type=click.IntRange(0, 65535)
        )(command)
        return click.option(
            "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
        )(command)

    return decorate


#: ``--slow-seconds`` of a ``fake`` command (how long its ``slow`` magic and faults wait)
_slow_seconds = click.option(
    "--slow-seconds", type=click.FloatRange(min=0), default=None, help="How long 'slow' waits."
)


@fake.command("recplus")
@_listen_options(8766)
@_slow_seconds
def fake_recplus(host: str, port: int, slow_seconds: float | None) -> None:
    """A REC+ site's orders API on loopback (Full API login api / api-pass)."""
    from ..integrations.recplus.fake import (  # type: ignore[import-not-found]  # mapped: see cli/checkout.py
        FakeConfig,
        RecPlusFakeServer,
    )

    config = FakeConfig() if slow_seconds is None else FakeConfig(slow_seconds=slow_seconds)
    _serve_fake(
        "REC+",
        host,
        port,
        lambda: RecPlusFakeServer(host, port, config, log_requests=True),
        lambda server: (
            f"{SOURCE_SETTING}=recplus DIVIDEBUY_RECPLUS_BASE_URL={server.api_url} "
            "DIVIDEBUY_RECPLUS_API_USER=api DIVIDEBUY_RECPLUS_API_PASS=api-pass"
        ),
    )


@fake.command("diseller")
@_listen_options(8767)
@_slow_seconds
def fake_diseller(host: str, port: int, slow_seconds: float | None) -> None:
    """DiSeller's API on loopback (API key test-api-key, Starter plan: 1,000 requests/hour)."""
    from ..integrations.diseller.fake import (  # type: ignore[import-not-found]  # mapped: see cli/checkout.py
        DiSellerFakeConfig,
        DiSellerFakeServer,
    )

    config = (
        DiSellerFakeConfig()
        if slow_seconds is None
        else DiSellerFakeConfig(slow_seconds=slow_seconds)
    )
    _serve_fake(
        "DiSeller",
        host,
        port,
        lambda: DiSellerFakeServer(host, port, config, log_requests=True),
        lambda server: (
            f"{SOURCE_SETTING}=diseller DIVIDEBUY_DISELLER_BASE_URL={server.api_url} "
            "DIVIDEBUY_DISELLER_API_KEY=test-api-key"
        ),
    )


@fake.command("divendo")
@_listen_options(8768)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=None,
    help="Simultaneous connections per account before the throttling error (default 5).",
)
@_slow_seconds
def fake_divendo(
    host: str, port: int, max_connections: int | None, slow_seconds: float | None
) -> None:
    """Divendo's API on loopback (OAuth client divendo-client; 5 connections per account)."""
    from ..integrations.divendo.fake import (  # type: ignore[import-not-found]  # mapped: see cli/checkout.py
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DivendoFakeConfig,
        DivendoFakeServer,
    )

    changes: dict[str, Any] = {}
    if max_connections is not None:
        changes["max_connections"] = max_connections
    if slow_seconds is not None:
        changes["slow_seconds"] = slow_seconds
    _serve_fake(
        "Divendo",
        host,
        port,
        lambda: DivendoFakeServer(host, port, DivendoFakeConfig(**changes), log_requests=True),
        lambda server: (
            f"{SOURCE_SETTING}=divendo DIVIDEBUY_DIVENDO_BASE_URL={server.url} "
            f"DIVIDEBUY_DIVENDO_CLIENT_ID={DEFAULT_CLIENT_ID} "
            f"DIVIDEBUY_DIVENDO_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}"
        ),
    )


@click.group()
def order() -> None:
    """Orders as the shop's platform holds them."""


@order.command("show")
@click.option(
    "--source", "source_name", help=f"recplus or module:object (default: {SOURCE_SETTING})."
)
@click.argument("order_id")
@click.option("--raw", is_flag=True, help="Add the platform's JSON (personal values masked).")
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
def order_show(source_name: str | None, order_id: str, raw: bool, json_output: bool) -> None:
    """Show ORDER_ID mapped for DivideBuy: the order, the mapping notes, the quote's order block."""
    name, source = _source(source_name)
    try:
        result = _show(source, order_id, raw=raw)
    except OrderSourceUnavailable as exc:
        raise click.ClickException(exc.detail or exc.message) from None
    except OrderNotFinanceable as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        raise click.ClickException(
            f"Order {order_id} cannot be financed: {exc.reason}{detail}"
        ) from None
    finally:
        _close(source)
    if result is None:
        raise click.UsageError(f"Order {order_id!r} was not found at {name}.")
    if isinstance(result, str):
        raise click.ClickException(f"Order {order_id} may not be paid with DivideBuy: {result}.")
    if json_output:
        emit_json(result)
        return
    view = result["order"]
    lines = view.pop("lines")
    emit_fields({k: v for k, v in view.items() if k != "customer"})
    click.echo("customer:")
    emit_fields(view["customer"])
    click.echo("lines:")
    for line in lines:
        click.echo(
            f"  {line['quantity']} x {line['name']} @ {line['unit_price_including_vat']}"
            f" (sku {line['sku'] or '-'})"
        )
    click.echo("notes:")
    for note in result["notes"] or ["(none)"]:
        click.echo(f"  {note}")
    click.echo("order block sent to DivideBuy:")
    emit_json(result["quote_order"])
    if raw:
        click.echo("raw (personal values masked):")
        emit_json(result["raw"])


def _show(source: OrderSource, order_id: str, *, raw: bool) -> dict[str, Any] | str | None:
    """The ``order show`` result; a string says why the order is not payable; None: not found."""
    from ..integrations.recplus.mapping import mask_personal  # type: ignore[import-not-found]  # mapped

    notes: tuple[str, ...] = ()
    body: Mapping[str, Any] | None = None
    mapper, fetch = getattr(source, "map", None), getattr(source, "fetch", None)
    if callable(mapper) and callable(fetch):  # a platform adapter: REC+, Divendo …
        if raw:
            body = fetch(order_id)
        reason: str | None  # typed here: mypy on the source tree sees integrations as Any
        mapped, reason = mapper(order_id)
        if reason is not None:
            return reason
        if mapped is None:
            return None
        found: Order | None = mapped.order
        notes = mapped.notes
    else:
        found = source.get_order(order_id)
    if found is None:
        return None
    result: dict[str, Any] = {
        "order": _order_view(found),
        "notes": list(notes),
        "quote_order": _order_block(found),
    }
    if raw:
        mask = getattr(source, "mask_personal", mask_personal)  # the platform's own masking
        result["raw"] = mask(body) if body is not None else None
    return result


@click.group()
def platform() -> None:
    """The shop's platform: check the connection, poll its orders."""


@platform.command("check")
@click.option("--source", "source_name", help=f"recplus (default: {SOURCE_SETTING}).")
def platform_check(source_name: str | None) -> None:
    """Can the configured credentials read orders? (401 and 403 explained.)"""
    name, source = _source(source_name)
    try:
        check = getattr(source, "check", None)
        if not callable(check):
            raise click.UsageError(f"The order source {name!r} has no platform check.")
        result = check()
    finally:
        _close(source)
    if not result.ok:
        raise click.ClickException(result.message)
    click.echo(result.message)


platform.add_command(poll_command)  # `platform poll`: cli/poll.py

commands = [fake, order, platform]
