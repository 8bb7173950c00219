"""Turn an expert's "I'm 90% sure it lies between a and b" into a distribution.

Closed forms where they exist (lognormal, normal); the beta is solved numerically so
that its quantiles match the stated interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from estimator.model.distributions import Beta, Gamma, LogNormal, Normal

DEFAULT_LEVEL = 0.9


def z_for(level: float) -> float:
    """The standard-normal quantile that bounds a central interval of ``level``."""
    return float(special.ndtri(0.5 + level / 2.0))


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
    # Wide intervals need a U- or J-shaped beta (a or b below 1), far from the
    # logit-normal guess: the uniform and flatter shapes are tried as starts after it.
    starts = [np.log([m * concentration, (1 - m) * concentration]), *np.log(_BETA_STARTS)]
    from scipy import optimize

    for start in starts:
        solution = optimize.least_squares(residual, start, xtol=1e-14, ftol=1e-14, gtol=1e-14)
        a, b = np.exp(solution.x)
        fitted = Beta(float(a), float(b))
        got = fitted.ppf(np.array([tail, 1.0 - tail]))
        if np.allclose(got, [low, high], rtol=1e-4, atol=1e-7):
            return fitted
    raise ValueError(f"no beta distribution has its {level:.0%} interval at [{low}, {high}]")


_BETA_STARTS = ((1.0, 1.0), (0.5, 0.5), (0.3, 1.0), (1.0, 0.3), (0.1, 0.1))


def gamma_between(low: float, high: float, level: float = DEFAULT_LEVEL) -> Gamma:
    """Gamma (shape, rate) whose central ``level`` interval is ``[low, high]``.

    The quantiles' ratio fixes the shape (solved in one dimension), the low quantile
    then fixes the rate.
    """
    if not 0 < low < high:
        raise ValueError("a gamma interval needs 0 < low < high")
    tail = 0.5 - level / 2.0
    probabilities = np.array([tail, 1.0 - tail])
    # The ratio of two quantiles depends on the shape alone and falls from infinity to 1
    # as the shape grows: solve for the shape in one dimension (on the log scale), then
    # the rate puts the low quantile at ``low``.
    wanted = math.log(high / low)

    def excess(log_shape: float) -> float:
        q = special.gammaincinv(math.exp(log_shape), probabilities)
        return float(np.log(np.maximum(q[1], 1e-300)) - np.log(np.maximum(q[0], 1e-300))) - wanted

    fitted = None
    lower, upper = math.log(1e-3), math.log(1e9)
    if excess(lower) > 0 > excess(upper):
        from scipy import optimize

        log_shape = optimize.brentq(excess, lower, upper, xtol=1e-14, rtol=1e-14)
        shape = math.exp(log_shape)
        rate = float(special.gammaincinv(shape, tail)) / low
        if rate > 0 and math.isfinite(rate):
            fitted = Gamma(shape, rate)
    if fitted is None:  # an interval too narrow for the bracket: solve both equations
        guess = lognormal_between(low, high, level)
        shape0 = 1.0 / math.expm1(guess.sigma**2)
        rate0 = shape0 / math.exp(guess.mu + guess.sigma**2 / 2.0)
        target = np.log([low, high])

        def residual(log_params: np.ndarray) -> np.ndarray:
            shape, rate = np.exp(log_params)
            q = special.gammaincinv(shape, probabilities) / rate
            return np.asarray(np.log(np.maximum(q, 1e-300)) - target)

        from scipy import optimize

        solution = optimize.least_squares(
            residual, np.log([shape0, rate0]), xtol=1e-14, ftol=1e-14, gtol=1e-14
        )
        fitted = Gamma(*(float(x) for x in np.exp(solution.x)))
    if not np.allclose(fitted.ppf(np.array([tail, 1.0 - tail])), [low, high], rtol=1e-4):
        raise ValueError(f"no gamma distribution has its {level:.0%} interval at [{low}, {high}]")
    return fitted
