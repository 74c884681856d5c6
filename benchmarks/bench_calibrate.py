"""Benchmark of calibration: 10 coupled countries with 10,000 particles in-process and on local
Dask clusters of 1 and 2 workers; and one country side by side with epydemix's ABC-SMC at the
same particle budget (epydemix in benchmarks/.venv-epydemix, created here if missing).

Usage: PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_calibrate.py [--particles 10000]
       [--generations 4] [--epydemix-generations 2] [--write docs/performance/calibrate.md]

Work is fixed, not tolerance-driven: ABC-SMC runs exactly `--generations` generations (the first
simulates N particles from the prior, each later one N(1 - alpha) proposals), so every backend
does the same simulations; the posteriors must be identical (checked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from epicommons.backend import open_backend
from epicommons.calibrate import abc_smc, build_problem
from epicommons.calibrate.spec import parse
from epicommons.calibrate.synthetic import blank_data, synthetic_data

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "benchmarks" / ".venv-epydemix"
COUNTRIES = ["ITA", "ESP", "FRA", "DEU", "GBR", "CHE", "AUT", "BEL", "NLD", "PRT"]

TEN = f"""
start = 2020-01-20
days = 80
seed = 1
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.5
sigma = 0.4
gamma = 0.333
[[seeds]]
where = "ITA"
count = 10
[calibration]
countries = {json.dumps(COUNTRIES)}
fit_start = 2020-02-20
fit_end = 2020-03-31
change_points = [2020-03-14]
forecast_days = 0
[calibration.fit.R0]
low = 1.0
high = 5.0
per_country = true
[calibration.fit.change]
low = 0.1
high = 1.5
per_country = true
[calibration.fit.seed_day]
low = 0
high = 40
per_country = true
[calibration.fixed]
seed_size = 10
reporting = 0.2
dispersion = 20
"""

ONE = """
start = 2020-01-01
days = 100
seed = 1
engine = "stochastic"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.0
sigma = 0.4
gamma = 0.333
[[seeds]]
where = "ITA"
count = 10
[calibration]
countries = ["ITA"]
fit_start = 2020-01-01
fit_end = 2020-04-09
engine = "stochastic"
forecast_days = 0
[calibration.fit.R0]
low = 1.0
high = 4.0
[calibration.fixed]
seed_size = 10
reporting = 1.0
dispersion = 1e6
"""

EPYDEMIX_SCRIPT = r"""
import json, sys, time
import numpy as np
from scipy import stats
from epydemix.model import EpiModel, simulate
from epydemix.population import Population
from epydemix.calibration import ABCSampler

spec = json.loads(open(sys.argv[1]).read())
nk = np.array([spec["population"]])
pop = Population(name="one")
pop.add_population(Nk=nk)
pop.add_contact_matrix(np.array([[1.0]]), layer_name="all")
m = EpiModel(compartments=["S", "E", "I", "R"])
m.set_population(pop)
m.add_parameter(parameters_dict={"beta": 0.5, "sigma": spec["sigma"], "gamma": spec["gamma"]})
m.add_transition(source="S", target="E", kind="mediated", params=("beta", "I"))
m.add_transition(source="E", target="I", kind="spontaneous", params="sigma")
m.add_transition(source="I", target="R", kind="spontaneous", params="gamma")
ic = {"S": nk - spec["seed"], "E": np.array([spec["seed"]]), "I": np.zeros(1), "R": np.zeros(1)}
count = [0]
def wrapper(params):
    count[0] += 1
    beta = params["R0"] * spec["gamma"]
    traj = simulate(m, start_date="2020-01-01", end_date=spec["end"],
                    initial_conditions_dict=ic, beta=beta, rng=params.get("rng"))
    return {"data": traj.transitions["E_to_I_total"]}
sampler = ABCSampler(simulation_function=wrapper, priors={"R0": stats.uniform(1.0, 3.0)},
                     parameters={}, observed_data=np.array(spec["observed"]), rng=1)
c, w = time.process_time(), time.perf_counter()
res = sampler.calibrate(strategy="smc", num_particles=spec["particles"],
                        num_generations=spec["generations"], verbose=False)
cpu, wall = time.process_time() - c, time.perf_counter() - w
post = res.get_posterior_distribution()
print(json.dumps({"cpu": cpu, "wall": wall, "simulations": count[0],
                  "median": float(post["R0"].median())}))
