"""The Flask extension: ``DivideBuy(app)`` or ``DivideBuy().init_app(app)``.

Follows the Flask-SQLAlchemy / Flask-WTF habits: every setting is read from
``app.config`` under the ``DIVIDEBUY_`` prefix (defaults set with
``setdefault``), state lives in ``app.extensions["dividebuy"]`` (never on
``self``, so one extension object serves many apps), and a missing required
setting is a clear error at start-up rather than a 500 at the first request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app

from ..client import DivideBuyClient
from ..settings import ConfigurationError, Settings
from ..store import SqlStore

EXTENSION_KEY = "dividebuy"

#: Every Flask setting and its default (the client's own settings — client id,
#: secret, environment, base URL, timeouts — are read by Settings.from_mapping).
CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_ENVIRONMENT": "sandbox",
    "DIVIDEBUY_URL_PREFIX": "/dividebuy",
    # None: SQLite in the app's instance folder
    "DIVIDEBUY_DATABASE_URL": None,
}


@dataclass
class DivideBuyState:
    """What ``app.extensions["dividebuy"]`` holds for one app."""

    settings: Settings
    client: DivideBuyClient
    store: SqlStore
    order_source: Any = None
    #: services registered by each part of the blueprint (checkout, widgets, back office)
    services: dict[str, Any] = field(default_factory=dict)


def get_state(app: Flask | None = None) -> DivideBuyState:
    """The extension's state for *app* (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("DivideBuy is not set up on this app: call DivideBuy(app).") from None


class DivideBuy:
    """Mount DivideBuy checkout, widgets and back office in a Flask app."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        order_source: Any = None,
        store: SqlStore | None = None,
        client: DivideBuyClient | None = None,
    ) -> None:
        self._order_source = order_source
        self._store = store
        self._client = client
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        *,
        order_source: Any = None,
        store: SqlStore | None = None,
        client: DivideBuyClient | None = None,
    ) -> None:
        # Imported here: each part registers its own config defaults and routes.
        from . import blueprint

        for key, value in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, value)
        blueprint.set_config_defaults(app)

        client = client or self._client
        if client is None:
            try:
                settings = Settings.from_mapping(app.config)
                client = DivideBuyClient(settings=settings)
            except ConfigurationError as exc:
                raise ConfigurationError(f"DivideBuy cannot start: {exc}") from None
        store = store or self._store or SqlStore(self._database_url(app))
        state = DivideBuyState(
            settings=client.settings,
            client=client,
            store=store,
            order_source=order_source or self._order_source,
        )
        app.extensions[EXTENSION_KEY] = state
        bp: Blueprint = blueprint.build(app, state)
        app.register_blueprint(bp, url_prefix=app.config["DIVIDEBUY_URL_PREFIX"])
        from .commands import register_cli

        register_cli(app, state)

    @staticmethod
    def _database_url(app: Flask) -> str:
        url = app.config["DIVIDEBUY_DATABASE_URL"]
        if url:
            return url
        os.makedirs(app.instance_path, exist_ok=True)
        return "sqlite:///" + os.path.join(app.instance_path, "dividebuy.sqlite3")
