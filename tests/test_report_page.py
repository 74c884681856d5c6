"""Report pages: self-contained HTML that renders its charts and map in a real browser, offline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from epicommons.report import Page, band_chart, bar_chart, choropleth
from epicommons.report._svg import _compact_path
from epicommons.report.maps import WORLD, extent
from epicommons.report.tables import COUNT, PERCENT, Column
from epicommons.world.outlines import outlines


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


def test_map_marks_countries_without_outline_as_dots():
    # the Maldives have no outline in countryinfo: it must still appear (as a dot) when it has a value.
    assert not outlines()["MDV"].rings
    with_maldives = choropleth({"MDV": 1.0, "FRA": 2.0})
    without = choropleth({"FRA": 2.0})
    assert 'id="countries"' in with_maldives and 'id="countries"' in without
    assert 'id="dots"' in with_maldives and 'id="dots"' not in without


def _drawn_countries(svg: str) -> int:
    group = svg[svg.index('<g id="countries">') :]
    return group[: group.index("</g>")].count("<path")


def test_map_of_a_few_countries_zooms_to_them():
    # four western European countries: the frame holds them all and stays within Europe
    # (30°W-50°E, 25°N-75°N), and far countries (Australia, Brazil...) are not drawn
    europe = ["FRA", "DEU", "ITA", "ESP"]
    x0, y0, x1, y1 = extent([outlines()[c] for c in europe])
    for c in europe:
        lon0, lat0, lon1, lat1 = outlines()[c].bounds()
        assert x0 <= lon0 and lon1 <= x1 and y0 <= lat0 and lat1 <= y1
    assert x0 >= -30 and x1 <= 50 and y0 >= 25 and y1 <= 75
    zoomed = choropleth(dict.fromkeys(europe, 1.0), zoom=True)
    assert _drawn_countries(choropleth(dict.fromkeys(europe, 1.0))) > 150  # not asked: the world
    world = choropleth({c: 1.0 for c in list(outlines())[:40]}, zoom=True)  # many: the world
    assert extent([outlines()[c] for c in list(outlines())[:40]]) == WORLD
    assert _drawn_countries(zoomed) < _drawn_countries(world) / 2


def _absolute(d: str) -> list[list[tuple[float, float]]]:
    """Subpaths of an M/l/z path as absolute points (an SVG reader's arithmetic)."""
    tokens = re.findall(r"[MLlmz]|-?(?:\d+\.?\d*|\.\d+)", d)
    out, cmd, nums = [], "", []
    for t in tokens + ["z"]:
        if t.isalpha():
            for i in range(0, len(nums), 2):
                if cmd == "M" and i == 0:
                    out.append([(nums[0], nums[1])])
                else:
                    x, y = out[-1][-1]
                    out[-1].append((round(x + nums[i], 1), round(y + nums[i + 1], 1)))
            cmd, nums = t, []
        else:
            nums.append(float(t))
    return out


def test_compact_paths_draw_the_same_points():
    # relative moves in tenths of a point, read back, land on the absolute points given
    d = "M 390.4 99.3 \nL 389.9 100.0 \nL 389.9 100.0 \nL 391.55 100.24 \nz\nM 10 20 \nL 8.5 20 \nz\n"
    compact = _compact_path(d)
    assert _absolute(compact) == [
        [(390.4, 99.3), (389.9, 100.0), (391.6, 100.2)],
        [(10, 20), (8.5, 20)],
    ]
    assert len(compact) < len(d) / 2
    assert (
        _compact_path("M 0 0 C 1.234 2 3 4 5 6") == "M 0 0 C 1.2 2 3 4 5 6"
    )  # curves: as they were


def test_table_cells_are_for_people(tmp_path):
    frame = pd.DataFrame(
        {
            "country": ["FRA", "BRA"],
            "share_met": [0.323, 0.9996],
            "doses": [3.82e6, 1234.4],
            "rt": [1.0543, 0.000209],
            "ok": [True, False],
        }
    )
    page = Page("t")
    page.section("s").table(
        frame, "", {"country": "code", "share_met": Column("share of need met", PERCENT),
                    "doses": Column("doses", COUNT), "rt": "Rt", "ok": "operated"},
    )  # fmt: skip
    html = page.render()
    for text in ["share of need met", "32%", "&gt;99%", "3,820,000", "1,234", "1.05", "yes", "no"]:
        assert f">{text}<" in html
    assert "share_met" not in html and "e+0" not in html and "e-0" not in html
    assert ">0.0002<" in html  # a small value keeps a digit rather than showing 0.00


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


def _texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t.strip()]


def test_axes_are_labelled_as_people_write_numbers():
    # a log axis up to 10^8 and a linear axis up to 10^8: ticks read "1,000", "100 million",
    # never 10^3 (mathtext) or an offset "1e8"
    x = np.arange(40)
    svg = band_chart(x, {"cases": (np.logspace(0, 8, 40), None, None)}, log=True)
    texts = _texts(svg)
    assert "1,000" in texts and "100 million" in texts
    assert not any(re.search(r"\de\d|\^", t) for t in texts)
    bars = bar_chart(["A", "B"], {"doses": [1.2e8, 3e7]}, ylabel="doses")
    assert "doses (millions)" in _texts(bars)  # a linear axis counts in millions: 0, 20, 40
    assert not any(re.search(r"\de\d", t) for t in _texts(bars))
    # whole-number x (days): no "2.5" tick
    days = band_chart(np.arange(1, 22), {"occupied": (25 * np.arange(21.0), None, None)})
    assert not any(re.fullmatch(r"\d+\.\d", t) for t in _texts(days))


@pytest.mark.browser
def test_legend_does_not_cover_the_plot(tmp_path, offline_page):
    page, _, _ = offline_page
    x = np.arange(30)
    chart = band_chart(x, {"a": (x * 1.0, None, None), "b": (30.0 - x, None, None)})
    report = Page("legend")
    report.section("s").figure(chart)
    page.goto(report.write(tmp_path / "legend.html").as_uri())
    plot = page.locator("#axes_1 > g[id^=patch]").first.bounding_box()
    legend = page.locator("#legend_1").bounding_box()
    overlap_x = min(plot["x"] + plot["width"], legend["x"] + legend["width"]) - max(
        plot["x"], legend["x"]
    )
    overlap_y = min(plot["y"] + plot["height"], legend["y"] + legend["height"]) - max(
        plot["y"], legend["y"]
    )
    assert overlap_x <= 0 or overlap_y <= 0, (plot, legend)
