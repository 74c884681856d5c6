"""The probabilistic nowcast: negative-binomial reports around a smooth latent curve, split over
delays by a delay distribution that changes from week to week as a random walk (and by weekday
of report for daily data); penalised maximum likelihood with a Laplace approximation.

For reference row t of the fitted window and delay j:
    y[t, j] ~ NegBin(mean = exp(eta[t]) · p[t, j], size = phi[j])
    p[t, ·] = softmax(A[t] (+ w[weekday of t + j])),  A[t, 0] = 0
    A[t, j] - A[t-1, j] ~ N(0, delay_sd²)    (a random walk on each delay logit; per day for
                                              daily data, delay_sd / √7)
    eta has a second-order random-walk penalty (sd smooth_sd per step); w a weak ridge.
The fit maximises the penalised log likelihood by Newton's method (analytic gradient and Hessian,
a backtracking line search, the Hessian shifted where it is not positive definite: about 10
steps); parameters are then drawn from the Gaussian with the inverse Hessian at the optimum as
covariance, so the incomplete rows use the latest delay state with its uncertainty (it grows with
each step the walk has not been observed). Each draw gives the means of the cells not yet
reported; their reporting noise is `Settings.noise`: the model's own negative binomial, that
plus a signed revision (`revision`, the default: the fit needs counts >= 0, so negative cells,
revisions down, are folded into earlier delays first, `triangle.fold_negatives`; the revision
puts them back: for each path a window row with the same delays known is resampled and its raw
minus folded cells over those delays are added), or a residual bootstrap (Pearson residuals of
the raw cells of the same delay in the window, times √mean). With `Settings.recalibration`
the central spread is then stretched by what the model's own nowcasts at the previous as-of
dates needed (`nowcast_recalibrate`).
Why this and not MCMC: 19 series × 40 as-of dates must take seconds (docs/nowcast.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .nowcast_core import NowcastInputs, SeriesNowcast
from .nowcast_recalibrate import Tails, past_paths, recalibrate
from .triangle import fold_negatives

LOGIT_SD = 5.0  # prior sd of each delay logit of the first fitted row
WEEKDAY_SD = 1.0  # prior sd of each weekday effect (daily data)
PHI_PRIOR = (np.log(20.0), 2.0)  # mean and sd of the prior of each log dispersion
DECREMENT = 1e-6  # Newton decrement (the loss still to gain, about) at which the fit stops
MAX_STEPS = 100


@dataclass(frozen=True)
class Settings:
    """The model's choices (docs/validation/nowcast.md shows how they were chosen)."""

    smooth_sd: float = 0.15  # sd of the second difference of log final counts per step
    delay_sd: float = 0.1  # sd of the week-to-week change of each delay logit (daily: / √7)
    noise: Literal["bootstrap", "negbin", "revision"] = "revision"
    window_per_delay: int = 5  # fitted reference steps per delay (at least 8 in all)
    recalibration: int = 20  # past as-of dates whose errors stretch the intervals (0: none)
    shrink: float = 3.0  # past nowcasts that weigh as much as the recalibration's prior of 1
    tails: Tails = "own"  # the outer levels keep the model's spread, or are stretched too


SETTINGS = Settings()


def nowcast_series(
    inp: NowcastInputs, rng: np.random.Generator, settings: Settings = SETTINGS
) -> SeriesNowcast:
    """Sample paths of the final counts of the incomplete rows of one series."""
    if not settings.recalibration:
        paths, diagnostics = _sample(inp, rng, settings)
        return SeriesNowcast(paths, np.nansum(inp.counts[-inp.incomplete :], axis=1), diagnostics)

    # seeded by the data, not `rng`: this nowcast is a past one of the next as-of date's
    # recalibration, and a backtest then finds it in the cache
    def sample(then: NowcastInputs, generator: np.random.Generator):
        return _sample(then, generator, settings)

    paths, diagnostics = past_paths(inp, sample, repr(settings))
    paths, stretch = recalibrate(
        inp, paths, sample, settings.recalibration, repr(settings), settings.shrink, settings.tails
    )
    diagnostics = dict(diagnostics)
    diagnostics["stretch"] = stretch.round(3).tolist()
    return SeriesNowcast(paths, np.nansum(inp.counts[-inp.incomplete :], axis=1), diagnostics)


