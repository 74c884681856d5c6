"""The mechanistic model beside renewal on the same targets, and their quantile average (an
ensemble computed here from the two score tables, not a model of `forecast-evaluate`).

Usage: python scripts/validation/forecast_mechanistic.py MECH_DIR RENEWAL_DIR [--split DATE]
MECH_DIR: `forecast-evaluate --model mechanistic`; RENEWAL_DIR: `--model renewal` on origins
that include MECH_DIR's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from epicommons.forecast.evaluate import relative_wis
from epicommons.scoring import QUANTILES, covered, weighted_interval_score

KEYS = ["country", "origin", "horizon"]


def combined(mech_dir: Path, renewal_dir: Path) -> pd.DataFrame:
    """Baseline, renewal and mechanistic rows on the mechanistic run's targets, plus the
    quantile average of renewal and mechanistic."""
    mech = pd.read_parquet(mech_dir / "scores.parquet")
    mech = mech[mech["model"] == "mechanistic"]
    other = pd.read_parquet(renewal_dir / "scores.parquet")
    other = other[other["model"].isin(["baseline", "renewal"])]
    other = other[other.set_index(KEYS).index.isin(mech.set_index(KEYS).index)]
    cols = [f"q{lv:g}" for lv in QUANTILES]
    a = other[other["model"] == "renewal"].set_index(KEYS).sort_index()
    b = mech.set_index(KEYS).loc[a.index]
    ens = a.copy()
    ens[cols] = (a[cols].to_numpy() + b[cols].to_numpy()) / 2
    q = {lv: ens[f"q{lv:g}"].to_numpy() for lv in QUANTILES}
    y = ens["observed"].to_numpy()
    ens["wis"] = weighted_interval_score(q, y)
    ens["covered_50"], ens["covered_90"] = covered(q, y, 0.5), covered(q, y, 0.9)
    ens["model"] = "renewal + mechanistic"
    for part in ("dispersion", "overprediction", "underprediction"):
        ens[part] = float("nan")  # not split for the offline ensemble
    return pd.concat([other, mech, ens.reset_index()], ignore_index=True)


def table(scores: pd.DataFrame) -> str:
    h = relative_wis(scores, ["horizon"]).pivot(
        index="model", columns="horizon", values="relative_wis"
    )
    o = relative_wis(scores).set_index("model")
    lines = [
        "| model | 1 wk | 2 wk | 3 wk | 4 wk | all | 50% cov. | 90% cov. | n |",
        "|---" * 9 + "|",
    ]
    for m in o.index:
        lines.append(
            f"| {m} | "
            + " | ".join(f"{v:.2f}" for v in h.loc[m])
            + f" | {o.loc[m, 'relative_wis']:.3f}"
            f" | {o.loc[m, 'coverage_50']:.0%} | {o.loc[m, 'coverage_90']:.0%} | {int(o.loc[m, 'n'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mech", type=Path)
    ap.add_argument("renewal", type=Path)
    ap.add_argument("--split", default=None)
    args = ap.parse_args()
    scores = combined(args.mech, args.renewal)
    print("### All origins\n\n" + table(scores))
    by = relative_wis(scores, ["country"]).pivot(
        index="country", columns="model", values="relative_wis"
    )
    rows = ["| country | " + " | ".join(by.columns) + " |", "|---" * (len(by.columns) + 1) + "|"]
    rows += [f"| {c} | " + " | ".join(f"{v:.2f}" for v in by.loc[c]) + " |" for c in by.index]
    print("\n### By country (relative WIS)\n\n" + "\n".join(rows))
    if args.split:
        cut = pd.Timestamp(args.split)
        for name, part in (("before", scores["origin"] < cut), ("from", scores["origin"] >= cut)):
            print(f"\n### Origins {name} {args.split}\n\n" + table(scores[part]))


if __name__ == "__main__":
    main()
