"""Reporting triangles: counts by the date of the event (reference date) and by how long after
it they were reported (delay), one triangle per (location, age group).

A cell (reference date D, delay k) is known on day X when D + k·step ≤ X (step = 7 days for
weekly, 1 for daily data), so cutting a triangle at X (`Triangle.as_of`) gives exactly what was
known on X. Negative cells (revisions down) are kept; `fold_negatives` moves them into earlier
delays of the same row for the models that need counts ≥ 0, and the cleaning record says so.

Formats read by `read_triangle`:
- wide: `location, age_group, year, week, date, value_0w, value_1w, …` (also `value_-1w` and a
  last open column `value_>Nw`), or daily `value_0d, value_1d, …`;
- long: `reference_date, report_date, count` with optional `location`, `age_group`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from epicommons.errors import InputError

from .cleaning import CleaningReport

if TYPE_CHECKING:
    import pandas as pd

_WIDE = re.compile(r"value_(>?)(-?\d{1,4})([wd])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
STEP_DAYS = {"W": 7, "D": 1}
MAX_CELLS = 50_000_000  # (series × dates × delays): 400 MB of floats


@dataclass(frozen=True)
class Triangle:
    """Counts `(series, reference date, delay)`; NaN where not (yet) known or not reported.

    `delays` are consecutive whole numbers of steps (the first may be -1: reported before the
    week closed); `open_tail` says the last delay column holds everything reported later still
    (a `value_>Nw` column), which `final` leaves out.
    """

    locations: tuple[str, ...]
    age_groups: tuple[str, ...]
    dates: np.ndarray  # datetime64[D], (T,), on the grid of `unit`
    delays: np.ndarray  # int, (K,)
    counts: np.ndarray  # float, (S, T, K)
    unit: str = "W"
    open_tail: bool = False
    source: str | None = None
    report: CleaningReport = field(default_factory=CleaningReport)

    @property
    def step(self) -> int:
        """Days per step of the reference and delay grids."""
        return STEP_DAYS[self.unit]

    @property
    def keys(self) -> list[str]:
        """`location/age_group` of each series."""
        return [f"{loc}/{age}" for loc, age in zip(self.locations, self.age_groups, strict=True)]

    def known(self, as_of: np.datetime64) -> np.ndarray:
        """Which cells (T, K) were known on `as_of` (D + k·step ≤ as_of)."""
        when = self.dates[:, None] + (self.delays[None, :] * self.step).astype("timedelta64[D]")
        return when <= as_of

    def as_of(self, as_of: np.datetime64 | str) -> Triangle:
        """The triangle as known on `as_of`: later cells and reference dates after it are gone."""
        day = np.datetime64(as_of, "D")
        if day < self.dates[0]:
            raise InputError(
                f"as-of date {day} is before the data's first reference date {self.dates[0]}",
                source=self.source,
                field="--as-of",
            )
        rows = self.dates <= day
        counts = np.where(self.known(day)[None], self.counts, np.nan)[:, rows]
        return replace(self, dates=self.dates[rows], counts=counts)

    def up_to_delay(self, max_delay: int) -> Triangle:
        """Only delays ≤ `max_delay` (the target is what has been reported by then)."""
        if max_delay < self.delays[0]:
            raise InputError(
                f"expected --max-delay ≥ {self.delays[0]}, got {max_delay}", field="--max-delay"
            )
        keep = self.delays <= max_delay
        if self.open_tail:
            keep[-1] = False
        return replace(
            self, delays=self.delays[keep], counts=self.counts[:, :, keep], open_tail=False
        )

    def from_delay_zero(self) -> Triangle:
        """Cells reported before the period closed (delay -1) added to delay 0: both are known
        once the reference row is, so they are one observation (their split swings widely)."""
        if self.delays[0] >= 0:
            return self
        early = self.delays <= 0
        first = np.where(
            np.isnan(self.counts[:, :, early]).all(axis=2),
            np.nan,
            np.nansum(self.counts[:, :, early], axis=2),
        )
        counts = np.concatenate([first[:, :, None], self.counts[:, :, ~early]], axis=2)
        return replace(self, delays=np.concatenate([[0], self.delays[~early]]), counts=counts)

    def final(self) -> np.ndarray:
        """Sum over delays per (series, date) where every delay is known, else NaN."""
        counts = self.counts[:, :, :-1] if self.open_tail else self.counts
        return counts.sum(axis=2, where=~np.isnan(counts), initial=0.0) + np.where(
            np.isnan(counts).any(axis=2), np.nan, 0.0
        )

    def observed(self) -> np.ndarray:
        """Sum of the known cells per (series, date): the curve as it stands (NaN for a date
        with no report at all, e.g. before a series starts)."""
        counts = self.counts[:, :, :-1] if self.open_tail else self.counts
        return np.where(np.isnan(counts).all(axis=2), np.nan, np.nansum(counts, axis=2))

    def select(self, locations: Sequence[str] = (), age_groups: Sequence[str] = ()) -> Triangle:
        """The series of these locations and age groups (empty = all); unknown ones are errors."""
        for option, wanted, have in (
            ("--location", locations, self.locations),
            ("--age-group", age_groups, self.age_groups),
        ):
            missing = [w for w in wanted if w not in have]
            if missing:
                raise InputError(
                    f"unknown {option[2:].replace('-', ' ')} {missing[0]!r}; the file has "
                    f"{', '.join(sorted(set(have)))}",
                    source=self.source,
                    field=option,
                )
        pick = [
            i
            for i, (loc, age) in enumerate(zip(self.locations, self.age_groups, strict=True))
            if (not locations or loc in locations) and (not age_groups or age in age_groups)
        ]
        if not pick:
            raise InputError(
                "no series has both that location and that age group",
                source=self.source,
                field="--age-group",
            )
        return replace(
            self,
            locations=tuple(self.locations[i] for i in pick),
            age_groups=tuple(self.age_groups[i] for i in pick),
            counts=self.counts[pick],
        )


def fold_negatives(counts: np.ndarray) -> np.ndarray:
    """Move each negative cell into the other known cells of its row, the nearest earlier delays
    first (then later ones), so every cell is >= 0 and the row total is kept; a row whose total
    is negative ends at 0."""
    out = np.array(counts, dtype=float)
    flat = out.reshape(-1, out.shape[-1])
    for i in np.flatnonzero((np.nan_to_num(flat) < 0).any(axis=1)):
        row = flat[i]  # a view: changes land in `out`
        for k in np.flatnonzero(np.nan_to_num(row) < 0)[::-1]:
            debt = -row[k]
            row[k] = 0.0
            for j in [*range(k - 1, -1, -1), *range(k + 1, row.size)]:
                if debt <= 0:
                    break
                if row[j] > 0:  # NaN compares False: unknown cells are left alone
                    take = min(row[j], debt)
                    row[j] -= take
                    debt -= take
    return out


def read_triangle(path: str | PathLike[str]) -> Triangle:
    """Read a wide or long reporting-triangle CSV; errors name the file, row and column."""
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("triangle file not found", source=path) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read the triangle: {exc}", source=path) from None
    return triangle_from_frame(frame, path)


def triangle_from_frame(frame: pd.DataFrame, source: str | PathLike[str]) -> Triangle:
    """A wide or long triangle from a table of text cells (as `read_triangle` reads its file);
    errors name `source`, the row (line of the CSV it came from) and the column."""
    columns = list(frame.columns)
    path = Path(source)
    if {"reference_date", "report_date", "count"} <= set(columns):
        return _from_long(frame, path)
    if "date" in columns and any(_WIDE.fullmatch(c) for c in columns):
        return _from_wide(frame, path)
    raise InputError(
        "expected a wide triangle (date, value_0w, value_1w, …) or a long one "
        f"(reference_date, report_date, count); got columns {', '.join(columns[:8])}",
        source=path,
    )


def _numbers(values: np.ndarray, path: Path, column: str) -> np.ndarray:
    """Cells as floats: empty = not known (NaN); anything else not a whole number is an error."""
    text = np.char.strip(values.astype(str))
    out = np.full(text.shape, np.nan)
    filled = text != ""
    try:
        parsed = text[filled].astype(float)
    except ValueError:
        for i in np.flatnonzero(filled):
            try:
                float(text[i])
            except ValueError:
                raise InputError(
                    f"expected a whole number, got {text[i]!r}",
                    source=path,
                    line=int(i) + 2,
                    field=column,
                ) from None
        raise
    bad = ~np.isfinite(parsed) | (parsed != np.round(parsed))
    if bad.any():
        i = np.flatnonzero(filled)[np.flatnonzero(bad)[0]]
        raise InputError(
            f"expected a whole number, got {text[i]!r}", source=path, line=int(i) + 2, field=column
        )
    out[filled] = parsed
    return out


def _dates(values: np.ndarray, path: Path, column: str) -> np.ndarray:
    text = values.astype(str)
    for i, v in enumerate(text):  # NumPy would also read "" (NaT), "-1" or "1700000000" as dates
        if not _DATE.fullmatch(v):
            raise InputError(
                f"expected a date YYYY-MM-DD, got {v!r}", source=path, line=i + 2, field=column
            )
    try:
        return text.astype("datetime64[D]")
    except ValueError:
        for i, v in enumerate(text):
            try:
                np.datetime64(v, "D")
            except ValueError:
                raise InputError(
                    f"expected a date YYYY-MM-DD, got {v!r}", source=path, line=i + 2, field=column
                ) from None
        raise


def _from_wide(frame, path: Path) -> Triangle:
    columns = list(frame.columns)
    cells = [(c, _WIDE.fullmatch(c)) for c in columns]
    cells = [(c, m) for c, m in cells if m]
    units = {m.group(3) for _, m in cells}
    if len(units) != 1:
        raise InputError("delay columns mix weeks (w) and days (d)", source=path)
    unit = "W" if units.pop() == "w" else "D"
    delays = [int(m.group(2)) + (1 if m.group(1) else 0) for _, m in cells]
    tails = [m.group(1) == ">" for _, m in cells]
    if any(tails[:-1]):
        raise InputError("the open `value_>N` column must be the last delay column", source=path)
    if delays != list(range(delays[0], delays[0] + len(delays))):
        raise InputError(
            f"delay columns are not consecutive: {', '.join(c for c, _ in cells)}", source=path
        )
    location = frame["location"].to_numpy() if "location" in frame else np.full(len(frame), "")
    age = frame["age_group"].to_numpy() if "age_group" in frame else np.full(len(frame), "00+")
    dates = _dates(frame["date"].to_numpy(), path, "date")
    values = np.stack([_numbers(frame[c].to_numpy(), path, c) for c, _ in cells], axis=1)
    return _assemble(
        location, age, dates, values, np.array(delays), unit, tails[-1], path, lines=True
    )


def _from_long(frame, path: Path) -> Triangle:
    ref = _dates(frame["reference_date"].to_numpy(), path, "reference_date")
    rep = _dates(frame["report_date"].to_numpy(), path, "report_date")
    count = _numbers(frame["count"].to_numpy(), path, "count")
    lag = (rep - ref).astype(int)
    spacing = np.diff(np.unique(ref)).astype(int)
    unit = "W" if (lag % 7 == 0).all() and (spacing % 7 == 0).all() and len(spacing) else "D"
    step = STEP_DAYS[unit]
    delay = lag // step
    if (delay < -1).any():
        i = int(np.flatnonzero(delay < -1)[0])
        raise InputError(
            "report_date is before the reference period",
            source=path,
            line=i + 2,
            field="report_date",
        )
    location = frame["location"].to_numpy() if "location" in frame else np.full(len(frame), "")
    age = frame["age_group"].to_numpy() if "age_group" in frame else np.full(len(frame), "00+")
    keys = np.char.add(np.char.add(location.astype(str), "\x1f"), age.astype(str))
    delays = np.arange(delay.min(), delay.max() + 1)
    uniq_keys, key_idx = np.unique(keys, return_inverse=True)
    uniq_dates, date_idx = np.unique(ref, return_inverse=True)
    _check_size(len(uniq_keys), len(uniq_dates), len(delays), path)
    wide = np.full((len(uniq_keys) * len(uniq_dates), len(delays)), np.nan)
    row = key_idx * len(uniq_dates) + date_idx
    col = delay - delays[0]
    seen = np.zeros(wide.shape, dtype=bool)
    np.add.at(seen, (row, col), True)
    dup = np.zeros(wide.shape, dtype=int)
    np.add.at(dup, (row, col), 1)
    if (dup > 1).any():
        r, c = np.argwhere(dup > 1)[0]
        i = int(np.flatnonzero((row == r) & (col == c))[1])
        raise InputError("the same reference and report date appear twice", source=path, line=i + 2)
    wide[row, col] = count
    present = seen.any(axis=1)
    loc = np.array([k.split("\x1f")[0] for k in uniq_keys])[
        np.repeat(np.arange(len(uniq_keys)), len(uniq_dates))
    ]
    ages = np.array([k.split("\x1f")[1] for k in uniq_keys])[
        np.repeat(np.arange(len(uniq_keys)), len(uniq_dates))
    ]
    dates = np.tile(uniq_dates, len(uniq_keys))
    # a report date never given for a known reference date is a zero, not a gap
    wide = np.where(np.isnan(wide) & present[:, None], 0.0, wide)
    return _assemble(
        loc[present],
        ages[present],
        dates[present],
        wide[present],
        delays,
        unit,
        False,
        path,
        lines=False,
    )


def _check_size(series: int, dates: int, delays: int, path: Path) -> None:
    """Refuse a triangle too large to hold (dates or delays spanning centuries)."""
    if series * dates * delays > MAX_CELLS:
        raise InputError(
            f"the triangle would hold {series:,} series × {dates:,} reference dates × "
            f"{delays:,} delays, more than {MAX_CELLS:,} cells; check its dates",
            source=path,
        )


def _assemble(location, age, dates, values, delays, unit, open_tail, path, *, lines) -> Triangle:
    """Rows of (series, date, delays) → the (S, T, K) array on one date grid, gaps recorded."""
    step = STEP_DAYS[unit]
    if step == 7:
        weekday = (dates.astype(int) + 3) % 7  # Monday = 0
        if len(set(weekday.tolist())) > 1:
            i = int(np.flatnonzero(weekday != weekday[0])[0])
            raise InputError(
                "reference dates are not on one weekly grid (different weekdays)",
                source=path,
                line=i + 2 if lines else None,
                field="date" if lines else "reference_date",
            )
    keys = list(dict.fromkeys(zip(location.tolist(), age.tolist(), strict=True)))
    first, last = dates.min(), dates.max()
    _check_size(len(keys), (last - first).astype(int) // step + 1, len(delays), path)
    grid = np.arange(first, last + np.timedelta64(step, "D"), np.timedelta64(step, "D"))
    counts = np.full((len(keys), len(grid), len(delays)), np.nan)
    index = {k: i for i, k in enumerate(keys)}
    s = np.array([index[k] for k in zip(location.tolist(), age.tolist(), strict=True)])
    t = ((dates - first).astype(int) // step).astype(int)
    filled = np.zeros((len(keys), len(grid)), dtype=bool)
    for n, (si, ti) in enumerate(zip(s, t, strict=True)):
        if filled[si, ti]:
            raise InputError(
                f"{keys[si][0]}/{keys[si][1]} has the reference date {dates[n]} twice",
                source=path,
                line=n + 2 if lines else None,
            )
        filled[si, ti] = True
    counts[s, t] = values
    report = CleaningReport()
    for si, (loc, ag) in enumerate(keys):
        rows = np.flatnonzero(filled[si])
        for ti in np.flatnonzero(~filled[si, rows[0] : rows[-1] + 1]) + rows[0]:
            report.add(
                country=f"{loc}/{ag}",
                date=str(grid[ti]),
                field="triangle",
                issue="missing reference date",
                rule="left unknown",
            )
        negative = np.argwhere(counts[si] < 0)
        for ti, k in negative:
            report.add(
                country=f"{loc}/{ag}",
                date=str(grid[ti]),
                field=f"delay {int(delays[k])}",
                issue="negative cell (revision down)",
                rule="kept; folded into earlier delays for the model",
                original=float(counts[si, ti, k]),
            )
    return Triangle(
        tuple(k[0] for k in keys),
        tuple(k[1] for k in keys),
        grid,
        np.asarray(delays, dtype=int),
        counts,
        unit,
        bool(open_tail),
        str(path),
        report,
    )
