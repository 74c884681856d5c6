"""Plot Rt with its credible bands, one panel per country (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.errors import InputError

PLOT_SUFFIXES = (".png", ".svg")


def plot_rt(rt: pd.DataFrame, path: str | PathLike[str], *, columns: int = 3) -> Path:
    """Draw each country's posterior mean and 50%/95% bands against the window's last day.

    The file type follows the extension (.png or .svg); the image is written to a temporary
    file first and renamed, so a failure leaves no partial file.
    """
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError(f"the plot must be .png or .svg, got {path.name!r}", field="--plot")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    groups = list(rt.groupby("country", sort=False)) if "country" in rt else [("", rt)]
    columns = max(1, min(columns, len(groups)))
    rows = math.ceil(len(groups) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 2.6 * rows), squeeze=False, sharey=False
    )
    x_name = "date_end" if "date_end" in rt else "t_end"
    for ax, (country, group) in zip(axes.flat, groups, strict=False):
        x = group[x_name]
        ax.fill_between(
            x,
            group["q0.025"],
            group["q0.975"],
            color="tab:blue",
            alpha=0.2,
            linewidth=0,
            label="95% CrI",
        )
        ax.fill_between(
            x,
            group["q0.25"],
            group["q0.75"],
            color="tab:blue",
            alpha=0.35,
            linewidth=0,
            label="50% CrI",
        )
        ax.plot(x, group["mean"], color="tab:blue", linewidth=1.0, label="mean")
        ax.axhline(1.0, color="black", linewidth=0.6, linestyle="--")
        upper = group["q0.975"].dropna()
        if len(upper):  # early windows with few cases have huge bands: keep the bulk readable
            ax.set_ylim(0.0, max(2.0, float(np.quantile(upper, 0.95))) * 1.1)
        ax.set_title(str(country) or "Rt", fontsize=9)
        ax.set_ylabel("R", fontsize=8)
        ax.tick_params(labelsize=7)
        if x_name == "date_end":
            ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(groups) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, dpi=110)
        tmp.replace(path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path
