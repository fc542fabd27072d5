"""The shared request metrics on a bare Flask app: label sets stay bounded whatever comes in."""

import re

import pytest
from flask import Flask
from prometheus_client import CollectorRegistry
from service_runtime.metrics import HttpMetrics


@pytest.fixture
def metrics_client():
    app = Flask(__name__)
    metrics = HttpMetrics(CollectorRegistry(), multiprocess_dir="")
    metrics.init_app(app)
    app.add_url_rule("/thing", view_func=lambda: "ok", methods=["GET", "POST"])
    app.add_url_rule("/metrics", view_func=metrics.exposition)
    return app.test_client()


def _request_lines(client) -> list[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return [line for line in text.splitlines() if line.startswith("http_requests_total{")]


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("GET", "GET"),
        ("POST", "POST"),
        ("DELETE", "DELETE"),
        ("PROPFIND", "other"),
        ("X-CUSTOM-1", "other"),
    ],
)
def test_method_label_is_the_method_when_standard_and_other_otherwise(
    metrics_client, method, label
):
    metrics_client.open("/thing", method=method)

    # The scrape is counted after it is answered, so the one request is all there is.
    labels = {re.search(r'method="([^"]*)"', line)[1] for line in _request_lines(metrics_client)}
    assert labels == {label}


def test_many_made_up_methods_add_one_series_not_one_each(metrics_client):
    for number in range(50):
        metrics_client.open("/thing", method=f"M{number}")

    lines = _request_lines(metrics_client)

    assert len(lines) == 1
    assert lines[0].endswith(" 50.0")
