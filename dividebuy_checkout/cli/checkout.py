"""``reconcile``: bring pending DivideBuy checkouts up to date; ``resolve-hold``: clear a hold.

A main path, not a fallback: a shopper who closes the tab at DivideBuy never
comes back through the return URL, a REFERRED application completes when its
guarantor applies, and a shopper may sign days later. Run it every few minutes
(cron, a scheduler, a worker)::

    flask dividebuy reconcile                     # in a Flask shop: signals fire
    dividebuy-checkout reconcile --order-source myshop.orders:source \
        --listener myshop.events:notify          # told notify("quote_completed", record=…)

Each pending checkout is read with ``GET /quotes/{id}`` and its outcome recorded
exactly as a shopper's return would record it (amount check included), once:
a return racing with it records nothing twice. Exit status 0 when every pending
checkout was checked, 1 when DivideBuy could not be asked about some (they stay
pending and are tried again next run), 2 for bad usage.

``resolve-hold ORDER --release | --refund --reason TEXT`` is the one way out of a
hold (see :mod:`dividebuy_checkout.checkout.holds`): release marks the order paid
(``quote_completed``), refund sends DivideBuy a full refund through the ledger
(``hold_refunded``). Audited with ``--actor`` (default ``cli:<login name>``).
Exit 0 when done, 1 when DivideBuy failed or did not confirm the refund (the
hold stays), 2 when refused before anything was sent.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

import click

from ..backoffice import BackOfficeService, CallFailed, Refused
from ..checkout import CheckoutService, ReconcileReport, resolve_hold
from ..checkout.holds import MAX_ACTOR, MAX_REASON
from ..checkout.lifecycle import service_options

# integrations/ joins this package only when installed (setup.py maps it): mypy run on the
# source tree cannot see it; tests/test_quality.py checks it in the installed layout
from ..integrations import build_order_source  # type: ignore[import-not-found]
from ..orders import OrderSource
from .errors import EXIT_USAGE, CliError
from .output import emit
from .runtime import Runtime, import_object, listener_option, pass_runtime

__all__ = ["commands", "load_order_source", "reconcile", "resolve_hold_command"]


def load_order_source(spec: str, environ: Mapping[str, str] | None = None) -> OrderSource:
    """A platform's name (``recplus``, configured from *environ*) or ``"package.module:name"``
    (the object, called first if it is a factory) → the order source."""
    if ":" not in spec:
        platform: OrderSource = build_order_source(spec, environ or {})
        return platform
    target = import_object(spec, "the order source")
    if not callable(getattr(target, "get_order", None)) and callable(target):
        target = target()
    if not callable(getattr(target, "get_order", None)):
        raise CliError(f"{spec!r} has no get_order(order_id) method.", EXIT_USAGE)
    return cast(OrderSource, target)


def _service(runtime: Runtime, order_source: str | None) -> CheckoutService:
    def standalone(rt: Runtime) -> CheckoutService:
        if rt.state is not None and not order_source:
            raise CliError(
                "This app has no DivideBuy checkout: give DivideBuy(app, order_source=…).",
                EXIT_USAGE,
            )
        spec: str | None = order_source or rt.setting("DIVIDEBUY_ORDER_SOURCE")
        if not spec:
            raise CliError(
                "reconcile compares each completed quote with the order as the shop holds it, "
                "so it needs the shop's order source: run `flask dividebuy reconcile` in the "
                "shop, or give --order-source package.module:name (or DIVIDEBUY_ORDER_SOURCE).",
                EXIT_USAGE,
            )
        source = load_order_source(spec, rt.environ)  # a bad spec is reported before the database
        return CheckoutService(
            rt.client, rt.store, source, notify=rt.notify, **service_options(rt.setting)
        )

    return runtime.service("checkout", standalone)


def _rows(report: ReconcileReport) -> list[dict[str, Any]]:
    rows = [
        {
            "quote_id": after.quote_id,
            "order_id": after.order_id,
            "from": before.status.value,
            "to": after.status.value,
            "note": after.hold_reason or "",
        }
        for before, after in report.changed
    ]
    rows += [
        {
            "quote_id": record.quote_id,
            "order_id": record.order_id,
            "from": record.status.value,
            "to": "(not checked)",
            "note": why,
        }
        for record, why in report.failed
    ]
    return rows


@click.command()
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="MINUTES",
    help="Skip quotes created less than MINUTES ago (the shopper may still be at DivideBuy).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Check at most this many quotes."
)
@click.option(
    "--order-source",
    default=None,
    metavar="MODULE:NAME",
    help="The shop's order source (default: DIVIDEBUY_ORDER_SOURCE; not needed under "
    "`flask dividebuy`).",
)
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@listener_option
@pass_runtime
def reconcile(
    runtime: Runtime,
    older_than: int,
    limit: int | None,
    order_source: str | None,
    json_output: bool,
) -> None:
    """Ask DivideBuy about every pending checkout and record what changed.

    Orders whose shopper never came back are completed (or cancelled, expired,
    put on hold when the amounts no longer match the order) exactly as a return
    would do it, and announced once.
    """
    service = _service(runtime, order_source)
    report = service.reconcile(older_than=timedelta(minutes=older_than), limit=limit)
    rows = _rows(report)
    data = {
        "checked": report.checked,
        "changed": len(report.changed),
        "failed": len(report.failed),
        "checkouts": rows,
    }
    if json_output:
        emit(data, json_output=True)
    else:
        click.echo(
            f"Checked {report.checked} pending checkout(s): {len(report.changed)} changed, "
            f"{len(report.failed)} could not be checked."
        )
        if rows:
            emit(data, json_output=False, table=rows)
    if not report.ok:
        raise CliError(
            f"DivideBuy could not be asked about {len(report.failed)} checkout(s); they stay "
            "pending and are checked again on the next run."
        )


def _default_actor() -> str:
    """Who runs the command, for the audit trail (the login name; ``cli`` if there is none)."""
    try:
        return f"cli:{getpass.getuser()}"[:MAX_ACTOR]
    except (KeyError, OSError):
        return "cli"


@click.command("resolve-hold")
@click.argument("order_id", metavar="ORDER")
@click.option("--release", "action", flag_value="release", help="Accept the finance: paid.")
@click.option("--refund", "action", flag_value="refund", help="Refund the held quote in full.")
@click.option(
    "--reason",
    required=True,
    metavar="TEXT",
    help=f"Why (kept in the audit trail; at most {MAX_REASON} characters).",
)
@click.option("--quote", "quote_id", default=None, help="Which hold, when the order has several.")
@click.option("--actor", default=None, help="Who resolves it (default: cli:<login name>).")
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@listener_option
@pass_runtime
def resolve_hold_command(
    runtime: Runtime,
    order_id: str,
    action: str | None,
    reason: str,
    quote_id: str | None,
    actor: str | None,
    json_output: bool,
) -> None:
    """Resolve an order's DivideBuy hold: --release (paid) or --refund (money back), audited.

    A hold is never cleared any other way. Release makes the held checkout the
    order's paid one; refund asks DivideBuy for a full refund through the ledger
    and, once it is confirmed, records the checkout as refunded.
    """
    if action not in ("release", "refund"):
        raise CliError("Say what to do: --release or --refund.", EXIT_USAGE)
    service = runtime.service(
        "backoffice", lambda rt: BackOfficeService(rt.client, rt.store, notify=rt.notify)
    )
    try:
        done = resolve_hold(
            service,
            order_id,
            action="release" if action == "release" else "refund",
            reason=reason,
            actor=actor or _default_actor(),
            quote_id=quote_id,
        )
    except (Refused, CallFailed) as exc:
        raise CliError(str(exc), EXIT_USAGE if isinstance(exc, Refused) else 1) from None
    if json_output:
        emit(done.to_dict(), json_output=True)
        return
    what = "released: the order is paid" if action == "release" else "refunded in full"
    click.echo(f"Order {done.record.order_id} (quote {done.record.quote_id}) {what}.")


commands = [reconcile, resolve_hold_command]
