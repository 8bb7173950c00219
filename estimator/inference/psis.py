"""Pareto-smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao and Gabry,
"Pareto smoothed importance sampling", JMLR 2024).

The same algorithm, step for step, as ``arviz_stats``' ``psislw`` (its empirical-Bayes
generalized Pareto fit with the weakly informative prior on the shape, and the same tail
size), which the tests hold this to. It lives here because importing ``arviz_stats``
costs about two seconds (it loads xarray, pandas and scipy.stats), more than an
interactive ``estimator claims add --dry-run`` may take as a whole; and because only the
tail is sorted here, not every draw.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

#: Prior of the generalized Pareto fit: the weight of the prior on the shape (centred at
#: 0.5), and the scale of the grid of profile points.
PRIOR_SHAPE_WEIGHT = 10
PRIOR_GRID_SCALE = 3


def tail_size(draws: int, r_eff: float = 1.0) -> int:
    """The number of largest ratios the Pareto tail is fitted to."""
    if draws * r_eff > 225:
        return math.floor(3 * (draws / r_eff) ** 0.5)
    return math.floor(draws / 5)


def psislw(log_ratios: np.ndarray, r_eff: float = 1.0) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, normalised log weights of raw log importance ratios, and k-hat.

    The largest ratios are replaced by the expected order statistics of a generalized
    Pareto distribution fitted to them (capped at the largest raw ratio); k-hat is the
    fitted shape (``inf`` when the fit fails, and then nothing is smoothed).

    Raises
    ------
    ValueError
        When fewer than five draws make the tail, or the tail's ratios are all equal
        (bounded weights: nothing to smooth).
    """
    x = np.asarray(log_ratios, dtype=float).ravel()
    n = len(x)
    m = tail_size(n, r_eff)
    if m < 5:
        raise ValueError("n_draws_tail must be at least 5")
    x = x - np.max(x)
    top = np.argpartition(x, n - m - 1)[n - m - 1 :]
    top = top[np.argsort(x[top])]
    cutoff_at, tail_at = top[0], top[1:]
    tail = x[tail_at]
    max_tail = float(tail[-1])
    if abs(max_tail - float(tail[0])) < np.finfo(float).tiny:
        raise ValueError("All tail values are the same")
    cutoff = math.exp(float(x[cutoff_at]))
    khat, sigma = _gpdfit(np.exp(tail) - cutoff)
    if np.isfinite(khat):
        p = np.arange(0.5, m) / m
        smoothed = np.log(_gpinv(p, khat, sigma, cutoff))
        smoothed[smoothed > max_tail] = max_tail
        x[tail_at] = smoothed
    x -= logsumexp(x)
    return x, float(khat)


def _gpdfit(ary: np.ndarray) -> tuple[float, float]:
    """Empirical-Bayes estimate of a generalized Pareto's shape and scale from sorted
    exceedances (Zhang and Stephens 2009, with the prior of Vehtari et al. 2024)."""
    n = len(ary)
    m_est = 30 + int(n**0.5)
    xstar = ary[int((n / 4 + 0.5) - 1)]
    if xstar <= ary[0]:
        return math.nan, math.nan
    b_ary = 1 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    b_ary /= PRIOR_GRID_SCALE * xstar
    b_ary += 1 / ary[-1]
    k_ary = np.mean(np.log1p(-b_ary[:, None] * ary), axis=1)
    len_scale = n * (np.log(-b_ary / k_ary) - k_ary - 1)
    w_theta = np.exp(len_scale - logsumexp(len_scale))
    real = w_theta >= 10 * np.finfo(float).eps
    if not np.all(real):
        w_theta, b_ary = w_theta[real], b_ary[real]
    w_theta /= w_theta.sum()
    b_post = np.sum(b_ary * w_theta)
    kappa = np.mean(np.log1p(-b_post * ary))
    sigma = -kappa / b_post
    kappa = (n * kappa + PRIOR_SHAPE_WEIGHT * 0.5) / (n + PRIOR_SHAPE_WEIGHT)
    if np.isnan(kappa):
        return math.inf, math.nan
    return float(kappa), float(sigma)


def _gpinv(probs: np.ndarray, kappa: float, sigma: float, mu: float) -> np.ndarray:
    """Quantiles of a generalized Pareto distribution."""
    if sigma <= 0:
        return np.full_like(probs, np.nan)
    if kappa == 0:
        return np.asarray(mu - sigma * np.log1p(-probs))
    return np.asarray(mu + sigma * np.expm1(-kappa * np.log1p(-probs)) / kappa)
