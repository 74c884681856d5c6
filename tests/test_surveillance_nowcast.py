"""Nowcasts from reporting triangles: the readers agree with the published latest series, an
as-of cut leaks nothing, the methods recover a known delay distribution and cover the truth on
engine-made data, and beat the counts as known on the real German SARI triangle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.model import Seed, build_model, seir, simulate
from epicommons.scoring import QUANTILES
from epicommons.surveillance.nowcast import nowcast
from epicommons.surveillance.nowcast_evaluate import backtest
from epicommons.surveillance.triangle import fold_negatives, read_triangle
from factories import network


@pytest.fixture(scope="module")
def respinow(shared_data: Path) -> Path:
    return shared_data / "respinow_de"


@pytest.fixture(scope="module")
def sari(respinow):
    return read_triangle(respinow / "SARI__reporting_triangle-icosari-sari.csv")


@pytest.mark.parametrize(
    ("triangle", "latest"),
    [
        ("SARI__reporting_triangle-icosari-sari.csv", "SARI__latest_data-SARI-sari.csv"),
        (
            "Survstat__reporting_triangle-survstat-influenza.csv",
            "Survstat__latest_data-Survstat-influenza.csv",
        ),
    ],
)
def test_row_sums_equal_the_published_latest_series(respinow, triangle, latest):
    tri = read_triangle(respinow / triangle)
    published = pd.read_csv(respinow / latest)
    for s, (loc, age) in enumerate(zip(tri.locations, tri.age_groups, strict=True)):
        reported = ~np.isnan(tri.counts[s]).all(axis=1)  # a series may start later than others
        mine = pd.Series(
            np.nansum(tri.counts[s][reported], axis=1), index=tri.dates[reported].astype(str)
        )
        theirs = published[(published.location == loc) & (published.age_group == age)]
        joined = pd.concat([mine, theirs.set_index("date")["value"]], axis=1, join="inner")
        assert len(joined) > 100
        assert (joined.iloc[:, 0] == joined.iloc[:, 1]).all(), (loc, age)


def test_the_long_format_reads_the_same_triangle(sari, tmp_path):
    rows = []
    for s, (loc, age) in enumerate(zip(sari.locations, sari.age_groups, strict=True)):
        for t, day in enumerate(sari.dates[42:82], start=42):  # every age group reports
            for k, delay in enumerate(sari.delays[:-1]):  # the open tail has no report date
                value = sari.counts[s, t, k]
                if not np.isnan(value):
                    report = day + np.timedelta64(7 * int(delay), "D")
                    rows.append((loc, age, str(day), str(report), int(value)))
    path = tmp_path / "long.csv"
    pd.DataFrame(
        rows, columns=["location", "age_group", "reference_date", "report_date", "count"]
    ).to_csv(path, index=False)
    long = read_triangle(path)
    assert long.unit == "W" and long.keys == sari.keys
    assert np.array_equal(long.counts, sari.counts[:, 42:82, :-1], equal_nan=True)


def test_an_as_of_cut_knows_exactly_the_cells_reported_by_then(sari):
    for as_of in ("2023-06-04", "2024-01-10", "2025-12-28"):
        cut = sari.as_of(as_of)
        day = np.datetime64(as_of)
        assert cut.dates[-1] <= day < cut.dates[-1] + np.timedelta64(7, "D")
        report_day = cut.dates[:, None] + 7 * cut.delays[None, :].astype("timedelta64[D]")
        original = sari.counts[:, : len(cut.dates)]
        assert np.array_equal(
            cut.counts, np.where(report_day <= day, original, np.nan), equal_nan=True
        )


@pytest.mark.parametrize("method", ["model", "empirical", "combined", "auto"])
def test_nothing_reported_after_the_as_of_date_changes_the_nowcast(sari, method):
    as_of = np.datetime64("2024-02-04")
    tri = sari.select(["DE"], ["00+"])
    later = ~tri.known(as_of)[None] | (tri.dates[None, :, None] > as_of)
    poisoned = tri.__class__(**{**tri.__dict__, "counts": np.where(later, 1e9, tri.counts)})
    a = nowcast(tri, as_of, method=method, max_delay=4, n_paths=200, seed=3)
    b = nowcast(poisoned, as_of, method=method, max_delay=4, n_paths=200, seed=3)
    assert np.array_equal(a.paths, b.paths)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-50, 200), min_size=5, max_size=5), min_size=1, max_size=6))
def test_folding_negatives_keeps_row_totals_and_leaves_no_negative_cell(rows):
    counts = np.array(rows, dtype=float)
    folded = fold_negatives(counts)
    assert (folded >= 0).all()
    positive = counts.sum(axis=1) >= 0
    assert np.allclose(folded.sum(axis=1)[positive], counts.sum(axis=1)[positive])


# -- an engine-made daily triangle with a known delay distribution ---------------------------
DELAY = np.array([0.30, 0.25, 0.15, 0.10, 0.08, 0.06, 0.04, 0.02])


def engine_triangle(tmp_path: Path, seed: int = 4) -> tuple[Path, np.ndarray]:
    """Daily symptomatic infections from the stochastic engine, each day's reported with delays
    drawn from DELAY (multinomial); written in the daily wide format."""
    model = build_model(seir(R0=1.5, sigma=0.25, gamma=0.2), network([5e6]))
    result = simulate(model, [Seed("N0", 30)], 160, 1, seed, stochastic=True)
    onset = result.country_incidence[0, :, 0, model.disease.index("I")]
    rng = np.random.default_rng(seed)
    cells = np.stack([rng.multinomial(int(n), DELAY) for n in onset])
    dates = np.datetime64("2027-01-01") + np.arange(len(onset))
    frame = pd.DataFrame({"location": "XX", "age_group": "00+", "date": dates.astype(str)})
    for k in range(len(DELAY)):
        frame[f"value_{k}d"] = cells[:, k]
    path = tmp_path / "daily.csv"
    frame.to_csv(path, index=False)
    return path, cells.sum(axis=1)


def test_the_model_recovers_a_known_daily_delay_distribution(tmp_path):
    path, final = engine_triangle(tmp_path)
    tri = read_triangle(path)
    assert tri.unit == "D" and list(tri.delays) == list(range(8))
    nc = nowcast(tri, tri.dates[110], method="model", n_paths=300)
    fitted = np.array(nc.diagnostics[0]["delay_distribution"])
    assert np.abs(fitted - DELAY).max() < 0.03


@pytest.mark.parametrize("method", ["model", "empirical"])
def test_nowcasts_of_engine_data_cover_the_truth(tmp_path, method):
    path, final = engine_triangle(tmp_path, seed=11)
    tri = read_triangle(path)
    hits50, hits95 = [], []
    for as_of in tri.dates[60:140:3]:
        nc = nowcast(tri, as_of, method=method, n_paths=400, seed=1)
        q = nc.quantiles((0.025, 0.25, 0.75, 0.975))[0]
        truth = final[np.searchsorted(tri.dates, nc.dates)]
        hits50 += list((q[:, 1] <= truth) & (truth <= q[:, 2]))
        hits95 += list((q[:, 0] <= truth) & (truth <= q[:, 3]))
    # 27 as-of dates x 7 horizons; the rows are correlated, so the bands are wide. The empirical
    # method's past errors include the growth phase's: on noise-free multinomial reporting its
    # intervals are conservative (measured: 88% / 100%), never too narrow
    low50, high50 = (0.35, 0.8) if method == "model" else (0.35, 0.95)
    assert low50 <= np.mean(hits50) <= high50
    assert 0.85 <= np.mean(hits95) <= 1.0


# -- real data -------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", ["model", "empirical"])
def test_on_the_sari_season_the_nowcast_beats_the_counts_as_known(sari, method):
    tri = sari.select(["DE"], ["00+"])
    result = backtest(tri, "2023-10-01", "2024-04-28", method=method, max_delay=4, n_paths=300)
    summary = result.summary().set_index(["model", "horizon"])
    mine = summary.loc[method]
    assert (mine["relative_wis"] < 1.0).all(), mine
    assert mine["covered_95"].mean() > 0.75


@pytest.mark.parametrize("method", ["empirical", "model"])
def test_a_publication_pause_is_not_taken_for_zero_cases(sari, method):
    """ICOSARI published nothing in the report weeks ending 2025-12-21 and 2025-12-28 (every
    cell of those weeks is 0; the next week caught up). Read as zeros, the last two weeks would
    be nowcast near 0. The eventual counts (within 4 weeks, summed from the full triangle) of
    those weeks lie in the 95% intervals, the medians are within a factor of 2 of them, a
    doubt names the pause, and a published week raises none."""
    from epicommons.doubts import collecting

    tri = sari.select(["DE"], ["00+"])
    eventual = tri.up_to_delay(4).final()[0]
    rows = {str(d): i for i, d in enumerate(tri.dates)}
    with collecting() as doubts:
        nc = nowcast(tri, "2025-12-28", method=method, max_delay=4, n_paths=400)
    assert len(doubts) == 1 and "2025-12-28" in str(doubts[0]) and "pause" in str(doubts[0])
    q = nc.quantiles((0.025, 0.5, 0.975))[0]
    for h, target in enumerate(nc.dates):
        truth = eventual[rows[str(target)]]
        assert q[h, 0] <= truth <= q[h, 2], (target, q[h], truth)
        assert truth / 2 < q[h, 1] < 2 * truth, (target, q[h], truth)
    assert nc.observed[0, -1] == 0 and nc.observed[0, -2] == 0  # as known: nothing yet
    assert list(nc.horizons) == [-3, -2, -1, 0]
    with collecting() as doubts:
        nowcast(tri, "2026-01-04", method=method, max_delay=4, n_paths=100)
    assert not doubts


def test_a_small_series_with_a_week_of_no_reports_is_not_a_pause(tmp_path):
    """Zero reports in a week of a series counting a few cases are plausible: below
    PUBLISHED_MIN they are counts, not a pause."""
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-07", periods=60, freq="7D")
    cells = rng.poisson([3.0, 1.0, 0.5], (60, 3))
    for k in range(3):  # nothing reported in the last report week
        cells[59 - k, k] = 0
    frame = pd.DataFrame(cells, columns=["value_0w", "value_1w", "value_2w"])
    frame.insert(0, "date", dates.strftime("%Y-%m-%d"))
    frame.insert(0, "age_group", "00+")
    frame.insert(0, "location", "DE")
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    from epicommons.doubts import collecting

    with collecting() as doubts:
        nc = nowcast(read_triangle(path), str(dates[-1].date()), n_paths=100)
    assert not doubts
    assert nc.as_of == np.datetime64(dates[-1].date())


def test_quantiles_are_ordered_and_the_table_has_the_stated_columns(sari):
    nc = nowcast(sari.select(["DE"], []), "2024-07-28", max_delay=4, forecast=4, n_paths=300)
    table = nc.table()
    assert list(table.columns) == [
        "location",
        "age_group",
        "target_end_date",
        "horizon",
        "quantile",
        "value",
    ]
    assert sorted(table["horizon"].unique()) == [-3, -2, -1, 0, 1, 2, 3, 4]
    for _, g in table.groupby(["age_group", "horizon"]):
        assert list(g["quantile"]) == list(QUANTILES)
        assert (np.diff(g["value"].to_numpy()) >= 0).all()


# -- bad input --------------------------------------------------------------------------------
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("location,age_group,date,value_0w,value_2w\nDE,00+,2024-01-07,1,2\n", "not consecutive"),
        (
            "location,age_group,date,value_0w,value_1w\nDE,00+,2024-01-07,1,x\n",
            "line 2, field 'value_1w'",
        ),
        (
            "location,age_group,date,value_0w,value_1w\nDE,00+,2024-01-07,1,2\nDE,00+,2024-01-10,1,2\n",
            "not on one weekly grid",
        ),
        ("location,age_group,date,value_0w\nDE,00+,07.01.2024,1\n", "line 2, field 'date'"),
        ("a,b\n1,2\n", "expected a wide triangle"),
    ],
)
def test_bad_triangles_name_the_row_and_column(tmp_path, text, expected):
    with pytest.raises(InputError) as info:
        read_triangle(_write(tmp_path, text))
    assert expected in str(info.value)


def test_the_cli_refuses_bad_selections_and_dates_with_status_2(sari, respinow, tmp_path, capsys):
    path = respinow / "SARI__reporting_triangle-icosari-sari.csv"
    out = tmp_path / "n.csv"
    for extra, expected in [
        (["--location", "FR"], "unknown location 'FR'"),
        (["--age-group", "99+"], "unknown age group '99+'"),
        (["--as-of", "2020-01-05"], "before the data's first reference date"),
        (["--as-of", "2031-01-05"], "after the data's last reference date"),
        (["--as-of", "someday"], "expected a date"),
    ]:
        assert main(["nowcast", str(path), "--out", str(out), "-q", *extra]) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
        assert not out.exists()


def test_the_cli_writes_quantiles_paths_and_a_report(respinow, tmp_path):
    path = respinow / "SARI__reporting_triangle-icosari-sari.csv"
    out, paths, report = tmp_path / "n.csv", tmp_path / "p.parquet", tmp_path / "r.html"
    argv = ["nowcast", str(path), "--out", str(out), "--age-group", "00+", "--max-delay", "4"]
    argv += [
        "--as-of",
        "2024-01-07",
        "--forecast",
        "2",
        "--paths",
        str(paths),
        "--report",
        str(report),
        "-q",
    ]
    assert main(argv) == 0
    table = pd.read_csv(out)
    assert set(table["horizon"]) == {-3, -2, -1, 0, 1, 2}
    samples = pd.read_parquet(paths)
    median = samples.groupby("horizon")["value"].median()
    mine = table[table["quantile"] == 0.5].set_index("horizon")["value"]
    assert np.allclose(median.loc[mine.index], mine, rtol=1e-9)
    assert "Nowcast" in report.read_text()


# -- Rt on the corrected curve ------------------------------------------------------------------
def test_rt_on_nowcast_paths_recovers_the_rt_of_the_complete_counts(tmp_path):
    """On engine-made data the last windows' Rt from the counts as known is biased low; on the
    nowcast's paths its interval holds the Rt that the complete counts give."""
    from epicommons.surveillance.estimate import estimate_rt
    from epicommons.surveillance.nowcast_rt import rt_with_nowcast

    path, final = engine_triangle(tmp_path, seed=5)
    tri = read_triangle(path)
    as_of = tri.dates[90]
    cut = tri.as_of(as_of)
    nc = nowcast(tri, as_of, method="model", n_paths=300, seed=2)
    frame = nc.path_table()
    frame["location"] = "NZL"
    days = cut.dates
    known = pd.DataFrame({"country": "NZL", "date": days, "cases": cut.observed()[0]})
    complete = pd.DataFrame({"country": "NZL", "date": days, "cases": final[: len(days)]})
    settings = {"si_mean": 5.0, "si_sd": 2.0}
    corrected = rt_with_nowcast(known, frame, **settings)
    as_known = estimate_rt(known, **settings)
    truth = estimate_rt(complete, **settings)
    last = corrected.index[-1]
    assert as_known.loc[last, "q0.975"] < truth.loc[last, "mean"]  # the bias the nowcast removes
    assert corrected.loc[last, "q0.025"] <= truth.loc[last, "mean"] <= corrected.loc[last, "q0.975"]
    assert corrected.loc[last, "note"].startswith("Rt on the nowcast-corrected curve")
    early = corrected["t_end"] < len(days) - 8  # windows before the corrected days: exact
    assert corrected.loc[early, "mean"].equals(as_known.loc[early, "mean"])


