"""The quick path to the posterior: reweight prior Monte Carlo draws by the claims'
likelihoods, with Pareto-smoothed importance sampling (:mod:`estimator.inference.psis`,
ArviZ's algorithm).

The prior is the proposal, so the raw log importance ratio of a draw is the sum of the
evidence claims' log-likelihoods there. Pareto k-hat says whether the weights can be
trusted (<= 0.7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import logsumexp

from estimator.inference.chunks import CHUNK_SIZE, map_chunks
from estimator.inference.forward import Draws
from estimator.inference.gate import ESS_LIMIT, KHAT_LIMIT
from estimator.inference.psis import psislw
from estimator.model.claims import Claim
from estimator.model.evidence import Evidence, SourceEntity
from estimator.model.likelihood import constraint_loglik
from estimator.spec.lab import LabSpec


@dataclass(frozen=True)
class Reweighting:
    """Normalised, smoothed log weights of a set of draws, and their diagnostics."""

    log_weights: np.ndarray = field(repr=False)
    khat: float
    ess: float

    @cached_property
    def weights(self) -> np.ndarray:
        """The normalised weights."""
        return np.exp(self.log_weights)

    def problems(self, min_ess: float = ESS_LIMIT) -> tuple[str, ...]:
        """Why the weights can't be trusted, in words (empty when they can): k-hat above
        :data:`~estimator.inference.gate.KHAT_LIMIT`, or an effective sample size below
        ``min_ess``."""
        reasons = []
        if math.isnan(self.khat):  # the Pareto fit failed: nothing vouches for the weights
            reasons.append("Pareto k-hat could not be estimated")
        elif self.khat > KHAT_LIMIT:
            reasons.append(f"Pareto k-hat {self.khat:.2f} > {KHAT_LIMIT}")
        if self.ess < min_ess:
            reasons.append(f"importance-sampling ESS {self.ess:.0f} < {min_ess}")
        return tuple(reasons)


def claim_logliks(
    draws: Draws,
    claims: tuple[Claim, ...],
    sources: Mapping[str, SourceEntity] | None = None,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """What each claim adds to the log-likelihood of the ``active`` claims (default: all)
    at each draw, shape ``(len(claims), draws)``: its own log-likelihood when it is its
    source's only claim (:meth:`~estimator.model.evidence.Evidence.contributions`)."""
    if not claims:
        return np.empty((0, draws.draws))
    return Evidence.of(claims, sources or {}).contributions(draws.values, active)


def sum_of_logliks(
    values: Mapping[str, np.ndarray],
    claims: tuple[Claim, ...],
    constraints: tuple[str, ...] = (),
    sources: Mapping[str, SourceEntity] | None = None,
) -> np.ndarray:
    """The log-likelihood of the claims, read by source, at each draw, and of the model's
    ``constraints`` (:func:`constraint_logliks`): the log importance ratio."""
    total = np.zeros(len(next(iter(values.values()))))
    if claims:
        total += Evidence.of(claims, sources or {}).loglik(values)
    if constraints:
        total += constraint_logliks(values, constraints)
    return total


def constraint_logliks(
    values: Mapping[str, np.ndarray], constraints: tuple[str, ...]
) -> np.ndarray:
    """The soft log-likelihood of the model's constraints (quantities that can't exceed
    1) at each draw."""
    total = np.zeros(len(next(iter(values.values()))))
    for name in constraints:
        total += constraint_loglik(np.asarray(values[name], dtype=float))
    return total


def prior_log_ratios(
    spec: LabSpec, draws: int, seed: int, chunk_size: int = CHUNK_SIZE
) -> np.ndarray:
    """Log importance ratios of ``draws`` fresh prior draws under the lab's evidence.

    The draws are made and weighed chunk by chunk on several threads; only the ratios
    are kept (8 bytes a draw), so any number of draws fits in memory.
    """
    evidence, constraints, sources = spec.evidence, spec.model.constraints, spec.sources
    parts = map_chunks(
        spec, draws, seed, lambda c: sum_of_logliks(c, evidence, constraints, sources), chunk_size
    )
    return np.concatenate(list(parts))


def quick_update(spec: LabSpec, draws: int, seed: int = 0) -> Reweighting:
    """The quick path's core: prior draws, the claims' likelihoods and Pareto smoothing."""
    return reweight(prior_log_ratios(spec, draws, seed))


def reweight(log_ratios: np.ndarray) -> Reweighting:
    """Pareto-smooth raw log importance ratios into normalised log weights.

    With no claims (all ratios zero) the weights are uniform and k-hat is minus infinity;
    so it is when the largest ratios are all equal (bounded weights, no tail to smooth).
    """
    log_ratios = np.asarray(log_ratios, dtype=float)
    if not np.all(np.isfinite(log_ratios)):
        raise ValueError("log importance ratios must be finite")
    if np.ptp(log_ratios) == 0:
        n = len(log_ratios)
        return Reweighting(np.full(n, -math.log(n)), -math.inf, float(n))
    try:
        smoothed, khat = psislw(log_ratios)
    except ValueError:
        # The largest ratios are all equal (a constraint, and no claim, weighs the draws
        # 0 or 1): bounded weights have no tail to smooth, and are used as they are.
        smoothed, khat = log_ratios - log_ratios.max(), -math.inf
    smoothed = np.asarray(smoothed, dtype=float)
    smoothed -= logsumexp(smoothed)
    ess = float(1.0 / np.sum(np.exp(2.0 * smoothed)))
    return Reweighting(smoothed, float(khat), ess)


def resample_indices(weights: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Draw indices in proportion to normalised weights (systematic resampling), for
    storing a plain sample of the posterior."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
    positions = (rng.random() + np.arange(size)) / size
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    order = np.searchsorted(cumulative, positions, side="left")
    return np.asarray(rng.permutation(order))
