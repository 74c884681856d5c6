"""Backtests of the nowcast methods on the real German triangles, whole seasons, beside the counts
as known: the model's settings chosen on 2023/24 by a rule fixed beforehand, then reported on
2024/25; writes docs/validation/nowcast.md.

Each season runs from the first Sunday of October to the last Sunday of April; the target is what
was reported within 4 weeks (`--max-delay 4`, the RESPINOW hubs' target). The SARI age groups start
in October 2023, so its 2023/24 season is scored for all ages only. The same tables come from
`epicommons nowcast-evaluate FILE --from … --to … --max-delay 4 --method M --out DIR`.

The rule (written down before any 2024/25 backtest of these candidates was run):
1. every candidate of `CANDIDATES` (the model's `Settings`) is backtested on SARI 2023/24, the
   triangle with long delays;
2. admissible: PIT coverage over all horizons within 45–55% (50% intervals) and 90–97% (95%);
   if none is, those nearest to the two ranges (sum of the distances) are;
3. the `FINALISTS` admissible candidates with the lowest SARI relative WIS are backtested on
   SurvStat influenza 2023/24; the chosen settings have the lowest mean of the two relative WIS;
4. the combination (`combined`: equal-weight quantile average of the chosen model and the
   empirical method) is scored on the same two 2023/24 backtests; the method for long delays is
   `combined` only if it is admissible on SARI 2023/24 and its mean relative WIS is lower than
   the chosen model's, else `model`;
5. the default (`--method auto`) uses, per series, that long-delay method where the late share
   of its fitted window is at least 10% (SARI: about 25%; SurvStat: under 2%), else `empirical`;
   the threshold is fixed here, between the two data sets, not fitted;
6. 2024/25 is only reported, never used to choose.

Run:  .venv/bin/python scripts/validation/nowcast.py [--shared-data ../shared/data]
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from epicommons.surveillance.nowcast_evaluate import backtest
from epicommons.surveillance.nowcast_model import Settings
from epicommons.surveillance.triangle import read_triangle

REPO = Path(__file__).resolve().parents[2]
SEASONS = {"2023/24": ("2023-10-01", "2024-04-28"), "2024/25": ("2024-10-06", "2025-04-27")}
SARI = "SARI__reporting_triangle-icosari-sari.csv"
FLU = "Survstat__reporting_triangle-survstat-influenza.csv"
TITLES = {SARI: "SARI hospitalisations (ICOSARI)", FLU: "influenza notifications (SurvStat)"}
CANDIDATES = [
    Settings(smooth_sd=s, delay_sd=d, noise=n, window_per_delay=w)
    for w, n, d, s in itertools.product(
        (3, 5), ("bootstrap", "negbin"), (0.05, 0.1, 0.2, 0.4), (0.1, 0.15, 0.25)
    )
]
FINALISTS = 3
COVERAGE = {"pit_covered_50": (0.45, 0.55), "pit_covered_95": (0.90, 0.97)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "validation" / "nowcast.md")
    args = parser.parse_args()
    data = args.shared_data / "respinow_de"
    triangles = {name: read_triangle(data / name) for name in (SARI, FLU)}
    subsets = {
        (SARI, "2023/24"): triangles[SARI].select(["DE"], ["00+"]),
        (SARI, "2024/25"): triangles[SARI],
        (FLU, "2023/24"): triangles[FLU],
        (FLU, "2024/25"): triangles[FLU],
    }

    def run(name: str, season: str, method: str, settings: Settings | None = None):
        began = time.perf_counter()
        start, end = SEASONS[season]
        result = backtest(
            subsets[name, season],
            start,
            end,
            method=method,
            max_delay=4,
            n_paths=500,
            settings=settings,
        )
        return result, time.perf_counter() - began

    # 1–2: the grid on SARI 2023/24
    grid = []
    for i, settings in enumerate(CANDIDATES):
        result, _ = run(SARI, "2023/24", "model", settings)
        grid.append({"candidate": i, **asdict(settings), **_overall(result, "model")})
        print(grid[-1], flush=True)
    grid = pd.DataFrame(grid)
    grid["miss"] = sum(
        (low - grid[c]).clip(lower=0) + (grid[c] - high).clip(lower=0)
        for c, (low, high) in COVERAGE.items()
    )
    grid["admissible"] = grid["miss"] <= grid["miss"].min() + 1e-12
    # 3: the finalists on SurvStat 2023/24
    finalists = grid[grid["admissible"]].nsmallest(FINALISTS, "relative_wis")
    final, flu_runs = [], {}
    for row in finalists.itertuples():
        flu_runs[row.candidate] = run(FLU, "2023/24", "model", CANDIDATES[row.candidate])
        result = flu_runs[row.candidate][0]
        flu = _overall(result, "model")
        final.append(
            {
                "candidate": row.candidate,
                "sari": row.relative_wis,
                "flu": flu["relative_wis"],
                "flu_pit_50": flu["pit_covered_50"],
                "flu_pit_95": flu["pit_covered_95"],
            }
        )
        print(final[-1], flush=True)
    final = pd.DataFrame(final)
    final["mean"] = (final["sari"] + final["flu"]) / 2
    best = int(final.loc[final["mean"].idxmin(), "candidate"])
    chosen = CANDIDATES[best]
    # 4: the combination and the empirical method on 2023/24, with the chosen settings
    seasons: dict[tuple[str, str], dict[str, tuple]] = {}
    for name in (SARI, FLU):
        seasons[name, "2023/24"] = {
            m: flu_runs[best] if (name, m) == (FLU, "model") else run(name, "2023/24", m, chosen)
            for m in ("model", "combined", "empirical")
        }
    choice = {m: _overall(seasons[SARI, "2023/24"][m][0], m) for m in ("model", "combined")}
    mean_wis = {
        m: (choice[m]["relative_wis"] + _overall(seasons[FLU, "2023/24"][m][0], m)["relative_wis"])
        / 2
        for m in choice
    }
    combined_ok = _miss(choice["combined"]) <= grid["miss"].min() + 1e-12
    long_delays = (
        "combined" if combined_ok and mean_wis["combined"] < mean_wis["model"] else "model"
    )
    # 5: the report on 2024/25
    for name in (SARI, FLU):
        seasons[name, "2024/25"] = {
            m: run(name, "2024/25", m, chosen) for m in ("model", "combined", "empirical")
        }
    lines = _header(chosen, long_delays)
    lines += _choice_tables(grid, final, chosen, choice, mean_wis, long_delays)
    lines += _summary_table(seasons, subsets)
    for (name, season), runs in seasons.items():
        lines += _season_table(name, season, runs, subsets[name, season])
    args.out.write_text("\n".join(lines), encoding="utf-8")


def _overall(result, method: str) -> dict[str, float]:
    """Relative WIS and PIT coverage of `method` over all horizons of a backtest."""
    scores = result.scores
    means = scores.groupby("model")[["wis", *COVERAGE]].mean()
    return {
        "relative_wis": means.loc[method, "wis"] / means.loc["as known", "wis"],
        **{c: means.loc[method, c] for c in COVERAGE},
    }


def _miss(row: dict[str, float]) -> float:
    """How far a method's PIT coverage is outside the target ranges (0 inside both)."""
    return sum(
        max(low - row[c], 0.0) + max(row[c] - high, 0.0) for c, (low, high) in COVERAGE.items()
    )


