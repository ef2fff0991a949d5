"""The error tree in ``dividebuy_checkout/errors.py`` names every exception class of the package.

One drawing, so a shop knows what to catch: the test builds the tree from the
classes the package really defines and checks that the module docstring holds
exactly that drawing. When it fails, it prints the drawing to paste.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import dividebuy_checkout
from dividebuy_checkout import errors

PACKAGE = dividebuy_checkout.__name__


def _exception_classes() -> list[type[BaseException]]:
    found: dict[type[BaseException], None] = {}
    names = [PACKAGE] + [
        info.name
        for info in pkgutil.walk_packages(dividebuy_checkout.__path__, PACKAGE + ".")
        if not info.name.endswith(".__main__")
    ]
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[value] = None
    return list(found)


def _label(cls: type) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    if cls.__module__.startswith(PACKAGE + ".") or cls.__module__ == PACKAGE:
        where = cls.__module__.removeprefix(PACKAGE).removeprefix(".") or PACKAGE
        return f"{cls.__qualname__} ({where})"
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


def expected_tree() -> str:
    """The drawing: every package exception under its base, grouped under outside roots."""
    ours = _exception_classes()
    children: dict[type, list[type]] = {}
    roots: dict[type, None] = {}
    for cls in ours:
        base = cls.__bases__[0]
        children.setdefault(base, []).append(cls)
        if base not in ours:
            roots[base] = None

    def order(classes: list[type]) -> list[type]:
        return sorted(classes, key=lambda c: (c.__module__, c.__qualname__))

    lines: list[str] = []

    def draw(cls: type, prefix: str) -> None:
        kids = order(children.get(cls, []))
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(kid)}")
            draw(kid, prefix + ("    " if last else "│   "))

    for root in sorted(roots, key=_label):
        lines.append(_label(root))
        draw(root, "")
    return "\n".join("    " + line for line in lines)


def test_the_error_tree_names_every_exception_under_its_base():
    drawing = expected_tree()
    assert drawing in (errors.__doc__ or ""), (
        "dividebuy_checkout/errors.py's docstring must hold this tree:\n\n" + drawing
    )


def test_the_tree_is_not_trivially_empty():
    drawing = expected_tree()
    assert "DivideBuyError (errors)" in drawing and "CheckoutError (checkout.errors)" in drawing