"""


def epydemix_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import epydemix"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "epydemix==1.5.*"], check=True)
    return python


def synthetic_problem(text: str, truth: np.ndarray):
    scenario, spec = parse(text)
    days = (spec.fit_end - scenario.start).days + 1
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, days))
    return build_problem(scenario, spec, synthetic_data(blank, truth, run=99)), spec


def timed_abc(problem, particles: int, generations: int, backend) -> tuple[float, float, object]:
    """The ABC-SMC sampler alone, at the particle budget epydemix gets: without the regression
    adjustment (on by default), which adds one batch of `particles` runs, about one generation."""
    c, w = time.process_time(), time.perf_counter()
    post = abc_smc(
        problem,
        particles=particles,
        max_generations=generations,
        min_acceptance=1e-9,
        seed=5,
        backend=backend,
        regression_adjustment=False,
    )
    return time.perf_counter() - w, time.process_time() - c, post


def ten_countries(particles: int, generations: int) -> list[dict]:
    gen = np.random.default_rng(3)
    truth = np.concatenate(
        [gen.uniform(1.8, 3.2, 10), gen.uniform(0.3, 0.9, 10), gen.uniform(5, 25, 10)]
    )
    problem, _ = synthetic_problem(TEN, truth)
    sims = particles + (generations - 1) * (particles - int(0.3 * particles))
    rows, ref = [], None
    for label, workers in (
        ("in-process", None),
        ("local cluster, 1 worker", 1),
        ("local cluster, 2 workers", 2),
    ):
        with open_backend(workers) as backend:
            if workers is not None:  # warm the workers (imports, compiled kernels) untimed
                abc_smc(problem, particles=200, max_generations=1, seed=0, backend=backend)
            wall, cpu, post = timed_abc(problem, particles, generations, backend)
        same = ref is None or np.array_equal(post.particles, ref.particles)
        ref = ref or post
        rows.append(
            {
                "case": f"10 countries, {problem.dims} parameters, {label}",
                "wall": wall,
                "driver_cpu": cpu,
                "simulations": sims,
                "identical": same,
                "load": os.getloadavg(),
            }
        )
        print(rows[-1], flush=True)
    return rows


def one_country(particles: int, generations: int, epy_generations: int) -> dict:
    problem, spec = synthetic_problem(ONE, np.array([2.0]))
    with open_backend() as backend:
        ours = {}
        for g in sorted({generations, epy_generations}):
            wall, cpu, post = timed_abc(problem, particles, g, backend)
            ours[g] = {
                "wall": wall,
                "cpu": cpu,
                "simulations": particles + (g - 1) * (particles - int(0.3 * particles)),
                "median": float(post.quantiles([0.5])[0, 0]),
            }
    observed = problem.observed[:, 0, 0].tolist()
    python = epydemix_venv()
    version = subprocess.run(
        [str(python), "-c", "import epydemix; print(epydemix.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        path.write_text(
            json.dumps(
                {
                    "population": float(problem.model.network.population[0]),
                    "sigma": 0.4,
                    "gamma": 0.333,
                    "seed": 10.0,
                    "end": "2020-04-09",
                    "observed": observed,
                    "particles": particles,
                    "generations": epy_generations,
                }
            )
        )
        out = subprocess.run(
            [str(python), "-c", EPYDEMIX_SCRIPT, str(path)],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        )
    epy = json.loads(out.stdout.strip().splitlines()[-1])
    return {"ours": ours, "epydemix": epy, "version": version, "load": os.getloadavg()}


def markdown(ten: list[dict], one: dict, args, load0) -> str:
    lines = [
        "## Calibration (`epicommons.calibrate`)",
        "",
        f"Command: `PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_calibrate.py "
        f"--particles {args.particles} --generations {args.generations} "
        f"--epydemix-generations {args.epydemix_generations}`  ",
        f"Machine: 2 cores ({platform.machine()}), Python {platform.python_version()}, "
        f"numpy {np.__version__}. The CPU is shared with other engineers' jobs: load average "
        f"(1/5/15 min) {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f} at the start and "
        f"{one['load'][0]:.1f} / {one['load'][1]:.1f} / {one['load'][2]:.1f} at the end, so "
        "wall times are inflated and the 2-worker speed-up is capped by the other jobs.",
        "",
        f"(1) ABC-SMC, {args.particles:,} particles, {args.generations} generations (fixed "
        "work), deterministic engine, 10 countries of the built-in network coupled by travel, "
        "80 days, data generated by the engine; parameters R0, change factor and seeding day "
        "per country. Dask workers are warmed (imports, compiled kernels) before timing.",
        "",
        "| case | simulations | wall s | simulations / s | driver CPU s | same posterior |",
        "|---|---|---|---|---|---|",
    ]
    for r in ten:
        lines.append(
            f"| {r['case']} | {r['simulations']:,} | {r['wall']:.1f} | "
            f"{r['simulations'] / r['wall']:,.0f} | {r['driver_cpu']:.1f} | "
            f"{'yes' if r['identical'] else 'NO'} |"
        )
    g = args.epydemix_generations
    ours, epy = one["ours"][g], one["epydemix"]
    lines += [
        "",
        f"(2) One country (Italy's population, one group), stochastic SEIR, 100 days, R0 fitted "
        f"to engine-generated daily incidence; {args.particles:,} particles and {g} "
        "generations in both. epydemix's ABC-SMC refills each generation by rejection until "
        "all particles are accepted (more simulations per generation); ours simulates one "
        "batch of N(1 - alpha) proposals per generation. Simulations per second is the fair "
        "figure.",
        "",
        "| sampler | simulations | wall s | CPU s | simulations / s | posterior median R0 (truth 2.0) |",
        "|---|---|---|---|---|---|",
        f"| epicommons ABC-SMC (in-process) | {ours['simulations']:,} | {ours['wall']:.1f} | "
        f"{ours['cpu']:.1f} | {ours['simulations'] / ours['wall']:,.0f} | {ours['median']:.3f} |",
        f"| epydemix {one['version']} ABCSampler smc | {epy['simulations']:,} | {epy['wall']:.1f} "
        f"| {epy['cpu']:.1f} | {epy['simulations'] / epy['wall']:,.0f} | {epy['median']:.3f} |",
        "",
        f"Speed per simulation: {(ours['simulations'] / ours['wall']) / (epy['simulations'] / epy['wall']):.0f}x. "
        "epydemix runs in its own venv (`benchmarks/.venv-epydemix`, `epydemix==1.5.*`) in a "
        "subprocess; its import time is excluded.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--particles", type=int, default=10_000)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--epydemix-generations", type=int, default=2)
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    load0 = os.getloadavg()
    ten = ten_countries(args.particles, args.generations)
    one = one_country(args.particles, args.generations, args.epydemix_generations)
    print(json.dumps(one, indent=2, default=str))
    text = markdown(ten, one, args, load0)
    print(text)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text)


if __name__ == "__main__":
    main()
