"""Long case files (OWID-style and tidy CSV) into the case table, cleaning as they go.

Shared path: duplicated dates, gaps and negative counts are handled by the chosen rules and every
change is recorded in the cleaning report; countries are resolved through the world registry.
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from epicommons.errors import InputError, NotACountryError
from epicommons.world.countries import registry

from .cases import CaseData, make_table
from .cleaning import CleaningReport, CleaningRules, fix_negatives
from .csvio import dates, numbers, read_csv


def _resolve_countries(
    values: pd.Series, *, source: str, field: str, lines: np.ndarray, report: CleaningReport
) -> np.ndarray:
    """ISO3 per row (None for rows that are not countries, which are reported as skipped)."""
    countries = registry()
    resolved: dict[str, str | None] = {}
    out = np.empty(len(values), dtype=object)
    for i, name in enumerate(values.astype(str).str.strip()):
        if name not in resolved:
            if name.upper().startswith("OWID_") and name.upper() != "OWID_KOS":
                resolved[name] = None
                report.skip(
                    name, "an OWID aggregate of several countries", line=int(lines[i]), field=field
                )
            else:
                lookup = "Kosovo" if name.upper() == "OWID_KOS" else name
                try:
                    resolved[name] = countries.resolve(
                        lookup, source=source, line=int(lines[i]), field=field
                    )
                except NotACountryError as exc:
                    resolved[name] = None
                    report.skip(name, exc.what, line=int(lines[i]), field=field)
        out[i] = resolved[name]
    return out


def _from_long(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    source: str,
    rules: CleaningRules,
    report: CleaningReport,
    has_country: bool,
    has_dates: bool,
) -> CaseData:
    """Shared path of long formats: duplicates, gaps, negatives. `frame` has country, date or
    day, line and count columns named as in the file (floats, NaN = empty); `columns` maps the
    table's count names (cases or local + imported, deaths) to them."""
    counts = list(columns.values())
    key = "date" if has_dates else "day"
    frame = frame.sort_values(["country", key, "line"], kind="stable").reset_index(drop=True)
    frame = _duplicates(frame, counts, key, source=source, rules=rules, report=report)
    if has_dates and "day" in frame:
        _check_days(frame, source)
    pieces = []
    for country, group in frame.groupby("country", sort=False):
        pieces.append(
            _fill_gaps(group, str(country), counts, key, source=source, rules=rules, report=report)
        )
    frame = pd.concat(pieces, ignore_index=True)
    rule = rules.negative_rule(from_cumulative=False)
    for field in counts:
        frame[field] = _negatives_in_column(frame, field, rule, source=source, report=report)
    has_local = "local" in columns

    def column(name: str) -> np.ndarray | None:
        return frame[columns[name]].to_numpy() if name in columns else None

    local, imported = column("local"), column("imported")
    table = make_table(
        country=frame["country"].to_numpy(),
        day=frame["day"].to_numpy(),
        cases=local + imported if local is not None and imported is not None else column("cases"),
        date=frame["date"].to_numpy() if has_dates else None,
        local=local,
        imported=imported,
        deaths=column("deaths"),
    )
    data = CaseData(
        table, report, source, has_country=has_country, has_dates=has_dates, has_local=has_local
    )
    data.record_reporting_gaps(stop_days=rules.stop_days, missing=frame["line"].isna().to_numpy())
    return data


def _where(row: pd.Series, key: str) -> object:
    value = row[key]
    return value.date().isoformat() if isinstance(value, pd.Timestamp) else int(value)


