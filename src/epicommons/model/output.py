"""Write `Results` as Parquet files with the scenario and software versions recorded.

All files are written into a temporary sibling folder which is renamed at the end, so a failed
run leaves nothing half written. Every Parquet file carries the metadata under key `epicommons`.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from epicommons.errors import InputError

from .results import Results


def versions() -> dict[str, str]:
    """Versions of the software that produced the results."""
    out = {"python": platform.python_version()}
    for pkg in ("epicommons", "numpy", "scipy", "numba", "pandas", "pyarrow", "pydantic"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def tables(results: Results) -> dict[str, pd.DataFrame]:
    """The tables written to disk, by file stem."""
    out = {
        "country_summary": results.country_table(),
        "country_daily": results.country_daily(),
        "node_summary": results.node_table(),
        "runs": results.runs_table(),
    }
    node_daily = results.node_daily()
    if node_daily is not None:
        out["node_daily"] = node_daily
    if results.full_prevalence is not None:
        r, d, n, c = results.full_prevalence.shape
        out["full"] = pd.DataFrame(
            {
                "run": np.repeat(np.arange(r), d * n * c),
                "day": np.tile(np.repeat(np.arange(d), n * c), r),
                "node": np.tile(np.repeat(np.array(results.nodes), c), r * d),
                "compartment": np.tile(np.array(results.compartments), r * d * n),
                "prevalence": results.full_prevalence.ravel(),
                "incidence": results.full_incidence.ravel(),
            }
        )
    return out


def check_out(out_dir: str | Path) -> None:
    """Refuse an output folder that exists and is not an earlier results folder."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (
        not out_dir.is_dir()
        or (any(out_dir.iterdir()) and not (out_dir / "metadata.json").exists())
    ):
        raise InputError(
            "exists and is not an epicommons results folder; choose another --out", source=out_dir
        )


def write(results: Results, out_dir: str | Path, scenario_text: str | None = None) -> list[Path]:
    """Write all tables plus `metadata.json` (and `scenario.toml`) into `out_dir` atomically."""
    out_dir = Path(out_dir)
    check_out(out_dir)
    meta = {
        **results.metadata,
        "versions": versions(),
        "engine": results.engine,
        "runs": results.runs,
        "seed": results.seed,
        "days": results.days,
        "start": results.start.isoformat(),
    }
    blob = json.dumps(meta, default=str, indent=2)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for stem, df in tables(results).items():
            table = pa.Table.from_pandas(df, preserve_index=False)
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"epicommons": blob.encode()}
            )
            pq.write_table(table, tmp / f"{stem}.parquet")
        (tmp / "metadata.json").write_text(blob + "\n", encoding="utf-8")
        if scenario_text is not None:
            (tmp / "scenario.toml").write_text(scenario_text, encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out_dir.iterdir())
