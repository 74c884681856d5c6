"""The fast engine against the exact one, independent seeds, same runs (docs/validation/engine.md).

For each case (network, R0) both engines run the same run indices on independent streams (the
fast engine's seeds offset by `FAST_SEEDS`), stochastic SEIR with 5 age groups, seeded with 2
infected people in the node with the most outbound travellers (so that extinction after seeding
is common enough to measure). Per case: per country, the two-sample Kolmogorov–Smirnov test of
the arrival-day distribution (never reached counted as day `days`) and of the attack rate; the share of countries with
p < 0.01 (chance alone gives about 1 %, fewer for discrete arrival days, where KS is
conservative); the mean attack rate and the mean peak day of runs that took off; the probability
of extinction (fewer than 10,000 infections in all) with its Monte Carlo standard error; and, with
`--cut`, the importations averted by a 90 % travel cut from day 0 (paired runs, mean and 95 %
interval in each engine).

Usage: .venv/bin/python scripts/validation/fast_vs_exact.py --network builtin --r0 1.5 2 3 \
           --runs 400 [--cut] [--days 365] [--out docs/validation/engine]
       .venv/bin/python scripts/validation/fast_vs_exact.py --render   # writes engine.md
Each case is written to OUT/<network>_r0_<R0>_<days>d[_cut].json as it finishes; --render turns
them into docs/validation/engine.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats

from epicommons.model import Modifiers, Seed, Window, WindowSchedule, build_model, seir, simulate
from epicommons.model.engine import LEAP_ABOVE
from epicommons.model.population import age_structure
from epicommons.risk.outbreak import run_ensemble
from epicommons.world.sources import load_network

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", ROOT.parent / "shared" / "data"))
EDGES = (0, 10, 20, 40, 60)
BATCH = 50  # runs per ensemble call (bounded memory); batch b uses seed 1000 * case + b
EXTINCT_BELOW = 10_000  # a run with fewer infections in all died out after seeding
FAST_SEEDS = 500  # added to the fast engine's seeds: on the same streams its runs would follow the
# exact ones closely (same numbers until a count first reaches leap_above), and KS of paired
# samples would be lenient
ENGINES = {"exact": (None, 0), "fast": (LEAP_ABOVE, FAST_SEEDS)}


def network(name: str):
    if name == "builtin":
        return load_network("builtin")
    return load_network("openflights", SHARED / "openflights", "airport")


def one_engine(model, seeds, days, runs, case, leap_above, schedule_cut, offset=0):
    """Per-run summaries of one engine: arrival (runs, countries), attack (runs, countries),
    total infections, peak day, and importations with and without the cut."""
    out: dict[str, list] = {k: [] for k in ("arrival", "attack", "total", "peak", "imp", "cut")}
    infected = None
    for b in range(0, runs, BATCH):
        n = min(BATCH, runs - b)
        seed = 1000 * case + b // BATCH + offset
        if schedule_cut is None:
            res = simulate(model, seeds, days, n, seed, leap_above=leap_above)
        else:
            ens = run_ensemble(model, seeds, days, n, seed, leap_above=leap_above)
            cut = run_ensemble(
                model, seeds, days, n, seed, leap_above=leap_above, schedule=schedule_cut
            )
            res = ens.results
            out["imp"].append(ens.expected_by_run().sum(axis=1))
            out["cut"].append(cut.expected_by_run().sum(axis=1))
        if infected is None:
            infected = [res.compartments.index(c) for c in res.infected]
        arrival = res.country_arrival_day()
        out["arrival"].append(np.where(np.isnan(arrival), days, arrival))
        out["attack"].append(res.country_attack_rate())
        out["total"].append(res.infections.sum(axis=1))
        prev = res.country_prevalence[..., infected].sum(axis=(2, 3))  # (runs, days)
        out["peak"].append(prev.argmax(axis=1))
    return {k: np.concatenate(v) for k, v in out.items() if v}


def ks_share(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Share of columns (countries) whose two samples differ at p < 0.01, and how many were
    tested (columns where either sample varies)."""
    low, tested = 0, 0
    for j in range(a.shape[1]):
        x, y = a[:, j], b[:, j]
        if np.ptp(x) == 0 and np.ptp(y) == 0:
            continue
        tested += 1
        low += stats.ks_2samp(x, y).pvalue < 0.01
    return (low / tested if tested else 0.0), tested


