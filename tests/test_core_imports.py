"""The core is usable without Flask: importing it imports no Flask, WTForms or blinker.

A shop on Starlette, FastAPI or Django installs the package and imports
``dividebuy_checkout.checkout``, ``.backoffice``, ``.widgets``, the CLI…; none of
those may pull in Flask, whose adapter (``dividebuy_checkout.flask``) is the only
part allowed to. Checked in a fresh interpreter, so nothing this test session
already imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: what only the Flask adapter may import
FLASK_ONLY = ("flask", "flask_wtf", "wtforms", "blinker")

# pkgutil.walk_packages would import dividebuy_checkout.flask itself to look inside it, so
# the walk is by hand: each package is imported only once it is known not to be the adapter.
_PROBE = """
import importlib, json, pkgutil, sys
import dividebuy_checkout

def walk(path, prefix):
    for info in pkgutil.iter_modules(path, prefix):
        if info.name == "dividebuy_checkout.flask" or info.name.endswith(".__main__"):
            continue  # the adapter; __main__ runs the command line when imported
        module = importlib.import_module(info.name)
        yield info.name
        if info.ispkg:
            yield from walk(module.__path__, info.name + ".")

names = sorted(walk(dividebuy_checkout.__path__, "dividebuy_checkout."))
flask_only = %r
loaded = sorted(m for m in sys.modules if m.split(".")[0] in flask_only)
print(json.dumps({"imported": names, "flask_modules": loaded}))
"""


def _probe() -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE % (FLASK_ONLY,)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_every_core_module_imports_no_flask():
    found = _probe()
    # the walk really covered the core (the parts a non-Flask shop uses)
    for part in (
        "dividebuy_checkout.checkout.answers",
        "dividebuy_checkout.checkout.service",
        "dividebuy_checkout.backoffice.service",
        "dividebuy_checkout.widgets.service",
        "dividebuy_checkout.store",
        "dividebuy_checkout.cli",
    ):
        assert part in found["imported"]
    assert not any(name.startswith("dividebuy_checkout.flask") for name in found["imported"])
    assert found["flask_modules"] == []
