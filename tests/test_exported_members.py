"""Every public module says what it exports, in an ``__all__`` this test keeps honest.

Like httpx's ``tests/test_exported_members.py``, but walking the whole package, so a
module added tomorrow is checked too. A module is public unless a part of its dotted
name starts with ``_`` (``dividebuy_checkout.store._rows``): those are private on
purpose and may define what they like.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest

import dividebuy_checkout

#: packages mapped into dividebuy_checkout from elsewhere in the repository (setup.py's
#: MAPPED): an editable install finds them by name, so the walk must start there too
MAPPED_PACKAGES = ("dividebuy_checkout.integrations",)


def _public_modules() -> Iterator[str]:
    yield dividebuy_checkout.__name__
    roots = [(dividebuy_checkout.__path__, dividebuy_checkout.__name__)]
    seen: set[str] = set(MAPPED_PACKAGES)
    for mapped in MAPPED_PACKAGES:
        yield mapped
        roots.append((importlib.import_module(mapped).__path__, mapped))
    for path, package in roots:
        for info in pkgutil.walk_packages(path, package + "."):
            if info.name in seen or any(part.startswith("_") for part in info.name.split(".")):
                continue
            seen.add(info.name)
            yield info.name


PUBLIC_MODULES = sorted(_public_modules())


def _load(name: str) -> ModuleType | None:
    module = importlib.import_module(name)
    if getattr(module, "__file__", None) is None:
        return None  # a namespace package (templates, static): no Python in it
    return module


def _defined_here(module: ModuleType) -> set[str]:
    """Public classes and functions whose home is *module* (not imported into it)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }


def test_the_walk_finds_the_package():
    assert {"dividebuy_checkout", "dividebuy_checkout.events", "dividebuy_checkout.store"} <= set(
        PUBLIC_MODULES
    )
    assert "dividebuy_checkout.integrations.recplus.client" in PUBLIC_MODULES


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_has_an_honest_all(name: str):
    module = _load(name)
    if module is None:
        return
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert all(isinstance(item, str) for item in exported), f"{name}.__all__ holds a non-string"
    assert len(set(exported)) == len(exported), f"{name}.__all__ lists a name twice"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"
    unlisted = sorted(_defined_here(module) - set(exported))
    assert not unlisted, (
        f"{name} defines public {unlisted} but does not export them: add them to __all__ "
        "or give them a leading underscore"
    )


def test_no_two_public_classes_share_a_name():
    """One name, one thing: ``OrderNotFound`` meant two exceptions once."""
    homes: dict[str, set[str]] = {}
    for name in PUBLIC_MODULES:
        module = _load(name)
        if module is None:
            continue
        for item in getattr(module, "__all__", ()):
            value = getattr(module, item, None)
            if inspect.isclass(value) and value.__module__.startswith(dividebuy_checkout.__name__):
                homes.setdefault(item, set()).add(f"{value.__module__}.{value.__qualname__}")
    shared = {item: sorted(places) for item, places in homes.items() if len(places) > 1}
    assert not shared, f"one public name, several classes: {shared}"
