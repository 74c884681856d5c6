"""The COVID-19 Forecast Hub baseline (`COVIDhub-baseline`, `EuroCOVIDhub-baseline`), as the Hubs
computed it with `covidModels::fit_quantile_baseline` and `predict.quantile_baseline`
(github.com/reichlab/covidModels, R-package/R/quantile_baseline.R; used by the European Hub's
`EuroForecastHub::build_baseline` on every observed week; Cramer et al. 2022, PNAS
119:e2113561119; Sherratt et al. 2023, eLife 12:e81916):

- the first differences d of the weekly series (all past weeks), symmetrised: D = (d, -d);
- N equally spaced quantiles of D (probabilities 0, 1/(N-1), ..., 1; R's type 7) are the
  sampled differences s (N = 100,000 in the Hubs);
- horizon 1: last week + s, set to 0 where negative;
- horizon h > 1: the raw (uncorrected) samples of h - 1 plus a random permutation of s,
  shifted so that their median is the last week again, then set to 0 where negative;
- the forecast quantiles are type-7 quantiles of those samples.
So the median is the last observed week at every horizon and the spread grows with the horizon.
"""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError
from epicommons.scoring import QUANTILES

from .result import Forecast, quantiles_of

SAMPLES = 100_000  # as the Hubs


def baseline_paths(
    weekly: np.ndarray, horizons: int = 4, *, samples: int = SAMPLES, seed: int = 0
) -> np.ndarray:
    """`(samples, horizons)` baseline samples of the next weekly values (see the module text)."""
    x = np.asarray(weekly, dtype=float)
    x = x[np.isfinite(x)]
    diffs = np.diff(x)
    if diffs.size == 0:
        raise InputError(
            f"the baseline needs at least two observed weeks, got {x.size}", field="weeks"
        )
    spread = np.concatenate([diffs, -diffs])
    sampled = np.quantile(spread, np.linspace(0.0, 1.0, samples))
    last = x[-1]
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0xBA5E])))
    out = np.empty((samples, horizons))
    raw = last + sampled
    out[:, 0] = np.maximum(raw, 0.0)
    for h in range(1, horizons):
        sampled = gen.permutation(sampled)
        raw = raw + sampled
        out[:, h] = np.maximum(raw - (np.median(raw) - last), 0.0)
    return out


def baseline_forecast(
    weekly: np.ndarray,
    week_ends: np.ndarray,
    *,
    country: str = "",
    horizons: int = 4,
    levels: tuple[float, ...] = QUANTILES,
    samples: int = SAMPLES,
    seed: int = 0,
) -> Forecast:
    """The baseline forecast from a weekly series ending on its last week `week_ends[-1]`."""
    paths = baseline_paths(weekly, horizons, samples=samples, seed=seed)
    origin = np.datetime64(week_ends[-1], "D")
    ends = origin + 7 * np.arange(1, horizons + 1).astype("timedelta64[D]")
    return Forecast(
        model="baseline",
        country=country,
        origin=origin,
        week_ends=ends,
        weekly_quantiles=quantiles_of(paths, levels),
        levels=levels,
        weekly_paths=paths,
    )
