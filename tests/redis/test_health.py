"""``GET <prefix>/healthz``: database, Redis and DivideBuy state of one worker, no secrets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import create_engine
from tcp_proxy import TcpProxy

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy, get_state
from dividebuy_checkout.flask.health import _DatabaseProbe, health_report
from dividebuy_checkout.settings import Settings

SECRET = "health-test-client-secret"


class NoOrders:
    def get_order(self, order_id: str) -> None:
        return None


def shop(sandbox, tmp_path: Path, redis_url: str | None = None, prefix: str = "x:") -> Flask:
    app = Flask("health-shop", root_path=str(tmp_path))
    app.config.update(SECRET_KEY="s" * 32, DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path}/shop.db")
    settings = Settings(
        client_id="shop-health",
        client_secret=SECRET,
        environment="local",
        base_url=sandbox.url,
        redis_url=redis_url,
        redis_prefix=prefix,
    )
    DivideBuy(app, order_source=NoOrders(), client=DivideBuyClient(settings=settings))
    return app


def test_a_healthy_worker_without_redis_answers_ok(sandbox, tmp_path):
    answer = shop(sandbox, tmp_path).test_client().get("/dividebuy/healthz")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == "off" and body["shared_state"] == "off"
    assert body["divide_buy"] == "closed"
    assert isinstance(body["worker"], int)


def test_redis_state_is_reported_and_an_outage_only_degrades(
    sandbox, tmp_path, redis_url, redis_prefix
):
    proxy, proxied = TcpProxy.to_url(redis_url)
    try:
        app = shop(sandbox, tmp_path, proxied, redis_prefix)
        client = app.test_client()
        body = client.get("/dividebuy/healthz").get_json()
        assert body["status"] == "ok" and body["redis"] == "ok"
        assert body["shared_state"] == "shared"

        proxy.close()
        get_state(app).services["terms"].current("2000")  # a page meets the outage
        answer = client.get("/dividebuy/healthz")
        assert answer.status_code == 200  # the worker still serves pages
        body = answer.get_json()
        assert body["status"] == "degraded" and body["redis"] == "unreachable"
        assert body["shared_state"] == "local"  # this worker uses its own state
        text = answer.get_data(as_text=True)
        for secret in (SECRET, str(proxy.port), "redis://", redis_prefix):
            assert secret not in text
    finally:
        proxy.shutdown()


def test_an_unreachable_database_takes_the_worker_out_of_rotation(sandbox, tmp_path):
    app = shop(sandbox, tmp_path)
    state = get_state(app)
    # Nothing listens on port 1: the real probe's SELECT 1 fails, naming no host.
    broken = SimpleNamespace(
        store=SimpleNamespace(engine=create_engine("postgresql+psycopg://root@127.0.0.1:1/x")),
    )
    probe = _DatabaseProbe(broken)  # type: ignore[arg-type]
    code, body = health_report(state, probe)
    assert code == 503
    assert body["status"] == "down" and body["database"] == "unreachable"
    assert "127.0.0.1" not in str(body)