def _sample(
    inp: NowcastInputs, rng: np.random.Generator, settings: Settings
) -> tuple[np.ndarray, dict[str, object]]:
    """The model's sample paths (rows, paths) of the incomplete rows and its fit's diagnostics."""
    rows = min(inp.counts.shape[0], inp.window + inp.incomplete)
    y = fold_negatives(inp.counts[-rows:])
    known = ~np.isnan(y)
    fit = _Fit(
        np.where(known, y, 0.0),
        known,
        inp.weekday[-rows:] if inp.weekday is not None else None,
        settings,
    )
    theta, hess, converged, steps = _newton(fit, fit.start())
    last = np.arange(rows - inp.incomplete, rows)
    needed = np.concatenate([fit.row_index[last].ravel(), fit.w_index, fit.phi_index])
    draws, pd_ok = _laplace_draws(theta, hess, needed, inp.n_paths, rng)
    mean, size = fit.mean_of_rows(draws, last)  # (paths, rows, J), (paths, J)
    fitted, _ = fit.mean_of_rows(theta[None, :], np.arange(rows))
    unknown = ~known[last]
    if settings.noise == "bootstrap":
        drawn = _bootstrap(inp.counts[-rows:], fitted[0], known, mean, rng)
    else:
        # as a gamma-Poisson mixture: NumPy's negative_binomial refuses a tiny p (a huge mean)
        phi = np.broadcast_to(size[:, None, :], mean.shape)
        rate = rng.gamma(phi, np.maximum(mean, 1e-9) / phi)
        drawn = rng.poisson(np.minimum(rate, 1e15)).astype(float)
    drawn = np.where(unknown[None], drawn, 0.0)
    observed = np.where(known[last], y[last], 0.0).sum(axis=1)
    paths = observed[:, None] + drawn.sum(axis=2).T
    if settings.noise == "revision":
        revision = _revisions(inp.counts[-rows:], y, known, unknown, inp.n_paths, rng)
        paths = np.maximum(paths + revision, 0.0)
    return (
        paths,
        {
            "converged": converged,
            "hessian_positive_definite": pd_ok,
            "dispersion_by_delay": np.exp(theta[-fit.j_n :]).round(2).tolist(),
            # the delay distribution of the as-of row (daily data: with its report weekdays)
            "delay_distribution": (fitted[0, -1] / fitted[0, -1].sum()).round(4).tolist(),
            "iterations": steps,
        },
    )


