"""Backtests of both nowcast methods on the real German triangles, whole seasons, beside the
counts as known; writes docs/validation/nowcast.md.

Each season runs from the first Sunday of October to the last Sunday of April; the target is what
was reported within 4 weeks (`--max-delay 4`, the RESPINOW hubs' target). The SARI age groups start
in October 2023, so its 2023/24 season is scored for all ages only. The same tables come from
`epicommons nowcast-evaluate FILE --from … --to … --max-delay 4 --method M --out DIR`.

Run:  .venv/bin/python scripts/validation/nowcast.py [--shared-data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from epicommons.surveillance.nowcast_evaluate import backtest
from epicommons.surveillance.triangle import read_triangle

REPO = Path(__file__).resolve().parents[2]
SEASONS = {"2023/24": ("2023-10-01", "2024-04-28"), "2024/25": ("2024-10-06", "2025-04-27")}
SETS = {
    "SARI hospitalisations (ICOSARI)": "SARI__reporting_triangle-icosari-sari.csv",
    "influenza notifications (SurvStat)": "Survstat__reporting_triangle-survstat-influenza.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "validation" / "nowcast.md")
    args = parser.parse_args()
    lines = [
        "# Nowcast validation: whole-season backtests on the German triangles",
        "",
        "Command: `.venv/bin/python scripts/validation/nowcast.py` (or, per table, "
        "`epicommons nowcast-evaluate FILE --from DATE --to DATE --max-delay 4 --method M --out DIR`).",
        "Every as-of date of the season (weekly), every series of the triangle (SARI: Germany and 6 "
        "age groups; SurvStat influenza: Germany, 6 age groups and 12 state groups), horizons −3..0, "
        "scored against what was reported within 4 weeks. *as known*: the count as it stood on the "
        "as-of date (no correction). Relative WIS = mean WIS / that of *as known* (< 1 is better). "
        "Targets (issue): 50% intervals covering 45–55%, 95% intervals 90–97%; the model should beat "
        "the empirical method where delays are long.",
        "",
        "Data: Robert Koch Institute; RESPINOW-Data, KITmetricslab (see docs/data.md).",
        "",
    ]
    for title, name in SETS.items():
        tri = read_triangle(args.shared_data / "respinow_de" / name)
        for season, (start, end) in SEASONS.items():
            sub = tri
            if name.startswith("SARI") and season == "2023/24":
                sub = tri.select(["DE"], ["00+"])
            summaries = []
            seconds = {}
            for method in ("model", "empirical"):
                began = time.perf_counter()
                result = backtest(sub, start, end, method=method, max_delay=4, n_paths=500)
                seconds[method] = time.perf_counter() - began
                s = result.summary()
                summaries.append(s if method == "model" else s[s["model"] != "as known"])
            table = pd.concat(summaries, ignore_index=True)
            n_series = len(sub.keys)
            lines += [
                f"## {title}, {season} ({n_series} series, {len(result.as_of)} as-of dates)",
                "",
                "| model | horizon | mean WIS | relative WIS | 50% covered | 95% covered | n |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for row in table.sort_values(["model", "horizon"]).itertuples():
                lines.append(
                    f"| {row.model} | {row.horizon} | {row.wis:,.1f} | {row.relative_wis:.2f} | "
                    f"{row.covered_50:.0%} | {row.covered_95:.0%} | {row.n:,} |"
                )
            overall = table.groupby("model")[["wis", "covered_50", "covered_95"]].mean()
            base = overall.loc["as known", "wis"]
            lines += [
                "",
                "All horizons: "
                + "; ".join(
                    f"{m} relative WIS {r.wis / base:.2f}, coverage {r.covered_50:.0%} / "
                    f"{r.covered_95:.0%}"
                    for m, r in overall.drop(index="as known").iterrows()
                )
                + f". Backtest time: model {seconds['model']:.1f} s, empirical "
                f"{seconds['empirical']:.1f} s.",
                "",
            ]
            print("\n".join(lines[-(len(table) + 6) :]), flush=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
