"""load_config: every variable, good and bad, and errors that name the variable and value."""

from __future__ import annotations

import dataclasses
import operator

import pytest
from dns_probe.config import ConfigError, Nameserver, ProbeConfig, load_config
from service_runtime.env import ServerConfig


def test_empty_environment_gives_documented_defaults() -> None:
    assert load_config({}) == ProbeConfig(
        server=ServerConfig(
            port=9090,
            host="0.0.0.0",
            workers=1,
            threads=8,
            shutdown_delay_seconds=5.0,
            log_level="INFO",
            access_log=False,
        ),
        target="numbers-api",
        interval_seconds=1.0,
        timeout_seconds=0.5,
        jitter=1.0,
        resolv_conf="/etc/resolv.conf",
        nameserver=None,
        http_url=None,
        log_path="/var/lib/probe/events.jsonl",
        log_max_bytes=10 * 1024 * 1024,
        log_backups=5,
        history_limit=100,
    )


@pytest.mark.parametrize(
    ("interval", "expected_timeout"),
    [("1", 0.5), ("0.2", 0.1), ("4", 2.0), ("60", 2.0)],
)
def test_default_timeout_is_half_the_interval_capped_at_two_seconds(
    interval: str, expected_timeout: float
) -> None:
    config = load_config({"PROBE_INTERVAL_SECONDS": interval})
    assert config.timeout_seconds == pytest.approx(expected_timeout)


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("PORT", "8080", "server.port", 8080),
        ("PORT", " 1 ", "server.port", 1),
        ("PORT", "65535", "server.port", 65535),
        ("PROBE_BIND", "127.0.0.1", "server.host", "127.0.0.1"),
        ("PROBE_BIND", "::1", "server.host", "::1"),
        ("GUNICORN_THREADS", "2", "server.threads", 2),
        ("SHUTDOWN_DELAY_SECONDS", "0", "server.shutdown_delay_seconds", 0.0),
        # Its history lives in one process, so the variable that sizes the others is not read.
        ("WEB_CONCURRENCY", "4", "server.workers", 1),
        ("PROBE_TARGET", "numbers-api.default.svc.cluster.local", "target",
         "numbers-api.default.svc.cluster.local"),
        ("PROBE_TARGET", "numbers-api.default.svc.cluster.local.", "target",
         "numbers-api.default.svc.cluster.local."),
        ("PROBE_INTERVAL_SECONDS", "0.25", "interval_seconds", 0.25),
        ("PROBE_INTERVAL_SECONDS", "5", "interval_seconds", 5.0),
        ("PROBE_TIMEOUT_SECONDS", "0.1", "timeout_seconds", 0.1),
        ("PROBE_TIMEOUT_SECONDS", "1", "timeout_seconds", 1.0),
        ("PROBE_JITTER", "0", "jitter", 0.0),
        ("PROBE_JITTER", "0.5", "jitter", 0.5),
        ("PROBE_RESOLV_CONF", "/tmp/resolv.conf", "resolv_conf", "/tmp/resolv.conf"),
        ("PROBE_NAMESERVER", "127.0.0.1", "nameserver", Nameserver("127.0.0.1", 53)),
        ("PROBE_NAMESERVER", "127.0.0.1:5353", "nameserver", Nameserver("127.0.0.1", 5353)),
        ("PROBE_NAMESERVER", "::1", "nameserver", Nameserver("::1", 53)),
        ("PROBE_NAMESERVER", "[::1]:5353", "nameserver", Nameserver("::1", 5353)),
        ("PROBE_HTTP_URL", "http://numbers-api/rng", "http_url", "http://numbers-api/rng"),
        ("PROBE_HTTP_URL", "https://127.0.0.1:8443/", "http_url", "https://127.0.0.1:8443/"),
        ("PROBE_LOG_PATH", "/data/probe.jsonl", "log_path", "/data/probe.jsonl"),
        ("PROBE_LOG_MAX_BYTES", "0", "log_max_bytes", 0),
        ("PROBE_LOG_MAX_BYTES", "4096", "log_max_bytes", 4096),
        ("PROBE_LOG_BACKUPS", "1", "log_backups", 1),
        ("PROBE_HISTORY_LIMIT", "5", "history_limit", 5),
        ("PROBE_LOG_LEVEL", "debug", "server.log_level", "DEBUG"),
        ("PROBE_LOG_LEVEL", "WARNING", "server.log_level", "WARNING"),
    ],
)  # fmt: skip
def test_good_value_is_parsed(variable: str, value: str, field: str, expected: object) -> None:
    config = load_config({variable: value})
    assert operator.attrgetter(field)(config) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "80.5"),
        ("PORT", "-1"),
        ("PROBE_BIND", "localhost"),
        ("PROBE_BIND", "999.1.1.1"),
        ("PROBE_TARGET", "numbers api"),
        ("PROBE_TARGET", "http://numbers-api"),
        ("PROBE_TARGET", "numbers..api"),
        ("PROBE_TARGET", "."),
        ("PROBE_TARGET", "a" * 64),
        ("PROBE_INTERVAL_SECONDS", "abc"),
        ("PROBE_INTERVAL_SECONDS", "0"),
        ("PROBE_INTERVAL_SECONDS", "-1"),
        ("PROBE_INTERVAL_SECONDS", "nan"),
        ("PROBE_INTERVAL_SECONDS", "inf"),
        ("PROBE_TIMEOUT_SECONDS", "abc"),
        ("PROBE_TIMEOUT_SECONDS", "0"),
        ("PROBE_TIMEOUT_SECONDS", "-0.5"),
        ("PROBE_TIMEOUT_SECONDS", "1.5"),
        ("PROBE_JITTER", "x"),
        ("PROBE_JITTER", "-0.1"),
        ("PROBE_JITTER", "1.5"),
        ("PROBE_NAMESERVER", "dns.local"),
        ("PROBE_NAMESERVER", "127.0.0.1:0"),
        ("PROBE_NAMESERVER", "127.0.0.1:70000"),
        ("PROBE_NAMESERVER", "127.0.0.1:x"),
        ("PROBE_NAMESERVER", "127.0.0.1:"),
        ("PROBE_NAMESERVER", "[::1]x"),
        ("PROBE_HTTP_URL", "ftp://numbers-api/"),
        ("PROBE_HTTP_URL", "numbers-api"),
        ("PROBE_HTTP_URL", "http://"),
        ("PROBE_HTTP_URL", "http://numbers-api:port/"),
        ("PROBE_LOG_MAX_BYTES", "-1"),
        ("PROBE_LOG_MAX_BYTES", "10MB"),
        ("PROBE_LOG_BACKUPS", "0"),
        ("PROBE_LOG_BACKUPS", "many"),
        ("PROBE_HISTORY_LIMIT", "0"),
        ("PROBE_HISTORY_LIMIT", "1e3"),
        ("PROBE_LOG_LEVEL", "LOUD"),
        ("GUNICORN_THREADS", "65"),
        ("SHUTDOWN_DELAY_SECONDS", "16"),
    ],
)
def test_bad_value_raises_config_error_naming_variable_and_value(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({variable: value})
    assert str(raised.value).startswith(f"{variable}={value!r} is not ")


def test_interval_error_reads_as_documented() -> None:
    with pytest.raises(ConfigError, match=r"^PROBE_INTERVAL_SECONDS='abc' is not a number > 0$"):
        load_config({"PROBE_INTERVAL_SECONDS": "abc"})


def test_timeout_is_checked_against_the_configured_interval() -> None:
    relaxed = load_config({"PROBE_INTERVAL_SECONDS": "10", "PROBE_TIMEOUT_SECONDS": "5"})
    assert relaxed.timeout_seconds == 5
    expected = r"^PROBE_TIMEOUT_SECONDS='5' is not .* <= PROBE_INTERVAL_SECONDS \(2\)$"
    with pytest.raises(ConfigError, match=expected):
        load_config({"PROBE_INTERVAL_SECONDS": "2", "PROBE_TIMEOUT_SECONDS": "5"})


@pytest.mark.parametrize("blank", ["", "  "])
def test_empty_value_counts_as_unset(blank: str) -> None:
    environ = {name: blank for name in ("PORT", "PROBE_INTERVAL_SECONDS", "PROBE_HTTP_URL",
                                         "PROBE_NAMESERVER", "PROBE_LOG_PATH")}  # fmt: skip
    assert load_config(environ) == load_config({})


def test_unrelated_variables_are_ignored() -> None:
    assert load_config({"HOME": "/root", "PROBE_UNKNOWN": "x"}) == load_config({})


def test_config_is_frozen() -> None:
    config = load_config({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.target = "other"  # type: ignore[misc]


def test_nameserver_prints_as_host_port() -> None:
    assert str(Nameserver("127.0.0.1", 5353)) == "127.0.0.1:5353"
    assert str(Nameserver("::1", 53)) == "[::1]:53"


@pytest.mark.parametrize(
    ("environ", "stop_seconds"),
    [
        ({}, 10.0),
        ({"PROBE_INTERVAL_SECONDS": "60", "PROBE_TIMEOUT_SECONDS": "14"}, 28.0),
    ],
)
def test_the_graceful_stop_covers_the_loop_s_last_check(
    environ: dict[str, str], stop_seconds: float
) -> None:
    # Its last check is one DNS lookup and one HTTP GET, each bounded by the timeout.
    assert load_config(environ).server.stop_seconds == stop_seconds
