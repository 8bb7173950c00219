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
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import numpy as np

from estimator.inference.estimation import Estimate, quick_posterior
from estimator.inference.importance import Reweighting, constraint_logliks, reweight
from estimator.inference.posterior import ImportancePosterior
from estimator.inference.summaries import Summary, summarize_weighted
from estimator.inference.threads import thread_map
from estimator.model.evidence import Evidence, Parts, reliability_name
from estimator.spec.lab import apply
from estimator.spec.scenarios import Scenario

#: How far the reliabilities move, up and down.
RELIABILITY_SHIFT = SHIFT = 0.2
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
    """The headline as the lab reads its evidence, then under each other reading.

    Every reading reweights the prior draws; the claims' own terms (their likelihoods if
    reliable, and if wrong) are computed once and shared by the readings that keep them.
    """
    spec = result.spec
    if not spec.evidence:
        return ()
    quick = result.fit
    if not (isinstance(quick, ImportancePosterior) and quick.active.all()):
        quick = quick_posterior(spec, result.prior_draws, result.seed)
    own = quick.reweighting
    assert own is not None
    values = result.prior_draws.values
    base, parts = quick.evidence, quick.claim_parts
    constraints = spec.model.constraints
    extra = constraint_logliks(values, constraints) if constraints else 0.0
    name, unit = spec.headline, result.posterior[spec.headline].unit

    def variant(label: str, weighting: Reweighting) -> Variant:
        headline = summarize_weighted(name, unit, values[name], weighting.weights)
        return Variant(label, headline, weighting.khat, weighting.ess, weighting.problems())

    def reading(evidence: Evidence, read: Parts, at: Mapping[str, np.ndarray]) -> Reweighting:
        total, _ = evidence.source_terms(read, at)
        return reweight(total.sum(0) + extra)

    def moved(shift: float) -> Reweighting:
        evidence, at = _reliabilities_moved(base, values, shift)
        return reading(evidence, parts, at)

    def wrong(sigma: float | None) -> Reweighting:
        other = dataclasses.replace(base, wrong_sigma=sigma)
        return reading(other, other.with_wrong_of(parts, values), values)

    def scenario_reading(scenario: Scenario) -> Reweighting:
        changed = apply(spec, scenario)
        evidence = Evidence.of(changed.evidence, changed.sources)
        return reweight(evidence.loglik(values) + extra)

    readings: list[tuple[str, Callable[[], Reweighting]]] = [
        ("as the ledger reads", lambda: own),
        *((f"every reliability {d:+.1f}", partial(moved, d)) for d in (-SHIFT, SHIFT)),
        *((label, partial(wrong, sigma)) for label, sigma in WRONG_FORMS),
        *(
            (f"{s.title} (scenario)", partial(scenario_reading, s))
            for s in spec.scenarios.values()
            if not s.priors  # restating priors is a scenario, not a reading of the claims
        ),
    ]
    out = thread_map(lambda item: variant(item[0], item[1]()), readings)
    return tuple(out)


def _reliabilities_moved(
    evidence: Evidence, values: Mapping[str, np.ndarray], shift: float
) -> tuple[Evidence, Mapping[str, np.ndarray]]:
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
    changed: dict[str, np.ndarray] = {}
    for source in evidence.sources:
        key = reliability_name(source.credibility)
        if source.reliability is None and key in values:
            changed[key] = moved(values[key])
    rest = cast("MutableMapping[str, np.ndarray]", values)  # only read
    return dataclasses.replace(evidence, sources=sources), ChainMap(changed, rest)
