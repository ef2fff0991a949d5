"""Wrong back-office API keys and example-shop passwords are throttled per address (issue 10
#11), over real HTTP: 429 with Retry-After after a few failures, and then even the right
secret is refused, so a guesser learns nothing while blocked. With Redis the count is shared
by every worker (two apps here, as two hosts would be).
"""

from __future__ import annotations

import re

import httpx

KEY = "k3y-for-the-back-office-0123456789"
FAILURES = "3 per 10 minutes"


def _order(url: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{url}/dividebuy/backoffice/orders/A1",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def test_wrong_api_keys_are_429_after_a_few_and_then_the_right_one_waits(make_shop):
    shop = make_shop(
        DIVIDEBUY_BACKOFFICE_API_KEY=KEY, DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT=FAILURES
    )
    assert _order(shop.url, KEY).status_code == 404  # right key: no such order
    statuses = [_order(shop.url, f"guess-{n}").status_code for n in range(4)]

    assert statuses == [401, 401, 401, 429]
    blocked = _order(shop.url, KEY)
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_failures"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 600


def test_the_count_is_shared_through_redis(make_shop, redis_url: str, redis_prefix: str):
    config = {
        "DIVIDEBUY_BACKOFFICE_API_KEY": KEY,
        "DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT": FAILURES,
        "DIVIDEBUY_REDIS_URL": redis_url,
        "DIVIDEBUY_REDIS_PREFIX": redis_prefix,
    }
    one, two = make_shop(**config), make_shop(**config)

    assert [_order(one.url, "guess").status_code for _ in range(3)] == [401, 401, 401]
    assert _order(two.url, "guess").status_code == 429
    assert _order(one.url, KEY).status_code == 429


def _login(http: httpx.Client, password: str) -> httpx.Response:
    page = http.get("/backoffice/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return http.post("/backoffice/login", data={"csrf_token": token.group(1), "password": password})


def test_wrong_example_shop_passwords_are_429_after_a_few(make_shop):
    shop = make_shop(BACKOFFICE_LOGIN_FAILURES=FAILURES)  # password: not-the-demo-password
    with httpx.Client(base_url=shop.url, timeout=10) as http:
        statuses = [_login(http, f"guess-{n}").status_code for n in range(4)]
        right = _login(http, "not-the-demo-password")
        assert "backoffice_user" not in http.cookies.get("session", "")

    assert statuses == [401, 401, 401, 429]
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    assert "Too many wrong passwords" in right.text


def test_a_right_password_before_the_limit_signs_in(make_shop):
    shop = make_shop(BACKOFFICE_LOGIN_FAILURES=FAILURES)
    with httpx.Client(base_url=shop.url, timeout=10) as http:
        assert _login(http, "guess").status_code == 401
        signed_in = _login(http, "not-the-demo-password")
    assert signed_in.status_code == 302 and signed_in.headers["location"].endswith("/backoffice/")
