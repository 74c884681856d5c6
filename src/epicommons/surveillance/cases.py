"""The tidy case table every reader produces, and its series as arrays for the estimators."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from epicommons.errors import InputError

from .cleaning import CleaningReport

CASE_COLUMNS = ["country", "date", "day", "cases", "local", "imported", "deaths"]


@dataclass(frozen=True)
class Series:
    """One country's daily counts, day 1 first, no gaps."""

    country: str
    dates: pd.DatetimeIndex | None
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

    `table` has CASE_COLUMNS: `country` (ISO3, or "" when the input names none), `date`
    (NaT when the input has only day numbers), `day` (1-based), `cases` (= local + imported),
    `local` and `imported` (NaN unless the input separates them), `deaths` (NaN if absent).
    """

    table: pd.DataFrame
    report: CleaningReport = field(default_factory=CleaningReport)
    source: str | None = None
    has_country: bool = True
    has_dates: bool = True
    has_local: bool = False

    def countries(self) -> list[str]:
        """Countries in table order (deduplicated)."""
        return list(dict.fromkeys(self.table["country"]))

    def select(self, countries: Sequence[str]) -> CaseData:
        """Keep only these countries (ISO3), in the order given; each must be present."""
        present = set(self.table["country"])
        for code in countries:
            if code not in present:
                raise InputError(
                    f"country {code!r} is not in the input", source=self.source, field="country"
                )
        by_country = dict(tuple(self.table.groupby("country", sort=False)))
        kept = pd.concat([by_country[code] for code in dict.fromkeys(countries)])
        return replace(self, table=kept.reset_index(drop=True))

    def series(self) -> Iterator[Series]:
        """Each country's series as arrays (local/imported = all cases local when not given)."""
        table = self.table
        day = table["day"].to_numpy()
        if self.has_local:
            local_all = table["local"].to_numpy(float)
            imported_all = table["imported"].to_numpy(float)
        else:
            local_all = table["cases"].to_numpy(float)
            imported_all = np.zeros_like(local_all)
        dates_all = table["date"].to_numpy() if self.has_dates else None
        for country, positions in table.groupby("country", sort=False).indices.items():
            positions = positions[np.argsort(day[positions], kind="stable")]
            dates = None if dates_all is None else pd.DatetimeIndex(dates_all[positions])
            yield Series(str(country), dates, local_all[positions], imported_all[positions])


def make_table(
    country: np.ndarray,
    day: np.ndarray,
    cases: np.ndarray,
    *,
    date: np.ndarray | None = None,
    local: np.ndarray | None = None,
    imported: np.ndarray | None = None,
    deaths: np.ndarray | None = None,
) -> pd.DataFrame:
    """Assemble a case table with every column of CASE_COLUMNS (missing ones NaN/NaT)."""
    n = len(day)
    nan = np.full(n, np.nan)
    return pd.DataFrame(
        {
            "country": np.asarray(country, dtype=object),
            "date": pd.to_datetime(date) if date is not None else pd.NaT,
            "day": np.asarray(day, dtype=np.int64),
            "cases": np.asarray(cases, dtype=float),
            "local": nan if local is None else np.asarray(local, dtype=float),
            "imported": nan if imported is None else np.asarray(imported, dtype=float),
            "deaths": nan if deaths is None else np.asarray(deaths, dtype=float),
        },
        columns=CASE_COLUMNS,
    )
