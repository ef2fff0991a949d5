"""One settings object from keywords, the environment or Flask config, same names everywhere."""

from __future__ import annotations

import pytest

from dividebuy_checkout import ConfigurationError, Settings

SECRET = "very-secret-value"


def test_environment_and_flask_config_use_the_same_names():
    names = {
        "DIVIDEBUY_CLIENT_ID": "id-1",
        "DIVIDEBUY_CLIENT_SECRET": SECRET,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": "http://127.0.0.1:8765/",
        "DIVIDEBUY_TIMEOUT": "7.5",
        "DIVIDEBUY_MAX_ATTEMPTS": "5",
    }
    from_env = Settings.from_env(names)
    from_config = Settings.from_mapping(dict(names))  # what app.config holds
    assert from_env == from_config
    assert from_env.timeout == 7.5 and from_env.max_attempts == 5
    assert from_env.resolved_base_url == "http://127.0.0.1:8765"


def test_keyword_overrides_win_over_the_environment():
    settings = Settings.from_env({"DIVIDEBUY_CLIENT_ID": "env"}, client_id="kw", client_secret="s")
    assert settings.client_id == "kw"


def test_base_url_overrides_the_environment_url():
    settings = Settings(
        client_id="a", client_secret="b", environment="live", base_url="https://x.test"
    )
    assert settings.resolved_base_url == "https://x.test"
    assert Settings(environment="live").resolved_base_url == "https://api.dividebuy.co.uk"
    assert Settings().resolved_base_url == "https://api.dividebuysandbox.co.uk"


def test_secret_never_appears_in_repr_or_str():
    settings = Settings(client_id="id-1", client_secret=SECRET)
    for text in (repr(settings), str(settings), f"{settings!r}", repr([settings])):
        assert SECRET not in text
    assert "'***'" in repr(settings)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"DIVIDEBUY_ENVIRONMENT": "production"}, "must be one of live, sandbox, local"),
        ({"DIVIDEBUY_ENVIRONMENT": "local"}, "needs DIVIDEBUY_BASE_URL"),
        ({"DIVIDEBUY_TIMEOUT": "soon"}, "DIVIDEBUY_TIMEOUT must be a number"),
        ({"DIVIDEBUY_TIMEOUT": "0"}, "timeouts must be positive"),
        ({"DIVIDEBUY_MAX_ATTEMPTS": "0"}, "at least 1"),
    ],
)
def test_bad_settings_are_clear_errors(config, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_mapping(config)


def test_missing_credentials_name_each_missing_setting():
    with pytest.raises(ConfigurationError) as caught:
        Settings().require_credentials()
    assert "DIVIDEBUY_CLIENT_ID and DIVIDEBUY_CLIENT_SECRET" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:80", "http://a.localhost"],
)
def test_live_with_a_loopback_base_url_is_refused(url):
    with pytest.raises(ConfigurationError, match="'live' cannot use the loopback"):
        Settings(client_id="a", client_secret="b", environment="live", base_url=url)
    # the local sandbox is what loopback is for
    assert Settings(environment="local", base_url=url).resolved_base_url == url


def test_from_config_reads_app_config_first_then_the_environment():
    settings = Settings.from_config(
        {"DIVIDEBUY_CLIENT_ID": "config-id", "DIVIDEBUY_TIMEOUT": None},
        {
            "DIVIDEBUY_CLIENT_ID": "env-id",
            "DIVIDEBUY_CLIENT_SECRET": SECRET,
            "DIVIDEBUY_TIMEOUT": "9",
        },
    )
    assert settings.client_id == "config-id"  # app.config wins
    assert settings.client_secret == SECRET and settings.timeout == 9.0  # then the environment


def test_a_bad_secret_is_refused_without_showing_it():
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_mapping({"DIVIDEBUY_CLIENT_SECRET": 123456789})
    assert "123456789" not in str(caught.value) and "DIVIDEBUY_CLIENT_SECRET" in str(caught.value)
