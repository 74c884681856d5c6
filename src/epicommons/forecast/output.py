"""Forecast and evaluation outputs in one folder, written atomically (a temporary sibling, then
renamed), with a JSON file of settings that also marks the folder as ours.

`epicommons forecast`: weekly.parquet (weekly quantiles per country and model), daily.parquet
(daily quantiles of the models that draw daily paths), paths.parquet (the daily sample
trajectories), weekly_paths.parquet (the weekly sample paths), forecast.json.
`epicommons forecast-evaluate`: scores.parquet (every model, country, origin and horizon: truth,
WIS and its parts, coverage, the quantiles), summary.csv, relative_wis_by_horizon.csv,
relative_wis_by_country.csv, evaluation.json.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.errors import InputError

from .result import Forecast

MARKERS = ("forecast.json", "evaluation.json")


def check_out(out_dir: Path) -> None:
    """Refuse a path that is a file, or a non-empty folder that is not an earlier output."""
    if out_dir.exists() and (
        not out_dir.is_dir()
        or (any(out_dir.iterdir()) and not any((out_dir / m).exists() for m in MARKERS))
    ):
        raise InputError(
            "exists and is not an epicommons forecast folder; choose another --out",
            source=out_dir,
        )


def write(
    out_dir: Path, tables: dict[str, pd.DataFrame], metadata: dict[str, object], marker: str
) -> list[Path]:
    """Write each table under its file name (.parquet or .csv) and the `marker` JSON."""
    check_out(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for name, frame in tables.items():
            if name.endswith(".parquet"):
                frame.to_parquet(tmp / name, index=False)
            else:
                frame.to_csv(tmp / name, index=False, float_format="%.6g")
        (tmp / marker).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
        tmp.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out_dir.iterdir())


def forecast_tables(forecasts: Sequence[Forecast]) -> dict[str, pd.DataFrame]:
    """The long tables of a set of forecasts: weekly and daily quantiles, daily and weekly paths."""
    weekly, daily, paths, weekly_paths = [], [], [], []
    for fc in forecasts:
        head = {"country": fc.country, "model": fc.model, "origin": pd.Timestamp(fc.origin)}
        w = pd.DataFrame(
            {**head, "horizon": np.arange(1, fc.horizons + 1), "week_end": fc.week_ends}
        )
        for lv, values in fc.quantile_dict().items():
            w[f"q{lv:g}"] = values
        weekly.append(w)
        if fc.weekly_paths is not None:
            n, h = fc.weekly_paths.shape
            weekly_paths.append(
                pd.DataFrame(
                    {
                        **head,
                        "sample": np.repeat(np.arange(n), h),
                        "week_end": np.tile(fc.week_ends, n),
                        "value": fc.weekly_paths.reshape(-1),
                    }
                )
            )
        if fc.daily_paths is not None:
            dq = fc.daily_quantiles()
            d = pd.DataFrame({**head, "date": fc.daily_dates})
            for i, lv in enumerate(fc.levels):
                d[f"q{lv:g}"] = dq[i]
            daily.append(d)
            n, days = fc.daily_paths.shape
            paths.append(
                pd.DataFrame(
                    {
                        **head,
                        "sample": np.repeat(np.arange(n), days),
                        "date": np.tile(fc.daily_dates, n),
                        "value": fc.daily_paths.reshape(-1),
                    }
                )
            )
    out = {"weekly.parquet": pd.concat(weekly, ignore_index=True)}
    for name, parts in (
        ("daily.parquet", daily),
        ("paths.parquet", paths),
        ("weekly_paths.parquet", weekly_paths),
    ):
        if parts:
            out[name] = pd.concat(parts, ignore_index=True)
    return out
