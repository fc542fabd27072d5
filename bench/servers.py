"""The servers under test, on this host: gunicorn (as the containers run it) and nginx.

Each listens on an ephemeral 127.0.0.1 port, logs to a file in the run's directory, and is
stopped on leaving its `with` block, also after an error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from service_runtime.testing import free_port, poll

from . import cpu

ROOT = Path(__file__).resolve().parents[1]
#: each started as its container starts it, python -m <package>; the bare app with
#: numbers-api's settings (see its conf)
PACKAGES = {"numbers-api": "numbers_api", "web": "numbers_web", "bare": "numbers_api"}
BARE_CONF = ROOT / "bench" / "gunicorn_bare_conf.py"
NO_ACCESSLOG_CONF = ROOT / "bench" / "gunicorn_variant_conf.py"
READY_PATH = {"numbers-api": "/readyz", "web": "/readyz", "bare": "/"}
#: what each server answers under load
LOAD_PATH = {"numbers-api": "/rng", "web": "/api/number", "bare": "/", "nginx": "/"}
#: gunicorn's settings that the results record, as `--print-config` shows them
RECORDED = ("workers", "threads", "worker_class", "preload_app", "keepalive", "accesslog")


#: what a container of these images has in its environment, besides the service's variables
CONTAINER_LIKE_ENV = ("PATH", "HOME", "LANG", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "TZ")


class ServerError(RuntimeError):
    """A server did not start or did not become ready; the message carries its log."""


def http_status(url: str, timeout: float = 1.0) -> int:
    """The status of GET url, or 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return 0


def ready_or_dead(url: str, alive: Callable[[], bool]) -> Callable[[], str]:
    """A condition to poll: "ready" once url answers 200, "dead" once the server has exited."""

    def state() -> str:
        if http_status(url) == 200:
            return "ready"
        return "" if alive() else "dead"

    return state


@dataclass(frozen=True)
class Tuning:
    """gunicorn overrides; None keeps what the program's own settings say."""

    workers: int | None = None
    threads: int | None = None
    worker_class: str | None = None
    #: False: no access log (bench/gunicorn_variant_conf.py); None or True: as configured
    accesslog: bool | None = None

    def env(self) -> dict[str, str]:
        """Workers and threads through the services' own variables, which their configs read
        (web also sizes its pool of connections to numbers-api by GUNICORN_THREADS)."""
        env = {}
        if self.workers is not None:
            env["WEB_CONCURRENCY"] = str(self.workers)
        if self.threads is not None:
            env["GUNICORN_THREADS"] = str(self.threads)
        if self.accesslog is False:
            env["BENCH_ACCESSLOG"] = "off"
        return env

    def args(self) -> list[str]:
        """The worker class has no variable of its own: it goes on gunicorn's command line."""
        return ["--worker-class", self.worker_class] if self.worker_class else []


