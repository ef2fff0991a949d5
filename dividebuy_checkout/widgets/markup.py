"""The widget's HTML and its asset tags, framework-free (Jinja2 only, as Flask uses).

- :class:`WidgetMarkup` renders ``templates/dividebuy/widget/widget.html`` for a price — the
  whole widget inside a ``<dividebuy-instalments>`` element that ``widget.js`` upgrades in
  place — and keeps the markup per price until the figures change (it holds no request data
  and no ids), so a warm product page costs two dictionary look-ups.
- :func:`asset_tags` writes the ``<link>`` and ``<script type="module">`` tags; the files are
  in :data:`STATIC` (serve that folder, e.g. at ``/dividebuy/static``), and
  :func:`asset_href` adds a content hash so the URL changes whenever a file does.

Without Flask::

    from dividebuy_checkout.widgets import WidgetMarkup, WidgetService, asset_href, asset_tags

    markup = WidgetMarkup(WidgetService(client))      # the package's own templates
    html = markup("899.00")                           # Markup; "" for a bad price
    head = asset_tags(asset_href("/dividebuy/static", "widget.css"),
                      asset_href("/dividebuy/static", "widget.js"))

In Flask the blueprint passes the app's Jinja environment, so a shop's own
``templates/dividebuy/widget/widget.html`` overrides the package's.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import jinja2
from markupsafe import Markup

from ..money import MoneyError
from .service import WidgetResult, WidgetService

__all__ = [
    "ASSETS_TEMPLATE",
    "STATIC",
    "TEMPLATE",
    "WidgetMarkup",
    "asset_href",
    "asset_tags",
    "asset_version",
    "default_environment",
]

log = logging.getLogger("dividebuy_checkout.widgets")

TEMPLATE = "dividebuy/widget/widget.html"
ASSETS_TEMPLATE = "dividebuy/widget/assets.html"
#: widget.js and widget.css
STATIC: Traversable = resources.files("dividebuy_checkout") / "static"


@cache
def default_environment() -> jinja2.Environment:
    """A Jinja environment over the package's templates, autoescaping like Flask's."""
    folder = str(resources.files("dividebuy_checkout.templates"))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(["html"]),
        auto_reload=False,  # installed templates do not change while the process runs
    )


@cache
def asset_version(name: str) -> str:
    """A short content hash of a static file, so its URL changes whenever the file does."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def asset_href(static_url: str, name: str) -> str:
    """``asset_href("/dividebuy/static", "widget.js")`` → ``/dividebuy/static/widget.js?v=…``."""
    return f"{static_url.rstrip('/')}/{name}?v={asset_version(name)}"


def asset_tags(css: str, js: str, *, environment: jinja2.Environment | None = None) -> Markup:
    """The stylesheet and module script tags (no inline code: ``script-src 'self'`` is enough)."""
    template = (environment or default_environment()).get_template(ASSETS_TEMPLATE)
    # An autoescaping template with URLs only.
    return Markup(template.render(css=css, js=js))  # noqa: S704


class WidgetMarkup:
    """``markup(price, price_source=None)``: the server-rendered widget, kept per price.

    *environment* is the Jinja environment whose loader finds ``dividebuy/widget/*.html``
    (default: the package's own). Not kept while the environment auto-reloads templates.
    """

    def __init__(
        self,
        service: WidgetService,
        *,
        environment: jinja2.Environment | None = None,
        maxsize: int = 4096,
    ) -> None:
        self.service = service
        self.environment = environment or default_environment()
        self.maxsize = maxsize
        self._memo: dict[tuple[Any, str | None], tuple[WidgetResult, Markup]] = {}

    def __call__(self, price: Any, price_source: str | None = None) -> Markup:
        """The widget for *price*; empty markup (and a logged warning) for a bad price.

        *price_source*: the id of a variant ``<select>`` (options with ``data-amount``) or a
        quantity input the web component follows, so the figures change with the variant.
        """
        try:
            result = self.service.result(price)
        except MoneyError as exc:
            log.warning("dividebuy_widget(%r): %s Nothing rendered.", price, exc)
            return Markup("")
        key = (result.view.amount, price_source)
        memo = self._memo.get(key)
        reload = self.environment.auto_reload
        if memo is not None and memo[0] is result and not reload:
            return memo[1]
        template = self.environment.get_template(TEMPLATE)
        # The template autoescapes; only the sanitised example is marked safe inside it.
        markup = Markup(  # noqa: S704
            template.render(
                view=result.view, outcome=result.outcome.value, price_source=price_source
            )
        )
        if len(self._memo) >= self.maxsize:
            self._memo.clear()
        self._memo[key] = (result, markup)
        return markup
