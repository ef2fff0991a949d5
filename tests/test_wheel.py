"""A wheel built from the checkout works on its own in a fresh virtual environment.

This is what a shop gets from ``pip install``: templates, static files and the
nationality list inside the package, a working console script, and no generic
top-level packages (``integrations``, ``templates``) dropped into site-packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support import copy_clean_checkout  # tests/support.py

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = copy_clean_checkout(tmp_path_factory.mktemp("clean-checkout"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
    )
    (built,) = dist.glob("dividebuy_checkout-*.whl")
    return built


def test_wheel_contents_stay_inside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"dividebuy_checkout"}
    for required in (
        "dividebuy_checkout/data/uk-nationalities.txt",
        "dividebuy_checkout/templates/__init__.py",
        "dividebuy_checkout/integrations/__init__.py",
        # the REC+ fake and the seed's example order it serves
        "dividebuy_checkout/integrations/recplus/fake/app.py",
        "dividebuy_checkout/integrations/recplus/fixtures/order_112312.json",
        "dividebuy_checkout/integrations/recplus/fixtures/order_500001.json",
        # the DiSeller fake and the seed's order, customer and product it serves
        "dividebuy_checkout/integrations/diseller/fake/app.py",
        "dividebuy_checkout/integrations/diseller/fixtures/seed_order_ord_456.json",
        "dividebuy_checkout/integrations/diseller/fixtures/gb_shop.json",
        "dividebuy_checkout/py.typed",
        # the store's migrations (db upgrade reads them from the installed package)
        "dividebuy_checkout/store/migrations/env.py",
        "dividebuy_checkout/store/migrations/script.py.mako",
        "dividebuy_checkout/store/migrations/versions/0001_release_schema.py",
    ):
        assert required in names
    assert any(n.startswith("dividebuy_checkout/templates/dividebuy/") for n in names)
    assert any(n.startswith("dividebuy_checkout/static/") for n in names)


def test_installed_wheel_runs_the_sandbox_and_the_cli(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
    )
    site = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not (Path(site) / "integrations").exists()
    assert not (Path(site) / "templates").exists()

    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    clean_env["PYTHONPATH"] = ""  # nothing from the checkout may leak in
    sandbox = subprocess.Popen(
        [str(bin_dir / "dividebuy-checkout"), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env,
        cwd=tmp_path,
    )
    try:
        first_line = sandbox.stdout.readline()
        assert "listening on http://127.0.0.1:" in first_line, first_line
        url = first_line.split("listening on ")[1].strip()
        env = {
            **clean_env,
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": url,
            "DIVIDEBUY_CLIENT_ID": "demo",
            "DIVIDEBUY_CLIENT_SECRET": "demo-secret",
        }
        result = subprocess.run(
            [str(bin_dir / "dividebuy-checkout"), "terms", "2000", "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["order_value"] == "2000.00"
        twelve = next(t for t in body["terms"] if t["months_in_term"] == 12)
        assert twelve["available"] is True
        assert twelve["regular_instalment_cost"] == "166.67"
        # the migrations run from the wheel: a new SQLite database is built to the head
        database = {**clean_env, "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
        for command, expected in (("upgrade", "upgraded from empty to"), ("current", "(head)")):
            done = subprocess.run(
                [str(bin_dir / "dividebuy-checkout"), "db", command],
                capture_output=True,
                text=True,
                env=database,
                cwd=tmp_path,
                timeout=60,
            )
            assert done.returncode == 0 and expected in done.stdout, done.stderr
        # each platform's fake runs from the wheel and serves orders from its package data,
        # read back through the installed adapter (REC+: the seed's order, total £0.00)
        for platform, order_id, total, settings in (
            ("recplus", "112312", "0.00", RECPLUS_SETTINGS),
            ("diseller", "ord_gb_1", "1298.00", DISELLER_SETTINGS),
            ("divendo", "ord-uk-1", "1299.00", DIVENDO_SETTINGS),
        ):
            shown = _order_from_installed_fake(
                bin_dir, platform, order_id, settings, env=clean_env, cwd=tmp_path
            )
            assert shown["order"]["total"] == total, platform
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


#: the settings that point an installed adapter at its fake (``{url}``: the fake's address)
RECPLUS_SETTINGS = {
    "DIVIDEBUY_RECPLUS_BASE_URL": "{url}/api/v1",
    "DIVIDEBUY_RECPLUS_API_USER": "api",
    "DIVIDEBUY_RECPLUS_API_PASS": "api-pass",
}
DISELLER_SETTINGS = {
    "DIVIDEBUY_DISELLER_BASE_URL": "{url}/v1",
    "DIVIDEBUY_DISELLER_API_KEY": "test-api-key",
}
DIVENDO_SETTINGS = {
    "DIVIDEBUY_DIVENDO_BASE_URL": "{url}",
    "DIVIDEBUY_DIVENDO_CLIENT_ID": "divendo-client",
    "DIVIDEBUY_DIVENDO_CLIENT_SECRET": "divendo-secret-0123456789",
}


def _order_from_installed_fake(
    bin_dir: Path,
    platform: str,
    order_id: str,
    settings: dict[str, str],
    *,
    env: dict[str, str],
    cwd: Path,
) -> dict[str, Any]:
    """``dividebuy-checkout fake PLATFORM`` from the wheel, then ``order show ORDER_ID --json``
    through the installed adapter pointed at it: the JSON shown."""
    fake = subprocess.Popen(
        [str(bin_dir / "dividebuy-checkout"), "fake", platform, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
    )
    try:
        assert fake.stdout is not None
        line = fake.stdout.readline()
        assert " fake listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ")[1].strip()
        shown = subprocess.run(
            [str(bin_dir / "dividebuy-checkout"), "order", "show", order_id, "--json"],
            capture_output=True,
            text=True,
            env={
                **env,
                "DIVIDEBUY_ORDER_SOURCE": platform,
                **{key: value.format(url=url) for key, value in settings.items()},
            },
            cwd=cwd,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        result: dict[str, Any] = json.loads(shown.stdout)
        return result
    finally:
        fake.terminate()
        fake.wait(timeout=10)
