"""A verdict for every source: its claims judged together against the posterior from every
*other* source (leave-one-source-out), its probability of being reliable, and how far it
moves the headline.

The posterior without a source comes from the same machinery as a claim's leave-one-out
(:meth:`~estimator.inference.posterior.Posterior.leave_out_source`: Pareto-smoothed
importance reweighting, k-hat gated, refitted exactly on the NUTS path where k-hat is too
high). Each of the source's claims gets its tail probability under that posterior (its
predictive with the source's bias at its prior); the source's tail probability is the
smallest of them times their number (Bonferroni), so a source of ten claims is not judged
out of line ten times as often as a source of one. Thresholds are the claims'
(:func:`~estimator.review.verdicts.classify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.inference.estimation import Estimate
from estimator.model.evidence import SourceEntity
from estimator.review.verdicts import Influence, VerdictName, classify, influence_of, predictive


@dataclass(frozen=True)
class SourceVerdict:
    """How one source's claims sit against every other source.

    Attributes
    ----------
    source : SourceEntity
        The source.
    claims : tuple of str
        The ids of its counted claims.
    tail_probability : float
        The smallest tail probability of its claims times their number (at most 1).
    reliability : float
        Its posterior probability of being reliable.
    influence : Influence
        How the headline moves without the source.
    khat : float or None
        The Pareto k-hat of the reweighting that left it out (``None``: refitted).
    """

    source: SourceEntity
    claims: tuple[str, ...]
    tail_probability: float
    reliability: float
    influence: Influence
    khat: float | None

    @property
    def verdict(self) -> VerdictName:
        """``consistent``, ``in tension`` or ``contradicted``."""
        return classify(self.tail_probability)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.source.to_dict(),
            "claims": list(self.claims),
            "tail_probability": self.tail_probability,
            "verdict": self.verdict,
            "reliability": self.reliability,
            "loo_khat": self.khat,
            "influence": self.influence.to_dict(),
        }


def source_verdicts(result: Estimate, refit: bool = True) -> tuple[SourceVerdict, ...]:
    """A verdict for every source of the estimate's counted claims.

    Parameters
    ----------
    result : Estimate
        A posterior from :func:`estimator.inference.estimation.estimate`.
    refit : bool
        On the NUTS path, refit exactly without the source where the reweighting's k-hat
        exceeds 0.7.
    """
    fit = result.fit
    evidence = fit.evidence
    head = result.spec.headline
    unit = result.posterior[head].unit
    out = []
    for s, source in enumerate(evidence.sources):
        members = [i for i in evidence.members[s] if fit.active[i]]
        if not members:
            continue
        without = fit.leave_out_source(source.id, refit)
        tails = []
        for i in members:
            claim = evidence.claims[i]
            reading, noise = without.claim_reading(claim)
            tails.append(predictive(claim, reading, without.weights, noise)[1])
        khat = None if without.refitted else without.loo_khat
        out.append(
            SourceVerdict(
                source=source,
                claims=tuple(evidence.claims[i].id for i in members),
                tail_probability=min(1.0, len(tails) * min(tails)),
                reliability=result.source_reliability.get(source.id, float("nan")),
                influence=influence_of(result.posterior[head], without.summary(head, unit), khat),
                khat=khat,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ClassParameter:
    """A credibility class's parameter learned from the ledger: its prior and posterior
    median with 90% intervals."""

    name: str
    prior: tuple[float, float, float]
    posterior: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"prior": list(self.prior), "posterior": list(self.posterior)}


def class_parameters(result: Estimate) -> tuple[ClassParameter, ...]:
    """The credibility classes' noise scales and reliabilities that the counted claims
    use (:mod:`estimator.model.evidence`): median and 90% interval, prior and posterior."""
    fit = result.fit
    out = []
    for name, belief in fit.evidence.latents().items():
        if not name.startswith("credibility."):
            continue
        s = fit.summary(name, "")
        low, median, high = (float(x) for x in belief.ppf(np.array([0.05, 0.5, 0.95])))
        out.append(ClassParameter(name, (median, low, high), (s.median, *s.ci90)))
    return tuple(out)
