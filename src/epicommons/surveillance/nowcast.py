"""Nowcasts: the final counts of the last reference weeks (or days) from what was known on an
as-of date, with sample paths, quantiles and 1–4-step forecasts from the corrected curve.

`nowcast(triangle, as_of, method=...)` cuts the triangle at `as_of` (no later cell can leak in),
keeps delays up to `max_delay` (the target: what will have been reported by then), and runs one
method per series: `empirical` (chain ladder with past-error intervals, `nowcast_empirical`),
`model` (negative-binomial counts, a smooth latent curve and a delay distribution that moves as
a random walk, `nowcast_model`), `combined` (the quantile average of the two,
`nowcast_combined`) or `auto` (LONG_DELAY_METHOD where a series' late share is at least
LATE_SHARE, else `empirical`). Horizons: 0 is the as-of row (the last complete week or day),
−1 the one before, …; positive horizons are forecasts: each path continues as a random walk on
log(1 + count) whose step spread is the median absolute log change of the recent final curve.

Weekly reports that were not published (every cell reported on the as-of date, and on the weeks
just before it, is 0 after weeks of counts: a publication pause, as over Christmas) are not
taken as zero counts: the nowcast is made as of the last published week and the unpublished
weeks are forecast from it, with a warning (`unpublished_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from epicommons.doubts import doubt
from epicommons.errors import InputError
from epicommons.scoring import QUANTILES  # the Forecast Hubs' 23 levels

from .nowcast_core import NowcastInputs, SeriesNowcast
from .triangle import Triangle

if TYPE_CHECKING:
    import pandas as pd

    from .nowcast_model import Settings

METHODS = ("empirical", "model", "combined", "auto")
DEFAULT_METHOD = "empirical"  # never worse than the counts as known in the backtests
LONG_DELAY_METHOD = "model"  # `auto` where delays are long (docs/validation/nowcast.md)
LATE_SHARE = 0.10  # `auto`: delays are long when this share of the counts comes after delay 0
OUTPUT_COLUMNS = ["location", "age_group", "target_end_date", "horizon", "quantile", "value"]
PUBLISHED_MIN = 100  # a report week summing to this many is a publication; zeros after it a pause
MAX_UNPUBLISHED = 4  # longer pauses are not bridged: the nowcast is refused


@dataclass(frozen=True)
class Nowcast:
    """Sample paths `(series, horizon, path)` of final counts by target date."""

    locations: tuple[str, ...]
    age_groups: tuple[str, ...]
    dates: np.ndarray  # datetime64[D] (H,)
    horizons: np.ndarray  # int (H,)
    paths: np.ndarray  # (S, H, N)
    observed: np.ndarray  # (S, H): counts as known on as_of (NaN for forecasts)
    as_of: np.datetime64
    method: str
    max_delay: int
    unit: str
    diagnostics: list[dict[str, object]] = field(default_factory=list)

    def quantiles(self, levels: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """Quantiles `(series, horizon, level)` of the paths."""
        return np.moveaxis(np.quantile(self.paths, levels, axis=2), 0, -1)

    def columns(self, levels: tuple[float, ...] = QUANTILES) -> dict[str, np.ndarray]:
        """The output table as NumPy columns (OUTPUT_COLUMNS), one row per quantile."""
        q = self.quantiles(levels)
        s_n, h_n, l_n = q.shape
        return {
            "location": np.repeat(np.array(self.locations, dtype=object), h_n * l_n),
            "age_group": np.repeat(np.array(self.age_groups, dtype=object), h_n * l_n),
            "target_end_date": np.tile(np.repeat(self.dates, l_n), s_n),
            "horizon": np.tile(np.repeat(self.horizons, l_n), s_n),
            "quantile": np.tile(np.asarray(levels, dtype=float), s_n * h_n),
            "value": q.reshape(-1),
        }

    def path_table(self) -> pd.DataFrame:
        """The sample paths, long: location, age_group, target_end_date, horizon, path, value."""
        import pandas as pd

        s_n, h_n, n = self.paths.shape
        return pd.DataFrame(
            {
                "location": np.repeat(np.array(self.locations, dtype=object), h_n * n),
                "age_group": np.repeat(np.array(self.age_groups, dtype=object), h_n * n),
                "target_end_date": np.tile(np.repeat(self.dates, n), s_n),
                "horizon": np.tile(np.repeat(self.horizons, n), s_n),
                "path": np.tile(np.arange(n), s_n * h_n),
                "value": self.paths.reshape(-1),
            }
        )

    def table(self, levels: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.columns(levels), columns=OUTPUT_COLUMNS)


def nowcast(
    triangle: Triangle,
    as_of: str | np.datetime64 | None = None,
    *,
    method: str = DEFAULT_METHOD,
    max_delay: int | None = None,
    forecast: int = 0,
    n_paths: int = 1000,
    window: int | None = None,
    seed: int = 0,
    settings: Settings | None = None,
) -> Nowcast:
    """Nowcast (and forecast) every series of `triangle` as known on `as_of` (default: its last
    reference date). `window`: reference steps used to estimate delays and past errors;
    `settings`: the `model` method's choices (default `nowcast_model.SETTINGS`)."""
    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="--method"
        )
    if not 0 <= forecast <= 52:
        raise InputError(f"expected 0–52 steps, got {forecast}", field="--forecast")
    if n_paths < 10:
        raise InputError(f"expected at least 10 sample paths, got {n_paths}", field="--paths")
    day = triangle.dates[-1] if as_of is None else np.datetime64(as_of, "D")
    if day > triangle.dates[-1] + np.timedelta64(triangle.step - 1, "D"):
        raise InputError(
            f"as-of date {day} is after the data's last reference date {triangle.dates[-1]}",
            source=triangle.source,
            field="--as-of",
        )
    max_delay = default_max_delay(triangle) if max_delay is None else max_delay
    cut = triangle.as_of(day).up_to_delay(max_delay).from_delay_zero()
    incomplete = max(int(cut.delays[-1]), 1)
    paused = unpublished_steps(cut)
    if paused:
        if paused > MAX_UNPUBLISHED:
            raise InputError(
                f"nothing was reported in the {paused} weeks up to {day} (every cell of those "
                f"report weeks is 0): choose an earlier --as-of",
                source=triangle.source,
                field="--as-of",
            )
        step = np.timedelta64(triangle.step, "D")
        earlier = nowcast(
            triangle,
            day - paused * step,
            method=method,
            max_delay=max_delay,
            forecast=forecast + paused,
            n_paths=n_paths,
            window=window,
            seed=seed,
            settings=settings,
        )
        doubt(
            f"nothing was reported in the {paused} week(s) up to {day} (every cell of those "
            "report weeks is 0 after weeks of counts: a publication pause, not zero cases): "
            f"nowcast as of {day - paused * step}, the weeks since forecast from it",
            source=triangle.source,
            field="--as-of",
        )
        return _bridged(earlier, cut, day, incomplete, forecast, paused)
    model_window = window or default_window(max_delay, "model", settings)
    window = window or default_window(max_delay, method, settings)
    earliest = earliest_as_of(triangle, max_delay, window)
    if day < earliest:
        raise InputError(
            f"too little history before {day}: the first as-of date with {window} reference "
            f"steps of history (the window) and the nowcast's own rows is {earliest}",
            source=triangle.source,
            field="--as-of",
        )
    runs = {m: _method(m, settings, model_window) for m in METHODS if m != "auto"}
    rng = np.random.default_rng(seed)
    from threadpoolctl import threadpool_limits

    days = cut.dates.astype(int)[:, None] + cut.delays[None, :]
    weekday = (days + 3) % 7 if cut.unit == "D" else None  # of the report day, Monday = 0
    series: list[SeriesNowcast] = []
    with threadpool_limits(1):  # tiny matrices: BLAS threads only contend (10x slower here)
        for s in range(cut.counts.shape[0]):
            first = int(np.argmax(~np.isnan(cut.counts[s]).all(axis=1)))  # a series' first row
            if cut.counts.shape[1] - first < window + 2 * incomplete - 1:
                raise InputError(
                    f"{cut.keys[s]} starts on {cut.dates[first]}: too little history before "
                    f"{day} for a window of {window} steps",
                    source=triangle.source,
                    field="--as-of",
                )
            t_n = cut.counts.shape[1] - first
            known_at = np.arange(t_n)[:, None] + cut.delays[None, :]
            inp = NowcastInputs(
                cut.counts[s, first:],
                known_at,
                incomplete,
                window,
                n_paths,
                None if weekday is None else weekday[first:],
            )
            name = method
            if method == "auto":
                long = late_share(inp.counts, window) >= LATE_SHARE
                name = LONG_DELAY_METHOD if long else "empirical"
            result = runs[name](inp, rng)
            series.append(replace(result, diagnostics={"method": name, **result.diagnostics}))
    paths = np.stack([r.paths for r in series])
    observed = np.stack([r.observed for r in series])
    dates = cut.dates[-incomplete:]
    horizons = np.arange(-incomplete + 1, 1)
    if forecast:
        ahead = _random_walk(cut, paths, forecast, window, rng)
        paths = np.concatenate([paths, ahead], axis=1)
        observed = np.concatenate([observed, np.full(ahead.shape[:2], np.nan)], axis=1)
        step = np.timedelta64(cut.step, "D")
        dates = np.concatenate([dates, dates[-1] + step * np.arange(1, forecast + 1)])
        horizons = np.concatenate([horizons, np.arange(1, forecast + 1)])
    return Nowcast(
        cut.locations,
        cut.age_groups,
        dates,
        horizons,
        paths,
        observed,
        day,
        method,
        max_delay,
        cut.unit,
        [r.diagnostics for r in series],
    )


