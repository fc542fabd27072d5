"""The settings `python -m <program>` runs gunicorn with, and how a bad variable stops it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import pytest
from flask import Flask
from gunicorn.config import Config
from service_runtime.env import ConfigError, Environment, ServerConfig, read_server_config
from service_runtime.server import Program, ProgramServer, run, settings


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    server: ServerConfig


def load_demo(environ: Mapping[str, str]) -> DemoConfig:
    return DemoConfig(read_server_config(Environment(environ), port=8080, threads=4, max_threads=8))


def create_demo_app(config: DemoConfig) -> Flask:
    app = Flask("demo")
    app.config["DEMO"] = config
    return app


def bare_app(environ, start_response):
    start_response("200 OK", [])
    return [b"42"]


# This module is also a gunicorn config file, as bench/gunicorn_bare_conf.py is: it swaps the app.
wsgi_app = f"{__name__}:bare_app"


DEMO = Program("demo", f"{__name__}:create_demo_app", load_demo)


def test_every_setting_is_one_gunicorn_knows():
    assert set(settings(DEMO, ServerConfig(port=8080))) <= set(Config().settings)


@pytest.mark.parametrize(
    ("server", "setting", "expected"),
    [
        (ServerConfig(port=9000), "bind", ["0.0.0.0:9000"]),
        (ServerConfig(port=9090, host="127.0.0.1"), "bind", ["127.0.0.1:9090"]),
        (ServerConfig(port=1, workers=3, threads=7), "workers", 3),
        (ServerConfig(port=1, workers=3, threads=7), "threads", 7),
        # Gunicorn's clock starts at SIGTERM: the drain, then the graceful stop.
        (ServerConfig(port=1, shutdown_delay_seconds=5.0), "graceful_timeout", 15),
        (ServerConfig(port=1, shutdown_delay_seconds=0.5, stop_seconds=28), "graceful_timeout", 29),
        (ServerConfig(port=1), "accesslog", "-"),
        (ServerConfig(port=1, access_log=False), "accesslog", None),
        (ServerConfig(port=1, log_level="WARNING"), "loglevel", "warning"),
        (ServerConfig(port=1), "worker_class", "service_runtime.lifecycle.DrainingThreadWorker"),
        (ServerConfig(port=1), "preload_app", True),
        (ServerConfig(port=1), "wsgi_app", f"{__name__}:create_demo_app()"),
    ],
)
def test_settings_come_from_the_program_s_configuration(server, setting, expected):
    assert settings(DEMO, server)[setting] == expected


def test_metrics_hooks_are_set_only_where_workers_share_metrics():
    shared = settings(DEMO, ServerConfig(port=1))
    alone = settings(dataclasses.replace(DEMO, multiprocess_metrics=False), ServerConfig(port=1))

    assert {"on_starting", "child_exit"} <= set(shared)
    assert not {"on_starting", "child_exit"} & set(alone)


def test_the_command_line_still_overrides_the_program_s_settings(monkeypatch):
    monkeypatch.setattr("sys.argv", ["demo", "--bind", "127.0.0.1:1234", "--workers", "5"])
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)

    cfg = ProgramServer(DEMO, DemoConfig(ServerConfig(port=8080, workers=2))).cfg

    assert (cfg.bind, cfg.workers, cfg.threads) == (["127.0.0.1:1234"], 5, 4)


def test_the_program_s_app_is_built_from_the_configuration_already_read(monkeypatch):
    monkeypatch.setattr("sys.argv", ["demo"])
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    config = DemoConfig(ServerConfig(port=8080))

    app = ProgramServer(DEMO, config).load()

    assert app.config["DEMO"] is config


def test_an_app_named_on_the_command_line_replaces_the_program_s(monkeypatch):
    # How the bench serves its bare WSGI app with numbers-api's settings.
    monkeypatch.setattr("sys.argv", ["demo"])
    monkeypatch.setenv("GUNICORN_CMD_ARGS", f"--config python:{__name__}")
    server = ProgramServer(DEMO, DemoConfig(ServerConfig(port=8080)))

    assert server.load() is bare_app


def test_a_bad_variable_stops_it_with_exit_2_and_one_line_naming_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("GUNICORN_THREADS", "9")

    assert run(DEMO) == 2
    assert capsys.readouterr().err == (
        "demo: configuration error: GUNICORN_THREADS='9' is not an integer from 1 to 8\n"
    )


def test_a_program_with_shared_metrics_gets_a_directory_before_anything_imports_the_client(
    monkeypatch,
):
    # Empty is unset to run(); unlike delenv of an absent variable, setenv restores the
    # environment afterwards, so the directory run() names (removed below) does not leak
    # into the processes later tests start.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.setenv("PORT", "not-a-port")  # stops run() right after the directory is made

    assert run(DEMO) == 2
    assert os.path.isdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    os.rmdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def test_config_errors_name_variable_value_and_rule():
    with pytest.raises(ConfigError, match=r"^PORT='0' is not an integer from 1 to 65535$"):
        load_demo({"PORT": "0"})
