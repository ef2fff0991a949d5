"""Back-office commands: ``settle``, ``refund``, ``refund-confirm``, ``orders list|show``.

Exit status (the package's convention, made precise for money moves):

- **0**: everything asked for is done (every order settled now or before; the
  refund confirmed by DivideBuy);
- **1**: DivideBuy failed or did not confirm, *or* some settlement rows were
  not settled (rejected or failed). A CSV run with bad rows still settles the
  good ones, prints one line per row that was not settled and a summary, and
  exits 1 so a script cannot mistake a partial run for a complete one; running
  it again after fixing the rows is safe (settled rows are skipped, no call);
- **2**: bad usage or input refused before anything was sent: an unreadable
  CSV or one without its header, a future ``--delivered`` date, a refund
  above what is left, a refund blocked by an unknown one, an unknown order.

The same commands run as ``flask dividebuy …`` with the app's own service.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import click

from ..backoffice import (
    BackOfficeService,
    CallFailed,
    CsvFormatError,
    OrderStatus,
    RefundNotRecorded,
    Refused,
    SettlementOutcome,
    SettlementReport,
    SettleRow,
    read_settlement_csv,
)
from ..backoffice.reports import SettlementResult, refund_dict
from ..money import format_gbp
from ..store import CheckoutStatus, RefundStatus
from .errors import EXIT_USAGE, CliError
from .output import echo, emit, emit_fields, emit_json, emit_table
from .params import DATE, MONEY
from .runtime import Runtime, listener_option, pass_runtime

__all__ = ["commands", "orders", "refund", "refund_confirm", "settle"]

#: a CSV longer than this is reported as it goes, its outcomes not kept (text output only)
STREAM_ABOVE_ROWS = 10_000
#: seconds `refund` waits for a busy database to record DivideBuy's answer before exiting
RECORD_WAIT_SECONDS = 60.0

json_option = click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")


def _service(runtime: Runtime) -> BackOfficeService:
    """The Flask app's service under ``flask dividebuy``; otherwise one over the runtime's,
    configured from the registry as the app's is (``DIVIDEBUY_SETTLEMENT_CHUNK_SIZE``)."""
    return runtime.service(
        "backoffice",
        lambda rt: BackOfficeService(
            rt.client,
            rt.store,
            chunk_size=rt.setting("DIVIDEBUY_SETTLEMENT_CHUNK_SIZE"),
            notify=rt.notify,
        ),
    )


def _refusal(exc: Refused | CallFailed) -> CliError:
    return CliError(str(exc), EXIT_USAGE if isinstance(exc, Refused) else 1)


# -- settle ---------------------------------------------------------------------------------


@click.command()
@click.argument("order_ids", metavar="[ORDER]...", nargs=-1)
@click.option(
    "--delivered",
    type=DATE,
    default=None,
    help="Delivery date (YYYY-MM-DD). Default: today. With --csv: for rows with no date.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="A CSV file with columns order_id,delivered_on (one order per row).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    help="Orders per DivideBuy request (default: DIVIDEBUY_SETTLEMENT_CHUNK_SIZE, else 100).",
)
@json_option
@listener_option
@pass_runtime
def settle(
    runtime: Runtime,
    order_ids: tuple[str, ...],
    delivered: date | None,
    csv_path: str | None,
    chunk_size: int | None,
    json_output: bool,
) -> None:
    """Tell DivideBuy orders were delivered, so the retailer gets paid.

    Give ORDER ids (the shop's), or --csv FILE. Orders already settled with the
    same date are skipped without a call; rows that cannot be settled are listed
    with the reason, and the exit status is 1 if there are any.
    """
    if bool(order_ids) == bool(csv_path):
        raise CliError("Give either ORDER ids or --csv FILE (not both, not neither).", EXIT_USAGE)
    service = _service(runtime)
    today = service.today()
    if delivered is not None and delivered > today:
        raise CliError(
            f"--delivered {delivered} is in the future (today is {today}): settle an order "
            "once it has been delivered.",
            EXIT_USAGE,
        )
    if csv_path is not None:
        report = _settle_csv(service, csv_path, delivered, chunk_size, json_output)
    else:
        report = service.settle_rows(
            (SettleRow(order_id, delivered or today) for order_id in order_ids),
            chunk_size=chunk_size,
        )
    _print_report(report, json_output)
    if not report.ok:
        rejected, failed = SettlementResult.REJECTED, SettlementResult.FAILED
        not_settled = report.count(rejected) + report.count(failed)
        what = "failed at DivideBuy" if report.failed else "were refused"
        raise CliError(
            f"{not_settled} of {report.rows} orders were not settled (some {what}); "
            "fix them and run again: orders already settled are skipped."
        )


