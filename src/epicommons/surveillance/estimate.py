"""`estimate_rt`: Rt for every country of a case table at once, as one tidy DataFrame.

Output columns (in order): `country` (when the input names countries), `t_start`, `t_end`,
`date_start`, `date_end` (when it has dates), `mean`, `std`, `q0.025` ... `q0.975`, `note`;
t_start and t_end are 1-based day indices as in EpiEstim; empty windows have NaN numbers and say
why in `note` (empty where there is an estimate).
`estimate_rt_columns` gives the same table as NumPy columns, without importing pandas.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from epicommons.errors import InputError

from .cases import CaseData, Series, make_table
from .cleaning import ReportingGap
from .cori import QUANTILES, RtEstimate, Windows, cori_posterior, si_mean_days
from .options import METHODS, RtOptions
from .serial_interval import discr_si
from .wallinga_teunis import wallinga_teunis

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "METHODS",
    "blank_vague",
    "estimate_rt",
    "estimate_rt_columns",
    "output_columns",
    "rt_frame",
]
MIN_SI_WITHIN = 0.5  # share of the serial interval that must fall within the series' days
QUANTILE_COLUMNS = [f"q{q}" for q in QUANTILES]
NUMBER_COLUMNS = ["mean", "std", *QUANTILE_COLUMNS]
# an Rt whose posterior's coefficient of variation is above 0.3 is mostly its prior (Cori et
# al. 2013 choose windows to keep it below 0.3): the gamma posterior's CV is 1/sqrt(a + ΣI), so
# with the default prior (a = 1) a window needs about 11 cases; below that, no estimate
RT_MAX_CV = 0.3
NO_ESTIMATE = (
    f"no estimate: posterior CV above {RT_MAX_CV} (too few cases in the window for more than "
    "the prior, or a very uncertain nowcast)"
)


def output_columns(has_country: bool, has_dates: bool) -> list[str]:
    """The column order of estimate_rt's table and of `epicommons rt`'s OUT.csv."""
    return (
        (["country"] if has_country else [])
        + ["t_start", "t_end"]
        + (["date_start", "date_end"] if has_dates else [])
        + NUMBER_COLUMNS
        + ["note"]
    )


def as_case_data(data: CaseData | pd.DataFrame | Sequence[float] | np.ndarray) -> CaseData:
    """Accept a CaseData, a case table (CASE_COLUMNS subset), or one incidence vector."""
    if isinstance(data, CaseData):
        return data
    pandas = sys.modules.get("pandas")  # a DataFrame can only exist once pandas is imported
    if pandas is not None and isinstance(data, pandas.DataFrame):
        has_local = {"local", "imported"} <= set(data.columns) and data["local"].notna().all()
        if not has_local and "cases" not in data.columns:
            raise InputError("the case table needs a 'cases' column or 'local' and 'imported'")
        n = len(data)
        country = data["country"] if "country" in data else np.full(n, "", dtype=object)
        day = data["day"] if "day" in data else np.arange(1, n + 1)
        has_dates = "date" in data and data["date"].notna().all()
        cases = data["local"] + data["imported"] if has_local else data["cases"]
        table = make_table(
            country=np.asarray(country, dtype=object),
            day=np.asarray(day),
            cases=cases.to_numpy(float),
            date=pandas.to_datetime(data["date"]).to_numpy() if has_dates else None,
            local=data["local"].to_numpy(float) if has_local else None,
            imported=data["imported"].to_numpy(float) if has_local else None,
        )
        cases = CaseData(
            table, has_country="country" in data, has_dates=bool(has_dates), has_local=has_local
        )
        cases.record_reporting_gaps()
        return cases
    values = np.asarray(data, dtype=float)
    if values.ndim != 1:
        raise InputError("an incidence vector must be one-dimensional")
    table = make_table(
        country=np.full(values.size, "", dtype=object),
        day=np.arange(1, values.size + 1),
        cases=values,
    )
    cases = CaseData(table, has_country=False, has_dates=False)
    cases.record_reporting_gaps()
    return cases


def _check_counts(series: Series, source: str | None) -> None:
    for name, values in (("local", series.local), ("imported", series.imported)):
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            who = f"{series.country}, " if series.country else ""
            raise InputError(
                f"{who}day {t + 1}: expected a non-negative count, got {values[t]}",
                source=source,
                field=name,
            )


def estimate_rt(
    data: CaseData | pd.DataFrame | Sequence[float] | np.ndarray,
    options: RtOptions | None = None,
    *,
    countries: Sequence[str] | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Rt per country and window: Cori (EpiEstim's estimate_R) or Wallinga–Teunis.

    `settings` are `RtOptions`' keywords (or pass `options`): the serial interval as `si_mean` +
    `si_sd` (gamma, discretised by `discr_si`) or as `si_distr` (w_0 = 0, w_1, ...); sliding
    `window`-day windows (EpiEstim's default: 7), optionally only those ending `date_from` ..
    `date_to`, or explicit 1-based `t_start`/`t_end`; `prior_mean`, `prior_sd`, `method`,
    `n_sim`, `seed`. Windows overlapping a reporting gap of the cleaning record are empty, with
    the reason in `note`.

    >>> estimate_rt([1, 2, 4, 8, 16, 32, 64, 128, 256], si_mean=2.6, si_sd=1.5)["mean"].round(2)
    0    4.21
    1    4.18
    Name: mean, dtype: float64
    """
    return rt_frame(estimate_rt_columns(data, options, countries=countries, **settings))


