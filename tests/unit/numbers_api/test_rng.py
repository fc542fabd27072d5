import pytest


def test_rng_returns_bare_json_integer_from_0_to_99(client):
    response = client.get("/rng")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert isinstance(response.get_json(), int)
    assert response.get_data(as_text=True) == f"{response.get_json()}\n"  # as jsonify wrote it
    assert 0 <= response.get_json() <= 99


def test_rng_default_range_covers_every_value_and_no_other(client):
    seen = {client.get("/rng").get_json() for _ in range(2000)}

    assert seen == set(range(100))


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("min=5&max=5", 5, 5),
        ("min=-5&max=5", -5, 5),
        ("min=-1000000000&max=-1000000000", -1_000_000_000, -1_000_000_000),
        ("min=1000000000&max=1000000000", 1_000_000_000, 1_000_000_000),
        ("min=-1000000000&max=1000000000", -1_000_000_000, 1_000_000_000),
        ("min=50", 50, 99),
        ("max=0", 0, 0),
        ("min=-0&max=0", 0, 0),
        ("min=007&max=7", 7, 7),
    ],
)
def test_rng_honours_valid_bounds(client, query, low, high):
    for _ in range(20):
        response = client.get(f"/rng?{query}")
        assert response.status_code == 200
        assert low <= response.get_json() <= high


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("min=abc", "min"),
        ("max=1.5", "max"),
        ("min=1e3", "min"),
        ("min=", "min"),
        ("max=+5", "max"),
        ("min=%205", "min"),
        ("min=5_0", "min"),
        ("min=%D9%A3", "min"),  # Arabic-Indic digit three, which int() would accept
        ("max=0x10", "max"),
        ("min=" + "9" * 50, "min"),
        ("min=-1000000001", "min"),
        ("max=1000000001", "max"),
        ("min=10&max=5", "min"),
        ("min=100", "min"),  # above the default max of 99
        ("min=1&min=2", "min"),
        ("max=1&max=1", "max"),
        ("min=%ff", "min"),  # invalid UTF-8 in the query
    ],
)
def test_rng_rejects_bad_bounds_with_json_400(client, query, named):
    response = client.get(f"/rng?{query}")

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert f"'{named}'" in error["message"]


def test_rng_rejects_min_above_max(client):
    response = client.get("/rng?min=10&max=5")

    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"status": 400, "message": "'min' (10) must not be greater than 'max' (5)"}
    }


def test_rng_ignores_unknown_query_parameters(client):
    assert client.get("/rng?colour=blue").status_code == 200


@pytest.mark.parametrize("path", ["/rng", "/rng?min=x", "/healthz", "/nowhere"])
def test_every_response_says_which_pod_served_it(client, path):
    assert client.get(path).headers["X-Served-By"] == "api-test-pod"
