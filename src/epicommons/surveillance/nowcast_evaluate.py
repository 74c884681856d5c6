"""Backtests of a nowcast method: at every as-of date in a range, nowcast from what was known
then and score against what was reported later (WIS with its decomposition, 50%/95% coverage),
beside the no-correction baseline — the counts as they stood on the as-of date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from epicommons.errors import InputError
from epicommons.scoring import QUANTILES, covered, pit_coverage, wis_components

from .nowcast import DEFAULT_METHOD, default_max_delay, earliest_as_of, nowcast
from .triangle import Triangle

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from .nowcast_model import Settings

SCORE_COLUMNS = [
    "location",
    "age_group",
    "as_of",
    "target_end_date",
    "horizon",
    "model",
    "truth",
    "median",
    "wis",
    "dispersion",
    "underprediction",
    "overprediction",
    "covered_50",
    "covered_95",
    "pit_covered_50",
    "pit_covered_95",
]


@dataclass(frozen=True)
class Backtest:
    """Scores per (series, as-of date, horizon, model) and the as-of dates used."""

    scores: pd.DataFrame
    as_of: np.ndarray

    def summary(self) -> pd.DataFrame:
        """Per model and horizon: mean WIS and its parts, coverage (bounds in, and the PIT
        coverage of counts, `scoring.pit_coverage`), and WIS relative to the no-correction
        baseline (< 1: better than taking the counts as they stand)."""
        g = self.scores.groupby(["model", "horizon"])
        out = g[["wis", "dispersion", "underprediction", "overprediction"]].mean()
        coverage = ["covered_50", "covered_95", "pit_covered_50", "pit_covered_95"]
        out[coverage] = g[coverage].mean()
        out["n"] = g.size()
        base = out.xs("as known", level="model")["wis"]
        out["relative_wis"] = (
            out["wis"] / base.reindex(out.index.get_level_values("horizon")).to_numpy()
        )
        return out.reset_index()


def backtest(
    triangle: Triangle,
    start: str | np.datetime64,
    end: str | np.datetime64,
    *,
    method: str = DEFAULT_METHOD,
    max_delay: int | None = None,
    n_paths: int = 500,
    window: int | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> Backtest:
    """Nowcast at every reference date from `start` to `end` and score against later data."""
    import pandas as pd

    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")
    if last < first:
        raise InputError(f"--to {last} is before --from {first}", field="--to")
    dates = triangle.dates[(triangle.dates >= first) & (triangle.dates <= last)]
    if dates.size == 0:
        raise InputError(
            f"no reference date between {first} and {last} (the data run from "
            f"{triangle.dates[0]} to {triangle.dates[-1]})",
            field="--from",
        )
    k = default_max_delay(triangle) if max_delay is None else max_delay
    earliest = earliest_as_of(triangle, k, window, method, settings)
    if first < earliest:
        raise InputError(
            f"--from {first} leaves too little history; the first possible as-of date is "
            f"{earliest}",
            field="--from",
        )
    truth = triangle.up_to_delay(k).final()  # what was eventually reported by the maximum delay
    index = {d: i for i, d in enumerate(triangle.dates.tolist())}
    levels = QUANTILES
    rows: list[dict[str, object]] = []
    for as_of in dates:
        nc = nowcast(
            triangle,
            as_of,
            method=method,
            max_delay=k,
            n_paths=n_paths,
            window=window,
            seed=seed,
            settings=settings,
        )
        q = nc.quantiles(levels)
        for s in range(q.shape[0]):
            for h, target in enumerate(nc.dates):
                y = truth[s, index[target.tolist()]]
                if np.isnan(y):
                    continue  # not yet completely reported in this file
                known = nc.observed[s, h]
                for model, quant, samples in (
                    (method, {lv: q[s, h, i] for i, lv in enumerate(levels)}, nc.paths[s, h]),
                    ("as known", dict.fromkeys(levels, known), np.array([known])),
                ):
                    parts = wis_components(quant, y)
                    rows.append(
                        {
                            "location": nc.locations[s],
                            "age_group": nc.age_groups[s],
                            "as_of": as_of,
                            "target_end_date": target,
                            "horizon": int(nc.horizons[h]),
                            "model": model,
                            "truth": y,
                            "median": quant[0.5],
                            "wis": float(sum(parts.values())),
                            **{key: float(v) for key, v in parts.items()},
                            "covered_50": bool(covered(quant, y, 0.5)),
                            "covered_95": bool(covered(quant, y, 0.95)),
                            "pit_covered_50": float(pit_coverage(samples, y, 0.5)),
                            "pit_covered_95": float(pit_coverage(samples, y, 0.95)),
                        }
                    )
        if progress is not None:
            progress(1)
    return Backtest(pd.DataFrame(rows, columns=SCORE_COLUMNS), dates)
