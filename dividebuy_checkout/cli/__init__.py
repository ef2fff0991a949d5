"""Sell on DivideBuy credit: terms, quotes, settlement, refunds and a local sandbox.

Exit status: 0 success, 1 a DivideBuy/API failure, 2 bad usage or input.
Errors go to stderr as one clear line, never a traceback.

Each module in :data:`COMMAND_MODULES` exposes ``commands`` (a list of click
commands); :func:`build_group` puts them under one group, used both by the
console script and by ``flask dividebuy``. Settings are read as everywhere else
(:mod:`dividebuy_checkout.config`); ``dividebuy-checkout config`` lists them.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from ..backoffice import BackOfficeError
from ..config import ConfigurationError
from ..errors import DivideBuyError, OutcomeUnknownError
from ..store import StoreError
from . import api, backoffice, checkout, configuration, db, events, platforms, sandbox
from .errors import EXIT_API_FAILURE, EXIT_USAGE, CliError
from .runtime import Runtime

__all__ = ["COMMAND_MODULES", "EXIT_API_FAILURE", "EXIT_USAGE", "CliError", "build_group", "main"]

#: every module of commands, imported by name: a missing one is an import error, not a
#: command that silently is not there
COMMAND_MODULES = (api, sandbox, checkout, backoffice, configuration, platforms, events, db)


def _commands() -> list[click.Command]:
    return [command for module in COMMAND_MODULES for command in module.commands]


class _Group(click.Group):
    """Turns library errors into one-line messages with the documented exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutcomeUnknownError as exc:
            raise CliError(str(exc)) from None
        except DivideBuyError as exc:
            raise CliError(_describe(exc)) from None
        except ConfigurationError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        except (BackOfficeError, StoreError) as exc:  # a busy database, an unrecorded answer
            raise CliError(str(exc)) from None
        except SQLAlchemyError as exc:
            # One line, never the SQL (it may carry order data) or a traceback.
            raise CliError(
                f"The shop's database failed ({type(exc).__name__}): check that it is running "
                "and upgraded (`dividebuy-checkout db upgrade`), then run the command again."
            ) from None


def _describe(exc: DivideBuyError) -> str:
    fields = getattr(exc, "field_errors", None)
    if fields:
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in fields.items())
        return f"{exc} {detail}"
    return str(exc)


def build_group(name: str = "dividebuy-checkout", **attrs: Any) -> click.Group:
    group = _Group(name=name, help=(__doc__ or "").split("\n\n")[0], **attrs)
    for command in _commands():
        group.add_command(command)
    return group


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    group = build_group()
    group = click.version_option(package_name="dividebuy-checkout")(group)
    try:
        code = group.main(
            args=argv, prog_name="dividebuy-checkout", obj=Runtime(), standalone_mode=False
        )
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_API_FAILURE)
    except click.ClickException as exc:
        # One line on stderr, never the usage block or a traceback.
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
