"""Coverage of ABC-SMC posterior intervals on reports the engine generated (docs/validation/calibration.md).

For fit i = 0..M-1: draw the true parameters from the prior (seed i), generate one run of reports
(engine + negative-binomial noise), fit by ABC-SMC, and check whether the 50 % and 90 % central
posterior intervals contain the truth. Well-calibrated intervals cover in ~50 % and ~90 % of
fits. The ABC posterior is regression-adjusted (the default) unless `--no-adjustment`.
`--method laplace`: the likelihood point estimate with the Laplace (inverse Hessian) normal
approximation instead of ABC.

Usage: .venv/bin/python scripts/validation/calibrate_coverage.py [--fits 100] [--particles 1000]
       [--workers 2] [--min-acceptance 0.05] [--method abc|laplace] [--no-adjustment]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from epicommons.backend import open_backend
from epicommons.calibrate import abc_smc, build_problem, fit_likelihood
from epicommons.calibrate.likelihood import laplace_covariance
from epicommons.calibrate.spec import parse
from epicommons.calibrate.synthetic import blank_data, synthetic_data

SCENARIO = """
start = 2020-02-01
days = 60
seed = 3
engine = "deterministic"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.0
sigma = 0.4
gamma = 0.333
[[seeds]]
where = "ITA"
count = 1
[calibration]
countries = ["ITA", "ESP"]
fit_start = 2020-02-10
fit_end = 2020-03-20
change_points = [2020-03-05]
forecast_days = 0
[calibration.fit.R0]
low = 1.3
high = 3.5
per_country = true
[calibration.fit.change]
low = 0.2
high = 1.2
[calibration.fixed]
seed_size = 50
seed_day = 2
reporting = 0.5
dispersion = 30
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fits", type=int, default=100)
    ap.add_argument("--particles", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--min-acceptance", type=float, default=0.05)
    ap.add_argument("--method", choices=["abc", "laplace"], default="abc")
    ap.add_argument("--no-adjustment", action="store_true", help="ABC without regression")
    args = ap.parse_args()
    scenario, spec = parse(SCENARIO)
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 60))
    names = blank.names
    hits90 = np.zeros((args.fits, blank.dims), dtype=bool)
    hits50 = np.zeros_like(hits90)
    width90 = np.zeros((args.fits, blank.dims))
    simulations = np.zeros(args.fits)
    effective = np.full(args.fits, np.nan)
    applied = np.zeros(args.fits, dtype=bool)
    t0 = time.perf_counter()
    with open_backend(args.workers) as backend:
        for i in range(args.fits):
            gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([i, 0xC0])))
            truth = blank.sample_prior(gen, 1)[0]
            problem = build_problem(scenario, spec, synthetic_data(blank, truth, run=10_000 + i))
            if args.method == "laplace":
                est = fit_likelihood(problem, starts=2, seed=i, backend=backend)
                sd = np.sqrt(np.maximum(np.diag(laplace_covariance(problem, est)), 0.0))
                q = est.values[None] + np.array([-1.6449, -0.6745, 0.6745, 1.6449])[:, None] * sd
                generations = 0
                simulations[i] = est.evaluations + 4 * blank.dims**2
            else:
                post = abc_smc(
                    problem,
                    particles=args.particles,
                    min_acceptance=args.min_acceptance,
                    max_generations=60,
                    seed=i,
                    regression_adjustment=not args.no_adjustment,
                    backend=backend,
                )
                q = post.quantiles([0.05, 0.25, 0.75, 0.95])
                generations = len(post.generations)
                simulations[i] = sum(g.simulations for g in post.generations)
                if post.adjustment is not None:
                    simulations[i] += post.adjustment.simulations
                    effective[i] = post.adjustment.effective_size
                    applied[i] = post.adjustment.applied
            hits90[i] = (q[0] <= truth) & (truth <= q[3])
            hits50[i] = (q[1] <= truth) & (truth <= q[2])
            width90[i] = q[3] - q[0]
            print(
                f"fit {i}: truth {np.round(truth, 3).tolist()} 90% "
                f"{np.round(q[[0, 3]].T, 3).tolist()} generations {generations}",
                flush=True,
            )
    wall = time.perf_counter() - t0
    out = {
        "fits": args.fits,
        "particles": args.particles,
        "min_acceptance": args.min_acceptance,
        "method": args.method,
        "regression_adjustment": args.method == "abc" and not args.no_adjustment,
        "parameters": names,
        "coverage90": hits90.mean(axis=0).tolist(),
        "coverage50": hits50.mean(axis=0).tolist(),
        "coverage90_all": float(hits90.mean()),
        "coverage50_all": float(hits50.mean()),
        "mean_width90": width90.mean(axis=0).tolist(),
        "mean_simulations": float(simulations.mean()),
        "effective_size_mean_min": None
        if np.isnan(effective).all()
        else [float(np.nanmean(effective)), float(np.nanmin(effective))],
        "fits_adjusted": int(applied.sum()),
        "wall_s": wall,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
