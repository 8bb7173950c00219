"""What drives the estimate: the inputs that matter (tornado, Sobol over the prior, a
moment-independent index over the posterior), the scenarios side by side, and which
conclusions rest on assumptions rather than evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from estimator import importance
from estimator.model import HEADLINE
from estimator.posterior import IS_MIN_ESS, Estimate, estimate
from estimator.prior_sensitivity import PriorSensitivity, prior_sensitivity
from estimator.scenarios import apply
from estimator.sensitivity import (
    DeltaResult,
    SobolResult,
    TornadoBar,
    delta_indices,
    sobol_indices,
    tornado,
)
from estimator.summaries import Summary, summarize_weighted

SOBOL_SAMPLES = 2**14
DELTA_DRAWS = 1000
DELTA_RESAMPLES = 20
SCENARIO_DRAWS = 2**18
#: Quantities whose prior sensitivity is flagged in the report.
FLAGGED = ("spend.total", "cost.amortized", "capex.hardware", "gpu_spend", "opex.per_year")


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "changes": self.changes,
            "method": self.method,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "posterior": {HEADLINE: self.headline.to_dict()},
        }


@dataclass(frozen=True)
class Drivers:
    """Everything the report's "What drives the estimate" section shows."""

    tornado: tuple[TornadoBar, ...] = field(repr=False)
    sobol: SobolResult = field(repr=False)
    delta: DeltaResult | None = field(repr=False)
    scenarios: tuple[ScenarioOutcome, ...] = field(repr=False)
    prior_sensitivity: tuple[PriorSensitivity, ...] = field(repr=False)

    def __repr__(self) -> str:
        top = ", ".join(bar.input for bar in self.tornado[:3])
        return (
            f"Drivers(largest swings: {top}; {len(self.sobol.rows)} Sobol factors; "
            f"{len(self.scenarios)} scenarios)"
        )

    def to_frame(self) -> Any:
        """One row per input: tornado swing, Sobol indices and (when computed) delta."""
        import pandas as pd

        rows: dict[str, dict[str, Any]] = {}
        for bar in self.tornado:
            rows.setdefault(bar.input, {})["swing"] = bar.swing
        for row in self.sobol.rows:
            for name in row.group or (row.input,):
                rows.setdefault(name, {}).update(
                    {"S1": row.S1, "ST": row.ST, "sobol_factor": row.input}
                )
        if self.delta is not None:
            for delta_row in self.delta.rows:
                rows.setdefault(delta_row.input, {})["delta"] = delta_row.delta
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "input"
        return frame.sort_values("swing", ascending=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tornado": [bar.to_dict() for bar in self.tornado],
            "sobol": self.sobol.to_dict(),
            "delta": None if self.delta is None else self.delta.to_dict(),
            "prior_sensitivity": {p.quantity: p.to_dict() for p in self.prior_sensitivity},
        }


def scenario_outcomes(result: Estimate) -> tuple[ScenarioOutcome, ...]:
    """The posterior of the headline under each of the lab's scenarios, by the quick path
    (its diagnostics are reported with it). A scenario that only changes claims reweights
    the estimate's own prior draws; one that restates priors draws anew, same seed."""
    spec = result.spec
    out = []
    for scenario in spec.scenarios.values():
        changed = apply(spec, scenario)
        draws = result.prior_draws
        if scenario.priors or draws is None:
            scenario_result = estimate(
                changed, "is", min(result.draws, SCENARIO_DRAWS), result.seed
            )
            d = scenario_result.diagnostics
            headline = scenario_result.posterior[HEADLINE]
            out.append(
                ScenarioOutcome(
                    scenario.name,
                    scenario.title,
                    scenario.description,
                    scenario.to_dict(),
                    d.method,
                    d.passed,
                    d.reasons,
                    headline,
                )
            )
            continue
        unit = result.posterior[HEADLINE].unit
        if changed.evidence:
            rw = importance.reweight(importance.sum_of_logliks(draws.values, changed.evidence))
            headline = summarize_weighted(HEADLINE, unit, draws[HEADLINE], rw.weights)
            reasons = tuple(
                text
                for bad, text in (
                    (rw.khat > importance.KHAT_LIMIT, f"Pareto k-hat {rw.khat:.2f}"),
                    (rw.ess < IS_MIN_ESS, f"importance-sampling ESS {rw.ess:.0f}"),
                )
                if bad
            )
            method = "is"
        else:
            headline, reasons, method = result.prior[HEADLINE], (), "forward"
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
            )
        )
    return tuple(out)


def drivers(
    result: Estimate,
    seed: int = 0,
    sobol_samples: int = SOBOL_SAMPLES,
    delta_draws: int = DELTA_DRAWS,
    delta_resamples: int = DELTA_RESAMPLES,
) -> Drivers:
    """Sensitivity, scenarios and prior sensitivity of an estimate's lab.

    The defaults keep a report quick; ``estimator sensitivity`` asks for more samples.
    """
    spec = result.spec
    delta = None
    flags: tuple[PriorSensitivity, ...] = ()
    # Indices over the posterior need a posterior worth the name.
    if spec.evidence and result.diagnostics.passed:
        delta = delta_indices(result, HEADLINE, delta_draws, seed, delta_resamples)
        flags = prior_sensitivity(result, [n for n in FLAGGED if n in spec.model.quantities], seed)
    return Drivers(
        tornado=tornado(spec, HEADLINE),
        sobol=sobol_indices(spec, HEADLINE, sobol_samples, seed),
        delta=delta,
        scenarios=scenario_outcomes(result),
        prior_sensitivity=flags,
    )