def _settle_csv(
    service: BackOfficeService,
    path: str,
    default_date: date | None,
    chunk_size: int | None,
    json_output: bool,
) -> SettlementReport:
    # A first pass counts the rows for the progress bar and proves the whole file
    # is readable text before a single order is sent.
    try:
        with open(path, encoding="utf-8-sig", newline="") as counting:
            total = max(sum(1 for _ in counting) - 1, 0)
    except UnicodeDecodeError:
        raise CliError(
            f"{path} is not UTF-8 text: save it as 'CSV UTF-8'. Nothing was sent.", EXIT_USAGE
        ) from None
    with open(path, encoding="utf-8-sig", newline="") as stream:
        try:
            rows = read_settlement_csv(stream, default_date=default_date)
            first = next(rows, None)
        except CsvFormatError as exc:
            raise CliError(f"{path}: {exc} Nothing was sent.", EXIT_USAGE) from None
        # A long file is reported as it goes (problem lines printed at once, counts
        # kept), so memory stays flat however many rows are bad; --json needs them all.
        report = (
            SettlementReport(keep=False, listener=_print_problem)
            if total > STREAM_ABOVE_ROWS and not json_output
            else SettlementReport()
        )
        # stderr, so `--json > report.json` stays clean
        with click.progressbar(length=total, label="Settling", file=sys.stderr) as bar:
            return service.settle_rows(
                _prepend(first, rows), progress=bar.update, chunk_size=chunk_size, report=report
            )


def _print_problem(o: SettlementOutcome) -> None:
    if o.outcome not in (SettlementResult.REJECTED, SettlementResult.FAILED):
        return
    where = f"line {o.line}: " if o.line is not None else ""
    echo(f"{where}{o.order_id or '(no order id)'}: {o.outcome.value}: {o.reason}")


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest


def _print_report(report: SettlementReport, json_output: bool) -> None:
    if json_output:
        emit_json(report.to_dict())
        return
    problems = sorted(
        report.of(SettlementResult.REJECTED) + report.of(SettlementResult.FAILED),
        key=lambda o: (o.line is None, o.line or 0),
    )
    for o in problems:
        _print_problem(o)
    summary = report.summary()
    click.echo(
        f"{summary['settled']} settled, {summary['already_settled']} already settled, "
        f"{summary['rejected']} rejected, {summary['failed']} failed "
        f"({summary['rows']} orders, {report.requests} DivideBuy requests)."
    )


# -- refunds --------------------------------------------------------------------------------


@click.command()
@click.argument("order_id", metavar="ORDER")
@click.option("--amount", type=MONEY, default=None, help="Pounds to refund. Default: all left.")
@json_option
@listener_option
@pass_runtime
def refund(runtime: Runtime, order_id: str, amount: Decimal | None, json_output: bool) -> None:
    """Refund part of an order (--amount) or everything that is left on it.

    Refused before any call when the amount is more than is left, or while an
    earlier refund on the order has an unknown outcome (see refund-confirm).
    """
    service = _service(runtime)
    try:
        entry = service.refund(order_id, amount)
    except (Refused, CallFailed) as exc:
        raise _refusal(exc) from None
    except RefundNotRecorded as exc:
        # This process ends soon: wait for the background write rather than leave it.
        if not service.recorder.wait(RECORD_WAIT_SECONDS):
            raise CliError(str(exc)) from None
        recorded = service.ledger.refund(exc.entry.id)
        if recorded is None or recorded.status is not RefundStatus.SUCCEEDED:
            raise CliError(str(exc)) from None
        entry = recorded
    if json_output:
        emit_json({"refund": refund_dict(entry)})
        return
    click.echo(
        f"Refunded {format_gbp(entry.amount)} on order {entry.order_id} "
        f"(ledger #{entry.id}, DivideBuy refund {entry.dividebuy_refund_id}, "
        f"{entry.refund_type})."
    )


