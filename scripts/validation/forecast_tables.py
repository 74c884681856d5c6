"""Markdown tables of a `forecast-evaluate` folder for docs/validation/forecast.md: relative WIS
per model and horizon, per country, WIS parts, coverage, and the same split by period.

Usage: python scripts/validation/forecast_tables.py OUT_DIR [--split YYYY-MM-DD]
       [--against OTHER_DIR]   (also: each model's mean WIS over the baseline of another run
                                on the same targets, e.g. the baseline on the data as known)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from epicommons.forecast.evaluate import relative_wis


def _md(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(map(str, r)) + " |" for r in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def by_horizon(scores: pd.DataFrame) -> str:
    r = relative_wis(scores, ["horizon"])
    o = relative_wis(scores).set_index("model")
    out = []
    for m, g in r.groupby("model", sort=False):
        g = g.set_index("horizon")
        out.append(
            {
                "model": m,
                **{f"{h} wk": f"{g.loc[h, 'relative_wis']:.2f}" for h in g.index},
                "all": f"{o.loc[m, 'relative_wis']:.3f}",
                "50% cov.": f"{o.loc[m, 'coverage_50']:.0%}",
                "90% cov.": f"{o.loc[m, 'coverage_90']:.0%}",
                "90% cov. by horizon": " / ".join(f"{v:.0%}" for v in g["coverage_90"]),
                "forecasts": int(o.loc[m, "n"]),
            }
        )
    return _md(pd.DataFrame(out))


def by_country(scores: pd.DataFrame) -> str:
    r = relative_wis(scores, ["country"])
    wide = r.pivot(index="country", columns="model", values="relative_wis")
    cov = r.pivot(index="country", columns="model", values="coverage_90")
    out = pd.DataFrame({"country": wide.index})
    for m in wide.columns:
        if m != "baseline":
            out[f"{m} rel. WIS"] = [f"{v:.2f}" for v in wide[m]]
    for m in cov.columns:
        out[f"{m} 90% cov."] = [f"{v:.0%}" for v in cov[m]]
    return _md(out)


def parts(scores: pd.DataFrame) -> str:
    o = relative_wis(scores)
    cols = ["wis", "dispersion", "overprediction", "underprediction"]
    return _md(o[["model", *cols]].assign(**{c: o[c].map("{:,.0f}".format) for c in cols}))


def against(scores: pd.DataFrame, other: pd.DataFrame) -> str:
    """Mean WIS of each model over the mean WIS of `other`'s baseline on the same targets."""
    keys = ["country", "origin", "horizon"]
    ref = other[other["model"] == "baseline"][[*keys, "wis"]].rename(columns={"wis": "ref"})
    j = scores.merge(ref, on=keys)
    out = []
    for m, g in j.groupby("model", sort=False):
        h = g.groupby("horizon")[["wis", "ref"]].mean()
        out.append(
            {
                "model": m,
                "mean WIS": f"{g['wis'].mean():,.0f}",
                **{f"{k} wk": f"{r.wis / r.ref:.2f}" for k, r in h.iterrows()},
                "all": f"{g['wis'].mean() / g['ref'].mean():.3f}",
            }
        )
    return _md(pd.DataFrame(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--split", default=None)
    ap.add_argument("--against", type=Path, default=None)
    args = ap.parse_args()
    scores = pd.read_parquet(args.out / "scores.parquet")
    print("### By horizon\n\n" + by_horizon(scores))
    print("\n### By country\n\n" + by_country(scores))
    print("\n### Mean WIS and its parts (weekly cases)\n\n" + parts(scores))
    if args.against:
        other = pd.read_parquet(args.against / "scores.parquet")
        print(f"\n### Against the baseline of {args.against}\n\n" + against(scores, other))
    if args.split:
        cut = pd.Timestamp(args.split)
        for name, part in (
            (f"origins before {args.split}", scores[scores["origin"] < cut]),
            (f"origins from {args.split}", scores[scores["origin"] >= cut]),
        ):
            print(f"\n### {name}\n\n" + by_horizon(part))


if __name__ == "__main__":
    main()
