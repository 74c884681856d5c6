"""Per-member surveillance: the nowcast of the last days from the member's count history, Rt on
the nowcast-corrected curve, and 1–4-week forecasts from that curve.

One member is one backend task (`member_chunk`): its result carries the tables' rows, what the
spread and supply steps need (recent corrected cases, the latest Rt, weekly forecast medians),
its warnings, and — when a step fails — the step and the reason instead.
"""

from __future__ import annotations

import datetime
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from epicommons.errors import InputError
from epicommons.forecast.baseline import baseline_paths
from epicommons.forecast.renewal import RenewalSettings, renewal_forecast
from epicommons.surveillance.estimate import RT_MAX_CV, blank_vague
from epicommons.surveillance.nowcast import nowcast
from epicommons.surveillance.nowcast_rt import rt_with_nowcast
from epicommons.surveillance.options import RtOptions
from epicommons.surveillance.triangle import Triangle

from .options import AssessmentOptions

# what can go wrong in a member's numbers (bad or too little data); anything else is a bug
STEP_ERRORS = (InputError, ValueError, ArithmeticError, np.linalg.LinAlgError)
STEP_IDS = {"nowcast": 1, "rt": 2, "forecast": 3}  # the spread: stream (seed, run), paired
DOUBTFUL_WEEKLY_SHARE = 0.05  # a forecast week above 5% of the population is flagged
# the renewal model's log-linear fit is undefined on a few scattered cases (growth rates of
# ±1000%/day, overflowing draws): with fewer cases, or fewer days with a case (a share of its
# fit window: Sweden's four reporting days a week pass), the Forecast Hubs' baseline instead
SPARSE_CASES = 10
SPARSE_SHARE = 1 / 3


@dataclass
class MemberResult:
    """One member's rows per table, its summary for the later steps, warnings and failure."""

    location: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    recent: np.ndarray | None = None  # corrected daily cases of the last days, oldest first
    weekly_median: np.ndarray | None = None  # forecast medians per week
    warnings: list[dict[str, str]] = field(default_factory=list)
    failure: dict[str, str] | None = None


def member_seed(seed: int, member: str, step: str) -> int:
    """A member's own random stream for a step: the same whatever the order or the worker."""
    key = [seed, zlib.crc32(member.encode()), STEP_IDS[step]]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def member_chunk(shared: dict[str, Any], members: tuple[str, ...]) -> list[MemberResult]:
    """The surveillance steps of a few members (a backend task); failures stay per member."""
    return [
        surveil(
            m,
            shared["counts"].get(m),
            shared["as_of"],
            shared["options"],
            shared["population"].get(m),
        )
        for m in members
    ]