def _bootstrap(
    raw: np.ndarray,
    fitted: np.ndarray,
    known: np.ndarray,
    mean: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Reporting noise around the drawn means: Pearson residuals of the raw cells (negatives
    included) of each delay over the window, resampled and scaled by √mean."""
    residual = (raw - fitted) / np.sqrt(np.maximum(fitted, 1.0))
    drawn = np.empty_like(mean)
    for j in range(mean.shape[2]):
        pool = residual[:, j][known[:, j]]
        pool = pool if pool.size else np.zeros(1)
        mu = mean[:, :, j]
        drawn[:, :, j] = np.round(mu + rng.choice(pool, mu.shape) * np.sqrt(np.maximum(mu, 1.0)))
    return drawn


def _revisions(
    raw: np.ndarray,
    folded: np.ndarray,
    known: np.ndarray,
    unknown: np.ndarray,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Signed revisions (rows, paths) of the cells still unknown in each nowcast row: the
    negative binomial draws folded cells (>= 0), the final count is the sum of the raw ones.
    For each path, a window row in which those delays are known is resampled and its
    `raw - folded` over those delays is added (negative where a cell was revised down)."""
    gap = raw - folded  # 0 except where folding moved a revision down
    out = np.zeros((unknown.shape[0], n_paths))
    for i, missing in enumerate(unknown):
        if not missing.any():
            continue
        donors = np.flatnonzero(known[:, missing].all(axis=1))
        if donors.size:
            out[i] = np.nansum(gap[donors][:, missing], axis=1)[
                rng.integers(donors.size, size=n_paths)
            ]
    return out


def _newton(fit: _Fit, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """The minimum of the loss from `theta`, the Hessian there, whether it converged (Newton
    decrement below DECREMENT), and the steps taken."""
    from scipy.linalg import cho_factor, cho_solve

    loss, grad = fit.loss(theta)
    for step in range(1, MAX_STEPS + 1):
        hess = fit.hessian(theta)
        shift = 0.0
        for _ in range(30):  # the Hessian shifted until positive definite: a descent direction
            try:
                factor = cho_factor(hess + shift * np.eye(theta.size))
                break
            except (np.linalg.LinAlgError, ValueError):  # not positive definite, or not finite
                shift = max(10.0 * shift, 1e-3 * max(np.abs(np.diag(hess)).max(), 1.0))
        else:
            return theta, hess, False, step  # not a finite Hessian
        direction = -cho_solve(factor, grad)
        decrement = -float(grad @ direction)
        if decrement < DECREMENT:
            return theta, hess, True, step
        t = 1.0
        while t > 1e-10:
            trial = theta + t * direction
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                new_loss, new_grad = fit.loss(trial)  # a long step may overflow: shortened
            if np.isfinite(new_loss) and new_loss <= loss - 1e-4 * t * decrement:
                break
            t *= 0.5
        else:
            return theta, hess, decrement < 1e3 * DECREMENT, step  # no descent left: rounding
        theta, loss, grad = trial, new_loss, new_grad
    return theta, fit.hessian(theta), False, MAX_STEPS


def _laplace_draws(
    theta: np.ndarray, hess: np.ndarray, needed: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """`n` draws (n, params) from the Gaussian about `theta` whose precision is the loss's
    Hessian there (eigenvalues floored where it is not positive definite), and whether it was.
    Only the parameters `needed` are drawn (from their marginal); the others stay at `theta`."""
    from scipy.linalg import cho_factor, cho_solve

    try:
        pick = np.eye(theta.size)[:, needed]
        cov = cho_solve(cho_factor(hess), pick)[needed]
        ok = True
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(hess)
        values = np.maximum(values, 1e-6 * max(values.max(), 1.0))
        cov = (vectors[needed] / values) @ vectors[needed].T
        ok = False
    draws = np.tile(theta, (n, 1))
    lower = np.linalg.cholesky(0.5 * (cov + cov.T))
    draws[:, needed] += rng.standard_normal((n, needed.size)) @ lower.T
    return draws, ok


def _second_differences(n: int) -> np.ndarray:
    """The (n - 2, n) matrix of second differences."""
    d = np.zeros((max(n - 2, 0), n))
    for i in range(n - 2):
        d[i, i : i + 3] = (1.0, -2.0, 1.0)
    return d


class _Fit:
    """The penalised negative log likelihood, its gradient and Hessian over theta =
    (eta[0..T-1], A[0..T-1, 1..J-1] by row, w[1..6] for daily data, log phi[0..J-1])."""

    def __init__(
        self, y: np.ndarray, known: np.ndarray, weekday: np.ndarray | None, settings: Settings
    ) -> None:
        self.y, self.known = y, known
        self.t_n, self.j_n = y.shape
        self.weekday = weekday
        self.n_w = 6 if weekday is not None else 0
        d = _second_differences(self.t_n)
        self.smooth = d.T @ d / settings.smooth_sd**2
        first = np.diff(np.eye(self.t_n), axis=0)
        step_sd = settings.delay_sd / (np.sqrt(7.0) if weekday is not None else 1.0)
        walk = first.T @ first / step_sd**2
        walk[0, 0] += 1.0 / LOGIT_SD**2
        self.walk = walk  # (T, T) precision of each delay logit's path
        t_n, j_n = self.t_n, self.j_n
        n = t_n + t_n * (j_n - 1) + self.n_w + j_n
        # theta's index of each row's (eta, A[., 1..J-1]), of each weekday effect, of log phi
        self.row_index = np.column_stack(
            [np.arange(t_n), t_n + np.arange(t_n * (j_n - 1)).reshape(t_n, j_n - 1)]
        )
        self.w_index = t_n + t_n * (j_n - 1) + np.arange(self.n_w)
        self.phi_index = n - j_n + np.arange(j_n)
        penalty = np.zeros((n, n))  # the Hessian of the penalty: constant
        penalty[:t_n, :t_n] = self.smooth
        for j in range(1, j_n):
            at = self.row_index[:, j]
            penalty[np.ix_(at, at)] += walk
        penalty[self.w_index, self.w_index] += 1.0 / WEEKDAY_SD**2
        penalty[self.phi_index, self.phi_index] += 1.0 / PHI_PRIOR[1] ** 2
        self.penalty = penalty

    def start(self) -> np.ndarray:
        total = np.where(self.known, self.y, 0.0).sum(axis=1)
        share = np.where(self.known.all(axis=1)[:, None], self.y, 0.0).sum(axis=0) + 0.5
        eta = np.log(
            np.maximum(total, 1.0)
            / np.maximum((share / share.sum() * self.known).sum(axis=1), 0.05)
        )
        logits = np.tile(np.log(share[1:] / share[0]), self.t_n)
        return np.concatenate([eta, logits, np.zeros(self.n_w), np.full(self.j_n, PHI_PRIOR[0])])

    def _split(self, thetas: np.ndarray):
        """(eta, A with its zero column, w with its zero, log phi) of each row of `thetas`."""
        t, j, n = self.t_n, self.j_n, len(thetas)
        eta = thetas[:, :t]
        a = thetas[:, t : t + t * (j - 1)].reshape(n, t, j - 1)
        a = np.concatenate([np.zeros((n, t, 1)), a], axis=2)
        w = thetas[:, t + t * (j - 1) : t + t * (j - 1) + self.n_w]
        w = np.concatenate([np.zeros((n, 1)), w], axis=1)
        return eta, a, w, thetas[:, -j:]

    def _shares(self, a: np.ndarray, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Delay distributions (draws, rows, J)."""
        z = a[:, rows]
        if self.weekday is not None:
            z = z + w[:, self.weekday[rows]]
        z = z - z.max(axis=2, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=2, keepdims=True)

    def mean_of_rows(self, thetas: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means (draws, rows, J) of the cells of `rows` and sizes (draws, J), for many thetas."""
        eta, a, w, log_phi = self._split(thetas)
        p = self._shares(a, w, rows)
        return np.exp(np.clip(eta[:, rows], -30, 30))[:, :, None] * p, np.exp(log_phi)

    def _cells(self, theta: np.ndarray):
        """(eta, A, w, log phi, phi, delay shares p, cell means mu) of one theta."""
        eta, a, w, log_phi = (part[0] for part in self._split(theta[None, :]))
        p = self._shares(a[None], w[None], np.arange(self.t_n))[0]
        mu = np.exp(np.clip(eta, -30, 30))[:, None] * p
        return eta, a, w, log_phi, np.exp(log_phi), p, mu

    def _scores(self, phi: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, d ll / d log mu (0 where not known) and d ll / d phi."""
        from scipy.special import digamma

        y = self.y
        q = phi + mu
        g = np.where(self.known, y - mu * (y + phi) / q, 0.0)
        return g, digamma(y + phi) - digamma(phi) + np.log(phi / q) + 1 - (y + phi) / q

    def loss(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.special import gammaln

        eta, a, w, log_phi, phi, p, mu = self._cells(theta)
        y, k = self.y, self.known
        ll = np.where(
            k,
            gammaln(y + phi)
            - gammaln(phi)
            + phi * np.log(phi / (phi + mu))
            + y * np.log(np.maximum(mu, 1e-300) / (phi + mu)),
            0.0,
        )
        g, score_phi = self._scores(phi, mu)
        g_total = g.sum(axis=1)
        dz = g - p * g_total[:, None]
        d_phi = np.where(k, score_phi, 0.0).sum(axis=0) * phi
        smooth = self.smooth @ eta
        walk = self.walk @ a[:, 1:]
        mean_phi, sd_phi = PHI_PRIOR
        penalty = (
            0.5 * eta @ smooth
            + 0.5 * np.sum(a[:, 1:] * walk)
            + 0.5 * np.sum(w[1:] ** 2) / WEEKDAY_SD**2
            + 0.5 * np.sum((log_phi - mean_phi) ** 2) / sd_phi**2
        )
        parts = [-g_total + smooth, (-dz[:, 1:] + walk).ravel()]
        if self.weekday is not None:
            dw = np.bincount(self.weekday.ravel(), weights=dz.ravel(), minlength=7)
            parts.append(-dw[1:] + w[1:] / WEEKDAY_SD**2)
        parts.append(-d_phi + (log_phi - mean_phi) / sd_phi**2)
        return float(-ll.sum() + penalty), np.concatenate(parts)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """The loss's Hessian: the likelihood's, cell by cell in (log mu, log phi) and through
        the softmax of each row, plus the penalty's."""
        from scipy.special import polygamma

        _, _, _, _, phi, p, mu = self._cells(theta)
        y, k = self.y, self.known
        t_n, j_n = self.t_n, self.j_n
        q = phi + mu
        g, s = self._scores(phi, mu)  # d ll / d log mu, d ll / d phi
        h = np.where(k, -mu * (y + phi) * phi / q**2, 0.0)  # d² ll / d (log mu)²
        c = np.where(k, -phi * mu * (mu - y) / q**2, 0.0)  # d² ll / d log mu d log phi
        ds = polygamma(1, y + phi) - polygamma(1, phi) + 1 / phi - 1 / q - (mu - y) / q**2
        phi_phi = np.where(k, phi * s + phi**2 * ds, 0.0).sum(axis=0)
        g_row, h_row = g.sum(axis=1), h.sum(axis=1)
        # per row, over (eta, z_0..z_J-1) with log mu_j = eta + z_j - logsumexp(z)
        local = np.empty((t_n, j_n + 1, j_n + 1))
        local[:, 0, 0] = h_row
        local[:, 0, 1:] = h - p * h_row[:, None]
        local[:, 1:, 0] = local[:, 0, 1:]
        eye = np.eye(j_n)
        hp = h[:, :, None] * p[:, None, :]
        pp = p[:, :, None] * p[:, None, :]
        local[:, 1:, 1:] = (
            h[:, :, None] * eye
            - hp
            - hp.transpose(0, 2, 1)
            + pp * h_row[:, None, None]
            - g_row[:, None, None] * (p[:, :, None] * eye - pp)
        )
        cross = np.empty((t_n, j_n + 1, j_n))  # (eta, z) by log phi
        cross[:, 0] = c
        cross[:, 1:] = c[:, None, :] * eye - p[:, :, None] * c[:, None, :]
        own = np.r_[0, 2 : j_n + 1]  # z_0 has no parameter: A[., 0] = 0
        hess = np.zeros_like(self.penalty)
        rows = self.row_index
        hess[rows[:, :, None], rows[:, None, :]] = local[:, own][:, :, own]
        hess[rows[:, :, None], self.phi_index] = cross[:, own]
        hess[self.phi_index[:, None, None], rows.T[None]] = cross[:, own].transpose(2, 1, 0)
        hess[self.phi_index, self.phi_index] = phi_phi
        if self.weekday is not None:  # z_j also holds the weekday effect of its report day
            day = np.eye(7)[self.weekday][:, :, 1:]  # (T, J, 6)
            z_by = np.einsum("tkd,tkm->tdm", day, local[:, 1:])  # (T, 6, J + 1)
            w_rows = np.einsum("tdm->tmd", z_by[:, :, own])  # (T, J, 6): row params by w
            hess[rows[:, :, None], self.w_index] = w_rows
            hess[self.w_index[:, None, None], rows.T[None]] = w_rows.transpose(2, 1, 0)
            w_w = np.einsum("tdk,tke->de", z_by[:, :, 1:], day)
            w_phi = np.einsum("tkd,tkj->dj", day, cross[:, 1:])
            hess[np.ix_(self.w_index, self.w_index)] = w_w
            hess[np.ix_(self.w_index, self.phi_index)] = w_phi
            hess[np.ix_(self.phi_index, self.w_index)] = w_phi.T
        return self.penalty - hess
