"""A Flask app wired to the REC+ fake and the DivideBuy sandbox, served on loopback.

The webhook and bridge tests drive it over real HTTP: the fake's webhook sender
delivers to it, the sandbox settles and refunds for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer, WebhookSubscription
from flask import Flask
from support import serve_wsgi
from werkzeug.serving import BaseWSGIServer

from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.flask.webhooks import PlatformServices, platform_services
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus, SqlStore
from dividebuy_checkout.store.inbox import InboxEntry

HOOK_USER = "recplus-hooks"
HOOK_PASSWORD = "a-long-webhook-password-0123"
HOOK_TOKEN = "a-long-bearer-token-0123456789"
SETTLE = "Dispatched"
REFUND = "Refunded"
PAID = "Paid by DivideBuy"
PENDING = "Pending Finance"
FAILED = "Finance Failed"
ORDER = "500001"
ORDER_TOTAL = Decimal("1298.00")


def app_config(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path, **extra: Any
) -> dict[str, Any]:
    return {
        "SECRET_KEY": "platform-test-secret-key-0123456789abcdef",
        "WTF_CSRF_ENABLED": True,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
        "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:6]}.sqlite3'}",
        "DIVIDEBUY_RATE_LIMIT": "200/minute",
        "DIVIDEBUY_ORDER_SOURCE": "recplus",
        "DIVIDEBUY_RECPLUS_BASE_URL": recplus.api_url,
        "DIVIDEBUY_RECPLUS_API_USER": "api",
        "DIVIDEBUY_RECPLUS_API_PASS": "api-pass",
        "DIVIDEBUY_RECPLUS_TIMEOUT": 2,
        "DIVIDEBUY_RECPLUS_SETTLE_STATUSES": [SETTLE, "Completed"],
        "DIVIDEBUY_RECPLUS_REFUND_STATUSES": [REFUND],
        "DIVIDEBUY_RECPLUS_WEBHOOK_AUTH": "basic",
        "DIVIDEBUY_RECPLUS_WEBHOOK_USER": HOOK_USER,
        "DIVIDEBUY_RECPLUS_WEBHOOK_PASSWORD": HOOK_PASSWORD,
        "DIVIDEBUY_RECPLUS_STATUS_PENDING_FINANCE": PENDING,
        "DIVIDEBUY_RECPLUS_STATUS_PAID": PAID,
        "DIVIDEBUY_RECPLUS_STATUS_FINANCE_FAILED": FAILED,
        **extra,
    }


@dataclass
class PlatformShop:
    """The app, its loopback URL, the fake REC+ and the sandbox."""

    app: Flask
    url: str
    server: BaseWSGIServer
    recplus: RecPlusFakeServer
    sandbox: SandboxServer

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/dividebuy/webhooks/recplus"

    @property
    def store(self) -> SqlStore:
        return self.app.extensions["dividebuy"].store

    @property
    def platform(self) -> PlatformServices:
        return platform_services(self.app)

    def inbox(self) -> list[InboxEntry]:
        return self.platform.inbox.events()

    def subscribe(self, **kw: Any) -> None:
        kw.setdefault("auth", "basic")
        kw.setdefault("user", HOOK_USER)
        kw.setdefault("password", HOOK_PASSWORD)
        self.recplus.state.webhooks.subscribe(WebhookSubscription(url=self.webhook_url, **kw))

    def sandbox_state(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.sandbox.url}/_sandbox/state", timeout=10)
        reply.raise_for_status()
        state: dict[str, Any] = loads(reply.content)
        return state

    def settle_calls(self) -> int:
        return int(self.sandbox_state()["settle_calls"])

    def refund_calls(self) -> int:
        return int(self.sandbox_state()["calls"].get("REFUND", 0))

    def completed_checkout(
        self, order_id: str = ORDER, total: Decimal = ORDER_TOTAL
    ) -> CheckoutRecord:
        """A quote completed at the sandbox and recorded as completed (as a return would)."""
        record = self.pending_checkout(order_id, total)
        reply = httpx.post(
            f"{self.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
        )
        reply.raise_for_status()
        completed = loads(reply.content)["quote"]
        moved = self.store.transition(
            record.quote_id,
            CheckoutStatus.COMPLETED,
            source="test",
            dividebuy_order_id=completed["order_ref_id"],
        )
        assert moved is not None
        return moved

    def pending_checkout(
        self, order_id: str = ORDER, total: Decimal = ORDER_TOTAL
    ) -> CheckoutRecord:
        client = self.app.extensions["dividebuy"].client
        quote = client.create_quote(example_quote_for(order_id, total))
        return self.store.add(
            quote_id=quote.id,
            order_id=order_id,
            order_ref=f"REF-{order_id}",
            amount=total,
            credit_amount=total,
            term=12,
            status=CheckoutStatus.PENDING,
            decision=quote.decision,
            checkout_url=quote.checkout_url,
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build_platform_shop(
    sandbox: SandboxServer,
    recplus: RecPlusFakeServer,
    tmp_path: Path,
    **extra: Any,
) -> PlatformShop:
    app = Flask(f"platform-shop-{uuid.uuid4().hex[:6]}")
    app.config.update(app_config(sandbox, recplus, tmp_path, **extra))
    DivideBuy(app)
    server = serve_wsgi(app)
    return PlatformShop(app, f"http://127.0.0.1:{server.port}", server, recplus, sandbox)
