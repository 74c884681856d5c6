"""Benchmark of `epicommons forecast-evaluate` on the validation case: JHU cases, 8 European
countries, 26 origins every 4 weeks (April 2020 - March 2022), horizons 1-4, the default model
(renewal, with the baseline it is scored against), in-process and on a local Dask cluster of 2
workers; the two score tables must be identical.

Usage: .venv/bin/python benchmarks/bench_forecast.py --shared-data ../shared/data
       [--write docs/performance/forecast.md]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

COUNTRIES = "BEL,DEU,ESP,FRA,GBR,ITA,NLD,POL"


def run(jhu: Path, out: Path, extra: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the command and its children, load average at the start."""
    load = "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "epicommons", "forecast-evaluate", str(jhu), "--country",
         COUNTRIES, "--model", "renewal", "--from", "2020-04-01", "--to", "2022-03-31",
         "--every", "4w", "--out", str(out), "--quiet", *extra],
        check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    jhu = args.shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        for name, extra in (("in-process", []), ("local cluster, 2 workers", ["--workers", "2"])):
            out = Path(tmp) / name.split(",")[0].replace(" ", "-")
            wall, cpu, load = run(jhu, out, extra)
            outs[name] = pd.read_parquet(out / "scores.parquet")
            rows.append((name, wall, cpu, load))
        same = outs["in-process"].equals(outs["local cluster, 2 workers"])
    lines = [
        "## Forecast evaluation (`epicommons forecast-evaluate`)",
        "",
        "Command: `.venv/bin/python benchmarks/bench_forecast.py --shared-data ../shared/data`  ",
        "Case: JHU cases, 8 countries, 26 origins, horizons 1-4, model renewal (+ the baseline, "
        "100,000 samples per forecast), 208 renewal and 208 baseline forecasts, each scored.",
        "",
        "| backend | wall s | CPU s (command and workers) | load average at start (1/5/15 min) |",
        "|---|---|---|---|",
        *(f"| {n} | {w:.1f} | {c:.1f} | {ld} |" for n, w, c, ld in rows),
        "",
        f"Identical score tables: {'yes' if same else 'NO'}. Target: under 10 minutes.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
