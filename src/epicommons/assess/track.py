"""The forecasts' track record: every earlier assessment's weekly forecasts whose target week has
ended by this assessment's as-of date, scored against the weekly counts as known on that date.

The counts are revised, so a later assessment rescores the same forecasts on the counts as it
knows them; each assessment's scores follow from its own inputs alone. Per earlier as-of date,
member, model and horizon: WIS with its dispersion, overprediction and underprediction
(Bracher et al. 2021, `epicommons.scoring`), the absolute error of the median, and whether the
central 50% and 90% intervals hold the count. A target week is the 7 days ending its
`target_end_date`; it is scored once that date is on or before the as-of date and all its days
lie in the member's history (its latest days may still grow with late reports).

`summary` aggregates the scores of each model over the targets the Forecast Hubs' baseline also
forecast; the relative WIS is the ratio of the two mean WIS there (`forecast.evaluate.relative_wis`).
With two models (the assessment's and the baseline) that is exactly the Hubs' pairwise relative
WIS (the geometric mean of pairwise ratios, Cramer et al. 2022, reduces to the one ratio).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from epicommons.errors import InputError
from epicommons.forecast.evaluate import relative_wis
from epicommons.scoring import covered, wis_components

PAST_COLUMNS = ("as_of", "location", "model", "target_end_date", "horizon", "quantile", "value")
TARGET = ["as_of", "location", "model", "horizon", "target_end_date"]
PARTS = ["dispersion", "overprediction", "underprediction"]
SCORE_COLUMNS = [*TARGET, "observed", "wis", *PARTS, "abs_error", "covered_50", "covered_90"]
BASELINE = "baseline"
WEEK = 7


def checked_past(past: pd.DataFrame, as_of: datetime.date) -> pd.DataFrame:
    """Earlier forecasts typed and sorted (one canonical order, for the stamp); an InputError
    names the first bad row, an assessment's forecasts without a median, a forecast given
    twice, or an as-of date not before `as_of`."""
    missing = [c for c in PAST_COLUMNS if c not in past.columns]
    if missing:
        raise InputError(
            f"expected columns {', '.join(PAST_COLUMNS)}; missing {', '.join(missing)}",
            source="past forecasts",
        )
    out = past.loc[:, list(PAST_COLUMNS)].reset_index(drop=True)
    for name in ("as_of", "target_end_date"):
        out[name] = _column(out, name, pd.to_datetime(out[name], errors="coerce").dt.normalize())
    for name in ("horizon", "quantile", "value"):
        out[name] = _column(out, name, pd.to_numeric(out[name], errors="coerce"))
    out["horizon"] = out["horizon"].astype(int)
    out["location"] = out["location"].astype(str)
    out["model"] = out["model"].astype(str)
    late = out["as_of"] >= pd.Timestamp(as_of)
    if late.any():
        day = out.loc[late, "as_of"].iloc[0].date()
        raise InputError(
            f"a forecast made as of {day}, not before this assessment's as-of date {as_of}",
            source="past forecasts",
            field="as_of",
        )
    median = set(out.loc[(out["quantile"] - 0.5).abs() < 1e-9, "as_of"])
    if set(out["as_of"]) - median:
        day = min(set(out["as_of"]) - median).date()
        raise InputError(
            f"the forecasts made as of {day} have no median (quantile 0.5)",
            source="past forecasts",
            field="quantile",
        )
    out.loc[(out["quantile"] - 0.5).abs() < 1e-9, "quantile"] = 0.5  # the key WIS looks up
    twice = out.duplicated(["as_of", "location", "model", "target_end_date", "quantile"])
    if twice.any():
        row = out[twice].iloc[0]
        raise InputError(
            f"the forecast of {row['location']} by {row['model']} as of {row['as_of'].date()} "
            f"for {row['target_end_date'].date()} is given twice",
            source="past forecasts",
        )
    keys = ["as_of", "location", "model", "horizon", "quantile"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str, parsed: pd.Series) -> pd.Series:
    """A parsed column, or an InputError naming the first value that did not parse."""
    bad = parsed.isna().to_numpy()
    if name in ("horizon", "quantile", "value"):
        bad |= ~np.isfinite(parsed.to_numpy(float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"expected a {'date' if name in ('as_of', 'target_end_date') else 'number'}, "
            f"got {frame[name].iloc[i]!r}",
            source="past forecasts",
            line=i + 2,
            field=name,
        )
    return parsed


def known_weeks(counts: pd.DataFrame, as_of: datetime.date) -> pd.DataFrame:
    """Each member's 7-day sums as known on `as_of` (location, target_end_date, observed),
    for every week inside its history; a day with no report is a day with nothing reported."""
    frames = []
    day = pd.Timestamp(as_of)
    daily = counts.groupby(["location", "reference_date"])["count"].sum()
    for member, series in daily.groupby(level="location"):
        values = series.droplevel("location")
        days = pd.date_range(values.index.min(), day, freq="D")
        sums = values.reindex(days, fill_value=0.0).rolling(WEEK).sum().dropna()
        frames.append(
            pd.DataFrame({"location": member, "target_end_date": sums.index, "observed": sums})
        )
    if not frames:
        return pd.DataFrame(columns=["location", "target_end_date", "observed"])
    return pd.concat(frames, ignore_index=True)


def score_forecasts(
    past: pd.DataFrame, counts: pd.DataFrame, as_of: datetime.date, members: Iterable[str]
) -> pd.DataFrame:
    """Scores of every earlier forecast (`checked_past`) of a member in `members` whose target
    week is complete in `counts` (the checked long triangle, all reported by `as_of`)."""
    wanted = set(members)
    past = past[past["location"].isin(wanted) & (past["target_end_date"] <= pd.Timestamp(as_of))]
    truth = known_weeks(counts[counts["location"].isin(wanted)], as_of)
    parts = [_scored(group, truth) for _, group in past.groupby("as_of", sort=True)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return no_scores()
    out = pd.concat(parts, ignore_index=True)
    for name in ("as_of", "target_end_date"):
        out[name] = out[name].dt.date
    return out[SCORE_COLUMNS]


def _scored(forecasts: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """One earlier assessment's forecasts scored (its own quantile levels)."""
    wide = forecasts.pivot(index=TARGET, columns="quantile", values="value").reset_index()
    wide = wide.merge(truth, on=["location", "target_end_date"], how="inner")
    if wide.empty:
        return wide
    levels = [c for c in wide.columns if isinstance(c, float)]
    q = {lv: wide[lv].to_numpy(float) for lv in levels}
    alphas = tuple(2 * lv for lv in levels if lv < 0.5 and _has(levels, 1 - lv))
    y = wide["observed"].to_numpy(float)
    parts = wis_components(q, y, alphas)
    out = wide[[*TARGET, "observed"]].copy()
    for name in PARTS:
        out[name] = parts[name]
    out["wis"] = out[PARTS].sum(axis=1)
    out["abs_error"] = np.abs(y - q[0.5])
    for level in (50, 90):
        lo = (1 - level / 100) / 2
        out[f"covered_{level}"] = (
            covered(q, y, level / 100)
            if _has(levels, lo) and _has(levels, 1 - lo)
            else np.full(y.size, np.nan)
        )
    return out


