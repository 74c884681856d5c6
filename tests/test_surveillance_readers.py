"""Readers and the cleaning report, on the real JHU files and on small hand-written files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.errors import InputError, UnknownCountryError
from epicommons.surveillance import CleaningRules, read_cases, read_jhu, read_owid, read_tidy
from epicommons.surveillance.cleaning import daily_from_cumulative, fix_negatives

# Figures published in /work/shared/data/jhu_csse_covid19/PROVENANCE.md (independent of our code).
JHU_NEGATIVE_CASE_DAYS = 171
JHU_FINAL_CONFIRMED = 676_570_149
JHU_FINAL_DEATHS = 6_881_802
NOT_COUNTRIES = {"Diamond Princess", "MS Zaandam", "Summer Olympics 2020", "Winter Olympics 2022"}


@pytest.fixture(scope="module")
def jhu_confirmed(shared_data: Path) -> Path:
    return shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"


def _final_of_skipped(path: Path) -> float:
    with open(path, newline="") as handle:
        return sum(float(row[-1]) for row in csv.reader(handle) if row[1] in NOT_COUNTRIES)


def test_jhu_cleaning_report_counts(jhu_confirmed: Path) -> None:
    data = read_jhu(jhu_confirmed)
    counts = data.report.counts()
    assert counts[("cases", "negative increment")] == JHU_NEGATIVE_CASE_DAYS
    assert {s["name"] for s in data.report.skipped} == NOT_COUNTRIES
    assert len(data.countries()) == 197
    assert (data.table["cases"] >= 0).all() and (data.table["deaths"] >= 0).all()
    report = data.report.to_frame()
    negatives = report[report["issue"] == "negative increment"]
    assert (negatives["rule"] == "zero").all() and (negatives["new"] == 0).all()
    assert (negatives["original"] < 0).all()


def test_jhu_backfill_rule_keeps_every_final_total(jhu_confirmed: Path) -> None:
    data = read_jhu(jhu_confirmed, rules=CleaningRules(negative="backfill"))
    deaths_file = jhu_confirmed.with_name(jhu_confirmed.name.replace("confirmed", "deaths"))
    total_cases = data.table["cases"].sum() + _final_of_skipped(jhu_confirmed)
    total_deaths = data.table["deaths"].sum() + _final_of_skipped(deaths_file)
    assert total_cases == JHU_FINAL_CONFIRMED
    assert total_deaths == JHU_FINAL_DEATHS
    assert (data.table["cases"] >= 0).all()


def test_jhu_provinces_are_summed(jhu_confirmed: Path) -> None:
    data = read_jhu(jhu_confirmed, rules=CleaningRules(negative="backfill"))
    with open(jhu_confirmed, newline="") as handle:
        rows = [r for r in csv.reader(handle) if r[1] == "Australia"]
    assert len(rows) == 8
    final = sum(float(r[-1]) for r in rows)
    assert data.table.loc[data.table["country"] == "AUS", "cases"].sum() == final


def test_jhu_error_rule_names_country_and_date(jhu_confirmed: Path) -> None:
    with pytest.raises(InputError) as err:
        read_jhu(jhu_confirmed, rules=CleaningRules(negative="error"))
    assert err.value.line is not None and err.value.field is not None
    assert "falls by" in str(err.value)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


OWID = """iso_code,continent,location,date,new_cases,new_deaths
OWID_WRL,,World,2020-03-01,100,1
ITA,Europe,Italy,2020-03-01,10,0
ITA,Europe,Italy,2020-03-02,12,1
ITA,Europe,Italy,2020-03-04,,2
ITA,Europe,Italy,2020-03-05,15,1
FRA,Europe,France,2020-03-01,5,0
FRA,Europe,France,2020-03-02,-2,0
FRA,Europe,France,2020-03-03,4,0
"""


def test_owid_gaps_and_aggregates_are_reported(tmp_path: Path) -> None:
    data = read_owid(_write(tmp_path / "owid.csv", OWID), rules=CleaningRules(negative="zero"))
    assert data.countries() == ["FRA", "ITA"]
    ita = data.table[data.table["country"] == "ITA"]
    assert ita["cases"].tolist() == [10, 12, 0, 0, 15]
    assert ita["day"].tolist() == [1, 2, 3, 4, 5]
    counts = data.report.counts()
    assert counts[("new_cases", "missing day")] == 1
    assert counts[("new_cases", "empty value")] == 1
    assert counts[("new_cases", "negative count")] == 1
    assert [s["name"] for s in data.report.skipped] == ["OWID_WRL"]


def test_owid_negative_count_is_an_error_by_default(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_cases(_write(tmp_path / "owid.csv", OWID))
    assert (err.value.line, err.value.field) == (8, "new_cases")


def test_backfill_rule_on_reported_counts(tmp_path: Path) -> None:
    text = "day,cases\n1,5\n2,10\n3,-4\n4,3\n5,6\n"
    data = read_tidy(_write(tmp_path / "t.csv", text), rules=CleaningRules(negative="backfill"))
    assert data.table["cases"].tolist() == [5, 6, 0, 3, 6]
    assert data.table["cases"].sum() == 5 + 10 - 4 + 3 + 6


def test_tidy_with_names_local_imported_and_extra_columns(tmp_path: Path) -> None:
    text = (
        "country,date,local,imported,note\n"
        "Italy,2020-03-01,2,1,x\nItaly,2020-03-02,3,0,y\n"
        "South Korea,2020-03-01,0,4,z\n"
    )
    data = read_tidy(_write(tmp_path / "t.csv", text))
    assert data.has_local and data.has_country and data.has_dates
    assert data.countries() == ["ITA", "KOR"]
    assert data.table["cases"].tolist() == [3, 3, 4]


@pytest.mark.parametrize(("rule", "expected"), [("sum", [3.0, 7.0]), ("last", [3.0, 4.0])])
def test_duplicated_dates_rules(tmp_path: Path, rule: str, expected: list[float]) -> None:
    text = "date,cases\n2020-01-01,3\n2020-01-02,3\n2020-01-02,4\n"
    path = _write(tmp_path / "t.csv", text)
    data = read_tidy(path, rules=CleaningRules(duplicates=rule))  # type: ignore[arg-type]
    assert data.table["cases"].tolist() == expected
    assert data.report.counts()[("cases", "duplicated date")] == 2
    with pytest.raises(InputError) as err:
        read_tidy(path)
    assert (err.value.line, err.value.field) == (4, "date")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("date,cases\n2020-01-01,3\n2020-13-02,3\n", 3, "date"),
        ("date,cases\n2020-01-01,3\n2020-01-02,three\n", 3, "cases"),
        ("day,cases\n1,3\n2.5,3\n", 3, "day"),
        ("date,day,cases\n2020-01-01,1,3\n2020-01-02,3,3\n", 3, "day"),
        ("day,cases\n1,3\n2,\n", 3, "cases"),
    ],
)
def test_bad_tidy_rows_are_named(tmp_path: Path, text: str, line: int, field: str) -> None:
    rules = CleaningRules(gaps="error")
    with pytest.raises(InputError) as err:
        read_tidy(_write(tmp_path / "t.csv", text), rules=rules)
    assert (err.value.line, err.value.field) == (line, field)


def test_unknown_country_names_row(tmp_path: Path) -> None:
    text = "country,day,cases\nItaly,1,3\nAtlantis,1,3\n"
    with pytest.raises(UnknownCountryError) as err:
        read_tidy(_write(tmp_path / "t.csv", text))
    assert (err.value.line, err.value.field) == (3, "country")


def test_gap_rule_error_and_zero(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "day,cases\n1,3\n3,4\n")
    with pytest.raises(InputError):
        read_tidy(path, rules=CleaningRules(gaps="error"))
    data = read_tidy(path)
    assert data.table["cases"].tolist() == [3, 0, 4]
    assert np.array_equal(data.table["day"], [1, 2, 3])


JHU_HEADER = "Province/State,Country/Region,Lat,Long,1/22/20,1/23/20,1/24/20\n"


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        (",Italy,41.9,12.6,1,2,x\n", 2, "1/24/20"),
        (",Italy,41.9,12.6,1,2,3\n,Atlantis,0,0,1,1,1\n", 3, "Country/Region"),
        (",Italy,41.9,12.6,1,-2,3\n", 2, "1/23/20"),
    ],
)
def test_bad_jhu_cells_are_named(tmp_path: Path, body: str, line: int, field: str) -> None:
    path = _write(tmp_path / "time_series_covid19_confirmed_global.csv", JHU_HEADER + body)
    with pytest.raises(InputError) as err:
        read_cases(path)
    assert (err.value.line, err.value.field) == (line, field)


def test_jhu_small_file_sums_provinces_and_skips_ships(tmp_path: Path) -> None:
    body = (
        "Ontario,Canada,0,0,1,3,6\nQuebec,Canada,0,0,0,2,2\n"
        ',Diamond Princess,0,0,5,5,5\n"Bonaire, Sint Eustatius and Saba",Netherlands,0,0,0,0,1\n'
    )
    path = _write(tmp_path / "time_series_covid19_confirmed_global.csv", JHU_HEADER + body)
    data = read_cases(path)
    assert data.countries() == ["CAN", "NLD"]
    assert data.table["cases"].tolist() == [1, 4, 3, 0, 0, 1]
    assert data.table["deaths"].isna().all()  # no deaths file beside this one


@settings(max_examples=100, deadline=None)
@given(arrays(np.int64, (2, 40), elements=st.integers(0, 100)))
def test_backfill_keeps_totals_when_the_cumulative_never_falls_below_zero(
    cumulative: np.ndarray,
) -> None:
    """Any non-negative cumulative series, even one that falls (revisions), keeps its total."""
    increments = daily_from_cumulative(cumulative)
    fixed = fix_negatives(increments, "backfill")
    assert np.all(fixed >= 0)
    np.testing.assert_array_equal(fixed.sum(axis=1), cumulative[:, -1])
    zeroed = fix_negatives(increments, "zero")
    assert np.all(zeroed >= np.maximum(increments, 0)) and np.all(zeroed >= 0)
