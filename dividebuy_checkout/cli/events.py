"""``events list|process|retry|purge``: the shop-platform inbox and status write-back.

Platform events (a REC+ webhook saying an order was dispatched or refunded) are
recorded once in the inbox and processed at once; ``events process`` (run it
from cron, on as many hosts as you like: rows are claimed, so each is done once)
retries what failed, settles what was waiting for a pending checkout, and sends
status write-backs that did not go through. ``events retry ID`` puts a failed,
deferred or rejected row back in the queue; a refund whose outcome is unknown is
never resent (``needs_operator``: check the DivideBuy portal, then
``refund-confirm``). ``events purge`` deletes finished rows older than
``--older-than`` days (keep them longer than any platform redelivers).

Exit status: 0 nothing is left to do; 1 failed or deferred rows remain (or a
retry was refused); 2 usage errors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from ..backoffice import BackOfficeService
from ..config import ConfigurationError
from ..store.inbox import EventStatus, PlatformInbox, WriteStatus
from .errors import EXIT_USAGE, CliError
from .output import emit, emit_table
from .runtime import Runtime, listener_option, pass_runtime

__all__ = ["commands", "events"]

json_option = click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")


class _Platform:
    """The inbox, the processor and the write-back this command works with."""

    def __init__(self, runtime: Runtime) -> None:
        from ..integrations import build_webhooks  # type: ignore[import-not-found]  # mapped
        from ..integrations.events import EventProcessor  # type: ignore[import-not-found]
        from ..integrations.writeback import StatusWriteBack  # type: ignore[import-not-found]

        if runtime.state is not None:
            from flask import current_app

            from ..flask.webhooks import platform_services

            services = platform_services(current_app)
            self.inbox: PlatformInbox = services.inbox
            self.processor: Any = services.processor
            self.writeback: Any = services.writeback
            return
        self.inbox = PlatformInbox(runtime.store.engine)
        office = runtime.service(
            "backoffice", lambda rt: BackOfficeService(rt.client, rt.store, notify=rt.notify)
        )
        self.processor = EventProcessor(self.inbox, office, notify=runtime.notify)
        config = {k: v for k, v in runtime.environ.items() if k.startswith("DIVIDEBUY_")}
        try:
            hooks = build_webhooks(config, None)
        except ConfigurationError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        self.writeback = StatusWriteBack(hooks, self.inbox, immediate=False) if hooks else None


@click.group()
def events() -> None:
    """Shop-platform events (webhooks) and status write-backs."""


@events.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in EventStatus]),
    help="Only rows in this status (repeatable).",
)
@click.option("--order", "order_id", default=None, help="Only this order's rows.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--writes", is_flag=True, help="List the status write-backs instead.")
@json_option
@pass_runtime
def list_events(
    runtime: Runtime,
    statuses: tuple[str, ...],
    order_id: str | None,
    limit: int,
    writes: bool,
    json_output: bool,
) -> None:
    """The newest inbox rows (or write-backs with --writes)."""
    inbox = PlatformInbox(runtime.store.engine)
    if writes:
        rows = [w.to_dict() for w in inbox.writes(order_id=order_id, limit=limit)]
        columns = ["id", "platform", "order_id", "trigger", "value", "status", "attempts"]
    else:
        chosen = [EventStatus(s) for s in statuses] or None
        rows = [e.to_dict() for e in inbox.events(chosen, order_id=order_id, limit=limit)]
        columns = ["id", "platform", "order_id", "kind", "status", "attempts", "note"]
    if json_output:
        emit(rows, json_output=True)
    else:
        emit_table(rows, columns)


@events.command("process")
@click.option("--platform", default=None, help="Only this platform's rows.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@json_option
@listener_option
@pass_runtime
def process(runtime: Runtime, platform: str | None, limit: int, json_output: bool) -> None:
    """Process due events and send due status write-backs (safe on many hosts at once)."""
    work = _Platform(runtime)
    run = work.processor.process_due(limit=limit, platform=platform)
    writes = work.writeback.process_due(limit=limit) if work.writeback is not None else None
    waiting = work.inbox.events([EventStatus.FAILED, EventStatus.DEFERRED], platform=platform)
    failed_writes = work.inbox.writes([WriteStatus.FAILED], platform=platform)
    result = {
        "events": run.to_dict(),
        "writes": writes.to_dict() if writes is not None else {},
        "waiting": len(waiting),
        "writes_waiting": len(failed_writes),
    }
    emit(result, json_output=json_output)
    if waiting or failed_writes:
        raise CliError(
            f"{len(waiting)} event(s) and {len(failed_writes)} write-back(s) are waiting to be "
            "tried again: run events process later.",
            1,
        )


@events.command("retry")
@click.argument("event_id", type=int)
@json_option
@pass_runtime
def retry(runtime: Runtime, event_id: int, json_output: bool) -> None:
    """Put inbox row EVENT_ID back in the queue (failed, deferred or rejected rows only)."""
    inbox = PlatformInbox(runtime.store.engine)
    entry = inbox.event(event_id)
    if entry is None:
        raise CliError(f"There is no platform event {event_id}.", EXIT_USAGE)
    if entry.status is EventStatus.NEEDS_OPERATOR:
        raise CliError(
            f"Event {event_id} is a refund whose outcome is unknown: it is never sent again. "
            f"Check the DivideBuy portal, then run refund-confirm {entry.refund_id} "
            "--succeeded (or --failed).",
        )
    again = inbox.retry_event(event_id)
    if again is None:
        raise CliError(
            f"Event {event_id} is {entry.status.value}: only failed, deferred or "
            "rejected events can be retried."
        )
    emit(again.to_dict(), json_output=json_output)


@events.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(30, 36500),
    default=90,
    show_default=True,
    help="Days since the row last changed (at least 30: platforms may redeliver).",
)
@json_option
@pass_runtime
def purge(runtime: Runtime, days: int, json_output: bool) -> None:
    """Delete finished rows (done, ignored, rejected) older than --older-than days."""
    inbox = PlatformInbox(runtime.store.engine)
    gone = inbox.purge_events(datetime.now(UTC) - timedelta(days=days))
    emit({"deleted": gone}, json_output=json_output)


commands = [events]
