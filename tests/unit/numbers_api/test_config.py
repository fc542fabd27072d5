"""numbers-api's own variables; the server's (PORT, WEB_CONCURRENCY...) are the runtime's."""

import pytest
from numbers_api.config import ConfigError, load_config


def test_defaults_apply_when_nothing_is_set():
    config = load_config({})

    assert (config.server.port, config.server.workers, config.server.threads) == (8080, 2, 4)
    assert config.fail_after_calls == 0
    assert config.server.shutdown_delay_seconds == 5.0
    assert config.served_by


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("0", 0), ("", 0)])
def test_the_fault_switch_is_read(value, expected):
    assert load_config({"FAIL_AFTER_CALLS": value}).fail_after_calls == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FAIL_AFTER_CALLS", "-1"),
        ("FAIL_AFTER_CALLS", "three"),
        # Its threads are bounded lower than web's, which holds slow clients.
        ("GUNICORN_THREADS", "257"),
        ("PORT", "http"),
    ],
)
def test_invalid_value_fails_naming_variable_and_value(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_config({variable: value})

    assert str(raised.value).startswith(f"{variable}={value!r}")
