"""The Flask extension reads the registry: app.config first, then the environment.

Apps are served on loopback ports and driven over real HTTP; start-up failures are
also shown from a real process, the way a deployer meets them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from dividebuy_checkout.config import REGISTRY, ConfigurationError
from dividebuy_checkout.flask import DivideBuy, get_state
from dividebuy_checkout.flask import blueprint as _blueprint  # noqa: F401  (every key declared)
from dividebuy_checkout.orders import Order
from tests.cli import cron_orders
from tests.support import serve_wsgi

SECRET_KEY = "config-tests-secret-key-0123456789abcdef"


def _order(order_id: str) -> Order | None:
    return cron_orders.orders.get_order(order_id)


class Orders:
    def get_order(self, order_id: str) -> Order | None:
        return _order(order_id)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No DIVIDEBUY_* setting in the environment but those a test sets."""
    for key in REGISTRY:
        monkeypatch.delenv(key.name, raising=False)
    return monkeypatch


@pytest.fixture
def exported(clean_env: pytest.MonkeyPatch, sandbox: Any) -> pytest.MonkeyPatch:
    """A deployer's environment: the credentials and where DivideBuy is, exported."""
    clean_env.setenv("DIVIDEBUY_ENVIRONMENT", "local")
    clean_env.setenv("DIVIDEBUY_BASE_URL", sandbox.url)
    clean_env.setenv("DIVIDEBUY_CLIENT_ID", "exported-id")
    clean_env.setenv("DIVIDEBUY_CLIENT_SECRET", "exported-secret")
    return clean_env


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``make_app(config, order_source=…)``: an app with DivideBuy, its routes added after."""
    apps: list[Flask] = []

    def build(config: dict[str, Any] | None = None, **kw: Any) -> Flask:
        app = Flask(f"shop{len(apps)}", instance_path=str(tmp_path / f"instance{len(apps)}"))
        app.config.update(SECRET_KEY=SECRET_KEY, **(config or {}))
        extension = kw.pop("extension", None) or DivideBuy()
        extension.init_app(app, **kw)

        @app.route("/orders/<order_id>")
        def order(order_id: str) -> str:  # the shop's own page, added after DivideBuy(app)
            return f"order {order_id}"

        apps.append(app)
        return app

    yield build
    for app in apps:
        widgets = get_state(app).services.get("widgets")
        if widgets is not None:
            widgets.close()


@pytest.fixture
def http() -> Iterator[Callable[[Flask], httpx.Client]]:
    servers = []
    clients: list[httpx.Client] = []

    def open_(app: Flask) -> httpx.Client:
        server = serve_wsgi(app)
        servers.append(server)
        client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=15)
        clients.append(client)
        return client

    yield open_
    for client in clients:
        client.close()
    for server in servers:
        server.shutdown()
        server.server_close()


# -- the environment is enough -------------------------------------------------------------------


def test_exported_credentials_are_enough_for_divide_buy(exported, make_app, http):
    app = make_app()  # app.config holds no DivideBuy setting at all

    response = http(app).get("/dividebuy/widget/terms", params={"amount": "2000.00"})

    assert response.status_code == 200, response.text
    assert response.json()["eligible"] is True  # the sandbox took the exported credentials
    assert get_state(app).settings.client_id == "exported-id"
    assert app.config["DIVIDEBUY_CLIENT_ID"] == "exported-id"
    # no database configured: the app's instance folder, as documented
    assert str(get_state(app).store.engine.url).endswith(
        os.path.join(app.instance_path, "dividebuy.sqlite3")
    )


def test_app_config_wins_over_the_environment(exported, make_app):
    app = make_app({"DIVIDEBUY_CLIENT_ID": "config-id", "DIVIDEBUY_WIDGET_BUDGET": 0.2})
    assert get_state(app).settings.client_id == "config-id"
    assert app.config["DIVIDEBUY_WIDGET_BUDGET"] == 0.2


# -- DIVIDEBUY_CHECKOUT_ENABLED=false --------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", "app.config"])
def test_checkout_enabled_false_switches_checkout_off(exported, make_app, http, where):
    if where == "environment":
        exported.setenv("DIVIDEBUY_CHECKOUT_ENABLED", "false")
        app = make_app(order_source=Orders())
    else:
        app = make_app({"DIVIDEBUY_CHECKOUT_ENABLED": "false"}, order_source=Orders())

    browser = http(app)
    assert browser.get("/dividebuy/apply/any-token").status_code == 404
    assert browser.get("/dividebuy/return", params={"ref": "x"}).status_code == 404
    assert app.config["DIVIDEBUY_CHECKOUT_ENABLED"] is False
    assert "checkout" not in get_state(app).services
    assert "dividebuy_checkout_url" not in app.jinja_env.globals  # no link to a form


def test_checkout_is_on_with_an_order_source_by_default(exported, make_app, http):
    app = make_app(order_source=Orders())
    # the form's route exists: a made-up link is refused as a bad link, not a 404
    assert http(app).get("/dividebuy/apply/any-token").status_code == 400


# -- DIVIDEBUY_WIDGET_BUDGET ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", "app.config"])
def test_widget_budget_from_a_string(exported, make_app, http, where):
    if where == "environment":
        exported.setenv("DIVIDEBUY_WIDGET_BUDGET", "0.5")
        app = make_app()
    else:
        app = make_app({"DIVIDEBUY_WIDGET_BUDGET": "0.5"})

    assert app.config["DIVIDEBUY_WIDGET_BUDGET"] == 0.5
    assert get_state(app).services["widgets"].budget == 0.5
    response = http(app).get("/dividebuy/widget/terms", params={"amount": "2000.00"})
    assert response.status_code == 200 and response.json()["eligible"] is True


@pytest.mark.parametrize("where", ["environment", "app.config"])
def test_widget_budget_soon_stops_start_up_naming_the_key(exported, make_app, where):
    if where == "environment":
        exported.setenv("DIVIDEBUY_WIDGET_BUDGET", "soon")
        config = {}
    else:
        config = {"DIVIDEBUY_WIDGET_BUDGET": "soon"}

    with pytest.raises(ConfigurationError) as caught:
        make_app(config)

    assert caught.value.key == "DIVIDEBUY_WIDGET_BUDGET"
    assert "DIVIDEBUY_WIDGET_BUDGET must be a number, at least 0; it is 'soon'" in str(caught.value)


SHOP_MODULE = """
from flask import Flask
from dividebuy_checkout.flask import DivideBuy

