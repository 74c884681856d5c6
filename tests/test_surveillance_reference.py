"""Rt against EpiEstim 2.2.4's own outputs (tests/fixtures/epiestim, made by make_fixtures.R).

Cori: mean, sd and every quantile within 1e-6 relative, the same windows, the same empty windows.
Wallinga–Teunis: exact means; sd and the 95% interval agree up to Monte Carlo error.
JHU cases: only EpiEstim's outputs are saved; the inputs are rebuilt here from the shared data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.surveillance import (
    CleaningRules,
    estimate_rt,
    read_jhu,
    read_si_distr,
    read_tidy,
)

FIXTURES = Path(__file__).parent / "fixtures" / "epiestim"
CASES = pd.read_csv(FIXTURES / "cases.csv", keep_default_na=False, dtype=str)
NUMBERS = ["mean", "std", "q0.025", "q0.05", "q0.25", "q0.5", "q0.75", "q0.95", "q0.975"]
RELATIVE = 1e-6

pytestmark = pytest.mark.reference


def _settings(case: pd.Series) -> dict[str, object]:
    kw: dict[str, object] = {
        "prior_mean": float(case["prior_mean"]),
        "prior_sd": float(case["prior_sd"]),
    }
    if case["si_file"]:
        kw["si_distr"] = read_si_distr(FIXTURES / case["si_file"])
    else:
        kw["si_mean"] = float(case["si_mean"])
        kw["si_sd"] = float(case["si_sd"])
    if case["t_start"]:
        kw["t_start"] = [int(v) for v in case["t_start"].split(";")]
        kw["t_end"] = [int(v) for v in case["t_end"].split(";")]
    return kw


def _reference(case: pd.Series) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{case['case']}.R.csv")


def max_relative_error(ours: pd.DataFrame, ref: pd.DataFrame, columns: list[str]) -> float:
    """Largest |ours/ref - 1| over the non-empty cells; asserts identical windows and blanks."""
    np.testing.assert_array_equal(ours["t_start"].to_numpy(), ref["t_start"].to_numpy())
    np.testing.assert_array_equal(ours["t_end"].to_numpy(), ref["t_end"].to_numpy())
    a = ours[columns].to_numpy(float)
    b = ref[columns].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg="empty windows differ")
    filled = ~np.isnan(b)
    return float(np.max(np.abs(a[filled] - b[filled]) / np.abs(b[filled]), initial=0.0))


def _cases(estimator: str, jhu: bool) -> list[pd.Series]:
    rows = CASES[(CASES["estimator"] == estimator) & ((CASES["input"] == "") == jhu)]
    return [row for _, row in rows.iterrows()]


@pytest.mark.parametrize("case", _cases("cori", jhu=False), ids=lambda c: c["case"])
def test_cori_matches_epiestim(case: pd.Series) -> None:
    ours = estimate_rt(read_tidy(FIXTURES / case["input"]), **_settings(case))
    assert max_relative_error(ours, _reference(case), NUMBERS) < RELATIVE


@pytest.mark.parametrize("case", _cases("cori", jhu=True), ids=lambda c: c["case"])
def test_cori_matches_epiestim_on_jhu(case: pd.Series, shared_data: Path) -> None:
    _, iso3, rule = case["input_rule"].split(":")
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    cases = read_jhu(confirmed, rules=CleaningRules(negative=rule))
    ours = estimate_rt(cases, countries=[iso3], **_settings(case))
    assert max_relative_error(ours, _reference(case), NUMBERS) < RELATIVE


def test_all_jhu_countries_in_one_call_equal_one_at_a_time(shared_data: Path) -> None:
    """Vectorising over countries changes nothing: the saved EpiEstim run for NZL still holds."""
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    everyone = estimate_rt(read_jhu(confirmed), si_mean=4.7, si_sd=2.9)
    assert everyone["country"].nunique() == 197
    ref = _reference(CASES[CASES["case"] == "jhu_nzl_parametric"].iloc[0])
    nzl = everyone[everyone["country"] == "NZL"].reset_index(drop=True)
    assert max_relative_error(nzl, ref, NUMBERS) < RELATIVE


@pytest.mark.parametrize("case", _cases("wallinga_teunis", jhu=False), ids=lambda c: c["case"])
def test_wallinga_teunis_matches_epiestim(case: pd.Series) -> None:
    ours = estimate_rt(
        read_tidy(FIXTURES / case["input"]),
        method="wallinga-teunis",
        n_sim=int(case["n_sim"]),
        seed=3,
        **_settings(case),
    )
    ref = _reference(case)
    assert max_relative_error(ours, ref, ["mean"]) < RELATIVE
    # Simulated parts: EpiEstim and we both draw 1000 ancestries, with different generators.
    width = (ref["q0.975"] - ref["q0.025"]).to_numpy()
    for column in ("q0.025", "q0.975"):
        gap = np.abs(ours[column] - ref[column]).to_numpy()
        assert np.all(gap <= 0.25 * width + 1e-9), column
    gap = np.abs(ours["std"] - ref["std"]).to_numpy()
    assert np.all(gap <= 0.2 * ref["std"].to_numpy() + 0.02)


@pytest.mark.parametrize("case", ["flu2009_parametric", "synthetic_local_imported"])
def test_cli_output_matches_epiestim(case: str, tmp_path: Path) -> None:
    row = CASES[CASES["case"] == case].iloc[0]
    out = tmp_path / "rt.csv"
    args = ["rt", str(FIXTURES / row["input"]), "--out", str(out)]
    args += ["--si-mean", row["si_mean"], "--si-sd", row["si_sd"], "--quiet"]
    if row["t_start"]:
        args += ["--t-start", row["t_start"].replace(";", ",")]
        args += ["--t-end", row["t_end"].replace(";", ",")]
    assert main(args) == 0
    ours = pd.read_csv(out)
    inputs = pd.read_csv(FIXTURES / row["input"])
    dates = ["date_start", "date_end"] if "date" in inputs else []
    assert list(ours.columns) == ["t_start", "t_end", *dates, *NUMBERS, "note"]
    assert max_relative_error(ours, _reference(row), NUMBERS) < RELATIVE
