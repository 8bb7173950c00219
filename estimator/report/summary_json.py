"""The ``summary.json`` document: every number a run produced, with its provenance.

Keys are only ever added, never renamed: ``lab``, ``quantities`` (the prior),
``posterior``, ``claims`` (with their verdicts), ``questions``, ``diagnostics``,
``headline``, ``provenance``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from estimator.atomic import atomic_write_text
from estimator.report.years import periods_document
from estimator.review.assessment import Assessment
from estimator.review.source_verdicts import class_parameters
from estimator.review.verdicts import tally


def summary_document(assessment: Assessment) -> dict[str, Any]:
    """The JSON-ready summary of an assessment."""
    result = assessment.estimate
    spec = result.spec
    judged = {v.claim.id: v for v in assessment.verdicts}
    window, lab_window = spec.model.reporting, spec.model.window
    headline = result.headline
    return {
        "lab": spec.name,
        "title": spec.title,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "years": window.years,
        },
        "lab_window": {
            "start": lab_window.start.isoformat(),
            "end": lab_window.end.isoformat(),
            "years": lab_window.years,
        },
        "periods": periods_document(result),
        "currency": spec.converter.basis,
        "headline": None
        if headline is None
        else {
            "quantity": spec.headline,
            "median": headline.median,
            "ci90": list(headline.ci90),
            "unit": headline.unit,
        },
        "quantities": {name: s.to_dict() for name, s in result.prior.items()},
        "posterior": {name: s.to_dict() for name, s in result.posterior.items()},
        "claims": [
            {
                **claim.to_dict(),
                "reliability": result.reliability.get(claim.id),
                "counted": claim in spec.evidence,
                **(judged[claim.id].to_dict() if claim.id in judged else {}),
            }
            for claim in spec.claims
        ],
        "verdict_tally": tally(assessment.verdicts).to_dict(),
        "sources": [v.to_dict() for v in assessment.sources],
        "robustness": [v.to_dict() for v in assessment.robustness],
        "credibility_classes": {p.name: p.to_dict() for p in class_parameters(result)},
        "questions": [a.to_dict() for a in assessment.answers],
        "history": [point.to_dict() for point in assessment.history],
        "update": assessment.comparison.to_dict() if assessment.comparison else None,
        "sensitivity": assessment.drivers.to_dict() if assessment.drivers else None,
        "scenarios": {s.name: s.to_dict() for s in assessment.drivers.scenarios}
        if assessment.drivers
        else {},
        "correlations": spec.correlation.to_dict() if spec.correlation else None,
        "diagnostics": result.diagnostics.to_dict(),
        "provenance": result.provenance(),
    }


def write_summary(assessment: Assessment, path: str | Path) -> Path:
    """Write ``summary.json`` atomically."""
    text = json.dumps(_finite(summary_document(assessment)), indent=2, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def _finite(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN and infinities as ``null``."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
