"""Benchmark of one joint assessment (`epicommons.assess`): 200 members on the built-in network,
100 days of reported history each (the JHU series of the 195 JHU countries the network has, as
the seeded revision process reports them, plus 5 territories of the network that report zeros),
a 28-day horizon, 50 runs; in-process and on a local Dask cluster of 2 workers. Wall time per
step (from the progress callback) and in total, CPU seconds of the process and its workers, and
whether both backends give identical tables.

Usage: .venv/bin/python benchmarks/bench_assess.py --shared-data ../shared/data
       [--write docs/performance/assess.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = datetime.date(2020, 12, 1)
HISTORY_DAYS = 100
MEMBERS = 200


def inputs(shared: Path):
    """The 200 members' reports as known on AS_OF, with stocks and pledges."""
    from epicommons.assess import AssessmentInputs
    from epicommons.surveillance import read_jhu
    from epicommons.surveillance.revision_process import (
        as_known,
        final_counts,
        simulate_reports,
    )
    from epicommons.world.population import has_population
    from epicommons.world.sources import load_network

    cases = read_jhu(shared / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv")
    countries = sorted(set(load_network("builtin").country))
    jhu = [
        s.country for s in cases.series() if s.country in countries and has_population(s.country)
    ]
    extra = [c for c in countries if c not in jhu and has_population(c)][: MEMBERS - len(jhu)]
    start = AS_OF - datetime.timedelta(days=HISTORY_DAYS - 1)
    final = final_counts(cases, jhu, start, AS_OF)
    days = pd.date_range(start, AS_OF)
    zeros = pd.DataFrame(
        {"location": np.repeat(extra, len(days)), "date": np.tile(days, len(extra)), "count": 0}
    )
    reports = as_known(simulate_reports(pd.concat([final, zeros]), seed=1), AS_OF)
    members = tuple(sorted([*jhu, *extra]))
    stocks = pd.DataFrame(
        {
            "location": members[::2],
            "item": "test_kit",
            "quantity": 20 * 1_000 * 28.0,
            "date": (AS_OF - datetime.timedelta(days=7)).isoformat(),
        }
    )
    pledges = pd.DataFrame(
        {
            "donor": ["EU", "World Bank"],
            "item": "test_kit",
            "pledged": [5e7, 2e7],
            "delivered": [1e7, 0],
        }
    )
    return AssessmentInputs(AS_OF, members, reports, stocks, pledges), len(jhu), len(extra)


def run(inp, workers: int | None):
    """The assessment and its figures: wall seconds per step and in all, CPU seconds."""
    from epicommons.assess import AssessmentOptions, assess
    from epicommons.backend import open_backend

    marks: dict[str, list[tuple[float, float]]] = {}

    def progress(step: str, done: int, total: int) -> None:
        now = (time.perf_counter(), time.process_time())
        marks.setdefault(step, [now, now])[1] = now

    load = "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open_backend(workers) as backend:
        t_ready = time.perf_counter()
        result = assess(inp, AssessmentOptions(), backend=backend, progress=progress)
        t_done = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        t_w = (time.perf_counter(), time.process_time())
        result.write(Path(tmp) / "assessment")
        write = (time.perf_counter() - t_w[0], time.process_time() - t_w[1])
    total = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(b, f) - getattr(a, f)
        for a, b in ((cpu0, cpu1), (kids0, kids1))
        for f in ("ru_utime", "ru_stime")
    )

    def span(step: str) -> tuple[float, float]:
        (w0, c0), (w1, c1) = marks[step]
        return w1 - w0, c1 - c0

    steps = {
        "backend start": (t_ready - t0, None),
        "surveillance (nowcast, Rt, forecast)": span("surveillance"),
        "spread (engine, 50 runs)": span("spread"),
        "supplies (needs, split)": span("supplies"),
        "assessment in all": (t_done - t_ready, None),
        "writing tables and report": write,
        "total": (total, None),
    }
    return result, steps, cpu, load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    inp, real, extra = inputs(args.shared_data)
    run(inp, None)  # warm-up: the engine's compiled loops load from the cache
    results = {}
    rows = {}
    for name, workers in (("in-process", None), ("local cluster, 2 workers", 2)):
        result, steps, cpu, load = run(inp, workers)
        results[name] = result
        rows[name] = (steps, cpu, load)
    a, b = results.values()
    same = all(a.tables[n].equals(b.tables[n]) for n in a.tables)
    names = list(rows)
    lines = [
        "## Joint assessment (`epicommons.assess`)",
        "",
        "Command: `.venv/bin/python benchmarks/bench_assess.py --shared-data ../shared/data`  ",
        f"Case: {len(inp.members)} members ({real} JHU countries through the revision process, "
        f"{extra} territories reporting zeros), {HISTORY_DAYS} days of history each, as of "
        f"{AS_OF}, built-in network (250 countries), 28-day horizon, 50 runs (exact engine), "
        f"{len(inp.counts):,} reported cells.",
        "",
        "Wall seconds (CPU seconds of this process in brackets: the workers' CPU on the "
        "cluster is only in the total row)",
        "",
        f"| step | {' | '.join(names)} |",
        "|---|" + "---|" * len(names),
    ]

    def cell(wall: float, cpu: float | None) -> str:
        return f"{wall:.1f}" if cpu is None else f"{wall:.1f} ({cpu:.1f})"

    for step in rows[names[0]][0]:
        lines.append(f"| {step} | " + " | ".join(cell(*rows[n][0][step]) for n in names) + " |")
    lines.append(
        "| CPU s (process and workers) | " + " | ".join(f"{rows[n][1]:.1f}" for n in names) + " |"
    )
    lines.append(
        "| load average at start (1/5/15 min) | " + " | ".join(rows[n][2] for n in names) + " |"
    )
    lines += [
        "",
        f"Identical tables on both backends: {'yes' if same else 'NO'}. Target: the whole assessment under 2 minutes on 2 cores.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
