"""What the terminal shows: prior and posterior of every quantity, the claims, the
diagnostics verdict and the headline (or why there is none), through rich."""

from __future__ import annotations

import math
from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table

from estimator.drivers.collect import Drivers
from estimator.inference.estimation import Estimate
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.summaries import Summary
from estimator.report.display import (
    FLAG,
    VERDICT_STYLES,
    bare,
    interval,
    listed,
    number,
    quantity,
    unit_label,
)
from estimator.report.terminal_sources import print_classes, print_robustness, print_sources
from estimator.report.years import years
from estimator.review.assessment import Assessment
from estimator.review.verdicts import Verdict, tally


def _table(title: str) -> Table:
    """A table in the house style: title on the left, a rule under the header."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)


def _cells(s: Summary) -> tuple[str, str]:
    low, high = s.ci90
    return number(s.median, s.unit), f"{bare(low, s.unit)}–{bare(high, s.unit)}"


def print_assessment(
    assessment: Assessment, console: Console | None = None, quantities: bool = True
) -> None:
    """Print an assessment: (optionally) every quantity, the claims with their verdicts,
    the questions answered, the diagnostics and the headline."""
    console = console or Console()
    if quantities:
        print_quantities(assessment.estimate, console)
        print_years(assessment.estimate, console)
    if assessment.verdicts:
        print_verdicts(assessment, console)
    if assessment.sources:
        print_sources(assessment, console)
        print_classes(assessment, console)
    if assessment.robustness:
        print_robustness(assessment, console)
    if assessment.answers:
        print_answers(assessment, console)
    print_verdict(
        assessment.estimate, console, None if quantities else shown_quantities(assessment)
    )


def shown_quantities(assessment: Assessment) -> tuple[str, ...]:
    """The quantities an assessment printed without its quantity tables speaks of: the
    headline, the claims' and the questions'."""
    spec = assessment.estimate.spec
    questions = (n for q in spec.questions for n in (q.quantity, q.per) if n is not None)
    return (spec.headline, *(c.quantity for c in spec.claims), *questions)


def print_quantities(result: Estimate, console: Console) -> None:
    """Every named quantity: prior and posterior median with the 90% interval."""
    spec = result.spec
    window = spec.model.reporting
    table = _table(
        f"{spec.title}\n{window.start} to {window.end} ({window.years:.2f} years); "
        f"median and 90% interval; method {result.diagnostics.method}, seed {result.seed}"
    )
    table.add_column("quantity", style="bold", no_wrap=True, overflow="fold")
    table.add_column("prior", style="dim", justify="right", overflow="fold")
    table.add_column("posterior", justify="right", overflow="fold")
    table.add_column("unit", overflow="fold")
    sections = (("results", spec.model.derived_names), ("inputs", spec.model.input_names))
    nothing: list[str] = []
    flagged = result.diagnostics.flagged
    marked: list[str] = []
    for section, names in sections:
        table.add_section()
        table.add_row(f"[italic]{section}[/italic]", "", "", "")
        for name in names:
            if "@" in name:  # other periods: the per-year table shows them
                continue
            prior, posterior = result.prior[name], result.posterior[name]
            if section == "inputs" and prior.sd == 0:
                continue
            if _always_zero(prior) and _always_zero(posterior):
                nothing.append(name)
                continue
            if name in flagged:
                marked.append(f"{name}: {', '.join(flagged[name])}")
            table.add_row(
                f"{name} {FLAG}" if name in flagged else name,
                " ".join(_cells(prior)),
                " ".join(_cells(posterior)),
                unit_label(prior.unit),
                style="reverse" if name == spec.headline else None,
            )
    console.print(table)
    if marked:
        console.print(f"[yellow]{FLAG} failed its diagnostics: {listed(marked, 12)}[/yellow]")
    if nothing:
        shown = ", ".join(nothing[:4]) + (", ..." if len(nothing) > 4 else "")
        console.print(
            f"[dim]Not shown: {len(nothing)} results that are 0 in every draw ({shown}); "
            "the report lists every quantity.[/dim]"
        )


def _always_zero(s: Summary) -> bool:
    """Whether a quantity is 0 in every draw (a renter's hardware, a lab's unused costs)."""
    return s.sd == 0 and s.median == 0 and s.ci90 == (0.0, 0.0)


def print_years(result: Estimate, console: Console) -> None:
    """The window year by year: posterior medians of the cash and economic views and
    their parts, with the cash view's 90% interval."""
    rows = years(result)
    if len(rows) < 2:
        return
    table = _table("year by year (posterior median; 90% interval of the cash view)")
    table.add_column("year", style="bold", no_wrap=True)
    table.add_column("spend", justify="right", no_wrap=True)
    table.add_column("90%", no_wrap=True)
    table.add_column("amortized", justify="right", no_wrap=True)
    table.add_column("bought", justify="right", no_wrap=True)
    table.add_column("opex", justify="right", no_wrap=True)
    for year in rows:
        f = year.flows
        spend = f["spend.total"]
        table.add_row(
            year.label,
            number(spend.median, spend.unit),
            f"{bare(spend.ci90[0], spend.unit)}–{bare(spend.ci90[1], spend.unit)}",
            number(f["cost.amortized"].median, spend.unit),
            number(f["purchases.hardware"].median + f["purchases.datacentre"].median, spend.unit),
            number(f["opex.total"].median, spend.unit),
        )
    console.print(table)


