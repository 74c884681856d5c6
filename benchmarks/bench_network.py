"""Loading time of each travel-network source, beside a plain pandas read of the same files.

Cold = a fresh Python process (imports, registry, WPP and airportsdata loads included); warm = the
median of repeated calls in one process. The peer is pandas.read_csv of airports.dat + routes.dat
and an id join (no country resolution, no matrix): the floor any reader of these files pays.
Writes docs/performance/network.md.

Run:  .venv/bin/python benchmarks/bench_network.py ../shared/data/openflights
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import airportsdata
import pandas as pd

from epicommons.world.sources import load_network

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "performance" / "network.md"
REPEATS = 5


def warm(fn) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of REPEATS calls after one untimed call."""
    fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold(code: str) -> float:
    """Seconds of a fresh interpreter running `code` (median of 3)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pandas_peer(folder: Path) -> int:
    na = {"na_values": ["\\N"], "keep_default_na": False, "header": None}
    airports = pd.read_csv(folder / "airports.dat", usecols=[0, 3], names=["id", "country"], **na)
    routes = pd.read_csv(folder / "routes.dat", usecols=[3, 5], names=["src", "dst"], **na)
    joined = routes.merge(airports, left_on="src", right_on="id").merge(
        airports, left_on="dst", right_on="id"
    )
    return len(joined)


def write_od(net, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The network as an OD CSV; at airport level only airports airportsdata knows by IATA."""
    known = airportsdata.load("IATA") if net.level == "airport" else None
    coo = net.flows.tocoo()
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["origin", "destination", "travellers_per_day"])
        for i, j, v in zip(coo.row, coo.col, coo.data, strict=True):
            if known is None or (net.nodes[i] in known and net.nodes[j] in known):
                w.writerow([net.nodes[i], net.nodes[j], f"{v:.3f}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("openflights", type=Path)
    args = parser.parse_args()
    folder = args.openflights.resolve()
    rows: list[tuple[str, str, str, str]] = []
    cases = {
        "builtin (country)": ("builtin", None, "country"),
        "openflights country": ("openflights", folder, "country"),
        "openflights airport": ("openflights", folder, "airport"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for level in ("country", "airport"):
            od = Path(tmp) / f"od_{level}.csv"
            write_od(load_network("openflights", folder, level), od)
            cases[f"od {level} ({od.stat().st_size // 1024} KiB)"] = ("od", od, level)
        for name, (source, path, level) in cases.items():
            net = load_network(source, path, level)
            t_warm = warm(lambda s=source, p=path, lv=level: load_network(s, p, lv))
            code = (
                "from epicommons.world.sources import load_network;"
                f"load_network({source!r}, {str(path) if path else None!r}, {level!r})"
            )
            t_cold = cold(code)
            size = f"{net.size:,} nodes, {net.n_links:,} links"
            rows.append((name, size, f"{t_cold:.2f}", f"{t_warm:.3f}"))
            print(rows[-1], flush=True)
    t_peer = warm(lambda: pandas_peer(folder))
    rows.append(("peer: pandas read + id join", f"{pandas_peer(folder):,} joined routes", "-",
                 f"{t_peer:.3f}"))  # fmt: skip
    load = os.getloadavg()
    lines = [
        "## Travel network: loading time per source",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load[0]:.1f} while measuring (the cores are "
        "shared with other work, so treat the figures as upper bounds).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_network.py ../shared/data/openflights`",
        "",
        "| source | size | cold process (s) | warm call (s) |",
        "|---|---|---:|---:|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        "Cold includes interpreter start, imports and the first build of the country registry, "
        "WPP populations and airportsdata; warm is the median of "
        f"{REPEATS} calls in one process. The OD files are the OpenFlights networks written out "
        "as CSV. The peer only parses and joins the two .dat files; our reader also validates "
        "every field, resolves countries, weighs codeshares and builds the sparse matrix.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
