"""Sell on DivideBuy credit: terms, quotes, settlement, refunds and a local sandbox.

Exit status: 0 success, 1 a DivideBuy/API failure, 2 bad usage or input.
Errors go to stderr as one clear line, never a traceback.

Each module in :data:`COMMAND_MODULES` exposes ``commands`` (a list of click
commands); :func:`build_group` puts them under one group, used both by the
console script and by ``flask dividebuy``.
"""

from __future__ import annotations

import importlib
import sys

import click

from ..errors import DivideBuyError, OutcomeUnknownError
from ..settings import ConfigurationError
from .runtime import Runtime

COMMAND_MODULES = (
    "dividebuy_checkout.cli.api",
    "dividebuy_checkout.cli.sandbox",
    "dividebuy_checkout.cli.checkout",
    "dividebuy_checkout.cli.backoffice",
    "dividebuy_checkout.cli.platforms",
)

EXIT_API_FAILURE = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    """A failure to report in one line; ``exit_code`` 1 (API) by default, 2 for bad input."""

    def __init__(self, message: str, exit_code: int = EXIT_API_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"Error: {self.format_message()}", err=True)


def _commands() -> list[click.Command]:
    found: list[click.Command] = []
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.extend(module.commands)
    return found


class _Group(click.Group):
    """Turns library errors into one-line messages with the documented exit status."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except OutcomeUnknownError as exc:
            raise CliError(str(exc)) from None
        except DivideBuyError as exc:
            raise CliError(_describe(exc)) from None
        except ConfigurationError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None


def _describe(exc: DivideBuyError) -> str:
    fields = getattr(exc, "field_errors", None)
    if fields:
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in fields.items())
        return f"{exc} {detail}"
    return str(exc)


def build_group(name: str = "dividebuy-checkout", **attrs) -> click.Group:  # type: ignore[no-untyped-def]
    group = _Group(name=name, help=__doc__.split("\n\n")[0], **attrs)
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
