"""Token caching: one fetch for everyone, refresh before expiry, one replay on 401."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dividebuy_checkout import AuthenticationError, DivideBuyClient, MemoryTokenStore

from .conftest import SECRET
from .fake_api import FakeDivideBuy, basic


def test_token_is_fetched_with_http_basic_client_credentials(client, api):
    client.get_terms("2000")
    assert api.token_requests == 1
    assert api.basic_auth == [basic("shop-1", SECRET)]
    assert api.api_requests[0].headers["Authorization"].startswith("Bearer tok-1")


def test_sixteen_threads_making_1000_calls_share_one_token_request(make_client):
    slow_token_api = FakeDivideBuy(token_delay=0.05)  # a slow token call widens the race
    client = DivideBuyClient(
        client_id="shop-1",
        client_secret=SECRET,
        token_store=MemoryTokenStore(),
        transport=slow_token_api.transport(),
    )
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: client.get_terms("2000"), range(1000)))
    assert len(results) == 1000
    assert slow_token_api.token_requests == 1
    assert len(slow_token_api.api_requests) == 1000


def test_token_is_refreshed_once_shortly_before_it_expires(client, api, clock):
    client.get_terms("2000")
    clock.now += 3600 - 61  # inside the 60 s leeway? not yet: 1 s of use left before it
    client.get_terms("2000")
    assert api.token_requests == 1
    clock.now += 2  # now inside the leeway: treated as expired
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: client.get_terms("2000"), range(100)))
    assert api.token_requests == 2


def test_leeway_is_clamped_for_short_lived_tokens(make_client, api, clock):
    api.expires_in = 20  # a 60 s leeway would make every token instantly stale
    client = make_client()
    client.get_terms("2000")
    clock.now += 10
    client.get_terms("2000")
    assert api.token_requests == 1
    clock.now += 6  # past 75 % of its life
    client.get_terms("2000")
    assert api.token_requests == 2


def test_a_401_costs_one_token_request_and_one_replay(client, api):
    client.get_terms("2000")
    api.revoke_all()
    terms = client.get_terms("2000")
    assert terms.order_value == 2000
    assert api.token_requests == 2
    assert len(api.api_requests) == 3  # the first call, the refused one, the replay


def test_a_second_401_raises_authentication_error(client, api):
    client.get_terms("2000")
    api.revoke_all()
    # The revoked token gets a 401; the replay with a fresh token is refused too.
    api.queue(lambda request: _unauthorised())
    with pytest.raises(AuthenticationError) as caught:
        client.get_terms("2000")
    assert caught.value.status == 401
    assert api.token_requests == 2


def test_bad_credentials_raise_authentication_error_naming_the_settings(make_client, api):
    def refuse(request):
        import httpx

        return httpx.Response(401, json={"message": "Invalid client credentials."})

    api._token = refuse  # type: ignore[method-assign]
    client = make_client()
    with pytest.raises(AuthenticationError) as caught:
        client.get_terms("100")
    assert "DIVIDEBUY_CLIENT_SECRET" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_clients_with_the_same_base_url_and_id_share_the_token(api, clock):
    store = MemoryTokenStore(clock=clock)
    kw = dict(client_id="shop-1", client_secret=SECRET, token_store=store, clock=clock)
    with (
        DivideBuyClient(transport=api.transport(), **kw) as one,
        DivideBuyClient(transport=api.transport(), **kw) as two,
    ):
        one.get_terms("10")
        two.get_terms("10")
    assert api.token_requests == 1


def _unauthorised():
    import httpx

    return httpx.Response(401, json={"status_code": 401, "message": "Unauthenticated."})


def test_a_wrong_secret_never_borrows_the_token_of_the_right_one(sandbox):
    """Same base URL, same id, one shared store: the token cache key includes a digest
    of the secret, so the wrong secret goes to DivideBuy (the real sandbox) and is refused."""
    from dividebuy_checkout.sandbox.magic import WRONG_SECRET

    store = MemoryTokenStore()
    kw = dict(client_id="shop-1", environment="local", base_url=sandbox.url, token_store=store)
    with (
        DivideBuyClient(client_secret=SECRET, **kw) as right,
        DivideBuyClient(client_secret=WRONG_SECRET, **kw) as wrong,
    ):
        assert right.get_terms("2000").order_value == 2000
        with pytest.raises(AuthenticationError):
            wrong.get_terms("2000")
        with pytest.raises(AuthenticationError):  # and again: nothing was cached for it
            wrong.get_terms("2000")
        assert right.get_terms("2000").order_value == 2000
    assert sandbox.state.token_requests == 3  # the right one's, and the wrong one's two refusals


def test_the_token_cache_key_never_contains_the_secret_or_the_id():
    from dividebuy_checkout.tokens import token_cache_key

    key = token_cache_key("https://api.dividebuy.co.uk", "shop-1", SECRET)
    assert SECRET not in key and "shop-1" not in key
    assert key != token_cache_key("https://api.dividebuy.co.uk", "shop-1", SECRET + "x")
    assert key != token_cache_key("https://api.dividebuy.co.uk", "shop-2", SECRET)
    assert key != token_cache_key("https://api.dividebuysandbox.co.uk", "shop-1", SECRET)
