"""The tidy case table every reader produces, and its series as arrays for the estimators.

The table is held as NumPy columns: the estimators and `epicommons rt` never need pandas, whose
import alone costs a quarter of a second; `CaseData.table` builds the DataFrame on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from epicommons.errors import InputError

from .cleaning import STOP_DAYS, CleaningReport, ReportingGap, find_reporting_gaps

if TYPE_CHECKING:
    import pandas as pd

CASE_COLUMNS = ["country", "date", "day", "cases", "local", "imported", "deaths"]


@dataclass(frozen=True)
class Series:
    """One country's daily counts, day 1 first, no gaps; `dates` are datetime64[D] or None."""

    country: str
    dates: np.ndarray | None
    local: np.ndarray
    imported: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Local plus imported cases per day."""
        return self.local + self.imported

    @property
    def n_days(self) -> int:
        """Number of days T."""
        return int(self.local.size)


@dataclass(frozen=True)
class CaseData:
    """Daily new cases (and deaths) per country, one row per country-day, plus the cleaning report.

    `columns` maps each of CASE_COLUMNS to an array (see `make_table`): `country` (ISO3, or ""
    when the input names none), `date` (datetime64[D], NaT when the input has only day numbers),
    `day` (1-based), `cases` (= local + imported), `local` and `imported` (NaN unless the input
    separates them), `deaths` (NaN if absent).
    """

    columns: Mapping[str, np.ndarray]
    report: CleaningReport = field(default_factory=CleaningReport)
    source: str | None = None
    has_country: bool = True
    has_dates: bool = True
    has_local: bool = False

    @cached_property
    def table(self) -> pd.DataFrame:
        """The case table as a pandas DataFrame with CASE_COLUMNS (dates as datetime64[ns])."""
        import pandas as pd

        data = dict(self.columns)
        data["date"] = data["date"].astype("datetime64[ns]")
        return pd.DataFrame(data, columns=CASE_COLUMNS)

    def countries(self) -> list[str]:
        """Countries in table order (deduplicated)."""
        return list(dict.fromkeys(self.columns["country"].tolist()))

    @cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        """Row positions of each country, countries in table order (computed once: the reader's
        gap check and the estimator both walk the series)."""
        country = self.columns["country"]
        n = len(country)
        change = np.ones(n, dtype=bool)
        change[1:] = country[1:] != country[:-1]
        starts = np.flatnonzero(change)
        codes = [str(c) for c in country[starts].tolist()]
        if len(set(codes)) == len(codes):  # each country in one run, as the readers write them
            bounds = np.append(starts, n)
            return {c: np.arange(bounds[k], bounds[k + 1]) for k, c in enumerate(codes)}
        unique, first, inverse = np.unique(
            country.astype(str), return_index=True, return_inverse=True
        )
        rows = np.argsort(inverse, kind="stable")
        groups = np.split(rows, np.cumsum(np.bincount(inverse, minlength=unique.size))[:-1])
        return {str(unique[k]): groups[k] for k in np.argsort(first, kind="stable")}

    def select(self, countries: Sequence[str]) -> CaseData:
        """Keep only these countries (ISO3), in the order given; each must be present."""
        positions = self._rows
        for code in countries:
            if code not in positions:
                raise InputError(
                    f"country {code!r} is not in the input", source=self.source, field="country"
                )
        rows = np.concatenate([positions[code] for code in dict.fromkeys(countries)])
        kept = {name: values[rows] for name, values in self.columns.items()}
        return replace(self, columns=kept)

    def series(self) -> Iterator[Series]:
        """Each country's series as arrays (local/imported = all cases local when not given)."""
        columns = self.columns
        if self.has_local:
            local_all = columns["local"].astype(float)
            imported_all = columns["imported"].astype(float)
        else:
            local_all = columns["cases"].astype(float)
            imported_all = np.zeros_like(local_all)
        dates_all = columns["date"] if self.has_dates else None
        for country, positions in self._day_positions():
            dates = None if dates_all is None else dates_all[positions]
            yield Series(country, dates, local_all[positions], imported_all[positions])

    def _day_positions(self) -> Iterator[tuple[str, np.ndarray]]:
        """Each country's row positions in day order."""
        day = self.columns["day"]
        for country, positions in self._rows.items():
            if np.any(np.diff(day[positions]) < 0):
                positions = positions[np.argsort(day[positions], kind="stable")]
            yield country, positions

    def record_reporting_gaps(
        self, *, stop_days: int = STOP_DAYS, missing: np.ndarray | None = None
    ) -> list[ReportingGap]:
        """Find each series' reporting gaps (`cleaning.find_reporting_gaps`) and add them to the
        cleaning report, where the estimators read them. `missing` (one flag per table row)
        marks days absent from the source that a reader filled in. Readers call it once."""
        found = []
        cases, date = self.columns["cases"], self.columns["date"]
        for country, positions in self._day_positions():
            flags = None if missing is None else missing[positions]
            if cases[positions[-1]] > 0 and (flags is None or not flags.any()):
                continue  # still reporting on its last day, nothing missing: no gap
            for first, last, kind in find_reporting_gaps(
                cases[positions], flags, stop_days=stop_days
            ):
                when = str(date[positions[first - 1]]) if self.has_dates else None
                gap = ReportingGap(country, first, last, kind, when)
                self.report.add_gap(gap)
                found.append(gap)
        return found


def make_table(
    country: np.ndarray,
    day: np.ndarray,
    cases: np.ndarray,
    *,
    date: np.ndarray | None = None,
    local: np.ndarray | None = None,
    imported: np.ndarray | None = None,
    deaths: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Assemble the columns of a case table, every one of CASE_COLUMNS (missing ones NaN/NaT)."""
    n = len(day)
    nan = np.full(n, np.nan)
    return {
        "country": np.asarray(country, dtype=object),
        "date": (
            np.asarray(date).astype("datetime64[D]")
            if date is not None
            else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        ),
        "day": np.asarray(day, dtype=np.int64),
        "cases": np.asarray(cases, dtype=float),
        "local": nan if local is None else np.asarray(local, dtype=float),
        "imported": nan if imported is None else np.asarray(imported, dtype=float),
        "deaths": nan if deaths is None else np.asarray(deaths, dtype=float),
    }
