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


def test_one_worker_programs_leave_web_concurrency_unread():
    environ = {"WEB_CONCURRENCY": "not even a number"}

    server = read_server_config(
        Environment(environ), port=9090, threads=8, max_threads=64, workers=None
    )

    assert server.workers == 1