def _duplicates(
    frame: pd.DataFrame,
    counts: list[str],
    key: str,
    *,
    source: str,
    rules: CleaningRules,
    report: CleaningReport,
) -> pd.DataFrame:
    repeated = frame.duplicated(["country", key], keep=False)
    if not repeated.any():
        return frame
    later = frame.duplicated(["country", key], keep="first")
    if rules.duplicates == "error":
        row = frame[later].sort_values("line").iloc[0]
        first = frame[(frame["country"] == row["country"]) & (frame[key] == row[key])]["line"]
        who = f" for {row['country']}" if row["country"] else ""
        raise InputError(
            f"duplicated {key} {_where(row, key)}{who} (first on line {int(first.min())})",
            source=source,
            line=int(row["line"]),
            field=key,
        )
    groups = frame[repeated].groupby(["country", key], sort=False)
    by_key = groups[counts]
    merged = by_key.sum(min_count=1) if rules.duplicates == "sum" else by_key.last()
    for (country, value), rows in groups:
        for _, row in rows.iterrows():
            for field in counts:
                report.add(
                    country=country or None,
                    date=_where(row, key) if key == "date" else None,
                    day=None if key == "date" else int(value),
                    field=field,
                    issue=f"duplicated {key}",
                    rule=rules.duplicates,
                    original=float(row[field]),
                    new=float(merged.loc[(country, value), field]),
                    note=f"line {int(row['line'])}",
                )
    kept = frame.drop_duplicates(["country", key], keep="last").copy()
    if rules.duplicates == "sum":
        index = pd.MultiIndex.from_frame(kept[["country", key]])
        summed = merged.reindex(index)
        has = summed.notna().any(axis=1).to_numpy()
        kept.loc[has, counts] = summed[has].to_numpy()
    return kept.reset_index(drop=True)


def _check_days(frame: pd.DataFrame, source: str) -> None:
    start = frame.groupby("country", sort=False)["date"].transform("min")
    expected = (frame["date"] - start).dt.days + 1
    wrong = (frame["day"] != expected).to_numpy()
    if wrong.any():
        row = frame[wrong].iloc[0]
        raise InputError(
            f"day {int(row['day'])} does not match date {row['date'].date()} (expected day "
            f"{int(expected[wrong].iloc[0])}, counting the first date as day 1)",
            source=source,
            line=int(row["line"]),
            field="day",
        )


def _fill_gaps(
    group: pd.DataFrame,
    country: str,
    counts: list[str],
    key: str,
    *,
    source: str,
    rules: CleaningRules,
    report: CleaningReport,
) -> pd.DataFrame:
    if key == "date":
        full = pd.date_range(group["date"].min(), group["date"].max(), freq="D")
    else:
        full = pd.RangeIndex(1, int(group["day"].max()) + 1)
    filled = group.set_index(key).reindex(full)
    filled.index.name = key
    filled = filled.reset_index()
    filled["country"] = country
    missing = filled["line"].isna().to_numpy()
    if missing.any():
        value = filled[key][missing].iloc[0]
        shown = value.date() if key == "date" else int(value)
        if rules.gaps == "error":
            who = f"{country}: " if country else ""
            raise InputError(
                f"{who}no row for {key} {shown} (a gap in the series)", source=source, field=key
            )
        for _, row in filled[missing].iterrows():
            for field in counts:
                report.add(
                    country=country or None,
                    date=_where(row, key) if key == "date" else None,
                    day=None if key == "date" else int(row[key]),
                    field=field,
                    issue="missing day",
                    rule=rules.gaps,
                    original=None,
                    new=0.0,
                )
    for field in counts:
        empty = filled[field].isna().to_numpy() & ~missing
        if empty.any() and rules.gaps == "error":
            row = filled[empty].iloc[0]
            raise InputError(
                "expected a count, got an empty cell",
                source=source,
                line=int(row["line"]),
                field=field,
            )
        for _, row in filled[empty].iterrows():
            report.add(
                country=country or None,
                date=_where(row, key) if key == "date" else None,
                day=None if key == "date" else int(row[key]),
                field=field,
                issue="empty value",
                rule=rules.gaps,
                original=None,
                new=0.0,
                note=f"line {int(row['line'])}",
            )
        filled[field] = filled[field].fillna(0.0)
    filled["day"] = np.arange(1, len(filled) + 1)
    return filled


def _negatives_in_column(
    frame: pd.DataFrame, field: str, rule: str, *, source: str, report: CleaningReport
) -> np.ndarray:
    values = frame[field].to_numpy(dtype=float)
    negative = values < 0
    if not negative.any():
        return values
    if rule == "error":
        row = frame[negative].iloc[0]
        raise InputError(
            f"a daily count cannot be negative, got {row[field]:g} (choose another rule for "
            "negative counts to accept it)",
            source=source,
            line=int(row["line"]),
            field=field,
        )
    fixed = values.copy()
    for _, index in frame.groupby("country", sort=False).indices.items():
        fixed[index] = fix_negatives(values[index][None, :], rule)[0]
    for i in np.flatnonzero(fixed != values):
        row = frame.iloc[i]
        report.add(
            country=row["country"] or None,
            date=row["date"].date().isoformat()
            if "date" in frame and isinstance(row["date"], pd.Timestamp)
            else None,
            day=int(row["day"]),
            field=field,
            issue="negative count" if values[i] < 0 else "deficit backfilled",
            rule=rule,
            original=float(values[i]),
            new=float(fixed[i]),
            note=None if pd.isna(row["line"]) else f"line {int(row['line'])}",
        )
    return fixed


