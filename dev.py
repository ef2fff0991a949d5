#!/usr/bin/env python3
"""The README's two commands, on any machine with Python 3.11+ and nothing else.

    python3 dev.py shop   # install into .venv, start the example shop on the embedded sandbox
    python3 dev.py test   # install into .venv (with test tools), run the whole test suite

Anything after the command is passed on (``python3 dev.py shop --port 8000``,
``python3 dev.py test -k refund``). The virtual environment is made once and
re-installed only when the packaging files change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
    sys.exit("dividebuy-checkout needs Python 3.11 or newer.")

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DIVIDEBUY_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = {"shop": ".", "test": ".[test]"}


def _fingerprint(target: str) -> str:
    digest = hashlib.sha256(target.encode())
    for name in ("pyproject.toml", "setup.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_installed(target: str) -> None:
    """Create the venv and install the project (editable) unless it already is, as it is now."""
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".dividebuy-installed-{target.strip('.[]') or 'base'}"
    want = _fingerprint(target)
    if stamp.exists() and stamp.read_text() == want:
        return
    print(f"Installing dividebuy-checkout{target.lstrip('.')} into {VENV} …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--editable", target], cwd=ROOT, check=True)  # noqa: S603
    stamp.write_text(want)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_installed(EXTRAS[command])
    if command == "shop":
        args = [str(PYTHON), "-m", "examples.flask_shop", *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    os.chdir(ROOT)
    if os.name == "nt":  # pragma: no cover
        return subprocess.call(args)  # noqa: S603
    os.execv(args[0], args)  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
