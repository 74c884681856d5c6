"""`Assessment`: one typed result — metadata and named tables — written as CSV + Parquet per
table, `assessment.json` and an offline HTML report, and rebuilt from its tables."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from epicommons._files import atomic_folder, csv_number
from epicommons.errors import InputError, validate

from .options import AssessmentOptions

TABLES = (
    "nowcast",
    "rt",
    "forecast",
    "importation",
    "arrival",
    "shortfall",
    "allocation",
    "explanation",
    "warnings",
    "failures",
    "forecast_scores",
)
EXTRA_TABLES = ("curve", "shadow_prices")  # the corrected curves; shadow prices per item, week
MARKER = "assessment.json"


@dataclass(frozen=True)
class Assessment:
    """A finished assessment: as-of date, options, code version, sha256 of the inputs, tables
    (every per-member table has a `location` column) and free-form `notes` (texts, sources)."""

    as_of: datetime.date
    options: AssessmentOptions
    code_version: str
    input_stamp: str
    tables: dict[str, pd.DataFrame]
    notes: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        """The metadata as JSON-ready values (what `assessment.json` holds)."""
        return {
            "as_of": self.as_of.isoformat(),
            "options": self.options.model_dump(mode="json"),
            "code_version": self.code_version,
            "input_stamp": self.input_stamp,
            "members": sorted(self.notes.get("members", [])),
            "notes": {k: v for k, v in self.notes.items() if k != "members"},
            "tables": {name: len(t) for name, t in self.tables.items()},
        }

    def write(self, out: Path) -> None:
        """Write the folder `out` whole (replaced atomically): per table CSV and Parquet,
        `assessment.json`, `report.html`."""
        from epicommons.report.assessment import assessment_page

        page = assessment_page(self.tables, self.meta())
        with atomic_folder(out, MARKER) as tmp:
            for name, table in self.tables.items():
                table.to_csv(tmp / f"{name}.csv", index=False, float_format=csv_number)
                _parquet_ready(table).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / MARKER).write_text(json.dumps(self.meta(), indent=2) + "\n", encoding="utf-8")
            page.write(tmp / "report.html", option="--out")

    @classmethod
    def read(cls, folder: Path) -> Assessment:
        """The assessment `write` wrote into `folder` (its JSON and Parquet tables)."""
        folder = Path(folder)
        source = folder / MARKER
        try:
            meta = json.loads(source.read_text(encoding="utf-8"))
            tables = {
                name: pd.read_parquet(folder / f"{name}.parquet") for name in meta.get("tables", {})
            }
        except (OSError, ValueError) as exc:
            raise InputError(
                f"expected an assessment folder (written by epicommons assess): {exc}",
                source=source,
            ) from None
        return cls.from_tables(meta, tables)

    @classmethod
    def from_tables(cls, meta: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Assessment:
        """The assessment stored as `meta` (as `meta()` gives it) and its tables."""
        notes = dict(meta.get("notes", {}))
        notes["members"] = list(meta.get("members", []))
        return cls(
            as_of=datetime.date.fromisoformat(str(meta["as_of"])),
            options=validate(AssessmentOptions, meta.get("options", {}), source="assessment.json"),
            code_version=str(meta["code_version"]),
            input_stamp=str(meta["input_stamp"]),
            tables={name: tables[name] for name in (*TABLES, *EXTRA_TABLES) if name in tables},
            notes=notes,
        )


def _parquet_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Object columns of mixed dates and None as ISO text, so Parquet has one type per column."""
    out = table.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = [None if v is None or v != v else str(v) for v in out[name]]
    return out
