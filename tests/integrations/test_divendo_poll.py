"""Divendo polling (ADAPTERS.md §4.3, DV-T6): the pure derivation on dict orders, then the
poll over real loopback HTTP (the fake Divendo and the real DivideBuy sandbox)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from dividebuy_checkout.integrations.divendo import DivendoConfig
from dividebuy_checkout.integrations.divendo.fake import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DivendoFakeServer,
)
from dividebuy_checkout.integrations.divendo.poll import events_from_order, uk_date
from dividebuy_checkout.integrations.errors import MappingError
from dividebuy_checkout.integrations.events import EventKind, EventProcessor
from dividebuy_checkout.integrations.polling import PollReport, build_poller, poll
from support import ANSWERS, csrf_token, eventually, press_at_dividebuy, running_demo

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.backoffice import BackOfficeService
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.settings import Settings as DivideBuySettings
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus, SqlStore
from dividebuy_checkout.store.claims import WorkClaims
from dividebuy_checkout.store.inbox import EventStatus, PlatformInbox
from dividebuy_checkout.tokens import MemoryTokenStore

UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Settings:
    """The four settings the derivation reads, as DivendoConfig carries them."""

    settle_on_shippingdate: bool = True
    settle_statuses: frozenset[str] = frozenset()
    refund_statuses: frozenset[str] = frozenset()
    refund_cancelled_lines: bool = True
    order_shape: dict[str, str] = field(default_factory=dict)


ORDER = """{
  "id": "5668f38d46fc510c6c0d4705",
  "ordernumber": "159949",
  "created": "2026-06-10T03:37:49.745+00:00",
  "modified": "2026-06-12T23:10:00.0060207+00:00",
  "currency": "GBP",
  "status": {"id": "56409ed246fc580098b28604", "name": "In Progress"},
  "lines": [
    {"id": "line-1", "sku": "SOFA", "name": "Sofa", "quantity": 1, "unitprice": 1299.00,
     "unitsalediscount": 0, "unittax": 216.50, "subtotal": 1299.00, "cancellation": null},
    {"id": "line-2", "sku": "LAMP", "name": "Lamp", "quantity": 2, "unitprice": 49.50,
     "unitsalediscount": 0, "unittax": 8.25, "subtotal": 99.00, "cancellation": null}
  ],
  "shipping": {"service": "Standard Delivery", "cost": 0, "shippingdate": null},
  "discount": 0,
  "total": 1398.00
}"""


def order(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = loads(ORDER)  # Decimals, as the source reads them
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return body


def keys(events: list[Any]) -> list[str]:
    return [e.key for e in events]


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-01T23:30:00+00:00", date(2026, 7, 2)),  # BST: 00:30 on the 2nd in the UK
        ("2026-01-15T23:30:00+00:00", date(2026, 1, 15)),  # GMT: still the 15th
        ("2018-03-29T21:09:37.0060207+01:00", date(2018, 3, 29)),  # seven fractional digits
        ("2026-07-01T22:59:59.9999999Z", date(2026, 7, 1)),
        ("2026-07-01", date(2026, 7, 1)),
        ("2026-07-01T23:30:00", date(2026, 7, 1)),  # no offset: read as UK local time
    ],
)
def test_dates_are_the_uk_calendar_day(value: str, expected: date):
    assert uk_date(value, "shipping.shippingdate") == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", 20260701, None])
def test_an_unreadable_date_names_the_field(value: Any):
    with pytest.raises(MappingError, match=r"shipping\.shippingdate"):
        uk_date(value, "shipping.shippingdate")


# -- settle --------------------------------------------------------------------------------------


def test_a_shipping_date_settles_on_its_uk_day():
    events = events_from_order(
        order(shipping__shippingdate="2026-06-20T23:30:00+00:00"), Settings()
    )

    assert len(events) == 1
    settle = events[0]
    assert settle.kind is EventKind.SETTLE
    assert settle.key == "settle:5668f38d46fc510c6c0d4705"
    assert settle.order_id == "5668f38d46fc510c6c0d4705"
    assert settle.delivered_on == date(2026, 6, 21)
    assert settle.platform == "divendo"


def test_nothing_shipped_nothing_configured_derives_nothing():
    assert events_from_order(order(), Settings()) == []
    assert events_from_order(order(shipping__shippingdate=""), Settings()) == []


def test_a_settle_status_settles_on_the_uk_day_of_modified():
    raw = order(status={"id": "x", "name": "Complete"})

    assert events_from_order(raw, Settings()) == []
    events = events_from_order(raw, Settings(settle_statuses=frozenset({"complete"})))

    assert keys(events) == ["settle:5668f38d46fc510c6c0d4705"]
    assert events[0].delivered_on == date(2026, 6, 13)  # 23:10 UTC in June is the 13th in the UK


def test_the_shipping_date_wins_over_a_settle_status():
    raw = order(
        status={"id": "x", "name": "Complete"}, shipping__shippingdate="2026-06-11T09:00:00+01:00"
    )

    events = events_from_order(raw, Settings(settle_statuses=frozenset({"Complete"})))

    assert [(e.key, e.delivered_on) for e in events] == [
        ("settle:5668f38d46fc510c6c0d4705", date(2026, 6, 11))
    ]


def test_settling_on_the_shipping_date_can_be_turned_off():
    raw = order(shipping__shippingdate="2026-06-11T09:00:00+01:00")

    assert events_from_order(raw, Settings(settle_on_shippingdate=False)) == []


def test_an_unreadable_shipping_date_is_refused_not_guessed():
    with pytest.raises(MappingError, match="shippingdate"):
        events_from_order(order(shipping__shippingdate="next Tuesday"), Settings())


# -- refunds -------------------------------------------------------------------------------------


def test_a_cancelled_line_refunds_its_subtotal():
    raw = order(lines__1__cancellation={"reason": "out of stock"})

    events = events_from_order(raw, Settings())

    assert len(events) == 1
    refund = events[0]
    assert refund.kind is EventKind.REFUND
    assert refund.key == "refund-line:5668f38d46fc510c6c0d4705:line-2"
    assert refund.amount == Decimal("99.00")
    assert refund.platform_ref == "line-2"


def test_cancelled_lines_are_ignored_unless_configured():
    raw = order(lines__1__cancellation={"reason": "out of stock"})

    assert events_from_order(raw, Settings(refund_cancelled_lines=False)) == []


def test_a_refund_status_refunds_all_that_is_left_after_the_lines():
    raw = order(
        status={"id": "r", "name": "Refunded"},
        lines__1__cancellation={"at": "2026-06-12"},
        shipping__shippingdate="2026-06-11",
    )

    events = events_from_order(raw, Settings(refund_statuses=frozenset({"Refunded"})))

    assert keys(events) == [
        "settle:5668f38d46fc510c6c0d4705",
        "refund-line:5668f38d46fc510c6c0d4705:line-2",
        "refund-full:5668f38d46fc510c6c0d4705",
    ]
    assert events[2].amount is None  # all that is left


def test_the_shops_order_shape_moves_the_paths_it_shares_with_the_mapping():
    raw = order(lines__1__cancellation={})
    raw["state"] = raw.pop("status")
    raw["lines"][1]["ref"] = raw["lines"][1].pop("id")
    shape = {"status": "state.name", "line_id": "ref"}

    events = events_from_order(
        raw, Settings(refund_statuses=frozenset({"In Progress"}), order_shape=shape)
    )

    assert keys(events) == [
        "refund-line:5668f38d46fc510c6c0d4705:line-2",
        "refund-full:5668f38d46fc510c6c0d4705",
    ]


def test_the_same_state_derives_the_same_keys():
    raw = order(lines__0__cancellation={}, shipping__shippingdate="2026-06-11")

    assert keys(events_from_order(raw, Settings())) == keys(events_from_order(raw, Settings()))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines__1__cancellation": {}, "lines__1__subtotal": 99.5}, "subtotal"),  # a float
        ({"lines__1__cancellation": {}, "lines__1__subtotal": "9.999"}, "subtotal"),
        ({"lines__1__cancellation": {}, "lines__1__id": None}, "without an id"),
        ({"lines": {"line-1": {}}}, "lines"),
        ({"id": ""}, "no id"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_with_the_field(change: dict[str, Any], field: str):
    with pytest.raises(MappingError, match=field):
        events_from_order(order(**change), Settings())


CREDENTIALS = {"DIVIDEBUY_DIVENDO_CLIENT_ID": "poll", "DIVIDEBUY_DIVENDO_CLIENT_SECRET": "s"}


def test_the_shops_settings_drive_the_derivation():
    config = DivendoConfig.from_mapping(
        {
            **CREDENTIALS,
            "DIVIDEBUY_DIVENDO_SETTLE_STATUSES": "Complete",
            "DIVIDEBUY_DIVENDO_REFUND_STATUSES": "Refunded",
            "DIVIDEBUY_DIVENDO_REFUND_CANCELLED_LINES": "false",
        }
    )
    raw = order(status={"id": "x", "name": "Complete"}, lines__1__cancellation={})

    assert keys(events_from_order(raw, config)) == ["settle:5668f38d46fc510c6c0d4705"]
    # by default a cancelled line is refunded (issue 14; DivendoConfig's docstring)
    default = DivendoConfig.from_mapping(CREDENTIALS)
    assert keys(events_from_order(raw, default)) == ["refund-line:5668f38d46fc510c6c0d4705:line-2"]


# == the poll over loopback: the fake Divendo and the real sandbox ===============================

CLIENT_ID, CLIENT_SECRET = DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
BASE_ORDER = "ord-uk-1"
LAMP = {
    "id": "line-lamp",
    "sku": "LMP-1",
    "name": "Brass Lamp",
    "variation": "",
    "quantity": 2,
    "unitprice": Decimal("49.50"),
    "unitsalediscount": Decimal("0"),
    "unittax": Decimal("8.25"),
    "subtotal": Decimal("99.00"),
    "productid": None,
    "variantid": None,
    "cancellation": None,
}
TOTAL = Decimal("1398.00")  # the table (1,299.00) and two lamps (99.00)
RETURN = "https://shop.example/dividebuy/return?ref="


@pytest.fixture(scope="module")
def divendo_fake() -> Iterator[DivendoFakeServer]:
    with DivendoFakeServer() as server:
        yield server


@pytest.fixture
def fake(divendo_fake: DivendoFakeServer) -> Iterator[DivendoFakeServer]:
    divendo_fake.state.reset()
    divendo_fake.state.configure(max_connections=5, latency=0.0)
    yield divendo_fake
    divendo_fake.state.reset()


def divendo_settings(fake: DivendoFakeServer, **extra: Any) -> dict[str, Any]:
    return {
        "DIVIDEBUY_ORDER_SOURCE": "divendo",
        "DIVIDEBUY_DIVENDO_BASE_URL": fake.url,
        "DIVIDEBUY_DIVENDO_CLIENT_ID": CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": CLIENT_SECRET,
        "DIVIDEBUY_DIVENDO_TIMEOUT": 5,
        **extra,
    }


def add_order(fake: DivendoFakeServer, order_id: str) -> str:
    """A two-line GBP order at the fake (ord-uk-1 with two lamps added), as the shop sold it."""
    body = fake.state.get_order(BASE_ORDER)
    assert body is not None
    body["id"] = order_id
    body["lines"].append(dict(LAMP))
    body["total"] = TOTAL
    fake.state.put_order(body)
    return order_id


class Shop:
    """The shop's side: store, inbox, processor and a DivideBuy client on the sandbox."""

    def __init__(
        self, sandbox: SandboxServer, fake: DivendoFakeServer, url: str, **settings: Any
    ) -> None:
        self.sandbox, self.fake, self.url = sandbox, fake, url
        self.settings = divendo_settings(fake, **settings)
        self.store = SqlStore(url)
        self.client = DivideBuyClient(
            settings=DivideBuySettings(
                client_id="divendo-shop",
                client_secret="s",
                environment="local",
                base_url=sandbox.url,
            ),
            token_store=MemoryTokenStore(),
        )
        self.inbox = PlatformInbox(self.store.engine)
        self.processor = EventProcessor(self.inbox, BackOfficeService(self.client, self.store))

    def close(self) -> None:
        self.client.close()
        self.store.engine.dispose()

    def poll(self, **kwargs: Any) -> PollReport:
        """One cron run; by default as the next 15-minute run would be (no quiet period left:
        pass ``claims=WorkClaims(engine)`` for a run started right after another)."""
        kwargs.setdefault("claims", WorkClaims(self.store.engine, quiet=timedelta(0)))
        poller = build_poller("divendo", self.settings, None)
        try:
            return poll(
                "divendo",
                poller.source,
                poller.derive,
                self.store,
                self.inbox,
                self.processor,
                refunds=poller.refunds,
                **kwargs,
            )
        finally:
            poller.close()

    def pending_checkout(self, order_id: str, total: Decimal = TOTAL) -> CheckoutRecord:
        quote = self.client.create_quote(example_quote_for(order_id, total))
        return self.store.add(
            quote_id=quote.id,
            order_id=order_id,
            order_ref=f"REF-{order_id}",
            amount=total,
            credit_amount=total,
            term=12,
            status=CheckoutStatus.PENDING,
            decision=quote.decision,
            checkout_url=quote.checkout_url,
        )

    def complete(self, record: CheckoutRecord) -> CheckoutRecord:
        reply = httpx.post(
            f"{self.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
        )
        reply.raise_for_status()
        moved = self.store.transition(
            record.quote_id,
            CheckoutStatus.COMPLETED,
            source="test",
            dividebuy_order_id=loads(reply.content)["quote"]["order_ref_id"],
        )
        assert moved is not None
        return moved

    def completed_checkout(self, order_id: str, total: Decimal = TOTAL) -> CheckoutRecord:
        return self.complete(self.pending_checkout(order_id, total))

    def sandbox_state(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.sandbox.url}/_sandbox/state", timeout=10)
        reply.raise_for_status()
        state: dict[str, Any] = loads(reply.content)
        return state

    def settlements(self) -> list[tuple[str, str]]:
        state = self.sandbox_state()
        return [(s["retailer_order_id"], s["date_of_delivery"]) for s in state["settlements"]]

    def settle_calls(self) -> int:
        return int(self.sandbox_state()["settle_calls"])

    def refunds(self) -> list[Decimal]:
        return [Decimal(str(r["amount"])) for r in self.sandbox_state()["refunds"]]

    def order_reads(self) -> int:
        return int(self.fake.state.calls.get("ORDER_GET", 0))