def mean_ci(d: np.ndarray) -> tuple[float, float, float]:
    m = float(d.mean())
    h = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return m, m - h, m + h


def case_figures(net_name: str, r0: float, runs: int, days: int, cut: bool, case: int) -> dict:
    net = network(net_name)
    model = build_model(seir(R0=r0), net, age_structure(net, EDGES, "builtin", 2020))
    seeds = [Seed(node=net.nodes[int(np.argmax(net.outflow()))], count=2)]
    schedule = None
    if cut:
        schedule = WindowSchedule((Window(0, days, Modifiers(travel=np.full(net.n_links, 0.1))),))
    pop = float(model.ages.population.sum())
    got, cpu = {}, {}
    for name, (leap, offset) in ENGINES.items():
        simulate(model, seeds, 3, 1, 0, leap_above=leap)  # compile / load the cache untimed
        t = time.process_time()
        got[name] = one_engine(model, seeds, days, runs, case, leap, schedule, offset)
        cpu[name] = (time.process_time() - t) / runs
    row: dict = {
        "network": net_name,
        "nodes": net.size,
        "countries": len(set(net.country)),
        "r0": r0,
        "runs": runs,
        "days": days,
        "leap_above": LEAP_ABOVE,
        "cpu_s_per_run": cpu,
    }
    e, f = got["exact"], got["fast"]
    row["ks_arrival"] = ks_share(e["arrival"], f["arrival"])
    row["ks_attack"] = ks_share(e["attack"], f["attack"])
    for name, g in got.items():
        alive = g["total"] >= EXTINCT_BELOW
        p = float(1 - alive.mean())
        n = max(int(alive.sum()), 1)
        row[name] = {
            "extinction": p,
            "extinction_se": float(np.sqrt(p * (1 - p) / runs)),
            "attack_rate": float(g["total"][alive].sum() / n / pop),
            "attack_rate_se": float(g["total"][alive].std(ddof=1) / np.sqrt(n) / pop),
            "peak_day": float(g["peak"][alive].mean()) if alive.any() else None,
            "peak_day_se": float(g["peak"][alive].std(ddof=1) / np.sqrt(n)),
        }
        if cut:
            row[name]["averted"] = mean_ci(g["imp"] - g["cut"])
    return row


def missed(r: dict, resolved: bool = True) -> str:
    """The bounds of item 2 (other than KS) that a case misses beyond its Monte Carlo error
    (`resolved`), or misses only within it (not `resolved`: more runs would tell), as text."""
    e, f = r["exact"], r["fast"]
    out = []
    gaps = (
        (
            "attack rate",
            f["attack_rate"] - e["attack_rate"],
            0.01 * e["attack_rate"],
            "attack_rate_se",
        ),
        ("peak day", f["peak_day"] - e["peak_day"], 1.0, "peak_day_se"),
    )
    for what, gap, bound, se in gaps:
        if abs(gap) > bound and (abs(gap) > 2 * np.hypot(e[se], f[se])) == resolved:
            out.append(what)
    se = np.hypot(e["extinction_se"], f["extinction_se"])
    if resolved and abs(f["extinction"] - e["extinction"]) > 2 * se:
        out.append("extinction")
    if resolved and "averted" in e and not e["averted"][1] <= f["averted"][0] <= e["averted"][2]:
        out.append("averted importations")
    return f"{r['network']} R0 {r['r0']:g} {r['days']} d: {', '.join(out)}" if out else ""


