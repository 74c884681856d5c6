"""Benchmark of the spread engine, side by side with epydemix 1.5 in the same run.

(a) stochastic SEIR, 5 age groups, 365 days, all countries of the built-in network;
(b) the same on the OpenFlights airport network: per run on one core, a 100-run ensemble on
    2 worker processes, and the ensemble's peak memory (all processes);
(c) one population, 100 runs: epicommons vs epydemix 1.5 (installed by this script in
    benchmarks/.venv-epydemix); and 200 countries coupled the only way epydemix can (one
    1,000-group contact matrix) vs epicommons' network of all countries (a);
(d) 2,000 runs of (a) on a local Dask cluster of 2 worker processes: runs/s and peak memory
    (client, workers) when 500, 1,000 and 2,000 runs are folded, to show memory stays flat
    (`--parts d`).
Each part rewrites only its own marked section of docs/performance/engine.md (`--out`).

Times are CPU seconds of the simulating process(es) (`time.process_time`, robust to other users of
a shared machine) and wall-clock seconds. Writes docs/performance/engine.md.

Usage: .venv/bin/python benchmarks/bench_engine.py [--quick] [--parts abcpd]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numba import njit

from epicommons.backend import open_backend
from epicommons.model import Seed, build_model, kernels, seir, simulate
from epicommons.model.engine import LEAP_ABOVE
from epicommons.model.leap import fast_transitions, tables
from epicommons.model.population import age_structure
from epicommons.model.travel import (
    big_nodes,
    expected_exchange,
    infected_travellers,
    leap_infected,
    link_probabilities,
    routes,
    settle,
    uninfected_pools,
)
from epicommons.world.network import Network
from epicommons.world.sources import load_network

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", ROOT.parent / "shared" / "data"))
VENV = ROOT / "benchmarks" / ".venv-epydemix"
EDGES = (0, 10, 20, 40, 60)
DAYS = 365
R0 = 2.0  # SEIR preset otherwise: latent 1.1 d, infectious 2.5 d (Balcan et al. 2009)


def timed(fn):
    """(result, cpu seconds, wall seconds) of fn()."""
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c, time.perf_counter() - w


class PeakMemory:
    """Peak resident memory of this process plus all its descendants (Dask's nannies and
    workers are grandchildren), sampled every 50 ms; `client_peak`: this process alone."""

    def __init__(self) -> None:
        self.peak = 0
        self.client_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> tuple[int, int]:
        me = os.getpid()
        parent, rss = {}, {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                parent[int(d.name)] = int(stat[1])
                rss[int(d.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue

        def mine(pid: int) -> bool:
            while pid > 1:
                if pid == me:
                    return True
                pid = parent.get(pid, 0)
            return False

        return sum(v for pid, v in rss.items() if mine(pid)), rss.get(me, 0)

    def _run(self) -> None:
        while not self._stop.is_set():
            total, client = self._tree_rss()
            self.peak = max(self.peak, total)
            self.client_peak = max(self.client_peak, client)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def model_for(net: Network):
    return build_model(seir(R0=R0), net, age_structure(net, EDGES, "builtin", 2020))


def busiest_country(net: Network) -> str:
    out = net.outflow()
    return net.nodes[int(np.argmax(out))]


def part_a(runs: int) -> dict:
    net = load_network("builtin")
    model = model_for(net)
    seeds = [Seed(node=busiest_country(net), count=20)]
    simulate(model, seeds, 5, 1, 0)  # compile / load the numba cache
    simulate(model, seeds, 5, 1, 0, leap_above=LEAP_ABOVE)
    res, cpu, wall = timed(lambda: simulate(model, seeds, DAYS, runs, 1))
    _, fcpu, fwall = timed(lambda: simulate(model, seeds, DAYS, runs, 1, leap_above=LEAP_ABOVE))
    reached = float((res.arrival_day >= 0).mean())
    return {
        "nodes": net.size,
        "links": net.n_links,
        "runs": runs,
        "cpu_per_run": cpu / runs,
        "wall_per_run": wall / runs,
        "fast_cpu_per_run": fcpu / runs,
        "fast_wall_per_run": fwall / runs,
        "reached": reached,
        "model": model,
    }


def part_b(runs_single: int, runs_ensemble: int) -> dict:
    net = load_network("openflights", SHARED / "openflights", "airport")
    model = model_for(net)
    seeds = [Seed(node=busiest_country(net), count=20)]
    out = {"nodes": net.size, "links": net.n_links, "runs": runs_single}
    for prefix, leap in (("", None), ("fast_", LEAP_ABOVE)):
        simulate(model, seeds, 5, 1, 0, leap_above=leap)
        _, cpu, wall = timed(
            lambda la=leap: simulate(model, seeds, DAYS, runs_single, 1, leap_above=la)
        )
        with PeakMemory() as mem, open_backend(2) as cluster:
            before = workers_cpu(cluster)
            _, _, ewall = timed(
                lambda la=leap, c=cluster: simulate(
                    model, seeds, DAYS, runs_ensemble, 1, backend=c, leap_above=la
                )
            )
            child_cpu = workers_cpu(cluster) - before
        out |= {
            f"{prefix}cpu_per_run": cpu / runs_single,
            f"{prefix}wall_per_run": wall / runs_single,
            f"{prefix}ensemble_wall": ewall,
            f"{prefix}ensemble_child_cpu": child_cpu,
            f"{prefix}peak_bytes": mem.peak,
        }
    out["ensemble_runs"] = runs_ensemble
    return out


def workers_cpu(backend) -> float:
    """CPU seconds used so far by the cluster's worker processes."""
    return sum(backend.client.run(lambda: time.process_time()).values())


