"""Reading an assessment's inputs from a folder (documented in docs/assess.md):

assessment.toml   [assessment] as_of, members (default: every location in counts.csv),
                  and any AssessmentOptions setting ([assessment.needs.NAME], ...)
counts.csv        location, reference_date, report_date, count   (the long triangle)
stocks.csv        location, item, quantity, date                 (optional)
pledges.csv       donor, item, pledged, delivered                (optional)
population.csv    location, population                           (optional: else UN WPP)

and the forecasts of earlier assessments' output folders (`read_past`: their assessment.json
and forecast.csv), to be scored.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from epicommons._files import read_toml
from epicommons.errors import InputError, validate

from .inputs import COUNT_COLUMNS, PLEDGE_COLUMNS, STOCK_COLUMNS, AssessmentInputs
from .options import AssessmentOptions
from .result import MARKER
from .track import PAST_COLUMNS

SETTINGS = "assessment.toml"


class Section(AssessmentOptions):
    """`[assessment]`: the as-of date, the members, and the options."""

    as_of: datetime.date | None = None
    members: list[str] | None = None


class SettingsFile(BaseModel):
    """assessment.toml: one `[assessment]` table."""

    model_config = ConfigDict(extra="forbid")
    assessment: Section = Section()


def read_inputs(
    data_dir: Path, as_of: datetime.date | None = None
) -> tuple[AssessmentInputs, AssessmentOptions]:
    """The inputs and options in `data_dir`; `as_of` overrides the file's. Every problem is one
    InputError naming the file, line and column."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError("expected a folder with assessment.toml and counts.csv", source=data_dir)
    source = data_dir / SETTINGS
    settings, _ = read_toml(source, "assessment settings")
    spec = validate(SettingsFile, settings, source=source).assessment
    options = AssessmentOptions(**spec.model_dump(exclude={"as_of", "members"}))
    as_of = as_of or spec.as_of
    if as_of is None:
        raise InputError(
            "expected as_of = YYYY-MM-DD in [assessment] (or --as-of)",
            source=source,
            field="assessment.as_of",
        )
    members = spec.members
    counts = _csv(data_dir / "counts.csv", COUNT_COLUMNS, required=True)
    counts = counts[
        pd.to_datetime(counts["report_date"], errors="coerce").dt.date.fillna(as_of) <= as_of
    ]
    stocks = _csv(data_dir / "stocks.csv", STOCK_COLUMNS)
    stocks = stocks[pd.to_datetime(stocks["date"], errors="coerce").dt.date.fillna(as_of) <= as_of]
    pledges = _csv(data_dir / "pledges.csv", PLEDGE_COLUMNS)
    if members is None:
        members = sorted(set(counts["location"]))
    population = None
    if (data_dir / "population.csv").exists():
        table = _csv(data_dir / "population.csv", ("location", "population"), required=True)
        values = pd.to_numeric(table["population"], errors="coerce")
        population = dict(zip(table["location"], values.astype(float), strict=True))
    inputs = AssessmentInputs(as_of, tuple(members), counts, stocks, pledges, population)
    try:
        return inputs.checked(), options
    except InputError as exc:
        if exc.source not in ("counts", "stocks", "pledges"):
            raise
        where = data_dir / f"{exc.source}.csv"
        raise InputError(exc.message, source=where, line=exc.line, field=exc.field) from None


def _csv(path: Path, columns: tuple[str, ...], required: bool = False) -> pd.DataFrame:
    """A CSV with these columns (text; checked and typed by AssessmentInputs.checked)."""
    if not path.exists():
        if required:
            raise InputError("file not found", source=path)
        return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read the table: {exc}", source=path) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"expected columns {', '.join(columns)}; missing {', '.join(missing)}", source=path
        )
    return frame


def read_past(folders: Sequence[Path], before: datetime.date) -> pd.DataFrame | None:
    """The `forecast` rows of earlier assessments' output folders, each with its as-of date
    (None when there is none); an InputError names the folder that is not one, or whose
    as-of date is not before `before` or is another folder's."""
    frames, seen = [], {}
    for folder in map(Path, folders):
        marker = folder / MARKER
        if not marker.is_file():
            raise InputError(f"not an assessment's output folder: no {MARKER}", source=folder)
        try:
            as_of = datetime.date.fromisoformat(
                str(json.loads(marker.read_text(encoding="utf-8"))["as_of"])
            )
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"expected as_of = YYYY-MM-DD ({exc})", source=marker) from None
        if as_of >= before:
            raise InputError(
                f"assessed as of {as_of}, not before this assessment's as-of date {before}",
                source=folder,
            )
        if as_of in seen:
            raise InputError(f"assessed as of {as_of}, as {seen[as_of]} is", source=folder)
        seen[as_of] = folder
        forecasts = _csv(folder / "forecast.csv", PAST_COLUMNS[1:], required=True)
        frames.append(forecasts.assign(as_of=as_of.isoformat())[list(PAST_COLUMNS)])
    return pd.concat(frames, ignore_index=True) if frames else None
