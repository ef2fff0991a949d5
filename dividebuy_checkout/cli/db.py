"""``dividebuy-checkout db upgrade|current``: the store's schema, brought up to date on deploy.

The package's constructors never create or alter tables; a shop upgrades its database
once per deployment (``dividebuy-checkout db upgrade`` with ``DIVIDEBUY_DATABASE_URL``, or
``flask dividebuy db upgrade`` in the shop), before new code serves requests. Running it
again, or on several hosts at once, is harmless: the migrations hold a lock and an
up-to-date database is left alone. ``db current`` tells a deploy script whether that step
is still to do (``--check`` exits 1 when it is).
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..store import make_engine, schema
from .errors import EXIT_API_FAILURE, CliError
from .output import emit
from .runtime import Runtime, pass_runtime

__all__ = ["commands", "current", "db", "upgrade"]


def _engine(runtime: Runtime, *, creating: bool) -> Engine:
    """The shop's database: the Flask app's store, else ``DIVIDEBUY_DATABASE_URL`` (a missing
    SQLite file is created only by *creating* commands: ``db upgrade``)."""
    if runtime.state is not None:
        return runtime.state.store.engine
    runtime.creates_database = creating
    return make_engine(runtime.database_url)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _unreachable(engine: Engine, exc: SQLAlchemyError) -> CliError:
    # the driver's message can carry SQL or a password-bearing DSN: name the error only
    return CliError(
        f"The database at {_where(engine)} cannot be used ({type(exc).__name__}): check "
        "DIVIDEBUY_DATABASE_URL and that the database server is running.",
        EXIT_API_FAILURE,
    )


def _status(engine: Engine) -> dict[str, Any]:
    now = schema.current(engine)
    head = schema.head()
    return {
        "database": _where(engine),
        "current": now,
        "head": head,
        "up_to_date": now == head,
        "first_release_schema": now is None and schema.is_first_release(engine),
    }


@click.group("db")
def db() -> None:
    """The store's database schema: upgrade it, see where it is."""


@db.command("upgrade")
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@pass_runtime
def upgrade(runtime: Runtime, json_output: bool) -> None:
    """Bring the database's tables up to this version (creates them in an empty database).

    Run it once per deployment, before the new code serves requests. Safe to repeat.
    """
    engine = _engine(runtime, creating=True)
    try:
        done = schema.upgrade(engine)
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from None
    before = "the first release's schema" if done.first_release else done.before
    if json_output:
        emit({"database": _where(engine), "from": before, "to": done.after}, json_output=True)
    elif not done.changed and not done.first_release:
        click.echo(f"Database {_where(engine)} is already at the head revision {done.after}.")
    else:
        click.echo(f"Database {_where(engine)} upgraded from {before or 'empty'} to {done.after}.")


@db.command("current")
@click.option("--check", is_flag=True, help="Exit 1 when the database is not at the head.")
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@pass_runtime
def current(runtime: Runtime, check: bool, json_output: bool) -> None:
    """Show the database's schema revision and this version's head revision."""
    engine = _engine(runtime, creating=False)
    try:
        status = _status(engine)
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from None
    if json_output:
        emit(status, json_output=True)
    elif status["up_to_date"]:
        click.echo(f"{status['current']} (head)")
    else:
        shown = status["current"] or (
            "none (the first release's tables, not yet versioned)"
            if status["first_release_schema"]
            else "none (no tables yet)"
        )
        click.echo(
            f"{shown}; head is {status['head']}: run `dividebuy-checkout db upgrade` "
            "(or `flask dividebuy db upgrade`)."
        )
    if check and not status["up_to_date"]:
        raise click.exceptions.Exit(EXIT_API_FAILURE)


commands: list[click.Command] = [db]
