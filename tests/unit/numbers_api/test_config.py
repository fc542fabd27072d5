import operator

import pytest
from numbers_api.config import ConfigError, load_config
from service_runtime.env import ServerConfig


def test_defaults_apply_when_nothing_is_set():
    config = load_config({})

    assert (config.server.port, config.server.workers, config.server.threads) == (8080, 2, 4)
    assert config.fail_after_calls == 0
    assert config.server.shutdown_delay_seconds == 5.0
    assert config.served_by


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("PORT", "9000", "server.port", 9000),
        ("PORT", "1", "server.port", 1),
        ("PORT", "65535", "server.port", 65535),
        ("WEB_CONCURRENCY", "4", "server.workers", 4),
        ("GUNICORN_THREADS", "16", "server.threads", 16),
        ("FAIL_AFTER_CALLS", "3", "fail_after_calls", 3),
        ("FAIL_AFTER_CALLS", "0", "fail_after_calls", 0),
        ("SHUTDOWN_DELAY_SECONDS", "0", "server.shutdown_delay_seconds", 0.0),
        ("SHUTDOWN_DELAY_SECONDS", "2.5", "server.shutdown_delay_seconds", 2.5),
        ("PORT", "", "server.port", 8080),
    ],
)
def test_valid_values_are_read(variable, value, field, expected):
    assert operator.attrgetter(field)(load_config({variable: value})) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "80.5"),
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "many"),
        ("GUNICORN_THREADS", "-1"),
        ("FAIL_AFTER_CALLS", "-1"),
        ("FAIL_AFTER_CALLS", "three"),
        ("SHUTDOWN_DELAY_SECONDS", "soon"),
        ("SHUTDOWN_DELAY_SECONDS", "-1"),
        ("SHUTDOWN_DELAY_SECONDS", "16"),
        ("SHUTDOWN_DELAY_SECONDS", "nan"),
        ("PROMETHEUS_MULTIPROC_DIR", "/no/such/directory"),
    ],
)
def test_invalid_value_fails_naming_variable_and_value(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_config({variable: value})

    assert str(raised.value).startswith(f"{variable}={value!r}")


def test_graceful_timeout_covers_drain_delay_inside_kubernetes_grace_period():
    longest = ServerConfig(port=8080, shutdown_delay_seconds=15.0)

    assert longest.graceful_timeout_seconds > longest.shutdown_delay_seconds
    assert longest.graceful_timeout_seconds < 30
