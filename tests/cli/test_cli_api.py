"""The command line as a user meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(*args: str, sandbox=None, secret: str = "cli-secret") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    if sandbox is not None:
        env.update(
            DIVIDEBUY_ENVIRONMENT="local",
            DIVIDEBUY_BASE_URL=sandbox.url,
            DIVIDEBUY_CLIENT_ID="cli",
            DIVIDEBUY_CLIENT_SECRET=secret,
        )
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("terms", "abc"), "The amount must be a number of pounds, like 149.99."),
        (("terms", "-5"), "The amount cannot be negative."),
        (("terms", "12.345"), "at most two decimal places"),
        (("terms",), "Missing argument 'AMOUNT'."),
        (("example", "2000", "0"), "TERM"),
        (("no-such-command",), "No such command"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_credentials_exit_2_naming_the_setting():
    result = run("terms", "100")
    assert result.returncode == 2
    assert "DIVIDEBUY_CLIENT_ID" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_terms_table_and_json(sandbox):
    table = run("terms", "2000", sandbox=sandbox)
    assert table.returncode == 0, table.stderr
    assert "166.67" in table.stdout and "months" in table.stdout
    as_json = run("terms", "2000", "--json", sandbox=sandbox)
    body = json.loads(as_json.stdout)
    twelve = next(t for t in body["terms"] if t["months_in_term"] == 12)
    assert (twelve["first_instalment_cost"], twelve["final_instalment_cost"]) == (
        "166.67",
        "166.63",
    )


def test_example_prints_the_representative_example(sandbox):
    result = run("example", "2000", "24", "--json", sandbox=sandbox)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["term"] == 24 and "Representative Example" in body["html"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("terms", "99503"), "HTTP 503"),
        (("quote", "show", "no-such-quote"), "Quote not found."),
    ],
)
def test_api_failures_exit_1_with_one_line(sandbox, args, fragment):
    result = run(*args, sandbox=sandbox)
    assert result.returncode == 1
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_refused_credentials_exit_1_without_the_secret(sandbox):
    result = run("terms", "100", sandbox=sandbox, secret="wrong-secret")
    assert result.returncode == 1
    assert "refused the client credentials" in result.stderr
    assert "wrong-secret" not in result.stderr + result.stdout
