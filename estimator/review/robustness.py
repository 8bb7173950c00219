"""How far the headline rests on how the claims are read: the headline again with every
source's reliability moved by ±0.2, with the wrong-claim component changed in size and
in form, and under each scenario that only re-reads the claims (another reading of a
figure, another set of claims).

Each variant reweights the estimate's own prior draws (the quick path), so all of them
and the base line are comparable to within their Monte Carlo errors; each carries its
diagnostics, and one whose reweighting fails them is marked rather than shown as if
sound.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.inference.estimation import Estimate
from estimator.inference.importance import constraint_logliks, reweight
from estimator.inference.summaries import Summary, summarize_weighted
from estimator.model.evidence import Evidence, reliability_name
from estimator.spec.lab import apply

#: How far the reliabilities move, up and down.
RELIABILITY_SHIFT = 0.2
#: Wrong-claim components tried besides the model's (off by about a factor of ten):
#: label and log-scale sd (``None``: a wrong claim says nothing).
WRONG_FORMS: tuple[tuple[str, float | None], ...] = (
    ("wrong claims off by about x3", math.log(3.0)),
    ("wrong claims off by about x100", math.log(100.0)),
    ("wrong claims say nothing (flat)", None),
)


@dataclass(frozen=True)
class Variant:
    """The headline under one reading of the evidence."""

    label: str
    headline: Summary
    khat: float
    ess: float
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "median": self.headline.median,
            "ci90": list(self.headline.ci90),
            "khat": self.khat,
            "ess": self.ess,
            "passed": self.passed,
            "problems": list(self.problems),
        }


def robustness(result: Estimate) -> tuple[Variant, ...]:
    """The headline as the lab reads its evidence, then under each other reading."""
    spec = result.spec
    if not spec.evidence:
        return ()
    values: dict[str, np.ndarray] = dict(result.prior_draws.values)
    base = Evidence.of(spec.evidence, spec.sources)
    constraints = spec.model.constraints
    extra = constraint_logliks(values, constraints) if constraints else 0.0
    name, unit = spec.headline, result.posterior[spec.headline].unit

    def variant(label: str, evidence: Evidence, at: dict[str, np.ndarray]) -> Variant:
        weighting = reweight(evidence.loglik(at) + extra)
        headline = summarize_weighted(name, unit, values[name], weighting.weights)
        return Variant(label, headline, weighting.khat, weighting.ess, weighting.problems())

    out = [variant("as the ledger reads", base, values)]
    for shift in (-RELIABILITY_SHIFT, RELIABILITY_SHIFT):
        moved, at = _reliabilities_moved(base, values, shift)
        out.append(variant(f"every reliability {shift:+.1f}", moved, at))
    for label, sigma in WRONG_FORMS:
        out.append(variant(label, dataclasses.replace(base, wrong_sigma=sigma), values))
    for scenario in spec.scenarios.values():
        if scenario.priors:
            continue  # restating priors is a scenario, not a reading of the claims
        changed = apply(spec, scenario)
        reading = Evidence.of(changed.evidence, changed.sources)
        out.append(variant(f"{scenario.title} (scenario)", reading, values))
    return tuple(out)


def _reliabilities_moved(
    evidence: Evidence, values: dict[str, np.ndarray], shift: float
) -> tuple[Evidence, dict[str, np.ndarray]]:
    """The evidence with every source's reliability moved by ``shift`` (kept within
    [0.01, 0.99]): stated ones in the sources, learned ones in the draws."""

    def moved(r: Any) -> Any:
        return np.clip(r + shift, 0.01, 0.99)

    sources = tuple(
        s
        if s.reliability is None
        else dataclasses.replace(s, reliability=float(moved(s.reliability)))
        for s in evidence.sources
    )
    at = dict(values)
    for source in evidence.sources:
        key = reliability_name(source.credibility)
        if source.reliability is None and key in values:
            at[key] = moved(values[key])
    return dataclasses.replace(evidence, sources=sources), at
