"""How a claim bears on its quantity: the log-likelihood of each kind of claim.

Written once over a small set of array operations (:class:`Ops`), so the same code
evaluates numpy arrays (importance sampling, verdicts) and PyTensor tensors (NUTS).

The story: whoever made a claim saw the true quantity ``q`` through multiplicative noise,
``q * exp(e)`` with ``e ~ Normal(0, noise)``, and reported it (a point), or reported that it
was above (a lower bound) or below (an upper bound) a value, or inside a range. With
probability ``1 - reliability`` the claim is wrong: then the same story holds with a broad
noise (:data:`~estimator.claims.WRONG_CLAIM_SIGMA`, a factor of ten), so one bad claim
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

from estimator.claims import WRONG_CLAIM_SIGMA, Claim


@dataclass(frozen=True)
class Ops:
    """The array operations the likelihood needs."""

    log: Callable[[Any], Any]
    log_ndtr: Callable[[Any], Any]
    logaddexp: Callable[[Any, Any], Any]
    log1mexp: Callable[[Any], Any]
    minimum: Callable[[Any, Any], Any]


NUMPY_OPS = Ops(
    log=np.log,
    log_ndtr=special.log_ndtr,
    logaddexp=np.logaddexp,
    log1mexp=lambda x: np.log(-np.expm1(x)),
    minimum=np.minimum,
)


@cache
def pytensor_ops() -> Ops:
    """The same operations on PyTensor tensors (imported on first use)."""
    import pytensor.tensor as pt
    from pymc.distributions.dist_math import normal_lcdf

    return Ops(
        log=pt.log,
        log_ndtr=lambda z: normal_lcdf(0.0, 1.0, z),
        logaddexp=pt.logaddexp,
        log1mexp=pt.log1mexp,
        minimum=pt.minimum,
    )


def _component(claim: Claim, log_q: Any, sigma: float, ops: Ops) -> Any:
    """Log-likelihood of the claim if made with log-scale noise ``sigma``."""
    if claim.kind == "point":
        assert claim.value is not None
        z = (math.log(claim.value) - log_q) / sigma
        return -0.5 * z * z - math.log(sigma)
    if claim.kind == "lower_bound":
        assert claim.value is not None
        return ops.log_ndtr((log_q - math.log(claim.value)) / sigma)
    if claim.kind == "upper_bound":
        assert claim.value is not None
        return ops.log_ndtr((math.log(claim.value) - log_q) / sigma)
    assert claim.low is not None
    assert claim.high is not None
    # log(Phi(a) - Phi(b)) with a > b, as log Phi(a) + log(1 - Phi(b) / Phi(a)).
    above_low = ops.log_ndtr((log_q - math.log(claim.low)) / sigma)
    above_high = ops.log_ndtr((log_q - math.log(claim.high)) / sigma)
    gap = ops.minimum(above_high - above_low, -1e-12)
    return above_low + ops.log1mexp(gap)


def claim_terms(claim: Claim, quantity: Any, ops: Ops = NUMPY_OPS) -> tuple[Any, Any, Any]:
    """The claim's log-likelihood given its quantity's value(s), and its two parts.

    Returns
    -------
    total, reliable, wrong
        ``log(r * f_reliable + (1 - r) * f_wrong)``, ``log f_reliable`` and ``log f_wrong``.
    """
    log_q = ops.log(quantity)
    reliable = _component(claim, log_q, claim.noise, ops)
    wrong = _component(claim, log_q, WRONG_CLAIM_SIGMA, ops)
    if claim.reliability >= 1.0:
        return reliable, reliable, wrong
    total = ops.logaddexp(
        math.log(claim.reliability) + reliable, math.log1p(-claim.reliability) + wrong
    )
    return total, reliable, wrong


def claim_loglik(claim: Claim, quantity: Any, ops: Ops = NUMPY_OPS) -> Any:
    """``log p(claim | quantity)`` up to a constant (see the module docstring)."""
    return claim_terms(claim, quantity, ops)[0]


def reliable_probability(claim: Claim, quantity: np.ndarray) -> np.ndarray:
    """For each draw of the quantity, the probability that the claim is reliable."""
    total, reliable, _ = claim_terms(claim, np.asarray(quantity, dtype=float))
    return np.asarray(np.exp(math.log(claim.reliability) + reliable - total))