def read_owid(path: str | PathLike[str], *, rules: CleaningRules | None = None) -> CaseData:
    """Read an OWID-style long CSV (`iso_code`, `date`, `new_cases`, optional `new_deaths`).

    OWID aggregates (`OWID_WRL`, continents, income groups) are skipped and reported.
    """
    rules = rules or CleaningRules()
    source = str(path)
    raw = read_csv(path, dtype=str)
    for column in ("iso_code", "date", "new_cases"):
        if column not in raw.columns:
            raise InputError(
                f"missing column {column!r} (OWID format: iso_code, date, new_cases, new_deaths)",
                source=source,
                line=1,
            )
    report = CleaningReport()
    lines = np.arange(len(raw)) + 2
    iso = _resolve_countries(
        raw["iso_code"], source=source, field="iso_code", lines=lines, report=report
    )
    keep = np.array([code is not None for code in iso], dtype=bool)
    raw, iso, lines = raw[keep], iso[keep], lines[keep]
    if len(raw) == 0:
        raise InputError("no country rows", source=source)
    frame = pd.DataFrame(
        {
            "country": iso,
            "date": dates(raw["date"], source=source, field="date", lines=lines),
            "line": lines,
        }
    )
    columns = {"cases": "new_cases"}
    if "new_deaths" in raw.columns:
        columns["deaths"] = "new_deaths"
    for name in columns.values():
        frame[name] = numbers(raw[name], source=source, field=name, lines=lines)
    return _from_long(
        frame,
        columns,
        source=source,
        rules=rules,
        report=report,
        has_country=True,
        has_dates=True,
    )


def read_tidy(path: str | PathLike[str], *, rules: CleaningRules | None = None) -> CaseData:
    """Read a tidy CSV: optional `country`; `date` and/or 1-based `day`; `cases` or `local` +
    `imported`; optional `deaths`; other columns are ignored."""
    rules = rules or CleaningRules()
    source = str(path)
    raw = read_csv(path, dtype=str)
    columns = set(raw.columns)
    has_dates, has_days = "date" in columns, "day" in columns
    if not (has_dates or has_days):
        raise InputError("missing column 'date' or 'day'", source=source, line=1)
    has_local = {"local", "imported"} <= columns
    if not has_local and "cases" not in columns:
        raise InputError(
            "missing column 'cases' (or both 'local' and 'imported')", source=source, line=1
        )
    if len(raw) == 0:
        raise InputError("no data rows", source=source)
    report = CleaningReport()
    lines = np.arange(len(raw)) + 2
    has_country = "country" in columns
    if has_country:
        country = _resolve_countries(
            raw["country"], source=source, field="country", lines=lines, report=report
        )
        keep = np.array([code is not None for code in country], dtype=bool)
        raw, country, lines = raw[keep], country[keep], lines[keep]
    else:
        country = np.full(len(raw), "", dtype=object)
    frame = pd.DataFrame({"country": country, "line": lines})
    if has_dates:
        frame["date"] = dates(raw["date"], source=source, field="date", lines=lines)
    if has_days:
        day = numbers(raw["day"], source=source, field="day", lines=lines)
        bad = np.isnan(day) | (day < 1) | (day != np.floor(day))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"expected a day number 1, 2, ..., got {raw['day'].iloc[i]!r}",
                source=source,
                line=int(lines[i]),
                field="day",
            )
        frame["day"] = day.astype(np.int64)
    names = ["local", "imported"] if has_local else ["cases"]
    if "deaths" in columns:
        names.append("deaths")
    for name in names:
        frame[name] = numbers(raw[name], source=source, field=name, lines=lines)
    return _from_long(
        frame,
        {name: name for name in names},
        source=source,
        rules=rules,
        report=report,
        has_country=has_country,
        has_dates=has_dates,
    )
