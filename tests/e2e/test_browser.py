"""A real browser on the running web container: click Go!, read the answer and the DNS panel."""

import subprocess

import pytest

from tests.support.processes import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(900)]

ARTIFACTS = ROOT / "test-artifacts"
# As root in a container-less sandbox: no sandbox, no GPU, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium_path():
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-chromium.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode == 3:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def page(chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        page = context.new_page()
        page.console_problems = []
        page.on(
            "console",
            lambda message: (
                message.type in ("error", "warning") and page.console_problems.append(message.text)
            ),
        )
        page.on("pageerror", lambda error: page.console_problems.append(str(error)))
        yield page
        browser.close()


def test_browser_clicks_go_and_sees_number_pod_and_dns_panel(chapter, page):
    web_url = chapter.backend.web_url()
    panel_refreshes = []
    page.on("response", lambda r: "/probe/panel" in r.url and panel_refreshes.append(r.status))

    page.goto(web_url)
    page.click("#go")
    page.wait_for_selector("#number")

    number = int(page.inner_text("#number"))
    served_by = page.inner_text("#served-by")
    assert 0 <= number <= 99
    assert served_by in chapter.backend.api_pods() or served_by.startswith(
        tuple(container.short_id for container in chapter.backend.api)
    )
    assert page.inner_text("#probe-state") == "ok"
    addresses = page.inner_text("#probe-addresses")
    assert addresses.count(".") == 6  # two IPv4 addresses behind the name
    assert page.locator('svg.timeline rect[data-reason="nxdomain"]').count() >= 1

    # The refresh script (a file, allowed by the CSP) keeps the panel current.
    page.wait_for_function("document.getElementById('probe-panel') !== null")
    page.wait_for_timeout(3500)
    assert 200 in panel_refreshes

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-web-page.png"), full_page=True)
    assert page.console_problems == []
