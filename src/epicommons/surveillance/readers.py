"""Readers of case reports into the tidy case table (`CaseData`), with a record of every fix.

Formats: JHU CSSE global wide files (cumulative, one row per province; `jhu`), OWID-style long
CSV (`iso_code`, `date`, `new_cases`, `new_deaths`; `owid`) and a tidy CSV (optional `country`;
`date` and/or 1-based `day`; `cases` or `local` + `imported`; optional `deaths`; other columns
ignored; `tidy`). Bad input raises `InputError` naming the file, line and field.
"""

from __future__ import annotations

import csv
from os import PathLike
from typing import Literal

from epicommons.errors import InputError

from .cases import CaseData
from .cleaning import CleaningRules
from .jhu import read_jhu

Format = Literal["jhu", "owid", "tidy"]
FORMATS: tuple[str, ...] = ("jhu", "owid", "tidy")

__all__ = ["FORMATS", "Format", "detect_format", "read_cases", "read_jhu"]


def read_cases(
    path: str | PathLike[str],
    format: Format | None = None,
    *,
    rules: CleaningRules | None = None,
    deaths_path: str | PathLike[str] | None = None,
    with_deaths: bool = True,
) -> CaseData:
    """Read a case file of any supported format (detected from its header when not given).

    `with_deaths=False` skips the separate JHU deaths file (long formats carry deaths in the
    same file, so it changes nothing for them).
    """
    rules = rules or CleaningRules()
    fmt = format or detect_format(path)
    if fmt == "jhu":
        return read_jhu(path, deaths_path=deaths_path, rules=rules, with_deaths=with_deaths)
    if fmt == "owid":
        from .long_formats import read_owid

        return read_owid(path, rules=rules)
    if fmt == "tidy":
        from .long_formats import read_tidy

        return read_tidy(path, rules=rules)
    raise InputError(
        f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", field="format"
    )


def detect_format(path: str | PathLike[str]) -> Format:
    """`jhu` if the header has Country/Region, `owid` if it has iso_code, else `tidy`."""
    header = _header(path)
    if "Country/Region" in header:
        return "jhu"
    if "iso_code" in header:
        return "owid"
    return "tidy"


def _header(path: str | PathLike[str]) -> list[str]:
    """The first row of a CSV file, each name stripped."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("the file is not UTF-8 text", source=str(path)) from exc