def render(folder: Path) -> str:
    rows = [json.loads(p.read_text()) for p in sorted(folder.glob("*_r0_*.json"))]
    lines = [
        "# The fast engine against the exact one",
        "",
        "Made by `scripts/validation/fast_vs_exact.py` (its docstring gives the design); each "
        "row is one case run by both engines with the same run indices on independent seeds. "
        f"Fast engine: normal draws where the expected count and what stays are both ≥ "
        f"`leap_above` = {LEAP_ABOVE:g} (the default), exact draws everywhere else; the "
        "uninfected pools exchanged daily at expected rates as in the exact engine; infected "
        "travellers drawn exactly, except between two nodes with at least 40 × `leap_above` "
        "infected each, where they travel at expected rates (the rule is below). Stochastic SEIR, 5 age groups, 2 infected people seeded in the "
        "node with the most outbound travellers. CPU seconds were taken on a shared, loaded "
        "machine.",
        "",
        "| network | R0 | runs per engine | days | KS p<0.01: arrival day | KS p<0.01: attack rate"
        " | attack rate exact / fast (diff. ± s.e.) | peak day exact / fast (± s.e. of the diff.)"
        " | extinction exact / fast (± s.e.) | CPU s/run exact / fast |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        e, f = r["exact"], r["fast"]
        diff = (f["attack_rate"] - e["attack_rate"]) / e["attack_rate"]
        diff_se = np.hypot(e["attack_rate_se"], f["attack_rate_se"]) / e["attack_rate"]
        peak_se = np.hypot(e["peak_day_se"], f["peak_day_se"])
        peak = f"{e['peak_day']:.1f} / {f['peak_day']:.1f} (± {peak_se:.1f})"
        lines.append(
            f"| {r['network']} ({r['nodes']:,} nodes) | {r['r0']:g} | {r['runs']:,} | {r['days']} | "
            f"{r['ks_arrival'][0]:.1%} of {r['ks_arrival'][1]} | "
            f"{r['ks_attack'][0]:.1%} of {r['ks_attack'][1]} | "
            f"{e['attack_rate']:.3%} / {f['attack_rate']:.3%} ({diff:+.3%} ± {diff_se:.3%}) | "
            f"{peak} | "
            f"{e['extinction']:.1%} / {f['extinction']:.1%} (± {e['extinction_se']:.1%}) | "
            f"{r['cpu_s_per_run']['exact']:.3f} / {r['cpu_s_per_run']['fast']:.3f} |"
        )
    cuts = [r for r in rows if "averted" in r["exact"]]
    if cuts:
        lines += [
            "",
            "Importations averted by a 90 % travel cut from day 0 (expected infected travellers "
            "crossing a border over the horizon, summed over countries; paired runs; mean and "
            "95 % t-interval):",
            "",
            "| network | R0 | runs | exact | fast | fast mean inside exact's interval |",
            "|---|---|---|---|---|---|",
        ]
        for r in cuts:
            e, f = r["exact"]["averted"], r["fast"]["averted"]
            lines.append(
                f"| {r['network']} | {r['r0']:g} | {r['runs']:,} | {e[0]:,.0f} ({e[1]:,.0f} to "
                f"{e[2]:,.0f}) | {f[0]:,.0f} ({f[1]:,.0f} to {f[2]:,.0f}) | "
                f"{'yes' if e[1] <= f[0] <= e[2] else 'no'} |"
            )
    above = [
        f"{r['network']} R0 {r['r0']:g} {r['days']} d ({name} {r[key][0]:.1%})"
        for r in rows
        for name, key in (("arrival day", "ks_arrival"), ("attack rate", "ks_attack"))
        if r[key][0] > 0.02
    ]
    lines += [
        "",
        "KS shares above 2 %, i.e. above chance: "
        + ("; ".join(above) + ": the fast engine fails that criterion there" if above else "none")
        + ". Other bounds (mean attack rate "
        "within 1 %, peak day within 1 day, both beyond twice the standard error of the "
        "difference; extinction within twice that error; fast's averted importations inside "
        "exact's interval) missed: "
        + ("; ".join(missed(r) for r in rows if missed(r)) or "none")
        + ". Differences beyond the 1 % or 1 day bound but within twice their standard "
        "error (not resolved by these runs): "
        + ("; ".join(missed(r, False) for r in rows if missed(r, False)) or "none")
        + ". Cases with fewer than the 400 runs per engine the issue asks for (what fitted in "
        "the time on the shared machine): "
        + (
            ", ".join(
                f"{r['network']} R0 {r['r0']:g} ({r['runs']})" for r in rows if r["runs"] < 400
            )
            or "none"
        )
        + ".",
    ]
    lines += [
        "",
        "Reading: a KS share near 1 % is what chance gives with no difference at all. Attack "
        "rate and peak day are over runs that took off (≥ 10,000 infections); extinction is "
        "the share of runs that did not.",
        "",
        "Independent seeds: with the same seeds the fast engine draws the same numbers as "
        "the exact one until a count first reaches `leap_above`, so its runs would follow the "
        "exact runs closely and KS on such paired samples is lenient; the fast engine's seeds "
        "are therefore offset (`FAST_SEEDS`). KS shares are correlated across countries (a run "
        "that dies out has a zero attack rate everywhere), so with a few hundred runs they "
        "scatter by a few per cent around chance: the exact engine against itself on other "
        "seeds gave 0.0 % and 2.2 % (ablation below). Attack rates of large countries vary "
        "little from run to run, so KS detects small biases there. Further checks are in "
        "`tests/test_model_fast.py`: extinction against the branching-process value 1/R0, "
        "final size against z = 1 − exp(−R0 z), and KS of final sizes and arrival days on "
        "independent seeds.",
        "",
        *notes(folder),
        *ablation(folder),
        "## The switching rule",
        "",
        "Transitions. In each step, the people of a cell (node, age group, compartment) who "
        "leave it are one binomial draw Binomial(n, p), p = 1 − exp(−h dt), split over "
        "competing transitions by conditional binomials. The fast engine draws each of these "
        "from its normal approximation N(n p, n p (1 − p)), rounded and clipped to [0, n] (a "
        "normal tau-leap of the cell, the leap being one step), when both the expected count "
        "n p and the expected stayers n (1 − p) are at least `leap_above` (scenario key, "
        "default 25; `--engine fast`); otherwise it draws exactly, as the exact engine does. "
        "So these stay exact: the first infections in a node (small force of infection), the "
        "last infectious people and any cell close to empty, and seeding.",
        "",
        "Travel. Between two nodes that each have at least 40 × `leap_above` (1,000) people "
        "in the travelling infected compartments, the infected travel at expected rates, "
        "with the uninfected pools: outbreaks of that size are past their random start (the "
        "chance that 1,000 infected people's chains all die out is about R0^-1,000), so the "
        "travellers between them neither start nor end local transmission. Every other "
        "link's infected travellers are drawn exactly: the infected of a node are one exact "
        "binomial draw (everyone has the chance outflow / people of leaving, as in the exact "
        "engine; from a node at or above the threshold, only the links to nodes below it, "
        "with the chance their flow / (people − the flow to nodes above it)), spread over "
        "the node's links by systematic sampling (unbiased, exact total; up to 8 travellers "
        "from a node below the threshold each pick a link at random), and each link's "
        "travellers over ages and infected compartments: up to 8 one by one, each a random "
        "infected person of the node, more by systematic sampling of the node's mix. The "
        "uninfected pools are exchanged every day at their expected rates, computed from "
        "each node's routes of the compiled call, gathered per destination, and rounded to "
        "whole people by systematic rounding over nodes (unbiased, each age and compartment "
        "summing to zero exactly). "
        "Moves are whole people, so people are "
        "conserved exactly and no compartment goes negative (`tests/test_model_fast.py`).",
    ]
    return "\n".join(lines) + "\n"


def notes(folder: Path) -> list[str]:
    """Hand-written rechecks of flagged cases (`folder/notes.md`), quoted as they are."""
    path = folder / "notes.md"
    return [path.read_text().rstrip(), ""] if path.exists() else []


def ablation(folder: Path) -> list[str]:
    """The ablation table of `scripts/validation/fast_ablation.py` (OUT/ablation.json)."""
    path = folder / "ablation.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text())
    lines = [
        "## Ablation: where the attack-rate bias came from",
        "",
        "Built-in network, same workload, 150 runs per variant against the exact engine's 150 "
        "(`scripts/validation/fast_ablation.py`: `run NAME --leap 25|exact [--seed-offset 10]` "
        "with the variant's code on PYTHONPATH, then `compare exact NAME ...`). Variants (i) "
        "and (iii) are edits of commit 9ea7dde (the fast engine before this fix): (i) "
        "`travel.POOLS_EVERY = 1`; (iii) the `if fast:` before `leap_travel` in "
        "`kernels.run_days` made false, so the exact travel runs. Variants on seed offset 10; "
        "9ea7dde and (ii) on the exact engine's seeds, from which their travel diverges on "
        "day 0 (correlation of per-run infections with the exact runs 0.02).",
        "",
        "| variant | R0 | KS p<0.01: attack rate | KS p<0.01: arrival day | infections of runs "
        "that took off, diff. | peak day exact / variant | extinction exact / variant |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['note'] or r['variant']} | {r['r0']:g} | {r['ks_attack'][0]:.1%} of "
            f"{r['ks_attack'][1]} | {r['ks_arrival'][0]:.1%} | {r['infections_diff']:+.4%} | "
            f"{r['peak_day'][0]:.1f} / {r['peak_day'][1]:.1f} | "
            f"{r['extinction'][0]:.1%} / {r['extinction'][1]:.1%} |"
        )
    lines += [
        "",
        "Reading: only the weekly pool exchange moves the KS share (2.7 % and 8.4 % with it, "
        "0.4 % and 0.0 % without, at R0 2 and 3); fast transitions with exact travel are at "
        "chance, and so is fast travel with daily pools. A week's flows at once moved "
        "susceptible and recovered people at shares up to a week old, in lumps; the countries "
        "it flagged differed in mean attack rate by 0.01–0.4 % (a side run of the previous "
        "round), small beside the mean but large beside a big country's run-to-run spread. "
        "The daily exchange costs speed back (docs/performance/engine.md). The intermediate "
        "version that sent a node's mix to its links only when a share had moved by more "
        "than 1e-4 (last rows above) was no faster on the airports "
        "(1.076 and 1.021 CPU s/run against 1.057 and 1.033 when always sent, 2 runs each, "
        "loaded machine), so the exchange is now the exact engine's, computed from routes.",
        "",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--network", choices=("builtin", "airports"), default="builtin")
    ap.add_argument("--r0", type=float, nargs="+", default=[1.5, 2.0, 3.0])
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--cut", action="store_true", help="also the 90 %% travel cut (first R0)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation" / "engine")
    ap.add_argument("--render", action="store_true")
    args = ap.parse_args()
    if args.render:
        (args.out.parent / "engine.md").write_text(render(args.out))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for k, r0 in enumerate(args.r0):
        case = (0 if args.network == "builtin" else 100) + k
        cut = "_cut" if args.cut and k == 0 else ""
        row = case_figures(args.network, r0, args.runs, args.days, bool(cut), case)
        path = args.out / f"{args.network}_r0_{r0:g}_{args.days}d{cut}.json"
        path.write_text(json.dumps(row, indent=1) + "\n")
        print(path, json.dumps(row)[:400], flush=True)


if __name__ == "__main__":
    main()
