"""Which part of the fast engine biased its attack rates: one variant at a time against the exact
engine (docs/validation/engine.md, "Ablation").

`run` simulates one engine variant on the built-in network (the workload of fast_vs_exact.py:
stochastic SEIR, 5 ages, 365 days, 2 people seeded in the busiest node) and saves its per-run
summaries; the variant is whatever code is on PYTHONPATH (e.g. a copy of an older commit with
one part switched off) and `--leap` (`exact`, or the fast engine's threshold). `--seed-offset`
gives a variant its own seeds: on the exact engine's streams a variant that differs late would
follow the exact runs closely, and KS on paired samples is lenient. `compare` writes the KS
shares and means of each variant against the reference to OUT/ablation.json for `--render`.

Usage: PYTHONPATH=... .venv/bin/python scripts/validation/fast_ablation.py run NAME --leap 25 \
           --runs 150 --r0 2 3 [--seed-offset 10] [--scratch /tmp/ablation]
       .venv/bin/python scripts/validation/fast_ablation.py compare exact NAME ... \
           [--note NAME=TEXT ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import fast_vs_exact as fve
import numpy as np

from epicommons.model import Seed, build_model, seir, simulate
from epicommons.model.population import age_structure

CASES = {1.5: 0, 2.0: 1, 3.0: 2}  # the case numbers (seeds) of fast_vs_exact.py


def run(name: str, leap: float | None, runs: int, r0s: list[float], offset: int, scratch: Path):
    net = fve.network("builtin")
    seeds = [Seed(node=net.nodes[int(np.argmax(net.outflow()))], count=2)]
    scratch.mkdir(parents=True, exist_ok=True)
    for r0 in r0s:
        model = build_model(seir(R0=r0), net, age_structure(net, fve.EDGES, "builtin", 2020))
        simulate(model, seeds, 3, 1, 0, leap_above=leap)  # compile / load the cache untimed
        t = time.process_time()
        got = fve.one_engine(model, seeds, 365, runs, CASES[r0] + offset, leap, None)
        cpu = (time.process_time() - t) / runs
        np.savez(scratch / f"{name}_r0_{r0:g}_{runs}.npz", cpu=cpu, **got)
        print(name, r0, f"{cpu:.4f} CPU s/run", flush=True)


def took_off(g) -> tuple[float, float, float]:
    """Mean infections and peak day of runs that took off, and the share that did not."""
    alive = g["total"] >= fve.EXTINCT_BELOW
    return float(g["total"][alive].mean()), float(g["peak"][alive].mean()), float(1 - alive.mean())


def compare(ref: str, names: list[str], runs: int, scratch: Path, notes: dict, out: Path):
    rows = []
    for name in names:
        for r0 in CASES:
            e_path = scratch / f"{ref}_r0_{r0:g}_{runs}.npz"
            f_path = scratch / f"{name}_r0_{r0:g}_{runs}.npz"
            if not (e_path.exists() and f_path.exists()):
                continue
            e, f = np.load(e_path), np.load(f_path)
            (ea, ep, ee), (fa, fp, fe) = took_off(e), took_off(f)
            rows.append(
                {
                    "variant": name,
                    "note": notes.get(name, ""),
                    "r0": r0,
                    "runs": runs,
                    "ks_attack": fve.ks_share(e["attack"], f["attack"]),
                    "ks_arrival": fve.ks_share(e["arrival"], f["arrival"]),
                    "infections_diff": fa / ea - 1,
                    "peak_day": (ep, fp),
                    "extinction": (ee, fe),
                    "cpu_s_per_run": (float(e["cpu"]), float(f["cpu"])),
                }
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(rows, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("name")
    r.add_argument("--leap", default="exact", help="exact, or the fast engine's leap_above")
    r.add_argument("--runs", type=int, default=150)
    r.add_argument("--r0", type=float, nargs="+", default=[2.0, 3.0])
    r.add_argument("--seed-offset", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("ref")
    c.add_argument("names", nargs="+")
    c.add_argument("--runs", type=int, default=150)
    c.add_argument("--note", action="append", default=[], help="NAME=TEXT for the table")
    c.add_argument("--out", type=Path, default=fve.ROOT / "docs" / "validation" / "engine")
    for p in (r, c):
        p.add_argument("--scratch", type=Path, default=Path("/tmp/ablation"))
    args = ap.parse_args()
    if args.what == "run":
        leap = None if args.leap == "exact" else float(args.leap)
        run(args.name, leap, args.runs, args.r0, args.seed_offset, args.scratch)
    else:
        notes = dict(n.split("=", 1) for n in args.note)
        compare(args.ref, args.names, args.runs, args.scratch, notes, args.out)


if __name__ == "__main__":
    main()
