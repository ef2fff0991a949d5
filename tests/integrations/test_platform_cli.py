"""``dividebuy-checkout fake recplus``, ``order show`` and ``platform check`` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env.update(extra)
    return env


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=60,
    )


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "dividebuy_checkout", "fake", "recplus", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "REC+ fake listening on http://127.0.0.1:" in first, first
        url = first.split("listening on ")[1].strip()
        assert not url.endswith(":0")
        hint = process.stdout.readline()
        assert f"DIVIDEBUY_RECPLUS_BASE_URL={url}/api/v1" in hint
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings(url: str, user: str = "api", password: str = "api-pass") -> dict[str, str]:
    return {
        "DIVIDEBUY_ORDER_SOURCE": "recplus",
        "DIVIDEBUY_RECPLUS_BASE_URL": f"{url}/api/v1",
        "DIVIDEBUY_RECPLUS_API_USER": user,
        "DIVIDEBUY_RECPLUS_API_PASS": password,
    }


def test_order_show_json_gives_the_order_the_notes_and_the_order_block(fake_url):
    result = cli("order", "show", "112312", "--json", **settings(fake_url))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["order"]["total"] == "0.00"
    assert body["order"]["discount"] == "154.20"
    assert body["order"]["customer"]["address"] is None
    assert "address not pre-filled: billing region country is 'United States'" in body["notes"]
    block = body["quote_order"]
    assert block["retailer_order_id"] == "112312"
    assert block["retailer_order_ref"] == "825"
    assert [item["row_total_including_vat"] for item in block["line_items"]] == ["137.40", "16.80"]
    assert "redirect_url" not in block
    assert "raw" not in body
    assert "Bob" not in result.stdout  # customer values are shown as "set" only


def test_order_show_raw_masks_personal_values(fake_url):
    result = cli(
        "order", "show", "--source", "recplus", "500001", "--raw", "--json", **settings(fake_url)
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["raw"]["user"]["email"] == "***"
    assert body["raw"]["lines"][1]["rel_data"]["product"]["code"] == "SOFA-HARLOW-3-SLATE"
    for personal in ("Ann", "ann.lee", "Foregate", "WR1 1DB", "07400"):
        assert personal not in result.stdout


def test_order_show_readable(fake_url):
    result = cli("order", "show", "500001", **settings(fake_url))
    assert result.returncode == 0, result.stderr
    assert "1 x Harlow Three Seater Sofa (Colour: Slate) @ 1249.00" in result.stdout
    assert '"credit_amount": "1298.00"' in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("order", "show", "424242"), 2, "was not found at recplus"),
        (("order", "show", "99503"), 1, "503"),
        (("order", "show", "--source", "nope", "1"), 2, "DIVIDEBUY_ORDER_SOURCE"),
        (("order", "show", "--source", "diseller", "1"), 2, "DIVIDEBUY_DISELLER_API_KEY"),
    ],
)
def test_order_show_failures_are_one_line_with_the_exit_status(fake_url, args, code, says):
    result = cli(*args, **settings(fake_url))
    assert result.returncode == code, result.stderr
    assert says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_order_show_without_settings_is_bad_input():
    result = cli("order", "show", "--source", "recplus", "1")
    assert result.returncode == 2
    assert "DIVIDEBUY_RECPLUS_BASE_URL" in result.stderr


def test_platform_check(fake_url):
    ok = cli("platform", "check", **settings(fake_url))
    assert ok.returncode == 0 and "can read orders" in ok.stdout
    public = cli("platform", "check", **settings(fake_url, "public", "public-key"))
    assert public.returncode == 1
    assert "the public key cannot read orders" in public.stderr
    wrong = cli("platform", "check", **settings(fake_url, "api", "nope"))
    assert wrong.returncode == 1 and "DIVIDEBUY_RECPLUS_API_PASS" in wrong.stderr
