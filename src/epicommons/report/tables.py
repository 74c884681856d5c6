"""Tables for people: a DataFrame's columns labelled and formatted by kind, for pages and terminals.

A page and a command's terminal summary show the same table from the same `Column` specs, so a
share reads "32%" and a count "3,820,000" in both.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import format as fmt

TEXT, DATE, NUMBER, COUNT, PERCENT = "text", "date", "number", "count", "percent"
INTERVAL = "interval"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Column:
    """How one column is shown: its heading and what its values are.

    `kind` is text, date, number (3 significant digits, separators from 1,000), count (whole),
    percent (a share in [0, 1]) or interval (a (low, high) pair shown "low to high");
    None guesses from the values.
    """

    label: str
    kind: str | None = None


Spec = Mapping[str, "Column | str"]


@dataclass(frozen=True)
class Cells:
    """A table ready to print: headings, rows of strings, and each column's kind."""

    headers: list[str]
    rows: list[list[str]]
    kinds: list[str]

    @property
    def css(self) -> list[str]:
        """Per column: "n" (a number: right-aligned, unbroken), "d" (a date: unbroken), ""."""
        return ["" if k == TEXT else "d" if k == DATE else "n" for k in self.kinds]


def cells(frame: pd.DataFrame, columns: Spec | None = None, missing: str = "") -> Cells:
    """`frame` as strings. With `columns`, only those columns (those present), in that order,
    labelled and formatted as given (a plain string is a label, the kind is guessed);
    without, every column, headed by its name with spaces for underscores.
    """
    spec = _spec(frame, columns)
    headers, texts, kinds = [], [], []
    for name, col in spec.items():
        kind = col.kind or _guess(frame[name])
        headers.append(col.label)
        texts.append(_column(frame[name], kind, missing))
        kinds.append(kind)
    rows = [list(row) for row in zip(*texts, strict=True)] if texts else []
    return Cells(headers, rows, kinds)


def intervals(low: Sequence[float] | pd.Series, high: Sequence[float] | pd.Series) -> list:
    """(low, high) pairs for an `interval` column."""
    return list(zip(np.asarray(low, float), np.asarray(high, float), strict=True))


def with_names(
    frame: pd.DataFrame, names: Mapping[str, str], code: str = "country"
) -> pd.DataFrame:
    """A copy of `frame` with a `name` column (the country's name) after its `code` column."""
    out = frame.copy()
    out.insert(out.columns.get_loc(code) + 1, "name", [names.get(c, c) for c in out[code]])
    return out


def rich_table(table: Cells, title: str | None = None):
    """The table as a `rich` Table for a terminal summary (numbers right-aligned)."""
    from rich.table import Table

    out = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=None,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, (header, css) in enumerate(zip(table.headers, table.css, strict=True)):
        if css == "n":  # numbers are never broken: the heading wraps to their width instead
            widest = max((len(row[i]) for row in table.rows), default=0)
            header = textwrap.fill(header, max(widest, 8), break_long_words=False)
        out.add_column(header, justify="right" if css == "n" else "left", no_wrap=css == "n")
    for row in table.rows:
        out.add_row(*row)
    return out


def _spec(frame: pd.DataFrame, columns: Spec | None) -> dict[str, Column]:
    if columns is None:
        return {str(c): Column(str(c).replace("_", " ")) for c in frame.columns}
    return {
        name: col if isinstance(col, Column) else Column(col)
        for name, col in columns.items()
        if name in frame.columns
    }


def _guess(values: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return DATE
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        given = [v for v in values if isinstance(v, str) and v]
        return DATE if given and all(_ISO_DATE.match(v) for v in given) else TEXT
    finite = values.to_numpy(float)
    finite = finite[np.isfinite(finite)]
    return COUNT if np.all(finite == np.round(finite)) else NUMBER


def _column(values: pd.Series, kind: str, missing: str) -> list[str]:
    """One column's cells; numbers share their decimals unless they reach the thousands."""
    if kind == PERCENT:
        return [fmt.percent(v, missing) for v in values]
    if kind == COUNT:
        return [fmt.count(v, missing) for v in values]
    if kind == NUMBER:
        places = fmt.common_decimals(values)
        return [_decimal(v, places, missing) for v in values]
    if kind == INTERVAL:
        pairs = [v if isinstance(v, tuple) else (np.nan, np.nan) for v in values]
        places = fmt.common_decimals([x for pair in pairs for x in pair])
        return [
            f"{_decimal(lo, places, missing)} to {_decimal(hi, places, missing)}"
            if pd.notna(lo) and pd.notna(hi)
            else missing
            for lo, hi in pairs
        ]
    return [_text(v, missing) for v in values]


def _decimal(value: object, places: int, missing: str) -> str:
    """The value with its column's decimals; whole from 1,000; its own three significant
    digits where the column's decimals would show only zeros (0.0002 in a column of 1.05)."""
    text = fmt.fixed(value, places, missing)
    if text == missing:
        return missing
    if abs(float(value)) >= 1000:  # type: ignore[arg-type]
        return fmt.count(value)
    if value != 0 and not any(c in "123456789" for c in text):
        return fmt.number(value)
    return text


def _text(value: object, missing: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return missing
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)
    if isinstance(value, float | np.floating | int | np.integer):
        return fmt.number(value, missing=missing)
    return str(value)
