"""The Flask checkout's per-address limit is one count across workers when Redis is set."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.settings import Settings


class NoOrders:
    """An order source that knows no order (the limit is checked before any lookup)."""

    def get_order(self, order_id: str) -> None:
        return None


def worker_app(sandbox, redis_url: str, prefix: str, tmp_path: Path, n: int) -> Flask:
    """One gunicorn worker's app: its own client, settings naming the shared Redis."""
    app = Flask(f"worker-{n}", root_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="s" * 32,
        DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path}/shop.db",
        DIVIDEBUY_RATE_LIMIT="3/minute",
    )
    settings = Settings(
        client_id="shop",
        client_secret="s",
        environment="local",
        base_url=sandbox.url,
        redis_url=redis_url,
        redis_prefix=prefix,
    )
    DivideBuy(app, order_source=NoOrders(), client=DivideBuyClient(settings=settings))
    return app


def test_returns_from_one_address_are_limited_across_workers(
    sandbox, redis_url, redis_prefix, tmp_path
):
    apps = [worker_app(sandbox, redis_url, redis_prefix, tmp_path, n) for n in range(2)]
    clients = [app.test_client() for app in apps]
    statuses = [clients[n % 2].get("/dividebuy/return?order=1").status_code for n in range(4)]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429  # the 4th from this address, whichever worker it reached
