"""Report pages: self-contained HTML that renders its charts and map in a real browser, offline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from epicommons.report import Page, band_chart, bar_chart, choropleth
from epicommons.report.maps import outlines


def _page(tmp_path):
    x = np.arange(60)
    mid = np.exp(x / 15)
    page = Page("Test report", "subtitle")
    page.section("Curve").figure(band_chart(x, {"cases": (mid, 0.8 * mid, 1.2 * mid)}), "a curve")
    page.section("Map").figure(choropleth({"FRA": 1.0, "BRA": 2.0, "MDV": 3.0}, label="v"))
    page.section("Bars").figure(bar_chart(["A", "B"], {"x": [1, 2], "y": [2, 1]}))
    page.section("Table").table(pd.DataFrame({"country": ["FRA", "BRA"], "value": [1.5, 2.5]}))
    return page.write(tmp_path / "report.html")


def test_page_is_self_contained(tmp_path):
    html = _page(tmp_path).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html), "page links outside"
    assert "<script" not in html
    assert html.count("<svg") == 3


def test_outlines_cover_most_countries():
    # countryinfo ships outlines for about 170 countries; each ring is a closed lon/lat polygon.
    shapes = outlines()
    with_rings = [k for k, (rings, _) in shapes.items() if rings]
    assert len(with_rings) >= 160
    ring = shapes["FRA"][0][0]
    assert ring.shape[1] == 2 and ring[:, 0].min() >= -180 and ring[:, 1].max() <= 90


def test_map_marks_countries_without_outline_as_dots():
    # the Maldives have no outline in countryinfo: it must still appear (as a dot) when it has a value.
    assert not outlines()["MDV"][0]
    with_maldives = choropleth({"MDV": 1.0, "FRA": 2.0})
    without = choropleth({"FRA": 2.0})
    assert 'id="countries"' in with_maldives and 'id="countries"' in without
    assert 'id="dots"' in with_maldives and 'id="dots"' not in without


@pytest.mark.browser
def test_page_renders_offline_in_chromium(tmp_path, offline_page):
    page, errors, refused = offline_page
    page.goto(_page(tmp_path).as_uri())
    assert page.locator("section").count() == 4
    for i in range(3):
        box = page.locator("figure svg").nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    assert page.locator("table.data tr").count() == 3
    assert errors == [] and refused == []
