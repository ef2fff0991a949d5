"""Hostile input changes nothing and never gets a 500 (issue 10 #9), over real HTTP and real
processes: deeply nested JSON is 400, an oversized body is 413 on every kind of endpoint,
control characters from a CSV never reach the terminal raw, and a 10 MB file of bad rows is
reported in flat memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from checkout.conftest import Shopper

from dividebuy_checkout.store import SqlStore

KEY = "k3y-for-the-back-office-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
NESTED = b"[" * 100_000 + b"]" * 100_000  # ~200 kB: under the body limit, past any recursion
LIMIT = 64 * 1024


@pytest.fixture
def office(make_shop):
    return make_shop(DIVIDEBUY_BACKOFFICE_API_KEY=KEY, DIVIDEBUY_MAX_BODY_BYTES=LIMIT * 4)


@pytest.mark.parametrize(
    "path",
    [
        "/dividebuy/backoffice/settle",
        "/dividebuy/backoffice/orders/A1/refunds",
        "/dividebuy/backoffice/refunds/1/confirm",
    ],
)
def test_deeply_nested_json_is_400_and_changes_nothing(office, path: str):
    response = httpx.post(
        office.url + path,
        content=NESTED,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "invalid_body"
    assert office.calls("REFUND") == 0 and office.sandbox_state()["settle_calls"] == 0


def test_a_body_over_the_limit_is_413_before_it_is_read(make_shop):
    shop = make_shop(DIVIDEBUY_BACKOFFICE_API_KEY=KEY, DIVIDEBUY_MAX_BODY_BYTES=LIMIT)
    big = b"x" * (LIMIT + 1)

    announced = httpx.post(
        shop.url + "/dividebuy/backoffice/settle",
        content=big,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert announced.status_code == 413
    assert announced.json()["error"] == "body_too_large"

    def chunks():
        yield big[:LIMIT]
        yield big[LIMIT:]

    chunked = httpx.post(
        shop.url + "/dividebuy/backoffice/settle",
        content=chunks(),  # no Content-Length: Transfer-Encoding chunked
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert chunked.status_code == 413

    person: Shopper = shop.shopper()
    try:
        person.buy()
        person.open_application()
        assert person.apply_url is not None
        form = person.http.post(person.apply_url, data={"first_name": "x" * (LIMIT + 1)})
    finally:
        person.close()
    assert form.status_code == 413
    assert shop.quotes() == []  # nothing was sent to DivideBuy


# -- the CLI: control characters and a 10 MB file of bad rows -----------------------------------

_RUN_CLI = r"""
import sys
from dividebuy_checkout.cli import main

def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(f"PEAK_KIB {peak_kib()}", file=sys.stderr)
sys.exit(code)
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    database = tmp_path / "shop.sqlite3"
    if not database.exists():
        SqlStore(f"sqlite:///{database}").upgrade().engine.dispose()
    env = {
        **os.environ,
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{database}",
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": "http://127.0.0.1:9",  # never called: every row is refused
        "DIVIDEBUY_CLIENT_ID": "shop",
        "DIVIDEBUY_CLIENT_SECRET": "secret",
    }
    return subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *args], env=env, capture_output=True, timeout=300
    )


def _peak_mib(result: subprocess.CompletedProcess[bytes]) -> float:
    line = next(x for x in result.stderr.decode().splitlines() if x.startswith("PEAK_KIB"))
    return int(line.split()[1]) / 1024


def test_control_characters_from_a_csv_are_printed_escaped(tmp_path: Path):
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        "order_id,delivered_on\nA1\x1b[2J,2026-01-01\nA2\u202eA3,2026-01-01\nA4,\x1b]0;x\x07\n",
        encoding="utf-8",
    )
    for output in ([], ["--json"]):
        result = _cli(tmp_path, "settle", "--csv", str(csv_file), *output)
        assert result.returncode == 1, result.stderr.decode()
        shown = result.stdout.decode() + result.stderr.decode().split("PEAK_KIB")[0]
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert "Traceback" not in shown
        if output:
            lines = json.loads(result.stdout)["orders"]
            assert {o["order_id"] for o in lines} >= {"A1\\x1b[2J", "A2\\u202eA3"}
        else:
            assert "A1\\x1b[2J" in shown and "A2\\u202eA3" in shown


def test_a_10_mb_file_of_bad_rows_is_reported_in_flat_memory(tmp_path: Path):
    small = tmp_path / "small.csv"
    small.write_text("order_id,delivered_on\nA1,not-a-date\n", encoding="utf-8")
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as out:
        out.write("order_id,delivered_on\n")
        row = 0
        while out.tell() < 10 * 1024 * 1024:
            row += 1
            out.write(f"ORDER-{row:07d},not-a-date-{row}\n")

    baseline = _peak_mib(_cli(tmp_path, "settle", "--csv", str(small)))
    result = _cli(tmp_path, "settle", "--csv", str(big))
    peak = _peak_mib(result)

    assert result.returncode == 1
    summary = result.stdout.decode().strip().splitlines()[-1]
    assert f"{row} rejected" in summary and "0 settled" in summary
    print(f"10 MB of bad rows ({row} rows): peak {peak:.1f} MiB, baseline {baseline:.1f} MiB")
    assert peak - baseline < 50, (peak, baseline)
