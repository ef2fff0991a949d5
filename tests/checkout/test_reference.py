"""Signed return and start links: the only thing the return route trusts."""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dividebuy_checkout.checkout import BadReference, ReferenceSigner
from dividebuy_checkout.checkout.reference import RETURN_SALT, new_return_ref


def signer(keys="current-key", **kw) -> ReferenceSigner:
    return ReferenceSigner(keys, return_max_age=kw.get("age", 3600), start_max_age=600)


def test_a_return_link_names_the_order_and_the_checkouts_reference():
    ref = new_return_ref()
    token = signer().sign_return("1001", ref)
    verified = signer().verify_return(token)
    assert (verified.order_id, verified.return_ref) == ("1001", ref)
    assert "1001" not in ref and len(ref) >= 22  # 128 random bits, unrelated to the order


@pytest.mark.parametrize(
    "token",
    ["", "x" * 2000, "not.a.token", None, 42],
)
def test_junk_is_refused_as_forged(token):
    with pytest.raises(BadReference) as caught:
        signer().verify_return(token)
    assert caught.value.reason == "forged"


def test_a_tampered_or_foreign_link_is_refused():
    token = signer().sign_return("1001", "ref")
    _, rest = token.split(".", 1)
    forged = signer().sign_return("1002", "ref").split(".", 1)[0] + "." + rest
    with pytest.raises(BadReference):
        signer().verify_return(forged)
    with pytest.raises(BadReference):
        signer("another-shops-key").verify_return(token)


def test_an_old_link_is_refused_as_expired():
    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return 1_000_000_000

    old = URLSafeTimedSerializer("current-key", salt=RETURN_SALT, signer=LongAgo)
    with pytest.raises(BadReference) as caught:
        signer().verify_return(old.dumps({"o": "1001", "r": "ref"}))
    assert caught.value.reason == "expired"


def test_a_start_link_cannot_be_used_as_a_return_link_or_the_other_way_round():
    start = signer().sign_start("1001")
    back = signer().sign_return("1001", "ref")
    assert signer().verify_start(start) == "1001"
    with pytest.raises(BadReference):
        signer().verify_return(start)
    with pytest.raises(BadReference):
        signer().verify_start(back)


def test_links_signed_before_a_key_rotation_still_verify():
    token = signer("old-key").sign_return("1001", "ref")
    rotated = signer(["old-key", "new-key"])
    assert rotated.verify_return(token).order_id == "1001"
    assert rotated.sign_return("1001", "ref") != token
    with pytest.raises(BadReference):
        signer("new-key").verify_return(token)


def test_a_signer_needs_a_key():
    with pytest.raises(ValueError):
        signer("")