def _has(levels: Sequence[float], level: float) -> bool:
    return any(abs(lv - level) < 1e-9 for lv in levels)


def no_scores() -> pd.DataFrame:
    """The scores table with no row (no earlier forecast given)."""
    return pd.DataFrame({c: [] for c in SCORE_COLUMNS})


SUMMARY_COLUMNS = [
    "relative_wis",
    "wis",
    "baseline_wis",
    *PARTS,
    "abs_error",
    "coverage_50",
    "coverage_90",
    "n",
    "members",
]


def summary(scores: pd.DataFrame, by: Sequence[str] = ("horizon",)) -> pd.DataFrame:
    """Each model's mean scores by `by` over the targets the baseline also forecast, its
    relative WIS, the number of forecasts scored and the members they cover (comma-joined)."""
    if scores.empty:
        return pd.DataFrame(columns=["model", *by, *SUMMARY_COLUMNS])
    frame = pd.DataFrame(scores).copy()
    frame["covered_50"] = frame["covered_50"].astype(float)
    frame["covered_90"] = frame["covered_90"].astype(float)
    keys = ["location", "as_of", "horizon", "target_end_date"]
    base = frame.loc[frame["model"] == BASELINE, keys].drop_duplicates()
    matched = frame.merge(base, on=keys, how="inner")
    if matched.empty:
        return pd.DataFrame(columns=["model", *by, *SUMMARY_COLUMNS])
    names = {"location": "country", "as_of": "origin"}
    renamed = [names.get(b, b) for b in by]
    table = relative_wis(matched.rename(columns=names), renamed)
    groups = ["model", *by]
    extra = matched.groupby(groups, sort=False).agg(
        abs_error=("abs_error", "mean"),
        members=("location", lambda s: ",".join(sorted(set(s)))),
    )
    table = table.rename(columns={v: k for k, v in names.items()})
    out = table.merge(extra.reset_index(), on=groups, how="left")
    out["last"] = out["model"] == BASELINE  # the reference after the models it judges
    out = out.sort_values([*by, "last", "model"], kind="stable")
    return out[["model", *by, *SUMMARY_COLUMNS]].reset_index(drop=True)
