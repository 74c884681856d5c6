"""Fit plots: reported counts, the fitted/forecast median with 50 % and 90 % bands per country,
and the marginal posteriors. Matplotlib with the Agg backend (no display needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from .abc import Posterior
from .forecast import Forecast


def plot_fit(fc: Forecast, paths: list[Path]) -> None:
    """One panel per country and observable; the dashed line marks the end of the fit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = fc.problem
    days, nc, nk = fc.samples.shape[1:]
    dates = [p.start + timedelta(days=d) for d in range(days)]
    q = np.quantile(fc.samples, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    panels = nc * nk
    cols = min(3, panels)
    rows = -(-panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for i in range(panels):
        ax = axes[i // cols][i % cols]
        c, k = divmod(i, nk)
        ax.fill_between(dates, q[0, :, c, k], q[4, :, c, k], color="C0", alpha=0.2, label="90 %")
        ax.fill_between(dates, q[1, :, c, k], q[3, :, c, k], color="C0", alpha=0.35, label="50 %")
        ax.plot(dates, q[2, :, c, k], color="C0", lw=1.2, label="median")
        ax.plot(dates, p.observed[:days, c, k], "k.", ms=3, label="reported")
        ax.axvline(dates[fc.fit_end], color="grey", ls="--", lw=0.8)
        ax.set_title(f"{p.countries[c]} — daily {p.observe[k]}", fontsize=9)
        ax.tick_params(labelsize=7)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
    for j in range(panels, rows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    for path in paths:
        fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_posterior(post: Posterior, paths: list[Path], truth: np.ndarray | None = None) -> None:
    """Weighted histogram of each parameter's marginal posterior."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(post.names)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False)
    for j, name in enumerate(post.names):
        ax = axes[j // cols][j % cols]
        ax.hist(post.particles[:, j], bins=30, weights=post.weights, color="C1", alpha=0.8)
        if truth is not None:
            ax.axvline(truth[j], color="k", lw=1)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.tight_layout()
    for path in paths:
        fig.savefig(path, dpi=110)
    plt.close(fig)
