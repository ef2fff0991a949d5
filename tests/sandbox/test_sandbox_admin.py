"""The admin API, the Python API, the server wrapper and the wiring to routes.py."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from werkzeug.test import Client

from dividebuy_checkout import routes
from dividebuy_checkout.sandbox import SandboxApp, SandboxConfig, SandboxServer
from dividebuy_checkout.sandbox.api import HANDLERS
from dividebuy_checkout.sandbox.app import werkzeug_rule
from dividebuy_checkout.sandbox.magic import MAGIC_VALUES, markdown_table

from .helpers import quote_payload

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def test_state_lists_everything_but_never_the_tokens(api, http):
    order = api.completed_order()
    api.refund(order["retailer_order_id"], "10.00")
    listing = http.get("/_sandbox/state").json()
    assert listing["tokens"] == 1 and listing["token_requests"] == 1
    assert api.token not in str(listing)
    assert [q["status"] for q in listing["quotes"]] == ["Completed"]
    assert listing["orders"][0]["order_ref_id"] == order["order_ref_id"]
    assert listing["refunds"][0]["amount"] == 10
    assert listing["settlements"] == [] and listing["faults"] == []
    assert {"method", "path", "status"} <= set(listing["requests"][0])


def test_admin_moves_quotes(api, http):
    cancelled, expired = api.new_quote(), api.new_quote()
    assert http.post(f"/_sandbox/quotes/{cancelled['id']}/cancel").json()["quote"]["status"] == (
        "Cancelled"
    )
    assert http.post(f"/_sandbox/quotes/{expired['id']}/expire").json()["quote"]["status"] == (
        "Expired"
    )
    again = http.post(f"/_sandbox/quotes/{expired['id']}/complete")
    assert again.status_code == 409 and "Expired" in again.json()["message"]
    assert http.post("/_sandbox/quotes/nope/complete").status_code == 404
    assert http.post(f"/_sandbox/quotes/{expired['id']}/explode").status_code == 404


def test_reset_forgets_everything_and_restores_the_starting_config(api, http, sandbox):
    api.new_quote()
    http.post("/_sandbox/config", json={"latency": 0.01})
    http.post("/_sandbox/faults", json={"route": "TERMS", "status": 503})
    http.post("/_sandbox/clock", json={"advance": 100})
    assert http.post("/_sandbox/reset").json() == {"reset": True}
    listing = http.get("/_sandbox/state").json()
    assert listing["quotes"] == [] and listing["faults"] == [] and listing["tokens"] == 0
    assert listing["config"]["latency"] == 0 and listing["clock_offset"] == 0
    assert sandbox.state.config.slow_seconds == sandbox.app.state.config.slow_seconds


def test_clock_only_moves_forward(http):
    assert http.post("/_sandbox/clock", json={"advance": -1}).status_code == 422
    assert http.post("/_sandbox/clock", json={}).status_code == 422


def test_admin_answers_loopback_callers_only():
    client = Client(SandboxApp())
    remote = client.get("/_sandbox/state", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert remote.status_code == 403
    local = client.get("/_sandbox/state", environ_base={"REMOTE_ADDR": "::1"})
    assert local.status_code == 200


def test_the_app_works_in_process_without_http():
    app = SandboxApp(SandboxConfig(slow_seconds=0))
    client = Client(app)
    token = client.post(
        routes.TOKEN.path,
        json={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic aWQ6c2VjcmV0"},
    ).json["access_token"]
    reply = client.post(
        routes.CREATE_QUOTE.path,
        data=__import__("dividebuy_checkout.money", fromlist=["dumps"]).dumps(quote_payload()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    quote_id = reply.json["data"]["requested_quote"]["id"]
    app.state.complete_quote(quote_id)
    assert app.state.get_quote(quote_id).status == "Completed"
    refund = app.state.refund("1001", Decimal("20.00"))
    assert refund.refund_type == "PARTIAL"


def test_every_route_in_the_route_table_is_served_at_its_path():
    table = {n: r for n, r in vars(routes).items() if isinstance(r, routes.Route)}
    assert set(table) == set(HANDLERS)
    served = {rule.endpoint[1]: rule for rule in SandboxApp().url_map.iter_rules()
              if rule.endpoint[0] == "api"}  # fmt: skip
    for name, route in table.items():
        assert served[name].rule == werkzeug_rule(route.path)
        assert route.method in served[name].methods


def test_docs_carry_the_magic_table_from_magic_py():
    text = DOCS.read_text(encoding="utf-8")
    assert markdown_table() in text
    for row in MAGIC_VALUES:
        assert row.value in text


def test_server_picks_a_free_port_and_stops_cleanly():
    with SandboxServer(port=0) as first, SandboxServer() as second:
        assert first.port != second.port and first.port > 0
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.url)
        assert httpx.get(f"{first.url}/_sandbox/state").status_code == 200
        with pytest.raises(RuntimeError):
            first.start()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{first.url}/_sandbox/state", timeout=1)
