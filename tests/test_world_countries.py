"""The country registry against the names and facts of independent real data sets.

Evidence: JHU CSSE's and OpenFlights' country names (every one must resolve or be a known
non-country), OpenFlights' ISO codes, JHU's coordinates, airportsdata's ISO country per airport,
GeoDataSource's land borders, WHO's published Member State counts per region.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

import airportsdata
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.errors import InputError, NotACountryError, UnknownCountryError
from epicommons.world.countries import CONTINENTS, WHO_REGIONS, Country, normalize, registry

JHU_NON_COUNTRIES = {
    "Diamond Princess",
    "MS Zaandam",
    "Summer Olympics 2020",
    "Winter Olympics 2022",
}
OPENFLIGHTS_NON_COUNTRIES = {"Netherlands Antilles", "Paracel Islands", "Spratly Islands"}


def _resolve_all(names: set[str]) -> tuple[dict[str, str], set[str]]:
    """name -> ISO3 for names that resolve; the names reported as non-countries."""
    reg = registry()
    resolved, non = {}, set()
    for name in sorted(names):
        try:
            resolved[name] = reg.resolve(name)
        except NotACountryError:
            non.add(name)
    return resolved, non


def _jhu(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    return pd.read_csv(path, usecols=["Province/State", "Country/Region", "Lat", "Long"])


def _openflights(shared_data: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(
        shared_data / "openflights" / name, header=None, na_values=[r"\N"], keep_default_na=False
    )


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_every_jhu_name_resolves_or_is_a_known_non_country(shared_data):
    names = set(_jhu(shared_data)["Country/Region"])
    resolved, non = _resolve_all(names)
    print(f"JHU CSSE: {len(names)} names, {len(resolved)} resolved, {len(non)} non-countries")
    assert non == JHU_NON_COUNTRIES
    assert len(resolved) + len(non) == len(names) == 201
    # distinct names are distinct countries (no two JHU rows collapse onto one code)
    assert len(set(resolved.values())) == len(resolved)
    assert resolved["Korea, South"] == "KOR" and resolved["Korea, North"] == "PRK"
    assert resolved["Congo (Kinshasa)"] == "COD" and resolved["Congo (Brazzaville)"] == "COG"
    assert resolved["Taiwan*"] == "TWN" and resolved["Burma"] == "MMR"
    assert resolved["West Bank and Gaza"] == "PSE" and resolved["Holy See"] == "VAT"
    assert resolved["US"] == "USA" and resolved["Kosovo"] == "XKX"
    assert resolved["Antarctica"] == "ATA"


def test_jhu_national_coordinates_lie_near_the_registry_coordinate(shared_data):
    """JHU's own lat/long of each national row is within 1,500 km of the country's point,
    except where the country spans an ocean or a continent (documented below)."""
    jhu = _jhu(shared_data)
    national = jhu[jhu["Province/State"].isna() & jhu["Lat"].notna()]
    reg = registry()
    far = {}
    for row in national.itertuples(index=False):
        iso3 = reg.try_resolve(row[1])
        if iso3 is None:
            continue
        c = reg[iso3]
        distance = _km(row.Lat, row.Long, c.lat, c.lon)
        if distance > 1500:
            far[iso3] = round(distance)
    # Antarctica: JHU uses a research station, we the pole; Kiribati spans 4,000 km of ocean.
    assert set(far) <= {"ATA", "KIR"}, far
    assert len(national) > 180


def test_every_openflights_country_name_resolves(shared_data):
    countries = _openflights(shared_data, "countries.dat")
    airports = _openflights(shared_data, "airports.dat")
    names_c, names_a = set(countries[0]), set(airports[3])
    resolved_c, non_c = _resolve_all(names_c)
    resolved_a, non_a = _resolve_all(names_a)
    print(
        f"OpenFlights countries.dat: {len(names_c)} names, {len(resolved_c)} resolved, "
        f"{len(non_c)} non-countries; airports.dat: {len(names_a)} names, "
        f"{len(resolved_a)} resolved, {len(non_a)} non-countries"
    )
    assert non_c == OPENFLIGHTS_NON_COUNTRIES
    assert non_a == {"Netherlands Antilles"}
    assert len(names_a) == 237 and len(resolved_a) == 236
    assert resolved_a["Macau"] == "MAC" and resolved_a["West Bank"] == "PSE"
    assert resolved_a["Virgin Islands"] == "VIR" and resolved_a["Congo (Kinshasa)"] == "COD"
    # the dissolved Netherlands Antilles names its successors instead of guessing one
    with pytest.raises(NotACountryError) as info:
        registry().resolve("Netherlands Antilles")
    assert set(info.value.successors) == {"CUW", "SXM", "BES"}


def test_openflights_iso_codes_agree_with_resolution(shared_data):
    countries = _openflights(shared_data, "countries.dat")
    with_code = countries[countries[1].notna() & (countries[1] != "")]
    reg = registry()
    checked = 0
    for name, iso2 in zip(with_code[0], with_code[1], strict=True):
        if name in OPENFLIGHTS_NON_COUNTRIES:
            assert iso2 == "AN"  # the dissolved Netherlands Antilles
            continue
        assert reg[reg.resolve(name)].iso2 == iso2, name
        checked += 1
    assert checked == 241


def test_airport_countries_agree_with_airportsdata(shared_data):
    """OpenFlights names an airport's country in words, airportsdata by ISO2 code, per ICAO."""
    airports = _openflights(shared_data, "airports.dat")
    by_icao = airportsdata.load("ICAO")
    reg = registry()
    agree = total = 0
    for name, icao in zip(airports[3], airports[5], strict=True):
        entry = by_icao.get(icao)
        if entry is None or name == "Netherlands Antilles":
            continue
        total += 1
        agree += reg[reg.resolve(name)].iso2 == entry["country"]
    print(f"airport countries: {agree}/{total} agree with airportsdata")
    # differences: South Sudan's airports under "Sudan" (OpenFlights predates 2011), Puerto
    # Rico filed as US by airportsdata, and a few reused ICAO codes.
    assert total > 7000 and agree / total > 0.99


