"""DiSeller's ``X-DiSeller-Signature`` (DS-W1): the verifier on its own, then over real HTTP
against the shop's webhook endpoint — every refusal is a 401 with nothing recorded."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations.diseller import signature
from dividebuy_checkout.integrations.diseller.signature import (
    SignatureInvalid,
    compute,
    parse_header,
    sign,
    verify,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from dividebuy_checkout.money import dumps

from . import test_diseller_webhooks as hooks
from .test_diseller_webhooks import (
    SECRET,
    SECRET_OLD,
    DiSellerShop,
    completed_event,
    deliver,
)

BODY = b'{"id":"evt_1","type":"order.completed","created":1700000000,"data":{"object":{}}}'
KEY = "whsec_a-long-endpoint-secret-0001"
NOW = 1_700_000_000

# the shop fixtures live with the webhook tests: bound here, pytest finds them
diseller_server = hooks.diseller_server
diseller_fake = hooks.diseller_fake
make_diseller_shop = hooks.make_diseller_shop
diseller_shop = hooks.diseller_shop


# -- the verifier ----------------------------------------------------------------------------


def test_the_signature_is_stripes_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(KEY.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert compute(BODY, KEY, NOW) == expected
    assert sign(BODY, KEY, NOW) == f"t={NOW},v1={expected}"
    assert verify(BODY, sign(BODY, KEY, NOW), [KEY], now=NOW) == NOW


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "no X-DiSeller-Signature"),
        ("", "no X-DiSeller-Signature"),
        ("v1=" + "a" * 64, "no timestamp"),
        (f"t=abc,v1={'a' * 64}", "not Unix seconds"),
        (f"t={NOW},t={NOW},v1={'a' * 64}", "more than one timestamp"),
        (f"t={NOW}", "no usable v1"),
        (f"t={NOW},v1=XYZ", "no usable v1"),
        (f"t={NOW},v1={'A' * 64}", "no usable v1"),
    ],
)
def test_malformed_headers_are_refused_with_a_reason(header: str | None, why: str) -> None:
    with pytest.raises(SignatureInvalid, match=why):
        verify(BODY, header, [KEY], now=NOW)


def test_wrong_secret_and_one_flipped_byte_are_refused() -> None:
    header = sign(BODY, KEY, NOW)
    with pytest.raises(SignatureInvalid, match="no signature matches"):
        verify(BODY, header, ["whsec_another-secret-00000001"], now=NOW)
    flipped = bytes([BODY[0] ^ 0x01]) + BODY[1:]
    with pytest.raises(SignatureInvalid, match="no signature matches"):
        verify(flipped, header, [KEY], now=NOW)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_301_seconds_away_either_way_is_refused(offset: int) -> None:
    header = sign(BODY, KEY, NOW + offset)
    with pytest.raises(SignatureInvalid, match="tolerance 300"):
        verify(BODY, header, [KEY], now=NOW)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_timestamp_within_300_seconds_is_accepted(offset: int) -> None:
    assert verify(BODY, sign(BODY, KEY, NOW + offset), [KEY], now=NOW) == NOW + offset


def test_the_tolerance_is_a_setting() -> None:
    header = sign(BODY, KEY, NOW - 20)
    with pytest.raises(SignatureInvalid):
        verify(BODY, header, [KEY], now=NOW, tolerance=10)
    assert verify(BODY, header, [KEY], now=NOW, tolerance=30) == NOW - 20


def test_two_v1_values_with_one_valid_are_accepted() -> None:
    good = compute(BODY, KEY, NOW)
    header = f"t={NOW},v1={'0' * 64},v1={good}"
    assert verify(BODY, header, [KEY], now=NOW) == NOW
    assert verify(BODY, sign(BODY, ["whsec_rotated-away-secret-01", KEY], NOW), [KEY], now=NOW)


def test_either_configured_secret_is_accepted() -> None:
    other = "whsec_the-new-secret-000000002"
    for used in (KEY, other):
        assert verify(BODY, sign(BODY, used, NOW), [KEY, other], now=NOW) == NOW


def test_spaces_and_unknown_keys_in_the_header_are_tolerated() -> None:
    good = compute(BODY, KEY, NOW)
    header = f" t = {NOW} , v0={'b' * 64}, scheme=whatever ,v1= {good} ,junk"
    assert parse_header(header).signatures == (good,)
    assert verify(BODY, header, [KEY], now=NOW) == NOW


def test_no_configured_secret_accepts_nothing() -> None:
    with pytest.raises(SignatureInvalid, match="no webhook secret"):
        verify(BODY, sign(BODY, KEY, NOW), [], now=NOW)
    with pytest.raises(SignatureInvalid, match="no webhook secret"):
        verify(BODY, sign(BODY, "", NOW), [""], now=NOW)


def test_the_hex_body_scheme_signs_the_body_alone() -> None:
    header = sign(BODY, KEY, scheme="hex-body")
    assert header == hmac.new(KEY.encode(), BODY, hashlib.sha256).hexdigest()
    assert verify(BODY, header, [KEY], scheme="hex-body") is None
    with pytest.raises(SignatureInvalid):
        verify(BODY + b" ", header, [KEY], scheme="hex-body")
    with pytest.raises(SignatureInvalid):
        verify(BODY, sign(BODY, KEY, NOW), [KEY], scheme="hex-body")


def test_every_pair_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """``hmac.compare_digest`` for each (v1, secret) pair, with no early exit on a match."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    keys = [KEY, "whsec_the-new-secret-000000002"]
    header = sign(BODY, [KEY, "whsec_rotated-away-secret-01"], NOW)
    assert verify(BODY, header, keys, now=NOW) == NOW
    assert len(calls) == 4  # 2 v1 × 2 secrets, though the first pair already matched