def blank_vague(table: pd.DataFrame) -> pd.DataFrame:
    """`table` (estimate_rt's columns) with the windows whose posterior is mostly its prior
    (CV above `RT_MAX_CV`) emptied and the reason in `note`: what a map or an assessment shows,
    never the prior's mean. `estimate_rt` itself keeps them, as EpiEstim does."""
    vague = (table["std"] / table["mean"]) > RT_MAX_CV
    out = table.copy()
    out.loc[vague, NUMBER_COLUMNS] = np.nan
    out.loc[vague, "note"] = NO_ESTIMATE
    return out


def rt_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The DataFrame of `estimate_rt_columns`' output (dates as datetime64[ns])."""
    import pandas as pd

    data = {
        name: values.astype("datetime64[ns]") if name.startswith("date_") else values
        for name, values in columns.items()
    }
    return pd.DataFrame(data, columns=list(columns))


def estimate_rt_columns(
    data: CaseData | pd.DataFrame | Sequence[float] | np.ndarray,
    options: RtOptions | None = None,
    *,
    countries: Sequence[str] | None = None,
    **settings: Any,
) -> dict[str, np.ndarray]:
    """`estimate_rt`'s table as NumPy columns in output order (dates as datetime64[D]); the
    arguments are `estimate_rt`'s."""
    if options is None:
        options = RtOptions(**settings)
    elif settings:
        raise TypeError("give an RtOptions or its keywords, not both")
    cases = as_case_data(data)
    if countries:
        cases = cases.select(list(countries))
    series = list(cases.series())
    if not series:
        raise InputError("no case series to estimate from", source=cases.source)
    for s in series:
        _check_counts(s, cases.source)
    windows = _windows(series, options)
    groups: dict[tuple[int, int, int, int], list[int]] = {}
    for i, (s, w) in enumerate(zip(series, windows, strict=True)):
        # windows are explicit (the same for all) or a run of sliding ones: these identify them
        key = (s.n_days, w.t_start.size, int(w.t_start[0]), int(w.t_end[0]))
        groups.setdefault(key, []).append(i)
    results: list[RtEstimate | None] = [None] * len(series)
    for (n_days, *_), members in groups.items():
        group_windows = windows[members[0]]
        if options.parametric:
            w = discr_si(np.arange(n_days), options.si_mean, options.si_sd)
        else:
            w = options.si_distr
        _check_si_fits(group_windows, w, n_days, options)
        if options.method == "cori":
            local = np.stack([series[i].local for i in members])
            imported = np.stack([series[i].imported for i in members])
            estimate = cori_posterior(
                local,
                imported,
                w,
                group_windows,
                mean_prior=options.prior_mean,
                std_prior=options.prior_sd,
            )
            for row, i in enumerate(members):
                results[i] = RtEstimate(
                    group_windows,
                    estimate.mean[row : row + 1],
                    estimate.std[row : row + 1],
                    estimate.quantiles[row : row + 1],
                )
        else:
            for i in members:
                results[i] = wallinga_teunis(
                    series[i].total, w, group_windows, n_sim=options.n_sim, seed=options.seed
                )
    done = [r for r in results if r is not None]
    gaps = cases.report.gaps_by_series()
    return _columns(series, done, gaps, options.method, cases.has_country, cases.has_dates)


