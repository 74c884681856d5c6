"""The probabilistic nowcast: negative-binomial reports around a smooth latent curve, split over
delays by a delay distribution that changes slowly in time (and by weekday of report for daily
data); penalised maximum likelihood with a Laplace approximation for the uncertainty.

For reference row t of the fitted window and delay j:
    y[t, j] ~ NegBin(mean = exp(eta[t]) · p[t, j], size = phi[j])
    p[t, ·] = softmax(a + b · tau[t] (+ w[weekday of t + j])),  a_0 = b_0 = 0,  tau in (-1, 0]
    eta has a second-order random-walk penalty (sd SMOOTH_SD per step); a, b, w weak ridges.
The fit maximises the penalised log likelihood (L-BFGS-B, analytic gradient); parameters are then
drawn from the Gaussian with the inverse Hessian (finite differences of the gradient) as
covariance; each draw gives the means of the cells not yet reported, and their reporting noise is a
residual bootstrap: Pearson residuals of the raw cells of the same delay in the window (negative
revisions included) times the square root of the mean. The sample paths so carry the curve's and
the delays' uncertainty and the noise seen in the data. The fit itself needs counts >= 0: negative
cells (revisions down) are folded into earlier delays first (`triangle.fold_negatives`).
Why this and not MCMC: 19 series × 40 as-of dates must take seconds (docs/nowcast.md).
"""

from __future__ import annotations

import numpy as np

from .nowcast_core import NowcastInputs, SeriesNowcast
from .triangle import fold_negatives

SMOOTH_SD = 0.15  # sd of the second difference of log counts per step
DRIFT_SD = 1.0  # prior sd of the change of each delay logit over the window
LOGIT_SD = 5.0  # prior sd of each delay logit
WEEKDAY_SD = 1.0  # prior sd of each weekday effect (daily data)


