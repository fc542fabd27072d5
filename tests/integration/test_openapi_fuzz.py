"""Schemathesis fuzzes numbers-api, web's JSON API and the probe from their OpenAPI documents.

Each operation gets a bounded number of generated requests, valid and invalid, sent to the
real programs under gunicorn on 127.0.0.1; every answer must match the description (status,
content type, body schema) and no input may cause a 5xx other than the documented ones.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from service_runtime.testing import free_port

from tests.support import scripted_http
from tests.support.processes import ROOT, SERVICE_DIRS, GunicornServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

# Loaded by path, so the checks' settings do not depend on the directory pytest runs in.
CONFIG = SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))
api_schema = schemathesis.openapi.from_path(
    SERVICE_DIRS["numbers-api"] / "openapi.yaml", config=CONFIG
)
web_schema = schemathesis.openapi.from_path(SERVICE_DIRS["web"] / "openapi.yaml", config=CONFIG)
probe_schema = schemathesis.openapi.from_path(
    SERVICE_DIRS["probe"] / "openapi.yaml", config=CONFIG
)
OVERSIZED_QUERY = "9" * 2000  # over the programs' 1 KiB limit
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def _serve(service, tmp_path_factory, **env):
    log = tmp_path_factory.mktemp("fuzz") / f"{service}.log"
    return GunicornServer(service, env, log).wait_ready()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    server = _serve("numbers-api", tmp_path_factory)
    yield server
    server.kill()


PROBE_STATUS = (
    b'{"target": "numbers-api", "state": "ok", "addresses": ["10.96.0.20"], "checks": 3,'
    b' "first_check_at": "2026-11-26T10:00:00Z", "outages": [], "address_changes": []}'
)


@pytest.fixture(scope="module")
def web_server(api_server, tmp_path_factory):
    # A stand-in sidecar, so /probe/timeline.svg answers; its absence (503) is unit-tested.
    probe = scripted_http.ScriptedServer(scripted_http.body(PROBE_STATUS))
    server = _serve(
        "web",
        tmp_path_factory,
        NUMBERS_API_URL=f"{api_server.url}/rng",
        PROBE_URL=probe.url.removesuffix("/rng"),
    )
    yield server
    server.kill()
    probe.stop()


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("probe")
    (scratch / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    # Its lookups go to a closed port on this host: the Service never resolves, and the probe
    # must still answer every request as described.
    server = _serve(
        "probe",
        tmp_path_factory,
        PROBE_BIND="127.0.0.1",
        PROBE_NAMESERVER=f"127.0.0.1:{free_port()}",
        PROBE_RESOLV_CONF=str(scratch / "resolv.conf"),
        PROBE_LOG_PATH=str(scratch / "events.jsonl"),
        PROBE_JITTER="0",
    )
    yield server
    server.kill()


@api_schema.parametrize()
@FUZZ
def test_numbers_api_answers_every_generated_request_as_described(case, api_server):
    # OpenAPI cannot say "min <= max", so schema-valid pairs such as min=5&max=1 are rightly
    # refused with 400; every other check, including no 5xx and valid bodies, still applies.
    case.call_and_validate(base_url=api_server.url, excluded_checks=[positive_data_acceptance])


@web_schema.parametrize()
@FUZZ
def test_web_json_api_answers_every_generated_request_as_described(case, web_server):
    case.call_and_validate(base_url=web_server.url)


@probe_schema.parametrize()
@FUZZ
def test_the_probe_answers_every_generated_request_as_described(case, probe_server):
    case.call_and_validate(base_url=probe_server.url)


def test_generated_invalid_queries_may_be_refused_as_too_long():
    expected = CONFIG.projects.default.checks.negative_data_rejection.expected_statuses
    assert "414" in expected
    assert "400" in expected


@pytest.mark.parametrize(
    ("schema", "server", "path", "parameter"),
    [
        (api_schema, "api_server", "/rng", "max"),
        (web_schema, "web_server", "/probe/timeline.svg", "window"),
    ],
)
def test_a_query_over_the_limit_gets_the_documented_414(schema, server, path, parameter, request):
    # Found by the fuzzing in CI: the 414 was sent but not described, so a client could not know it.
    case = schema[path]["GET"].Case(query={parameter: OVERSIZED_QUERY})
    response = case.call_and_validate(base_url=request.getfixturevalue(server).url)
    assert response.status_code == 414
