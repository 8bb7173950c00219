"""The report: what readers take away, in Markdown and in one self-contained HTML file,
with the figures also saved as PNG and SVG. Rendered through Jinja2 templates."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimator.atomic import atomic_write_bytes, atomic_write_text
from estimator.inference.estimation import Estimate
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.summaries import Summary
from estimator.model.quantities import CASH_PARTS
from estimator.report.display import FLAG, interval, listed, quantity, unit_label
from estimator.report.figures import Rendered, render_all
from estimator.report.source_rows import class_rows, robustness_rows, source_rows
from estimator.report.years import years
from estimator.review.answers import Answer
from estimator.review.assessment import Assessment
from estimator.review.predictive import BAND_PROB
from estimator.review.verdicts import CONSISTENT, CONTRADICTED, Verdict, tally

#: The quantities of a training run its finding states.
RUN_FINDINGS = ("rental_cost", "ownership_cost", "capacity_share")
#: Quantities the estimand table leads with (runs are added per lab).
ESTIMANDS = (
    "spend.total",
    "cost.amortized",
    "capex.hardware",
    "capex.attributable",
    "gpu_spend",
    "opex.total",
    "opex.per_year",
    "opex.energy",
    "opex.staff",
)


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written."""

    markdown: Path
    html: Path
    figures: tuple[Path, ...]


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("estimator.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _row(
    name: str,
    description: str,
    prior: Summary,
    posterior: Summary,
    failures: tuple[str, ...] = (),
) -> dict[str, str]:
    return {
        "name": name,
        "flag": FLAG if failures else "",
        "description": description,
        "unit": unit_label(prior.unit),
        "prior_median": quantity(prior.median, prior.unit),
        "prior_ci": interval(*prior.ci90, prior.unit),
        "posterior_median": quantity(posterior.median, posterior.unit),
        "posterior_ci": interval(*posterior.ci90, posterior.unit),
    }