def _header(chosen: Settings, long_delays: str) -> list[str]:
    return [
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
        "**How the settings were chosen** (the rule of `scripts/validation/nowcast.py`, fixed before "
        "any 2024/25 backtest of the candidates): the model's candidate settings are scored on SARI "
        "2023/24 (long delays); those whose PIT coverage is inside (or, if none is, nearest to) the "
        "target ranges are admissible; the 3 admissible ones with the lowest relative WIS are scored "
        "on SurvStat influenza 2023/24 and the lowest mean relative WIS of the two wins; the "
        "combination with the empirical method replaces the model only if it is admissible and "
        "better on that mean. 2024/25 is reported, never used to choose.",
        "",
        f"Chosen: `{chosen}`; method for long delays: `{long_delays}`.",
        "",
        "Data: Robert Koch Institute; RESPINOW-Data, KITmetricslab (see docs/data.md).",
        "",
    ]


def _choice_tables(grid, final, chosen, choice, mean_wis, long_delays) -> list[str]:
    lines = [
        "## Chosen on 2023/24",
        "",
        f"### The {len(grid)} candidates on SARI 2023/24 (Germany, all ages)",
        "",
        "| # | window per delay | noise | delay sd | smooth sd | relative WIS | 50% PIT | 95% PIT "
        "| admissible |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in grid.itertuples():
        lines.append(
            f"| {r.candidate} | {r.window_per_delay} | {r.noise} | {r.delay_sd} | {r.smooth_sd} | "
            f"{r.relative_wis:.3f} | {r.pit_covered_50:.1%} | {r.pit_covered_95:.1%} | "
            f"{'yes' if r.admissible else ''} |"
        )
    lines += [
        "",
        "### The finalists on SurvStat influenza 2023/24",
        "",
        "| # | SARI relative WIS | SurvStat relative WIS | SurvStat 50% / 95% PIT | mean |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in final.itertuples():
        lines.append(
            f"| {r.candidate} | {r.sari:.3f} | {r.flu:.3f} | {r.flu_pit_50:.0%} / "
            f"{r.flu_pit_95:.0%} | {r.mean:.3f} |"
        )
    lines += [
        "",
        "### Model or combination",
        "",
        "| method | SARI 2023/24 relative WIS | 50% / 95% PIT | mean relative WIS with SurvStat |",
        "|---|---:|---:|---:|",
    ]
    for m, row in choice.items():
        lines.append(
            f"| {m} | {row['relative_wis']:.3f} | {row['pit_covered_50']:.1%} / "
            f"{row['pit_covered_95']:.1%} | {mean_wis[m]:.3f} |"
        )
    lines += ["", f"Method for long delays: **{long_delays}**.", ""]
    return lines


def _summary_table(seasons, subsets) -> list[str]:
    lines = [
        "## Chosen on / reported on",
        "",
        "All horizons; relative WIS, PIT coverage of the 50% / 95% intervals.",
        "",
        "| data | season | role | late share | empirical | model | combined |",
        "|---|---|---|---:|---|---|---|",
    ]
    for (name, season), runs in seasons.items():
        cells = []
        for m in ("empirical", "model", "combined"):
            row = _overall(runs[m][0], m)
            cells.append(
                f"{row['relative_wis']:.2f}, {row['pit_covered_50']:.0%} / {row['pit_covered_95']:.0%}"
            )
        role = "chosen on" if season == "2023/24" else "reported on"
        start, end = SEASONS[season]
        lines.append(
            f"| {TITLES[name]} | {season} | {role} | {_late_share(subsets[name, season], start, end):.1%} "
            f"| {' | '.join(cells)} |"
        )
    return [*lines, ""]


def _season_table(name: str, season: str, runs, sub) -> list[str]:
    summaries = [
        s if m == "model" else s[s["model"] != "as known"]
        for m, (result, _) in runs.items()
        for s in [result.summary()]
    ]
    table = pd.concat(summaries, ignore_index=True)
    result = runs["model"][0]
    lines = [
        f"## {TITLES[name]}, {season} ({len(sub.keys)} series, {len(result.as_of)} as-of dates)",
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
    times = ", ".join(f"{m} {seconds:.1f} s" for m, (_, seconds) in runs.items())
    return [*lines, "", f"Backtest time (under load): {times}.", ""]


def _late_share(tri, start: str, end: str) -> float:
    """Of the counts reported within 4 weeks for the season's weeks, the share after week 0."""
    import numpy as np

    cut = tri.up_to_delay(4).from_delay_zero()
    rows = (cut.dates >= np.datetime64(start)) & (cut.dates <= np.datetime64(end))
    counts = np.nan_to_num(cut.counts[:, rows])
    return float(counts[:, :, 1:].sum() / counts.sum())


if __name__ == "__main__":
    main()
