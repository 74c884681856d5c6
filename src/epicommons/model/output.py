"""Write `Results` as Parquet files with the scenario and software versions recorded.

All files are written into a temporary sibling folder which is renamed at the end, so a failed
run leaves nothing half written. Every Parquet file carries the metadata under key `epicommons`.
"""

from __future__ import annotations

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from epicommons._files import atomic_folder, check_output

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


MARKER = "metadata.json"


def check_out(out_dir: str | Path) -> Path:
    """Refuse an output folder that cannot be written or is not an earlier results folder."""
    return check_output(out_dir, "folder", marker=MARKER)


def write(results: Results, out_dir: str | Path, scenario_text: str | None = None) -> list[Path]:
    """Write all tables plus `metadata.json` (and `scenario.toml`) into `out_dir` atomically."""
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
    with atomic_folder(out_dir, MARKER) as tmp:
        for stem, df in tables(results).items():
            table = pa.Table.from_pandas(df, preserve_index=False)
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"epicommons": blob.encode()}
            )
            pq.write_table(table, tmp / f"{stem}.parquet")
        (tmp / MARKER).write_text(blob + "\n", encoding="utf-8")
        if scenario_text is not None:
            (tmp / "scenario.toml").write_text(scenario_text, encoding="utf-8")
    return sorted(Path(out_dir).iterdir())
