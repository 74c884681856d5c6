"""Members' Rt from their stored daily new cases, through `epicommons.surveillance.estimate_rt`."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from epicommons.errors import InputError
from epicommons.surveillance import estimate_rt
from epicommons.surveillance.estimate import blank_vague

MAX_DAYS = 3660


def daily_cases(rows: list[tuple[dt.date, float]]) -> tuple[pd.DataFrame, int]:
    """A gap-free daily series from (date, new_cases) pairs; missing days count as 0.

    Returns the table (columns date, cases) and how many days were filled in.
    """
    if not rows:
        raise InputError("no new_cases reported in this period", field="new_cases")
    first, last = min(d for d, _ in rows), max(d for d, _ in rows)
    n = (last - first).days + 1
    if n > MAX_DAYS:
        raise InputError(f"at most {MAX_DAYS} days at a time; narrow start/end", field="start")
    days = pd.date_range(first, last, freq="D")
    cases = pd.Series(0.0, index=days)
    cases.loc[pd.to_datetime([d for d, _ in rows])] = [v for _, v in rows]
    return pd.DataFrame({"date": days, "cases": cases.to_numpy()}), n - len(rows)


def member_rt(
    rows: list[tuple[dt.date, float]], *, si_mean: float, si_sd: float, window: int, method: str
) -> dict[str, Any]:
    """Rt per sliding window of a member's new cases (Cori by default), NaN as None; a window
    over a reporting stop, or with too few cases for more than the prior, is empty with the
    reason in `note` (`epicommons.surveillance`)."""
    table, filled = daily_cases(rows)
    if len(table) <= window:
        raise InputError(
            f"need more than {window} days of new_cases, have {len(table)}", field="window"
        )
    frame = blank_vague(
        estimate_rt(table, si_mean=si_mean, si_sd=si_sd, window=window, method=method)
    )

    def number(x: Any) -> float | None:
        x = float(x)
        return x if math.isfinite(x) else None

    return {
        "filled_days": filled,
        "estimates": [
            {
                "date_start": pd.Timestamp(r["date_start"]).date(),
                "date_end": pd.Timestamp(r["date_end"]).date(),
                "mean": number(r["mean"]),
                "std": number(r["std"]),
                "q025": number(r["q0.025"]),
                "median": number(r["q0.5"]),
                "q975": number(r["q0.975"]),
                "note": r["note"] if isinstance(r.get("note"), str) and r["note"] else None,
            }
            for r in frame.to_dict("records")
        ],
    }
