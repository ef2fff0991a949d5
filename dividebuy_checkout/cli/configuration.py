"""``dividebuy-checkout config``: every setting, its value here and where it came from.

A deployer's first question ("which database, which environment does the cron
job see?") answered from the same registry the app reads. Secrets are shown as
``***``. ``--markdown`` prints the table of docs/configuration.md.
"""

from __future__ import annotations

import click

from ..config import REGISTRY, Key
from .output import emit
from .runtime import Runtime, pass_runtime

__all__ = ["commands", "config", "markdown_table"]


def _load_every_part() -> None:
    """Import the Flask parts: their import declares their keys (the registry is then whole)."""
    from ..flask import blueprint  # noqa: F401


def _cell(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def markdown_table() -> str:
    """The configuration table of docs/configuration.md, generated from the registry."""
    _load_every_part()
    lines = [
        "| key | part | default | accepts | what it is for |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key in REGISTRY:
        default = "`" + _cell(key.default) + "`" if key.default != "" else '`""`'
        cells = [f"`{key.name}`", key.section, default, key.describe(), key.doc]
        lines.append("| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _shown(key: Key, runtime: Runtime) -> tuple[str, str]:
    raw = runtime.environ.get(key.name, "")
    if raw == "":
        return _cell(key.default), "default"
    value = runtime.setting(key.name)
    return ("***" if key.secret else _cell(value)), "environment"


@click.command("config")
@click.option("--markdown", is_flag=True, help="Print the docs' table of every setting.")
@click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")
@pass_runtime
def config(runtime: Runtime, markdown: bool, json_output: bool) -> None:
    """List every DIVIDEBUY_* setting with its value from the environment.

    A value that cannot work is an error naming the key (exit status 2).
    """
    if markdown:
        click.echo(markdown_table(), nl=False)
        return
    _load_every_part()
    rows = []
    for key in REGISTRY:
        value, source = _shown(key, runtime)
        rows.append({"key": key.name, "value": value, "from": source})
    emit(rows, json_output=json_output)


commands = [config]
