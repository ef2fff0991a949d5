"""Order sources for shop platforms, installed as ``dividebuy_checkout.integrations``.

``DIVIDEBUY_ORDER_SOURCE`` names the platform a deployment reads its orders from
(one per deployment): ``"recplus"``, ``"diseller"``, ``"divendo"``, or
``"module:object"`` for the shop's own source. :func:`build_order_source` turns
that name and the ``DIVIDEBUY_<PLATFORM>_*`` keys into an
:class:`~dividebuy_checkout.orders.OrderSource`. Platform modules are imported
only when named, so the core never imports an adapter it does not use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..orders import OrderSource
from ..settings import ConfigurationError

if TYPE_CHECKING:
    from .diseller.webhooks import DiSellerWebhooks
    from .recplus.webhooks import RecPlusWebhooks

__all__ = ["PLATFORMS", "SETTING", "WEBHOOK_PLATFORMS", "build_order_source", "build_webhooks"]

#: The config key naming the order source.
SETTING = "DIVIDEBUY_ORDER_SOURCE"


def _recplus(config: Mapping[str, Any]) -> OrderSource:
    from .recplus import RecPlusConfig, RecPlusOrderSource

    return RecPlusOrderSource.from_config(RecPlusConfig.from_mapping(config))


def _recplus_webhooks(config: Mapping[str, Any], source: OrderSource | None) -> RecPlusWebhooks:
    from .recplus import RecPlusConfig, RecPlusOrderSource
    from .recplus.webhooks import RecPlusWebhooks

    settings = RecPlusConfig.from_mapping(config)
    if not isinstance(source, RecPlusOrderSource):
        source = RecPlusOrderSource.from_config(settings)
    return RecPlusWebhooks(settings, source)


def _diseller(config: Mapping[str, Any]) -> OrderSource:
    from .diseller import DiSellerConfig, DiSellerOrderSource

    return DiSellerOrderSource.from_config(DiSellerConfig.from_mapping(config))


def _diseller_webhooks(config: Mapping[str, Any], source: OrderSource | None) -> DiSellerWebhooks:
    from .diseller import DiSellerConfig, DiSellerOrderSource
    from .diseller.webhooks import DiSellerWebhooks, SourceReader

    settings = DiSellerConfig.from_mapping(config)
    if not isinstance(source, DiSellerOrderSource):
        source = DiSellerOrderSource.from_config(settings)
    return DiSellerWebhooks(settings, SourceReader(source))


def _divendo(config: Mapping[str, Any]) -> OrderSource:
    from .divendo import DivendoConfig, DivendoOrderSource

    return DivendoOrderSource.from_config(DivendoConfig.from_mapping(config))


#: Platform name → factory taking the config mapping.
PLATFORMS: dict[str, Callable[[Mapping[str, Any]], OrderSource]] = {
    "recplus": _recplus,
    "diseller": _diseller,
    "divendo": _divendo,
}


def _import_object(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    try:
        target: object = importlib.import_module(module_name.strip())
    except ImportError as exc:
        raise ConfigurationError(
            f"{SETTING} {spec!r}: cannot import {module_name!r} ({exc})."
        ) from None
    for part in attribute.strip().split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(
                f"{SETTING} {spec!r}: {module_name!r} has no {attribute!r}."
            ) from None
    return target


def build_order_source(name: str, config: Mapping[str, Any]) -> OrderSource:
    """The order source *name* configured from *config* (Flask config or ``os.environ``).

    ``"module:object"``: *object* is an order source (it has ``get_order``), or a
    class or factory called with *config* that returns one. Anything unusable is
    a :class:`~dividebuy_checkout.settings.ConfigurationError` naming the setting.
    """
    key = (name or "").strip()
    if key.lower() in PLATFORMS:
        return PLATFORMS[key.lower()](config)
    if ":" not in key or not key.partition(":")[0] or not key.partition(":")[2]:
        choices = ", ".join(repr(p) for p in PLATFORMS)
        raise ConfigurationError(
            f"{SETTING} must be one of {choices} or 'module:object', not {key!r}."
        )
    target = _import_object(key)
    if isinstance(target, type) or not hasattr(target, "get_order"):
        if not callable(target):
            raise ConfigurationError(f"{SETTING} {key!r} is neither an order source nor a factory.")
        target = target(config)
    if not isinstance(target, OrderSource):
        raise ConfigurationError(f"{SETTING} {key!r} did not give an object with get_order().")
    return target


#: Platform name → factory of its webhook/write-back side, from the config and the
#: deployment's order source (reused when it is that platform's).
WEBHOOK_PLATFORMS: dict[str, Callable[[Mapping[str, Any], OrderSource | None], Any]] = {
    "recplus": _recplus_webhooks,
    "diseller": _diseller_webhooks,
}


def build_webhooks(config: Mapping[str, Any], source: OrderSource | None) -> Any | None:
    """The webhook side of the platform ``DIVIDEBUY_ORDER_SOURCE`` names, or ``None``.

    It has ``name``, the :class:`~.webhooks.WebhookPlatform` methods and the
    :class:`~.writeback.StatusWriter` ones.
    """
    name = str(config.get(SETTING) or "").strip().lower()
    factory = WEBHOOK_PLATFORMS.get(name)
    return None if factory is None else factory(config, source)