def _percent(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if 0 < value < 10 ** -(digits + 2):
        return f"<{10**-digits:.{digits}f}%"
    return f"{value:.{digits}%}"


def _khat(v: Verdict) -> str:
    """The Pareto k-hat of the leave-one-out reweighting behind a verdict (empty when it
    needed none), and whether an exact refit replaced it."""
    if v.khat is None:
        return ""
    shown = f"{v.khat:.2f}" if math.isfinite(v.khat) else "not estimable"
    return f"{shown}, refitted exactly" if v.refit else shown


def _signed(value: float) -> str:
    return f"{value:+.1%}"


def context(assessment: Assessment, figures: list[Rendered]) -> dict[str, Any]:
    """Everything the templates show, as plain text values."""
    result, verdicts, answers = assessment.estimate, assessment.verdicts, assessment.answers
    spec = result.spec
    model = spec.model
    estimands = [n for n in ESTIMANDS if n in model.quantities]
    estimands += [n for n in model.derived_names if n.startswith("runs.")]
    head = result.posterior[spec.headline]
    provenance = result.provenance()
    d = result.diagnostics
    flagged = d.flagged
    listing = [n for n in model.quantities if "@" not in n]

    def row(n: str) -> dict[str, Any]:
        description = model.quantity(n).description
        return _row(n, description, result.prior[n], result.posterior[n], flagged.get(n, ()))

    verdict_rows = []
    for v in verdicts:
        c = v.claim
        use = "relay" if c.repeats else c.use
        influence = v.influence
        verdict_rows.append(
            {
                "id": c.id,
                "source": c.source.text,
                "url": c.source.url or "",
                "date": c.source.date or c.date.isoformat(),
                "quantity": c.about,
                "stated": c.stated,
                "use": use,
                "credibility": c.credibility.replace("_", " "),
                "verdict": v.verdict,
                "percentile": _percent(v.percentile),
                "tail": _percent(v.tail_probability),
                "holds": _percent(v.bound_holds),
                "reliability": f"{c.reliability:.0%} → {_percent(v.reliability, 0)}",
                "influence_median": influence.text()[0] if influence else "",
                "influence_width": influence.text()[1] if influence else "",
                "basis": v.basis,
                "khat": _khat(v),
                "trusted": v.trusted,
                "note": c.source.note or "",
                "repeats": c.repeats or "",
            }
        )
    priors = []
    for name, p in spec.priors.items():
        priors.append(
            {
                "name": name,
                "stated": p.stated,
                "source": p.source.text,
                "url": p.source.url or "",
                "date": p.source.date or "",
                "note": p.source.note or "",
                "file": Path(p.file).name,
                "prior": interval(*result.prior[name].ci90, result.prior[name].unit),
                "posterior": interval(*result.posterior[name].ci90, result.posterior[name].unit),
            }
        )
    findings = _findings(result, verdicts, answers)
    return {
        "lab": {
            "name": spec.name,
            "title": spec.title,
            "description": spec.description,
            "question": spec.question,
            "window": f"{model.reporting.start} to {model.reporting.end}",
            "years": f"{model.reporting.years:.2f}",
            "currency": spec.converter.basis,
        },
        "headline": {
            "name": spec.headline,
            "passed": d.passed,
            "median": quantity(head.median, head.unit),
            "ci": interval(*head.ci90, head.unit),
            "reasons": list(d.reasons),
        },
        "findings": findings,
        "estimands": [row(n) for n in estimands],
        "quantities": [row(n) for n in listing],
        "flagged": [
            {"name": n, "failures": ", ".join(flagged[n])} for n in listing if n in flagged
        ],
        "flag": FLAG,
        "years": _years(result),
        "verdicts": verdict_rows,
        "sources": source_rows(assessment),
        "classes": class_rows(assessment),
        "robustness": robustness_rows(assessment),
        "tally": tally(verdicts).text() if verdicts else "",
        "thresholds": {
            "consistent": _percent(CONSISTENT, 0),
            "contradicted": _percent(CONTRADICTED, 0),
            "khat": f"{KHAT_LIMIT}",
            "pit_band": _percent(BAND_PROB, 0),
        },
        "questions": [
            {
                "text": a.question.text,
                "event": a.question.describe(),
                "probability": a.text(),
                "mcse": _percent(a.mcse, 2),
                "flag": FLAG if a.problems else "",
                "problems": "; ".join(a.problems),
            }
            for a in answers
        ],
        "priors": priors,
        "rates": [
            {"code": r.code, "stated": r.stated, "source": r.source.text, "url": r.source.url or ""}
            for r in spec.rates
        ],
        "diagnostics": {
            "method": d.method,
            "passed": d.passed,
            "reasons": list(d.reasons),
            "note": d.note,
            "details": [(k, _fmt(v)) for k, v in d.details.items()],
            "flagged": [f"{n}: {', '.join(f)}" for n, f in flagged.items()],
        },
        "provenance": [
            (k, json.dumps(v, sort_keys=True) if isinstance(v, dict) else str(v))
            for k, v in provenance.items()
        ],
        "figures": figures,
        "history": _history_rows(assessment),
        "update": _update(assessment),
        "drivers": _drivers(assessment),
    }


def _years(result: Estimate) -> dict[str, Any] | None:
    """The per-year table: each year's cash and economic views with their parts."""
    rows = years(result)
    if len(rows) < 2:
        return None
    names = [n for n in ("spend.total", "cost.amortized", *CASH_PARTS) if n in rows[0].flows]
    model = result.spec.model
    table = []
    for name in names:
        cells = []
        for year in rows:
            s = year.flows[name]
            cells.append({"median": quantity(s.median, s.unit), "ci": interval(*s.ci90, s.unit)})
        table.append(
            {"name": name, "description": model.quantity(name).description, "cells": cells}
        )
    return {"labels": [y.label for y in rows], "rows": table}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _findings(
    result: Estimate, verdicts: tuple[Verdict, ...], answers: tuple[Answer, ...]
) -> list[str]:
    spec = result.spec
    window = spec.model.reporting
    out = []
    if result.diagnostics.passed:
        if spec.headline not in ("spend.total", "cost.amortized"):
            head = result.posterior[spec.headline]
            description = spec.model.quantities[spec.headline].description
            out.append(
                f"{description} ({spec.headline}), {window.start} to {window.end}: "
                f"{quantity(head.median, head.unit)} (90% credible interval "
                f"{interval(*head.ci90, head.unit)})."
            )
        head = result.posterior["spend.total"]
        what = "the attributable share of hardware capex plus operating costs"
        if spec.model.structure.rentals and spec.model.types:
            what += ", accelerators rented included"
        elif spec.model.structure.rentals:
            what = (
                "accelerators rented, staff and other operating costs (the provider's "
                "hardware is never the lab's capex)"
            )
        out.append(
            f"From {window.start} to {window.end}, {spec.title} spent "
            f"{quantity(head.median, head.unit)} (90% credible interval "
            f"{interval(*head.ci90, head.unit)}) in the cash view: {what} over the window "
            "(spend.total)." + _caveat(result, "spend.total")
        )
        rented = result.posterior.get("rent.total")
        if rented is not None:
            out.append(
                f"Rentals cost {quantity(rented.median, rented.unit)} "
                f"({interval(*rented.ci90, rented.unit)}; rent.total) over the window, in "
                "both views: a renter pays for the hours, not for the hardware."
                + _caveat(result, "rent.total")
            )
        amortized = result.posterior["cost.amortized"]
        if spec.model.types:
            out.append(
                "Spreading hardware over its useful life and charging only the time in "
                "service, the economic cost of the window is "
                f"{quantity(amortized.median, amortized.unit)} "
                f"({interval(*amortized.ci90, amortized.unit)}; cost.amortized)."
                + _caveat(result, "cost.amortized")
            )
        else:
            out.append(
                "With no hardware of its own to write off, the lab's economic cost "
                "(cost.amortized) is its cash spend."
            )
        for run in spec.model.runs:
            named = [f"runs.{run.name}.{part}" for part in RUN_FINDINGS]
            s = result.posterior[named[0]]
            share = s.median / head.median if head.median else math.nan
            owned = result.posterior.get(f"runs.{run.name}.ownership_cost")
            on_own = (
                ""
                if owned is None
                else f" On the lab's own {run.accelerator}s (hardware written off per hour "
                f"of its life, and energy) it cost {quantity(owned.median, owned.unit)} "
                f"({interval(*owned.ci90, owned.unit)})."
            )
            used = result.posterior.get(f"runs.{run.name}.capacity_share")
            fits = (
                ""
                if used is None
                else f" It used {_percent(used.median)} ({_percent(used.ci90[0])} to "
                f"{_percent(used.ci90[1])}) of the hours its accelerators had over its dates."
            )
            out.append(
                f"The training run '{run.label or run.name}' cost "
                f"{quantity(s.median, s.unit)} ({interval(*s.ci90, s.unit)}) at "
                f"rental-equivalent prices: about {_percent(share)} of the median total spend. "
                "It is a different estimand from the lab's spend."
                + on_own
                + fits
                + _caveat(result, *(n for n in named if n in result.posterior))
            )
    else:
        out.append(
            "No headline interval is published: the sampler diagnostics failed ("
            + "; ".join(result.diagnostics.reasons)
            + ")."
        )
    for a in answers:
        caveat = ""
        if a.problems:
            caveat = f" {FLAG} Not to be relied on: its diagnostics failed ({listed(a.problems)})."
        out.append(f"{a.question.text} Posterior probability {a.text()}.{caveat}")
    for v in verdicts:
        if v.verdict != "consistent":
            out.append(
                f"Claim '{v.claim.id}' ({v.claim.stated} on {v.claim.about}) is "
                f"{v.verdict} with the rest of the evidence: its tail probability is "
                f"{_percent(v.tail_probability)}."
            )
    return out


def _caveat(result: Estimate, *names: str) -> str:
    """A note on a finding whose draws fail the publication gate (empty when they pass)."""
    problems = result.problems_of(*names)
    if not problems:
        return ""
    return f" {FLAG} Not to be relied on: its diagnostics failed ({listed(problems)})."


def write_report(assessment: Assessment, folder: str | Path) -> ReportFiles:
    """Render and write ``report.md``, ``report.html`` and ``figures/*.png|svg``."""
    folder = Path(folder)
    figures = render_all(assessment)
    paths = []
    for figure in figures:
        paths.append(atomic_write_text(folder / "figures" / f"{figure.name}.svg", figure.svg))
        paths.append(atomic_write_bytes(folder / "figures" / f"{figure.name}.png", figure.png))
    values = context(assessment, figures)
    environment = _environment()
    markdown = atomic_write_text(
        folder / "report.md", environment.get_template("report.md.j2").render(values)
    )
    html = atomic_write_text(
        folder / "report.html", environment.get_template("report.html.j2").render(values)
    )
    return ReportFiles(markdown, html, tuple(paths))


def _history_rows(assessment: Assessment) -> list[dict[str, str]]:
    rows = []
    head = assessment.estimate.spec.headline
    for row, point in enumerate(assessment.history):
        s = point.quantities[head]
        rows.append(
            {
                "number": str(row) if row else "",
                "date": point.date.isoformat() if point.date else "prior",
                "claims": ", ".join(point.claims),
                "counted": str(len(point.counted)),
                "method": point.label_of(head),
                "median": quantity(s.median, s.unit),
                "ci": interval(*s.ci90, s.unit),
            }
        )
    return rows


def _update(assessment: Assessment) -> dict[str, Any] | None:
    comparison = assessment.comparison
    if comparison is None:
        return None
    judged = {v.claim.id: v for v in assessment.verdicts}
    quantities = [
        {
            "name": q.name,
            "old_median": quantity(q.old_median, q.unit),
            "old_ci": interval(*q.old_ci90, q.unit),
            "new_median": quantity(q.new_median, q.unit),
            "new_ci": interval(*q.new_ci90, q.unit),
            "change": _signed(q.median_change),
            "flag": FLAG if q.problems else "",
        }
        for q in comparison.quantities
        if not q.name.startswith("fleet.") or q.name.endswith(".count")
    ]
    claims = []
    for claim_id in (*comparison.new_claims, *comparison.changed_claims):
        v = judged.get(claim_id)
        if v is None:
            continue
        influence = v.influence
        claims.append(
            {
                "id": claim_id,
                "status": "new"
                if claim_id in comparison.new_claims
                else "changed: " + ", ".join(comparison.changed_claims[claim_id]),
                "stated": v.claim.stated,
                "quantity": v.claim.about,
                "verdict": v.verdict,
                "tail": _percent(v.tail_probability),
                "influence_median": influence.text()[0] if influence else "",
                "influence_width": influence.text()[1] if influence else "",
            }
        )
    return {
        "previous": comparison.previous_created or "unknown",
        "inputs_changed": comparison.inputs_changed,
        "quantities": quantities,
        "claims": claims,
        "removed": list(comparison.removed_claims),
        "unconverged": listed(p for q in comparison.unconverged for p in q.problems),
    }


def _drivers(assessment: Assessment) -> dict[str, Any] | None:
    """The "What drives the estimate" section, as text."""
    found = assessment.drivers
    if found is None:
        return None
    result = assessment.estimate
    head = result.spec.headline
    unit = result.prior[head].unit
    tornado_rows = [
        {
            "input": bar.input,
            "low": quantity(bar.low_value, result.prior[bar.input].unit),
            "high": quantity(bar.high_value, result.prior[bar.input].unit),
            "output_low": quantity(bar.output_low, unit),
            "output_high": quantity(bar.output_high, unit),
            "swing": quantity(bar.swing, unit),
        }
        for bar in found.tornado[:15]
    ]
    sobol_rows = [
        {
            "input": r.input,
            "s1": f"{r.S1:.3f} ± {r.S1_conf:.3f}",
            "st": f"{r.ST:.3f} ± {r.ST_conf:.3f}",
        }
        for r in found.sobol.rows[:15]
    ]
    delta_rows = []
    if found.delta is not None:
        for r in found.delta.rows[:15]:
            note = "" if found.delta.above_floor(r) else " (within noise)"
            delta_rows.append(
                {"input": r.input + note, "delta": f"{r.delta:.3f} ± {r.delta_conf:.3f}"}
            )
        floor = found.delta.floor
        delta_rows.append(
            {
                "input": "noise floor (an unrelated dummy input)",
                "delta": f"{floor.delta:.3f} ± {floor.delta_conf:.3f}",
            }
        )
    scenario_rows = [
        {
            "title": "the lab as it is",
            "description": "",
            "median": quantity(result.posterior[head].median, unit),
            "ci": interval(*result.posterior[head].ci90, unit),
            "status": "passed" if result.diagnostics.passed else "FAILED",
        }
    ]
    for o in found.scenarios:
        scenario_rows.append(
            {
                "title": o.title,
                "description": o.description,
                "median": quantity(o.headline.median, unit),
                "ci": interval(*o.headline.ci90, unit),
                "status": "passed" if o.passed else "FAILED: " + "; ".join(o.reasons),
            }
        )
    return {
        "sobol_samples": f"{found.sobol.base_samples:,}",
        "tornado": tornado_rows,
        "sobol": sobol_rows,
        "delta": delta_rows,
        "scenarios": scenario_rows,
        "prior_sensitivity": [
            {
                "quantity": p.quantity,
                "prior": p.prior_reading.text(),
                "likelihood": p.likelihood_reading.text(),
                "diagnosis": p.diagnosis,
                "draws": f"{p.draws:,}",
            }
            for p in found.prior_sensitivity
        ],
        # Rows: the groups of priors; columns: the quantities (the same groups for each).
        "prior_groups": [
            {
                "group": group.group.name,
                "inputs": ", ".join(group.group.inputs),
                "cells": [
                    next(g for g in p.groups if g.group == group.group).reading.text()
                    for p in found.prior_sensitivity
                ],
            }
            for group in sorted(
                found.prior_sensitivity[0].groups if found.prior_sensitivity else (),
                key=lambda g: (
                    -max(
                        h.reading.value
                        for p in found.prior_sensitivity
                        for h in p.groups
                        if h.group == g.group
                    )
                ),
            )
        ],
    }
