"""Reader of weekly count series in long CSV form (`date` = the last day of the week, `value`;
optional `location` and `age_group` columns, as RESPINOW's latest-data files have), one
`Observed` per location. Bad input names the file, line and field."""

from __future__ import annotations

import csv
from os import PathLike

import numpy as np

from epicommons.errors import InputError
from epicommons.world.countries import registry

from .series import Observed

REQUIRED = ("date", "value")


def is_weekly_file(path: str | PathLike[str]) -> bool:
    """A weekly long file has `date` and `value` columns and no daily `cases` column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return False  # not ours to judge: the daily readers say what is wrong with the file
    return all(c in header for c in REQUIRED) and "cases" not in header


def read_weekly(path: str | PathLike[str], age_group: str = "00+") -> list[Observed]:
    """Each location's weekly series (rows of `age_group` when the file has that column);
    weeks must be 7 days apart with none missing."""
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InputError(f"missing column(s) {', '.join(missing)}", source=source, line=1)
            rows = list(reader)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=source) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"not a readable CSV file: {exc}", source=source) from exc
    by_place: dict[str, list[tuple[np.datetime64, float, int]]] = {}
    names: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if "age_group" in header and row["age_group"].strip() != age_group:
            continue
        place = row.get("location", "").strip()
        if place not in names:
            names[place] = (
                registry().resolve(place, source=source, line=line, field="location")
                if place
                else ""
            )
        try:
            date = np.datetime64(row["date"].strip(), "D")
        except ValueError:
            raise InputError(
                f"expected a date YYYY-MM-DD, got {row['date']!r}",
                source=source,
                line=line,
                field="date",
            ) from None
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise InputError(
                f"expected a number, got {row['value']!r}", source=source, line=line, field="value"
            ) from None
        if not np.isfinite(value) or value < 0:
            raise InputError(
                f"expected a count >= 0, got {row['value']!r}",
                source=source,
                line=line,
                field="value",
            )
        by_place.setdefault(names[place], []).append((date, value, line))
    if not by_place:
        raise InputError(f"no rows for age group {age_group!r}", source=source, field="age_group")
    out = []
    for code, items in by_place.items():
        items.sort(key=lambda item: item[0])
        dates = np.array([d for d, _, _ in items], dtype="datetime64[D]")
        steps = np.diff(dates).astype(np.int64)
        if np.any(steps != 7):
            k = int(np.flatnonzero(steps != 7)[0]) + 1
            raise InputError(
                f"expected weeks 7 days apart, got {dates[k - 1]} then {dates[k]}",
                source=source,
                line=items[k][2],
                field="date",
            )
        out.append(Observed(code, dates, np.array([v for _, v, _ in items]), step_days=7))
    return out
