"""Country outlines for maps: one per registry country, merged from countryinfo's records."""

from __future__ import annotations

import json
from pathlib import Path

import countryinfo

from epicommons.world.countries import registry
from epicommons.world.outlines import outlines


def _polygons_in_countryinfo(iso3: str) -> tuple[int, int]:
    """(records, polygons) countryinfo's files hold for a code, counted from the JSON itself."""
    records = polygons = 0
    for path in (Path(countryinfo.__file__).parent / "data").glob("*.json"):
        info = json.loads(path.read_text(encoding="utf-8"))
        if (info.get("ISO") or {}).get("alpha3") != iso3 or not info.get("name"):
            continue
        records += 1
        for feature in (info.get("geoJSON") or {}).get("features", []):
            geom = feature["geometry"]
            polygons += 1 if geom["type"] == "Polygon" else len(geom["coordinates"])
    return records, polygons


def test_outlines_cover_most_countries():
    # countryinfo ships outlines for about 170 countries; each ring is a closed lon/lat polygon.
    shapes = outlines()
    assert len([c for c, s in shapes.items() if s.rings]) >= 160
    ring = shapes["FRA"].rings[0]
    assert ring.shape[1] == 2 and ring[:, 0].min() >= -180 and ring[:, 1].max() <= 90


def test_every_registry_country_has_an_outline_at_its_coordinate():
    # the same countries as the registry (excluded codes left out, authored extras added),
    # each with the registry's coordinate; Kosovo is not in countryinfo: no rings, a point
    reg = registry()
    assert set(outlines()) == set(reg.codes)
    assert "ANT" not in outlines()
    for code in ("FRA", "XKX", "MDV"):
        assert (outlines()[code].lat, outlines()[code].lon) == (reg[code].lat, reg[code].lon)
    assert outlines()["XKX"].rings == ()


def test_a_code_with_two_records_gets_the_rings_of_both():
    # countryinfo has two records for some codes (PSE: Gaza and the West Bank files); the
    # registry merges them into one country, and the outline joins their polygons
    merged = [c for c in ("PSE", "VAT", "CUW") if _polygons_in_countryinfo(c)[0] == 2]
    assert merged, "countryinfo no longer has a code with two records"
    for code in merged:
        assert len(outlines()[code].rings) == _polygons_in_countryinfo(code)[1]