def nowcast_series(inp: NowcastInputs, rng: np.random.Generator) -> SeriesNowcast:
    """Sample paths of the final counts of the incomplete rows of one series."""
    from scipy.optimize import minimize

    rows = min(inp.counts.shape[0], inp.window + inp.incomplete)
    y = fold_negatives(inp.counts[-rows:])
    known = ~np.isnan(y)
    fit = _Fit(
        np.where(known, y, 0.0), known, inp.weekday[-rows:] if inp.weekday is not None else None
    )
    start = fit.start()
    best = minimize(fit.loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    cov, pd_ok = _inverse_hessian(fit, best.x)
    draws = rng.multivariate_normal(best.x, cov, size=inp.n_paths, method="cholesky")
    last = np.arange(rows - inp.incomplete, rows)
    mean, _ = fit.mean_of_rows(draws, last)  # (paths, rows, J)
    # reporting noise: Pearson residuals of the raw cells (negatives included) of each delay
    # over the window, resampled and scaled by the drawn mean (a residual bootstrap)
    fitted, _ = fit.mean_of_rows(best.x[None, :], np.arange(rows))
    raw = inp.counts[-rows:]
    residual = (raw - fitted[0]) / np.sqrt(np.maximum(fitted[0], 1.0))
    unknown = ~known[last]
    drawn = np.zeros_like(mean)
    for j in range(fit.j_n):
        cells = unknown[:, j]
        if not cells.any():
            continue
        pool = residual[:, j][known[:, j]]
        pool = pool if pool.size else np.zeros(1)
        mu = mean[:, cells, j]
        drawn[:, cells, j] = np.round(
            mu + rng.choice(pool, mu.shape) * np.sqrt(np.maximum(mu, 1.0))
        )
    observed = np.where(known[last], y[last], 0.0).sum(axis=1)
    paths = observed[:, None] + drawn.sum(axis=2).T
    return SeriesNowcast(
        paths,
        np.nansum(
            np.where(np.isnan(inp.counts[-rows:][last]), 0.0, inp.counts[-rows:][last]), axis=1
        ),
        {
            "converged": bool(best.success),
            "hessian_positive_definite": pd_ok,
            "dispersion_by_delay": np.exp(best.x[-fit.j_n :]).round(2).tolist(),
            # the delay distribution of the as-of row (daily data: with its report weekdays)
            "delay_distribution": (fitted[0, -1] / fitted[0, -1].sum()).round(4).tolist(),
            "iterations": int(best.nit),
        },
    )


def _inverse_hessian(fit: _Fit, theta: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of the loss's Hessian at theta by central differences of the gradient."""
    n = theta.size
    h = 1e-4 * np.maximum(np.abs(theta), 1.0)
    hess = np.empty((n, n))
    for i in range(n):
        up, down = theta.copy(), theta.copy()
        up[i] += h[i]
        down[i] -= h[i]
        hess[i] = (fit.loss(up)[1] - fit.loss(down)[1]) / (2 * h[i])
    hess = 0.5 * (hess + hess.T)
    values, vectors = np.linalg.eigh(hess)
    ok = bool(values.min() > 0)
    values = np.maximum(values, 1e-6 * max(values.max(), 1.0))
    return (vectors / values) @ vectors.T, ok


class _Fit:
    """The penalised negative log likelihood and its gradient over theta =
    (eta[0..T-1], a[1..J-1], b[1..J-1], w[1..6] for daily data, log phi[0..J-1])."""

    def __init__(self, y: np.ndarray, known: np.ndarray, weekday: np.ndarray | None) -> None:
        self.y, self.known = y, known
        self.t_n, self.j_n = y.shape
        self.tau = (np.arange(self.t_n) - (self.t_n - 1)) / max(self.t_n - 1, 1)
        self.weekday = weekday
        self.n_w = 6 if weekday is not None else 0
        d = np.zeros((self.t_n - 2, self.t_n))
        for i in range(self.t_n - 2):
            d[i, i : i + 3] = (1.0, -2.0, 1.0)
        self.smooth = d.T @ d / SMOOTH_SD**2

    def start(self) -> np.ndarray:
        total = np.where(self.known, self.y, 0.0).sum(axis=1)
        share = np.where(self.known.all(axis=1)[:, None], self.y, 0.0).sum(axis=0) + 0.5
        eta = np.log(
            np.maximum(total, 1.0)
            / np.maximum((share / share.sum() * self.known).sum(axis=1), 0.05)
        )
        a = np.log(share[1:] / share[0])
        return np.concatenate(
            [eta, a, np.zeros(self.j_n - 1), np.zeros(self.n_w), np.full(self.j_n, np.log(20.0))]
        )

    def _unpack(self, theta: np.ndarray):
        t, j = self.t_n, self.j_n
        eta = theta[:t]
        a = np.concatenate([[0.0], theta[t : t + j - 1]])
        b = np.concatenate([[0.0], theta[t + j - 1 : t + 2 * j - 2]])
        w = np.concatenate([[0.0], theta[t + 2 * j - 2 : t + 2 * j - 2 + self.n_w]])
        return eta, a, b, w, theta[-j:]

    def _logits(self, a, b, w) -> np.ndarray:
        z = a[None, :] + b[None, :] * self.tau[:, None]
        if self.weekday is not None:
            z = z + w[self.weekday]
        return z - z.max(axis=1, keepdims=True)

    def mean_of_rows(self, thetas: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means (draws, rows, J) of the cells of `rows` and sizes (draws, J), for many thetas."""
        t, j = self.t_n, self.j_n
        eta = thetas[:, rows]
        a = np.concatenate([np.zeros((len(thetas), 1)), thetas[:, t : t + j - 1]], axis=1)
        b = np.concatenate(
            [np.zeros((len(thetas), 1)), thetas[:, t + j - 1 : t + 2 * j - 2]], axis=1
        )
        z = a[:, None, :] + b[:, None, :] * self.tau[rows][None, :, None]
        if self.weekday is not None:
            w = np.concatenate(
                [np.zeros((len(thetas), 1)), thetas[:, t + 2 * j - 2 : t + 2 * j - 2 + self.n_w]],
                axis=1,
            )
            z = z + w[:, self.weekday[rows]]
        z -= z.max(axis=2, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=2, keepdims=True)
        return np.exp(np.clip(eta, -30, 30))[:, :, None] * p, np.exp(thetas[:, -j:])

    def loss(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.special import digamma, gammaln

        eta, a, b, w, log_phi = self._unpack(theta)
        phi = np.exp(log_phi)
        z = self._logits(a, b, w)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        mu = np.exp(np.clip(eta, -30, 30))[:, None] * p
        y, k = self.y, self.known
        ll = np.where(
            k,
            gammaln(y + phi)
            - gammaln(phi)
            + phi * np.log(phi / (phi + mu))
            + y * np.log(np.maximum(mu, 1e-300) / (phi + mu)),
            0.0,
        )
        g = np.where(k, y - mu * (y + phi) / (phi + mu), 0.0)  # d ll / d log mu
        g_total = g.sum(axis=1)
        dz = g - p * g_total[:, None]
        d_phi = (
            np.where(
                k,
                digamma(y + phi)
                - digamma(phi)
                + np.log(phi / (phi + mu))
                + 1
                - (y + phi) / (phi + mu),
                0.0,
            ).sum(axis=0)
            * phi
        )
        smooth = self.smooth @ eta
        penalty = (
            0.5 * eta @ smooth
            + 0.5 * np.sum(a[1:] ** 2) / LOGIT_SD**2
            + 0.5 * np.sum(b[1:] ** 2) / DRIFT_SD**2
            + 0.5 * np.sum(w[1:] ** 2) / WEEKDAY_SD**2
            + 0.5 * np.sum((log_phi - np.log(20.0)) ** 2) / 2.0**2
        )
        grad_eta = -g_total + smooth
        grad_a = -dz.sum(axis=0)[1:] + a[1:] / LOGIT_SD**2
        grad_b = -(dz * self.tau[:, None]).sum(axis=0)[1:] + b[1:] / DRIFT_SD**2
        parts = [grad_eta, grad_a, grad_b]
        if self.weekday is not None:
            dw = np.bincount(self.weekday.ravel(), weights=dz.ravel(), minlength=7)
            parts.append(-dw[1:] + w[1:] / WEEKDAY_SD**2)
        parts.append(-d_phi + (log_phi - np.log(20.0)) / 4.0)
        return float(-ll.sum() + penalty), np.concatenate(parts)
