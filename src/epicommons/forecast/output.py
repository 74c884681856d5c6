"""Forecast and evaluation outputs in one folder, written atomically (`_files.atomic_folder`),
with a JSON file of settings that also marks the folder as ours.

`epicommons forecast`: weekly.parquet (weekly quantiles per country and model), daily.parquet
(daily quantiles of the models that draw daily paths), paths.parquet (the daily sample
trajectories), weekly_paths.parquet (the weekly sample paths), forecast.json.
`epicommons forecast-evaluate`: scores.parquet (every model, country, origin and horizon: truth,
WIS and its parts, coverage, the quantiles), summary.csv, relative_wis_by_horizon.csv,
relative_wis_by_country.csv, evaluation.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons._files import atomic_folder, check_output, csv_number

from .result import Forecast

FORECAST_MARKER = "forecast.json"
EVALUATION_MARKER = "evaluation.json"


def check_out(out_dir: Path, marker: str) -> Path:
    """Refuse, before any work, an `--out` that cannot take this command's folder."""
    return check_output(out_dir, "folder", marker=marker)


def write(
    out_dir: Path, tables: dict[str, pd.DataFrame], metadata: dict[str, object], marker: str
) -> list[Path]:
    """Write each table under its file name (.parquet or .csv) and the `marker` JSON."""
    with atomic_folder(out_dir, marker) as tmp:
        for name, frame in tables.items():
            if name.endswith(".parquet"):
                frame.to_parquet(tmp / name, index=False)
            else:
                frame.to_csv(tmp / name, index=False, float_format=csv_number)
        (tmp / marker).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
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