def test_borders_agree_with_geodatasource(shared_data):
    path = shared_data / "country_borders" / "GEODATASOURCE-COUNTRY-BORDERS.CSV"
    frame = pd.read_csv(path, keep_default_na=False)
    reg = registry()
    by_iso2 = {c.iso2: c.iso3 for c in reg}
    theirs = {
        frozenset((by_iso2[a], by_iso2[b]))
        for a, b in zip(frame["country_code"], frame["country_border_code"], strict=True)
        if b
    }
    ours = {frozenset((c.iso3, b)) for c in reg for b in c.borders}
    print(f"borders: {len(theirs & ours)} of GeoDataSource's {len(theirs)} pairs agree")
    assert len(theirs) == 321
    # GeoDataSource has no Kosovo, so it lets Albania touch Serbia; we have Kosovo between them.
    assert theirs - ours == {frozenset(("ALB", "SRB"))}
    assert {p for p in ours - theirs if "XKX" not in p} == set()


def test_registry_shape_and_invariants():
    reg = registry()
    assert list(reg.codes) == sorted(reg.codes) and len(reg) == len(reg.codes) >= 249
    assert [c.iso3 for c in reg] == list(reg.codes)
    assert len({c.iso2 for c in reg}) == len(reg)
    for c in reg:
        assert isinstance(c, Country) and c.iso3 in reg and reg[c.iso3] is c
        assert len(c.iso3) == 3 and len(c.iso2) == 2
        assert -90 <= c.lat <= 90 and -180 <= c.lon <= 180
        assert c.continent in CONTINENTS
        assert c.who_region is None or c.who_region in WHO_REGIONS
        for b in c.borders:
            assert b in reg and c.iso3 in reg[b].borders  # symmetric, known codes
        for spelling in (c.iso3, c.iso2, c.name):
            assert reg.resolve(spelling) == c.iso3


def test_who_member_counts_match_who_published_figures():
    """WHO: 194 Member States; AFR 47, AMR 35, SEAR 10, EUR 53, EMR 21, WPR 28 (since 2025)."""
    from epicommons.world.countries import _data

    members = _data("who_regions.json")["members"]
    counts = {region: len(codes) for region, codes in members.items()}
    assert counts == {"AFR": 47, "AMR": 35, "SEAR": 10, "EUR": 53, "EMR": 21, "WPR": 28}
    everyone = [code for codes in members.values() for code in codes]
    assert len(set(everyone)) == 194 and set(everyone) <= set(registry().codes)


def test_unknown_names_list_close_matches():
    reg = registry()
    with pytest.raises(UnknownCountryError) as info:
        reg.resolve("Frence", source="cases.csv", line=7, field="country")
    assert "France (FRA)" in info.value.suggestions
    assert str(info.value).startswith("cases.csv, line 7, field 'country': unknown country")
    assert isinstance(info.value, InputError)
    with pytest.raises(UnknownCountryError):
        reg["ZZZ"]
    assert reg.try_resolve("Narnia") is None
    assert reg.try_resolve("Diamond Princess") is None


def test_search_finds_partial_names_and_codes():
    reg = registry()
    assert {c.iso3 for c in reg.search("korea")} == {"KOR", "PRK"}
    assert reg.search("DEU")[0].iso3 == "DEU"
    assert reg.search("germ")[0].iso3 == "DEU"
    assert reg.search("") == [] and reg.search("qqqqq") == []
    assert len(reg.search("a", limit=3)) == 3


def _scramble(text: str, flips: list[bool]) -> str:
    """Same name with other letter case and accents stripped."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    flips = (flips + [False] * len(plain))[: len(plain)]
    return "".join(ch.upper() if f else ch.lower() for ch, f in zip(plain, flips, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_resolution_ignores_case_accents_and_spacing(data):
    reg = registry()
    country = data.draw(st.sampled_from(list(reg)))
    flips = data.draw(st.lists(st.booleans(), max_size=60))
    pad = data.draw(st.sampled_from(["", " ", "  "]))
    assert reg.resolve(pad + _scramble(country.name, flips) + pad) == country.iso3


def test_normalize_examples():
    assert normalize("São Tomé and Príncipe") == "sao tome and principe"
    assert normalize("St. Lucia") == normalize("Saint Lucia")
    assert normalize("The Gambia") == normalize("Gambia")
