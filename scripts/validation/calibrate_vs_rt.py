"""Fitted transmission vs Cori Rt on real JHU data, early 2020 (docs/validation/calibration.md).

Usage: .venv/bin/python scripts/validation/calibrate_vs_rt.py --data JHU_CONFIRMED_CSV
       [--countries ITA ESP DEU FRA GBR AUT] [--particles 2000] [--no-adjustment]

Each country is fitted on its own (ABC-SMC, scenario examples/calibration/europe_2020.toml with
`countries` set to that one country and weekly change points: R0, a change factor per week,
seeding day, dispersion). For weekly windows of case dates in the fit period the model's reproduction number
is R(t - L) (L = 3 days: reported cases enter at the end of the 2.5-day latent period), averaged
over the window, over the posterior (S/N ~ 1 this early). Cori's Rt (estimate_rt, EpiEstim-exact)
uses the model's generation interval: latent Exp(mean 2.5 d) + infectious Exp(mean 3 d), mean
5.5 d, sd 3.9 d.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.calibrate import abc_smc, build_problem
from epicommons.calibrate.spec import parse
from epicommons.surveillance import estimate_rt, read_cases

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "calibration" / "europe_2020.toml"
LAG = 3
SI_MEAN, SI_SD = 5.5, float(np.hypot(2.5, 3.0))


def windows(spec, first: pd.Timestamp) -> tuple[list[int], list[int]]:
    """Weekly windows of case dates ending on fit_end, starting a week after fit_start."""
    ends = pd.date_range(
        pd.Timestamp(spec.fit_start) + pd.Timedelta(days=13), pd.Timestamp(spec.fit_end)
    )[::-1][::7][::-1]
    t_end = [(e - first).days + 1 for e in ends]
    return [e - 6 for e in t_end], t_end


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--countries", nargs="+", default=["ITA", "ESP", "DEU", "FRA", "GBR", "AUT"])
    ap.add_argument("--particles", type=int, default=2000)
    ap.add_argument("--no-adjustment", action="store_true", help="raw ABC, no regression")
    ap.add_argument(
        "--change-points",
        nargs="*",
        default=["2020-03-01", "2020-03-08", "2020-03-15", "2020-03-22"],
        help="infection dates where transmission may change (default: weekly, so that each "
        "Cori window of case dates maps to one piece after the 3-day lag)",
    )
    args = ap.parse_args()
    text = SCENARIO.read_text()
    cases = read_cases(args.data)
    rows = []
    for iso in args.countries:
        one = re.sub(r"countries = \[.*?\]", f'countries = ["{iso}"]', text)
        points = ", ".join(args.change_points)
        one = re.sub(r"change_points = \[.*?\]", f"change_points = [{points}]", one)
        scenario, spec = parse(one)
        problem = build_problem(scenario, spec, cases, base=SCENARIO.parent)
        post = abc_smc(
            problem,
            particles=args.particles,
            seed=1,
            regression_adjustment=not args.no_adjustment,
        )
        theta, w = post.particles, post.weights
        # R per piece (runs, pieces): R0 times the change factors so far
        r_piece = [problem.values(theta, "R0")[:, 0]]
        for k in range(len(spec.change_points)):
            r_piece.append(r_piece[-1] * problem.values(theta, "change", k)[:, 0])
        r_piece = np.column_stack(r_piece)
        sub = cases.select([iso])
        fitted = sub.columns["date"] <= np.datetime64(spec.fit_end)
        sub = replace(sub, columns={k: v[fitted] for k, v in sub.columns.items()})
        first = pd.Timestamp(sub.columns["date"].min())
        t_start, t_end = windows(spec, first)
        rt = estimate_rt(sub, si_mean=SI_MEAN, si_sd=SI_SD, t_start=t_start, t_end=t_end)
        offset = (first - pd.Timestamp(scenario.start)).days
        for _, r in rt.iterrows():
            days = np.arange(r["t_start"], r["t_end"] + 1) - 1 + offset
            piece = np.searchsorted(problem.bounds[1:-1], days - LAG, side="right")
            model_r = r_piece[:, piece].mean(axis=1)
            order = np.argsort(model_r)
            cw = np.cumsum(w[order]) / w.sum()
            q = [
                model_r[order[min(np.searchsorted(cw, p), len(cw) - 1)]] for p in (0.05, 0.5, 0.95)
            ]
            rows.append(
                {
                    "country": iso,
                    "window": f"{r['date_start']:%m-%d}..{r['date_end']:%m-%d}",
                    "cori_mean": r["mean"],
                    "cori_q0.025": r["q0.025"],
                    "cori_q0.975": r["q0.975"],
                    "model_q0.05": q[0],
                    "model_median": q[1],
                    "model_q0.95": q[2],
                }
            )
        adj = post.adjustment
        note = "" if adj is None else f", adjusted {adj.applied} (ESS {adj.effective_size:.0f})"
        print(
            f"{iso}: {len(post.generations)} generations, eps {post.epsilon:.3f}{note}", flush=True
        )
    out = pd.DataFrame(rows)
    out["rel_diff"] = out["model_median"] / out["cori_mean"] - 1
    out["overlap"] = (out["model_q0.95"] >= out["cori_q0.025"]) & (
        out["model_q0.05"] <= out["cori_q0.975"]
    )
    pd.set_option("display.width", 200)
    print(out.round(3).to_string(index=False))
    corr = float(np.corrcoef(out["model_median"], out["cori_mean"])[0, 1])
    summary = {
        "windows": len(out),
        "median_abs_rel_diff": float(out["rel_diff"].abs().median()),
        "overlap_share": float(out["overlap"].mean()),
        "pearson_r": corr,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
