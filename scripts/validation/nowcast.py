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
        "the empirical method where delays are long. *Late share*: of the counts reported within 4 "
        "weeks, the share that came after the first week (all series of the season, summed): how "
        "long the delays are.",
        "",
        "Coverage is given twice. *covered* counts the bounds in, as the Hubs do: a forecast that "
        "puts mass on the observed count itself (a count already complete, common for small "
        "series) covers it with every interval, so counts over-cover. *PIT* is the coverage of the "
        "non-randomised PIT (Czado, Gneiting & Held 2009; `scoring.pit_coverage`): the share of "
        "the PIT's range [F(y−), F(y)] inside the interval, which a calibrated forecast of counts "
        "meets at its nominal level. The targets are read on the PIT columns.",
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
                f"Late share {_late_share(sub, start, end):.1%}.",
                "",
                "| model | horizon | mean WIS | relative WIS | 50% covered | 95% covered "
                "| 50% PIT | 95% PIT | n |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for row in table.sort_values(["model", "horizon"]).itertuples():
                lines.append(
                    f"| {row.model} | {row.horizon} | {row.wis:,.1f} | {row.relative_wis:.2f} | "
                    f"{row.covered_50:.0%} | {row.covered_95:.0%} | {row.pit_covered_50:.0%} | "
                    f"{row.pit_covered_95:.0%} | {row.n:,} |"
                )
            columns = ["wis", "covered_50", "covered_95", "pit_covered_50", "pit_covered_95"]
            overall = table.groupby("model")[columns].mean()
            base = overall.loc["as known", "wis"]
            lines += [
                "",
                "All horizons: "
                + "; ".join(
                    f"{m} relative WIS {r.wis / base:.2f}, coverage {r.covered_50:.0%} / "
                    f"{r.covered_95:.0%} (PIT {r.pit_covered_50:.0%} / {r.pit_covered_95:.0%})"
                    for m, r in overall.drop(index="as known").iterrows()
                )
                + f". Backtest time: model {seconds['model']:.1f} s, empirical "
                f"{seconds['empirical']:.1f} s.",
                "",
            ]
            print("\n".join(lines[-(len(table) + 6) :]), flush=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")


def _late_share(tri, start: str, end: str) -> float:
    """Of the counts reported within 4 weeks for the season's weeks, the share after week 0."""
    import numpy as np

    cut = tri.up_to_delay(4).from_delay_zero()
    rows = (cut.dates >= np.datetime64(start)) & (cut.dates <= np.datetime64(end))
    counts = np.nan_to_num(cut.counts[:, rows])
    return float(counts[:, :, 1:].sum() / counts.sum())


if __name__ == "__main__":
    main()