def test_reasons_never_carry_secrets_or_signatures() -> None:
    good = compute(BODY, KEY, NOW)
    for header in (f"t={NOW},v1={good}", f"t={NOW - 999},v1={good}"):
        with pytest.raises(SignatureInvalid) as caught:
            verify(BODY + b"x", header, [KEY], now=NOW)
        assert good not in caught.value.reason and KEY not in caught.value.reason


@settings(max_examples=60, deadline=None)
@given(body=st.binary(min_size=1, max_size=300), stamp=st.integers(0, 2**33), bit=st.integers(0))
def test_round_trip_and_any_one_bit_flip(body: bytes, stamp: int, bit: int) -> None:
    header = sign(body, KEY, stamp)
    assert verify(body, header, [KEY], now=stamp) == stamp
    position = bit % (len(body) * 8)
    flipped = bytearray(body)
    flipped[position // 8] ^= 1 << (position % 8)
    with pytest.raises(SignatureInvalid):
        verify(bytes(flipped), header, [KEY], now=stamp)


@settings(max_examples=100, deadline=None)
@given(header=st.text(max_size=200))
def test_any_header_text_is_refused_or_parsed_never_a_crash(header: str) -> None:
    try:
        verify(BODY, header, [KEY], now=NOW)
    except SignatureInvalid:
        pass
    else:  # pragma: no cover - a random header cannot carry a valid MAC
        pytest.fail("a random header was accepted")


# -- over HTTP: the shop's endpoint --------------------------------------------------------


def _tampered(body: bytes) -> bytes:
    index = body.index(b'"order.completed"') + 1
    return body[:index] + bytes([body[index] ^ 0x20]) + body[index + 1 :]


def _refusals(body: bytes) -> dict[str, tuple[bytes, dict[str, str]]]:
    now = int(time.time())
    good = compute(body, SECRET, now)
    json = {"Content-Type": "application/json"}
    return {
        "wrong secret": (
            body,
            {**json, "X-DiSeller-Signature": sign(body, "whsec_not-our-secret-0000001", now)},
        ),
        "flipped byte": (_tampered(body), {**json, "X-DiSeller-Signature": f"t={now},v1={good}"}),
        "missing header": (body, json),
        "no t": (body, {**json, "X-DiSeller-Signature": f"v1={good}"}),
        "301 s old": (body, {**json, "X-DiSeller-Signature": sign(body, SECRET, now - 301)}),
        "301 s ahead": (body, {**json, "X-DiSeller-Signature": sign(body, SECRET, now + 301)}),
    }


@pytest.mark.parametrize(
    "case", ["wrong secret", "flipped byte", "missing header", "no t", "301 s old", "301 s ahead"]
)
def test_unauthenticated_deliveries_are_401_and_record_nothing(
    diseller_shop: DiSellerShop, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    diseller_shop.completed_checkout()
    diseller_shop.fake_complete()
    body = dumps(completed_event(diseller_shop))
    sent, headers = _refusals(body)[case]
    answer = httpx.post(diseller_shop.webhook_url, content=sent, headers=headers, timeout=20)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "unauthorised"
    assert "X-DiSeller-Signature" in answer.headers["WWW-Authenticate"]
    assert diseller_shop.inbox() == [] and diseller_shop.settle_calls() == 0
    assert SECRET not in caplog.text


def test_a_valid_signature_is_processed(diseller_shop: DiSellerShop) -> None:
    diseller_shop.completed_checkout()
    diseller_shop.fake_complete()
    answer = deliver(diseller_shop, completed_event(diseller_shop))
    assert answer.status_code == 200 and answer.json()["recorded"] == 1
    assert diseller_shop.settle_calls() == 1


def test_two_v1_with_one_valid_and_either_configured_secret_are_accepted(
    make_diseller_shop: Any,
) -> None:
    shop = make_diseller_shop(DIVIDEBUY_DISELLER_WEBHOOK_SECRETS=[SECRET_OLD, SECRET])
    shop.completed_checkout()
    shop.fake_complete()
    event = completed_event(shop)
    body = dumps(event)
    now = int(time.time())
    two = f"t={now},v1={compute(body, 'whsec_stale-secret-000000001', now)}"
    two += f",v1={compute(body, SECRET_OLD, now)}"
    answer = deliver(shop, event, header=two)
    assert answer.status_code == 200 and answer.json()["recorded"] == 1
    # the same event signed with the other configured secret: authentic, and a duplicate
    answer = deliver(shop, event, secret=SECRET)
    assert answer.status_code == 200 and answer.json()["duplicates"] == 1
    assert shop.settle_calls() == 1
