"""The one configuration reader: types, conversion from strings, clear refusals, typos caught."""

from __future__ import annotations

import pytest

from dividebuy_checkout.config import (
    REGISTRY,
    ConfigurationError,
    Registry,
    declare,
    read_settings,
    setting,
)
from dividebuy_checkout.flask import blueprint  # noqa: F401  (declares every part's keys)


@pytest.fixture
def registry() -> Registry:
    keys = Registry()
    keys.declare(
        "demo",
        {
            "DIVIDEBUY_DEMO_ON": setting(True, "a switch"),
            "DIVIDEBUY_DEMO_SECONDS": setting(0.3, "a budget", minimum=0),
            "DIVIDEBUY_DEMO_COUNT": setting(4, "a count", minimum=1),
            "DIVIDEBUY_DEMO_MODE": setting("a", "a choice", choices=("a", "b")),
            "DIVIDEBUY_DEMO_LIMIT": setting("20/minute", "off with none", nullable=True),
            "DIVIDEBUY_DEMO_AUTO": setting(None, "tri-state", kind=bool),
            "DIVIDEBUY_DEMO_KEY": setting(None, "a secret", kind=str, secret=True),
            "DIVIDEBUY_DEMO_PLAIN": 10,
        },
    )
    return keys


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("false", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
        ("true", True),
        ("1", True),
        ("yes", True),
        (" On ", True),
    ],
)
def test_boolean_strings(registry, text, value):
    assert registry.read({}, {"DIVIDEBUY_DEMO_ON": text})["DIVIDEBUY_DEMO_ON"] is value


def test_numbers_from_strings_and_typed_values(registry):
    values = registry.read({"DIVIDEBUY_DEMO_COUNT": "12"}, {"DIVIDEBUY_DEMO_SECONDS": "0.5"})
    assert values["DIVIDEBUY_DEMO_SECONDS"] == 0.5
    assert values["DIVIDEBUY_DEMO_COUNT"] == 12
    assert registry.read({"DIVIDEBUY_DEMO_SECONDS": 2})["DIVIDEBUY_DEMO_SECONDS"] == 2.0
    assert registry.read({}, {"DIVIDEBUY_DEMO_PLAIN": "7"})["DIVIDEBUY_DEMO_PLAIN"] == 7


def test_app_config_wins_over_the_environment_which_wins_over_the_default(registry):
    env = {"DIVIDEBUY_DEMO_COUNT": "5", "DIVIDEBUY_DEMO_MODE": "b"}
    values = registry.read({"DIVIDEBUY_DEMO_COUNT": 9}, env)
    assert values["DIVIDEBUY_DEMO_COUNT"] == 9  # app.config
    assert values["DIVIDEBUY_DEMO_MODE"] == "b"  # environment
    assert values["DIVIDEBUY_DEMO_SECONDS"] == 0.3  # default
    # an empty environment variable is "not set", as in a shell's FOO= export
    assert registry.read({}, {"DIVIDEBUY_DEMO_COUNT": ""})["DIVIDEBUY_DEMO_COUNT"] == 4


def test_none_switches_off_a_key_that_accepts_it(registry):
    assert registry.read({"DIVIDEBUY_DEMO_LIMIT": None})["DIVIDEBUY_DEMO_LIMIT"] is None
    assert registry.read({}, {"DIVIDEBUY_DEMO_LIMIT": "none"})["DIVIDEBUY_DEMO_LIMIT"] is None
    assert registry.read({}, {"DIVIDEBUY_DEMO_AUTO": "none"})["DIVIDEBUY_DEMO_AUTO"] is None
    assert registry.read({}, {"DIVIDEBUY_DEMO_AUTO": "false"})["DIVIDEBUY_DEMO_AUTO"] is False
    # None in app.config for a key that does not accept it means "not set" (Flask's habit)
    values = registry.read({"DIVIDEBUY_DEMO_COUNT": None}, {"DIVIDEBUY_DEMO_COUNT": "6"})
    assert values["DIVIDEBUY_DEMO_COUNT"] == 6


