"""What the terminal shows: prior and posterior of every quantity, the claims, the
diagnostics verdict and the headline (or why there is none), through rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from estimator.display import bare, interval, number, quantity, unit_label
from estimator.model import HEADLINE
from estimator.posterior import Estimate
from estimator.summaries import Summary


def _cells(s: Summary) -> tuple[str, str]:
    low, high = s.ci90
    return number(s.median, s.unit), f"{bare(low, s.unit)}–{bare(high, s.unit)}"


def print_estimate(result: Estimate, console: Console | None = None) -> None:
    """Print the whole estimate: quantities, claims, diagnostics and headline."""
    console = console or Console()
    print_quantities(result, console)
    if result.spec.claims:
        print_claims(result, console)
    print_verdict(result, console)


def print_quantities(result: Estimate, console: Console) -> None:
    """Every named quantity: prior and posterior median with the 90% interval."""
    spec = result.spec
    window = spec.model.window
    table = Table(
        title=f"{spec.title}\n{window.start} to {window.end} ({window.years:.2f} years); "
        f"median and 90% interval; method {result.diagnostics.method}, seed {result.seed}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("quantity", style="bold", min_width=22, no_wrap=True, overflow="ellipsis")
    table.add_column("prior", justify="right", no_wrap=True)
    table.add_column("90%", style="dim", no_wrap=True)
    table.add_column("posterior", justify="right", no_wrap=True, min_width=9)
    table.add_column("90%", no_wrap=True)
    table.add_column("unit", max_width=9, overflow="ellipsis", no_wrap=True)
    sections = (("results", spec.model.derived_names), ("inputs", spec.model.input_names))
    for section, names in sections:
        table.add_section()
        table.add_row(f"[italic]{section}[/italic]", "", "", "", "", "")
        for name in names:
            prior, posterior = result.prior[name], result.posterior[name]
            if section == "inputs" and prior.sd == 0:
                continue
            table.add_row(
                name,
                *_cells(prior),
                *_cells(posterior),
                unit_label(prior.unit),
                style="reverse" if name == HEADLINE else None,
            )
    console.print(table)


def print_claims(result: Estimate, console: Console) -> None:
    """Each claim with the probability it is reliable, before and after the evidence."""
    table = Table(title="claims", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", style="bold", overflow="fold")
    table.add_column("quantity", overflow="fold")
    table.add_column("claim", overflow="fold")
    table.add_column("use")
    table.add_column("reliable", justify="right")
    evidence = set(result.spec.evidence)
    for claim in result.spec.claims:
        use = claim.use if claim in evidence or claim.use == "check" else "relay"
        posterior = result.reliability.get(claim.id, float("nan"))
        table.add_row(
            claim.id,
            claim.quantity,
            claim.stated,
            use,
            f"{claim.reliability:.0%} → {posterior:.0%}",
        )
    console.print(table)


def print_verdict(result: Estimate, console: Console) -> None:
    """The diagnostics and the headline interval, or loudly why it is withheld."""
    d = result.diagnostics
    if d.method == "is":
        detail = f"Pareto k-hat {d.details['khat']:.2f}, ESS {d.details['ess']:,.0f}"
    elif d.method == "nuts":
        detail = (
            f"max R-hat {d.details['max_rhat']:.3f}, min bulk ESS "
            f"{d.details['min_ess_bulk']:,.0f}, min tail ESS "
            f"{d.details['min_ess_tail']:,.0f}, {d.details['divergences']} divergences"
        )
    else:
        detail = "forward Monte Carlo"
    if d.note:
        detail += f"; {d.note}"
    head = result.posterior[HEADLINE]
    if d.passed:
        low, high = head.ci90
        console.print(f"diagnostics [green]passed[/green] ({d.method}: {detail})")
        err = max(head.relative_mcse(0.05), head.relative_mcse(0.95))
        console.print(
            f"[bold]{HEADLINE}[/bold]: median {quantity(head.median, head.unit)}, "
            f"90% credible interval {interval(low, high, head.unit)} "
            f"(MC error of the ends ≤ {err:.1%})"
        )
    else:
        console.print(f"diagnostics [bold red]FAILED[/bold red] ({d.method}: {detail})")
        console.print(
            f"[bold red]no headline interval is published[/bold red]: {'; '.join(d.reasons)}"
        )
