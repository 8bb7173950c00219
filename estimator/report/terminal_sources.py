"""The sources in the terminal: each source's claims judged together, how far it is
believed, and how far it moves the headline."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from estimator.report.display import VERDICT_STYLES
from estimator.report.source_rows import class_rows, robustness_rows, source_rows
from estimator.review.assessment import Assessment


def print_sources(assessment: Assessment, console: Console) -> None:
    """One row per source: its claims, verdict, reliability and influence on the headline."""
    headline = assessment.estimate.spec.headline
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
    for row in source_rows(assessment):
        colour = VERDICT_STYLES[row["verdict"]]
        median, width = row["influence_median"], row["influence_width"]
        table.add_row(
            f"{row['id']}\n[dim]{row['credibility']}[/dim]",
            str(row["count"]),
            f"[{colour}]{row['verdict']}[/{colour}]",
            row["reliability"],
            f"{median}\n[dim]{escape(width)}[/dim]" if width else median,
        )
    console.print(table)


def print_classes(assessment: Assessment, console: Console) -> None:
    """The credibility classes' parameters learned from the ledger, one line each."""
    for row in class_rows(assessment):
        line = f"{row['credibility']} {row['parameter']}: prior {row['prior']}, "
        console.print(f"[dim]{escape(line + 'posterior ' + row['posterior'])}[/dim]")


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
