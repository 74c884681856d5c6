"""Write a calibration's outputs into a folder atomically (temporary sibling, then rename).

posterior.parquet (particles, weights, distances), generations.csv, forecast.parquet
(predictive quantiles per date/country), scores.parquet (when held-out reports exist after
fit_end), fit.png/svg, posterior.png, calibration.json (point estimate, posterior quantiles,
regression adjustment, scores, metadata) and the scenario text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from epicommons._files import atomic_folder, check_output

from .abc import Posterior
from .forecast import Forecast
from .likelihood import PointEstimate
from .plots import plot_fit, plot_posterior

MARKER = "calibration.json"


def check_out(out_dir: Path) -> Path:
    """Refuse a folder that cannot be written or is not a previous calibration output."""
    return check_output(out_dir, "folder", marker=MARKER)


def posterior_table(post: Posterior) -> pd.DataFrame:
    frame = pd.DataFrame(post.particles, columns=post.names)
    frame["weight"] = post.weights
    frame["distance"] = post.distances
    return frame


def write(
    out_dir: Path,
    post: Posterior | None,
    point: PointEstimate | None,
    fc: Forecast,
    metadata: dict[str, object],
    scenario_text: str,
) -> list[Path]:
    """Write every output; nothing is left half written if anything fails."""
    with atomic_folder(out_dir, MARKER) as tmp:
        summary: dict[str, object] = dict(metadata)
        if post is not None:
            posterior_table(post).to_parquet(tmp / "posterior.parquet", index=False)
            pd.DataFrame([g.__dict__ for g in post.generations]).to_csv(
                tmp / "generations.csv", index=False
            )
            summary["regression_adjustment"] = (
                None if post.adjustment is None else dict(post.adjustment.__dict__)
            )
            q = post.quantiles([0.05, 0.5, 0.95])
            summary["posterior"] = {
                n: {"q0.05": q[0, j], "median": q[1, j], "q0.95": q[2, j]}
                for j, n in enumerate(post.names)
            }
            plot_posterior(post, [tmp / "posterior.png"])
        if point is not None:
            summary["point_estimate"] = {
                "values": point.as_dict(),
                "log_likelihood": point.log_likelihood,
                "evaluations": point.evaluations,
                "converged": point.converged,
            }
        fc.table().to_parquet(tmp / "forecast.parquet", index=False)
        scores = fc.scores()
        if len(scores):
            scores.to_parquet(tmp / "scores.parquet", index=False)
            summary["scores"] = (
                scores.groupby("country")[["wis", "crps"]].mean().round(4).to_dict("index")
            )
        plot_fit(fc, [tmp / "fit.png", tmp / "fit.svg"])
        (tmp / MARKER).write_text(json.dumps(summary, indent=2, default=str) + "\n")
        (tmp / "scenario.toml").write_text(scenario_text, encoding="utf-8")
    return sorted(out_dir.iterdir())
