"""Benchmark of assessments inside the hub: the job, and the dashboard pages of a finished one.

Builds the test hub of tests/hub_assess_support.py (21 members fed from the JHU series through
the seeded revision process by triangle imports, stocks, pledges, grants) on a fresh SQLite file
(and PostgreSQL with --pg-url), starts an assessment over the API with the given runs, waits
for it, then times each assessment page signed in as the coordinator and as a member: the first
view (on its own: the figures were drawn when the job finished, so it reads them like the others)
and the median and 95th percentile of the next `--repeat` views.

    .venv/bin/python benchmarks/bench_hub_assessment.py --runs 50 --out /tmp/bench.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the feed is the tests' own (real data, read in place)

import hub_assess_support as support  # noqa: E402
from test_hub_pages_support import sign_in  # noqa: E402

SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))


def timed(client, path: str, repeat: int) -> tuple[float, float, float]:
    """Milliseconds of the first view, then the median and p95 of `repeat` more."""
    start = time.perf_counter()
    answer = client.get(path)
    first = (time.perf_counter() - start) * 1000
    assert answer.status_code == 200, (path, answer.status_code)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return first, statistics.median(times), times[int(0.95 * (len(times) - 1))]


def run(backend: str, runs: int, repeat: int) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        for hub in support.assessed_hub(backend, Path(folder), SHARED):
            options = {**support.OPTIONS, "runs": runs}
            start = time.perf_counter()
            job = hub.wait(hub.start(options))
            wall = time.perf_counter() - start
            assert job["status"] == "done", job
            lines.append(
                f"| {backend} | assessment job, {runs} runs (queued to done, wall) | "
                f"{wall:.1f} s | | |"
            )
            job_id = job["id"]
            viewers = {
                "coordinator": sign_in(hub, hub.tokens[(support.COORDINATOR, "coordinator")]),
                "member FRA": sign_in(hub, hub.tokens[("FRA", "reporter")]),
            }
            pages = [
                ("/dashboard/assessments", "job list"),
                (f"/dashboard/assessments/{job_id}", "assessment"),
                (f"/dashboard/assessments/{job_id}/members/FRA", "member FRA"),
            ]
            for who, client in viewers.items():
                for path, name in pages:
                    first, p50, p95 = timed(client, path, repeat)
                    lines.append(
                        f"| {backend} | {name} page as {who} | {first:.0f} ms | {p50:.0f} ms | "
                        f"{p95:.0f} ms |"
                    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    backends = ["sqlite"]
    if args.pg_url:
        os.environ["EPICOMMONS_TEST_PG_URL"] = args.pg_url
        backends.append("postgres")
    load = os.getloadavg()[0]
    rows = [line for b in backends for line in run(b, args.runs, args.repeat)]
    head = [
        "| backend | what | first view | median | p95 |",
        "|---|---|---:|---:|---:|",
    ]
    note = (
        f"\n{dt.date.today()}, {os.cpu_count()} cores, load average {load:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end (shared with other work: under load).\n"
    )
    text = "\n".join(head + rows) + "\n" + note
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
