"""What a command works with: settings, client, store and listener, built lazily.

From a terminal they come from ``DIVIDEBUY_*`` environment variables, read by the
same registry as the Flask extension (:mod:`dividebuy_checkout.config`); under
``flask dividebuy …`` they are the app's own (``app.extensions["dividebuy"]``),
so the same command code serves both.

Where the database is: ``DIVIDEBUY_DATABASE_URL`` when it is set, for the app and
the CLI alike. When it is not set a Flask app uses ``<instance folder>/dividebuy.sqlite3``;
the console CLI has no app and so no instance folder, and refuses rather than
guess: a cron job that quietly opened a new, empty database would report
"nothing to do" forever. For the same reason a SQLite file that does not exist
is refused (except by a command meant to create it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..client import DivideBuyClient
from ..config import REGISTRY, ConfigurationError
from ..events import Notify, ignore
from ..settings import Settings
from ..store import SqlStore
from ..store.schema import check_at_start, upgrades_itself

if TYPE_CHECKING:
    from ..flask.extension import DivideBuyState

__all__ = ["Runtime", "import_object", "listener_option", "pass_runtime", "sqlite_file"]

_T = TypeVar("_T")


def import_object(spec: str, what: str) -> object:
    """``"package.module:name"`` → the object; else a one-line error naming *what* (exit 2)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"{what[:1].upper()}{what[1:]} {spec!r} must look like 'package.module:name'."
        )
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"Cannot load {what} {spec!r}: {exc}.") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(
                f"Cannot load {what} {spec!r}: {module_name} has no {attribute}."
            ) from None
    return target


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory SQLite)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"DIVIDEBUY_DATABASE_URL is not a database URL (like sqlite:///shop.sqlite3): "
            f"{url.split(':', 1)[0]}:…"
        ) from None
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


class Runtime:
    """Lazily built collaborators of a command; tests and Flask pass them ready-made."""

    def __init__(
        self,
        *,
        client: DivideBuyClient | None = None,
        store: SqlStore | None = None,
        state: DivideBuyState | None = None,
        environ: Mapping[str, str] | None = None,
        listener: Notify | None = None,
    ) -> None:
        self._client = client
        self._store = store
        #: the Flask extension's DivideBuyState, when run as ``flask dividebuy``
        self.state = state
        #: the environment the command reads its settings from
        self.environ: dict[str, str] = dict(os.environ if environ is None else environ)
        self.json_output = False
        #: the shop's listener (``--listener`` / ``DIVIDEBUY_LISTENER``), told of each event
        self.listener = listener
        #: set by a command that is meant to create the database (the file may be missing)
        self.creates_database = False

    def setting(self, name: str) -> Any:
        """The typed value of setting *name* from the environment (or its default)."""
        raw = self.environ.get(name, "")
        return REGISTRY[name].default if raw == "" else REGISTRY[name].convert(raw)

    @cached_property
    def settings(self) -> Settings:
        if self._client is not None:
            return self._client.settings
        return Settings.from_env(self.environ)

    @cached_property
    def client(self) -> DivideBuyClient:
        return self._client or DivideBuyClient(settings=self.settings)

    @cached_property
    def store(self) -> SqlStore:
        if self._store is not None:
            return self._store
        if self.state is not None:
            return self.state.store
        url = self.database_url
        store = SqlStore(url, lock_timeout=float(self.setting("DIVIDEBUY_DB_LOCK_TIMEOUT")))
        # SQLite is the embedded database: it upgrades itself, as the Flask app's does; a
        # shared one is upgraded by `db upgrade` (schema.upgrades_itself), and is read once
        # here: behind → one warning on stderr, ahead (a newer release's) → exit 2
        check_at_start(store.engine, upgrades=upgrades_itself(url))
        return store

    @cached_property
    def database_url(self) -> str:
        """``DIVIDEBUY_DATABASE_URL``, checked: set, and naming an existing SQLite file unless
        the command creates the database (:attr:`creates_database`)."""
        url: str | None = self.setting("DIVIDEBUY_DATABASE_URL")
        if not url:
            raise ConfigurationError(
                "Set DIVIDEBUY_DATABASE_URL to the shop's database (the URL its app uses; "
                "a Flask app without one uses <instance folder>/dividebuy.sqlite3), or run "
                "the command as `flask dividebuy …` in the shop."
            )
        path = sqlite_file(url)
        if path is not None and not path.exists() and not self.creates_database:
            raise ConfigurationError(
                f"The database {path} named by DIVIDEBUY_DATABASE_URL does not exist "
                f"(working directory {Path.cwd()}); the CLI never starts an empty one in its "
                "place. Check the URL (sqlite:////absolute/path for an absolute path)."
            )
        return url

    @property
    def notify(self) -> Notify:
        """What a service built by the CLI tells of its events (and, when
        ``DIVIDEBUY_ORDER_SOURCE`` names a shop platform, its status write-back queue,
        which ``events process`` sends)."""
        listener = self.listener or ignore
        writeback = self._platform_writeback
        if writeback is None:
            return listener

        def notify_both(event: str, /, **payload: Any) -> None:
            writeback(event, **payload)  # queues only; never raises
            listener(event, **payload)

        return notify_both

    @cached_property
    def _platform_writeback(self) -> Notify | None:
        if self.state is not None or not self.setting("DIVIDEBUY_ORDER_SOURCE"):
            return None  # under Flask the app's signals write back
        from ..integrations import build_webhooks  # type: ignore[import-not-found]  # mapped
        from ..integrations.writeback import StatusWriteBack  # type: ignore[import-not-found]
        from ..store.inbox import PlatformInbox

        config = {k: v for k, v in self.environ.items() if k.startswith("DIVIDEBUY_")}
        hooks = build_webhooks(config, None)
        if hooks is None:
            return None
        writeback: Notify = StatusWriteBack(
            hooks, PlatformInbox(self.store.engine), immediate=False
        )
        return writeback

    def service(self, name: str, factory: Callable[[Runtime], _T]) -> _T:
        """A service of the Flask app if there is one (same configuration), else a new one."""
        if self.state is not None:
            services: dict[str, object] = dict(self.state.services)
            if name in services:
                return cast(_T, services[name])
        return factory(self)


pass_runtime = click.make_pass_decorator(Runtime, ensure=True)


def _set_listener(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    runtime = ctx.ensure_object(Runtime)
    source = "--listener"
    if value is None:
        value = runtime.setting("DIVIDEBUY_LISTENER")
        source = "DIVIDEBUY_LISTENER"
    if not value:
        return
    if runtime.state is not None:
        raise ConfigurationError(
            f"{source} is for the console CLI: under `flask dividebuy` the app's signals "
            "(dividebuy_checkout.flask.signals) are told of every event."
        )
    target = import_object(value, f"the listener ({source})")
    if not callable(target):
        raise ConfigurationError(f"The listener ({source}) {value!r} is not callable.")
    runtime.listener = cast(Notify, target)


#: ``--listener module:callable`` (or ``DIVIDEBUY_LISTENER``): told ``notify(event, **payload)``
listener_option = click.option(
    "--listener",
    metavar="MODULE:CALLABLE",
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_set_listener,
    help="Call notify(event, **payload) for each event, e.g. quote_completed "
    "(default: DIVIDEBUY_LISTENER).",
)