@click.command("refund-confirm")
@click.argument("refund_id", type=click.IntRange(min=1))
@click.option(
    "--succeeded/--failed",
    "succeeded",
    default=None,
    help="What DivideBuy's retailer portal shows for this refund.",
)
@click.option("--dividebuy-refund-id", default=None, help="DivideBuy's id of the refund, if seen.")
@click.option("--note", default=None, help="Who checked, and where (kept in the ledger).")
@json_option
@listener_option
@pass_runtime
def refund_confirm(
    runtime: Runtime,
    refund_id: int,
    succeeded: bool | None,
    dividebuy_refund_id: str | None,
    note: str | None,
    json_output: bool,
) -> None:
    """Record what an unknown refund turned out to be, after checking DivideBuy.

    --succeeded: the refund is in DivideBuy's portal, so it counts as refunded.
    --failed: it is not there, so its amount can be refunded again.
    Either unblocks refunds on the order.
    """
    if succeeded is None:
        raise CliError("Say what DivideBuy shows: --succeeded or --failed.", EXIT_USAGE)
    service = _service(runtime)
    try:
        entry = service.confirm_refund(
            refund_id, succeeded, dividebuy_refund_id=dividebuy_refund_id, note=note
        )
    except (Refused, CallFailed) as exc:
        raise _refusal(exc) from None
    if json_output:
        emit_json({"refund": refund_dict(entry)})
        return
    verdict = "refunded" if succeeded else "not refunded (the amount is available again)"
    click.echo(
        f"Refund #{entry.id} of {format_gbp(entry.amount)} on order {entry.order_id} recorded "
        f"as {verdict}."
    )


# -- orders ---------------------------------------------------------------------------------


@click.group()
def orders() -> None:
    """Finance orders: checkout status, settlement and refunds."""


@orders.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in CheckoutStatus]),
    help="Only orders whose checkout has this status (repeatable).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
@pass_runtime
def orders_list(runtime: Runtime, statuses: tuple[str, ...], limit: int, json_output: bool) -> None:
    """List finance orders, newest first."""
    service = _service(runtime)
    found = service.list_orders([CheckoutStatus(s) for s in statuses] or None, limit=limit)
    data = [o.to_dict() for o in found]
    for item in data:
        item.pop("refunds")
    emit(data, json_output=json_output, table=[_list_row(o) for o in found])


def _list_row(o: OrderStatus) -> dict[str, Any]:
    return {
        "order": o.order_id,
        "ref": o.record.order_ref,
        "finance": o.finance_status,
        "credit": format_gbp(o.record.credit_amount),
        "refunded": format_gbp(o.balance.refunded),
        "refundable": format_gbp(o.refundable),
        "delivered": o.settlement.delivered_on if o.settlement else None,
        "created": o.record.created_at.date(),
    }


@orders.command("show")
@click.argument("order_id", metavar="ORDER")
@json_option
@pass_runtime
def orders_show(runtime: Runtime, order_id: str, json_output: bool) -> None:
    """Show an order's checkout, settlement and refunds."""
    service = _service(runtime)
    try:
        status = service.order_status(order_id)
    except Refused as exc:
        raise _refusal(exc) from None
    if json_output:
        emit_json(status.to_dict())
        return
    record = status.record
    settlement = status.settlement
    emit_fields(
        {
            "order": record.order_id,
            "reference": record.order_ref,
            "finance status": status.finance_status,
            "checkout": record.status.value,
            "quote": record.quote_id,
            "DivideBuy order": record.dividebuy_order_id,
            "order total": format_gbp(record.amount),
            "credit": format_gbp(record.credit_amount),
            "settlement": (
                f"{settlement.status.value}, delivered {settlement.delivered_on}"
                if settlement
                else "not settled"
            ),
            "refunded": format_gbp(status.balance.refunded),
            "in flight/unknown": format_gbp(status.balance.held),
            "refundable": format_gbp(status.refundable),
        }
    )
    if status.balance.unknown_ids:
        ids = ", ".join(str(i) for i in status.balance.unknown_ids)
        click.echo(
            f"Refunds are blocked: refund {ids} has an unknown outcome. Check DivideBuy's "
            "retailer portal, then run `dividebuy-checkout refund-confirm ID --succeeded` "
            "(or --failed).",
            err=True,
        )
    if status.refunds:
        click.echo("")
        emit_table(
            [
                {
                    "refund": r.id,
                    "amount": format_gbp(r.amount),
                    "status": r.status.value,
                    "DivideBuy id": r.dividebuy_refund_id,
                    "type": r.refund_type,
                    "at": r.created_at.strftime("%Y-%m-%d %H:%M"),
                }
                for r in status.refunds
            ]
        )


commands = [settle, refund, refund_confirm, orders]
