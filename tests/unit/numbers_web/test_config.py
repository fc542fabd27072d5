"""web's own variables; the server's (PORT, WEB_CONCURRENCY...) are the runtime's."""

import operator

import pytest
from numbers_web.config import ConfigError, load_config


def test_defaults_call_numbers_api_by_its_service_name():
    config = load_config({})

    assert config.api_url == "http://numbers-api/rng"
    assert config.api_host == "numbers-api"
    assert config.api_timeout_seconds == 2.5
    assert (config.server.port, config.server.threads) == (8080, 256)
    assert config.api_max_idle_seconds == 0.1
    assert config.api_max_connection_age_seconds == 1.0


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("NUMBERS_API_URL", "http://127.0.0.1:5000/rng", "api_url", "http://127.0.0.1:5000/rng"),
        ("NUMBERS_API_URL", "https://numbers-api.ns.svc/rng", "api_url", "https://numbers-api.ns.svc/rng"),
        ("NUMBERS_API_TIMEOUT_SECONDS", "1", "api_timeout_seconds", 1.0),
        ("NUMBERS_API_MAX_IDLE_SECONDS", "0", "api_max_idle_seconds", 0.0),
        ("NUMBERS_API_MAX_CONNECTION_AGE_SECONDS", "30", "api_max_connection_age_seconds", 30.0),
        ("GUNICORN_THREADS", "1024", "server.threads", 1024),
        ("PROBE_URL", "http://127.0.0.1:9191/", "probe_url", "http://127.0.0.1:9191"),
    ],
)
def test_valid_values_are_read(variable, value, field, expected):
    assert operator.attrgetter(field)(load_config({variable: value})) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NUMBERS_API_URL", "numbers-api/rng"),
        ("NUMBERS_API_URL", "ftp://numbers-api/rng"),
        ("NUMBERS_API_URL", "http:///rng"),
        ("NUMBERS_API_URL", "http://numbers-api:99999/rng"),
        ("NUMBERS_API_TIMEOUT_SECONDS", "3"),
        ("NUMBERS_API_TIMEOUT_SECONDS", "0"),
        ("NUMBERS_API_TIMEOUT_SECONDS", "fast"),
        ("NUMBERS_API_MAX_IDLE_SECONDS", "-0.1"),
        ("NUMBERS_API_MAX_CONNECTION_AGE_SECONDS", "forever"),
        ("GUNICORN_THREADS", "1025"),
        ("PROBE_URL", "localhost:9090"),
        ("PROBE_URL", "file:///etc/passwd"),
    ],
)
def test_invalid_value_fails_naming_variable_and_value(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_config({variable: value})

    assert str(raised.value).startswith(f"{variable}={value!r}")