def _windows(series: list[Series], options: RtOptions) -> list[Windows]:
    """Each series' windows; without a date range they depend only on its length."""
    if options.date_from is not None or options.date_to is not None:
        return [options.windows_for(s.n_days, s.dates, s.country) for s in series]
    by_length: dict[int, Windows] = {}
    for s in series:
        if s.n_days not in by_length:
            by_length[s.n_days] = options.windows_for(s.n_days, None, s.country)
    return [by_length[s.n_days] for s in series]


def _check_si_fits(windows: Windows, w: np.ndarray, n_days: int, options: RtOptions) -> None:
    """Refuse a serial interval longer than the data: over half its mass beyond the last day
    (the infectivity would be mostly missing and Rt near the prior), or, for Cori, every window ending before its
    mean (EpiEstim leaves those empty) — a table of blanks or priors, not estimates."""
    field = "si_mean" if options.parametric else "si_distr"
    within = float(np.sum(np.asarray(w, dtype=float)[:n_days]))
    if not within >= MIN_SI_WITHIN:
        raise InputError(
            f"only {within:.0%} of the serial interval falls within the data's {n_days} days: "
            "it is too long for this series",
            field=field,
        )
    mean = si_mean_days(w, n_days)
    if options.method == "cori" and np.all(windows.t_end <= mean):
        raise InputError(
            f"the serial interval's mean ({mean:.1f} days) is not shorter than the last window's "
            f"end (day {int(windows.t_end.max())}): every window would be empty",
            field=field,
        )


BEFORE_SI = "window ends before the serial interval's mean (EpiEstim leaves it empty)"
# notes hold no comma, so OUT.csv needs no quoting (pyarrow writes it; see output.py)
NO_CASES = "no cases in the window or no earlier case to infect them"


def _columns(
    series: list[Series],
    done: list[RtEstimate],
    gaps: dict[str, list[ReportingGap]],
    method: str,
    has_country: bool,
    has_dates: bool,
) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    if has_country:
        columns["country"] = np.repeat(
            np.array([s.country for s in series], dtype=object),
            [r.windows.t_start.size for r in done],
        )
    columns["t_start"] = np.concatenate([r.windows.t_start for r in done])
    columns["t_end"] = np.concatenate([r.windows.t_end for r in done])
    if has_dates:
        columns["date_start"] = np.concatenate(
            [s.dates[r.windows.t_start - 1] for s, r in zip(series, done, strict=True)]
        )
        columns["date_end"] = np.concatenate(
            [s.dates[r.windows.t_end - 1] for s, r in zip(series, done, strict=True)]
        )
    mean = np.concatenate([r.mean[0] for r in done])
    std = np.concatenate([r.std[0] for r in done])
    quantiles = np.concatenate([r.quantiles[0] for r in done])
    note = np.array([""], dtype=object).repeat(mean.size)  # no per-row str conversion
    note[np.isnan(mean)] = BEFORE_SI if method == "cori" else NO_CASES
    offset = 0
    for s, r in zip(series, done, strict=True):
        n = r.windows.t_start.size
        for gap in gaps.get(s.country, ()):
            hit = offset + np.flatnonzero(gap.overlaps(r.windows.t_start, r.windows.t_end))
            mean[hit] = std[hit] = np.nan
            quantiles[hit] = np.nan
            note[hit] = gap.reason()
        offset += n
    columns["mean"], columns["std"] = mean, std
    for j, column in enumerate(QUANTILE_COLUMNS):
        columns[column] = quantiles[:, j]
    columns["note"] = note
    return {name: columns[name] for name in output_columns(has_country, has_dates)}
