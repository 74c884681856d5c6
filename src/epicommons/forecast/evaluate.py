"""Rolling-origin evaluation: at each forecast origin every model sees only the data up to it;
its weekly forecasts are scored against what was reported later (WIS and its parts, 50% and 90%
interval coverage), beside the Hub baseline computed the same way. One backend task per origin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from epicommons.backend import Backend, InProcess
from epicommons.errors import InputError
from epicommons.scoring import QUANTILES, covered, wis_components
from epicommons.world.population import has_population, population

from .baseline import baseline_forecast
from .ensemble import quantile_average
from .mechanistic import MechanisticSettings, mechanistic_forecast
from .renewal import RenewalSettings, renewal_forecast
from .result import Forecast
from .series import Observed
from .weeks import WeekKind, week_end_on_or_after, weekday

MODELS = ("baseline", "renewal", "ensemble", "mechanistic")
SCORE_COLUMNS = ["wis", "dispersion", "overprediction", "underprediction"]


@dataclass(frozen=True)
class EvaluationSpec:
    """What to forecast at each origin: the models (the baseline is always computed, it is the
    reference), weekly horizons, the kind of week, the renewal settings and the seed."""

    models: tuple[str, ...] = ("renewal",)
    horizons: int = 4
    week: WeekKind = "epi"
    renewal: RenewalSettings = field(default_factory=RenewalSettings)
    mechanistic: MechanisticSettings = field(default_factory=MechanisticSettings)
    levels: tuple[float, ...] = QUANTILES
    seed: int = 0
    baseline_samples: int = 100_000

    def __post_init__(self) -> None:
        for m in self.models:
            if m not in MODELS:
                raise InputError(
                    f"unknown model {m!r}; expected one of {', '.join(MODELS)}", field="--model"
                )


def forecast_origins(
    start: np.datetime64, end: np.datetime64, every_weeks: int, week: WeekKind = "epi"
) -> np.ndarray:
    """Week ends from the one on or after `start`, every `every_weeks` weeks, up to `end`."""
    if every_weeks < 1:
        raise InputError(
            f"expected an interval of at least 1 week, got {every_weeks}", field="--every"
        )
    first = week_end_on_or_after(np.datetime64(start, "D"), week)
    if first > np.datetime64(end, "D"):
        raise InputError(f"no week end between {start} and {end}", field="--to")
    n = int((np.datetime64(end, "D") - first).astype(int) // (7 * every_weeks)) + 1
    return first + (7 * every_weeks * np.arange(n)).astype("timedelta64[D]")


def check_origins(series: Sequence[Observed], origins: np.ndarray, spec: EvaluationSpec) -> None:
    """Refuse, before any work, origins after a series' last date or too early for a model."""
    for s in series:
        if (
            s.step_days == 7
            and s.dates.size
            and weekday(s.dates[-1:])[0] != weekday(origins[:1])[0]
        ):
            names = (
                "Mondays",
                "Tuesdays",
                "Wednesdays",
                "Thursdays",
                "Fridays",
                "Saturdays",
                "Sundays",
            )
            raise InputError(
                f"the weekly series' weeks end on {names[int(weekday(s.dates[-1:])[0])]}, the "
                f"origins on {names[int(weekday(origins[:1])[0])]}: choose --week "
                f"{'iso' if weekday(s.dates[-1:])[0] == 6 else 'epi'} (or dates that match)",
                field="--week",
            )
        if s.dates.size == 0 or origins[-1] > s.dates[-1]:
            last = s.dates[-1] if s.dates.size else "nothing"
            raise InputError(
                f"{s.country or 'the series'}: the data end on {last}, before the last "
                f"origin {origins[-1]}",
                field="--to",
            )
        if s.step_days == 1:
            need = max(14, spec.renewal.fit_days + 1 if spec.models else 0)
            if "mechanistic" in spec.models:
                need = max(need, spec.mechanistic.window)
        else:
            need = 7 * max(2, spec.renewal.fit_weeks + 1 if spec.models else 0)
        earliest = s.dates[0] + np.timedelta64(need - s.step_days, "D")
        if origins[0] < earliest:
            raise InputError(
                f"{s.country or 'the series'}: the data start on {s.dates[0]}; the first origin "
                f"must leave {need} days of data before it (on or after {earliest})",
                field="--from",
            )


