"""An evaluation's outputs in one folder, written atomically (temporary sibling, then renamed):
scores.parquet (every model, country, origin and horizon: truth, WIS and its parts, coverage,
the 23 quantiles), relative_wis_by_horizon.csv, relative_wis_by_country.csv, summary.csv (per
model overall) and evaluation.json (the settings, data source, origins and the overall table)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from epicommons.errors import InputError

MARKER = "evaluation.json"


def check_out(out_dir: Path) -> None:
    """Refuse a path that is a file, or a non-empty folder that is not an earlier evaluation."""
    if out_dir.exists() and (
        not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())
    ):
        raise InputError(
            "exists and is not an epicommons forecast evaluation folder; choose another --out",
            source=out_dir,
        )


def write(
    out_dir: Path, tables: dict[str, pd.DataFrame], metadata: dict[str, object]
) -> list[Path]:
    """Write scores.parquet and the summary CSVs from `tables` plus evaluation.json."""
    check_out(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        tables["scores"].to_parquet(tmp / "scores.parquet", index=False)
        for name, frame in tables.items():
            if name != "scores":
                frame.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
        (tmp / MARKER).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
        tmp.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out_dir.iterdir())
