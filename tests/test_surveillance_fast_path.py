"""The pandas- and SciPy-free path of `epicommons rt`: its special functions, window sums, case
grouping and CSV writer, each against an independent reference (SciPy, plain loops, pandas)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays
from scipy import special

from epicommons.surveillance.cases import CaseData, make_table
from epicommons.surveillance.cori import QUANTILES, Windows
from epicommons.surveillance.gamma_quantiles import (
    STORED_FITS,
    fit_coefficients,
    gamma_quantiles,
)
from epicommons.surveillance.incomplete_gamma import gammainc, gammaincinv
from epicommons.surveillance.output import write_csv_atomically


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, 40, elements=st.floats(0.01, 1000.0)),
    arrays(np.float64, 40, elements=st.floats(-3.0, 3.0)),
)
def test_gammainc_equals_scipy(a: np.ndarray, log_ratio: np.ndarray) -> None:
    x = a * np.exp(log_ratio)
    np.testing.assert_allclose(gammainc(a, x), special.gammainc(a, x), rtol=1e-11, atol=1e-14)


def test_gammainc_edges() -> None:
    assert gammainc(2.5, 0.0) == 0.0
    np.testing.assert_allclose(gammainc(1.0, [0.5, 3.0]), 1.0 - np.exp([-0.5, -3.0]), rtol=1e-14)


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, 30, elements=st.floats(0.01, 10.0)),
    st.sampled_from([*QUANTILES, 1e-6, 0.999]),
)
def test_gammaincinv_equals_scipy(a: np.ndarray, q: float) -> None:
    np.testing.assert_allclose(gammaincinv(a, q), special.gammaincinv(a, q), rtol=1e-11)


def test_gammaincinv_shapes_and_zero() -> None:
    a = np.array([[0.5, 2.0, 9.0]])
    p = np.array([[0.0], [0.5]])
    out = gammaincinv(a, p)
    assert out.shape == (2, 3)
    assert np.all(out[0] == 0.0)
    np.testing.assert_allclose(out[1], special.gammaincinv(a[0], 0.5), rtol=1e-12)


def test_stored_chebyshev_fits_are_the_fits_of_their_script() -> None:
    text = resources.files("epicommons.surveillance").joinpath("data", STORED_FITS).read_text()
    stored = json.loads(text)["coefficients"]
    assert sorted(map(float, stored)) == sorted(QUANTILES)
    for q in QUANTILES:
        np.testing.assert_allclose(stored[repr(q)], fit_coefficients(q), rtol=0, atol=1e-15)


def test_gamma_quantiles_with_small_prior_shapes_and_unlisted_probabilities() -> None:
    shape = np.array([0.04, 0.3, 1.0, 7.5, 12.0, 3e5])
    scale = np.array([2.0, 0.5, 1.0, 0.1, 3.0, 1e-4])
    probs = (0.01, 0.5, 0.99)  # 0.01 and 0.99 are not stored: fitted on first use
    ours = gamma_quantiles(shape, scale, probs)
    for j, q in enumerate(probs):
        np.testing.assert_allclose(ours[:, j], special.gammaincinv(shape, q) * scale, rtol=1e-11)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (3, 40), elements=st.floats(0.0, 1e6)),
    st.lists(st.tuples(st.integers(2, 40), st.integers(0, 38)), min_size=1, max_size=12),
)
def test_window_sums_equal_plain_loops(values: np.ndarray, spans: list[tuple[int, int]]) -> None:
    starts = np.array([s for s, _ in spans])
    ends = np.minimum(starts + np.array([w for _, w in spans]), 40)
    windows = Windows(starts, ends)
    expected = np.array(
        [[sum(row[s - 1 : e]) for s, e in zip(starts, ends, strict=True)] for row in values]
    )
    np.testing.assert_allclose(windows.sum(values), expected, rtol=1e-13)


def test_interleaved_countries_group_like_pandas() -> None:
    rng = np.random.default_rng(3)
    country = np.array(["B", "A", "B", "C", "A", "A", "C", "B"], dtype=object)
    day = np.array([2, 1, 1, 1, 3, 2, 2, 3])
    cases = rng.integers(0, 50, country.size).astype(float)
    data = CaseData(make_table(country, day, cases), has_dates=False)
    frame = pd.DataFrame({"country": country, "day": day, "cases": cases})
    series = list(data.series())
    assert [s.country for s in series] == ["B", "A", "C"]  # first appearance
    for s in series:
        expected = frame[frame["country"] == s.country].sort_values("day")["cases"].to_numpy()
        np.testing.assert_array_equal(s.local, expected)
    kept = data.select(["C", "B"])
    assert [s.country for s in kept.series()] == ["C", "B"]


def test_column_writer_blanks_missing_values_and_keeps_text(tmp_path: Path) -> None:
    columns = {
        "country": np.array(["ITA", "ITA", "ÅLA", "ITA"], dtype=object),
        "t_start": np.array([2, 3, 2, 4]),
        "date_start": np.array(["2020-01-02", "NaT", "2020-01-02", "2020-01-04"], "datetime64[D]"),
        "mean": np.array([1.5, np.nan, 0.1, 2.0]),
    }
    out = write_csv_atomically(columns, tmp_path / "rt.csv")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "country,t_start,date_start,mean",
        "ITA,2,2020-01-02,1.5",
        "ITA,3,,",
        "ÅLA,2,2020-01-02,0.1",
        "ITA,4,2020-01-04,2",
    ]


def test_column_writer_quotes_through_pandas_when_text_needs_it(tmp_path: Path) -> None:
    columns = {"country": np.array(["a,b", "c"], dtype=object), "mean": np.array([1.0, 2.0])}
    frame = pd.read_csv(write_csv_atomically(columns, tmp_path / "q.csv"))
    assert frame["country"].tolist() == ["a,b", "c"]


@pytest.mark.parametrize("extra", [[], ["--country", "ITA,NZL"]])
def test_rt_on_jhu_imports_neither_pandas_nor_scipy(
    shared_data: Path, tmp_path: Path, extra: list[str]
) -> None:
    """The start-up budget of `epicommons rt` (issue 4's end-to-end target) depends on it."""
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    code = (
        "import sys\nfrom epicommons.cli import main\n"
        f"status = main(['rt', {str(confirmed)!r}, '--out', {str(tmp_path / 'rt.csv')!r}, "
        f"'--si-mean', '4.7', '--si-sd', '2.9', '--quiet', *{extra!r}])\n"
        "print(status, 'pandas' in sys.modules, 'scipy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False", "False"]
    frame = pd.read_csv(tmp_path / "rt.csv")
    assert frame["country"].nunique() == (2 if extra else 197)
