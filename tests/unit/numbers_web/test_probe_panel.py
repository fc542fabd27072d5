"""The DNS panel as a whole: probe_view.py reads the sidecar's /status, timeline.py draws
its SVG and app.py serves both with the page; named after the panel because it tests these
three modules together."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from numbers_web.probe_view import Outage, ProbeView, view_from_status
from numbers_web.timeline import render_timeline

from tests.support import scripted_http as api
from tests.support.scripted_http import UNRESOLVABLE_URL

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


def _status(state="failing", addresses=(), outages=(), changes=(), failures=None):
    return {
        "target": "numbers-api",
        "state": state,
        "addresses": list(addresses),
        "checks": 40,
        "failures_by_outcome": failures or {"nxdomain": 0, "timeout": 0},
        "outages": list(outages),
        "address_changes": list(changes),
        "first_check_at": _ago(120),
        "interval_seconds": 1.0,
    }


def _ago(seconds):
    """An RFC 3339 time shortly before now: the page draws the last five minutes."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def nxdomain_then_ok():
    return _status(
        state="ok",
        addresses=["10.96.0.20"],
        outages=[
            {
                "start": _ago(100),
                "end": _ago(69.5),
                "duration_seconds": 30.5,
                "reason": "nxdomain",
                "failed_checks": 30,
            }
        ],
        changes=[{"time": _ago(69.5), "from": [], "to": ["10.96.0.20"]}],
        failures={"nxdomain": 30, "timeout": 0},
    )


@pytest.fixture
def probe_answering(scripted):
    """A stand-in sidecar whose /status answers the given JSON."""

    def start(status):
        server = scripted(api.body(json.dumps(status).encode()))
        return server.url.removesuffix("/rng")

    return start


def test_panel_shows_the_address_the_name_resolves_to(make_web, probe_answering):
    web = make_web(UNRESOLVABLE_URL, probe_url=probe_answering(nxdomain_then_ok()))

    html = web.get("/").get_data(as_text=True)

    assert "Service DNS" in html
    assert '<strong id="probe-addresses">10.96.0.20</strong>' in html
    assert '<span class="badge badge-ok" id="probe-state">ok</span>' in html


def test_panel_shows_the_outage_in_red_with_its_duration_and_counts(make_web, probe_answering):
    web = make_web(UNRESOLVABLE_URL, probe_url=probe_answering(nxdomain_then_ok()))

    html = web.get("/").get_data(as_text=True)

    assert 'data-reason="nxdomain"' in html
    assert "nxdomain 30.5 s" in html
    assert '<th scope="row">' in html and "<td>30</td>" in html
    assert "&rarr; 10.96.0.20" in html


def test_panel_says_when_the_name_does_not_resolve(make_web, probe_answering):
    failing = _status(
        outages=[
            {
                "start": _ago(10),
                "end": None,
                "duration_seconds": 10,
                "reason": "nxdomain",
                "failed_checks": 10,
            }
        ],
        failures={"nxdomain": 10},
    )
    web = make_web(UNRESOLVABLE_URL, probe_url=probe_answering(failing))

    html = web.get("/").get_data(as_text=True)

    assert "does not resolve</strong> (nxdomain)" in html
    assert "(ongoing)" in html


def test_page_works_and_says_so_when_the_sidecar_is_absent(make_web):
    web = make_web(UNRESOLVABLE_URL)

    page = web.get("/")
    go = web.post("/")

    assert page.status_code == 200
    assert 'id="probe-missing"' in page.get_data(as_text=True)
    assert go.status_code == 503
    assert "RNG service unavailable" in go.get_data(as_text=True)


def test_panel_fragment_and_timeline_svg_are_served_for_the_refresh(make_web, probe_answering):
    web = make_web(UNRESOLVABLE_URL, probe_url=probe_answering(nxdomain_then_ok()))

    fragment = web.get("/probe/panel")
    svg = web.get("/probe/timeline.svg")

    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg")


def test_timeline_svg_is_503_without_the_sidecar(make_web):
    response = make_web(UNRESOLVABLE_URL).get("/probe/timeline.svg")

    assert response.status_code == 503
    assert "not reachable" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("window", ["9", "3601", "abc", "", "1e3", "-60", "%D9%A3%D9%A0"])
def test_timeline_rejects_a_window_out_of_range(make_web, window):
    response = make_web(UNRESOLVABLE_URL).get(f"/probe/timeline.svg?window={window}")

    assert response.status_code == 400
    assert "'window'" in response.get_json()["error"]["message"]


def test_timeline_window_can_be_narrowed_for_the_report(make_web, probe_answering):
    web = make_web(UNRESOLVABLE_URL, probe_url=probe_answering(nxdomain_then_ok()))

    svg = web.get("/probe/timeline.svg?window=120").get_data(as_text=True)

    assert "2.0 min" not in svg and "2 min 0 s ago" in svg


def test_page_loads_its_script_from_a_file_never_inline(make_web):
    html = make_web(UNRESOLVABLE_URL).get("/").get_data(as_text=True)

    assert '<script src="/static/panel.js" defer></script>' in html
    assert html.count("<script") == 1
    assert " style=" not in html
    assert make_web(UNRESOLVABLE_URL).get("/static/panel.js").mimetype == "text/javascript"


def _view(**overrides):
    fields = {
        "available": True,
        "url": "http://localhost:9090",
        "target": "numbers-api",
        "first_check_at": NOW - timedelta(minutes=10),
    }
    return ProbeView(**{**fields, **overrides})


def test_timeline_places_an_outage_by_its_time_in_the_window():
    outage = Outage(NOW - timedelta(seconds=150), NOW - timedelta(seconds=75), 75.0, "timeout", 75)

    svg = render_timeline(_view(outages=[outage]), NOW, window_seconds=300)

    # 150 s before the end of a 300 s window is the middle of a 720 px strip.
    assert '<rect x="360.0" y="18" width="180.0"' in svg
    assert 'data-reason="timeout"' in svg
    assert "timeout 1 min 15 s" in svg


def test_timeline_leaves_out_outages_older_than_the_window():
    old = Outage(NOW - timedelta(hours=1), NOW - timedelta(minutes=50), 600.0, "nxdomain", 600)

    assert "data-reason" not in render_timeline(_view(outages=[old]), NOW)


def test_timeline_is_grey_before_the_probes_first_check():
    svg = render_timeline(
        _view(first_check_at=NOW - timedelta(seconds=60)), NOW, window_seconds=300
    )

    assert '<rect x="576.0" y="18" width="144.0" height="30" fill="#2e9e4f"' in svg


def test_timeline_escapes_what_it_is_given():
    svg = render_timeline(_view(target="<script>x</script>"), NOW)

    assert "<script>" not in svg


def test_view_tolerates_a_status_with_missing_or_broken_fields():
    view = view_from_status("u", {"outages": [{"start": "not a time"}], "address_changes": [{}]})

    assert view.available
    assert view.outages == []
    assert view.address_changes == []
    assert view.state == "unknown"


def test_timeline_keeps_the_label_of_a_recent_outage_inside_the_picture():
    recent = Outage(NOW - timedelta(seconds=5), NOW, 5.0, "nxdomain", 5)

    svg = render_timeline(_view(outages=[recent]), NOW, window_seconds=300)

    assert '<text x="720" y="13" font-size="12"' in svg
    assert 'text-anchor="end">nxdomain 5.0 s</text>' in svg