MARKS = (500, 1000, 2000)  # the default: --d-runs 2000


def markers(part: str) -> tuple[str, str]:
    """The comments around the doc's section of one part (a, b, c, p, d)."""
    return f"<!-- bench_engine ({part}): begin -->", f"<!-- bench_engine ({part}): end -->"


def on_cluster(model, seeds, runs: int, leap: float | None, progress=None) -> dict:
    """One ensemble on a fresh local cluster of 2 worker processes (warmed up first): wall
    seconds, the workers' CPU seconds and peak memory (client + every descendant)."""
    with PeakMemory() as mem, open_backend(2) as cluster:
        simulate(model, seeds, 2, 2, 0, chunk=1, backend=cluster, leap_above=leap)  # warm-up
        cpu0 = workers_cpu(cluster)
        chunk = max(1, min(25, -(-runs // 4)))  # at least 4 chunks: both workers busy
        _, _, wall = timed(
            lambda: simulate(
                model,
                seeds,
                DAYS,
                runs,
                1,
                chunk=chunk,
                backend=cluster,
                leap_above=leap,
                progress=progress,
            )
        )
        cpu = workers_cpu(cluster) - cpu0
    return {"wall": wall, "cpu": cpu, "peak": mem.peak, "client_peak": mem.client_peak}


def part_d(runs: int, marks: tuple[int, ...], ensemble_runs: int) -> dict:
    """(d): (b)'s ensemble of `ensemble_runs` runs on 2 worker processes, exact and fast; then
    `runs` fast runs of (a) on 2 workers with, at each mark, the runs/s and peak memory so far."""
    air = load_network("openflights", SHARED / "openflights", "airport")
    amodel = model_for(air)
    aseeds = [Seed(node=busiest_country(air), count=20)]
    out = {
        "ensemble_runs": ensemble_runs,
        "air_nodes": air.size,
    }
    for name, leap in (("exact", None), ("fast", LEAP_ABOVE)):
        out[name] = on_cluster(amodel, aseeds, ensemble_runs, leap)
        print(f"(d) airports {name}: {out[name]}", flush=True)
    net = load_network("builtin")
    model = model_for(net)
    seeds = [Seed(node=busiest_country(net), count=20)]
    rows = []
    mem = PeakMemory()
    done = 0
    t0 = 0.0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        for m in marks:
            if done - n < m <= done:
                rows.append(
                    {
                        "runs": m,
                        "wall": time.perf_counter() - t0,
                        "peak": mem.peak,
                        "client_peak": mem.client_peak,
                    }
                )
                print(f"(d) {rows[-1]}", flush=True)

    with mem, open_backend(2) as cluster:
        simulate(model, seeds, 2, 2, 0, chunk=1, backend=cluster, leap_above=LEAP_ABOVE)
        cpu0 = workers_cpu(cluster)
        t0 = time.perf_counter()
        simulate(model, seeds, DAYS, runs, 1, backend=cluster, leap_above=LEAP_ABOVE, progress=tick)
        cpu = workers_cpu(cluster) - cpu0
    for r in rows:
        r["runs_per_s"] = r["runs"] / r["wall"]
    out |= {"rows": rows, "runs": runs, "nodes": net.size, "cpu_per_run": cpu / runs}
    return out


def section_d(d: dict, load: tuple[str, str], command: str) -> str:
    """The doc's (d) section, between its markers."""
    gb = 2**30
    e, f = d["exact"], d["fast"]
    n = d["ensemble_runs"]
    begin, end = markers("d")
    lines = [
        begin,
        "### Ensembles on Dask: chunks folded as they finish",
        "",
        f"Command: `{command}`. "
        "Local Dask clusters of 2 worker processes on loopback, chunks of 25 runs, a warm-up "
        "ensemble first; peak memory is the resident memory of the client plus every "
        "descendant process (2 nannies, 2 workers), sampled every 50 ms. Load average "
        f"(1/5/15 min) {load[0]} at the start, {load[1]} at the end (the ensembles keep both "
        "cores busy; above ~2 at the start the cores were shared with other work and wall "
        "times and runs/s are inflated, CPU seconds and memory much less so).",
        "",
        "| case | target | exact | fast |",
        "|---|---|---|---|",
        f"| (b) airports ({d['air_nodes']:,} nodes), {n}-run ensemble, 2 workers: wall s "
        f"| ≤ 15 s | {e['wall']:.1f} | {f['wall']:.1f} |",
        f"| same: workers' CPU s/run | | {e['cpu'] / n:.3f} | {f['cpu'] / n:.3f} |",
        f"| same: peak memory, all processes (client alone) | ≤ 2 GB | "
        f"{e['peak'] / gb:.2f} GB ({e['client_peak'] / gb:.2f}) | "
        f"{f['peak'] / gb:.2f} GB ({f['client_peak'] / gb:.2f}) |",
        "",
        f"One ensemble of {d['runs']:,} fast runs of case (a) (built-in network, "
        f"{d['nodes']} countries, SEIR, 5 ages, 365 days; workers' CPU "
        f"{d['cpu_per_run']:.3f} s/run) on 2 workers; at each mark, runs per second so far "
        "(wall) and the peak memory so far:",
        "",
        "| runs folded | wall s | runs/s | peak memory, all processes | peak memory, client |",
        "|---|---|---|---|---|",
    ]
    for r in d["rows"]:
        lines.append(
            f"| {r['runs']:,} | {r['wall']:.0f} | {r['runs_per_s']:.2f} | "
            f"{r['peak'] / gb:.2f} GB | {r['client_peak'] / gb:.2f} GB |"
        )
    lines += ["", *CHUNKING, "", end]
    return "\n".join(lines)


CHUNKING = [
    "How the runs are split and merged. `simulate`, `risk`, `compare` and `vaccine-study` "
    "(and the library's `model.ensemble.simulate`) split the runs into chunks of run indices "
    "(`backend.chunked`, 25 runs each); a chunk is one task, run on a worker with the model, "
    "seeds and schedule sent once per ensemble, and it sends back only that chunk's per-run "
    "outputs. Run r draws from its own stream (seed, r), so a run's numbers do not depend on "
    "which worker or chunk it is in. The backend's `stream` yields chunks as they finish, in "
    "any order, keeping at most 2 chunks per worker thread past the earliest unfinished one; "
    "the client puts them back in run order (`backend.InOrder`, which therefore holds at most "
    "that many) and folds each one run by run (`model.summary.Summary`), so every float sum "
    "is taken in the same order whatever the backend, the number of workers, threads or "
    "processes, and the chunk size: results are bit-identical "
    "(`tests/test_ensemble_dask.py`, array equality).",
    "",
    "What the client keeps, and what is exact: per run, small scalars per node (arrival day, "
    "cumulative infections, susceptible people at the end: 20 bytes per node), the last day's "
    "prevalence per country and the worldwide daily incidence (exact); per day, country and "
    "compartment the sums over runs of prevalence and incidence (exact means); the per-run "
    "daily country series only up to `OutputOptions.series_runs` (100) runs, with quantiles "
    "exactly as `numpy.quantile`; beyond, one histogram per cell with counts 0-9 in their own "
    "bins and larger counts in bins 10 % wide, merged by adding counts (exact, in any order), "
    "a quantile being its bin's value: exact below 10, within 5 % above (inverted-CDF "
    "definition). That histogram state is fixed by the bins (~0.3 GB for the built-in "
    "network's 365 days x 250 countries x 4 compartments x 2 measures), not by the runs; "
    "risk's importations are folded the same way (per run: the total per country; per day: "
    "the mean cumulative expectation and P(at least one)). The vaccine study keeps deaths per "
    "run and node (scalars) and sums nothing on the client.",
]


def splice(text: str, part: str, section: str) -> str:
    """`text` with its section of `part` replaced by `section` (appended if it has none); the
    rest of the doc, hand-written or of other parts, is kept."""
    begin, end = markers(part)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + section + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + section + "\n"


EPYDEMIX_SCRIPT = r"""
import json, sys, time
import numpy as np
from epydemix.model import EpiModel
from epydemix.population import Population

spec = json.loads(open(sys.argv[1]).read())
contacts = np.array(spec["contacts"])
nk = np.array(spec["population"])
pop = Population(name="bench")
pop.add_population(Nk=nk)
pop.add_contact_matrix(contacts, layer_name="all")
m = EpiModel(compartments=["S", "E", "I", "R"])
m.set_population(pop)
m.add_parameter(parameters_dict={"beta": spec["beta"], "sigma": spec["sigma"],
                                 "gamma": spec["gamma"]})
m.add_transition(source="S", target="E", kind="mediated", params=("beta", "I"))
m.add_transition(source="E", target="I", kind="spontaneous", params="sigma")
m.add_transition(source="I", target="R", kind="spontaneous", params="gamma")
seed = np.zeros_like(nk)
seed[spec["seed_group"]] = spec["seed_count"]
ic = {"S": nk - seed, "E": seed, "I": np.zeros_like(nk), "R": np.zeros_like(nk)}
c, w = time.process_time(), time.perf_counter()
res = m.run_simulations(start_date="2027-01-01", end_date=spec["end"], Nsim=spec["runs"],
                        initial_conditions_dict=ic, rng=1)
cpu, wall = time.process_time() - c, time.perf_counter() - w
r_final = [t.compartments["R_total"][-1] for t in res.trajectories]
print(json.dumps({"cpu": cpu, "wall": wall, "attack": float(np.mean(r_final) / nk.sum())}))
"""


def epydemix_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import epydemix"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "epydemix==1.5.*"], check=True)
    return python


def run_epydemix(python: Path, spec: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        path.write_text(json.dumps(spec))
        out = subprocess.run(
            [str(python), "-c", EPYDEMIX_SCRIPT, str(path)],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_c(runs: int, coupled_runs: int, a_model) -> dict:
    python = epydemix_venv()
    version = subprocess.run(
        [str(python), "-c", "import epydemix; print(epydemix.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    # (c1) one population: Italy's age structure and built-in contacts, 100 runs
    net = load_network("builtin")
    i = net.index("ITA")
    one = Network(
        ("ITA",), ("ITA",), net.population[[i]], sp.csr_array((1, 1)), "country", "one population"
    )
    ages = age_structure(one, EDGES, "builtin", 2020)
    model = build_model(seir(R0=R0), one, ages)
    seeds = [Seed("ITA", 20)]
    simulate(model, seeds, 5, 1, 0)
    simulate(model, seeds, 5, 1, 0, leap_above=LEAP_ABOVE)
    res, cpu, wall = timed(lambda: simulate(model, seeds, DAYS, runs, 1))
    fres, fcpu, _ = timed(lambda: simulate(model, seeds, DAYS, runs, 1, leap_above=LEAP_ABOVE))
    p = model.parameters
    spec = {
        "contacts": ages.contacts[0].tolist(),
        "population": np.rint(ages.population[0]).tolist(),
        "beta": p["beta"],
        "sigma": p["sigma"],
        "gamma": p["gamma"],
        "seed_group": 2,
        "seed_count": 20,
        "runs": runs,
        "end": "2027-12-31",
    }
    epy = run_epydemix(python, spec)
    ours_attack = float(res.infections.sum(axis=1).mean() / ages.population.sum())
    fast_attack = float(fres.infections.sum(axis=1).mean() / ages.population.sum())
    # (c2) 200 most populous countries coupled through one 1,000-group contact matrix
    top = np.argsort(-net.population)[:200]
    amodel = a_model
    contacts = amodel.ages.per_node_contacts()[top]  # (200, 5, 5)
    popn = amodel.ages.population[top]  # (200, 5)
    f = net.flows.toarray()[np.ix_(top, top)]
    share = f / net.population[top][:, None]  # share of i's people in j on a day
    np.fill_diagonal(share, 0.0)
    stay = 1.0 - share.sum(axis=1)
    big = np.zeros((1000, 1000))
    for a in range(200):
        for b in range(200):
            w = stay[a] if a == b else share[a, b]
            if w > 0:
                big[5 * a : 5 * a + 5, 5 * b : 5 * b + 5] = w * contacts[a]
    spec2 = {
        "contacts": big.tolist(),
        "population": np.rint(popn.ravel()).tolist(),
        "beta": amodel.parameters["beta"],
        "sigma": p["sigma"],
        "gamma": p["gamma"],
        "seed_group": 5 * int(np.flatnonzero(top == net.index("ITA"))[0]) + 2,
        "seed_count": 20,
        "runs": coupled_runs,
        "end": "2027-12-31",
    }
    epy2 = run_epydemix(python, spec2)
    return {
        "version": version,
        "runs": runs,
        "cpu_per_run": cpu / runs,
        "wall_per_run": wall / runs,
        "attack": ours_attack,
        "fast_cpu_per_run": fcpu / runs,
        "fast_attack": fast_attack,
        "epy_cpu_per_run": epy["cpu"] / runs,
        "epy_wall_per_run": epy["wall"] / runs,
        "epy_attack": epy["attack"],
        "coupled_runs": coupled_runs,
        "epy2_cpu_per_run": epy2["cpu"] / coupled_runs,
        "epy2_wall_per_run": epy2["wall"] / coupled_runs,
    }


def load_average() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def sections(
    a: dict | None,
    b: dict | None,
    c: dict | None,
    profile: dict[str, list[float]] | None,
    command: str,
    load: tuple[str, str],
) -> dict[str, str]:
    """The doc's section of each part measured (a, b, c, p), each between its markers."""
    where = (
        f"Command: `{command}`. Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average (1/5/15 min) {load[0]} at the start, {load[1]} "
        "at the end (above ~1.5 the CPU is shared: wall times are inflated, CPU seconds less so, "
        "ratios measured in the same run least)."
    )
    head = "| case | target | exact CPU s/run | fast CPU s/run | fast speed-up | wall s/run exact / fast |"
    rule = "|---|---|---|---|---|---|"
    out = {}
    if a:
        out["a"] = [
            f"### (a) Built-in network: {a['nodes']} countries, {a['links']:,} links",
            "",
            where,
            "",
            head,
            rule,
            f"| (a) {a['runs']} runs, SEIR, 5 ages, 365 d | exact 0.10, fast ≤ 0.03 | "
            f"{a['cpu_per_run']:.3f} | {a['fast_cpu_per_run']:.3f} | "
            f"{a['cpu_per_run'] / a['fast_cpu_per_run']:.2f}× | "
            f"{a['wall_per_run']:.3f} / {a['fast_wall_per_run']:.3f} |",
        ]
    if b:
        gb = 2**30
        out["b"] = [
            f"### (b) OpenFlights airports: {b['nodes']:,} nodes, {b['links']:,} links",
            "",
            where,
            "",
            head,
            rule,
            f"| (b) {b['runs']} runs, 1 core | exact 1.06, fast ≤ 0.25 | {b['cpu_per_run']:.3f} | "
            f"{b['fast_cpu_per_run']:.3f} | {b['cpu_per_run'] / b['fast_cpu_per_run']:.2f}× | "
            f"{b['wall_per_run']:.3f} / {b['fast_wall_per_run']:.3f} |",
            "",
            "| case | target | exact | fast |",
            "|---|---|---|---|",
            f"| (b) {b['ensemble_runs']}-run ensemble on 2 worker processes: wall s | ≤ 15 s | "
            f"{b['ensemble_wall']:.1f} | {b['fast_ensemble_wall']:.1f} |",
            f"| same: workers' CPU s | | {b['ensemble_child_cpu']:.1f} | "
            f"{b['fast_ensemble_child_cpu']:.1f} |",
            f"| same: peak memory, parent and workers | ≤ 2 GB | {b['peak_bytes'] / gb:.2f} GB | "
            f"{b['fast_peak_bytes'] / gb:.2f} GB |",
        ]
    if c:
        out["c"] = [
            "### (c) Beside epydemix",
            "",
            where,
            "",
            "| case | target | epicommons CPU s/run | peer | peer CPU s/run | speed-up |",
            "|---|---|---|---|---|---|",
            f"| (c) one population (Italy), {c['runs']} runs | ≥ 10× faster | "
            f"{c['cpu_per_run']:.4f} | epydemix {c['version']} | {c['epy_cpu_per_run']:.4f} | "
            f"{c['epy_cpu_per_run'] / c['cpu_per_run']:.0f}× |",
            f"| (c) same, fast engine | ≥ 10× faster | {c['fast_cpu_per_run']:.4f} | "
            f"epydemix {c['version']} | {c['epy_cpu_per_run']:.4f} | "
            f"{c['epy_cpu_per_run'] / c['fast_cpu_per_run']:.0f}× |",
        ]
        if a:
            out["c"] += [
                f"| (c) 200 countries: network (a) vs epydemix one 1,000-group matrix "
                f"({c['coupled_runs']} runs) | | {a['cpu_per_run']:.3f} | epydemix {c['version']} "
                f"| {c['epy2_cpu_per_run']:.2f} | {c['epy2_cpu_per_run'] / a['cpu_per_run']:.0f}× |",
                f"| (c) same, fast engine | | {a['fast_cpu_per_run']:.3f} | epydemix "
                f"{c['version']} | {c['epy2_cpu_per_run']:.2f} | "
                f"{c['epy2_cpu_per_run'] / a['fast_cpu_per_run']:.0f}× |",
            ]
        out["c"] += [
            "",
            f"Both simulate the same epidemic: mean attack rate epicommons {c['attack']:.4f} "
            f"(fast engine {c['fast_attack']:.4f}), epydemix {c['epy_attack']:.4f} (same "
            "contact matrix, population and rates; epydemix with its default dt = 1 day).",
        ]
    if profile:
        out["p"] = [
            "### Where the time goes",
            "",
            where,
            "",
            "CPU seconds per run of each part of the day, timed inside the compiled loop "
            "(`breakdown`: a copy of `kernels.run_days` calling the same kernels, with the C "
            "library's clock() around each part), 3 whole runs of 365 days per row. Exact "
            "engine: the day's link probabilities; the infected travellers drawn; the "
            "uninfected pools' expected exchange, rounded; adding the day's moves. Fast engine: "
            "the expected exchange (pools, and the infected between two outbreaks); the other "
            "infected travellers drawn; rounding and adding the day's moves (settle):",
            "",
            "| network, engine | travel 1 | travel 2 | travel 3 | travel 4 | transitions | "
            "seeds and daily outputs | total |",
            "|---|---|---|---|---|---|---|---|",
            *(
                f"| {name} | "
                + " | ".join(f"{v:.3f}" if v else "—" for v in row)
                + f" | {sum(row):.3f} |"
                for name, row in profile.items()
            ),
        ]
    return {
        part: "\n".join([markers(part)[0], *lines, markers(part)[1]]) for part, lines in out.items()
    }


_clock = ctypes.CDLL(None).clock  # CPU time of the process in microseconds (CLOCKS_PER_SEC)
_clock.restype, _clock.argtypes = ctypes.c_long, ()
PARTS = {
    "exact": ("travel: link rates", "travel: infected", "travel: pools", "travel: apply"),
    "fast": ("travel: expected exchange", "travel: infected", "travel: settle", ""),
}


@njit
def _timed_days(x, days, gen, mode, course, links, seeds, today, out, work, acc):
    """`kernels.run_days` with the CPU time of each part of the day added to `acc` (µs): the
    same kernels in the same order, timed with the C library's clock()."""
    fast = mode.stochastic and mode.leap_above < np.inf
    tab = tables(course, fast)
    if fast:
        routes(
            links,
            today.travel,
            today.passing,
            course.mobile_mean,
            work.route,
            work.outflow,
            work.in_flow,
        )
    for day in range(days):
        t0 = _clock()
        if fast:
            work.big[:] = False
            big_nodes(x, course.mobile_draw, mode.mean_above, work.big)
            expected_exchange(x, links, course.alive, course.mobile_mean, course.mobile_draw, work)
            t1 = _clock()
            leap_infected(x, links, course.alive, course.mobile_draw, gen, work, today.passing)
            t2 = _clock()
            settle(x, course.mobile_mean, course.mobile_draw, gen, work)
            t3 = _clock()
            t4 = t3
        else:
            link_probabilities(x, links, today.travel, course.alive, work.prob, work.cum)
            work.delta[:] = 0
            t1 = _clock()
            infected_travellers(x, links, course.mobile_draw, gen, work, today.passing)
            t2 = _clock()
            uninfected_pools(x, links, course.mobile_mean, gen, work, today.passing)
            t3 = _clock()
            x += work.delta
            t4 = _clock()
        for j in range(seeds.day.shape[0]):
            if seeds.day[j] == day:
                kernels.seed_people(
                    x,
                    seeds.node[j],
                    course.susceptible,
                    seeds.compartment[j],
                    seeds.count[j],
                    seeds.age[j],
                    mode.stochastic,
                    gen,
                )
        out.incidence[day, :, :] = 0.0
        t5 = _clock()
        if fast:
            fast_transitions(
                x, out.incidence[day], course, tab, today.transmission, mode, gen, work
            )
        else:
            kernels.transitions(x, out.incidence[day], course, today.transmission, mode, gen, work)
        t6 = _clock()
        kernels.summarise(x, course.infected, out.prevalence[day], out.infected_now[day])
        t7 = _clock()
        acc[0] += t1 - t0
        acc[1] += t2 - t1
        acc[2] += t3 - t2
        acc[3] += t4 - t3
        acc[4] += t6 - t5
        acc[5] += (t7 - t6) + (t5 - t4)


def breakdown(net: Network, leap_above: float | None = None, runs: int = 3) -> list[float]:
    """CPU seconds per run of the day's parts (see `PARTS`; then transitions, and seeds plus
    daily outputs), timed inside the compiled loop over whole runs (`_timed_days`)."""
    from epicommons.model import Stepper
    from epicommons.model.engine import stream
    from epicommons.model.seeding import plan

    model = model_for(net)
    d = model.disease
    seeds = plan(
        [Seed(node=busiest_country(net), count=20)],
        net,
        d.compartment_names,
        d.first_infected,
        ages=model.ages.groups,
        whole=True,
    )
    n, _, c = model.shape
    stepper = Stepper(model, True, leap_above)
    acc = np.zeros(6, dtype=np.int64)
    for r in range(runs + 1):  # a short first run compiles
        days = 3 if r == 0 else DAYS
        out = kernels.Daily(
            np.zeros((days, n, c)),
            np.zeros((days, n, len(model.tr_dst))),
            np.zeros((days, n)),
            np.zeros((days, n)),
        )
        today = kernels.Today(np.ones(stepper.links.flows.size), np.ones(n), np.zeros((0, c)))
        _timed_days(
            model.initial_state(True),
            days,
            stream(1, r),
            stepper.mode,
            stepper.course,
            stepper.links,
            kernels.Seeds(seeds.node, seeds.day, seeds.compartment, seeds.count, seeds.age),
            today,
            out,
            stepper.work,
            acc,
        )
        if r == 0:
            acc[:] = 0
    return [float(v) / 1e6 / runs for v in acc]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer runs (smoke test)")
    ap.add_argument("--parts", default="abcp", help="a, b, c, d: cases; p: time breakdown")
    ap.add_argument("--out", default=str(ROOT / "docs" / "performance" / "engine.md"))
    ap.add_argument("--d-runs", type=int, default=MARKS[-1], help="(d): runs of the long ensemble")
    ap.add_argument("--d-ensemble", type=int, default=100, help="(d): runs of (b)'s ensemble")
    args = ap.parse_args()
    q = args.quick
    load_start = load_average()
    a = part_a(4 if q else 20) if "a" in args.parts or "c" in args.parts else None
    if a:
        print(
            f"(a) {a['cpu_per_run']:.3f} CPU s/run, {a['wall_per_run']:.3f} wall s/run", flush=True
        )
    b = part_b(2 if q else 5, 4 if q else 100) if "b" in args.parts else None
    if b:
        print(
            f"(b) {b['cpu_per_run']:.3f} CPU s/run; ensemble {b['ensemble_wall']:.1f} s, "
            f"peak {b['peak_bytes'] / 2**30:.2f} GB",
            flush=True,
        )
    c = part_c(10 if q else 100, 1 if q else 2, a["model"]) if "c" in args.parts else None
    if c:
        print(
            f"(c) ours {c['cpu_per_run']:.4f} vs epydemix {c['epy_cpu_per_run']:.4f} CPU s/run;"
            f" coupled epydemix {c['epy2_cpu_per_run']:.2f} CPU s/run",
            flush=True,
        )
    command = (
        "PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_engine.py"
        + (" --quick" if q else "")
        + ("" if args.parts == "abcp" else f" --parts {args.parts}")
    )
    profile = None
    if "p" in args.parts:
        nets = {
            "built-in (a)": load_network("builtin"),
            "airports (b)": load_network("openflights", SHARED / "openflights", "airport"),
        }
        profile = {
            f"{name}, {engine}": breakdown(net, leap)
            for name, net in nets.items()
            for engine, leap in (("exact", None), ("fast", LEAP_ABOVE))
        }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = sections(a, b, c, profile, command, (load_start, load_average()))
    text = out.read_text() if out.exists() else "## Spread engine (`epicommons.model`)\n"
    for part, section in done.items():
        if part in args.parts:  # (a) is also measured for (c)
            text = splice(text, part, section)
    out.write_text(text)
    if "d" in args.parts:
        top = 80 if q else args.d_runs
        marks = (top // 4, top // 2, top)
        d_load = load_average()
        d = part_d(top, marks, 4 if q else args.d_ensemble)
        for r in d["rows"]:
            print(
                f"(d) {r['runs']} runs: {r['runs_per_s']:.2f} runs/s, peak {r['peak'] / 2**30:.2f} GB"
            )
        old = out.read_text() if out.exists() else ""
        d_command = "PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_engine.py --parts d" + (
            " --quick" if q else f" --d-ensemble {args.d_ensemble} --d-runs {args.d_runs}"
        )
        out.write_text(splice(old, "d", section_d(d, (d_load, load_average()), d_command)))
    print(out.read_text())


if __name__ == "__main__":
    main()
