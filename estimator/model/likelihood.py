"""How a claim bears on its quantity: the log-likelihood of each kind of claim.

Written once over a small set of array operations (:class:`Ops`), so the same code
evaluates numpy arrays (importance sampling, verdicts) and PyTensor tensors (NUTS).

The story: whoever made a claim saw the true quantity ``q`` through multiplicative noise,
``q * exp(e)`` with ``e ~ Normal(0, noise)`` (for a quantity that can be negative, such as
a cash burn: ``q + e * scale``, the noise relative to the claim's largest end), and
reported it (a point), or reported that it
was above (a lower bound) or below (an upper bound) a value, or inside a range. With
probability ``1 - reliability`` the claim is wrong: then the same story holds with a broad
noise (:data:`~estimator.model.claims.WRONG_CLAIM_SIGMA`, a factor of ten), so one bad claim
can't drag the posterior. Constants that do not depend on ``q`` are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy import special

from estimator.model.claims import WRONG_CLAIM_SIGMA, Claim


@dataclass(frozen=True)
class Ops:
    """The array operations the likelihood needs."""

    log: Callable[[Any], Any]
    log_ndtr: Callable[[Any], Any]
    logaddexp: Callable[[Any, Any], Any]
    log1mexp: Callable[[Any], Any]
    minimum: Callable[[Any, Any], Any]
    where: Callable[[Any, Any, Any], Any]


def fast_log_ndtr(z: Any) -> np.ndarray:
    """``log(Phi(z))`` from one ``ndtr`` of ``-|z|``: ``log(p)`` on the left,
    ``log1p(-p)`` on the right, so both tails keep full relative precision; below
    ``-30`` (where ``p`` nears the smallest float) scipy's slower ``log_ndtr`` takes
    over. About 1.5x faster than ``log_ndtr``."""
    z = np.asarray(z, dtype=float)
    p = special.ndtr(-np.abs(z))
    with np.errstate(divide="ignore"):
        out = np.where(z > 0, np.log1p(-p), np.log(p))
    deep = z < -30.0
    if np.any(deep):
        out = np.where(deep, special.log_ndtr(np.where(deep, z, 0.0)), out)
    return np.asarray(out)


def fast_logaddexp(a: Any, b: Any) -> np.ndarray:
    """``log(exp(a) + exp(b))`` from vectorised ``exp`` and ``log1p``; numpy's own
    ``logaddexp`` is not vectorised and costs about 3x more."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    high = np.maximum(a, b)
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
    out = np.asarray(high + np.log1p(np.exp(-gap)))
    odd = np.isnan(gap)  # both -inf, both +inf, or a NaN
    if np.any(odd):
        out = np.where(odd, np.logaddexp(a, b), out)
    return np.asarray(out)


NUMPY_OPS = Ops(
    log=np.log,
    log_ndtr=fast_log_ndtr,
    logaddexp=fast_logaddexp,
    log1mexp=lambda x: np.log(-np.expm1(x)),
    minimum=np.minimum,
    where=np.where,
)


@cache
def pytensor_ops() -> Ops:
    """The same operations on PyTensor tensors (imported on first use)."""
    import pytensor.tensor as pt

    half = pt.constant(np.float64(0.5))
    root_half = pt.constant(np.float64(math.sqrt(0.5)))

    def log_ndtr(z: Any) -> Any:
        # As pymc's normal_lcdf, but with float64 constants: PyTensor would store a
        # Python 2.0 as float32 and lose half the digits of sqrt(2).
        return pt.switch(
            pt.lt(z, -1.0),
            pt.log(pt.erfcx(-z * root_half) * half) - z * z * half,
            pt.log1p(-pt.erfc(z * root_half) * half),
        )

    return Ops(
        log=pt.log,
        log_ndtr=log_ndtr,
        logaddexp=pt.logaddexp,
        log1mexp=pt.log1mexp,
        minimum=pt.minimum,
        where=pt.switch,
    )


def log_bounds(claim: Claim) -> tuple[float, float]:
    """The logs of a claim's lower and upper ends (a point is both; open ends are NaN)."""
    low, high = claim.bounds
    return (
        math.log(low) if low is not None else math.nan,
        math.log(high) if high is not None else math.nan,
    )


def claim_ends(claim: Claim) -> tuple[float, float]:
    """The ends the likelihood compares a claim's quantity with: their logs
    (:func:`log_bounds`), or, for a linear claim, the ends over the claim's scale."""
    if not claim.linear:
        return log_bounds(claim)
    low, high = claim.bounds
    scale = claim.scale
    return (
        low / scale if low is not None else math.nan,
        high / scale if high is not None else math.nan,
    )


def position(claim: Claim, quantity: Any, ops: Ops) -> Any:
    """Where the quantity stands on the claim's scale: its log, or, for a linear claim
    (a quantity that can be negative), its value over the claim's scale."""
    return quantity / claim.scale if claim.linear else ops.log(quantity)


