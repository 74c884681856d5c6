"""Readers of case reports into the tidy case table (`CaseData`), with a record of every fix.

Formats: JHU CSSE global wide files (cumulative, one row per province; `jhu`), OWID-style long
CSV (`iso_code`, `date`, `new_cases`, `new_deaths`; `owid`) and a tidy CSV (optional `country`;
`date` and/or 1-based `day`; `cases` or `local` + `imported`; optional `deaths`; other columns
ignored; `tidy`). Bad input raises `InputError` naming the file, line and field.
"""

from __future__ import annotations

from os import PathLike
from typing import Literal

from epicommons.errors import InputError

from .cases import CaseData
from .cleaning import CleaningRules
from .csvio import header as read_header
from .jhu import read_jhu
from .long_formats import read_owid, read_tidy

Format = Literal["jhu", "owid", "tidy"]
FORMATS: tuple[str, ...] = ("jhu", "owid", "tidy")

__all__ = ["FORMATS", "Format", "detect_format", "read_cases", "read_jhu", "read_owid", "read_tidy"]


def read_cases(
    path: str | PathLike[str],
    format: Format | None = None,
    *,
    rules: CleaningRules | None = None,
    deaths_path: str | PathLike[str] | None = None,
) -> CaseData:
    """Read a case file of any supported format (detected from its header when not given)."""
    rules = rules or CleaningRules()
    fmt = format or detect_format(path)
    if fmt == "jhu":
        return read_jhu(path, deaths_path=deaths_path, rules=rules)
    if fmt == "owid":
        return read_owid(path, rules=rules)
    if fmt == "tidy":
        return read_tidy(path, rules=rules)
    raise InputError(
        f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", field="format"
    )


def detect_format(path: str | PathLike[str]) -> Format:
    """`jhu` if the header has Country/Region, `owid` if it has iso_code, else `tidy`."""
    header = read_header(path)
    if "Country/Region" in header:
        return "jhu"
    if "iso_code" in header:
        return "owid"
    return "tidy"
