"""Shared helpers: a token-holding HTTP wrapper and a valid quote body."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from dividebuy_checkout import routes
from dividebuy_checkout.money import dumps, loads
from dividebuy_checkout.schemas import example_quote_payload

BASIC = ("shop-client-id", "shop-client-secret")


def token_request(http: httpx.Client, auth: tuple[str, str] = BASIC, **body: Any) -> httpx.Response:
    payload = {"grant_type": "client_credentials", **body}
    return http.post(routes.TOKEN.path, auth=auth, json=payload)


@dataclass
class Api:
    """Calls the sandbox with ``Authorization: Bearer``; bodies are exact-Decimal JSON."""

    http: httpx.Client
    token: str

    @classmethod
    def login(cls, http: httpx.Client) -> Api:
        response = token_request(http)
        assert response.status_code == 200, response.text
        return cls(http, response.json()["access_token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **params: Any) -> httpx.Response:
        return self.http.get(url, params=params, headers=self.headers)

    def post(self, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, "Content-Type": "application/json"}
        content = b"" if body is None else dumps(body)
        return self.http.post(url, content=content, headers=headers, **kw)

    # -- the operations, by route table ------------------------------------------------------

    def terms(self, amount: str) -> httpx.Response:
        return self.get(routes.TERMS.path, amount=amount)

    def create_quote(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(routes.CREATE_QUOTE.path, payload)

    def get_quote(self, quote_id: str) -> httpx.Response:
        return self.get(routes.GET_QUOTE.format(quote_id=quote_id))

    def settle(self, *rows: dict[str, Any]) -> httpx.Response:
        return self.post(routes.SETTLE.path, {"orders": list(rows)})

    def refund(self, retailer_order_id: str, amount: Any = None, **kw: Any) -> httpx.Response:
        body = {} if amount is None else {"amount": Decimal(str(amount))}
        return self.post(routes.REFUND.format(retailer_order_id=retailer_order_id), body, **kw)

    # -- journeys ----------------------------------------------------------------------------

    def new_quote(self, **changes: Any) -> dict[str, Any]:
        """Create a quote; return ``requested_quote``."""
        response = self.create_quote(quote_payload(**changes))
        assert response.status_code == 200, response.text
        return loads(response.content)["data"]["requested_quote"]

    def completed_order(self, **changes: Any) -> dict[str, Any]:
        """Create and sign a quote; return the quote as ``GET /quotes/{id}`` shows it."""
        quote = self.new_quote(**changes)
        signed = self.http.post(f"{quote['checkout_url']}/complete")
        assert signed.status_code in (200, 303), signed.text
        return loads(self.get_quote(quote["id"]).content)["data"]["quote"]


#: where a quote sends the shopper back (the query string must survive exactly)
RETURN_URL = "https://shop.example/dividebuy/return?order=1001&sig=Zm9v%2Fbar%3D"

#: The figures and references the sandbox tests read back, laid over the schemas'
#: example payload (so the body is valid under the full UK rules, defined once).
_ORDER: dict[str, Any] = {
    "retailer_order_id": "1001",
    "retailer_order_ref": "SHOP-1001",
    "selected_instalment_term": 12,
    "subtotal": Decimal("1666.67"),
    "vat": Decimal("333.33"),
    "shipping": Decimal("0.00"),
    "discount": Decimal("0.00"),
    "total": Decimal("2000.00"),
    "upfront_payment": Decimal("0.00"),
    "credit_amount": Decimal("2000.00"),
    "redirect_url": RETURN_URL,
    "line_items": [
        {"name": "Sofa", "sku": "SOFA-1", "quantity": 1, "price_including_vat": "2000.00"}
    ],
}


def quote_payload(**changes: Any) -> dict[str, Any]:
    """A valid create-quote body (:func:`example_quote_payload`, for today, with a £2,000
    order); ``order__total=...`` style keys change nested fields, and a value of ``DROP``
    removes the field."""
    payload = example_quote_payload()
    payload["order"].update(copy.deepcopy(_ORDER))
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        target = payload
        for part in parents:
            target = target[part]
        if value is DROP:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return payload


DROP = object()
