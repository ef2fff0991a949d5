"""What a command works with: the client and the store, built lazily.

From a terminal they come from ``DIVIDEBUY_*`` environment variables; under
``flask dividebuy …`` they are the app's own (``app.extensions["dividebuy"]``),
so the same command code serves both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import Any

import click

from ..client import DivideBuyClient
from ..settings import Settings


class Runtime:
    """Lazily built collaborators of a command; tests and Flask pass them ready-made."""

    def __init__(
        self,
        *,
        client: DivideBuyClient | None = None,
        store: Any = None,
        state: Any = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self._client = client
        self._store = store
        #: the Flask extension's DivideBuyState, when run as ``flask dividebuy``
        self.state = state
        self._environ = dict(os.environ if environ is None else environ)
        self.json_output = False

    @cached_property
    def settings(self) -> Settings:
        if self._client is not None:
            return self._client.settings
        return Settings.from_env(self._environ)

    @cached_property
    def client(self) -> DivideBuyClient:
        return self._client or DivideBuyClient(settings=self.settings)

    @cached_property
    def store(self) -> Any:
        if self._store is not None:
            return self._store
        from ..store import SqlStore

        url = self._environ.get("DIVIDEBUY_DATABASE_URL") or "sqlite:///dividebuy.sqlite3"
        return SqlStore(url)

    def service(self, name: str, factory: Callable[[Runtime], Any]) -> Any:
        """A service of the Flask app if there is one (same configuration), else a new one."""
        if self.state is not None and name in self.state.services:
            return self.state.services[name]
        return factory(self)


pass_runtime = click.make_pass_decorator(Runtime, ensure=True)
