"""Calibrate the vaccine study's mitigation and compare its no-vaccine arm with JHU deaths.

World fit: the study's `mitigation` (transmission reduction everywhere from 9 March 2020) is set so
that the median no-vaccine deaths worldwide by 1 Sept 2020 equal the deaths JHU CSSE reported by
then; prints the share of deaths in high-income countries in the model and in the reports.
Country fit (`--fit-countries OUT.csv`): one reduction per country, adjusted by a damped
fixed-point iteration until each country's median deaths by 1 Sept 2020 match its reports; the
CSV feeds `epicommons vaccine-study --mitigation-file`. Reads the JHU time series from the shared
test data; the fitted file is written where asked, not shipped.

    .venv/bin/python scripts/vaccine_study.py /work/shared/data/jhu_csse_covid19 --runs 10
    .venv/bin/python scripts/vaccine_study.py /work/shared/data/jhu_csse_covid19 --runs 10 \
        --fit-countries results/vaccine_study/mitigation.csv
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.studies import vaccine_cooperation as vs
from epicommons.world.countries import registry
from epicommons.world.groups import HIGH_INCOME, builtin_groups
from epicommons.world.sources import load_network


def reported(folder: Path, day: str = "9/1/20") -> pd.Series:
    """JHU cumulative deaths by `day`, per ISO3 (names that do not resolve are dropped)."""
    d = pd.read_csv(folder / "time_series_covid19_deaths_global.csv")
    reg = registry()
    d["iso3"] = [reg.try_resolve(n) for n in d["Country/Region"]]
    return d.dropna(subset=["iso3"]).groupby("iso3")[day].sum()


def world_deaths(network, setting, runs: int, seed: int) -> float:
    res = vs.run_study(network, setting, runs=runs, seed=seed, arms=("none",))
    return float(np.median(res.deaths[0].sum(axis=1)))


def fit_countries(jhu: pd.Series, out: Path, runs: int, seed: int, iterations: int) -> None:
    """Per-country reductions: Rt_c <- Rt_c * ((reported + 10) / (model + 10)) ** 0.03, where
    0.03 is about the inverse of d log(deaths) / d log(Rt) over the ~25 weeks of mitigation."""
    net = load_network("builtin")
    base = vs.StudySetting()
    fixed = {c for c, _, _ in base.early_mitigation}
    codes = [c for c in net.country if c not in fixed]
    target = jhu.reindex(net.country).fillna(0.0).to_numpy()
    rt = np.full(len(codes), base.R0 * (1 - base.mitigation))
    pos = [net.country.index(c) for c in codes]
    for it in range(iterations):
        setting = replace(
            base,
            country_mitigation=tuple((c, 1 - r / base.R0) for c, r in zip(codes, rt, strict=True)),
        )
        res = vs.run_study(net, setting, runs=runs, seed=seed, arms=("none",))
        model = np.median(res.deaths[0], axis=0)
        err = np.log((target + 10) / (model + 10))
        print(
            f"iteration {it}: world {model.sum():,.0f} vs {target.sum():,.0f}, "
            f"median |log ratio| {np.median(np.abs(err[pos])):.2f}"
        )
        rt = np.clip(rt * np.exp(0.03 * err[pos]), 0.1 * base.R0, 0.999 * base.R0)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"iso3": codes, "reduction": np.round(1 - rt / base.R0, 4)}).to_csv(
        out, index=False
    )
    hic = builtin_groups()[HIGH_INCOME].members
    share = model[[c in hic for c in net.country]].sum() / model.sum()
    print(f"wrote {out}; model share of deaths in high-income countries {share:.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jhu", type=Path, help="folder with time_series_covid19_deaths_global.csv")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fit-countries", type=Path, default=None, help="write per-country CSV")
    ap.add_argument("--iterations", type=int, default=20)
    args = ap.parse_args()
    jhu = reported(args.jhu)
    if args.fit_countries is not None:
        fit_countries(jhu, args.fit_countries, args.runs, args.seed, args.iterations)
        return
    target = float(jhu.sum())
    net = load_network("builtin")
    base = vs.StudySetting()
    lo, hi = 0.3, 0.7  # more mitigation, fewer deaths: bisect on the reduction
    for _ in range(8):
        mid = (lo + hi) / 2
        deaths = world_deaths(net, replace(base, mitigation=mid), args.runs, args.seed)
        print(f"mitigation {mid:.4f}: median deaths {deaths:,.0f} (target {target:,.0f})")
        lo, hi = (mid, hi) if deaths > target else (lo, mid)
    fitted = round((lo + hi) / 2, 3)
    res = vs.run_study(
        net, replace(base, mitigation=fitted), runs=args.runs, seed=args.seed, arms=("none",)
    )
    model = pd.Series(np.median(res.deaths[0], axis=0), index=res.nodes)
    hic = builtin_groups()[HIGH_INCOME].members
    share = lambda s: s[s.index.isin(hic)].sum() / s.sum()  # noqa: E731
    print(f"fitted mitigation = {fitted}")
    print(f"reported deaths by 2020-09-01 (JHU CSSE): {target:,.0f}")
    print(f"share in high-income countries: reported {share(jhu):.0%}, model {share(model):.0%}")
    top = pd.DataFrame({"reported": jhu, "model_median": model}).fillna(0)
    print(top.sort_values("reported", ascending=False).head(10).round(0).to_string())
    print(top.sort_values("model_median", ascending=False).head(10).round(0).to_string())


if __name__ == "__main__":
    main()
