"""Does the ABC posterior narrow on a many-parameter problem? (docs/validation/calibration.md)

The scenario of examples/calibration/europe_2020.toml (4 countries, 13 parameters: R0, the
change factor and the seeding day per country, one NB dispersion), fitted once by the
likelihood (Laplace sd) and by ABC-SMC with and without the regression adjustment (same seed, so
the same SMC run underneath). Reports come from the engine with known parameters (default), or
from a real case file with `--data` (then there is no truth, only the widths).

Usage: .venv/bin/python scripts/validation/calibrate_many_parameters.py [--particles 4000]
       [--max-generations 30] [--min-acceptance 0.02] [--sampler apmc|mcmc]
       [--data time_series_covid19_confirmed_global.csv] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from epicommons.backend import open_backend
from epicommons.calibrate import (
    abc_smc,
    abc_smc_mcmc,
    build_problem,
    fit_likelihood,
)
from epicommons.calibrate.likelihood import laplace_covariance
from epicommons.calibrate.spec import load
from epicommons.calibrate.synthetic import blank_data, synthetic_data
from epicommons.calibrate.tasks import abc_distances
from epicommons.surveillance import read_cases

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/calibration/europe_2020.toml"
# R0, change factor and seeding day of ITA, ESP, FRA, DEU; the NB dispersion
TRUTH = {"R0": [3.2, 3.6, 3.0, 2.8], "change": [0.45, 0.4, 0.5, 0.55], "seed_day": [22, 27, 26, 28]}
DISPERSION = 10.0


def truth_vector(names: list[str]) -> np.ndarray:
    order = ["ITA", "ESP", "FRA", "DEU"]
    out = []
    for name in names:
        kind, _, iso = name.partition("[")
        kind = "change" if kind.startswith("change") else kind
        out.append(DISPERSION if kind == "dispersion" else TRUTH[kind][order.index(iso[:3])])
    return np.array(out, dtype=float)


def distance_at(problem, theta: np.ndarray, runs: int = 300) -> np.ndarray:
    """ABC distances of `runs` simulations at theta: the floor the tolerance can approach."""
    ids = np.arange(10**8, 10**8 + runs, dtype=np.int64)
    return abc_distances(problem, (np.repeat(theta[None], runs, axis=0), ids))[:, 0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--particles", type=int, default=4000)
    ap.add_argument("--max-generations", type=int, default=30)
    ap.add_argument("--min-acceptance", type=float, default=None)
    ap.add_argument("--sampler", choices=["apmc", "mcmc"], default="apmc")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    scenario, spec, _ = load(EXAMPLE)
    days = (spec.fit_end - scenario.start).days + 1 + spec.forecast_days
    truth = None
    if args.data is None:
        blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, days))
        truth = truth_vector(blank.names)
        data = synthetic_data(blank, truth, run=1)
    else:
        data = read_cases(args.data)
    problem = build_problem(scenario, spec, data)
    names = problem.names
    rows: dict[str, dict[str, float]] = {n: {} for n in names}
    t0 = time.perf_counter()
    with open_backend(args.workers) as backend:
        est = fit_likelihood(problem, starts=spec.starts, seed=problem.seed, backend=backend)
        sd = np.sqrt(np.maximum(np.diag(laplace_covariance(problem, est, backend=backend)), 0))
        sampler = abc_smc if args.sampler == "apmc" else abc_smc_mcmc
        posts = {
            adj: sampler(
                problem,
                particles=args.particles,
                alpha=spec.alpha if args.sampler == "apmc" else 0.5,
                min_acceptance=args.min_acceptance or spec.min_acceptance,
                max_generations=args.max_generations,
                seed=problem.seed,
                regression_adjustment=adj,
                backend=backend,
            )
            for adj in (False, True)
        }
    summary: dict[str, object] = {
        "sampler": args.sampler,
        "particles": args.particles,
        "data": str(args.data) if args.data else "engine-generated (run 1)",
        "generations": len(posts[True].generations),
        "simulations": sum(g.simulations for g in posts[True].generations),
        "epsilon": posts[True].epsilon,
        "distance_at_truth_median": None
        if truth is None
        else float(np.median(distance_at(problem, truth))),
        "adjustment": posts[True].adjustment.__dict__,
        "wall_s": time.perf_counter() - t0,
    }
    for j, name in enumerate(names):
        row = rows[name]
        if truth is not None:
            row["truth"] = float(truth[j])
        row["mle"] = float(est.values[j])
        row["laplace_width90"] = float(2 * 1.6449 * sd[j])
        for adj, tag in ((False, "raw"), (True, "adjusted")):
            q = posts[adj].quantiles([0.05, 0.5, 0.95])[:, j]
            row[f"{tag}_median"] = float(q[1])
            row[f"{tag}_width90"] = float(q[2] - q[0])
            if truth is not None:
                row[f"{tag}_covers"] = bool(q[0] <= truth[j] <= q[2])
    print(json.dumps({"summary": summary, "parameters": rows}, indent=1))
    keys = ["truth"] if truth is not None else []
    keys += ["mle", "laplace_width90", "raw_width90", "adjusted_width90", "adjusted_median"]
    print("| parameter | " + " | ".join(keys) + " | adjusted 90 % covers |")
    for name, row in rows.items():
        cells = " | ".join(f"{row[k]:.3g}" for k in keys)
        print(f"| {name} | {cells} | {row.get('adjusted_covers', '-')} |")


if __name__ == "__main__":
    main()
