"""``flask dividebuy …``: the package's command line, run with this app's services."""

from __future__ import annotations

import click
from flask import Flask

from ..cli import build_group
from ..cli.runtime import Runtime
from .extension import DivideBuyState

__all__ = ["register_cli"]


def register_cli(app: Flask, state: DivideBuyState) -> None:
    """Add every CLI module's commands under ``flask dividebuy``, using this app's client,
    store and services, so the terminal and the app never disagree about configuration."""

    @click.pass_context
    def with_app_runtime(ctx: click.Context) -> None:
        ctx.obj = Runtime(state=state, client=state.client, store=state.store)
        # commands read the app's config and platform services through current_app: the
        # context is there however the group is invoked (flask's runner or a test runner)
        ctx.with_resource(app.app_context())

    group = build_group("dividebuy")
    group.help = "DivideBuy: reconcile, settle, refund, orders, terms (with this app's settings)."
    group.callback = with_app_runtime
    app.cli.add_command(group)
