"""Predictive checks of the claims: what a reliable source would report about a claim's
quantity, and the leave-one-out PIT values that say whether the claims, taken together,
fall where the model expects them.

The predictive of a claim is its quantity times the claim's own noise, ``q * exp(noise *
e)`` with ``e ~ Normal(0, 1)`` (``q + noise * scale * e`` for a linear claim), drawn once
per draw of ``q`` and weighted like those draws. Under a calibrated model the claim's
percentile in its leave-one-out predictive (its PIT value) is uniform on [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from estimator.inference.summaries import Summary, summarize, summarize_weighted
from estimator.model.claims import Claim

#: Probability that a calibrated model's PIT ECDF stays inside the band everywhere.
BAND_PROB = 0.95
BAND_SIMULATIONS = 1000


def predictive_summary(
    claim: Claim,
    quantity: np.ndarray,
    weights: np.ndarray | None,
    seed: int,
    noise: Any = None,
) -> Summary:
    """Quantiles of the claim's predictive, with their Monte Carlo errors.

    Parameters
    ----------
    claim : Claim
        Whose noise turns the quantity into what a source would report.
    quantity : ndarray
        Draws of the claim's quantity.
    weights : ndarray or None
        Weights of the draws (``None``: equal weights).
    seed : int
        Seed of the noise drawn for each draw.
    noise : float or ndarray, optional
        The noise, when not the claim's own (one per draw: a source's bias or a class's
        learned noise; see :meth:`~estimator.inference.posterior.Posterior.claim_reading`).

    Returns
    -------
    Summary
        The predictive's quantiles (5%, 25%, 50%, 75%, 95%), in the claim's unit.
    """
    q = np.asarray(quantity, dtype=float)
    e = np.random.default_rng(seed).standard_normal(len(q))
    noise = claim.noise if noise is None else noise
    linear = claim.linear  # a quantity that can be negative: noise relative to the claim
    reported = q + noise * claim.scale * e if linear else q * np.exp(noise * e)
    if weights is None:
        return summarize(claim.quantity, claim.unit, reported, len(reported))
    return summarize_weighted(claim.quantity, claim.unit, reported, weights)


@dataclass(frozen=True)
class Pit:
    """A claim's leave-one-out PIT value.

    Attributes
    ----------
    claim_id : str
        The claim.
    value : float
        Its PIT value, in [0, 1].
    low, high : float
        The percentiles the claim allows: ``low == high == value`` for a point; for a bound
        or a range, ``value`` is drawn uniformly between them (a randomized PIT).
    """

    claim_id: str
    value: float
    low: float
    high: float

    @property
    def randomized(self) -> bool:
        """Whether the value was drawn (a bound or a range) rather than read (a point)."""
        return self.high > self.low


class Judged(Protocol):
    """What the PIT needs of a verdict: the claim, its percentile and, for a bound or a
    range, the probability that it holds."""

    @property
    def claim(self) -> Claim: ...

    @property
    def percentile(self) -> float: ...

    @property
    def bound_holds(self) -> float | None: ...


def loo_pit(judged: Sequence[Judged], seed: int) -> tuple[Pit, ...]:
    """The leave-one-out PIT value of every original claim (relays repeat their original).

    A point's PIT is its percentile ``F(value)``. A bound or a range only says that the
    reported value fell in an interval, so its PIT is drawn uniformly over the percentiles
    that interval allows: ``[F(low), 1]`` for a lower bound, ``[0, F(high)]`` for an upper
    bound, ``[F(low), F(high)]`` for a range (a randomized PIT, uniform when the model is
    right).
    """
    rng = np.random.default_rng(seed)
    out = []
    for j in judged:
        claim = j.claim
        if claim.repeats is not None:
            continue
        f = min(max(j.percentile, 0.0), 1.0)
        if claim.kind == "point":
            low = high = f
        elif claim.kind == "lower_bound":
            low, high = f, 1.0
        elif claim.kind == "upper_bound":
            low, high = 0.0, f
        else:
            half = 0.5 * (j.bound_holds or 0.0)
            low, high = max(f - half, 0.0), min(f + half, 1.0)
        value = low + (high - low) * float(rng.uniform())
        out.append(Pit(claim.id, value, low, high))
    return tuple(out)


@dataclass(frozen=True)
class PitBand:
    """The ECDF of PIT values and the simultaneous band a calibrated model's ECDF stays in.

    Attributes
    ----------
    x : ndarray
        Where the ECDF and the band are evaluated (``0, 1/n, ..., 1``).
    ecdf, lower, upper : ndarray
        The ECDF of the PIT values at ``x`` and the band's ends.
    prob : float
        The probability that the whole ECDF of uniform values stays inside the band.
    """

    x: np.ndarray
    ecdf: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    prob: float


def pit_band(values: Sequence[float], seed: int, prob: float = BAND_PROB) -> PitBand:
    """The ECDF of PIT values with ArviZ's simultaneous confidence band for uniform values
    (:func:`arviz_stats.ecdf_utils.ecdf_pit`, calibrated by simulation)."""
    from arviz_stats.ecdf_utils import ecdf_pit

    x, ecdf, lower, upper = ecdf_pit(
        np.asarray(values, dtype=float),
        prob,
        BAND_SIMULATIONS,
        rng=np.random.default_rng(seed),
    )
    return PitBand(np.asarray(x), np.asarray(ecdf), np.asarray(lower), np.asarray(upper), prob)