def surveil(
    member: str,
    counts: pd.DataFrame | None,
    as_of: datetime.date,
    options: AssessmentOptions,
    population: float | None,
) -> MemberResult:
    """Nowcast, Rt and forecast of one member; the first failing step ends it with its reason."""
    out = MemberResult(member)
    step = "nowcast"
    try:
        if counts is None or counts.empty:
            raise InputError(f"no counts reported by {member}", field="counts")
        tri = member_triangle(member, counts, as_of, options.max_delay)
        nc = nowcast(
            tri,
            np.datetime64(as_of, "D"),
            method=options.nowcast_method,
            max_delay=options.max_delay,
            n_paths=options.nowcast_paths,
            window=options.nowcast_window,
            seed=member_seed(options.seed, member, "nowcast"),
        )
        cut = tri.as_of(np.datetime64(as_of, "D")).up_to_delay(options.max_delay)
        dates, known = cut.dates, np.nan_to_num(cut.observed()[0])
        paths = nc.paths[0]  # (H, N): final counts of the last H days
        out.tables["nowcast"] = _nowcast_table(member, nc, options)
        out.tables["curve"] = _curve_table(member, dates, known, paths)
        corrected = known.copy()
        corrected[-paths.shape[0] :] = np.median(paths, axis=1)
        out.recent = corrected[-max(options.affected_days, 7) :]
        _stopped(out, dates, counts, as_of)
        step = "rt"
        rt = _rt(member, dates, known, nc, options)
        out.tables["rt"] = rt
        if not len(rt) or bool(rt["mean"].isna().iloc[-1]):
            out.warnings.append(
                {
                    "location": member,
                    "step": "rt",
                    "message": f"no Rt on the as-of date: posterior CV above {RT_MAX_CV} (too "
                    "few cases in the window, or a nowcast of very uncertain last days)",
                }
            )
        step = "forecast"
        if population is None:
            raise InputError(f"no population known for {member}", field="population")
        model, weekly, base = _forecast(member, dates, known, paths, options, population)
        if model == "baseline":
            out.warnings.append(
                {
                    "location": member,
                    "step": "forecast",
                    "message": f"fewer than {SPARSE_CASES} cases, or cases on fewer than a "
                    f"third of the last {RenewalSettings.fit_days} days: the Forecast Hubs' "
                    "baseline instead of the renewal model",
                }
            )
        parts = [_forecast_table(member, as_of, weekly, options, model, chosen=True)]
        if model != "baseline":  # the reference its track record is judged against
            parts.append(_forecast_table(member, as_of, base, options, "baseline", chosen=False))
        out.tables["forecast"] = pd.concat(parts, ignore_index=True)
        out.weekly_median = np.median(weekly, axis=0)
        for h in np.flatnonzero(out.weekly_median > DOUBTFUL_WEEKLY_SHARE * population):
            out.warnings.append(
                {
                    "location": member,
                    "step": "forecast",
                    "message": f"week {h + 1}: median forecast of {out.weekly_median[h]:,.0f} "
                    f"cases is above {DOUBTFUL_WEEKLY_SHARE:.0%} of the population "
                    f"({population:,.0f}); check the counts",
                }
            )
    except STEP_ERRORS as exc:
        out.failure = {"location": member, "step": step, "reason": str(exc)}
    return out


def member_triangle(
    member: str, counts: pd.DataFrame, as_of: datetime.date, max_delay: int
) -> Triangle:
    """The member's daily triangle from its long history, with delays 0 .. at least
    `max_delay` (the nowcast's target even when no report came that late): a reference day
    between the first and the as-of date with no report at all is a day with nothing reported."""
    ref = counts["reference_date"].to_numpy("datetime64[D]")
    rep = counts["report_date"].to_numpy("datetime64[D]")
    delay = (rep - ref).astype(int)
    first, last = ref.min(), np.datetime64(as_of, "D")
    if first > last:
        raise InputError(f"{member} has no reference date on or before {last}", field="counts")
    grid = np.arange(first, last + np.timedelta64(1, "D"))
    k_n = max(int(delay.max()), max_delay) + 1
    cells = np.zeros((grid.size, k_n))
    keep = ref <= last
    np.add.at(
        cells, ((ref[keep] - first).astype(int), delay[keep]), counts["count"].to_numpy()[keep]
    )
    known = (grid[:, None] + np.arange(k_n)[None, :].astype("timedelta64[D]")) <= last
    cells = np.where(known, cells, np.nan)
    return Triangle((member,), ("00+",), grid, np.arange(k_n), cells[None], unit="D", source=member)


def _nowcast_table(member: str, nc, options: AssessmentOptions) -> pd.DataFrame:
    table = nc.table(options.quantiles).drop(columns=["age_group"])
    table["location"] = member
    observed = dict(zip(nc.horizons.tolist(), nc.observed[0].tolist(), strict=True))
    table.insert(3, "observed", table["horizon"].map(observed))
    return table


def _curve_table(member: str, dates, known, paths) -> pd.DataFrame:
    """The corrected daily curve: counts as known, and the nowcast's 50% and 95% bands."""
    n = paths.shape[0]
    band = np.full((5, dates.size), np.nan)
    band[:, -n:] = np.quantile(paths, [0.025, 0.25, 0.5, 0.75, 0.975], axis=1)
    corrected = known.copy()
    corrected[-n:] = band[2, -n:]
    return pd.DataFrame(
        {
            "location": member,
            "date": dates,
            "known": known,
            "corrected": corrected,
            "q0.025": band[0],
            "q0.25": band[1],
            "q0.75": band[3],
            "q0.975": band[4],
        }
    )


