"""Every ``DIVIDEBUY_*`` setting in one typed registry, read the same way everywhere.

Flask, the console CLI and a shop on another framework read the same keys through
:func:`read_settings`: a value in the application's own configuration (Flask's
``app.config``) wins, then the process environment, then the key's default.
Strings are converted by the key's type (``"false"``, ``"0"``, ``"no"`` are False;
``"0.5"`` is 0.5), and a value that cannot work stops start-up with a
:class:`ConfigurationError` naming the key and what it accepts, rather than a 500
(or a wrong figure) after a shopper has arrived.

Each part declares its keys where it uses them; the registry collects them::

    CONFIG_DEFAULTS = {
        "DIVIDEBUY_WIDGET_BUDGET": setting(0.3, "seconds a page render may wait", minimum=0),
        "DIVIDEBUY_SOMETHING": 10,        # typed by its default (int); give a doc too
    }
    declare("widgets", CONFIG_DEFAULTS)

Why unknown names are treated differently by source:

- an unknown ``DIVIDEBUY_*`` key in the application's configuration is refused
  with a "did you mean": a typo there (``DIVIDEBUY_WIDGETS_BUDGET``) would
  otherwise be silently ignored, a classic deploy bug;
- unknown ``DIVIDEBUY_*`` names in the process environment are ignored: the
  environment is shared with tests and tooling (``DIVIDEBUY_TEST_DATABASE_URL``,
  ``DIVIDEBUY_REQUIRE_BROWSER``, ``DIVIDEBUY_VENV``…) that are not settings.

This module is framework-free: it imports neither Flask nor click.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "PREFIX",
    "REGISTRY",
    "ConfigurationError",
    "Key",
    "Registry",
    "claim_prefix",
    "declare",
    "read_settings",
    "setting",
]

#: every key starts with this; it is also how unknown keys are recognised
PREFIX = "DIVIDEBUY_"

#: strings read as True / False for a boolean key (case-insensitive)
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
#: the string that means "no value" for a key whose default is None (e.g. switching a
#: rate limit off from the environment, where None cannot be written)
NONE_WORDS = frozenset({"none", "null"})


class ConfigurationError(RuntimeError):
    """A setting is missing or has a value that cannot work. Raised at start-up."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        #: the setting at fault, when there is one
        self.key = key


#: an extra check (and conversion) after the type's: raises ValueError("must be …")
Check = Callable[[Any], Any]


@dataclass(frozen=True)
class Key:
    """One setting: its name, type, default, what it accepts and why it exists."""

    default: Any
    doc: str
    kind: type = object
    #: what the key accepts, in words (derived from the type when empty)
    accepts: str = ""
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    #: None is an accepted value (true whenever the default is None)
    nullable: bool = False
    #: never shown in an error message
    secret: bool = False
    #: the value names a Flask endpoint (checked once the app's URL map is complete)
    endpoint: bool = False
    check: Check | None = None
    name: str = ""
    #: the part that declared it: client, store, flask, checkout, widgets, backoffice, cli…
    section: str = ""

    def describe(self) -> str:
        """What the key accepts, in words, for errors and the docs table."""
        if self.accepts:
            words = self.accepts
        elif self.choices:
            words = "one of " + ", ".join(self.choices)
        elif self.kind is bool:
            words = "true or false (also 1/0, yes/no, on/off)"
        elif self.kind is int:
            words = "a whole number"
        elif self.kind is float:
            words = "a number"
        elif self.kind is str:
            words = "text"
        else:
            words = "a value"
        if self.minimum is not None and not self.accepts:
            words += f", at least {self.minimum:g}"
        if self.nullable and not self.accepts:
            words += ", or none"
        return words

    def convert(self, raw: Any) -> Any:
        """*raw* (a typed value or a string from the environment) as this key's type."""
        if raw is None or (self.nullable and isinstance(raw, str) and _is_none(raw)):
            if self.nullable:
                return None
            raise self._refuse(raw)
        value = self._typed(raw)
        if self.minimum is not None and value < self.minimum:
            raise self._refuse(raw)
        if self.choices and value not in self.choices:
            raise self._refuse(raw)
        if self.check is not None:
            try:
                value = self.check(value)
            except ValueError as exc:
                raise ConfigurationError(f"{self.name} {exc}", key=self.name) from None
        return value

    def _typed(self, raw: Any) -> Any:
        kind = self.kind
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, int) and raw in (0, 1):
                return bool(raw)
            if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
                return raw.strip().lower() in TRUE_WORDS
            raise self._refuse(raw)
        if kind is int:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            if isinstance(raw, str):
                try:
                    return int(raw.strip())
                except ValueError:
                    pass
            raise self._refuse(raw)
        if kind is float:
            number: float | None = None
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                number = float(raw)
            elif isinstance(raw, str):
                try:
                    number = float(raw.strip())
                except ValueError:
                    number = None
            if number is None or not math.isfinite(number):
                raise self._refuse(raw)
            return number
        if kind is str:
            if isinstance(raw, str):
                return raw
            raise self._refuse(raw)
        return raw

    def _refuse(self, raw: Any) -> ConfigurationError:
        shown = "'***'" if self.secret else repr(raw)
        return ConfigurationError(
            f"{self.name} must be {self.describe()}; it is {shown}.", key=self.name
        )


