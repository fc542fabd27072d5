"""numbers-api's /metrics: the shared request metrics (service_runtime.metrics) as its app
serves them."""

import re


def _sample(text, name, **labels):
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_metrics_count_requests_by_route_template_and_status(client):
    client.get("/rng")
    client.get("/rng")
    client.get("/rng?min=bad")
    client.get("/no/such/page")

    text = client.get("/metrics").get_data(as_text=True)

    assert _sample(text, "http_requests_total", method="GET", route="/rng", status="200") == 2
    assert _sample(text, "http_requests_total", method="GET", route="/rng", status="400") == 1
    assert (
        _sample(text, "http_requests_total", method="GET", route="<unmatched>", status="404")
        == 1
    )
    assert "/no/such/page" not in text


def test_metrics_time_requests_in_a_histogram(client):
    client.get("/rng")

    text = client.get("/metrics").get_data(as_text=True)

    assert (
        _sample(text, "http_request_duration_seconds_count", method="GET", route="/rng") == 1
    )
    assert 'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/rng"}' in text


def test_metrics_use_the_prometheus_text_format(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "# TYPE http_requests_total counter" in response.get_data(as_text=True)
