"""``platform poll``: read the platform's orders that DivideBuy financed and act on them.

For platforms that do not tell us when an order ships or is refunded (Divendo), and as a
fallback for lost webhooks (REC+): ``dividebuy-checkout platform poll --source divendo``
(``flask dividebuy platform poll`` in the shop) reads each order whose DivideBuy checkout is
not yet settled or fully refunded, records the settlements and refunds its state asks for in
the platform inbox (the one webhooks use: each action once) and processes them. Put it in cron
every 15 minutes, on as many hosts as you like: orders are claimed, so each is read once per
round (:mod:`dividebuy_checkout.integrations.polling`).

Exit status: 0 every due order was read; 1 some could not be read (or the run stopped early:
the platform down or refusing the credentials); 2 bad arguments or settings (nothing read,
nothing changed). Rows whose DivideBuy call failed are retried by ``events process``.
"""

from __future__ import annotations

from typing import Any

import click

from ..backoffice import BackOfficeService
from ..config import ConfigurationError
from .errors import EXIT_API_FAILURE, EXIT_USAGE, CliError
from .output import emit, emit_fields
from .runtime import Runtime, listener_option, pass_runtime

__all__ = ["poll_command", "run_poll"]

SOURCE_SETTING = "DIVIDEBUY_ORDER_SOURCE"


def _config(runtime: Runtime) -> dict[str, Any]:
    """``DIVIDEBUY_*`` settings: the command's environment, overlaid by the Flask app's."""
    config: dict[str, Any] = {
        k: v for k, v in runtime.environ.items() if k.startswith("DIVIDEBUY_")
    }
    if runtime.state is not None:
        from flask import current_app

        config.update(
            {k: v for k, v in current_app.config.items() if str(k).startswith("DIVIDEBUY_")}
        )
    return config


def _services(runtime: Runtime) -> tuple[Any, Any]:
    """The inbox and the event processor: the app's under Flask, else built from settings."""
    from ..integrations.events import EventProcessor  # type: ignore[import-not-found]  # mapped
    from ..store.inbox import PlatformInbox

    if runtime.state is not None:
        from flask import current_app

        from ..flask.webhooks import platform_services

        services = platform_services(current_app)
        return services.inbox, services.processor
    inbox = PlatformInbox(runtime.store.engine)
    office = runtime.service(
        "backoffice", lambda rt: BackOfficeService(rt.client, rt.store, notify=rt.notify)
    )
    return inbox, EventProcessor(inbox, office, notify=runtime.notify)


def run_poll(
    runtime: Runtime,
    source_name: str | None = None,
    *,
    limit: int = 200,
    since_days: int = 90,
    claims: Any = None,
) -> Any:
    """One poll with *runtime*'s settings, store and services (the command; the demo's loop).

    The platform and its settings are checked before the database is opened, so a bad
    argument changes nothing (:class:`CliError`, exit status 2). Returns the
    :class:`~dividebuy_checkout.integrations.polling.PollReport`. *claims*: a
    :class:`~dividebuy_checkout.store.claims.WorkClaims` (default: the store's, 30 s quiet).
    """
    from ..integrations.polling import build_poller, poll  # type: ignore[import-not-found]

    config = _config(runtime)
    chosen = (source_name or str(config.get(SOURCE_SETTING) or "")).strip()
    if not chosen:
        raise CliError(f"Give --source divendo (or set {SOURCE_SETTING}).", EXIT_USAGE)
    own = runtime.state.order_source if runtime.state is not None else None
    try:
        poller = build_poller(chosen, config, own)
    except ConfigurationError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    try:
        inbox, processor = _services(runtime)
        return poll(
            poller.name,
            poller.source,
            poller.derive,
            runtime.store,
            inbox,
            processor,
            limit=limit,
            since_days=since_days,
            refunds=poller.refunds,
            claims=claims,
        )
    finally:
        poller.close()


@click.command("poll")
@click.option(
    "--source",
    "source_name",
    default=None,
    help=f"divendo or recplus (default: {SOURCE_SETTING}).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=200,
    show_default=True,
    help="Read at most this many orders in this run.",
)
@click.option(
    "--since-days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Only checkouts created in the last D days.",
)
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@listener_option
@pass_runtime
def poll_command(
    runtime: Runtime, source_name: str | None, limit: int, since_days: int, json_output: bool
) -> None:
    """Read due orders from the platform; settle and refund what they say (cron, any hosts)."""
    report = run_poll(runtime, source_name, limit=limit, since_days=since_days)
    result = report.to_dict()
    if json_output:
        emit(result, json_output=True)
    else:
        emit_fields(
            {
                "platform": report.platform,
                "orders due": report.due,
                "orders read": report.read,
                "events recorded": report.recorded,
                "already recorded": report.duplicates,
                "processed": ", ".join(f"{n} {s}" for s, n in sorted(report.outcomes.items()))
                or "0",
                "not found at the platform": ", ".join(report.missing) or "none",
                "failed": len(report.failed),
            }
        )
        for order_id, reason in report.failed:
            click.echo(f"  order {order_id}: {reason}")
    if not report.ok:
        why = report.stopped or f"{len(report.failed)} order(s) could not be read"
        raise CliError(f"Poll incomplete: {why}; the next run tries again.", EXIT_API_FAILURE)
