"""The sources in the report: one row per source, and the credibility classes' learned
parameters, as the report's templates show them."""

from __future__ import annotations

import math
from typing import Any

from estimator.model.claims import CREDIBILITY
from estimator.report.display import bare, number
from estimator.review.assessment import Assessment
from estimator.review.source_verdicts import class_parameters


def source_rows(assessment: Assessment) -> list[dict[str, Any]]:
    """Each source judged without it: its claims, verdict, reliability, influence."""
    rows = []
    for v in assessment.sources:
        source = v.source
        prior = (
            source.reliability
            if source.reliability is not None
            else CREDIBILITY[source.credibility].reliability
        )
        median, width = v.influence.text()
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "url": source.url,
                "note": source.note,
                "credibility": source.credibility,
                "claims": ", ".join(v.claims),
                "count": len(v.claims),
                "verdict": v.verdict,
                "reliability": f"{prior:.0%} → {v.reliability:.0%}",
                "bias": f"{source.bias_sd:.2f}" if len(v.claims) > 1 else "",
                "influence_median": median,
                "influence_width": f"(width {width})" if width else "",
            }
        )
    return rows


def class_rows(assessment: Assessment) -> list[dict[str, str]]:
    """The credibility classes' noise scales and reliabilities, prior and posterior."""
    rows = []
    for p in class_parameters(assessment.estimate):
        _, cls, what = p.name.split(".")
        shown = "{:.0%}" if what == "reliability" else "×{:.2f}"
        prior, post = (
            f"{shown.format(m)} [{shown.format(lo)}, {shown.format(hi)}]"
            for m, lo, hi in (p.prior, p.posterior)
        )
        label = "reliability" if what == "reliability" else "noise scale"
        rows.append({"credibility": cls, "parameter": label, "prior": prior, "posterior": post})
    return rows


def robustness_rows(assessment: Assessment) -> list[dict[str, str]]:
    """The headline under each reading of the evidence, and how its median moves from
    the first reading's: "within noise" inside twice the two medians' Monte Carlo errors
    combined."""
    variants = assessment.robustness
    if not variants:
        return []
    base = variants[0].headline
    rows = []
    for index, v in enumerate(variants):
        low, high = v.headline.ci90
        unit = v.headline.unit
        change = v.headline.median / base.median - 1 if base.median else 0.0
        error = math.hypot(v.headline.quantile_mcse[0.5], base.quantile_mcse[0.5])
        moved = abs(change) > 2.0 * error / abs(base.median) if base.median else False
        rows.append(
            {
                "label": v.label,
                "median": number(v.headline.median, unit),
                "ci": f"{bare(low, unit)} – {bare(high, unit)}",
                "change": "" if index == 0 else f"{change:+.1%}" if moved else "within noise",
                "flag": "" if v.passed else "; ".join(v.problems),
            }
        )
    return rows