def forecasts_at(series: Observed, origin: np.datetime64, spec: EvaluationSpec) -> list[Forecast]:
    """Every model's forecast of one series from one origin, the baseline first."""
    known = series.up_to(origin)
    if known.dates.size == 0 or known.dates[-1] < origin:
        last = "no data" if series.dates.size == 0 else f"data end on {series.dates[-1]}"
        raise InputError(
            f"{series.country or 'the series'}: {last}, before the forecast origin {origin}",
            field="date",
        )
    ends, weekly = known.weekly(spec.week)
    ends, weekly = ends[ends <= origin], weekly[ends <= origin]
    base = baseline_forecast(
        weekly,
        ends,
        country=series.country,
        horizons=spec.horizons,
        levels=spec.levels,
        samples=spec.baseline_samples,
        seed=spec.seed,
    )
    out = [base]
    if "renewal" in spec.models or "ensemble" in spec.models:
        renewal = renewal_forecast(
            known.dates,
            known.counts,
            country=series.country,
            step_days=known.step_days,
            horizons=spec.horizons,
            week=spec.week,
            levels=spec.levels,
            settings=spec.renewal,
            seed=spec.seed,
            population=population(series.country) if has_population(series.country) else None,
        )
        if "renewal" in spec.models:
            out.append(renewal)
        if "ensemble" in spec.models:
            out.append(quantile_average([renewal, base]))
    if "mechanistic" in spec.models:
        if known.step_days != 1:
            raise InputError(
                "the mechanistic model forecasts daily case series, not weekly ones",
                field="--model",
            )
        out.append(
            mechanistic_forecast(
                known.dates,
                known.counts,
                country=series.country,
                horizons=spec.horizons,
                week=spec.week,
                levels=spec.levels,
                settings=spec.mechanistic,
                seed=spec.seed,
            )[0]
        )
    return out


def score(fc: Forecast, truth_ends: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """One row per horizon with a reported truth: WIS and its parts, coverage, the quantiles."""
    pos = {d: i for i, d in enumerate(truth_ends.astype("datetime64[D]").tolist())}
    idx = np.array([pos.get(d, -1) for d in fc.week_ends.tolist()])
    have = idx >= 0
    y = np.where(have, truth[np.maximum(idx, 0)], np.nan)
    q = fc.quantile_dict()
    parts = wis_components(q, y)
    frame = pd.DataFrame(
        {
            "model": fc.model,
            "country": fc.country,
            "origin": pd.Timestamp(fc.origin),
            "horizon": np.arange(1, fc.horizons + 1),
            "target_end": fc.week_ends.astype("datetime64[ns]"),
            "observed": y,
            **{name: parts[name] for name in SCORE_COLUMNS[1:]},
        }
    )
    frame.insert(6, "wis", frame[SCORE_COLUMNS[1:]].sum(axis=1))
    frame["covered_50"] = covered(q, y, 0.5)
    frame["covered_90"] = covered(q, y, 0.9)
    for lv, values in q.items():
        frame[f"q{lv:g}"] = values
    return frame[have].reset_index(drop=True)


def evaluate_origin(
    shared: tuple[list[Observed], EvaluationSpec], origin: np.datetime64
) -> pd.DataFrame:
    """All models for all series at one origin, scored (the task run per origin)."""
    series, spec = shared
    rows = []
    for s in series:
        truth_ends, truth = s.weekly(spec.week)
        for fc in forecasts_at(s, origin, spec):
            rows.append(score(fc, truth_ends, truth))
    return pd.concat(rows, ignore_index=True)


def evaluate(
    series: Sequence[Observed],
    origins: np.ndarray,
    spec: EvaluationSpec,
    backend: Backend | None = None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Scores of every model, series, origin and horizon (one backend task per origin)."""
    backend = backend or InProcess()
    shared = backend.share((list(series), spec))
    parts = backend.map(evaluate_origin, shared, list(origins), on_done)
    return pd.concat(parts, ignore_index=True)


def recent_record(
    series: Sequence[Observed], origin: np.datetime64, spec: EvaluationSpec, origins: int = 8
) -> pd.DataFrame:
    """Each model's relative WIS over the last `origins` weekly origins whose targets were all
    reported by `origin`, computed from the data known at `origin` only (its own recent past)."""
    known = [s.up_to(origin) for s in series]
    last = np.datetime64(origin, "D") - np.timedelta64(7 * spec.horizons, "D")
    past = last - (7 * np.arange(origins)[::-1]).astype("timedelta64[D]")
    check_origins(known, past, spec)
    return relative_wis(evaluate(known, past, spec))


def relative_wis(scores: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Mean WIS of each model divided by the baseline's over the same targets, by `by`; with
    every model scored on the same targets this equals the Hubs' pairwise relative WIS."""
    keys = ["country", "origin", "horizon"]
    base = scores[scores["model"] == "baseline"][[*keys, "wis"]].rename(columns={"wis": "base"})
    joined = scores.merge(base, on=keys, how="inner")
    groups = ["model", *by]
    agg = joined.groupby(groups, sort=False).agg(
        wis=("wis", "mean"),
        baseline_wis=("base", "mean"),
        dispersion=("dispersion", "mean"),
        overprediction=("overprediction", "mean"),
        underprediction=("underprediction", "mean"),
        coverage_50=("covered_50", "mean"),
        coverage_90=("covered_90", "mean"),
        n=("wis", "size"),
    )
    agg.insert(0, "relative_wis", agg["wis"] / agg["baseline_wis"])
    return agg.reset_index()
