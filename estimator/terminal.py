"""What the terminal shows: tables of quantities, through rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from estimator.display import interval, quantity
from estimator.forward import HEADLINE, ForwardEstimate


def print_quantities(result: ForwardEstimate, console: Console | None = None) -> None:
    """Print every named quantity: median, 90% interval and the interval ends' MC error."""
    console = console or Console()
    spec = result.spec
    window = spec.model.window
    table = Table(title=f"{spec.title}\n{window.start} to {window.end} "
                  f"({window.years:.2f} years), prior, {result.draws:,} draws, seed {result.seed}",
                  title_justify="left")
    table.add_column("quantity", style="bold")
    table.add_column("median", justify="right")
    table.add_column("90% interval", justify="right")
    table.add_column("MC error (5%, 95%)", justify="right", style="dim")
    derived = spec.model.derived_names
    inputs = [n for n in spec.model.input_names if n in result.summaries]
    for section, names in (("results", derived), ("inputs", inputs)):
        table.add_section()
        table.add_row(f"[italic]{section}[/italic]", "", "", "")
        for name in names:
            s = result.summaries[name]
            low, high = s.ci90
            style = "reverse" if name == HEADLINE else None
            table.add_row(name, quantity(s.median, s.unit), interval(low, high, s.unit),
                          f"{s.relative_mcse(0.05):.2%}, {s.relative_mcse(0.95):.2%}",
                          style=style)
    console.print(table)
    head = result.summaries[HEADLINE]
    low, high = head.ci90
    console.print(f"[bold]{HEADLINE}[/bold] (prior): median {quantity(head.median, head.unit)}, "
                  f"90% interval {interval(low, high, head.unit)}")
