"""JHU CSSE global time series (wide, cumulative, one row per province) into the case table.

Rows are resolved to ISO3 through the world registry and summed per country; ships and Olympic
Games rows are skipped and reported; daily counts are first differences of the cumulative series.
"""

from __future__ import annotations

import csv
from datetime import datetime
from os import PathLike
from pathlib import Path

import numpy as np

from epicommons.errors import InputError, NotACountryError
from epicommons.world.countries import registry

from .cases import CaseData, make_table
from .cleaning import CleaningReport, CleaningRules, daily_from_cumulative, fix_negatives

JHU_ID_COLUMNS = ["Province/State", "Country/Region", "Lat", "Long"]
JHU_DATE_FORMAT = "%m/%d/%y"


def jhu_deaths_beside(confirmed: str | PathLike[str]) -> Path | None:
    """The JHU deaths file next to a confirmed file (same name with 'deaths'), if it exists."""
    path = Path(confirmed)
    if "confirmed" not in path.name:
        return None
    candidate = path.with_name(path.name.replace("confirmed", "deaths"))
    return candidate if candidate.is_file() else None


def _read_wide_rows(path: str | PathLike[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a wide CSV with the csv module: for 1,000+ columns it is several
    times faster than building a pandas frame column by column."""
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [c.strip() for c in next(reader, [])]
            rows = [row for row in reader if row]
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=source) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"not a readable CSV file: {exc}", source=source) from exc
    return header, rows


def _read_jhu_cumulative(
    path: str | PathLike[str], report: CleaningReport | None
) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, int]]:
    """Sum a JHU wide file's rows per ISO3: (countries, dates as datetime64[D], cumulative (n, T),
    first line of each country)."""
    source = str(path)
    header, rows = _read_wide_rows(path)
    if header[:4] != JHU_ID_COLUMNS:
        raise InputError(
            f"the first columns must be {', '.join(JHU_ID_COLUMNS)}: not a JHU CSSE time series "
            "file",
            source=source,
            line=1,
        )
    date_columns = header[4:]
    if not date_columns:
        raise InputError(
            "no date columns after Province/State, Country/Region, Lat, Long", source=source, line=1
        )
    dates = _column_dates(date_columns, source)
    steps = np.diff(dates).astype(int)
    if np.any(steps != 1):
        i = int(np.flatnonzero(steps != 1)[0])
        what = "duplicated" if steps[i] == 0 else "not the day after the previous column"
        raise InputError(
            f"date column {date_columns[i + 1]!r} is {what}",
            source=source,
            line=1,
            field=date_columns[i + 1],
        )
    lines = np.arange(len(rows)) + 2
    for row, line in zip(rows, lines, strict=True):
        if len(row) != len(header):
            raise InputError(
                f"expected {len(header)} fields, got {len(row)}", source=source, line=int(line)
            )
    try:  # NumPy's C parser on the numeric part; on failure, find the bad cell
        values = np.loadtxt([",".join(row[4:]) for row in rows], delimiter=",", ndmin=2)
    except ValueError:
        _raise_first_bad_cell(rows, date_columns, source)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(bad))
        raise InputError(
            f"expected a cumulative count, got {rows[i][4 + j]!r}",
            source=source,
            line=int(lines[i]),
            field=date_columns[j],
        )
    if (values < 0).any():
        i, j = (int(v[0]) for v in np.nonzero(values < 0))
        raise InputError(
            f"a cumulative count cannot be negative, got {values[i, j]:g}",
            source=source,
            line=int(lines[i]),
            field=date_columns[j],
        )
    names = [row[1].strip() for row in rows]
    countries = registry()
    iso_of_row: list[str | None] = []
    for name, line in zip(names, lines, strict=True):
        try:
            iso_of_row.append(
                countries.resolve(name, source=source, line=int(line), field="Country/Region")
            )
        except NotACountryError as exc:
            iso_of_row.append(None)
            if report is not None:
                report.skip(name, exc.what, line=int(line), field="Country/Region")
    order = list(dict.fromkeys(iso for iso in iso_of_row if iso is not None))
    index = {iso: i for i, iso in enumerate(order)}
    keep = np.array([iso is not None for iso in iso_of_row])
    rows = np.array([index[iso] for iso in iso_of_row if iso is not None], dtype=np.int64)
    cumulative = np.zeros((len(order), len(date_columns)))
    np.add.at(cumulative, rows, values[keep])
    first_line = {
        iso: int(lines[i]) for i, iso in reversed(list(enumerate(iso_of_row))) if iso is not None
    }
    return order, dates, cumulative, first_line


def _column_dates(date_columns: list[str], source: str) -> np.ndarray:
    """The date of each column name (M/D/YY) as datetime64[D]."""
    parsed = []
    for name in date_columns:
        try:
            parsed.append(datetime.strptime(name, JHU_DATE_FORMAT).date())
        except ValueError:
            raise InputError(
                f"expected a date M/D/YY as column name, got {name!r}",
                source=source,
                line=1,
                field=name,
            ) from None
    return np.array(parsed, dtype="datetime64[D]")


def _raise_first_bad_cell(rows: list[list[str]], date_columns: list[str], source: str) -> None:
    """Name the first cell that is not a number (NumPy's parser only says that one is not)."""
    for i, row in enumerate(rows):
        for j, cell in enumerate(row[4:]):
            try:
                float(cell)
            except ValueError:
                raise InputError(
                    f"expected a cumulative count, got {cell.strip()!r}",
                    source=source,
                    line=i + 2,
                    field=date_columns[j],
                ) from None
    raise InputError("not a readable table of counts", source=source)


def _column_name(day: np.datetime64) -> str:
    """A date as JHU names its column (M/D/YY)."""
    value = day.item()
    return f"{value.month}/{value.day}/{value:%y}"


def _report_negatives(
    report: CleaningReport,
    original: np.ndarray,
    fixed: np.ndarray,
    countries: list[str],
    dates: np.ndarray,
    field: str,
    rule: str,
    issue: str,
) -> None:
    changed = np.argwhere(original != fixed)
    for i, t in changed:
        report.add(
            country=countries[i],
            date=str(dates[t]),
            day=int(t) + 1,
            field=field,
            issue=issue if original[i, t] < 0 else "deficit backfilled",
            rule=rule,
            original=float(original[i, t]),
            new=float(fixed[i, t]),
        )


def _negatives_from_cumulative(
    daily: np.ndarray,
    countries: list[str],
    dates: np.ndarray,
    field: str,
    rules: CleaningRules,
    report: CleaningReport,
    source: str,
    first_line: dict[str, int],
) -> np.ndarray:
    rule = rules.negative_rule(from_cumulative=True)
    negative = daily < 0
    if not negative.any():
        return daily
    if rule == "error":
        i, t = (int(v[0]) for v in np.nonzero(negative))
        raise InputError(
            f"{countries[i]}: the cumulative count falls by {-daily[i, t]:g} on "
            f"{dates[t]} (choose another rule for negative increments to accept it)",
            source=source,
            line=first_line[countries[i]],
            field=_column_name(dates[t]),
        )
    fixed = fix_negatives(daily, rule)
    _report_negatives(report, daily, fixed, countries, dates, field, rule, "negative increment")
    return fixed


def read_jhu(
    confirmed: str | PathLike[str],
    *,
    deaths_path: str | PathLike[str] | None = None,
    rules: CleaningRules | None = None,
    with_deaths: bool = True,
) -> CaseData:
    """Read JHU CSSE global time series: provinces summed per ISO3, cumulative → daily.

    Ships and Olympic Games rows are skipped and listed in the report; the deaths file beside
    the confirmed file (same name, 'deaths' for 'confirmed') is read when present, unless
    `with_deaths` is false (deaths are then NaN and the report covers cases only).
    """
    rules = rules or CleaningRules()
    source = str(confirmed)
    report = CleaningReport()
    countries, dates, cumulative, first_line = _read_jhu_cumulative(confirmed, report)
    cases = _negatives_from_cumulative(
        daily_from_cumulative(cumulative),
        countries,
        dates,
        "cases",
        rules,
        report,
        source,
        first_line,
    )
    deaths = np.full_like(cases, np.nan)
    if deaths_path is None and with_deaths:
        deaths_path = jhu_deaths_beside(confirmed)
    if deaths_path is not None:
        d_countries, d_dates, d_cumulative, d_first = _read_jhu_cumulative(deaths_path, None)
        if not np.array_equal(d_dates, dates):
            raise InputError(
                "the deaths file does not cover the same dates as the confirmed file",
                source=str(deaths_path),
                line=1,
            )
        d_daily = _negatives_from_cumulative(
            daily_from_cumulative(d_cumulative),
            d_countries,
            dates,
            "deaths",
            rules,
            report,
            str(deaths_path),
            d_first,
        )
        position = {iso: i for i, iso in enumerate(d_countries)}
        for i, iso in enumerate(countries):
            if iso in position:
                deaths[i] = d_daily[position[iso]]
    n, n_days = cases.shape
    table = make_table(
        country=np.repeat(np.array(countries, dtype=object), n_days),
        day=np.tile(np.arange(1, n_days + 1), n),
        cases=cases.ravel(),
        date=np.tile(dates, n),
        deaths=deaths.ravel(),
    )
    data = CaseData(table, report, source, has_country=True, has_dates=True, has_local=False)
    data.record_reporting_gaps(stop_days=rules.stop_days)
    return data
