"""Cleaning rules for case series, and the report that records every change they make.

Rules (defaults first):
- negative counts: ``auto`` = ``zero`` for increments derived from cumulative totals (JHU), and
  ``error`` for daily counts a file states directly (a negative report is then bad input);
  ``zero`` sets the day to 0; ``backfill`` takes the deficit off the preceding days (a downward
  revision corrects earlier over-reporting), so the cumulative total is kept; ``error`` rejects
  the file.
- gaps (missing days between a series' first and last day, or empty count cells): ``zero`` fills
  them with 0 (what EpiEstim does with NA); ``error`` rejects the file.
- duplicated dates of one country: ``error`` (bad input); ``sum`` adds them; ``last`` keeps the
  last row.
- reporting gaps (``stop_days``, default 14): a series whose last ``stop_days`` or more days all
  report zero new cases after it had reported cases has *stopped reporting* from its first zero
  day (JHU repeats the last cumulative total once a source stops: Taiwan from 2023-02-23); a run
  of ``stop_days`` or more days missing from the file (filled by the gap rule) is a *reporting
  gap*. Both are recorded, and Rt, growth and doubling time leave every window that overlaps them
  empty, with the reason, instead of reading the silence as an epidemic ending. Zero runs inside
  a series are kept (weekly reporters have six zero days a week; small countries have none).
  ``stop_days = 0`` turns the rule off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from epicommons.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

NegativeRule = Literal["auto", "zero", "backfill", "error"]
GapRule = Literal["zero", "error"]
DuplicateRule = Literal["error", "sum", "last"]

NEGATIVE_RULES: tuple[str, ...] = ("auto", "zero", "backfill", "error")
GAP_RULES: tuple[str, ...] = ("zero", "error")
DUPLICATE_RULES: tuple[str, ...] = ("error", "sum", "last")

REPORT_COLUMNS = ["country", "date", "day", "field", "issue", "rule", "original", "new", "note"]
STOP_DAYS = 14
GapKind = Literal["stopped", "missing"]


@dataclass(frozen=True)
class ReportingGap:
    """Days `first`..`last` (1-based, inclusive) of one series that carry no report."""

    country: str
    first: int
    last: int
    kind: GapKind
    first_date: str | None = None

    @property
    def days(self) -> int:
        """Length of the gap in days."""
        return self.last - self.first + 1

    def reason(self) -> str:
        """Why a window overlapping the gap has no estimate, for the output's `note` column."""
        since = f"since {self.first_date}" if self.first_date else f"from day {self.first}"
        if self.kind == "stopped":
            return f"reporting stopped: no new cases reported {since} ({self.days} days)"
        return f"reporting gap: {self.days} days missing {since}"

    def overlaps(self, t_start: np.ndarray, t_end: np.ndarray) -> np.ndarray:
        """Which windows [t_start, t_end] (1-based) share a day with the gap."""
        return (t_start <= self.last) & (t_end >= self.first)


def find_reporting_gaps(
    counts: np.ndarray, missing: np.ndarray | None = None, *, stop_days: int = STOP_DAYS
) -> list[tuple[int, int, GapKind]]:
    """Reporting gaps of one daily series as (first, last, kind), 1-based days (see the module
    docstring): the trailing zero run after the last positive count, and runs of missing days,
    each when at least `stop_days` long. `missing` marks days absent from the source."""
    counts = np.asarray(counts, dtype=float)
    if stop_days <= 0 or counts.size == 0:
        return []
    gaps: list[tuple[int, int, GapKind]] = []
    positive = np.flatnonzero(counts > 0)
    end = counts.size  # days after `end` (1-based) belong to a trailing stop
    if positive.size and counts.size - 1 - positive[-1] >= stop_days:
        end = int(positive[-1]) + 1
    if missing is not None and np.any(missing[:end]):
        flags = np.concatenate([[False], np.asarray(missing[:end], dtype=bool), [False]])
        edges = np.flatnonzero(flags[1:] != flags[:-1])
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            if stop - first >= stop_days:
                gaps.append((int(first) + 1, int(stop), "missing"))
    if end < counts.size:
        gaps.append((end + 1, counts.size, "stopped"))
    return gaps