def print_verdicts(assessment: Assessment, console: Console) -> None:
    """Each claim: what it says, its verdict, and how far it is believed."""
    table = _table("claims and verdicts")
    table.add_column("claim", style="bold", overflow="fold")
    table.add_column("says", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    table.add_column("tail", justify="right", no_wrap=True)
    table.add_column("reliable", justify="right", no_wrap=True)
    table.add_column("k-hat", justify="right", no_wrap=True)
    for v in assessment.verdicts:
        claim = v.claim
        use = "relay" if claim.repeats else claim.use
        colour = VERDICT_STYLES[v.verdict]
        verdict = f"[{colour}]{v.verdict}[/{colour}]"
        if not v.trusted:
            verdict += "\n[bold red]not trusted[/bold red]"
        table.add_row(
            f"{claim.id}\n[dim]{claim.about} · {use}[/dim]",
            claim.stated,
            verdict,
            f"{v.tail_probability:.0%}" if v.tail_probability >= 0.01 else "<1%",
            f"{claim.reliability:.0%}→{v.reliability:.0%}",
            khat_text(v),
        )
    console.print(table)
    if any(not v.trusted for v in assessment.verdicts):
        console.print(
            f"[bold red]k-hat above {KHAT_LIMIT}: leaving the claim out by reweighting can't "
            "be trusted, nor can its verdict; --method nuts refits such a claim exactly."
            "[/bold red]"
        )
    console.print(f"[dim]{tally(assessment.verdicts).text()}.[/dim]")


def khat_text(v: Verdict) -> str:
    """The Pareto k-hat of the leave-one-out reweighting behind a verdict, as people read
    it: empty when the verdict needed none, marked when it exceeds the limit."""
    if v.khat is None:
        return ""
    shown = f"{v.khat:.2f}" if math.isfinite(v.khat) else "not estimable"
    if v.refit:
        return f"{shown}\n[dim]refitted[/dim]"
    if not v.trusted:
        return f"[bold red]{shown}[/bold red]"
    return shown


def print_answers(assessment: Assessment, console: Console) -> None:
    """The lab's questions with their posterior probabilities."""
    table = _table("questions")
    table.add_column("question", overflow="fold")
    table.add_column("probability", justify="right", no_wrap=True)
    for a in assessment.answers:
        table.add_row(a.question.text, a.text() + (f" {FLAG}" if a.problems else ""))
    console.print(table)
    failed = [p for a in assessment.answers for p in a.problems]
    if failed:
        console.print(
            f"[yellow]{FLAG} the draws it rests on failed their diagnostics: "
            f"{listed(failed)}[/yellow]"
        )


def print_verdict(result: Estimate, console: Console, among: Iterable[str] | None = None) -> None:
    """The diagnostics and the headline interval, or loudly why it is withheld; the
    quantities that fail their own diagnostics, among ``among`` (default: every one)."""
    d = result.diagnostics
    detail = d.summary
    if d.note:
        detail += f"; {d.note}"
    name = result.spec.headline
    head = result.posterior[name]
    flagged = d.flagged if among is None else d.flagged_among(among)
    if d.passed:
        low, high = head.ci90
        scope = f" for {name}" if flagged else ""
        console.print(f"diagnostics [green]passed[/green]{scope} ({d.method}: {detail})")
        err = max(head.relative_mcse(0.05), head.relative_mcse(0.95))
        console.print(
            f"[bold]{name}[/bold]: median {quantity(head.median, head.unit)}, "
            f"90% credible interval {interval(low, high, head.unit)} "
            f"(MC error of the ends ≤ {err:.1%})"
        )
        if flagged:
            console.print(
                f"[yellow]{len(flagged)} other quantities failed their diagnostics: flagged "
                f"{FLAG} where shown, not to be relied on ({listed(flagged)})[/yellow]"
            )
    else:
        console.print(f"diagnostics [bold red]FAILED[/bold red] ({d.method}: {detail})")
        console.print(
            f"[bold red]no headline interval is published[/bold red]: {'; '.join(d.reasons)}"
        )


def print_comparison(assessment: Assessment, console: Console) -> None:
    """What moved since the last run: new and changed claims, then the quantities."""
    comparison = assessment.comparison
    if comparison is None:
        return
    judged = {v.claim.id: v for v in assessment.verdicts}
    console.print(
        f"compared with the run of {comparison.previous_created or 'unknown date'}"
        + ("" if comparison.inputs_changed else " (same input files)")
    )
    changed = [*comparison.new_claims, *comparison.changed_claims]
    if changed:
        table = _table("new or changed claims")
        table.add_column("claim", style="bold", overflow="fold")
        table.add_column("status", overflow="fold")
        table.add_column("verdict before it was counted", no_wrap=True)
        table.add_column("influence", justify="right", no_wrap=True)
        for claim_id in changed:
            v = judged[claim_id]
            status = (
                "new"
                if claim_id in comparison.new_claims
                else "changed: " + ", ".join(comparison.changed_claims[claim_id])
            )
            influence = v.influence
            moved = (
                "median {}, width {}".format(*influence.text())
                if influence and influence.trusted
                else influence.text()[0]
                if influence
                else "–"
            )
            colour = VERDICT_STYLES[v.verdict]
            table.add_row(claim_id, status, f"[{colour}]{v.verdict}[/{colour}]", moved)
        console.print(table)
    else:
        console.print("no claim is new or changed")
    if comparison.removed_claims:
        console.print("removed claims: " + ", ".join(comparison.removed_claims))
    table = _table("what moved")
    table.add_column("quantity", style="bold", no_wrap=True, overflow="ellipsis", min_width=20)
    table.add_column("before", justify="right", no_wrap=True)
    table.add_column("now", justify="right", no_wrap=True)
    table.add_column("change", justify="right", no_wrap=True)
    derived = set(assessment.estimate.spec.model.derived_names)
    for q in comparison.quantities:
        if q.name not in derived or (
            q.name.startswith("fleet.") and "." in q.name[6:] and not q.name.endswith(".count")
        ):
            continue
        table.add_row(
            q.name,
            f"{number(q.old_median, q.unit)} ({bare(q.old_ci90[0], q.unit)}–"
            f"{bare(q.old_ci90[1], q.unit)})",
            f"{number(q.new_median, q.unit)} ({bare(q.new_ci90[0], q.unit)}–"
            f"{bare(q.new_ci90[1], q.unit)})",
            f"{q.median_change:+.1%}" + (f" {FLAG}" if q.problems else ""),
            style="reverse" if q.name == assessment.estimate.spec.headline else None,
        )
    console.print(table)
    unconverged = comparison.unconverged
    if unconverged:
        console.print(
            f"[bold red]{FLAG} {len(unconverged)} new value(s) failed the diagnostics: marked, "
            f"not publishable ({listed(p for q in unconverged for p in q.problems)})[/bold red]"
        )


def print_history(assessment: Assessment, name: str, console: Console) -> None:
    """A quantity as of each date on which a claim appeared."""
    table = _table(f"{name} over time")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("claims that appeared", overflow="fold")
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("90%", no_wrap=True)
    table.add_column("method", no_wrap=True)
    for row, point in enumerate(assessment.history):
        s = point.quantities[name]
        table.add_row(
            str(row) if row else "",
            point.date.isoformat() if point.date else "prior",
            ", ".join(point.claims),
            number(s.median, s.unit),
            f"{bare(s.ci90[0], s.unit)}–{bare(s.ci90[1], s.unit)}",
            point.label_of(name),
        )
    console.print(table)


def print_new_claims(judged: tuple[Verdict, ...], current: Estimate, console: Console) -> None:
    """Was this news expected? Each new claim against the current posterior."""
    for v in judged:
        q = v.basis_quantiles or {}
        unit = current.posterior[v.claim.quantity].unit
        colour = VERDICT_STYLES[v.verdict]
        console.print(
            f"[bold]{v.claim.id}[/bold] ({v.claim.stated} on {v.claim.subject}): "
            f"[{colour}]{v.verdict}[/{colour}] with the current posterior "
            f"(median {number(q[0.5], unit)}, 90% {bare(q[0.05], unit)}–{bare(q[0.95], unit)}); "
            f"percentile {v.percentile:.0%}, tail probability {v.tail_probability:.1%}, "
            f"probability it is reliable {v.reliability:.0%}"
        )


def print_drivers(result: Estimate, found: Drivers, console: Console) -> None:
    """Tornado, Sobol and delta indices, scenarios and prior sensitivity."""
    name = result.spec.headline
    unit = result.prior[name].unit
    table = _table(f"tornado: {name} as each input goes from its 5% to 95% quantile")
    table.add_column("input", style="bold", no_wrap=True, overflow="ellipsis", min_width=20)
    table.add_column("at 5%", justify="right", no_wrap=True)
    table.add_column("at 95%", justify="right", no_wrap=True)
    table.add_column("swing", justify="right", no_wrap=True)
    for bar in found.tornado[:12]:
        table.add_row(
            bar.input,
            number(bar.output_low, unit),
            number(bar.output_high, unit),
            number(bar.swing, unit),
        )
    console.print(table)
    table = _table(
        f"Sobol indices of {name} over the prior "
        f"({found.sobol.base_samples:,} base samples, 95% CI)"
    )
    table.add_column("input", style="bold", no_wrap=True, overflow="ellipsis", min_width=20)
    table.add_column("first order", justify="right", no_wrap=True)
    table.add_column("total order", justify="right", no_wrap=True)
    for row in found.sobol.rows[:12]:
        table.add_row(
            row.input, f"{row.S1:.3f} ± {row.S1_conf:.3f}", f"{row.ST:.3f} ± {row.ST_conf:.3f}"
        )
    console.print(table)
    if found.delta is not None:
        table = _table("delta index over the posterior (correlated inputs)")
        table.add_column("input", style="bold", no_wrap=True, overflow="ellipsis", min_width=20)
        table.add_column("delta", justify="right", no_wrap=True)
        for delta_row in found.delta.rows[:12]:
            marker = "" if found.delta.above_floor(delta_row) else " [dim](noise level)[/dim]"
            table.add_row(
                delta_row.input + marker, f"{delta_row.delta:.3f} ± {delta_row.delta_conf:.3f}"
            )
        console.print(table)
    table = _table("scenarios")
    table.add_column("scenario", overflow="fold")
    table.add_column(name, justify="right", no_wrap=True)
    table.add_column("90%", no_wrap=True)
    head = result.posterior[name]
    table.add_row(
        "the lab as it is",
        number(head.median, unit),
        f"{bare(head.ci90[0], unit)}–{bare(head.ci90[1], unit)}",
    )
    for o in found.scenarios:
        status = "" if o.passed else " [red](diagnostics failed)[/red]"
        table.add_row(
            o.title + status,
            number(o.headline.median, unit),
            f"{bare(o.headline.ci90[0], unit)}–{bare(o.headline.ci90[1], unit)}",
        )
    console.print(table)
    table = _table(
        "assumptions or evidence? (power-scaling sensitivity ± MC error; 0.05 or more counts)"
    )
    table.add_column("quantity", style="bold", no_wrap=True)
    table.add_column("prior", justify="right", overflow="fold")
    table.add_column("likelihood", justify="right", overflow="fold")
    table.add_column("diagnosis", overflow="fold")
    for p in found.prior_sensitivity:
        table.add_row(p.quantity, p.prior_reading.text(), p.likelihood_reading.text(), p.diagnosis)
    console.print(table)
    if found.prior_sensitivity:
        table = _table("which priors? (each group of priors power-scaled alone)")
        table.add_column("quantity", style="bold", no_wrap=True)
        table.add_column("groups at or near 0.05, largest first", overflow="fold")
        for p in found.prior_sensitivity:
            near = [g for g in p.groups if g.reading.state != "below"]
            shown = "; ".join(f"{g.group.name} {g.reading.text()}" for g in near or p.groups[:3])
            table.add_row(p.quantity, shown if near else f"none alone; largest: {shown}")
        console.print(table)