@dataclass
class Gunicorn:
    """`python -m <package>` for numbers-api, web or the bare app, on 127.0.0.1:<free port>."""

    kind: str
    run_dir: Path
    tuning: Tuning = field(default_factory=Tuning)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = self.run_dir / f"{self.kind}-{self.port}.log"
        self.settings: dict[str, object] = {}

    @property
    def load_url(self) -> str:
        return self.url + LOAD_PATH[self.kind]

    def _conf(self) -> list[str]:
        if self.kind == "bare":
            return ["-c", str(BARE_CONF)]
        if self.tuning.accesslog is False:
            return ["-c", str(NO_ACCESSLOG_CONF)]
        return []

    def _args(self) -> list[str]:
        return [
            sys.executable, "-m", PACKAGES[self.kind], *self._conf(),
            "--bind", f"127.0.0.1:{self.port}", *self.tuning.args(),
        ]  # fmt: skip

    def _env(self) -> dict[str, str]:
        metrics_dir = self.run_dir / f"{self.kind}-{self.port}-metrics"
        metrics_dir.mkdir(exist_ok=True)
        # A container's environment, not this shell's: requests scans every variable for
        # proxy settings on each call, so a long shell environment would slow web down.
        env = {name: os.environ[name] for name in CONTAINER_LIKE_ENV if name in os.environ}
        env.update({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
        env.update({"SHUTDOWN_DELAY_SECONDS": "0", **self.tuning.env(), **self.env})
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        return env

    def effective_settings(self) -> dict[str, object]:
        """What gunicorn itself resolves from the conf, the environment and the overrides."""
        done = subprocess.run(  # noqa: S603 - our own argv: this Python running gunicorn
            [*self._args(), "--print-config"],
            cwd=ROOT, env=self._env(),
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        settings = {}
        for line in done.stdout.splitlines():
            name, _, value = line.partition("=")
            if name.strip() in RECORDED:
                settings[name.strip()] = _setting_value(value.strip())
        # gunicorn runs gthread whenever threads > 1, whatever worker_class says.
        if settings.get("worker_class") == "sync" and int(settings.get("threads", 1)) > 1:
            settings["worker_class"] = "gthread"
        return settings

    def start(self, timeout: float = 30) -> Gunicorn:
        self.settings = self.effective_settings()
        # From the repository root, where `python -m` finds bench.bare_wsgi for the bare app.
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own argv, as above
                self._args(), cwd=ROOT, env=self._env(),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        ready = self.url + READY_PATH[self.kind]
        if poll(ready_or_dead(ready, self.alive), timeout) != "ready":
            self.stop()
            raise ServerError(f"{self.kind} did not become ready at {ready}:\n{self.log()}")
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def pids(self) -> list[int]:
        """The master and its workers."""
        return cpu.tree(self.process.pid) if self.alive() else []

    def stop(self) -> None:
        if self.process is None:
            return
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        _reap(self.process, timeout=15)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _reap(process: subprocess.Popen, timeout: float) -> None:
    """Wait for a server we started; past the timeout kill its process group (its session)."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _setting_value(raw: str) -> object:
    if raw in ("True", "False"):
        return raw == "True"
    with contextlib.suppress(ValueError):
        return int(raw)
    return raw


NGINX_CONF = """\
# The machine's HTTP limit: nginx answering a fixed body, no logging, no files.
worker_processes auto;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {run_dir}/nginx-body;
    proxy_temp_path {run_dir}/nginx-proxy;
    fastcgi_temp_path {run_dir}/nginx-fastcgi;
    uwsgi_temp_path {run_dir}/nginx-uwsgi;
    scgi_temp_path {run_dir}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        default_type application/json;
        location / {{ return 200 "42"; }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def nginx_version() -> str:
    binary = nginx_binary()
    if not binary:
        return "not installed"
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10)  # noqa: S603
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: ")


@dataclass
class Nginx:
    """Debian's nginx in the foreground with a config of our own, on 127.0.0.1:<free port>."""

    run_dir: Path

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.load_url = self.url + LOAD_PATH["nginx"]
        self.conf = self.run_dir / "nginx.conf"
        self.process: subprocess.Popen | None = None
        self.settings = {"worker_processes": "auto", "access_log": "off"}

    def start(self, timeout: float = 15) -> Nginx:
        binary = nginx_binary()
        if not binary:
            raise ServerError("nginx is not installed (bench/setup.sh installs Debian's package)")
        self.conf.write_text(NGINX_CONF.format(run_dir=self.run_dir, port=self.port))
        log = (self.run_dir / "nginx.out").open("wb")
        with log:
            self.process = subprocess.Popen(  # noqa: S603 - nginx with our own config
                [binary, "-p", str(self.run_dir), "-c", str(self.conf), "-g", "daemon off;"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        if poll(ready_or_dead(self.url + "/", self.alive), timeout) != "ready":
            self.stop()
            output = (self.run_dir / "nginx.out").read_text(errors="replace")
            raise ServerError(f"nginx did not answer at {self.url}:\n{output}")
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        """The master and its workers."""
        return cpu.tree(self.process.pid) if self.alive() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # QUIT is nginx's graceful stop; TERM its fast one.
            self.process.send_signal(signal.SIGTERM)
        if self.process is not None:
            _reap(self.process, timeout=10)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
