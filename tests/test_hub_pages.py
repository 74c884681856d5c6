"""The dashboard in a real browser: Debian's chromium (Playwright) against a hub on loopback, with
every request outside loopback refused and listed. Pages must load without console errors, draw
their charts and maps, sign in and out through the forms, and keep members' pages apart.
"""

from __future__ import annotations

import pytest

from test_hub_pages_support import seed
from test_hub_support import running_hub

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REFUSED_PAGE = "Failed to load resource: the server responded with a status of "
EXPECTED = [(401, "Unauthorized")] * 2 + [(403, "Forbidden")] * 2 + [(401, "Unauthorized")]
WIDTHS = ({"width": 1200, "height": 800}, {"width": 1366, "height": 768})


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    for running in running_hub("sqlite", tmp_path_factory.mktemp("pages-browser")):
        seed(running)
        yield running


def sign_in(page, hub, token: str):
    page.goto(hub.url + "/signin")
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("button[type=submit]")


def drawn(page, selector: str, count: int) -> None:
    """`count` SVG figures under `selector`, each with a real size on screen and drawn paths."""
    svgs = page.locator(f"{selector} svg")
    assert svgs.count() == count
    for i in range(count):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, (selector, i, box)
        assert svgs.nth(i).locator("path").count() > 3


def fits(page) -> None:
    """No horizontal scrolling at 1200 px and on a 1366 x 768 laptop screen."""
    for size in WIDTHS:
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (page.url, size, overflow)


def test_member_signs_in_sees_its_pages_and_not_a_foreign_one(hub, offline_page):
    page, errors, refused = offline_page
    assert page.goto(hub.url + "/dashboard/members/KOR").status == 401  # not signed in yet
    page.fill("#token", "ech_not-a-token")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert page.url.endswith("/signin")

    sign_in(page, hub, hub.tokens[("KOR", "reporter")])
    assert page.url.endswith("/dashboard/members/KOR")
    assert "KOR" in page.title() and page.locator("nav a.active").inner_text() == "Our reports"
    drawn(page, "#epicurve", 1)
    assert page.locator("table.data tbody tr").count() > 10
    fits(page)

    assert page.goto(hub.url + "/dashboard/members/KOR/rt").status == 200
    drawn(page, "#rt-chart", 1)
    assert page.locator("#rt-chart svg path").count() > 3  # the band and the line
    fits(page)

    assert page.goto(hub.url + "/dashboard/shared").status == 200
    drawn(page, "#partner-JPN", 1)
    assert page.locator("#partner-CHN").count() == 0

    assert page.goto(hub.url + "/dashboard/members/JPN").status == 200  # granted
    drawn(page, "#epicurve", 1)
    forbidden = page.goto(hub.url + "/dashboard/members/CHN")
    assert forbidden.status == 403
    assert "403" in page.locator("h1").inner_text()
    assert page.goto(hub.url + "/dashboard/coordinator").status == 403

    page.goto(hub.url + "/dashboard/members/KOR")
    with page.expect_navigation():
        page.click("text=Sign out")
    assert page.url.endswith("/signin?signed_out=1")
    assert page.locator("[role=status]").inner_text() == "You have signed out."
    assert page.goto(hub.url + "/dashboard/members/KOR").status == 401
    # Chromium logs each page answered 4xx; there were five on purpose (401, 401, 403, 403, 401).
    refusals = [e for e in errors if e.startswith(REFUSED_PAGE)]
    assert [e[len(REFUSED_PAGE) :] for e in refusals] == [f"{s} ({w})" for s, w in EXPECTED]
    assert [e for e in errors if e not in refusals] == [] and refused == []


def test_coordinator_sees_map_risk_and_ledger(hub, offline_page):
    page, errors, refused = offline_page
    sign_in(page, hub, hub.tokens[("WHO", "coordinator")])
    assert page.url.endswith("/dashboard/coordinator")
    drawn(page, "#incidence-map", 1)
    drawn(page, "#rt-map", 1)
    assert page.locator("#incidence-map svg #countries path").count() > 100
    assert page.locator("#member-table tbody tr").count() == 4  # KOR, JPN, CHN, WHO
    fits(page)

    assert page.goto(hub.url + "/dashboard/coordinator/risk").status == 200
    drawn(page, "#risk-map", 1)
    assert page.locator("#risk-table tbody tr").count() >= 10
    fits(page)

    assert page.goto(hub.url + "/dashboard/ledger").status == 200
    drawn(page, "#ledger-chart", 1)
    assert page.locator("#by-pledge tbody tr").count() == 1
    assert page.locator("#by-donor tbody tr td").nth(2).inner_text() == "1,000"
    fits(page)
    assert errors == [] and refused == []
