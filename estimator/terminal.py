"""What the terminal shows: tables of quantities, through rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from estimator.display import interval, number, quantity, unit_label
from estimator.forward import HEADLINE, ForwardEstimate


def print_quantities(result: ForwardEstimate, console: Console | None = None) -> None:
    """Print every named quantity: median, 90% interval and the interval ends' MC error."""
    console = console or Console()
    spec = result.spec
    window = spec.model.window
    table = Table(
        title=f"{spec.title}\n{window.start} to {window.end} "
        f"({window.years:.2f} years); prior; {result.draws:,} draws, seed {result.seed}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("quantity", style="bold", no_wrap=True)
    for column in ("median", "5%", "95%"):
        table.add_column(column, justify="right", no_wrap=True, min_width=7)
    table.add_column("unit", no_wrap=True, max_width=15, overflow="ellipsis")
    table.add_column("MC err", justify="right", style="dim", no_wrap=True, min_width=6)
    derived = spec.model.derived_names
    inputs = [n for n in spec.model.input_names if n in result.summaries]
    for section, names in (("results", derived), ("inputs", inputs)):
        table.add_section()
        table.add_row(f"[italic]{section}[/italic]", "", "", "", "", "")
        for name in names:
            s = result.summaries[name]
            low, high = s.ci90
            worst = max(s.relative_mcse(0.05), s.relative_mcse(0.95))
            table.add_row(
                name,
                number(s.median, s.unit),
                number(low, s.unit),
                number(high, s.unit),
                unit_label(s.unit),
                f"{worst:.2%}",
                style="reverse" if name == HEADLINE else None,
            )
    console.print(table)
    head = result.summaries[HEADLINE]
    low, high = head.ci90
    console.print(
        f"[bold]{HEADLINE}[/bold] (prior): median {quantity(head.median, head.unit)}, "
        f"90% interval {interval(low, high, head.unit)}"
    )
