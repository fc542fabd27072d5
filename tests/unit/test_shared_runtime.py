"""numbers-api and web each carry their own copy of the runtime plumbing.

Each service directory is its own Docker build context, so the drain-on-SIGTERM handler,
the request metrics and the request limits cannot be imported from one shared package.
These tests keep the copies from drifting apart: change both, or neither.
"""

import re

from tests.support.processes import SERVICE_DIRS

API = SERVICE_DIRS["numbers-api"] / "numbers_api"
WEB = SERVICE_DIRS["web"] / "numbers_web"


def _code(path):
    """The file without its docstring and comments, which may speak of their own service."""
    text = path.read_text()
    text = re.sub(r'^""".*?"""\n', "", text, count=1, flags=re.DOTALL)
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def test_drain_handler_is_the_same_in_both_services():
    assert _code(API / "lifecycle.py") == _code(WEB / "lifecycle.py")


def test_request_limits_are_the_same_in_both_services():
    assert _code(API / "limits.py") == _code(WEB / "limits.py")


def test_web_metrics_are_the_api_metrics_plus_upstream_metrics():
    api, web = _code(API / "metrics.py"), _code(WEB / "metrics.py")

    assert web[: len(api)] == api
    assert any(line.startswith("class UpstreamMetrics") for line in web[len(api):])


def test_gunicorn_settings_differ_only_in_the_service_name():
    def generic(service_dir, package, name):
        lines = _code(service_dir.parent / "gunicorn.conf.py")
        return [line.replace(package, "PKG").replace(name, "NAME") for line in lines]

    assert generic(API, "numbers_api", "numbers-api") == generic(WEB, "numbers_web", "web")