def unpublished_steps(cut: Triangle) -> int:
    """How many of the last report weeks of a weekly triangle cut at its as-of date were not
    published: every cell reported in them is 0 (summed over the series), while the report
    week before them summed to at least PUBLISHED_MIN. 0 for daily data (zero reports on some
    weekdays are normal there; the model has weekday effects)."""
    if cut.unit != "W":
        return 0
    counts = np.nan_to_num(cut.counts).sum(axis=0)  # (T, J) over the series
    rows = counts.shape[0]
    report = np.arange(rows)[:, None] + cut.delays[None, :]  # report week of each cell
    known = ~np.isnan(cut.counts).all(axis=0)
    last = rows - 1  # the as-of row: cells reported on the as-of date have report == last
    paused = 0
    while paused < rows - 1:
        on = (report == last - paused) & known
        if not on.any() or np.any(counts[on] != 0):
            break
        paused += 1
    if paused == 0:
        return 0
    before = (report == last - paused) & known
    return paused if abs(counts[before].sum()) >= PUBLISHED_MIN else 0


def _bridged(
    earlier: Nowcast,
    cut: Triangle,
    day: np.datetime64,
    incomplete: int,
    forecast: int,
    paused: int,
) -> Nowcast:
    """The nowcast as of `day` from one made `paused` weeks earlier with that many more
    forecast steps: the same target weeks and horizons as a nowcast of `day`, and the counts as
    known on `day` (the unpublished weeks add nothing)."""
    keep = incomplete + forecast
    dates = earlier.dates[-keep:]
    observed = np.full((cut.counts.shape[0], keep), np.nan)
    known = np.nansum(cut.counts[:, -incomplete:], axis=2)
    observed[:, :incomplete] = known
    diagnostics = [{**d, "unpublished_weeks": paused} for d in earlier.diagnostics]
    return replace(
        earlier,
        dates=dates,
        horizons=np.concatenate([np.arange(-incomplete + 1, 1), np.arange(1, forecast + 1)]),
        paths=earlier.paths[:, -keep:],
        observed=observed,
        as_of=day,
        diagnostics=diagnostics,
    )


