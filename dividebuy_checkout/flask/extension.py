"""The Flask extension: ``DivideBuy(app)`` or ``DivideBuy().init_app(app)``.

Follows the Flask-SQLAlchemy / Flask-Login habits: state lives in
``app.extensions["dividebuy"]`` (never on ``self``, so one extension object
serves many apps), and a setting that cannot work is a clear
:class:`~dividebuy_checkout.config.ConfigurationError` at start-up rather than a
500 at the first request.

Configuration (every key in :mod:`dividebuy_checkout.config`, listed in
docs/configuration.md): ``app.config`` first, then the process environment,
then the default. After ``init_app`` each ``DIVIDEBUY_*`` key is in
``app.config`` with its typed value, so ``DIVIDEBUY_CLIENT_ID`` and
``DIVIDEBUY_CLIENT_SECRET`` exported in the environment are enough. An unknown
``DIVIDEBUY_*`` key in ``app.config`` (a typo) is refused with a "did you mean".

Keys naming Flask endpoints (``DIVIDEBUY_SUCCESS_ENDPOINT``…) can only be checked
once the shop has added its own routes, usually after ``DivideBuy(app)``: they
are checked by :meth:`DivideBuy.verify` (call it at the end of the app factory)
and, at the latest, before the app's first request is handled — a wrong name
then fails every request loudly (a 500 and a logged ConfigurationError) before
any shopper can start a payment, instead of a link quietly missing afterwards.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

from flask import Blueprint, Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import integrations
from ..client import DivideBuyClient
from ..config import REGISTRY, ConfigurationError, claim_prefix, declare, read_settings, setting
from ..orders import Order, OrderSource
from ..settings import Settings
from ..store import SqlStore
from ..store.retry import DEFAULT_LOCK_TIMEOUT
from ..store.schema import check_at_start, upgrades_itself

if TYPE_CHECKING:
    from ..backoffice import BackOfficeService
    from ..checkout import CheckoutService
    from ..terms import TermsSource
    from ..widgets import WidgetService

__all__ = [
    "CONFIG_DEFAULTS",
    "EXTENSION_KEY",
    "DivideBuy",
    "DivideBuyState",
    "OrderLoader",
    "Services",
    "default_database_url",
    "get_state",
    "verify_endpoints",
]

log = logging.getLogger("dividebuy_checkout.flask")

EXTENSION_KEY = "dividebuy"

#: the extension's own keys (the client's and the store's are declared in config.py)
CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_URL_PREFIX": setting("/dividebuy", "where the blueprint's routes are mounted"),
}
declare("flask", CONFIG_DEFAULTS)
# Each shop platform reads and checks its own DIVIDEBUY_<PLATFORM>_* keys (its adapter is
# imported only when named), so they are not "unknown" in app.config.
for _platform in integrations.PLATFORMS:
    claim_prefix(f"DIVIDEBUY_{_platform.upper()}_", f"the {_platform} order source")

#: a function ``order_id -> Order | None`` (what ``@dividebuy.order_loader`` decorates)
OrderLoader = Callable[[str], Order | None]

#: file name of the default SQLite database, in the app's instance folder
DEFAULT_DATABASE_FILE = "dividebuy.sqlite3"


class Services(TypedDict, total=False):
    """The services each part of the blueprint registered (a part that is off is absent)."""

    checkout: CheckoutService
    backoffice: BackOfficeService
    widgets: WidgetService
    #: the one terms source checkout and widgets share (flask/terms.py)
    terms: TermsSource


@dataclass
class DivideBuyState:
    """What ``app.extensions["dividebuy"]`` holds for one app."""

    settings: Settings
    client: DivideBuyClient
    store: SqlStore
    order_source: OrderSource | None = None
    #: services registered by each part of the blueprint (checkout, widgets, back office)
    services: Services = field(default_factory=lambda: Services())


def get_state(app: Flask | None = None) -> DivideBuyState:
    """The extension's state for *app* (default: the current app)."""
    app = app or current_app
    try:
        state: DivideBuyState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("DivideBuy is not set up on this app: call DivideBuy(app).") from None
    return state


