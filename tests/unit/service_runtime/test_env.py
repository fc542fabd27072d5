"""The shared readers: an empty value is unset, and every error names variable, value, rule."""

from __future__ import annotations

import pytest
from service_runtime.env import ConfigError, Environment, read_server_config

URL_RULE = "an http:// or https:// URL with a host"


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [
        (lambda env: env.integer("X", 7, 1, 10), None, 7),
        (lambda env: env.integer("X", 7, 1, 10), "", 7),
        (lambda env: env.integer("X", 7, 1, 10), "  ", 7),
        (lambda env: env.integer("X", 7, 1, 10), " 3 ", 3),
        (lambda env: env.integer("X", 7, 0), "123456", 123456),
        (lambda env: env.seconds("X", 1.0, 0, 5), "2.5", 2.5),
        (lambda env: env.seconds("X", 1.0, 0, 5), "0", 0.0),
        (lambda env: env.number("X", 1.0, "a number"), "-4", -4.0),
        (lambda env: env.choice("X", "INFO", ("INFO", "DEBUG")), "debug", "DEBUG"),
        (lambda env: env.url("X", None), "https://a.example:8443/x", "https://a.example:8443/x"),
        (lambda env: env.url("X", "http://d/"), None, "http://d/"),
        (lambda env: env.text("X", "d"), " /path ", "/path"),
    ],
)
def test_a_good_or_missing_value_is_read(read, value, expected):
    assert read(Environment({} if value is None else {"X": value})) == expected


@pytest.mark.parametrize(
    ("read", "value", "rule"),
    [
        (lambda env: env.integer("X", 7, 1, 10), "11", "an integer from 1 to 10"),
        (lambda env: env.integer("X", 7, 1, 10), "2.0", "an integer from 1 to 10"),
        (lambda env: env.integer("X", 7, 0), "-1", "an integer >= 0"),
        (lambda env: env.seconds("X", 1.0, 0.1, 5), "0", "a number of seconds from 0.1 to 5"),
        (lambda env: env.seconds("X", 1.0, 0, 5), "nan", "a number of seconds from 0 to 5"),
        (lambda env: env.seconds("X", 1.0, 0, 5), "inf", "a number of seconds from 0 to 5"),
        (lambda env: env.seconds("X", 1.0, 0, 5), "soon", "a number of seconds from 0 to 5"),
        (lambda env: env.choice("X", "INFO", ("INFO", "DEBUG")), "loud", "one of INFO, DEBUG"),
        (lambda env: env.url("X", None), "ftp://a/", URL_RULE),
        (lambda env: env.url("X", None), "http://a:99999/", URL_RULE),
        (lambda env: env.directory("X"), "/no/such/directory", "an existing directory"),
    ],
)
def test_a_bad_value_fails_naming_variable_value_and_rule(read, value, rule):
    with pytest.raises(ConfigError) as raised:
        read(Environment({"X": value}))

    assert str(raised.value) == f"X={value!r} is not {rule}"


def read_server(environ):
    return read_server_config(Environment(environ), port=8080, threads=4, max_threads=256)


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("PORT", "9000", "port", 9000),
        ("PORT", "1", "port", 1),
        ("PORT", "65535", "port", 65535),
        ("PORT", "", "port", 8080),
        ("WEB_CONCURRENCY", "4", "workers", 4),
        ("GUNICORN_THREADS", "16", "threads", 16),
        ("SHUTDOWN_DELAY_SECONDS", "0", "shutdown_delay_seconds", 0.0),
        ("SHUTDOWN_DELAY_SECONDS", "2.5", "shutdown_delay_seconds", 2.5),
    ],
)
def test_the_server_s_variables_are_read(variable, value, field, expected):
    assert getattr(read_server({variable: value}), field) == expected


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
        ("GUNICORN_THREADS", "257"),
        ("SHUTDOWN_DELAY_SECONDS", "soon"),
        ("SHUTDOWN_DELAY_SECONDS", "-1"),
        ("SHUTDOWN_DELAY_SECONDS", "16"),
        ("SHUTDOWN_DELAY_SECONDS", "nan"),
        ("PROMETHEUS_MULTIPROC_DIR", "/no/such/directory"),
    ],
)
def test_a_bad_server_variable_fails_naming_it_and_its_value(variable, value):
    with pytest.raises(ConfigError) as raised:
        read_server({variable: value})

    assert str(raised.value).startswith(f"{variable}={value!r} is not ")


def test_the_graceful_timeout_covers_the_longest_drain_inside_kubernetes_grace_period():
    longest = read_server({"SHUTDOWN_DELAY_SECONDS": "15"})

    assert longest.graceful_timeout_seconds > longest.shutdown_delay_seconds
    assert longest.graceful_timeout_seconds < 30


def test_one_worker_programs_leave_web_concurrency_unread():
    environ = {"WEB_CONCURRENCY": "not even a number"}

    server = read_server_config(
        Environment(environ), port=9090, threads=8, max_threads=64, workers=None
    )

    assert server.workers == 1