def late_share(counts: np.ndarray, window: int) -> float:
    """Of the counts of the last `window` completely reported rows, the share reported after
    delay 0 (0 when they sum to nothing): how long a series' delays are."""
    complete = counts[~np.isnan(counts).any(axis=1)][-window:]
    total = complete.sum()
    return float(complete[:, 1:].sum() / total) if total > 0 else 0.0


def default_max_delay(triangle: Triangle) -> int:
    """The largest delay column that is not the open `>N` one."""
    return int(triangle.delays[-2 if triangle.open_tail else -1])


def default_window(
    max_delay: int, method: str = DEFAULT_METHOD, settings: Settings | None = None
) -> int:
    """Reference steps used to estimate delays (and the empirical method's past errors): five
    per delay for `empirical` and `combined`, `Settings.window_per_delay` for `model`, at least
    8. Chosen on the backtests of docs/validation/nowcast.md."""
    if method == "model":
        from .nowcast_model import SETTINGS

        per_delay = (settings or SETTINGS).window_per_delay
    else:
        per_delay = 5
    return max(8, per_delay * (max(max_delay, 0) + 1))


def earliest_as_of(
    triangle: Triangle,
    max_delay: int,
    window: int | None = None,
    method: str = DEFAULT_METHOD,
    settings: Settings | None = None,
) -> np.datetime64:
    """The first as-of date with enough history for `nowcast`."""
    window = window or default_window(max_delay, method, settings)
    need = window + 2 * max(max_delay, 1) - 1
    return triangle.dates[min(need, len(triangle.dates) - 1)]


def _method(name: str, settings: Settings | None, model_window: int):
    """The per-series function of a method (the model's with its settings and window)."""
    from functools import partial

    from . import nowcast_combined, nowcast_empirical, nowcast_model

    if name == "empirical":
        return nowcast_empirical.nowcast_series
    settings = settings or nowcast_model.SETTINGS
    if name == "model":
        return partial(nowcast_model.nowcast_series, settings=settings)
    return partial(nowcast_combined.nowcast_series, settings=settings, model_window=model_window)


def _random_walk(
    cut: Triangle, paths: np.ndarray, steps: int, window: int, rng: np.random.Generator
) -> np.ndarray:
    """Continue each path by a random walk on log(1 + count); its step spread is 1.4826 × the
    median absolute log change of the complete part of the curve over the last `window` rows."""
    final = cut.final()  # (S, T): NaN where incomplete
    out = np.empty((paths.shape[0], steps, paths.shape[2]))
    for s in range(paths.shape[0]):
        curve = np.log1p(np.maximum(final[s][~np.isnan(final[s])][-window:], 0.0))
        changes = np.diff(curve)
        sd = 1.4826 * np.median(np.abs(changes - np.median(changes))) if changes.size > 2 else 0.2
        sd = max(sd, 0.02)
        start = np.log1p(np.maximum(paths[s, -1], 0.0))
        walk = start[None, :] + np.cumsum(rng.normal(0.0, sd, (steps, paths.shape[2])), axis=0)
        out[s] = np.round(np.expm1(walk))
    return out
