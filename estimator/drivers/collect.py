"""What drives the estimate: the inputs that matter (tornado, Sobol over the prior, a
moment-independent index over the posterior), the scenarios side by side, and which
conclusions rest on assumptions rather than evidence."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from estimator.drivers.delta import DeltaResult, delta_indices
from estimator.drivers.prior_sensitivity import PriorSensitivity, prior_sensitivity
from estimator.drivers.scenarios import ScenarioOutcome, scenario_outcomes
from estimator.drivers.sobol import SobolResult, sobol_indices
from estimator.drivers.tornado import TornadoBar, tornado
from estimator.inference.estimation import Estimate

SOBOL_SAMPLES = 2**14
DELTA_DRAWS = 1000
DELTA_RESAMPLES = 20
#: Quantities whose prior sensitivity is flagged in the report.
FLAGGED = ("spend.total", "cost.amortized", "capex.hardware", "gpu_spend", "opex.per_year")


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


def drivers(
    result: Estimate,
    seed: int = 0,
    sobol_samples: int = SOBOL_SAMPLES,
    delta_draws: int = DELTA_DRAWS,
    delta_resamples: int = DELTA_RESAMPLES,
    out_of_line: Collection[str] | None = None,
) -> Drivers:
    """Sensitivity, scenarios and prior sensitivity of an estimate's lab.

    The defaults keep a report quick; ``estimator sensitivity`` asks for more samples.
    ``out_of_line`` (the ids of the claims whose verdict is in tension or contradicted)
    says whether a conclusion shaped by both prior and evidence is a possible prior-data
    conflict; without it, none is called one.
    """
    spec = result.spec
    delta = None
    flags: tuple[PriorSensitivity, ...] = ()
    # Indices over the posterior need a posterior worth the name.
    if spec.evidence and result.diagnostics.passed:
        delta = delta_indices(result, spec.headline, delta_draws, seed, delta_resamples)
        flagged = [n for n in FLAGGED if n in spec.model.quantities]
        flags = prior_sensitivity(result, flagged, seed, out_of_line)
    return Drivers(
        tornado=tornado(spec, spec.headline),
        sobol=sobol_indices(spec, spec.headline, sobol_samples, seed),
        delta=delta,
        scenarios=scenario_outcomes(result),
        prior_sensitivity=flags,
    )
