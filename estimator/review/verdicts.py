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
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from scipy import special

from estimator.inference.estimation import Estimate
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.posterior import Posterior
from estimator.inference.summaries import Summary, weighted_sum
from estimator.inference.threads import thread_map
from estimator.model.claims import Claim, origin
from estimator.review.predictive import predictive_summary
from estimator.spec.ledger import prepare

CONSISTENT = 0.10
CONTRADICTED = 0.01
VerdictName = Literal["consistent", "in tension", "contradicted"]
VERDICTS: tuple[str, ...] = get_args(VerdictName)


@dataclass(frozen=True)
class Influence:
    """How the headline moves when a claim is left out.

    Attributes
    ----------
    median_without : float
        The headline's median without the claim.
    ci90_without : (float, float)
        Its 90% interval without the claim.
    median_change, width_change : float
        Relative change of the median and of the 90% interval's width when the claim is
        left out (``-0.04``: 4% lower without it).
    median_error : float
        The Monte Carlo error of ``median_change`` (at most: the two medians' errors
        combined as if independent).
    khat : float or None
        The Pareto k-hat of the reweighting that left the claim out, when it was not
        refitted exactly.
    """

    median_without: float
    ci90_without: tuple[float, float]
    median_change: float
    width_change: float
    median_error: float = 0.0
    khat: float | None = None

    @property
    def trusted(self) -> bool:
        """Whether the posterior without the claim can be trusted (k-hat within limit)."""
        return self.khat is None or self.khat <= KHAT_LIMIT

    @property
    def within_noise(self) -> bool:
        """Whether the change of the median is within twice its Monte Carlo error."""
        return abs(self.median_change) <= 2.0 * self.median_error

    def text(self) -> tuple[str, str]:
        """The change of the median and of the width, as people read them."""
        if not self.trusted:
            return f"k-hat {self.khat:.2f}: not shown", ""
        median = "within noise" if self.within_noise else f"{self.median_change:+.1%}"
        return median, f"{self.width_change:+.1%}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_without": self.median_without,
            "ci90_without": list(self.ci90_without),
            "median_change": self.median_change,
            "width_change": self.width_change,
            "median_error": self.median_error,
            "within_noise": self.within_noise,
            "trusted": self.trusted,
        }


@dataclass(frozen=True)
class Verdict:
    """How one claim sits against everything else that is known."""

    claim: Claim
    basis: str
    percentile: float
    tail_probability: float
    bound_holds: float | None
    verdict: VerdictName
    reliability: float
    khat: float | None = None
    refit: bool = False
    influence: Influence | None = None
    basis_quantiles: dict[float, float] | None = None
    #: Quantiles of the claim's predictive on its basis (the quantity times its noise).
    predictive: Summary | None = None

    @property
    def trusted(self) -> bool:
        """Whether the basis can be trusted: exact, or a leave-one-out reweighting with
        k-hat within :data:`~estimator.inference.gate.KHAT_LIMIT`."""
        return self.refit or self.khat is None or self.khat <= KHAT_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "percentile": self.percentile,
            "tail_probability": self.tail_probability,
            "bound_holds": self.bound_holds,
            "verdict": self.verdict,
            "basis": self.basis,
            "loo_khat": self.khat,
            "refit": self.refit,
            "trusted": self.trusted,
            "influence": None if self.influence is None else self.influence.to_dict(),
        }


def classify(tail_probability: float) -> VerdictName:
    """The verdict for a tail probability (thresholds in the module docstring)."""
    if tail_probability >= CONSISTENT:
        return "consistent"
    if tail_probability >= CONTRADICTED:
        return "in tension"
    return "contradicted"


