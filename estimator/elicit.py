"""Turn an expert's "I'm 90% sure it lies between a and b" into a distribution.

Closed forms where they exist (lognormal, normal); the beta is solved numerically so
that its quantiles match the stated interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

from estimator.distributions import Beta, Gamma, LogNormal, Normal

DEFAULT_LEVEL = 0.9


def z_for(level: float) -> float:
    """The standard-normal quantile that bounds a central interval of ``level``."""
    return float(stats.norm.ppf(0.5 + level / 2.0))


def lognormal_between(low: float, high: float, level: float = DEFAULT_LEVEL) -> LogNormal:
    """Lognormal whose central ``level`` interval is ``[low, high]``.

    ``mu`` is the mean of the logs and ``sigma = ln(high / low) / (2 z)``; for 90%,
    ``z = 1.6449``.
    """
    if not 0 < low < high:
        raise ValueError("a lognormal interval needs 0 < low < high")
    mu = 0.5 * (math.log(low) + math.log(high))
    sigma = math.log(high / low) / (2.0 * z_for(level))
    return LogNormal(mu, sigma)


def normal_between(low: float, high: float, level: float = DEFAULT_LEVEL) -> Normal:
    """Normal whose central ``level`` interval is ``[low, high]``."""
    if not low < high:
        raise ValueError("an interval needs low < high")
    return Normal(0.5 * (low + high), (high - low) / (2.0 * z_for(level)))


def beta_between(low: float, high: float, level: float = DEFAULT_LEVEL) -> Beta:
    """Beta whose central ``level`` interval is ``[low, high]``, both inside (0, 1).

    Starts from the logit-normal with the same interval and solves the two quantile
    equations in log-parameter space.

    Raises
    ------
    ValueError
        If the interval is not inside (0, 1) or no beta has those quantiles.
    """
    if not 0 < low < high < 1:
        raise ValueError("a share's interval needs 0 < low < high < 1")
    tail = 0.5 - level / 2.0
    target = np.array([special.logit(low), special.logit(high)])

    def residual(log_params: np.ndarray) -> np.ndarray:
        a, b = np.exp(log_params)
        q = special.betaincinv(a, b, np.array([tail, 1.0 - tail]))
        q = np.clip(q, 1e-300, 1 - 1e-16)
        return np.asarray(special.logit(q) - target)

    # Moment-match a logit-normal guess to start.
    m = special.expit(target.mean())
    spread = (target[1] - target[0]) / (2.0 * z_for(level))
    var = (m * (1 - m) * spread) ** 2
    concentration = max(m * (1 - m) / var - 1.0, 0.05)
    start = np.log([m * concentration, (1 - m) * concentration])
    solution = optimize.least_squares(residual, start, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    a, b = np.exp(solution.x)
    fitted = Beta(float(a), float(b))
    got = fitted.ppf(np.array([tail, 1.0 - tail]))
    if not np.allclose(got, [low, high], rtol=1e-4, atol=1e-7):
        raise ValueError(f"no beta distribution has its {level:.0%} interval at [{low}, {high}]")
    return fitted


def gamma_between(low: float, high: float, level: float = DEFAULT_LEVEL) -> Gamma:
    """Gamma (shape, rate) whose central ``level`` interval is ``[low, high]``.

    Starts from the lognormal with the same interval and solves the two quantile
    equations on the log scale.
    """
    if not 0 < low < high:
        raise ValueError("a gamma interval needs 0 < low < high")
    tail = 0.5 - level / 2.0
    target = np.log([low, high])
    guess = lognormal_between(low, high, level)
    shape0 = 1.0 / (math.exp(guess.sigma**2) - 1.0)
    rate0 = shape0 / math.exp(guess.mu + guess.sigma**2 / 2.0)

    def residual(log_params: np.ndarray) -> np.ndarray:
        shape, rate = np.exp(log_params)
        q = special.gammaincinv(shape, np.array([tail, 1.0 - tail])) / rate
        return np.asarray(np.log(np.maximum(q, 1e-300)) - target)

    solution = optimize.least_squares(
        residual, np.log([shape0, rate0]), xtol=1e-14, ftol=1e-14, gtol=1e-14
    )
    shape, rate = np.exp(solution.x)
    fitted = Gamma(float(shape), float(rate))
    if not np.allclose(fitted.ppf(np.array([tail, 1.0 - tail])), [low, high], rtol=1e-4):
        raise ValueError(f"no gamma distribution has its {level:.0%} interval at [{low}, {high}]")
    return fitted
