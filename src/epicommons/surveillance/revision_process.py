"""A seeded revision process: what a member would have reported day by day, from its final daily
counts — a long reporting triangle (location, reference_date, report_date, count) with delays,
weekend effects and occasional corrections — for tests, benchmarks and the hub's end-to-end test.

For each location (its own stream: `SeedSequence([seed, crc32(location)])`) and reference day D
with final count c:
1. c is split over delays 0..K by a multinomial draw with `delay_pmf` (default, illustrative:
   30% the same day, 25% the next, 80% within 3 days, a tail to 10 days; mean 2.0 days);
2. a cell whose report day falls on a day that reports less (`report_probability` per weekday,
   default Saturday 0.6, Sunday 0.4, weekdays 1) moves to the next day with probability
   1 − that, at most `max_slip` times (the weekend dip and the Monday catch-up);
3. with probability `correction_rate` a day is first over-reported (a duplicate batch: + a share
   `U(correction_low, correction_high)` of c, at least 1, on the first report) and corrected
   down `correction_delay` days later (a revision down, a negative cell).
The final total of every day is exactly c: sum over report dates of the triangle = final counts.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from epicommons.errors import InputError

from .cases import CaseData

DELAY_PMF = (0.30, 0.25, 0.15, 0.10, 0.07, 0.05, 0.03, 0.02, 0.015, 0.01, 0.005)
REPORT_PROBABILITY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.4)  # Monday .. Sunday


@dataclass(frozen=True)
class RevisionProcess:
    """The parameters of the process (see the module text)."""

    delay_pmf: tuple[float, ...] = DELAY_PMF
    report_probability: tuple[float, ...] = REPORT_PROBABILITY
    max_slip: int = 2
    correction_rate: float = 0.03
    correction_low: float = 0.1
    correction_high: float = 0.5
    correction_delay: tuple[int, int] = (3, 12)  # days after the reference day, inclusive

    def max_delay(self) -> int:
        """The longest delay the process can produce, in days."""
        return max(len(self.delay_pmf) - 1 + self.max_slip, self.correction_delay[1])


def simulate_reports(
    final: pd.DataFrame, seed: int = 0, process: RevisionProcess = RevisionProcess()
) -> pd.DataFrame:
    """The long triangle of `final` (location, date, count: whole numbers >= 0) as reported."""
    pmf = np.asarray(process.delay_pmf, dtype=float)
    if pmf.ndim != 1 or (pmf < 0).any() or not np.isclose(pmf.sum(), 1.0):
        raise InputError("expected a delay pmf of shares >= 0 summing to 1", field="delay_pmf")
    for column in ("location", "date", "count"):
        if column not in final:
            raise InputError(f"expected a column {column!r}", field=column)
    counts = final["count"].to_numpy(float)
    if (~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))).any():
        raise InputError("expected final counts that are whole numbers >= 0", field="count")
    frames = []
    for location, group in final.groupby("location", sort=True):
        gen = np.random.default_rng(
            np.random.SeedSequence([seed, zlib.crc32(str(location).encode())])
        )
        days = pd.to_datetime(group["date"]).to_numpy("datetime64[D]")
        frames.append(
            _one(str(location), days, group["count"].to_numpy(np.int64), pmf, process, gen)
        )
    if not frames:
        return pd.DataFrame(columns=["location", "reference_date", "report_date", "count"])
    out = pd.concat(frames, ignore_index=True)
    out = out.groupby(["location", "reference_date", "report_date"], as_index=False)["count"].sum()
    return out.sort_values(["location", "reference_date", "report_date"]).reset_index(drop=True)


def _one(location, days, counts, pmf, process: RevisionProcess, gen) -> pd.DataFrame:
    """One location's cells (unsorted, possibly several per reference and report date)."""
    split = gen.multinomial(counts, pmf)  # (T, K)
    t_n, k_n = split.shape
    report = days[:, None] + np.arange(k_n)[None, :].astype("timedelta64[D]")
    p = np.asarray(process.report_probability)
    for _ in range(process.max_slip):
        weekday = (report.astype(np.int64) + 3) % 7
        slip = gen.random(report.shape) > p[weekday]
        report = report + slip.astype("timedelta64[D]")
    ref = np.repeat(days[:, None], k_n, axis=1)
    value = split.astype(np.int64)
    first = np.zeros((t_n, k_n), dtype=bool)
    first[:, 0] = True  # a day's first report is kept even when it is 0 ("nothing today")
    rows = [(ref.ravel(), report.ravel(), value.ravel(), first.ravel())]
    fix = gen.random(t_n) < process.correction_rate
    if fix.any():
        lo, hi = process.correction_delay
        extra = np.maximum(
            1,
            np.round(
                counts[fix]
                * gen.uniform(process.correction_low, process.correction_high, fix.sum())
            ),
        ).astype(np.int64)
        later = days[fix] + gen.integers(lo, hi + 1, fix.sum()).astype("timedelta64[D]")
        none = np.zeros(extra.size, dtype=bool)
        rows.append((days[fix], days[fix], extra, none))
        rows.append((days[fix], later, -extra, none))
    ref_all, rep_all, val_all, kept = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    keep = (val_all != 0) | kept
    return pd.DataFrame(
        {
            "location": location,
            "reference_date": ref_all[keep],
            "report_date": rep_all[keep],
            "count": val_all[keep],
        }
    )


def final_counts(cases: CaseData, members: Sequence[str], start, end) -> pd.DataFrame:
    """The daily counts (location, date, count) of these members from `start` to `end`, from a
    case table (e.g. `read_jhu`: negative increments already set to 0 and recorded)."""
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    by_country = {s.country: s for s in cases.series()}
    frames = []
    for member in members:
        if member not in by_country:
            raise InputError(f"no series for {member!r} in the case data", field="members")
        s = by_country[member]
        keep = (s.dates >= lo) & (s.dates <= hi)
        frames.append(
            pd.DataFrame(
                {"location": member, "date": s.dates[keep], "count": np.asarray(s.total)[keep]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def as_known(triangle: pd.DataFrame, as_of) -> pd.DataFrame:
    """The rows reported on or before `as_of` (what the member had reported by then)."""
    day = np.datetime64(as_of, "D")
    return triangle[triangle["report_date"].to_numpy("datetime64[D]") <= day].reset_index(drop=True)
