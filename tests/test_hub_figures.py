"""The stored maps' two rules: a blanked member's colour is gone from the SVG (read as XML),
the others' kept; the importation scale's top is the next 1, 2 or 5 × 10^k."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from epicommons.hub.figures import nice_top
from epicommons.report.maps import NO_DATA, TAG, choropleth, without

SVG = "{http://www.w3.org/2000/svg}"


def fills(svg: str) -> dict[str, set[str]]:
    """Each tagged country's fill colours."""
    out: dict[str, set[str]] = {}
    for group in ElementTree.fromstring(svg).iter(f"{SVG}g"):
        gid = group.get("id") or ""
        if gid.startswith(TAG):
            found = out.setdefault(gid.removeprefix(TAG), set())
            for shape in group.iter():
                found |= set(re.findall(r"fill: *(#[0-9a-f]{6})", shape.get("style", "")))
    return out


def test_without_blanks_exactly_the_members_named():
    # France and Germany have outlines; Malta and Singapore are dots on a world map
    values = {"FRA": 1.8, "DEU": 0.4, "MLT": 1.2, "SGP": 0.9}
    svg = choropleth(values, label="Rt", cmap="RdYlGn_r", vmin=0.0, vmax=2.0, tagged=True)
    before = fills(svg)
    assert set(before) == set(values) and all(c - {NO_DATA} for c in before.values())
    after = fills(without(svg, ["FRA", "SGP"]))
    assert after["FRA"] == {NO_DATA} and after["SGP"] == {NO_DATA}
    assert after["DEU"] == before["DEU"] and after["MLT"] == before["MLT"]


@pytest.mark.parametrize(
    "value, top",
    [(0.0, 1.0), (-3.0, 1.0), (0.03, 0.05), (1.0, 1.0), (1.01, 2.0), (2.0, 2.0), (3.7, 5.0),
     (5.2, 10.0), (48.0, 50.0), (120.0, 200.0)],
)  # fmt: skip
def test_the_scale_tops_at_the_next_1_2_5(value, top):
    assert nice_top(value) == pytest.approx(top)
