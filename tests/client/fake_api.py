"""A scripted DivideBuy for unit tests of the client (httpx.MockTransport).

It counts token requests and API calls and lets each test decide what the next
replies are. Integration tests use the real sandbox instead.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

TERMS_BODY = {
    "status": "success",
    "data": {
        "order_value": 2000,
        "terms": [
            {
                "type": "interest-free",
                "available": True,
                "months_in_term": 12,
                "interest_rate": 0,
                "minimum_spend": 1,
                "maximum_spend": 6000,
                "first_instalment_cost": 166.67,
                "regular_instalment_cost": 166.67,
                "final_instalment_cost": 166.63,
                "total_loan_value": 1833.33,
                "total_to_pay": 2000,
                "total_interest": 0,
            }
        ],
    },
    "message": "Terms fetched successfully",
}

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


class FakeDivideBuy:
    def __init__(self, *, expires_in: int = 3600, token_delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.token_requests = 0
        self.api_requests: list[httpx.Request] = []
        self.basic_auth: list[str] = []
        self.replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self.valid_tokens: set[str] = set()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def revoke_all(self) -> None:
        self.valid_tokens.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return self._token(request)
        with self._lock:
            self.api_requests.append(request)
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in self.valid_tokens:
                return httpx.Response(401, json={"status_code": 401, "message": "Unauthenticated."})
            reply = self.replies.popleft() if self.replies else None
        if reply is None:
            return httpx.Response(200, json=TERMS_BODY, headers={"X-Request-Id": "req-1"})
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    def _token(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.token_delay)
        with self._lock:
            self.token_requests += 1
            self.basic_auth.append(request.headers.get("Authorization", ""))
            token = f"tok-{next(self._tokens)}-secretvalue"
            self.valid_tokens.add(token)
        body = json.loads(request.content)
        assert body == {"grant_type": "client_credentials"}
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)