def component(kind: str, log_q: Any, bounds: tuple[Any, Any], sigma: Any, ops: Ops) -> Any:
    """Log-likelihood of claims of one ``kind`` if made with log-scale noise ``sigma``.

    Every argument may be a scalar or an array (one entry per claim, or per draw), numpy
    or PyTensor: the one place each kind of claim's likelihood is written.
    """
    log_low, log_high = bounds
    if kind == "point":
        z = (log_low - log_q) / sigma
        return -0.5 * z * z - _log(sigma, ops)
    if kind == "lower_bound":
        return ops.log_ndtr((log_q - log_low) / sigma)
    if kind == "upper_bound":
        return ops.log_ndtr((log_high - log_q) / sigma)
    # log(Phi(a) - Phi(b)) with a > b. Below the range's middle, as
    # log Phi(a) + log(1 - Phi(b) / Phi(a)); above it, by symmetry, as
    # log Phi(-b) + log(1 - Phi(-a) / Phi(-b)). Both branches stay finite.
    a, b = (log_q - log_low) / sigma, (log_q - log_high) / sigma
    below = ops.log_ndtr(a) + ops.log1mexp(ops.minimum(ops.log_ndtr(b) - ops.log_ndtr(a), -1e-12))
    above = ops.log_ndtr(-b) + ops.log1mexp(
        ops.minimum(ops.log_ndtr(-a) - ops.log_ndtr(-b), -1e-12)
    )
    return ops.where(a + b > 0, above, below)


def mixed(reliable: Any, wrong: Any, reliability: Any, ops: Ops) -> Any:
    """``log(r f_reliable + (1 - r) f_wrong)`` from the two log-likelihoods (``r`` a
    number, or an array or tensor of them)."""
    if isinstance(reliability, float | int):
        log_r, log_w = math.log(reliability), math.log1p(-reliability)
    else:
        log_r, log_w = ops.log(reliability), ops.log(1.0 - reliability)
    return ops.logaddexp(log_r + reliable, log_w + wrong)


def _log(x: Any, ops: Ops) -> Any:
    """``log`` of a noise: one number (``math``, as precise as it gets), or an array or
    tensor of them."""
    return math.log(x) if isinstance(x, float | int) else ops.log(x)


def claim_terms(
    claim: Claim, quantity: Any, ops: Ops = NUMPY_OPS, bounds: tuple[Any, Any] | None = None
) -> tuple[Any, Any, Any]:
    """The claim's log-likelihood given its quantity's value(s), and its two parts.

    ``bounds`` replaces the claim's own :func:`log_bounds` (the PyMC model passes data
    tensors there, so new claim values need no recompilation).

    Returns
    -------
    total, reliable, wrong
        ``log(r * f_reliable + (1 - r) * f_wrong)``, ``log f_reliable`` and ``log f_wrong``.
    """
    log_q = position(claim, quantity, ops)
    ends = bounds if bounds is not None else claim_ends(claim)
    reliable = component(claim.kind, log_q, ends, claim.noise, ops)
    wrong = component(claim.kind, log_q, ends, WRONG_CLAIM_SIGMA, ops)
    if claim.reliability >= 1.0:
        return reliable, reliable, wrong
    return mixed(reliable, wrong, claim.reliability, ops), reliable, wrong


def claim_loglik(
    claim: Claim, quantity: Any, ops: Ops = NUMPY_OPS, bounds: tuple[Any, Any] | None = None
) -> Any:
    """``log p(claim | quantity)`` up to a constant (see the module docstring)."""
    return claim_terms(claim, quantity, ops, bounds)[0]


#: How soft the edge of a constraint is, on the log scale: a quantity 5% over its limit
#: is one standard deviation outside it (weight 0.16), 15% over three (0.001). The dates
#: a run and a contract are given are rarely exact to the week, and a sharper edge makes
#: NUTS diverge against it.
CONSTRAINT_SOFTNESS = 0.05


def constraint_loglik(share: Any, ops: Ops = NUMPY_OPS) -> Any:
    """``log P(share <= 1)`` under a soft edge: about 0 inside the limit, falling steeply
    past it. What the model's constraints (a run's share of the hours that existed) add to
    the log-likelihood, so that draws breaking them carry next to no weight."""
    return ops.log_ndtr(-ops.log(share) / CONSTRAINT_SOFTNESS)


def reliable_probability(claim: Claim, quantity: np.ndarray) -> np.ndarray:
    """For each draw of the quantity, the probability that the claim is reliable."""
    total, reliable, _ = claim_terms(claim, np.asarray(quantity, dtype=float))
    return np.asarray(np.exp(math.log(claim.reliability) + reliable - total))