def test_rt_cli_takes_nowcast_paths(tmp_path, capsys):
    path, _ = engine_triangle(tmp_path, seed=5)
    tri = read_triangle(path)
    paths = tmp_path / "p.parquet"
    argv = ["nowcast", str(path), "--out", str(tmp_path / "n.csv"), "--paths", str(paths), "-q"]
    assert main([*argv, "--as-of", str(tri.dates[90])]) == 0
    table = pd.read_parquet(paths)
    table["location"] = "NZL"
    table.to_parquet(paths)
    cut = tri.as_of(tri.dates[90])
    cases = tmp_path / "cases.csv"
    pd.DataFrame(
        {"country": "NZL", "date": cut.dates.astype(str), "cases": cut.observed()[0]}
    ).to_csv(cases, index=False)
    out = tmp_path / "rt.csv"
    rt = ["rt", str(cases), "--out", str(out), "--si-mean", "5", "--si-sd", "2", "--quiet"]
    assert main([*rt, "--nowcast", str(paths)]) == 0
    assert pd.read_csv(out)["note"].iloc[-1].startswith("Rt on the nowcast-corrected curve")
    assert main([*rt, "--nowcast", str(tmp_path / "n.csv")]) == 2
    assert "cannot read the sample paths" in capsys.readouterr().err
