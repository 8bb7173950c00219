"""The sources in the terminal: each source's claims judged together, how far it is
believed, and how far it moves the headline."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from estimator.model.claims import CREDIBILITY
from estimator.report.source_rows import robustness_rows
from estimator.review.assessment import Assessment
from estimator.review.source_verdicts import ClassParameter, SourceVerdict

VERDICT_STYLES = {"consistent": "green", "in tension": "yellow", "contradicted": "bold red"}


def print_sources(found: tuple[SourceVerdict, ...], headline: str, console: Console) -> None:
    """One row per source: its claims, verdict, reliability and influence on the headline."""
    table = Table(
        title=f"sources (each judged without it; its claims share a bias and stand or fall "
        f"together)\n'without it': how {headline}'s median and 90% width move",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("source", style="bold", overflow="fold")
    table.add_column("claims", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("reliable", justify="right", no_wrap=True)
    table.add_column("without it", justify="right", overflow="fold")
    for v in found:
        source = v.source
        prior = (
            source.reliability
            if source.reliability is not None
            else CREDIBILITY[source.credibility].reliability
        )
        colour = VERDICT_STYLES[v.verdict]
        median, width = v.influence.text()
        table.add_row(
            f"{source.id}\n[dim]{source.credibility}[/dim]",
            str(len(v.claims)),
            f"[{colour}]{v.verdict}[/{colour}]",
            f"{prior:.0%}→{v.reliability:.0%}",
            f"{median}\n[dim]width {width}[/dim]" if width else median,
        )
    console.print(table)


def print_classes(learned: tuple[ClassParameter, ...], console: Console) -> None:
    """The credibility classes' parameters learned from the ledger, one line each."""
    for p in learned:
        _, cls, what = p.name.split(".")
        shown = "{:.0%}" if what == "reliability" else "x{:.2f}"
        prior, post = (
            f"{shown.format(m)} [{shown.format(lo)}, {shown.format(hi)}]"
            for m, lo, hi in (p.prior, p.posterior)
        )
        label = "reliability" if what == "reliability" else "noise scale"
        console.print(f"[dim]{escape(f'{cls} {label}: prior {prior}, posterior {post}')}[/dim]")


def print_robustness(assessment: Assessment, console: Console) -> None:
    """The headline under each reading of the evidence."""
    table = Table(
        title=f"how {assessment.estimate.spec.headline} rests on the reading of the claims",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("reading", overflow="fold")
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("90% interval", justify="right", overflow="fold")
    table.add_column("moves", justify="right", no_wrap=True)
    for row in robustness_rows(assessment):
        label = row["label"] + (
            f"\n[bold red]{escape(row['flag'])}[/bold red]" if row["flag"] else ""
        )
        table.add_row(label, row["median"], row["ci"], row["change"])
    console.print(table)
