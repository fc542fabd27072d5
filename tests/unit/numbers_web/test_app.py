"""web's app (app.py): the page and Go!, health and readiness, its errors (HTML for the page,
JSON for the API), its security headers and the refusal of request bodies."""

import re

import pytest

from tests.support import scripted_http as api
from tests.support.scripted_http import UNRESOLVABLE_URL


def test_page_offers_a_go_button_in_a_plain_form(make_web):
    response = make_web(UNRESOLVABLE_URL).get("/")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert '<form method="post" action="/">' in html
    assert ">Go!</button>" in html
    assert 'id="result"' not in html
    assert UNRESOLVABLE_URL in html


def test_go_shows_the_number_and_the_pod_that_served_it(scripted, make_web):
    server = scripted(api.ok(number=63, served_by="numbers-api-7d9f-x2"))

    response = make_web(server.url).post("/")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert '<strong id="number">63</strong>' in html
    assert "numbers-api-7d9f-x2" in html


def test_go_tallies_which_pods_served_the_last_answers(scripted, make_web):
    pods = iter(["numbers-api-a", "numbers-api-b", "numbers-api-a"])
    server = scripted(lambda conn, index: api.ok(served_by=next(pods))(conn, index))
    web = make_web(server.url)

    web.post("/")
    web.post("/")
    html = web.post("/").get_data(as_text=True)

    assert "The last 3 numbers" in html
    rows = re.findall(r'<tr class="tally-pod">\s*<th scope="row"><code>([^<]+)</code>', html)
    assert rows == ["numbers-api-a", "numbers-api-b"]
    assert "2 (67 %)" in html
    assert "1 (33 %)" in html


def test_page_shows_no_tally_before_any_number(make_web):
    assert 'id="tally"' not in make_web(UNRESOLVABLE_URL).get("/").get_data(as_text=True)


def test_go_without_a_service_shows_503_with_dns_diagnosis_and_command(make_web):
    response = make_web(UNRESOLVABLE_URL).post("/")
    html = response.get_data(as_text=True)

    assert response.status_code == 503
    assert "RNG service unavailable" in html
    assert '<strong id="kind">dns</strong>' in html
    assert "kubectl get svc numbers-api.invalid" in html


def test_go_with_no_endpoints_points_at_the_endpoints(make_web):
    from tests.support.scripted_http import closed_port_url

    html = make_web(closed_port_url()).post("/").get_data(as_text=True)

    assert '<strong id="kind">connect</strong>' in html
    assert "kubectl get endpoints" in html


def test_pod_name_from_the_api_is_escaped(scripted, make_web):
    server = scripted(api.ok(served_by="<script>alert(1)</script>"))

    html = make_web(server.url).post("/").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_page_sends_a_strict_content_security_policy(make_web):
    headers = make_web(UNRESOLVABLE_URL).get("/").headers

    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_stylesheet_is_served_by_web_itself(make_web):
    response = make_web(UNRESOLVABLE_URL).get("/static/style.css")

    assert response.status_code == 200
    assert response.mimetype == "text/css"


def test_health_and_readiness_do_not_depend_on_the_api(make_web):
    web = make_web(UNRESOLVABLE_URL)

    assert web.get("/healthz").status_code == 200
    assert web.get("/readyz").status_code == 200


def test_readyz_says_draining_and_stays_200_while_draining(make_web):
    web = make_web(UNRESOLVABLE_URL)
    web.application.extensions["numbers_web"]["lifecycle"].begin_drain()

    assert web.get("/readyz").get_json() == {"status": "draining"}
    assert web.get("/readyz").status_code == 200
    assert web.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "mimetype"),
    [
        ("get", "/nowhere", 404, "text/html"),
        ("delete", "/", 405, "text/html"),
        ("get", "/api/nowhere", 404, "application/json"),
        ("post", "/api/number", 405, "application/json"),
        ("post", "/healthz", 405, "application/json"),
        ("post", "/probe/timeline.svg", 405, "application/json"),
        ("get", "/probe/timeline.svg?window=" + "9" * 2000, 414, "application/json"),
        ("get", "/probe/panel?x=" + "9" * 2000, 414, "text/html"),
    ],
)
def test_errors_are_html_for_the_page_and_json_for_the_api(
    make_web, method, path, status, mimetype
):
    response = getattr(make_web(UNRESOLVABLE_URL), method)(path)

    assert response.status_code == status
    assert response.mimetype == mimetype
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_error_shows_no_traceback(make_web):
    web = make_web(UNRESOLVABLE_URL)

    def explode():
        raise RuntimeError("secret internals")

    web.application.add_url_rule("/api/explode", "explode", explode)
    response = web.get("/api/explode")

    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "mimetype"),
    [("post", "/", "text/html"), ("get", "/api/number", "application/json")],
)
def test_request_bodies_are_refused_with_400_that_says_why(make_web, method, path, mimetype):
    response = getattr(make_web(UNRESOLVABLE_URL), method)(path, data=b"number=7")

    assert response.status_code == 400
    assert response.mimetype == mimetype
    assert "takes no request body" in response.get_data(as_text=True)


def test_empty_form_post_from_a_browser_is_accepted(make_web):
    response = make_web(UNRESOLVABLE_URL).post(
        "/", data=b"", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 503  # the Go! click reached the API call


def test_dns_lookup_failure_points_at_cluster_dns_not_the_service():
    from numbers_web.diagnosis import diagnose

    down = diagnose("dns", "Temporary failure in name resolution", "numbers-api", 2.5, True)
    missing = diagnose("dns", "Name or service not known", "numbers-api", 2.5, False)

    assert "kube-dns" in down.try_command
    assert missing.try_command == "kubectl get svc numbers-api"
