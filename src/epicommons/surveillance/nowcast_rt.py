"""Rt on the nowcast-corrected curve: the last days of each series are replaced by every sample
path of a daily nowcast in turn, Cori's posterior is computed for each path, and the paths'
posteriors are mixed (equal weights), so Rt's interval carries the nowcast's uncertainty.
A weekly triangle's corrected curve is read the same way, week by week, on the daily incidence
reconstructed from the weekly counts (`rt_weekly`, Nash et al. 2023).

Without this, the last windows' Rt is biased low exactly when it matters: their counts are
incomplete. Windows that end before the first corrected day keep their exact estimate. Mixing:
the mean is the mean of the paths' posterior means; the standard deviation
comes from the law of total variance; quantiles from `DRAWS_PER_PATH` gamma draws per path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from epicommons.errors import InputError

from .cases import CaseData
from .cori import QUANTILES, cori_posterior
from .estimate import as_case_data, estimate_rt
from .options import RtOptions
from .serial_interval import discr_si

if TYPE_CHECKING:
    import pandas as pd

    from .nowcast import Nowcast
    from .triangle import Triangle

DRAWS_PER_PATH = 40
NOTE = "Rt on the nowcast-corrected curve ({} sample paths)"
RT_WEEKS = 26  # weeks of a weekly series read for Rt on its nowcast: Rt is wanted for the last ones
RT_PATHS = 200  # nowcast paths used for Rt (the mixture's quantiles settle well before)


PATH_COLUMNS = ("location", "target_end_date", "horizon", "path", "value")


def read_paths(path) -> pd.DataFrame:
    """A nowcast's sample paths (Parquet, as `epicommons nowcast --paths` writes them)."""
    import pandas as pd
    import pyarrow

    try:
        frame = pd.read_parquet(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise InputError(
            f"cannot read the sample paths: {exc}", source=path, field="--nowcast"
        ) from None
    missing = [c for c in PATH_COLUMNS if c not in frame]
    if missing:
        raise InputError(
            f"not a nowcast's sample paths: no column {', '.join(missing)}",
            source=path,
            field="--nowcast",
        )
    return frame


def rt_with_nowcast(
    data: CaseData | pd.DataFrame,
    paths: pd.DataFrame,
    options: RtOptions | None = None,
    *,
    seed: int = 0,
    **settings,
) -> pd.DataFrame:
    """`estimate_rt`'s table where every series named in `paths` (a nowcast's sample paths:
    location, target_end_date, horizon, path, value; daily, horizons ≤ 0 used) is estimated on
    each corrected curve and the posteriors mixed. Locations are resolved to the case table's
    countries like any place name; other series are estimated as usual."""
    import pandas as pd

    from epicommons.world.countries import registry

    options = options or RtOptions(**settings)
    if options.method != "cori":
        raise InputError("Rt on nowcast paths uses the Cori method", field="--method")
    cases = as_case_data(data)
    frame = estimate_rt(cases, options)
    paths = paths[paths["horizon"] <= 0]
    dates = pd.to_datetime(paths["target_end_date"]).to_numpy().astype("datetime64[D]")
    if len(dates) > 1 and (np.diff(np.unique(dates)).astype(int) != 1).any():
        raise InputError(
            "Rt needs daily counts: the nowcast's target dates are not consecutive days",
            field="--nowcast",
        )
    reg = registry()
    rng = np.random.default_rng(seed)
    by_series = {s.country: s for s in cases.series()}
    for location, group in paths.groupby("location", sort=False):
        country = reg.resolve(str(location), field="--nowcast")
        if country not in by_series:
            raise InputError(
                f"the nowcast's location {location!r} ({country}) is not in the case file",
                field="--nowcast",
            )
        series = by_series[country]
        table = group.pivot_table(index="path", columns="target_end_date", values="value")
        days = pd.to_datetime(table.columns).to_numpy().astype("datetime64[D]")
        position = np.searchsorted(series.dates, days)
        if (position >= series.n_days).any() or (series.dates[position] != days).any():
            raise InputError(
                f"the nowcast's dates for {location} ({days[0]} .. {days[-1]}) are not days of "
                "the case series",
                field="--nowcast",
            )
        local = np.repeat(series.local[None, :], len(table), axis=0).astype(float)
        local[:, position] = np.maximum(table.to_numpy(float), 0.0) - series.imported[position]
        imported = np.repeat(series.imported[None, :], len(table), axis=0)
        rows = frame.index[frame["country"] == country] if "country" in frame else frame.index
        windows = options.windows_for(series.n_days, series.dates, country)
        w = (
            discr_si(np.arange(series.n_days), options.si_mean, options.si_sd)
            if options.parametric
            else options.si_distr
        )
        post = cori_posterior(
            local, imported, w, windows, mean_prior=options.prior_mean, std_prior=options.prior_sd
        )
        shape = post.mean**2 / post.std**2  # (paths, windows)
        scale = post.std**2 / post.mean
        mixed = _mix(shape, scale, rng)
        # windows over corrected days only; gaps and early windows stay empty, the rest exact
        keep = ~frame.loc[rows, "mean"].isna().to_numpy() & (windows.t_end > position.min())
        for name, values in mixed.items():
            frame.loc[rows[keep], name] = values[keep]
        frame.loc[rows[keep], "note"] = NOTE.format(len(table))
    return frame


def rt_on_weekly_nowcast(
    triangle: Triangle,
    result: Nowcast,
    options: RtOptions,
    *,
    weeks: int = RT_WEEKS,
    seed: int = 0,
) -> pd.DataFrame:
    """Weekly Rt of every series of a weekly `triangle` on its curve corrected by `result` (a
    nowcast of that triangle): the last `weeks` weeks as known, the incomplete ones replaced by
    each sample path; one row per series and week (the first week has no estimate)."""
    import pandas as pd

    from .rt_weekly import rt_from_weekly

    if triangle.unit != "W":
        raise InputError("weekly Rt needs a weekly triangle; use `rt --nowcast` for daily counts")
    if options.method != "cori":
        raise InputError("Rt on nowcast paths uses the Cori method", field="--method")
    if weeks < 3:
        raise InputError(f"expected at least 3 weeks, got {weeks}", field="--rt-weeks")
    cut = triangle.as_of(result.as_of).up_to_delay(result.max_delay).from_delay_zero()
    known = cut.observed()[:, -weeks:]
    dates = cut.dates[-weeks:]
    corrected = np.isin(dates, result.dates[result.horizons <= 0])
    n_paths = min(RT_PATHS, result.paths.shape[2])
    w = (
        discr_si(np.arange(weeks * 7 + 1), options.si_mean, options.si_sd)
        if options.parametric
        else options.si_distr
    )
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(known.shape[0]):
        curve = np.repeat(known[s][None, :], n_paths, axis=0)
        rows = np.flatnonzero(np.isin(result.dates, dates[corrected]))
        curve[:, corrected] = result.paths[s, rows, :n_paths].T
        start = int(np.argmax(~np.isnan(curve).any(axis=0)))
        if np.isnan(curve[:, start:]).any() or curve.shape[1] - start < 3:
            raise InputError(
                f"{cut.keys[s]}: the last {weeks} weeks have gaps; Rt needs every week",
                source=triangle.source,
            )
        est = rt_from_weekly(
            np.maximum(curve[:, start:], 0.0),
            w,
            mean_prior=options.prior_mean,
            std_prior=options.prior_sd,
        ).estimate
        mixed = _mix(est.mean**2 / est.std**2, est.std**2 / est.mean, rng)
        ends = dates[start + 1 :]  # a weekly reference date is the day that ends its week
        frames.append(
            pd.DataFrame(
                {
                    "location": cut.locations[s],
                    "age_group": cut.age_groups[s],
                    "date_start": ends - np.timedelta64(6, "D"),
                    "date_end": ends,
                    **mixed,
                    "note": np.where(corrected[start + 1 :], NOTE.format(n_paths), ""),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _mix(shape: np.ndarray, scale: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Mean, sd and QUANTILES of the equal-weight mixture of the paths' gamma posteriors."""
    empty = np.isnan(shape) | np.isnan(scale)
    shape, scale = np.where(empty, 1.0, shape), np.where(empty, 1.0, scale)  # left out below
    mean = shape * scale
    var = shape * scale**2
    draws = rng.gamma(
        np.repeat(shape[:, :, None], DRAWS_PER_PATH, axis=2),
        np.repeat(scale[:, :, None], DRAWS_PER_PATH, axis=2),
    )
    pooled = np.moveaxis(draws, 1, 0).reshape(shape.shape[1], -1)
    out = {
        "mean": mean.mean(axis=0),
        "std": np.sqrt(var.mean(axis=0) + mean.var(axis=0)),
    }
    for q, values in zip(QUANTILES, np.quantile(pooled, QUANTILES, axis=1), strict=True):
        out[f"q{q}"] = values
    return out
