"""A verdict for every claim: where its value falls under the posterior predictive of its
quantity, how surprising that is, and how much the claim moved the headline.

A claim used as evidence is judged against the posterior from all the *other* evidence
(leave-one-claim-out, by Pareto-smoothed importance reweighting, with k-hat checked; on
the NUTS path a claim whose k-hat is too high is refitted exactly with that claim
switched off). A check claim, or a relay, is judged against the posterior without its
original. The predictive of a claim is what a reliable source would report: the quantity
times the claim's own noise.

Verdict thresholds on the tail probability: ``consistent`` at 0.10 or more, ``in
tension`` from 0.01 to 0.10, ``contradicted`` below 0.01. For a point the tail
probability is two-sided, ``2 min(F, 1 - F)`` with ``F`` the claimed value's percentile;
for a bound it is the probability that the bound holds; for a range, two-sided at the
nearer end when the median lies outside it, and 1 when inside.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from estimator import importance, nuts
from estimator.claims import Claim, origin
from estimator.errors import SpecError
from estimator.likelihood import claim_loglik, reliable_probability
from estimator.model import HEADLINE
from estimator.posterior import Estimate
from estimator.summaries import Summary, summarize, summarize_weighted

CONSISTENT = 0.10
CONTRADICTED = 0.01
VERDICTS = ("consistent", "in tension", "contradicted")


@dataclass(frozen=True)
class Sample:
    """Draws that represent a distribution: values by quantity, with optional weights."""

    values: Callable[[str], np.ndarray]
    weights: np.ndarray | None
    khat: float | None = None
    refit: bool = False

    def summary(self, name: str, unit: str) -> Summary:
        x = self.values(name)
        if self.weights is None:
            return summarize(name, unit, x, len(x))
        return summarize_weighted(name, unit, x, self.weights)


@dataclass(frozen=True)
class Verdict:
    """How one claim sits against everything else that is known."""

    claim: Claim
    basis: str
    percentile: float
    tail_probability: float
    bound_holds: float | None
    verdict: str
    reliability: float
    khat: float | None = None
    refit: bool = False
    influence: dict[str, Any] | None = None
    basis_quantiles: dict[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "percentile": self.percentile,
            "tail_probability": self.tail_probability,
            "bound_holds": self.bound_holds,
            "verdict": self.verdict,
            "basis": self.basis,
            "loo_khat": self.khat,
            "refit": self.refit,
            "influence": self.influence,
        }


def classify(tail_probability: float) -> str:
    """The verdict for a tail probability (thresholds in the module docstring)."""
    if tail_probability >= CONSISTENT:
        return "consistent"
    if tail_probability >= CONTRADICTED:
        return "in tension"
    return "contradicted"


def predictive(
    claim: Claim, quantity: np.ndarray, weights: np.ndarray | None
) -> tuple[float, float, float | None]:
    """Percentile, tail probability and (for bounds and ranges) the probability that the
    claim holds, under the predictive ``quantity * exp(noise * e)``."""
    w = (
        np.full(len(quantity), 1.0 / len(quantity))
        if weights is None
        else weights / np.sum(weights)
    )
    log_q = np.log(quantity)

    def below(value: float) -> float:
        return float(np.dot(w, special.ndtr((math.log(value) - log_q) / claim.noise)))

    low, high = claim.bounds
    if claim.kind == "point":
        assert low is not None
        f = below(low)
        return f, 2 * min(f, 1 - f), None
    if claim.kind == "lower_bound":
        assert low is not None
        f = below(low)
        return f, 1 - f, 1 - f
    if claim.kind == "upper_bound":
        assert high is not None
        f = below(high)
        return f, f, f
    assert low is not None
    assert high is not None
    f_low, f_high = below(low), below(high)
    if f_low > 0.5:
        tail = 2 * (1 - f_low)
    elif f_high < 0.5:
        tail = 2 * f_high
    else:
        tail = 1.0
    return 0.5 * (f_low + f_high), tail, f_high - f_low


def verdicts(result: Estimate, refit: bool = True) -> tuple[Verdict, ...]:
    """A verdict for every claim of the estimate's lab.

    Parameters
    ----------
    result : Estimate
        A posterior from :func:`estimator.posterior.estimate`.
    refit : bool
        On the NUTS path, refit exactly (claim switched off) when the leave-one-out k-hat
        exceeds 0.7.
    """
    spec = result.spec
    full = Sample(result.values, result.sample_weights)
    evidence = spec.evidence
    by_id = {c.id: c for c in spec.claims}
    left_out = {c.id: _leave_out(result, c, refit) for c in evidence}
    head_unit = result.posterior[HEADLINE].unit
    out = []
    for claim in spec.claims:
        source_id = origin(claim, by_id)
        if claim.id in left_out:
            sample, basis = left_out[claim.id], "leave-one-out"
        elif source_id in left_out:
            sample, basis = left_out[source_id], f"without {source_id}"
        else:
            sample, basis = full, "posterior" if evidence else "prior"
        percentile, tail, holds = predictive(claim, sample.values(claim.quantity), sample.weights)
        influence = None
        if claim.id in left_out:
            influence = _influence(result.posterior[HEADLINE], sample.summary(HEADLINE, head_unit))
        out.append(
            Verdict(
                claim,
                basis,
                percentile,
                tail,
                holds,
                classify(tail),
                result.reliability.get(claim.id, math.nan),
                sample.khat,
                sample.refit,
                influence,
                sample.summary(claim.quantity, "").quantiles,
            )
        )
    return tuple(out)


def judge_new(result: Estimate, claim: Claim) -> Verdict:
    """How a claim not (yet) in the ledger sits against the current posterior: was this
    news expected?"""
    sample = Sample(result.values, result.sample_weights)
    values = sample.values(claim.quantity)
    percentile, tail, holds = predictive(claim, values, sample.weights)
    reliable = reliable_probability(claim, values)
    return Verdict(
        claim,
        "current posterior",
        percentile,
        tail,
        holds,
        classify(tail),
        float(np.average(reliable, weights=sample.weights)),
        basis_quantiles=sample.summary(claim.quantity, "").quantiles,
    )


def _leave_out(result: Estimate, claim: Claim, refit: bool) -> Sample:
    """The posterior from all evidence but ``claim``."""
    if result.log_ratios is not None:
        loglik = claim_loglik(claim, result.values(claim.quantity))
        rw = importance.reweight(result.log_ratios - loglik)
        return Sample(result.values, rw.weights, rw.khat)
    loglik = claim_loglik(claim, result.values(claim.quantity))
    rw = importance.reweight(-loglik)
    if rw.khat <= importance.KHAT_LIMIT or not refit:
        return Sample(result.values, rw.weights, rw.khat)
    evidence = result.spec.evidence
    active = np.array([c.id != claim.id for c in evidence], dtype=float)
    try:
        fit = nuts.sample(result.spec, evidence, result.seed, active=active)
    except SpecError:
        return Sample(result.values, rw.weights, rw.khat)
    return Sample(fit.values, None, rw.khat, refit=True)


def _influence(with_claim: Summary, without: Summary) -> dict[str, Any]:
    """How the headline's median and 90% width change when the claim is left out."""
    width_with = with_claim.ci90[1] - with_claim.ci90[0]
    width_without = without.ci90[1] - without.ci90[0]
    return {
        "median_without": without.median,
        "ci90_without": list(without.ci90),
        "median_change": without.median / with_claim.median - 1 if with_claim.median else 0.0,
        "width_change": width_without / width_with - 1 if width_with else 0.0,
    }
