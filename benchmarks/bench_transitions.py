"""The fast engine's transitions per busy node-day: the generic kernel against its optimisation.

`kernels.transitions` (the exact engine's kernel, run in fast mode) and `leap.fast_transitions`
(what the fast engine runs; the same draws) on the state of one fast run of the benchmark
workload (bench_engine.py: SEIR, 5 ages) at the given days, alternating in one process, 7
repeats; each repeat applies one day's transitions to `reps` copies of the state inside one
compiled loop (no Python call in the timing). Prints the median ns per busy node (a node with
someone in E or I).

Usage: .venv/bin/python benchmarks/bench_transitions.py a|b [--days 60,120,180,240]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_engine import SHARED, busiest_country, model_for
from numba import njit

from epicommons.model import Seed, Stepper, kernels, run_chunk
from epicommons.model.engine import LEAP_ABOVE, stream
from epicommons.model.leap import fast_transitions, tables
from epicommons.world.sources import load_network


@njit
def generic(xs, inc, course, ones, mode, gen, work):
    for r in range(xs.shape[0]):
        kernels.transitions(xs[r], inc, course, ones, mode, gen, work)


@njit
def fast(xs, inc, course, ones, mode, gen, work):
    tab = tables(course)
    for r in range(xs.shape[0]):
        fast_transitions(xs[r], inc, course, tab, ones, mode, gen, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", choices=("a", "b"), help="a: built-in, b: airports")
    parser.add_argument("--days", default="60,120,180,240")
    args = parser.parse_args()
    airports = args.network == "b"
    net = (
        load_network("openflights", SHARED / "openflights", "airport")
        if airports
        else load_network("builtin")
    )
    model = model_for(net)
    seeds = [Seed(node=busiest_country(net), count=20)]
    n = model.shape[0]
    st = Stepper(model, stochastic=True, leap_above=LEAP_ABOVE)
    inc, ones = np.zeros((n, len(model.tr_dst))), np.ones(n)
    reps = 100 if airports else 400
    for day in (int(d) for d in args.days.split(",")):
        x0 = run_chunk(model, seeds, day, [0], 1, leap_above=LEAP_ABOVE)[0]
        busy = int((x0[:, :, 1:3].sum(axis=(1, 2)) > 0).sum())
        times: dict[str, list[float]] = {"generic": [], "fast": []}
        for rep in range(7):
            for name, f in (("generic", generic), ("fast", fast)):
                xs = np.repeat(x0[None], reps, axis=0)
                t = time.perf_counter()
                f(xs, inc, st.course, ones, st.mode, stream(1, rep), st.work)
                times[name].append((time.perf_counter() - t) / reps / max(busy, 1) * 1e9)
        g, f = np.median(times["generic"]), np.median(times["fast"])
        print(
            f"{args.network} day {day}: {busy} busy nodes; ns per busy node: generic {g:.0f}, "
            f"fast {f:.0f} (fast/generic {f / g:.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
