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


@dataclass(frozen=True)
class CleaningRules:
    """Which rule to apply to each kind of defect; see the module docstring."""

    negative: NegativeRule = "auto"
    gaps: GapRule = "zero"
    duplicates: DuplicateRule = "error"

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

    def to_frame(self) -> pd.DataFrame:
        """The changes as a table (REPORT_COLUMNS), in input order."""
        import pandas as pd

        return pd.DataFrame(self.entries, columns=REPORT_COLUMNS)

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of changed country-days per (field, issue); skipped rows are not counted."""
        out: dict[tuple[str, str], int] = {}
        for entry in self.entries:
            if entry["issue"] == "not a country":
                continue
            key = (str(entry["field"]), str(entry["issue"]))
            out[key] = out.get(key, 0) + 1
        return out

    def summary(self) -> str:
        """A few lines for the terminal: counts per field and issue, and skipped rows."""
        lines = [f"{n} {issue} in {fld}" for (fld, issue), n in sorted(self.counts().items())]
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
