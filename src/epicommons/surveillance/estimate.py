"""`estimate_rt`: Rt for every country of a case table at once, as one tidy DataFrame.

Output columns (in order): `country` (when the input names countries), `t_start`, `t_end`,
`date_start`, `date_end` (when it has dates), `mean`, `std`, `q0.025` ... `q0.975`; t_start and
t_end are 1-based day indices as in EpiEstim; empty windows have NaN numbers.
`estimate_rt_columns` gives the same table as NumPy columns, without importing pandas.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from epicommons.errors import InputError

from .cases import CaseData, Series, make_table
from .cori import QUANTILES, RtEstimate, Windows, cori_posterior
from .serial_interval import check_si_distr, discr_si
from .wallinga_teunis import wallinga_teunis

if TYPE_CHECKING:
    import pandas as pd

Method = Literal["cori", "wallinga-teunis"]
METHODS: tuple[str, ...] = ("cori", "wallinga-teunis")
QUANTILE_COLUMNS = [f"q{q}" for q in QUANTILES]
NUMBER_COLUMNS = ["mean", "std", *QUANTILE_COLUMNS]


def output_columns(has_country: bool, has_dates: bool) -> list[str]:
    """The column order of estimate_rt's table and of `epicommons rt`'s OUT.csv."""
    return (
        (["country"] if has_country else [])
        + ["t_start", "t_end"]
        + (["date_start", "date_end"] if has_dates else [])
        + NUMBER_COLUMNS
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
        return CaseData(
            table, has_country="country" in data, has_dates=bool(has_dates), has_local=has_local
        )
    values = np.asarray(data, dtype=float)
    if values.ndim != 1:
        raise InputError("an incidence vector must be one-dimensional")
    table = make_table(
        country=np.full(values.size, "", dtype=object),
        day=np.arange(1, values.size + 1),
        cases=values,
    )
    return CaseData(table, has_country=False, has_dates=False)


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
    *,
    si_mean: float | None = None,
    si_sd: float | None = None,
    si_distr: Sequence[float] | np.ndarray | None = None,
    window: int = 7,
    t_start: Sequence[int] | None = None,
    t_end: Sequence[int] | None = None,
    prior_mean: float = 5.0,
    prior_sd: float = 5.0,
    method: Method = "cori",
    countries: Sequence[str] | None = None,
    n_sim: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """Rt per country and window: Cori (EpiEstim's estimate_R) or Wallinga–Teunis.

    Give the serial interval as `si_mean` + `si_sd` (gamma, discretised by `discr_si`) or as
    `si_distr` (w_0 = 0, w_1, ...). Windows: sliding `window`-day windows (EpiEstim's default for
    7) or explicit `t_start`/`t_end` (1-based, applied to every country).

    >>> estimate_rt([1, 2, 4, 8, 16, 32, 64, 128, 256], si_mean=2.6, si_sd=1.5)["mean"].round(2)
    0    4.21
    1    4.18
    Name: mean, dtype: float64
    """
    columns = estimate_rt_columns(
        data,
        si_mean=si_mean,
        si_sd=si_sd,
        si_distr=si_distr,
        window=window,
        t_start=t_start,
        t_end=t_end,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        method=method,
        countries=countries,
        n_sim=n_sim,
        seed=seed,
    )
    return rt_frame(columns)


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
    *,
    si_mean: float | None = None,
    si_sd: float | None = None,
    si_distr: Sequence[float] | np.ndarray | None = None,
    window: int = 7,
    t_start: Sequence[int] | None = None,
    t_end: Sequence[int] | None = None,
    prior_mean: float = 5.0,
    prior_sd: float = 5.0,
    method: Method = "cori",
    countries: Sequence[str] | None = None,
    n_sim: int = 100,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """`estimate_rt`'s table as NumPy columns in output order (dates as datetime64[D]); the
    arguments are `estimate_rt`'s."""
    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="method"
        )
    cases = as_case_data(data)
    if countries:
        cases = cases.select(list(countries))
    parametric = si_distr is None
    if parametric:
        if si_mean is None or si_sd is None:
            raise InputError(
                "give the serial interval as si_mean and si_sd, or as si_distr", field="si_mean"
            )
        if si_mean <= 1:
            raise InputError(
                f"the serial interval's mean must be > 1 day, got {si_mean}", field="si_mean"
            )
        if si_sd <= 0:
            raise InputError(f"the serial interval's sd must be > 0, got {si_sd}", field="si_sd")
    else:
        if si_mean is not None or si_sd is not None:
            raise InputError(
                "give either si_mean and si_sd, or si_distr, not both", field="si_distr"
            )
        si_distr = check_si_distr(np.asarray(si_distr, dtype=float))
    custom = t_start is not None or t_end is not None
    if custom and (t_start is None or t_end is None):
        raise InputError(
            "give both t_start and t_end", field="t_start" if t_start is None else "t_end"
        )
    series = list(cases.series())
    if not series:
        raise InputError("no case series to estimate from", source=cases.source)
    for s in series:
        _check_counts(s, cases.source)
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(series):
        groups.setdefault(s.n_days, []).append(i)
    results: list[RtEstimate | None] = [None] * len(series)
    for n_days, members in groups.items():
        if custom:
            windows = Windows(
                np.asarray(t_start, dtype=np.int64), np.asarray(t_end, dtype=np.int64)
            )
        else:
            windows = Windows.sliding(n_days, window)
        try:
            windows.check(n_days)
        except InputError as exc:
            who = series[members[0]].country
            prefix = f"{who}: " if who else ""
            raise InputError(f"{prefix}{exc.message}", field=exc.field) from None
        w = discr_si(np.arange(n_days), si_mean, si_sd) if parametric else si_distr
        if method == "cori":
            local = np.stack([series[i].local for i in members])
            imported = np.stack([series[i].imported for i in members])
            estimate = cori_posterior(
                local, imported, w, windows, mean_prior=prior_mean, std_prior=prior_sd
            )
            for row, i in enumerate(members):
                results[i] = RtEstimate(
                    windows,
                    estimate.mean[row : row + 1],
                    estimate.std[row : row + 1],
                    estimate.quantiles[row : row + 1],
                )
        else:
            for i in members:
                results[i] = wallinga_teunis(series[i].total, w, windows, n_sim=n_sim, seed=seed)
    return _columns(series, results, cases.has_country, cases.has_dates)


def _columns(
    series: list[Series], results: list[RtEstimate | None], has_country: bool, has_dates: bool
) -> dict[str, np.ndarray]:
    done = [r for r in results if r is not None]
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
    columns["mean"] = np.concatenate([r.mean[0] for r in done])
    columns["std"] = np.concatenate([r.std[0] for r in done])
    quantiles = np.concatenate([r.quantiles[0] for r in done])
    for j, column in enumerate(QUANTILE_COLUMNS):
        columns[column] = quantiles[:, j]
    return {name: columns[name] for name in output_columns(has_country, has_dates)}