@pytest.fixture
def make_shop(
    sandbox: SandboxServer, fake: DivendoFakeServer, database_url: str
) -> Iterator[Callable[..., Shop]]:
    made: list[Shop] = []

    def make(**settings: Any) -> Shop:
        shop = Shop(sandbox, fake, database_url, **settings)
        made.append(shop)
        return shop

    yield make
    for shop in made:
        shop.close()


@pytest.fixture
def shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop()


def uk_today() -> date:
    return datetime.now(UK).date()


def test_a_shipped_order_is_settled_by_one_poll_on_its_uk_date_and_a_second_poll_does_nothing(
    shop: Shop,
) -> None:
    order_id = add_order(shop.fake, "ord-poll-1")
    shop.completed_checkout(order_id)
    today = uk_today()
    # late evening the day before, in a zone one hour behind UTC: today in the UK
    shipped = f"{(today - timedelta(days=1)).isoformat()}T23:30:00.1234567-01:00"
    if datetime.fromisoformat(shipped.replace(".1234567", "")).astimezone(UK).date() != today:
        shipped = f"{today.isoformat()}T00:30:00+00:00"  # (only ever needed around a DST jump)
    shop.fake.state.ship(order_id, shipped)

    first = shop.poll()

    assert (first.read, first.recorded, first.outcomes) == (1, 1, {"done": 1}), first
    assert shop.settle_calls() == 1
    [(settled_order, day)] = shop.settlements()
    assert settled_order == order_id
    assert today.isoformat() in day or today.strftime("%d/%m/%Y") in day, day
    reads = shop.order_reads()

    second = shop.poll()

    # the next run: settled, but a cancelled line would still be refunded, so it is read …
    assert (second.read, second.recorded, second.duplicates, second.processed) == (1, 0, 1, 0)
    # … but nothing new is recorded and DivideBuy is not called
    assert len(shop.inbox.events()) == 1
    assert shop.settle_calls() == 1
    assert shop.order_reads() == reads + 1


