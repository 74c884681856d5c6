"""Choose the renewal settings out of sample: score a grid of settings at every origin, pick the
one with the lowest relative WIS on the origins before --split whose 90% intervals cover 80-95%
there (the issue's calibration target), and show how it does on the origins from --split on,
which the choice never saw. The grid uses 300 sample paths per forecast (to be quick); the
validation tables come from `epicommons forecast-evaluate` with the chosen settings.

Usage: python scripts/validation/forecast_choose.py JHU_CSV --out grid.csv
       [--countries BEL,DEU,...] [--split 2021-01-01]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.forecast.baseline import baseline_forecast
from epicommons.forecast.evaluate import forecast_origins
from epicommons.forecast.renewal import RenewalSettings, renewal_forecast
from epicommons.forecast.series import from_case_data
from epicommons.scoring import covered, weighted_interval_score
from epicommons.surveillance.readers import read_cases
from epicommons.world.population import population

GRID = {
    "fit_days": (7, 10, 14),
    "weekday_days": (0, 28),  # 0: the weekday factors from the fit window itself
    "damping": (0.1, 0.2, 0.4),
    "rw_sd": (0.25, 0.35, 0.5),
}


def settings_grid() -> list[RenewalSettings]:
    """Every combination of GRID (a 7-day fit needs weekday factors from a longer window)."""
    out = []
    for fit, wd, damping, sd in itertools.product(*GRID.values()):
        if fit == 7 and wd == 0:
            continue
        st = RenewalSettings(fit_days=fit, weekday_days=wd or fit, damping=damping, rw_sd=sd)
        out.append(st)
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
    cut = np.datetime64(args.split, "D")
    targets = []  # (series, origin, truth (4,), baseline WIS (4,))
    for s in series:
        ends, weekly = s.weekly()
        truth = dict(zip(ends.tolist(), weekly, strict=True))
        for o in origins:
            k = s.up_to(o)
            ke, kw = k.weekly()
            base = baseline_forecast(kw[ke <= o], ke[ke <= o], horizons=4)
            y = np.array([truth.get(d, np.nan) for d in base.week_ends.tolist()])
            targets.append((s, o, y, weighted_interval_score(base.quantile_dict(), y)))
    rows = []
    grid = settings_grid()
    for i, st in enumerate(grid):
        print(f"{i + 1}/{len(grid)} {st}", file=sys.stderr, flush=True)
        st = RenewalSettings(**{**st.__dict__, "samples": 300})
        wis, base, cov, early = [], [], [], []
        for s, o, y, bw in targets:
            k = s.up_to(o)
            fc = renewal_forecast(k.dates, k.counts, settings=st, population=population(s.country))
            q = fc.quantile_dict()
            wis.append(weighted_interval_score(q, y))
            base.append(bw)
            cov.append(covered(q, y, 0.9))
            early.append(np.full(4, o < cut))
        w, b, c, e = (np.concatenate(v) for v in (wis, base, cov, early))
        ok = np.isfinite(w) & np.isfinite(b)
        row = {k: getattr(st, k) for k in GRID}
        for name, part in (("choose", e & ok), ("report", ~e & ok)):
            row[f"{name}_rel_wis"] = w[part].mean() / b[part].mean()
            row[f"{name}_cov90"] = c[part].mean()
            h = np.tile(np.arange(1, 5), len(targets))
            for hh in range(1, 5):
                m = part & (h == hh)
                row[f"{name}_h{hh}"] = w[m].mean() / b[m].mean()
        rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False, float_format="%.4f")
    ok = table[table["choose_cov90"].between(0.8, 0.95)]
    best = ok.sort_values("choose_rel_wis").iloc[0]
    print(f"{len(table)} settings, {len(ok)} with 90% coverage in 80-95% before {args.split}")
    print("chosen on the origins before the split:")
    print(best.to_string())


if __name__ == "__main__":
    main()