def _stopped(out: MemberResult, dates, counts: pd.DataFrame, as_of: datetime.date) -> None:
    """A warning when the member's last report is a week or more before the as-of date."""
    last = counts["report_date"].max().date()
    if (as_of - last).days >= 7:
        out.warnings.append(
            {
                "location": out.location,
                "step": "nowcast",
                "message": f"no report since {last} ({(as_of - last).days} days before the "
                "as-of date): the nowcast extrapolates its delays",
            }
        )


def _rt(member, dates, known, nc, options: AssessmentOptions) -> pd.DataFrame:
    """Cori's Rt on each nowcast path, mixed; windows ending in the last `rt_days` days. A
    window whose posterior is mostly its prior (CV above `RT_MAX_CV`) has no estimate: NaN
    numbers and the reason in `note`, never the prior's mean."""
    cases = pd.DataFrame({"country": member, "date": dates, "cases": np.maximum(known, 0.0)})
    paths = nc.path_table()
    rt_options = RtOptions(si_mean=options.si_mean, si_sd=options.si_sd, window=options.rt_window)
    table = rt_with_nowcast(
        cases, paths, rt_options, seed=member_seed(options.seed, member, "rt")
    ).rename(columns={"country": "location"})
    table["location"] = member
    return blank_vague(table).reset_index(drop=True)


def _forecast(
    member, dates, known, paths, options: AssessmentOptions, population
) -> tuple[str, np.ndarray, np.ndarray]:
    """The model, its weekly sums `(samples, weeks)` and the Forecast Hubs' baseline on the
    corrected weekly sums (every member's reference, and its forecast when cases are sparse);
    otherwise the renewal forecaster's daily paths started from `forecast_paths`
    nowcast-corrected curves (so the nowcast's uncertainty is carried on)."""
    seed = member_seed(options.seed, member, "forecast")
    corrected = known.copy()
    corrected[-paths.shape[0] :] = np.median(paths, axis=1)
    full = corrected.size // 7
    weekly = corrected[corrected.size - 7 * full :].reshape(full, 7).sum(axis=1)
    base = baseline_paths(
        weekly, options.forecast_weeks, samples=options.forecast_samples, seed=seed
    )
    recent = corrected[-RenewalSettings.fit_days :]
    if recent.sum() < SPARSE_CASES or np.count_nonzero(recent > 0) < SPARSE_SHARE * recent.size:
        return "baseline", base, base
    picks = np.unique(np.linspace(0, paths.shape[1] - 1, options.forecast_paths).astype(int))
    settings = RenewalSettings(
        si_mean=options.si_mean,
        si_sd=options.si_sd,
        samples=max(options.forecast_samples // picks.size, 1),
    )
    days = 7 * options.forecast_weeks
    blocks = []
    for i, p in enumerate(picks):
        curve = known.copy()
        curve[-paths.shape[0] :] = paths[:, p]
        fc = renewal_forecast(
            dates,
            np.maximum(curve, 0.0),
            country=member,
            horizons=options.forecast_weeks,
            settings=settings,
            seed=seed + i,
            population=population,
        )
        blocks.append(fc.daily_paths[:, :days])
    daily = np.concatenate(blocks, axis=0)
    return "renewal", daily.reshape(daily.shape[0], options.forecast_weeks, 7).sum(axis=2), base


def _forecast_table(
    member, as_of, weekly: np.ndarray, options: AssessmentOptions, model: str, chosen: bool
) -> pd.DataFrame:
    """Quantiles of the weekly sums: week h is the 7 days ending `as_of` + 7h; `chosen`: the
    forecast the later steps use (else the baseline kept as the reference)."""
    levels = np.asarray(options.quantiles)
    q = np.quantile(weekly, levels, axis=0)  # (levels, weeks)
    weeks = np.arange(1, options.forecast_weeks + 1)
    ends = np.datetime64(as_of, "D") + 7 * weeks.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "location": member,
            "model": model,
            "chosen": chosen,
            "target_end_date": np.repeat(ends, levels.size),
            "horizon": np.repeat(weeks, levels.size),
            "quantile": np.tile(levels, weeks.size),
            "value": q.T.ravel(),
        }
    )
