"""Benchmark: DHIS2 `POST /dhis2/api/dataValueSets` beside the hub's native import, same run.

One `epicommons serve` per backend (SQLite file, PostgreSQL); 8 client threads, one member each,
send data value sets of 200 new values (daily periods, five mapped data elements), and the same
clients send native reports of 200 new values, in alternating rounds so both see the same load.
Figures: values/s, p50/p95 latency, and the server's CPU seconds per 1,000 values (psutil), which
holds up better than wall time on a shared machine. The section is written between markers in
`--out`, leaving the rest of the file as it was.

    .venv/bin/python benchmarks/bench_dhis2.py --backend sqlite --backend postgres \
        --out docs/performance/hub.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from bench_hub import (
    DEFAULT_PG,
    INDICATORS,
    MEMBERS,
    drop,
    fresh_url,
    hub_with_members,
    report,
    serve,
    write_section,
)

from epicommons.hub.mapping_store import import_mapping

SECTION = "bench_dhis2"  # this benchmark's markers in the --out file
ELEMENT = {ind: f"Ebench{i:05d}" for i, ind in enumerate(INDICATORS)}


def unit(code: str) -> str:
    """The organisation unit UID of a member in the benchmark's mapping."""
    return f"Obench{MEMBERS.index(code):05d}"


def mapping(members: list[str]) -> str:
    """A mapping of the five count indicators and of one organisation unit per member."""
    lines = ['[dhis2.data_set]\nuid = "Dbench00001"\ncode = "BENCH"\nperiod_type = "Daily"\n']
    for ind, uid in ELEMENT.items():
        lines.append(f'[[dhis2.elements]]\nuid = "{uid}"\ncode = "{ind}"\nindicator = "{ind}"\n')
    for code in members:
        lines.append(
            f'[[dhis2.org_units]]\nuid = "{unit(code)}"\ncode = "{code}"\nmember = "{code}"\n'
        )
    return "\n".join(lines)


def value_set(native: dict, org_unit: str) -> dict:
    """The native report's values as a DHIS2 data value set (daily periods)."""
    return {
        "dataValues": [
            {
                "dataElement": ELEMENT[v["indicator"]],
                "period": v["date"].replace("-", ""),
                "orgUnit": org_unit,
                "value": str(v["value"]),
            }
            for v in native["values"]
        ]
    }