def _is_none(text: str) -> bool:
    return text.strip().lower() in NONE_WORDS or text == ""


def setting(
    default: Any,
    doc: str,
    *,
    kind: type | None = None,
    accepts: str = "",
    minimum: float | None = None,
    choices: tuple[str, ...] = (),
    nullable: bool | None = None,
    secret: bool = False,
    endpoint: bool = False,
    check: Check | None = None,
) -> Key:
    """Declare a key in a part's ``CONFIG_DEFAULTS`` with its doc and, if needed, its type.

    *kind* defaults to the type of *default* (``bool``, ``int``, ``float``, ``str``);
    give it when the default is None. None is an accepted value when the default is
    None, or with ``nullable=True``.
    """
    return Key(
        default=default,
        doc=doc,
        kind=kind or _kind_of(default),
        accepts=accepts,
        minimum=minimum,
        choices=choices,
        nullable=default is None if nullable is None else nullable,
        secret=secret,
        endpoint=endpoint,
        check=check,
    )


def _kind_of(default: Any) -> type:
    for kind in (bool, int, float, str):
        if isinstance(default, kind):
            return kind
    return object


class Registry:
    """Every declared key by name; parts add theirs with :meth:`declare`."""

    def __init__(self) -> None:
        self._keys: dict[str, Key] = {}
        #: name prefixes whose keys a part reads and checks itself (a platform's settings)
        self._prefixes: dict[str, str] = {}

    def claim_prefix(self, prefix: str, owner: str) -> None:
        """Let *owner* read and check every key under *prefix* itself (``DIVIDEBUY_RECPLUS_``).

        A platform adapter is imported only when the shop names it, so its keys cannot
        all be declared up front; its own configuration reader refuses bad values.
        """
        if not prefix.startswith(PREFIX) or not prefix.endswith("_"):
            raise ValueError(f"{prefix}: a claimed prefix looks like {PREFIX}NAME_")
        self._prefixes[prefix] = owner

    def declare(self, section: str, keys: Mapping[str, Any]) -> None:
        """Add *keys* (a part's ``CONFIG_DEFAULTS``: a :func:`setting` or a plain default each).

        Declaring the same key again from the same section is harmless (a module
        reloaded); from another section it is an error, so two parts never fight
        over one name.
        """
        for name, spec in keys.items():
            if not name.startswith(PREFIX):
                raise ValueError(f"{name}: every DivideBuy setting starts with {PREFIX}")
            key = spec if isinstance(spec, Key) else setting(spec, "")
            key = replace(key, name=name, section=section)
            known = self._keys.get(name)
            if known is not None and known.section != section:
                raise ValueError(f"{name} is declared by both {known.section} and {section}")
            self._keys[name] = key

    def __getitem__(self, name: str) -> Key:
        return self._keys[name]

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def __iter__(self) -> Iterator[Key]:
        return iter(sorted(self._keys.values(), key=lambda k: (k.section, k.name)))

    def __len__(self) -> int:
        return len(self._keys)

    def defaults(self, section: str) -> dict[str, Any]:
        """The default value of each key of *section*."""
        return {k.name: k.default for k in self if k.section == section}

    def refuse_unknown(self, config: Mapping[str, Any]) -> None:
        """Raise for a ``DIVIDEBUY_*`` key in *config* that no part declared (a typo)."""
        for name in config:
            if not isinstance(name, str) or not name.startswith(PREFIX) or name in self:
                continue
            if name.startswith(tuple(self._prefixes)):
                continue
            close = difflib.get_close_matches(name, list(self._keys), n=1, cutoff=0.75)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ConfigurationError(
                f"{name} is not a DivideBuy setting.{hint} "
                "(Every setting is listed in docs/configuration.md.)",
                key=name,
            )

    def read(
        self,
        config: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        sections: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """Each key's value: *config* first, then *environ* (non-empty), then the default.

        Raises :class:`ConfigurationError` for the first value that cannot work.
        """
        config = config or {}
        environ = environ or {}
        values: dict[str, Any] = {}
        for key in self:
            if sections is not None and key.section not in sections:
                continue
            if _given(key, config):
                values[key.name] = key.convert(config[key.name])
            elif environ.get(key.name, "") != "":
                values[key.name] = key.convert(environ[key.name])
            else:
                values[key.name] = key.default
        return values


def _given(key: Key, config: Mapping[str, Any]) -> bool:
    """Whether *config* sets *key*. None counts as "not set" (Flask's habit), except for a key
    where None is a choice of its own (a rate limit switched off, default "20/minute")."""
    if key.name not in config:
        return False
    return config[key.name] is not None or (key.nullable and key.default is not None)


#: the one registry of the package (parts declare into it when imported)
REGISTRY = Registry()
declare = REGISTRY.declare
claim_prefix = REGISTRY.claim_prefix


def read_settings(
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    sections: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Every declared setting's value (see :meth:`Registry.read`)."""
    return REGISTRY.read(config, environ, sections=sections)


# -- the core's own keys -------------------------------------------------------------------------


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _module_colon_name(value: str | None) -> str | None:
    if value is not None and (":" not in value or value.startswith(":") or value.endswith(":")):
        raise ValueError("must look like 'package.module:name'")
    return value


declare(
    "client",
    {
        "DIVIDEBUY_CLIENT_ID": setting("", "the retailer's OAuth2 client id (from DivideBuy)"),
        "DIVIDEBUY_CLIENT_SECRET": setting(
            "", "the retailer's OAuth2 client secret; never logged or shown", secret=True
        ),
        "DIVIDEBUY_ENVIRONMENT": setting(
            "sandbox",
            "which DivideBuy: live, its sandbox, or the local sandbox (needs a base URL)",
            choices=("live", "sandbox", "local"),
        ),
        "DIVIDEBUY_BASE_URL": setting(
            None,
            "overrides the environment's URL (the local sandbox's address); "
            "a loopback URL is refused with live",
            kind=str,
            accepts="an http:// or https:// URL, or none",
            check=_http_url,
        ),
        "DIVIDEBUY_CONNECT_TIMEOUT": setting(5.0, "seconds to wait for a connection to DivideBuy"),
        "DIVIDEBUY_TIMEOUT": setting(15.0, "seconds to wait for a whole reply from DivideBuy"),
        "DIVIDEBUY_MAX_ATTEMPTS": setting(
            3, "times a retryable call (reads, settlement) is tried in all", minimum=1
        ),
        "DIVIDEBUY_TOKEN_LEEWAY": setting(
            60.0, "seconds before expiry at which a token is renewed", minimum=0
        ),
    },
)

declare(
    "store",
    {
        "DIVIDEBUY_DATABASE_URL": setting(
            None,
            "SQLAlchemy URL of the checkout store and ledger; none: Flask uses "
            "dividebuy.sqlite3 in the app's instance folder, the console CLI refuses to guess",
            kind=str,
            accepts="an SQLAlchemy URL, or none",
            secret=True,
        ),
        "DIVIDEBUY_DB_LOCK_TIMEOUT": setting(
            10.0,
            "seconds a write waits out another process's database lock (retrying) before "
            "answering 'database busy'; nothing is written then",
            minimum=0.1,
        ),
    },
)

declare(
    "cli",
    {
        "DIVIDEBUY_ORDER_SOURCE": setting(
            None,
            "the shop's order source (CLI and Flask app, unless one is passed): a platform's "
            "name (recplus) or its own module:name",
            kind=str,
            accepts="a platform name or 'package.module:name', or none",
        ),
        "DIVIDEBUY_LISTENER": setting(
            None,
            "the console CLI's listener, called notify(event, **payload) for each event "
            "(Flask shops use signals)",
            kind=str,
            accepts="'package.module:callable', or none",
            check=_module_colon_name,
        ),
    },
)