def test_a_cancelled_line_is_refunded_by_one_poll_and_only_once(shop: Shop) -> None:
    order_id = add_order(shop.fake, "ord-poll-2")
    shop.completed_checkout(order_id)
    shop.fake.state.cancel_line(order_id, "line-lamp")

    first = shop.poll()

    assert first.outcomes == {"done": 1}, first
    assert shop.refunds() == [Decimal("99.00")]
    [row] = shop.inbox.events()
    assert row.event_key == f"refund-line:{order_id}:line-lamp"

    again = shop.poll()

    assert (again.recorded, again.processed) == (0, 0)
    assert shop.refunds() == [Decimal("99.00")]
    assert len(shop.inbox.events()) == 1


def test_a_settle_status_without_a_shipping_date_settles_on_the_day_it_was_modified(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(DIVIDEBUY_DIVENDO_SETTLE_STATUSES="Complete")
    order_id = add_order(shop.fake, "ord-poll-3")
    shop.completed_checkout(order_id)
    shop.fake.state.set_status(order_id, "Complete")  # `modified` is now, on the fake's clock

    report = shop.poll()

    assert report.outcomes == {"done": 1}, report
    [(_, day)] = shop.settlements()
    today = uk_today()
    assert today.isoformat() in day or today.strftime("%d/%m/%Y") in day, day


def test_a_checkout_still_pending_is_deferred_then_settled_with_the_shipping_date(
    shop: Shop,
) -> None:
    order_id = add_order(shop.fake, "ord-poll-4")
    pending = shop.pending_checkout(order_id)
    shop.fake.state.ship(order_id)
    shop.fake.state.cancel_line(order_id, "line-lamp")  # waits: the checkout is not completed

    first = shop.poll()

    assert (first.recorded, first.outcomes) == (1, {"deferred": 1}), first
    [row] = shop.inbox.events()
    assert (row.kind, row.status) == ("settle", EventStatus.DEFERRED)
    assert shop.settle_calls() == 0 and shop.refunds() == []

    shop.complete(pending)  # the shopper finished at DivideBuy
    later = shop.poll()

    assert later.requeued == 1
    assert later.outcomes == {"done": 2}, later
    assert shop.settle_calls() == 1
    assert shop.refunds() == [Decimal("99.00")]
    statuses = {e.event_key: e.status for e in shop.inbox.events()}
    assert statuses == {
        f"settle:{order_id}": EventStatus.DONE,
        f"refund-line:{order_id}:line-lamp": EventStatus.DONE,
    }


def test_a_cancelled_line_then_a_refund_status_refunds_the_rest(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(DIVIDEBUY_DIVENDO_REFUND_STATUSES="Refunded")
    order_id = add_order(shop.fake, "ord-poll-5")
    shop.completed_checkout(order_id)
    shop.fake.state.cancel_line(order_id, "line-lamp")
    shop.poll()
    shop.fake.state.set_status(order_id, "Refunded")

    report = shop.poll()

    assert report.outcomes == {"done": 1}, report
    assert shop.refunds() == [Decimal("99.00"), TOTAL - Decimal("99.00")]
    # nothing left to refund and never settled: still read (for its settlement), nothing sent
    assert shop.poll().processed == 0
    assert len(shop.refunds()) == 2


def test_with_refunds_off_a_settled_order_is_not_read_again(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(DIVIDEBUY_DIVENDO_REFUND_CANCELLED_LINES="false")
    order_id = add_order(shop.fake, "ord-poll-6")
    shop.completed_checkout(order_id)
    shop.fake.state.ship(order_id)
    assert shop.poll().outcomes == {"done": 1}
    reads = shop.order_reads()

    again = shop.poll()

    assert (again.due, again.read) == (0, 0)
    assert shop.order_reads() == reads


def test_the_poll_stays_under_the_connection_cap(shop: Shop) -> None:
    for n in range(6):
        order_id = add_order(shop.fake, f"ord-cap-{n}")
        shop.completed_checkout(order_id)
        shop.fake.state.ship(order_id)
    shop.fake.state.configure(latency=0.05)  # every call holds its connection a while
    shop.fake.state.reset_peaks()

    report = shop.poll()

    assert report.read == 6 and report.outcomes == {"done": 6}, report
    snapshot = shop.fake.state.snapshot()
    assert snapshot["throttled"] == 0
    assert max(snapshot["peak_in_flight"].values()) <= 2  # DIVIDEBUY_DIVENDO_MAX_CONNECTIONS


def test_an_order_divendo_fails_on_is_counted_and_the_others_still_settle(shop: Shop) -> None:
    shop.completed_checkout("fault-503")  # the fake's magic id: 503 every time
    order_id = add_order(shop.fake, "ord-poll-7")
    shop.completed_checkout(order_id)
    shop.fake.state.ship(order_id)

    report = shop.poll()

    assert [order for order, _ in report.failed] == ["fault-503"]
    assert report.outcomes == {"done": 1}
    assert not report.ok
    assert shop.settle_calls() == 1


# -- three hosts polling at once -----------------------------------------------------------------

#: one cron host: imports done, says it is ready, waits for the common start, runs the CLI
HOST_SCRIPT = """
import sys, time
from pathlib import Path
from dividebuy_checkout import cli
import dividebuy_checkout.integrations.divendo.poll  # noqa: F401  (warm, as a host would be)
go, ready = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.002)
cli.main(["platform", "poll", "--source", "divendo", "--json"])
"""
HOSTS = 3
RACE_ORDERS = 16  # more than one claim batch (10)


def test_three_hosts_polling_at_once_read_and_settle_each_order_once(
    shop: Shop, tmp_path: Path
) -> None:
    orders = [add_order(shop.fake, f"ord-race-{n}") for n in range(RACE_ORDERS)]
    for order_id in orders:
        shop.completed_checkout(order_id)
        shop.fake.state.ship(order_id)
    # the stricter reading of the cap: open TCP connections count, idle keep-alives included
    shop.fake.state.configure(latency=0.02, limit_on="connections")
    shop.fake.state.reset_peaks()
    reads_before = shop.order_reads()
    (tmp_path / "host.py").write_text(HOST_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env.update(
        DIVIDEBUY_ENVIRONMENT="local",
        DIVIDEBUY_BASE_URL=shop.sandbox.url,
        DIVIDEBUY_CLIENT_ID="divendo-cron",
        DIVIDEBUY_CLIENT_SECRET="cron-secret",
        DIVIDEBUY_DATABASE_URL=shop.url,
        # three pollers on one Divendo account: one connection each (docs/platforms.md)
        DIVIDEBUY_DIVENDO_MAX_CONNECTIONS="1",
        **{k: str(v) for k, v in shop.settings.items()},
    )
    go = tmp_path / "go"
    hosts = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "host.py"), str(go), str(tmp_path / f"ready{n}")],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(HOSTS)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{n}").exists() for n in range(HOSTS)):
        assert time.monotonic() < deadline, "the hosts did not start"
        assert all(h.poll() is None for h in hosts), [h.communicate() for h in hosts]
        time.sleep(0.01)
    go.touch()
    outputs = [host.communicate(timeout=120) for host in hosts]

    assert [h.returncode for h in hosts] == [0] * HOSTS, [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sum(r["read"] for r in reports) == RACE_ORDERS
    assert sum(r["recorded"] for r in reports) == RACE_ORDERS
    assert shop.order_reads() - reads_before == RACE_ORDERS  # counted by the fake
    assert shop.settle_calls() == RACE_ORDERS  # counted by the sandbox
    assert sorted(order for order, _ in shop.settlements()) == sorted(orders)
    snapshot = shop.fake.state.snapshot()
    assert snapshot["throttled"] == 0
    assert max(snapshot["peak_in_flight"].values()) <= HOSTS  # ≤ 5, Divendo's cap
    assert snapshot["peak_connections"] <= HOSTS


# -- the demo: python3 dev.py shop --platform divendo --------------------------------------------

DEMO_ARGS = ("--platform", "divendo", "--port", "0", "--poll-every", "0.5")
DEMO_PATTERNS = {
    "shop": re.compile(r"running at (http://127\.0\.0\.1:\d+)/"),
    "sandbox": re.compile(r"DivideBuy sandbox: (http://\S+)"),
    "fake": re.compile(r"Divendo \(fake\): (http://\S+)/_fake/state"),
    "pay": re.compile(r"pay: +(http://\S+)"),
    "ship": re.compile(r"ship: +curl .* (http://\S+/ship)$"),
    "cancel": re.compile(r"cancel: +curl .* (http://\S+/cancel)$"),
}


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, str]]:
    with running_demo(DEMO_ARGS, DEMO_PATTERNS) as found:
        yield found


def test_the_demo_pays_then_settles_a_shipped_order_and_refunds_a_cancelled_line(
    demo: dict[str, str],
) -> None:
    shop, sandbox, pay = demo["shop"], demo["sandbox"], demo["pay"]
    with httpx.Client(timeout=20) as http:
        page = http.get(pay)
        assert page.status_code == 200, page.text
        found = http.post(
            pay.split("?")[0],
            data={
                "csrf_token": csrf_token(page.text),
                "order_number": "ord-uk-1",
                "email": "jane@example.co.uk",
            },
        )
        assert found.status_code == 303, found.text
        form = http.get(shop + found.headers["location"])
        terms = re.findall(r'name="term" type="radio" value="(\d+)"', form.text)
        data = {
            "csrf_token": csrf_token(form.text),
            **ANSWERS,
            "term": terms[0],
            "submit": "Continue",
        }
        sent = http.post(shop + found.headers["location"], data=data)
        assert sent.status_code == 303, sent.text
        back = press_at_dividebuy(sent.headers["location"], "complete")
        assert http.get(back).status_code == 200

    def sandbox_state() -> dict[str, Any]:
        state: dict[str, Any] = loads(httpx.get(f"{sandbox}/_sandbox/state", timeout=10).content)
        return state

    assert sandbox_state()["settle_calls"] == 0
    httpx.post(demo["ship"], json={}, timeout=10).raise_for_status()
    eventually(lambda: sandbox_state()["settle_calls"] == 1, "the poll to settle the order")
    httpx.post(demo["cancel"], json={}, timeout=10).raise_for_status()
    eventually(lambda: len(sandbox_state()["refunds"]) == 1, "the poll to refund the line")
    [refund] = sandbox_state()["refunds"]
    assert Decimal(str(refund["amount"])) == Decimal("1299.00")
    time.sleep(1.5)  # three more polls: nothing more is sent
    assert sandbox_state()["settle_calls"] == 1 and len(sandbox_state()["refunds"]) == 1


def test_an_order_divendo_no_longer_has_is_reported_not_failed(shop: Shop) -> None:
    shop.completed_checkout("ord-deleted")  # never at the fake: 404

    report = shop.poll()

    assert (report.read, report.missing, report.failed, report.ok) == (
        1,
        ["ord-deleted"],
        [],
        True,
    )
    assert shop.inbox.events() == []


def test_a_run_stops_after_five_failed_reads_in_a_row_and_the_next_run_catches_up(
    shop: Shop,
) -> None:
    orders = [add_order(shop.fake, f"ord-down-{n}") for n in range(7)]
    for order_id in orders:
        shop.completed_checkout(order_id)
        shop.fake.state.ship(order_id)
    shop.fake.state.arm_fault("ORDER_GET", Fault(kind="status", status=503), times=1000)

    down = shop.poll()

    assert [order for order, _ in down.failed] == orders[:5]  # oldest first, then it stops
    assert down.stopped is not None and "5 failed reads in a row" in down.stopped
    assert down.read == 0 and shop.settle_calls() == 0
    assert shop.inbox.events() == []

    shop.fake.state.clear_faults()
    back = shop.poll()

    assert back.ok and back.read == 7 and back.outcomes == {"done": 7}, back
    assert shop.settle_calls() == 7