@pytest.mark.parametrize(
    ("name", "raw", "accepts"),
    [
        ("DIVIDEBUY_DEMO_SECONDS", "soon", "a number, at least 0"),
        ("DIVIDEBUY_DEMO_SECONDS", "-1", "a number, at least 0"),
        ("DIVIDEBUY_DEMO_SECONDS", "nan", "a number"),
        ("DIVIDEBUY_DEMO_COUNT", "1.5", "a whole number, at least 1"),
        ("DIVIDEBUY_DEMO_COUNT", "0", "a whole number, at least 1"),
        ("DIVIDEBUY_DEMO_ON", "maybe", "true or false"),
        ("DIVIDEBUY_DEMO_MODE", "c", "one of a, b"),
    ],
)
def test_a_bad_value_names_the_key_and_what_it_accepts(registry, name, raw, accepts):
    for config, environ in (({name: raw}, {}), ({}, {name: raw})):
        with pytest.raises(ConfigurationError) as caught:
            registry.read(config, environ)
        assert caught.value.key == name
        assert str(caught.value).startswith(f"{name} must be {accepts}")
        assert repr(raw) in str(caught.value)


def test_typed_values_of_the_wrong_type_are_refused(registry):
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DEMO_COUNT must be a whole number"):
        registry.read({"DIVIDEBUY_DEMO_COUNT": True})
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DEMO_ON must be true or false"):
        registry.read({"DIVIDEBUY_DEMO_ON": 2})


def test_a_refused_secret_is_never_shown(registry):
    with pytest.raises(ConfigurationError) as caught:
        registry.read({"DIVIDEBUY_DEMO_KEY": 12345678901234567})
    assert "12345678901234567" not in str(caught.value) and "'***'" in str(caught.value)


def test_an_unknown_key_in_app_config_is_refused_with_a_suggestion():
    with pytest.raises(ConfigurationError) as caught:
        REGISTRY.refuse_unknown({"DIVIDEBUY_WIDGETS_BUDGET": 0.5})
    assert "DIVIDEBUY_WIDGETS_BUDGET is not a DivideBuy setting" in str(caught.value)
    assert "Did you mean DIVIDEBUY_WIDGET_BUDGET?" in str(caught.value)
    REGISTRY.refuse_unknown({"SECRET_KEY": "x", "DIVIDEBUY_WIDGET_BUDGET": 0.5})  # fine


def test_unknown_names_in_the_environment_are_ignored():
    # tests and tooling share the environment (DIVIDEBUY_TEST_DATABASE_URL, DIVIDEBUY_VENV…)
    values = read_settings({}, {"DIVIDEBUY_TEST_DATABASE_URL": "x", "DIVIDEBUY_VENV": "/v"})
    assert "DIVIDEBUY_VENV" not in values


def test_two_parts_cannot_declare_one_key(registry):
    with pytest.raises(ValueError, match="declared by both demo and other"):
        registry.declare("other", {"DIVIDEBUY_DEMO_ON": setting(False, "again")})
    with pytest.raises(ValueError, match="starts with DIVIDEBUY_"):
        registry.declare("demo", {"WIDGET_BUDGET": 1})


def test_every_key_of_the_package_is_typed_and_documented():
    assert len(REGISTRY) >= 30
    for key in REGISTRY:
        assert key.doc, f"{key.name} ({key.section}) has no doc: declare it with setting()"
        assert key.kind is not object or key.accepts, f"{key.name}: give kind= or accepts="
        if key.default is not None:
            assert key.convert(key.default) == key.default, key.name


def test_the_core_keys_are_declared_without_flask():
    for name in ("DIVIDEBUY_CLIENT_ID", "DIVIDEBUY_DATABASE_URL", "DIVIDEBUY_LISTENER"):
        assert REGISTRY[name].section in ("client", "store", "cli")
    assert callable(declare)
