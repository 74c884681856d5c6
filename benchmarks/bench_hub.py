"""Benchmark of the member hub: concurrent clients submitting 200-value reports over HTTP.

Starts `epicommons serve` on a fresh database (SQLite file, and PostgreSQL when a URL is given),
runs N client threads that each submit reports of new values for their own member, and prints
and optionally writes values per second and latency percentiles: `--out` replaces only this
benchmark's section of the file (between its markers, `write_section`), keeping the rest.

    .venv/bin/python benchmarks/bench_hub.py --backend sqlite --backend postgres \
        --out docs/performance/hub.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from epicommons.hub import admin
from epicommons.hub.db import open_database

MEMBERS = ("KOR", "JPN", "CHN", "VNM", "THA", "SGP", "MYS", "PHL", "IDN", "LAO", "KHM", "MMR")
INDICATORS = ("new_cases", "new_deaths", "tests", "hospital_occupancy", "icu_occupancy")
DEFAULT_PG = "postgresql+psycopg://epicommons:epicommons@127.0.0.1:5432/postgres"
SECTION = "bench_hub"  # this benchmark's markers in the --out file


def report(start: dt.date, values: int, step: int = 1, offset: int = 0) -> dict:
    """`values` values on dates `step` days apart, five indicators a date, all rules satisfied;
    `offset` raises every value (a correction of an earlier report)."""
    days = -(-values // len(INDICATORS))
    level = {
        "new_cases": 50,
        "new_deaths": 2,
        "tests": 900,
        "hospital_occupancy": 30,
        "icu_occupancy": 4,
    }
    rows = [
        {
            "date": (start + dt.timedelta(days=d * step)).isoformat(),
            "indicator": i,
            "value": level[i] + d + offset,
        }
        for d in range(days)
        for i in INDICATORS
    ]
    return {"values": rows[:values]}


def hub_with_members(url: str, codes, setup=None) -> list[tuple[str, str]]:
    """A new hub at `url` with these members and a reporter token each; `setup(db)` runs last."""
    db = open_database(url)
    admin.init(db)
    tokens = []
    for code in codes:
        admin.add_member(db, code)
        tokens.append((code, admin.issue_token(db, code, "reporter").token))
    if setup is not None:
        setup(db)
    db.dispose()
    return tokens


def serve(url: str) -> tuple[subprocess.Popen, int]:
    """`epicommons serve` on the hub at `url` on a free loopback port, once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from epicommons.cli import run; run()",
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            "--rate-limit",
            "1000000",
        ],
    )
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return server, port
        except httpx.TransportError:
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_url(backend: str, folder: Path, pg_url: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite'}", None
    name = f"ec_hub_bench_{secrets.token_hex(4)}"
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False), name