def default_database_url(instance_path: str) -> str:
    """Where the store is when ``DIVIDEBUY_DATABASE_URL`` is not set: the app's instance folder.

    The console CLI never guesses this (it has no app, so no instance folder): it
    asks for ``DIVIDEBUY_DATABASE_URL``. ``flask dividebuy …`` uses the app's store.
    """
    return "sqlite:///" + os.path.join(instance_path, DEFAULT_DATABASE_FILE)


class _LoaderSource:
    """An :class:`OrderSource` over a plain ``order_id -> Order | None`` function."""

    def __init__(self, loader: OrderLoader) -> None:
        self.loader = loader

    def get_order(self, order_id: str) -> Order | None:
        return self.loader(order_id)

    def __repr__(self) -> str:
        return f"order_loader({getattr(self.loader, '__qualname__', self.loader)!r})"


class DivideBuy:
    """Mount DivideBuy checkout, widgets and back office in a Flask app."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        order_source: OrderSource | None = None,
        store: SqlStore | None = None,
        client: DivideBuyClient | None = None,
    ) -> None:
        self._order_source = order_source
        self._store = store
        self._client = client
        self._initialised = False
        if app is not None:
            self.init_app(app)

    # -- the services of the current app ----------------------------------------------------

    @property
    def checkout(self) -> CheckoutService:
        """The current app's :class:`~dividebuy_checkout.checkout.CheckoutService`."""
        return cast("CheckoutService", self._service("checkout"))

    @property
    def backoffice(self) -> BackOfficeService:
        """The current app's :class:`~dividebuy_checkout.backoffice.BackOfficeService`."""
        return cast("BackOfficeService", self._service("backoffice"))

    @property
    def widgets(self) -> WidgetService:
        """The current app's :class:`~dividebuy_checkout.widgets.WidgetService`."""
        return cast("WidgetService", self._service("widgets"))

    @staticmethod
    def _service(name: str) -> object:
        services: dict[str, object] = dict(get_state().services)
        if name not in services:
            raise RuntimeError(
                f"DivideBuy {name} is off in this app"
                + (
                    " (give an order source, or set DIVIDEBUY_CHECKOUT_ENABLED = True)."
                    if name == "checkout"
                    else "."
                )
            )
        return services[name]

    # -- the order source -------------------------------------------------------------------

    def order_loader(self, loader: OrderLoader) -> OrderLoader:
        """Decorator: ``order_id -> Order | None`` becomes the order source (like Flask-Login's
        ``user_loader``). Register it before ``init_app`` / ``DivideBuy(app)``: the checkout is
        built there, and an order source added later would otherwise be silently unused."""
        if self._initialised:
            raise RuntimeError(
                "@dividebuy.order_loader must come before DivideBuy(app) / init_app(app): "
                "create DivideBuy() first, decorate the loader, then call init_app(app)."
            )
        if self._order_source is not None:
            raise RuntimeError("DivideBuy already has an order source (order_source=…).")
        self._order_source = _LoaderSource(loader)
        return loader

    # -- set-up -----------------------------------------------------------------------------

    def init_app(
        self,
        app: Flask,
        *,
        order_source: OrderSource | None = None,
        store: SqlStore | None = None,
        client: DivideBuyClient | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        # Imported here (it imports this module): its import declares every part's keys,
        # so the registry is complete before the configuration is read.
        from . import blueprint
        from .commands import register_cli

        self._initialised = True
        try:
            REGISTRY.refuse_unknown(app.config)
            values = read_settings(app.config, os.environ if environ is None else environ)
        except ConfigurationError as exc:
            raise ConfigurationError(f"DivideBuy cannot start: {exc}", key=exc.key) from None
        app.config.update(values)

        client = client or self._client
        if client is None:
            try:
                client = DivideBuyClient(settings=Settings.from_mapping(values))
            except ConfigurationError as exc:
                raise ConfigurationError(f"DivideBuy cannot start: {exc}", key=exc.key) from None
        database_url = values["DIVIDEBUY_DATABASE_URL"]
        if store is None and self._store is None and not database_url:
            os.makedirs(app.instance_path, exist_ok=True)
            database_url = default_database_url(app.instance_path)
        state = DivideBuyState(
            settings=client.settings,
            client=client,
            store=store
            or self._store
            or _own_store(database_url, float(values["DIVIDEBUY_DB_LOCK_TIMEOUT"])),
            order_source=order_source or self._order_source or _configured_source(app, values),
        )
        app.extensions[EXTENSION_KEY] = state
        bp: Blueprint = blueprint.build(app, state)
        app.register_blueprint(bp, url_prefix=values["DIVIDEBUY_URL_PREFIX"])
        register_cli(app, state)
        _verify_before_first_request(app)

    @staticmethod
    def verify(app: Flask) -> None:
        """Check what can only be checked once the app's routes are all added.

        Call it at the end of the app factory to fail at start-up; otherwise it runs
        before the first request. Raises :class:`ConfigurationError` naming the key.
        """
        verify_endpoints(app)


def _own_store(url: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> SqlStore:
    """The store the extension builds from ``DIVIDEBUY_DATABASE_URL``: an embedded SQLite
    database brings its own schema up to date; a shared one is upgraded by ``db upgrade``,
    and its revision is read once here (:func:`check_at_start`): behind → one warning,
    ahead → the app does not start.

    A shared database that cannot be reached at start-up does not stop the app (its pages
    answer 503 until it is back, as when it goes away later): one warning, no check."""
    store = SqlStore(url, lock_timeout=lock_timeout)
    try:
        check_at_start(store.engine, upgrades=upgrades_itself(url))
    except ConfigurationError as exc:
        raise ConfigurationError(f"DivideBuy cannot start: {exc}", key=exc.key) from None
    except SQLAlchemyError as exc:
        if upgrades_itself(url):
            raise
        # the driver's message may carry a password-bearing DSN: the error's name only
        log.warning(
            "DivideBuy could not read the schema revision of %s at start-up (%s); not checked.",
            store.engine.url.render_as_string(hide_password=True),
            type(exc).__name__,
        )
    return store


def _configured_source(app: Flask, values: Mapping[str, Any]) -> OrderSource | None:
    """The platform (or ``module:object``) ``DIVIDEBUY_ORDER_SOURCE`` names, if set."""
    name = values.get(integrations.SETTING)
    if not name:
        return None
    try:
        source: OrderSource = integrations.build_order_source(
            str(name), {**os.environ, **app.config}
        )
    except ConfigurationError as exc:
        raise ConfigurationError(f"DivideBuy cannot start: {exc}", key=exc.key) from None
    return source


def verify_endpoints(app: Flask) -> None:
    """Every key naming a Flask endpoint names one the app has."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for key in REGISTRY:
        if not key.endpoint or key.name not in app.config:
            continue
        name = app.config[key.name]
        if name and name not in endpoints:
            raise ConfigurationError(
                f"{key.name} names the endpoint {name!r}, which this app does not have "
                "(give the name url_for() takes, such as 'shop.order').",
                key=key.name,
            )


def _verify_before_first_request(app: Flask) -> None:
    """Run :func:`verify_endpoints` before the first request (Flask has no "set-up finished"
    hook); until the configuration is fixed every request fails with the error."""
    done = threading.Event()

    def check() -> None:
        if done.is_set():
            return
        try:
            verify_endpoints(app)
        except ConfigurationError:
            log.critical("DivideBuy's configuration names a missing endpoint", exc_info=True)
            raise
        done.set()

    app.before_request_funcs.setdefault(None, []).insert(0, check)
