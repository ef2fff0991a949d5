"""The one blueprint: built per app from the parts that each own their routes.

Each part (checkout, widgets, back office) is a module with
``CONFIG_DEFAULTS`` and ``register(bp, app, state)``; this module only puts
them together, so the parts never edit each other's files.
"""

from __future__ import annotations

import importlib
from importlib import resources

from flask import Blueprint, Flask

from .extension import DivideBuyState

#: the blueprint's parts, in registration order
PARTS = (
    "dividebuy_checkout.flask.checkout",
    "dividebuy_checkout.flask.widgets",
    "dividebuy_checkout.flask.backoffice",
)


def _parts() -> list:
    modules = []
    for name in PARTS:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def set_config_defaults(app: Flask) -> None:
    for part in _parts():
        for key, value in getattr(part, "CONFIG_DEFAULTS", {}).items():
            app.config.setdefault(key, value)


def build(app: Flask, state: DivideBuyState) -> Blueprint:
    templates = resources.files("dividebuy_checkout.templates")
    static = resources.files("dividebuy_checkout") / "static"
    bp = Blueprint(
        "dividebuy",
        __name__,
        template_folder=str(templates),
        static_folder=str(static),
        static_url_path="/static",
    )
    for part in _parts():
        part.register(bp, app, state)
    return bp
