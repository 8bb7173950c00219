"""The headline under each of a lab's scenarios, side by side with the lab as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from estimator.inference.estimation import Estimate, estimate, quick_posterior
from estimator.inference.parallel import sweep
from estimator.inference.summaries import Summary
from estimator.model.quantities import DEFAULT_HEADLINE
from estimator.spec.lab import LabSpec, apply

SCENARIO_DRAWS = 2**18


@dataclass(frozen=True)
class ScenarioOutcome:
    """The headline under one scenario."""

    name: str
    title: str
    description: str
    changes: dict[str, Any]
    method: str
    passed: bool
    reasons: tuple[str, ...]
    headline: Summary = field(repr=False)
    quantity: str = DEFAULT_HEADLINE

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "changes": self.changes,
            "method": self.method,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "posterior": {self.quantity: self.headline.to_dict()},
        }


def scenario_outcomes(result: Estimate) -> tuple[ScenarioOutcome, ...]:
    """The posterior of the headline under each of the lab's scenarios, by the quick path
    (its diagnostics are reported with it). A scenario that only changes claims reweights
    the estimate's own prior draws; one that restates priors draws anew, same seed
    (those reruns are a sweep: :mod:`estimator.inference.parallel`)."""
    spec = result.spec
    name = spec.headline
    unit = result.posterior[name].unit
    changed = {s.name: apply(spec, s) for s in spec.scenarios.values()}
    draws = min(result.draws, SCENARIO_DRAWS)
    restated = [s.name for s in spec.scenarios.values() if s.priors]
    reruns = dict(
        zip(
            restated,
            sweep(_rerun, [(changed[n], draws, result.seed, name) for n in restated]),
            strict=True,
        )
    )
    out = []
    for scenario in spec.scenarios.values():
        if scenario.name in reruns:
            method, reasons, headline = reruns[scenario.name]
        else:
            fit = quick_posterior(changed[scenario.name], result.prior_draws, result.seed)
            forward = fit.method == "forward"
            headline = result.prior[name] if forward else fit.summary(name, unit)
            method = fit.method
            reasons = fit.publication_problems([name], summaries={name: headline})
        out.append(
            ScenarioOutcome(
                scenario.name,
                scenario.title,
                scenario.description,
                scenario.to_dict(),
                method,
                not reasons,
                reasons,
                headline,
                name,
            )
        )
    return tuple(out)


def _rerun(job: tuple[LabSpec, int, int, str]) -> tuple[str, tuple[str, ...], Summary]:
    """A scenario that restates priors, estimated afresh by the quick path: its method,
    why its headline may not be published, and the headline's summary."""
    spec, draws, seed, name = job
    rerun = estimate(spec, "is", draws, seed)
    return rerun.diagnostics.method, rerun.diagnostics.reasons, rerun.posterior[name]
