"""The database's shape over time: Alembic migrations shipped in the package, and how to run them.

Constructors never create tables: a shop runs ``dividebuy-checkout db upgrade`` (or
``flask dividebuy db upgrade``) when it installs or upgrades the package, like any schema
change it deploys. Only the embedded SQLite demo upgrades itself at start-up (see
:func:`upgrades_itself`).

The migrations live in ``migrations/`` beside this module (``env.py`` and ``versions/``); the
first one reproduces the schema of the first release that had a store, so a database created
by that release's ``create_all`` (no Alembic version table, its four tables present) is
*stamped* at that revision and then upgraded: no row is touched except by later migrations.

Upgrades hold a lock (PostgreSQL: an advisory lock; SQLite: ``BEGIN IMMEDIATE``) so several
workers or hosts starting at once upgrade once and the others wait, then find nothing to do.

An app or command that opens a database it does not upgrade reads its revision once at
start-up (:func:`check_at_start`): a database behind this version (or never upgraded) logs
one warning naming both revisions and the command to run, because otherwise it starts
silently and fails on the first request touching a changed table; a database *ahead* (a
newer release upgraded it) refuses to start, since older code cannot know what changed.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from ..config import ConfigurationError

__all__ = [
    "FIRST_RELEASE_REVISION",
    "MIGRATIONS",
    "UPGRADE_COMMANDS",
    "Upgraded",
    "check_at_start",
    "current",
    "head",
    "is_first_release",
    "new_revision",
    "upgrade",
    "upgrades_itself",
]

#: the directory Alembic reads (shipped as package data, see pyproject's package-data)
MIGRATIONS = Path(__file__).with_name("migrations")
#: the revision whose schema the first release with a store created with ``create_all``
FIRST_RELEASE_REVISION = "0001"
#: the tables that release created: their presence without a version table means "stamp 0001"
_FIRST_RELEASE_TABLES = frozenset(
    {"dividebuy_checkouts", "dividebuy_transitions", "dividebuy_settlements", "dividebuy_refunds"}
)
#: any fixed 64-bit number, the same in every process: PostgreSQL's lock for upgrades
_UPGRADE_LOCK_KEY = 0x0D1B_0B00_5C4E_3A01
#: what a shop runs to bring its database to this version, named by every schema message
UPGRADE_COMMANDS = "`dividebuy-checkout db upgrade` (in the shop: `flask dividebuy db upgrade`)"

log = logging.getLogger("dividebuy_checkout.store.schema")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this version of the package ships."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None, "the package ships no migrations"
    return revision


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None``: no migrations ever ran on it)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Upgraded:
    """What :func:`upgrade` did, read under its lock (so of several processes upgrading at
    once, exactly one reports a change)."""

    #: the revision before (``None``: no migrations had run)
    before: str | None
    #: the revision now
    after: str | None
    #: the database had the first release's unversioned tables (stamped, then upgraded)
    first_release: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    """Bring the database to *revision* (default: the package's head).

    Safe to run again and from several processes at once. A database made by the first
    release (tables, no version) is stamped at :data:`FIRST_RELEASE_REVISION` first.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
        config = _config(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        first_release = _is_first_release(conn)
        if first_release:
            command.stamp(config, FIRST_RELEASE_REVISION)
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision()
        return Upgraded(before, after, first_release)


def is_first_release(engine: Engine) -> bool:
    """Whether the database has the first release's tables but no migration version (what
    that release's ``create_all`` left): :func:`upgrade` stamps it before upgrading."""
    with engine.connect() as conn:
        return _is_first_release(conn)


def _is_first_release(conn: Connection) -> bool:
    if MigrationContext.configure(conn).get_current_revision() is not None:
        return False
    return set(inspect(conn).get_table_names()) >= _FIRST_RELEASE_TABLES


def upgrades_itself(url: str) -> bool:
    """Whether a store on *url* upgrades its own schema when an app starts.

    Only SQLite: it is the embedded demo and single-process default, where nobody runs a
    deployment step. A shared database (PostgreSQL …) is upgraded by ``db upgrade`` as part of
    a deployment, never by whichever worker happens to start first with new code.
    """
    return url.startswith("sqlite")


def _shipped() -> frozenset[str]:
    """Every revision this version of the package knows (exact ids, no prefix matching)."""
    script = ScriptDirectory.from_config(_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def check_at_start(engine: Engine, *, upgrades: bool = False) -> str | None:
    """Read the database's revision once, as an app or command starts; the revision after.

    - at the head: nothing to say;
    - *ahead* (a revision this version does not ship: a newer release upgraded the database)
      → :class:`ConfigurationError` naming both revisions and ``DIVIDEBUY_DATABASE_URL``:
      this code cannot know what the newer migrations changed, so it does not start;
    - behind, never upgraded, or the first release's unversioned tables: with *upgrades*
      (the embedded SQLite database, :func:`upgrades_itself`) it is upgraded here; otherwise
      one warning names both revisions and :data:`UPGRADE_COMMANDS`, and start-up goes on
      (a worker restarted mid-deploy must not refuse to serve what still works).

    One query when the database is current (the version table), so it costs nothing per
    request. Database errors (unreachable, no permission) propagate: the caller decides
    whether that stops start-up.
    """
    now = current(engine)
    latest = head()
    where = engine.url.render_as_string(hide_password=True)
    if now == latest:
        return now
    if now is not None and now not in _shipped():
        raise ConfigurationError(
            f"The database at {where} is at schema revision {now}, which this version of "
            f"dividebuy-checkout does not know (its newest is {latest}): a newer release has "
            "upgraded it. Run that release (or a newer one) against it; older code cannot "
            "tell what the newer migrations changed. Check DIVIDEBUY_DATABASE_URL if this "
            "is not the database you meant.",
            key="DIVIDEBUY_DATABASE_URL",
        )
    if upgrades:
        return upgrade(engine).after
    if now is not None:
        state = f"is at schema revision {now}"
    elif is_first_release(engine):
        state = "has the first release's tables without a schema revision"
    else:
        state = "has no schema revision (no tables made by `db upgrade`)"
    log.warning(
        "The database at %s %s, behind this version's head revision %s: run %s before "
        "serving requests; until then anything touching a table this version changed fails.",
        where,
        state,
        latest,
        UPGRADE_COMMANDS,
    )
    return now


def new_revision(message: str) -> Path:
    """Write the next migration, autogenerated from the difference between the head and
    :mod:`.tables` (for developers: ``python -m dividebuy_checkout.store.schema revision -m
    "why"``); its path. Read and trim it before committing: autogenerate is a first draft."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.sqlite3'}")
        try:
            upgrade(engine)
            with engine.begin() as conn:
                script = command.revision(
                    _config(conn),
                    message=message,
                    autogenerate=True,
                    rev_id=f"{int(head()) + 1:04d}",
                )
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dividebuy_checkout.store.schema",
        description="Developer tool: write the next migration from tables.py's changes.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="autogenerate the next migration")
    revision.add_argument("-m", "--message", required=True, help="what changed and why")
    arguments = parser.parse_args(argv)
    print(new_revision(arguments.message))


if __name__ == "__main__":
    _main()