def predictive(
    claim: Claim, quantity: np.ndarray, weights: np.ndarray | None, noise: Any = None
) -> tuple[float, float, float | None]:
    """Percentile, tail probability and (for bounds and ranges) the probability that the
    claim holds, under the predictive ``quantity * exp(noise * e)`` (``quantity + noise *
    scale * e`` for a linear claim). ``noise`` is the claim's own unless given (a number,
    or one per draw: :meth:`~estimator.inference.posterior.Posterior.claim_reading`)."""
    noise = claim.noise if noise is None else noise
    w = (
        np.full(len(quantity), 1.0 / len(quantity))
        if weights is None
        else weights / np.sum(weights)
    )
    if claim.linear:  # a quantity that can be negative: noise relative to the claim
        spread = noise * claim.scale

        def below(value: float) -> float:
            return weighted_sum(w, special.ndtr((value - quantity) / spread))

    else:
        log_q = np.log(quantity)

        def below(value: float) -> float:
            return weighted_sum(w, special.ndtr((math.log(value) - log_q) / noise))

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
        A posterior from :func:`estimator.inference.estimation.estimate`.
    refit : bool
        On the NUTS path, refit exactly (claim switched off) when the leave-one-out k-hat
        exceeds 0.7.
    """
    spec = result.spec
    full = result.fit
    evidence = spec.evidence
    by_id = {c.id: c for c in spec.claims}

    def leave_out(claim: Claim) -> Posterior:
        return full.leave_out(claim, refit)

    # Reweightings run on threads; exact NUTS refits one at a time.
    found = thread_map(leave_out, evidence) if full.method == "is" else map(leave_out, evidence)
    left_out = dict(zip((c.id for c in evidence), found, strict=True))
    head = spec.headline
    head_unit = result.posterior[head].unit

    def judge(claim: Claim) -> Verdict:
        source_id = origin(claim, by_id)
        if claim.id in left_out:
            basis_fit, basis = left_out[claim.id], "leave-one-out"
        elif source_id in left_out:
            basis_fit, basis = left_out[source_id], f"without {source_id}"
        else:
            basis_fit, basis = full, "posterior" if evidence else "prior"
        reading, noise = basis_fit.claim_reading(claim)
        percentile, tail, holds = predictive(claim, reading, basis_fit.weights, noise)
        influence = None
        if claim.id in left_out:
            without = basis_fit.summary(head, head_unit)
            khat = None if basis_fit.refitted else basis_fit.loo_khat
            influence = influence_of(result.posterior[head], without, khat)
        return Verdict(
            claim,
            basis,
            percentile,
            tail,
            holds,
            classify(tail),
            result.reliability.get(claim.id, math.nan),
            basis_fit.loo_khat,
            basis_fit.refitted,
            influence,
            basis_fit.summary(claim.quantity, "").quantiles,
            predictive_summary(claim, reading, basis_fit.weights, result.seed, noise),
        )

    return tuple(thread_map(judge, spec.claims))


@dataclass(frozen=True)
class Tally:
    """How many claims were judged out of line, against how many a calibrated model would
    judge so by chance: each claim's tail probability is uniform when the model is right,
    so a share :data:`CONSISTENT` of them falls below it."""

    judged: int
    seen: int

    @property
    def expected(self) -> float:
        """Claims expected in tension or contradicted by chance alone."""
        return CONSISTENT * self.judged

    def text(self) -> str:
        """The tally as people read it."""
        return (
            f"{self.seen} of {self.judged} claims in tension or contradicted; about "
            f"{self.expected:.1f} expected by chance if every claim and the model were right"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"judged": self.judged, "seen": self.seen, "expected": self.expected}


def tally(found: tuple[Verdict, ...]) -> Tally:
    """The verdicts out of line, counting each original claim once (relays repeat it)."""
    originals = [v for v in found if v.claim.repeats is None]
    return Tally(len(originals), sum(v.verdict != "consistent" for v in originals))


def judge_new(result: Estimate, claim: Claim) -> Verdict:
    """How a claim not (yet) in the ledger sits against the current posterior: was this
    news expected?"""
    fit = result.fit
    reading, noise = fit.claim_reading(claim)
    percentile, tail, holds = predictive(claim, reading, fit.weights, noise)
    return Verdict(
        claim,
        "current posterior",
        percentile,
        tail,
        holds,
        classify(tail),
        reliability_once_counted(fit, claim),
        basis_quantiles=fit.summary(claim.quantity, "").quantiles,
    )


def reliability_once_counted(fit: Posterior, claim: Claim) -> float:
    """The probability that a claim not yet counted is reliable once it is (that its
    source is), from the posterior without it: ``E[r F_reliable] / E[r F_reliable + (1 -
    r) F_wrong]`` over the source's claims with it, each average divided by the source's
    likelihood without it (which the posterior already counts).

    A ratio of averages, not the average of the per-draw ratio: a sharp claim set
    against a broad posterior would otherwise read as unreliable wherever the draws are
    far from it, however well it agrees with where the posterior will be.
    """
    evidence, active, values = fit.with_claim(claim)
    i = [c.id for c in evidence.claims].index(claim.id)
    s = evidence.source_index[i]
    parts = evidence.claim_parts(values)
    before = [j for j in evidence.members[s] if active[j] and j != i]
    total, matched = evidence.source_loglik(parts, values, s, [*before, i])
    counted = evidence.source_loglik(parts, values, s, before)[0] if before else 0.0
    n = len(total)
    w = np.full(n, 1.0 / n) if fit.weights is None else fit.weights / np.sum(fit.weights)
    log_numerator = special.logsumexp(matched - counted, b=w)
    return float(np.exp(log_numerator - special.logsumexp(total - counted, b=w)))


def check_claim(estimate: Estimate, claim: dict[str, Any]) -> Verdict:
    """Was this news expected? A claim (a dict with the ledger's keys) judged against the
    current posterior, without adding it to the ledger.

    Raises
    ------
    SpecError
        When the claim is invalid for the lab (unknown quantity, wrong unit, ...).
    """
    addition = prepare(estimate.spec.folder, [claim])
    return judge_new(estimate, addition.new_claims[0])


def influence_of(with_claim: Summary, without: Summary, khat: float | None = None) -> Influence:
    """How the headline's median and 90% width change when the claim is left out, with
    the Monte Carlo error of the median's change."""
    width_with = with_claim.ci90[1] - with_claim.ci90[0]
    width_without = without.ci90[1] - without.ci90[0]
    base = with_claim.median
    error = math.hypot(with_claim.quantile_mcse[0.5], without.quantile_mcse[0.5])
    return Influence(
        median_without=without.median,
        ci90_without=without.ci90,
        median_change=without.median / base - 1 if base else 0.0,
        width_change=width_without / width_with - 1 if width_with else 0.0,
        median_error=error / abs(base) if base else 0.0,
        khat=khat,
    )
