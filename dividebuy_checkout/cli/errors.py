"""The CLI's exit statuses and its one-line error."""

from __future__ import annotations

from typing import IO, Any

import click

__all__ = ["EXIT_API_FAILURE", "EXIT_USAGE", "CliError"]

EXIT_API_FAILURE = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    """A failure to report in one line; ``exit_code`` 1 (API) by default, 2 for bad input."""

    def __init__(self, message: str, exit_code: int = EXIT_API_FAILURE) -> None:
        super().__init__(message)
        # click declares exit_code on the class; each error carries its own status
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)
