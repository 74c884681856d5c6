"""Choose the renewal settings out of sample: score a grid of settings at every origin, pick the
one with the lowest relative WIS on the origins before --split whose 90% intervals cover 80-95%
there (the issue's calibration target), and report it on the origins from --split on, which the
choice never saw. Writes the grid's table (CSV) and prints the choice.

Usage: python scripts/validation/forecast_choose.py JHU_CSV --out grid.csv
       [--countries BEL,DEU,...] [--split 2021-01-01]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.forecast.evaluate import EvaluationSpec, evaluate, forecast_origins, relative_wis
from epicommons.forecast.renewal import RenewalSettings
from epicommons.forecast.series import from_case_data
from epicommons.surveillance.readers import read_cases

GRID = {
    "fit_days": (7, 10, 14),
    "weekday_days": (0, 21, 28),  # 0: the weekday factors from the fit window itself
    "damping": (0.1, 0.2, 0.4),
    "rw_sd": (0.25, 0.35, 0.5),
}


def settings_grid() -> list[RenewalSettings]:
    """Every combination of GRID (a 7-day fit needs weekday factors from a longer window)."""
    out = []
    for fit, wd, damping, sd in itertools.product(*GRID.values()):
        if fit == 7 and wd == 0:
            continue
        out.append(RenewalSettings(fit_days=fit, weekday_days=wd or fit, damping=damping, rw_sd=sd))
    return out


def summary(scores: pd.DataFrame) -> dict[str, float]:
    """Relative WIS overall and per horizon, and 90% coverage, of the renewal rows."""
    o = relative_wis(scores).set_index("model").loc["renewal"]
    h = relative_wis(scores, ["horizon"]).query("model == 'renewal'").set_index("horizon")
    out = {"rel_wis": o["relative_wis"], "cov90": o["coverage_90"]}
    out.update({f"h{k}": v for k, v in h["relative_wis"].items()})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--countries", default="BEL,DEU,ESP,FRA,GBR,ITA,NLD,POL")
    ap.add_argument("--split", default="2021-01-01")
    args = ap.parse_args()
    data = read_cases(args.cases, with_deaths=False).select(args.countries.split(","))
    series = from_case_data(data.series())
    origins = forecast_origins(np.datetime64("2020-04-01"), np.datetime64("2022-03-31"), 4)
    base = evaluate(series, origins, EvaluationSpec(models=()))
    cut = pd.Timestamp(args.split)
    rows = []
    for st in settings_grid():
        spec = EvaluationSpec(models=("renewal",), renewal=st, baseline_samples=100)
        scores = evaluate(series, origins, spec)
        scores = pd.concat([base, scores[scores["model"] == "renewal"]], ignore_index=True)
        row = {k: getattr(st, k) for k in GRID}
        for name, part in (("choose", scores["origin"] < cut), ("report", scores["origin"] >= cut)):
            row.update({f"{name}_{k}": v for k, v in summary(scores[part]).items()})
        rows.append(row)
    grid = pd.DataFrame(rows)
    grid.to_csv(args.out, index=False, float_format="%.4f")
    ok = grid[grid["choose_cov90"].between(0.8, 0.95)]
    best = ok.sort_values("choose_rel_wis").iloc[0]
    print(f"{len(grid)} settings, {len(ok)} with 90% coverage in 80-95% before {args.split}")
    print("chosen on the origins before the split:")
    print(best.to_string())
    print(
        replace(
            RenewalSettings(), **{k: type(getattr(RenewalSettings(), k))(best[k]) for k in GRID}
        )
    )


if __name__ == "__main__":
    main()
