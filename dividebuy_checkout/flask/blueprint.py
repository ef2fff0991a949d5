"""The one blueprint: built per app from the parts that each own their routes.

Each part (checkout, widgets, back office) is a module with ``CONFIG_DEFAULTS``
(its ``DIVIDEBUY_*`` keys, see :mod:`dividebuy_checkout.config`) and
``register(bp, app, state)``; this module only puts them together, so the parts
never edit each other's files. The parts are imported by name, not discovered:
a missing or broken part is an import error at start-up, never a feature that
silently is not there.
"""

from __future__ import annotations

from importlib import resources
from types import ModuleType

from flask import Blueprint, Flask

from ..config import declare
from . import backoffice, bridge, checkout, guards, health, openapi, webhooks, widgets
from .extension import DivideBuyState

__all__ = ["PARTS", "build"]

#: the blueprint's parts, in registration order, with the section their keys are declared in
PARTS: tuple[tuple[str, ModuleType], ...] = (
    ("checkout", checkout),
    ("widgets", widgets),
    ("backoffice", backoffice),
    ("webhooks", webhooks),
    ("bridge", bridge),
    ("health", health),
    ("openapi", openapi),
)

for _section, _part in PARTS:
    declare(_section, _part.CONFIG_DEFAULTS)


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
    guards.install(bp, app)  # body-size limit on every endpoint; private-page headers
    for _, part in PARTS:
        part.register(bp, app, state)
    return bp
