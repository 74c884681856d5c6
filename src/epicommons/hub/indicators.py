"""The indicator vocabulary and the validation rules a reported row must pass (pure functions).

A row is (date, indicator, item, value). Rules follow DHIS2's validation-rule idea: each failure is
a conflict naming the row, the field and the reason; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .clock import utcnow

INDICATORS: dict[str, str] = {
    "new_cases": "new confirmed cases reported on the date",
    "new_deaths": "new deaths reported on the date",
    "tests": "tests performed on the date",
    "hospital_occupancy": "patients in hospital with the disease",
    "icu_occupancy": "patients in intensive care with the disease",
    "stock": "quantity of an item in stock (needs `item`)",
    "need": "quantity of an item needed (needs `item`)",
}
ITEM_INDICATORS = frozenset({"stock", "need"})
ITEM_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# A number as text: ASCII digits only, no '_' separators, no other scripts' digits (float() takes
# all three); the same grammar as a JSON number, with an optional leading '+' as CSV tools write.
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
LARGEST = 1e15
FIELDS = ("date", "indicator", "item", "value")
EARLIEST = dt.date(1900, 1, 1)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Within one date, the first indicator may not exceed the second.
NOT_ABOVE = (("new_deaths", "new_cases"), ("icu_occupancy", "hospital_occupancy"))


Key = tuple[dt.date, str, str]


@dataclass(frozen=True)
class Row:
    """A validated value with the row number it came from (CSV line or 1-based JSON index)."""

    line: int
    date: dt.date
    indicator: str
    item: str
    value: float

    @property
    def key(self) -> Key:
        return (self.date, self.indicator, self.item)


@dataclass(frozen=True)
class Conflict:
    """Why a row was refused."""

    row: int
    field: str
    reason: str


@lru_cache(maxsize=8192)
def _calendar_date(raw: str) -> dt.date:
    if not DATE_PATTERN.fullmatch(raw):
        raise ValueError(f"expected a date YYYY-MM-DD, got {_shown(raw)}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"no such date {_shown(raw)}") from None


def _date(raw: Any, latest: dt.date) -> dt.date:
    if not isinstance(raw, str):
        raise ValueError(f"expected a date YYYY-MM-DD, got {_shown(raw)}")
    day = _calendar_date(raw)
    if not EARLIEST <= day <= latest:
        raise ValueError(f"date {raw} is outside {EARLIEST}..{latest}")
    return day


def parse_number(raw: Any, from_text: bool) -> float:
    """The one number rule for JSON and CSV: a JSON number, or text in JSON's number grammar.

    Refuses what float() would take but a person did not mean as a number here: '1_000', digits of
    other scripts ('١٢', '１２'), 'nan', 'inf', booleans, and integers too large for a float.
    """
    if from_text:
        text = raw.strip() if isinstance(raw, str) else raw
        if not isinstance(text, str) or not NUMBER.fullmatch(text):
            if isinstance(text, str) and text.startswith(FORMULA_START):
                raise ValueError("looks like a spreadsheet formula")
            raise ValueError(f"expected a number, got {_shown(raw)}")
        raw = text
    elif isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"expected a number, got {_shown(raw)}")
    if isinstance(raw, int) and abs(raw) > LARGEST:
        raise ValueError(f"implausibly large value (an integer of {raw.bit_length():,} bits)")
    try:
        value = float(raw)
    except OverflowError:
        raise ValueError("implausibly large value") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {_shown(raw)}")
    return value


def _shown(raw: Any) -> str:
    """A short, printable, ASCII form of a raw input for a conflict's reason."""
    text = ascii(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _value(raw: Any, indicator: str, from_text: bool) -> float:
    value = parse_number(raw, from_text)
    if value < 0:
        raise ValueError(f"must not be negative, got {_shown(raw)}")
    if value > LARGEST:
        raise ValueError(f"implausibly large value {_shown(raw)}")
    if indicator not in ITEM_INDICATORS and value != int(value):
        raise ValueError(f"{indicator} is a count; expected a whole number, got {_shown(raw)}")
    return value


def parse_row(
    line: int, raw: Mapping[str, Any], from_text: bool, latest: dt.date | None = None
) -> Row | Conflict:
    """Check one raw row (a JSON object or a CSV record) and return a Row or the first Conflict.

    Dates may not lie after `latest` (default: tomorrow, UTC).
    """
    if latest is None:
        latest = utcnow().date() + dt.timedelta(days=1)
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        name = ascii(unknown[0])[1:-1][:60]  # a key may be any text, even a lone surrogate
        return Conflict(line, name, f"unknown field {ascii(unknown[0])[:60]}")
    for name in ("date", "indicator", "value"):
        if raw.get(name) in (None, ""):
            return Conflict(line, name, "missing")
    indicator = raw["indicator"]
    if not isinstance(indicator, str) or indicator not in INDICATORS:
        if isinstance(indicator, str) and indicator.startswith(FORMULA_START):
            return Conflict(line, "indicator", "looks like a spreadsheet formula")
        return Conflict(line, "indicator", f"unknown indicator {_shown(indicator)}")
    item = raw.get("item") or ""
    if not isinstance(item, str):
        return Conflict(line, "item", f"expected text, got {_shown(item)}")
    if indicator in ITEM_INDICATORS:
        if not ITEM_PATTERN.fullmatch(item):
            reason = (
                "looks like a spreadsheet formula"
                if item.startswith(FORMULA_START)
                else "expected an item code (lower-case letters, digits, '_', '.', '-')"
            )
            return Conflict(line, "item", reason if item else f"{indicator} needs an item")
    elif item:
        return Conflict(line, "item", f"{indicator} takes no item")
    try:
        day = _date(raw["date"], latest)
    except ValueError as exc:
        return Conflict(line, "date", str(exc))
    try:
        value = _value(raw["value"], indicator, from_text)
    except ValueError as exc:
        return Conflict(line, "value", str(exc))
    return Row(line, day, indicator, item, value)


def parse_rows(
    records: Iterable[tuple[int, Mapping[str, Any]]], from_text: bool
) -> tuple[list[Row], list[Conflict]]:
    """Validate every record; a key seen twice is a conflict on its later row."""
    rows: list[Row] = []
    conflicts: list[Conflict] = []
    seen: dict[Key, int] = {}
    latest = utcnow().date() + dt.timedelta(days=1)
    for line, raw in records:
        result = parse_row(line, raw, from_text, latest)
        if isinstance(result, Conflict):
            conflicts.append(result)
        elif result.key in seen:
            conflicts.append(Conflict(line, "date", f"duplicates row {seen[result.key]}"))
        else:
            seen[result.key] = line
            rows.append(result)
    return rows, conflicts


def cross_rules(rows: list[Row], stored: Mapping[Key, float]) -> list[Conflict]:
    """Rules between values of one date, on the stored values overlaid with the new rows."""
    merged = dict(stored)
    merged.update({r.key: r.value for r in rows})
    conflicts = []
    for r in rows:
        for low, high in NOT_ABOVE:
            if r.indicator not in (low, high):
                continue
            lo = merged.get((r.date, low, ""))
            hi = merged.get((r.date, high, ""))
            if lo is not None and hi is not None and lo > hi:
                conflicts.append(
                    Conflict(r.line, "value", f"{low} ({lo:g}) above {high} ({hi:g}) on {r.date}")
                )
    return conflicts
