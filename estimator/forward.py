"""The prior (forward Monte Carlo) estimate of a lab, as one result object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from estimator.provenance import stamp
from estimator.simulate import CHUNK_SIZE, DEFAULT_DRAWS, forward_summaries
from estimator.spec import LabSpec
from estimator.summaries import Summary

HEADLINE = "spend.total"


@dataclass(frozen=True)
class ForwardEstimate:
    """Every named quantity summarised under the prior, with provenance."""

    spec: LabSpec = field(repr=False)
    summaries: dict[str, Summary] = field(repr=False)
    seed: int
    draws: int
    chunk_size: int = CHUNK_SIZE

    def __repr__(self) -> str:
        head = self.summaries[HEADLINE]
        low, high = head.ci90
        return (
            f"ForwardEstimate(lab={self.spec.name!r}, draws={self.draws}, seed={self.seed}, "
            f"{HEADLINE}: median {head.median:.4g}, 90% [{low:.4g}, {high:.4g}] "
            f"{head.unit})"
        )

    def provenance(self) -> dict[str, Any]:
        """The stamp that goes with these numbers."""
        return stamp(
            self.spec.inputs_sha256,
            self.seed,
            self.draws,
            chunk_size=self.chunk_size,
            method="forward Monte Carlo",
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` document (prior only)."""
        return {
            "lab": self.spec.name,
            "title": self.spec.title,
            "window": {
                "start": self.spec.model.window.start.isoformat(),
                "end": self.spec.model.window.end.isoformat(),
                "years": self.spec.model.window.years,
            },
            "currency": self.spec.converter.basis,
            "quantities": {name: s.to_dict() for name, s in self.summaries.items()},
            "provenance": self.provenance(),
        }


def estimate_prior(
    spec: LabSpec, draws: int = DEFAULT_DRAWS, seed: int = 0, chunk_size: int = CHUNK_SIZE
) -> ForwardEstimate:
    """Summarise every quantity of ``spec`` under its priors.

    Parameters
    ----------
    spec : LabSpec
        A loaded lab (see :func:`estimator.spec.load_lab`).
    draws : int
        Monte Carlo draws (any number; memory stays bounded).
    seed : int
        The same seed and inputs give the same numbers.
    chunk_size : int
        Draws per chunk; part of the provenance since draws depend on it.
    """
    summaries = forward_summaries(spec, draws, seed, chunk_size)
    return ForwardEstimate(spec, summaries, seed, draws, chunk_size)