app = Flask(__name__)
app.config["SECRET_KEY"] = "k" * 32
DivideBuy(app)
"""


def test_a_bad_environment_value_stops_a_real_process_with_one_clear_message(tmp_path, sandbox):
    (tmp_path / "badshop.py").write_text(SHOP_MODULE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(Path(__file__).resolve().parents[2])]),
        DIVIDEBUY_ENVIRONMENT="local",
        DIVIDEBUY_BASE_URL=sandbox.url,
        DIVIDEBUY_CLIENT_ID="id",
        DIVIDEBUY_CLIENT_SECRET="secret",
        DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        DIVIDEBUY_WIDGET_BUDGET="soon",
    )

    def flask_routes() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "badshop", "routes"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    result = flask_routes()
    assert result.returncode != 0
    assert "DIVIDEBUY_WIDGET_BUDGET must be a number, at least 0; it is 'soon'" in result.stderr
    assert "/dividebuy/widget/terms" not in result.stdout  # it never started

    env["DIVIDEBUY_WIDGET_BUDGET"] = "0.5"
    started = flask_routes()
    assert started.returncode == 0, started.stderr
    assert "/dividebuy/widget/terms" in started.stdout


# -- refusals at start-up ------------------------------------------------------------------------


def test_a_misspelt_key_in_app_config_is_refused_with_a_suggestion(exported, make_app):
    with pytest.raises(ConfigurationError) as caught:
        make_app({"DIVIDEBUY_WIDGETS_BUDGET": 0.5})
    assert "DIVIDEBUY_WIDGETS_BUDGET is not a DivideBuy setting" in str(caught.value)
    assert "Did you mean DIVIDEBUY_WIDGET_BUDGET?" in str(caught.value)


def test_unknown_names_in_the_environment_are_ignored(exported, make_app):
    exported.setenv("DIVIDEBUY_TEST_SOMETHING", "x")  # tooling shares the prefix
    assert make_app().config.get("DIVIDEBUY_TEST_SOMETHING") is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]"])
def test_live_with_a_loopback_base_url_is_refused(clean_env, make_app, url):
    clean_env.setenv("DIVIDEBUY_ENVIRONMENT", "live")
    clean_env.setenv("DIVIDEBUY_BASE_URL", url)
    with pytest.raises(ConfigurationError, match="'live' cannot use the loopback"):
        make_app({"DIVIDEBUY_CLIENT_ID": "id", "DIVIDEBUY_CLIENT_SECRET": "secret"})


def test_a_missing_endpoint_name_fails_every_request_before_a_shopper_can_pay(
    exported, make_app, http
):
    app = make_app({"DIVIDEBUY_SUCCESS_ENDPOINT": "shop.nope"}, order_source=Orders())
    app.logger.disabled = True

    with pytest.raises(ConfigurationError, match="DIVIDEBUY_SUCCESS_ENDPOINT names the endpoint"):
        DivideBuy.verify(app)
    browser = http(app)
    assert browser.get("/orders/1001").status_code == 500
    assert browser.get("/dividebuy/apply/any-token").status_code == 500


def test_an_endpoint_added_after_divide_buy_is_found(exported, make_app, http):
    app = make_app({"DIVIDEBUY_SUCCESS_ENDPOINT": "order"}, order_source=Orders())
    DivideBuy.verify(app)
    assert http(app).get("/orders/1001").text == "order 1001"


# -- the extension's surface -----------------------------------------------------------------------


def test_order_loader_decorator_becomes_the_order_source(exported, make_app, http):
    dividebuy = DivideBuy()
    asked: list[str] = []

    @dividebuy.order_loader
    def load(order_id: str) -> Order | None:
        asked.append(order_id)
        return _order(order_id)

    app = make_app(extension=dividebuy)
    with app.app_context():
        token = dividebuy.checkout.start_token("1001")

    form = http(app).get(f"/dividebuy/apply/{token}")

    assert form.status_code == 200, form.text
    assert "Ada" in form.text and "1001" in asked
    with pytest.raises(RuntimeError, match="must come before"):
        dividebuy.order_loader(load)


def test_the_extension_exposes_the_current_apps_services(exported, make_app):
    dividebuy = DivideBuy()
    app = make_app(extension=dividebuy)  # no order source: checkout is off
    other = make_app(extension=dividebuy, order_source=Orders())

    with app.app_context():
        state = get_state()
        assert dividebuy.widgets is state.services["widgets"]
        assert dividebuy.backoffice is state.services["backoffice"]
        with pytest.raises(RuntimeError, match="checkout is off"):
            _ = dividebuy.checkout
    with other.app_context():
        assert dividebuy.checkout is get_state().services["checkout"]
        assert dividebuy.widgets is not get_state(app).services["widgets"]


def test_flask_dividebuy_refuses_a_listener_the_apps_signals_replace(exported, make_app):
    app = make_app(order_source=Orders())

    result = app.test_cli_runner().invoke(
        args=["dividebuy", "reconcile", "--listener", "json:dumps"]
    )

    assert result.exit_code == 2
    assert "--listener is for the console CLI" in result.output