@dataclass(frozen=True)
class CleaningRules:
    """Which rule to apply to each kind of defect; see the module docstring."""

    negative: NegativeRule = "auto"
    gaps: GapRule = "zero"
    duplicates: DuplicateRule = "error"
    stop_days: int = STOP_DAYS

    def __post_init__(self) -> None:
        for name, allowed in (
            ("negative", NEGATIVE_RULES),
            ("gaps", GAP_RULES),
            ("duplicates", DUPLICATE_RULES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(
                    f"unknown rule {value!r}; expected one of {', '.join(allowed)}", field=name
                )
        if isinstance(self.stop_days, bool) or not isinstance(self.stop_days, int):
            raise InputError(
                f"expected a whole number of days, got {self.stop_days!r}", field="stop_days"
            )
        if self.stop_days < 0:
            raise InputError(
                f"expected 0 (off) or more days, got {self.stop_days}", field="stop_days"
            )

    def negative_rule(self, *, from_cumulative: bool) -> str:
        """The effective rule for negative counts: `auto` depends on where the counts came from."""
        if self.negative != "auto":
            return self.negative
        return "zero" if from_cumulative else "error"


@dataclass
class CleaningReport:
    """Every change made to the input, one entry per (series, day, field), with the rule applied."""

    entries: list[dict[str, object]] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)
    gaps: list[ReportingGap] = field(default_factory=list)

    def add(self, **entry: object) -> None:
        """Record one change (keys: see REPORT_COLUMNS)."""
        self.entries.append({key: entry.get(key) for key in REPORT_COLUMNS})

    def skip(
        self, name: str, reason: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        """Record an input row (e.g. a cruise ship) left out because it is not a country."""
        self.skipped.append({"name": name, "line": line, "reason": reason})
        where = f" (line {line})" if line else ""
        self.add(
            field=field, issue="not a country", rule="skip row", note=f"{name}{where}: {reason}"
        )

    def add_gap(self, gap: ReportingGap) -> None:
        """Record a reporting gap: kept for the estimators and listed as one entry."""
        self.gaps.append(gap)
        self.add(
            country=gap.country or None,
            date=gap.first_date,
            day=gap.first,
            field="cases",
            issue="reporting stopped" if gap.kind == "stopped" else "reporting gap",
            rule="no estimate",
            note=gap.reason(),
        )

    def gaps_by_series(self) -> dict[str, list[ReportingGap]]:
        """The reporting gaps of each series (country code, "" for an unnamed series)."""
        out: dict[str, list[ReportingGap]] = {}
        for gap in self.gaps:
            out.setdefault(gap.country, []).append(gap)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The changes as a table (REPORT_COLUMNS), in input order."""
        import pandas as pd

        return pd.DataFrame(self.entries, columns=REPORT_COLUMNS)

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of changed country-days per (field, issue); skipped rows are not counted."""
        out: dict[tuple[str, str], int] = {}
        for entry in self.entries:
            if entry["issue"] in ("not a country", "reporting stopped", "reporting gap"):
                continue
            key = (str(entry["field"]), str(entry["issue"]))
            out[key] = out.get(key, 0) + 1
        return out

    def summary(self) -> str:
        """A few lines for the terminal: counts per field and issue, reporting gaps, skipped rows."""
        lines = [f"{n} {issue} in {fld}" for (fld, issue), n in sorted(self.counts().items())]
        for kind, what in (("stopped", "stopped reporting"), ("missing", "have reporting gaps")):
            names = [g.country or "the series" for g in self.gaps if g.kind == kind]
            if names:
                shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                lines.append(f"{len(names)} series {what} (no Rt over those days): {shown}")
        if self.skipped:
            names = sorted({str(s["name"]) for s in self.skipped})
            lines.append(f"{len(self.skipped)} rows skipped (not countries): {', '.join(names)}")
        return "; ".join(lines) if lines else "no changes"


def daily_from_cumulative(cumulative: np.ndarray) -> np.ndarray:
    """First differences along the last axis; day 1 keeps its cumulative value."""
    cumulative = np.asarray(cumulative, dtype=float)
    return np.diff(cumulative, axis=-1, prepend=0.0)


def fix_negatives(daily: np.ndarray, rule: str) -> np.ndarray:
    """Apply `zero` or `backfill` to negative counts of (series, days) arrays; a new array.

    `backfill` walks back from the last day, carrying each deficit to earlier days until
    absorbed: totals are kept whenever the cumulative series never falls below 0.
    """
    daily = np.asarray(daily, dtype=float)
    if rule == "zero":
        return np.maximum(daily, 0.0)
    if rule == "backfill":
        out = np.empty_like(daily)
        deficit = np.zeros(daily.shape[:-1])
        for t in range(daily.shape[-1] - 1, -1, -1):
            value = daily[..., t] - deficit
            out[..., t] = np.maximum(value, 0.0)
            deficit = np.maximum(-value, 0.0)
        return out
    raise ValueError(f"not a fixing rule: {rule!r}")