def phase(
    kind: str, port: int, tokens: list[tuple[str, str]], values: int, per_client: int, first: int
) -> tuple[list[float], list[str], float]:
    """All clients send `per_client` requests of `kind` (native or dhis2); latencies, errors,
    wall seconds."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)
    days = -(-values // len(INDICATORS))

    def client(code: str, token: str) -> None:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        start = dt.date(first, 1, 1)
        natives = [report(start + dt.timedelta(days=n * days), values) for n in range(per_client)]
        if kind == "native":
            calls = [(f"/api/v1/members/{code}/reports", b) for b in natives]
            headers = {"Authorization": f"Bearer {token}"}
        else:
            calls = [("/dhis2/api/dataValueSets", value_set(b, unit(code))) for b in natives]
            headers = {"Authorization": f"ApiToken {token}"}
        barrier.wait()
        for path, body in calls:
            t0 = time.perf_counter()
            r = http.post(path, json=body, headers=headers)
            elapsed = time.perf_counter() - t0
            doc = r.json() if r.status_code == 200 else {}
            counts = doc.get("response", doc).get("importCount", {})
            ok = counts.get("imported") == values
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=t) for t in tokens]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def run(
    backend: str,
    clients: int,
    values: int,
    per_client: int,
    rounds: int,
    pg_url: str,
    sequential_pairs: int,
):
    """Alternating native and DHIS2 rounds on one server; figures per kind."""
    members = list(MEMBERS[:clients])
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = fresh_url(backend, Path(tmp), pg_url)
        tokens = hub_with_members(
            url, members, lambda db: import_mapping(db, mapping(members), "benchmark mapping")
        )
        server, port = serve(url)
        figures: dict[str, dict] = {
            k: {"lat": [], "errors": [], "wall": 0.0, "cpu": 0.0} for k in ("native", "dhis2")
        }
        try:
            proc = psutil.Process(server.pid)
            days = -(-values // len(INDICATORS))
            step = -(-per_client * days // 365) + 1  # years a phase's new dates take
            needed = 2 * rounds * step + -(-2 * sequential_pairs * days // 365) + 1
            year = 1901
            if year + needed > dt.date.today().year:
                raise SystemExit(
                    f"{rounds} rounds and {sequential_pairs} pairs need {needed} years of new "
                    "dates from 1901, past today (the hub refuses future dates): fewer of either"
                )
            for r in range(rounds):
                for kind in ("native", "dhis2") if r % 2 == 0 else ("dhis2", "native"):
                    cpu0 = sum(proc.cpu_times()[:2])
                    lat, errs, wall = phase(kind, port, tokens, values, per_client, year)
                    f = figures[kind]
                    f["cpu"] += sum(proc.cpu_times()[:2]) - cpu0
                    f["lat"] += lat
                    f["errors"] += errs
                    f["wall"] += wall
                    year += step  # each phase imports new dates
            seq = sequential(proc, port, tokens[0], values, sequential_pairs, year)
        finally:
            server.terminate()
            server.wait()
            if pg_name:
                drop(pg_url, pg_name)
    out = {}
    for kind, f in figures.items():
        lat = sorted(f["lat"])
        q = statistics.quantiles(lat, n=100, method="inclusive")
        n_values = len(lat) * values
        out[kind] = {
            "requests": len(lat),
            "errors": len(f["errors"]),
            "first_error": f["errors"][0] if f["errors"] else "",
            "values_per_s": n_values / f["wall"],
            "p50_ms": q[49] * 1000,
            "p95_ms": q[94] * 1000,
            "cpu_per_1000": f["cpu"] / n_values * 1000,
            "sequential_cpu_ms": seq[kind] / sequential_pairs * 1000,
        }
    return out


def sequential(
    proc: psutil.Process, port: int, member: tuple[str, str], values: int, pairs: int, year: int
) -> dict[str, float]:
    """Server CPU seconds of one client's requests sent one at a time, native and DHIS2 in
    turn: the server does nothing else meanwhile, so its CPU time per kind is a like-for-like
    cost even on a loaded machine (the clock's ticks fall on either kind without bias)."""
    code, token = member
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    days = -(-values // len(INDICATORS))
    cpu = {"native": 0.0, "dhis2": 0.0}
    start = dt.date(year, 1, 1)
    for n in range(pairs):
        native = report(start + dt.timedelta(days=2 * n * days), values)
        dhis2 = value_set(report(start + dt.timedelta(days=(2 * n + 1) * days), values), unit(code))
        calls = [
            ("native", f"/api/v1/members/{code}/reports", native, "Bearer"),
            ("dhis2", "/dhis2/api/dataValueSets", dhis2, "ApiToken"),
        ]
        for kind, path, body, scheme in calls if n % 2 == 0 else calls[::-1]:
            before = sum(proc.cpu_times()[:2])
            r = http.post(path, json=body, headers={"Authorization": f"{scheme} {token}"})
            cpu[kind] += sum(proc.cpu_times()[:2]) - before
            assert r.status_code == 200, r.text[:200]
    return cpu


def _conditions(load: tuple[float, float]) -> str:
    """How quiet the machine was: under load when others used it at the start (1-minute load
    average 1 or more; the benchmark's own server and clients raise it during the run)."""
    if load[0] < 1.0:
        return (
            f"Taken on a quiet machine (1-minute load average {load[0]:.1f} at the start, "
            f"{load[1]:.1f} at the end from the benchmark's own server and clients)."
        )
    return (
        "**Taken under load**: the machine's 2 cores were shared with other work (1-minute load "
        f"average {load[0]:.1f} at the start, {load[1]:.1f} at the end), so absolute figures "
        "are noisy."
    )


def markdown(results: dict[str, dict], args: argparse.Namespace, load: tuple[float, float]) -> str:
    lines = [
        "## DHIS2 `dataValueSets` beside the native import",
        "",
        f"{args.clients} client threads (httpx, one member each) send imports of {args.values} new "
        f"values to one `epicommons serve` process: DHIS2 data value sets (JSON, daily periods, "
        "`Authorization: ApiToken`) to `POST /dhis2/api/dataValueSets`, and native reports to "
        f"`POST /api/v1/members/{{code}}/reports`, in {args.rounds} alternating rounds of "
        f"{args.requests} requests per client each, on the same server in the same run. Both go "
        "through `reports.import_report` (rules, submission record, audit row, commit); the DHIS2 "
        "path adds parsing and the mapping. Target: DHIS2 within 20% of native. "
        f"{_conditions(load)} The ratios, measured side by side, and the server's CPU seconds per "
        "1,000 values (psutil: user + system time of the server process) are the figures to read. "
        f"*One client*: {args.sequential} pairs of requests (one native, one DHIS2, in turn) from "
        "a single client after the concurrent rounds; the server's CPU time per request is the "
        "steadiest cost comparison on a loaded machine.",
        "",
        "| backend | path | requests | errors | values/s | p50 ms | p95 ms | server CPU s / 1,000 values | one client: server CPU ms a request | DHIS2 ÷ native (values/s; p95; CPU; one-client CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for backend, r in results.items():
        n, d = r["native"], r["dhis2"]
        for kind, f in (("native", n), ("DHIS2", d)):
            ratio = (
                f"{d['values_per_s'] / n['values_per_s']:.2f}; {d['p95_ms'] / n['p95_ms']:.2f}; "
                f"{d['cpu_per_1000'] / n['cpu_per_1000']:.2f}; "
                f"{d['sequential_cpu_ms'] / n['sequential_cpu_ms']:.2f}"
                if kind == "DHIS2"
                else ""
            )
            lines.append(
                f"| {backend} | {kind} | {f['requests']} | {f['errors']} | "
                f"{f['values_per_s']:,.0f} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | "
                f"{f['cpu_per_1000']:.3f} | {f['sequential_cpu_ms']:.1f} | {ratio} |"
            )
    command = "python " + " ".join(["benchmarks/bench_dhis2.py", *sys.argv[1:]])
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}; SQLite in WAL mode, PostgreSQL 15 from Debian. "
        f"Command: `{command}`",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--values", type=int, default=200)
    parser.add_argument("--requests", type=int, default=10, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (even: fair)")
    parser.add_argument(
        "--sequential", type=int, default=100, help="one-client native/DHIS2 request pairs"
    )
    parser.add_argument("--pg-url", default=os.environ.get("EPICOMMONS_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument("--out", type=Path, help="write the markdown section into this file")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = {}
    for backend in args.backend or ["sqlite"]:
        r = run(
            backend,
            args.clients,
            args.values,
            args.requests,
            args.rounds,
            args.pg_url,
            args.sequential,
        )
        for kind, f in r.items():
            print(
                f"{backend:8s} {kind:6s}: {f['requests']} requests, {f['errors']} errors, "
                f"{f['values_per_s']:,.0f} values/s, p50 {f['p50_ms']:.0f} ms, "
                f"p95 {f['p95_ms']:.0f} ms, CPU {f['cpu_per_1000']:.3f} s/1,000 values, "
                f"sequential {f['sequential_cpu_ms']:.1f} ms CPU a request "
                f"{f['first_error']}"
            )
        results[backend] = r
    if args.out:
        section = markdown(results, args, (load_before, os.getloadavg()[0]))
        write_section(args.out, SECTION, section)


if __name__ == "__main__":
    main()