def drop(pg_url: str, name: str) -> None:
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def run(
    backend: str,
    clients: int,
    values: int,
    per_client: int,
    pg_url: str,
    paced: float | None,
    history: int = 0,
    reads: int = 0,
    as_of: str | None = None,
) -> dict:
    """One benchmark run; returns the figures.

    Closed loop (`paced` None): each client sends its next report as soon as the last is
    answered, so the figures are the service's capacity. Paced: the clients together offer
    `paced` values per second on a fixed schedule, and latency runs from the scheduled time
    (so a stalled server is not hidden by clients that wait for it). With `history` days, all five
    indicators of that many days are stored for every member first (untimed), and each timed
    report then corrects `values` of them on dates spread over the whole history (as members
    revise past weeks), so a server that read the history in the report's date range would slow.
    With `reads`, once every client has finished its imports, each reads its member's values
    that many times (`GET /values?member=…&limit=1000`, with `as_of` if given), timed apart.
    """
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = fresh_url(backend, Path(tmp), pg_url)
        tokens = hub_with_members(url, MEMBERS[:clients])
        server, port = serve(url)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            latencies: list[float] = []
            read_latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(clients + 1)
            marks: list[tuple[float, float]] = []  # (time, server CPU) when imports ended
            imported = threading.Barrier(
                clients, action=lambda: marks.append((time.perf_counter(), server_cpu(server.pid)))
            )

            def client(code: str, token: str) -> None:
                http = httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
                )
                days = -(-values // len(INDICATORS))
                http.post(f"/members/{code}/reports", json=report(dt.date(1900, 1, 1), values))
                first = dt.date(1901, 1, 1)
                chunk = 1000 // len(INDICATORS)
                for start in range(0, history, chunk):
                    past = first + dt.timedelta(days=start)
                    body = report(past, min(chunk, history - start) * len(INDICATORS))
                    assert http.post(f"/members/{code}/reports", json=body).status_code == 200
                if history:
                    step = max(1, history // days)
                    bodies = [
                        report(first + dt.timedelta(days=n % step), values, step, n + 1)
                        for n in range(per_client)
                    ]
                else:
                    bodies = [
                        report(first + dt.timedelta(days=n * days), values)
                        for n in range(per_client)
                    ]
                interval = clients * values / paced if paced else 0.0
                barrier.wait()
                begin = time.perf_counter() + interval * tokens.index((code, token)) / clients
                for n, body in enumerate(bodies):
                    t0 = begin + n * interval if paced else time.perf_counter()
                    time.sleep(max(0.0, t0 - time.perf_counter()))
                    r = http.post(f"/members/{code}/reports", json=body)
                    elapsed = time.perf_counter() - t0
                    counts = r.status_code == 200 and r.json()["importCount"]
                    ok = bool(counts) and counts["imported"] + counts["updated"] == values
                    with lock:
                        latencies.append(elapsed)
                        if not ok:
                            errors.append(r.text[:200])
                imported.wait()
                query = {"member": code, "limit": 1000, **({"as_of": as_of} if as_of else {})}
                for _ in range(reads):
                    t0 = time.perf_counter()
                    r = http.get("/values", params=query)
                    elapsed = time.perf_counter() - t0
                    with lock:
                        read_latencies.append(elapsed)
                        if r.status_code != 200 or not r.json():
                            errors.append(r.text[:200])

            threads = [threading.Thread(target=client, args=t) for t in tokens]
            for t in threads:
                t.start()
            barrier.wait()
            t0 = time.perf_counter()
            cpu0 = server_cpu(server.pid)
            for t in threads:
                t.join()
            read_cpu = server_cpu(server.pid) - marks[0][1]
            wall, cpu = marks[0][0] - t0, marks[0][1] - cpu0
        finally:
            server.terminate()
            server.wait()
            if pg_name:
                drop(pg_url, pg_name)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    r = statistics.quantiles(read_latencies, n=100, method="inclusive") if reads else [0.0] * 99
    return {
        "backend": backend,
        "mode": (f"paced at {paced:,.0f} values/s" if paced else "closed loop (capacity)")
        + (
            f", corrections across {history:,} days of stored history per member" if history else ""
        ),
        "clients": clients,
        "values": values,
        "requests": len(latencies),
        "errors": len(errors),
        "values_per_s": len(latencies) * values / wall,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "wall_s": wall,
        "server_cpu_s": cpu,
        "read_cpu_s": read_cpu,
        "reads": len(read_latencies),
        "read_p50_ms": r[49] * 1000,
        "read_p95_ms": r[94] * 1000,
    }


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def markdown(results: list[dict], command: str, load_before: float) -> str:
    load = os.getloadavg()
    lines = [
        "## Member hub: concurrent report submissions",
        "",
        f"{results[0]['clients']} client threads (httpx, one member each) submit reports of "
        f"{results[0]['values']} new values over HTTP on loopback to one `epicommons serve` "
        "process (uvicorn, one worker); every request is a full import (validation, rules "
        "against stored values, insert, submission record, audit row, commit). "
        "Target: ≥ 5,000 values/s and p95 ≤ 150 ms. *Closed loop*: each client sends its next "
        "report as soon as the last is answered (capacity; latency is then mostly queueing "
        "behind the seven other clients). *Paced*: the clients together offer the target rate "
        "on a fixed schedule and latency counts from the scheduled send time.",
        "",
        "| backend | load | requests | errors | values/s | p50 ms | p95 ms | p99 ms | target met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        met = r["values_per_s"] >= 5000 and r["p95_ms"] <= 150 and r["errors"] == 0
        lines.append(
            f"| {r['backend']} | {r['mode']} | {r['requests']} | {r['errors']} | {r['values_per_s']:,.0f} | "
            f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | "
            f"{'yes' if met else 'no'} |"
        )
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, shared with other work (1-minute load average "
        f"{load_before:.1f} at the start, {load[0]:.1f} at the end); clients, server and database share the cores. "
        "SQLite in WAL mode with synchronous=NORMAL; PostgreSQL 15 from Debian, default settings.",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, name: str, section: str) -> None:
    """Put `section` between the markers `<!-- name -->` and `<!-- /name -->` of `path`,
    keeping the rest of the file (hand-written notes, other benchmarks' sections); a section
    the file does not have yet is appended."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{begin}\n{section.strip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block if text.strip() else block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--values", type=int, default=200)
    parser.add_argument("--requests", type=int, default=60, help="reports per client")
    parser.add_argument("--pg-url", default=os.environ.get("EPICOMMONS_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument(
        "--out", type=Path, help="write the markdown section into this file (the rest is kept)"
    )
    parser.add_argument(
        "--history",
        type=int,
        action="append",
        help="also run with this many days of stored history per member (repeatable)",
    )
    parser.add_argument(
        "--paced",
        type=float,
        action="append",
        help="also run with clients offering this many values/s in total (repeatable)",
    )
    parser.add_argument(
        "--reads", type=int, default=0, help="GET /values per client after its imports"
    )
    parser.add_argument("--as-of", help="read the values as known at this date or time")
    args = parser.parse_args()
    results = []
    load_before = os.getloadavg()[0]
    runs = [
        (b, p, h)
        for b in args.backend or ["sqlite"]
        for h in [0, *(args.history or [])]
        for p in [None, *(args.paced or [])]
    ]
    for backend, paced, history in runs:
        r = run(
            backend,
            args.clients,
            args.values,
            args.requests,
            args.pg_url,
            paced,
            history,
            args.reads,
            args.as_of,
        )
        print(
            f"{r['backend']:8s} {r['mode']}: {r['requests']} requests, {r['errors']} errors, "
            f"{r['values_per_s']:,.0f} values/s, p50 {r['p50_ms']:.0f} ms, "
            f"p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
            f"server CPU {r['server_cpu_s']:.1f} s"
            + (
                f"; {r['reads']} reads of 1,000 values: p50 {r['read_p50_ms']:.0f} ms, "
                f"p95 {r['read_p95_ms']:.0f} ms, server CPU {r['read_cpu_s']:.1f} s"
                if r["reads"]
                else ""
            )
        )
        results.append(r)
    if args.out:
        command = "python " + " ".join(["benchmarks/bench_hub.py", *sys.argv[1:]])
        write_section(args.out, SECTION, markdown(results, command, load_before))


if __name__ == "__main__":
    main()
