"""Figures of the sensitivity analyses: a tornado of one-at-a-time swings and the Sobol'
indices with their confidence intervals.

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` drawn with the Agg
backend; nothing is shown, and the caller saves and closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.drivers.sobol import SobolResult
from estimator.drivers.tornado import TornadoBar
from estimator.report.display import number, unit_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LOW_COLOUR, HIGH_COLOUR = "#4393c3", "#d6604d"
S1_COLOUR, ST_COLOUR = "#92c5de", "#2166ac"


def _figure(rows: int) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8.0, 0.32 * rows + 1.4))
    return figure, axis


def tornado_figure(
    bars: Sequence[TornadoBar], unit: str, top: int = 15, *, title: str = ""
) -> Figure:
    """Horizontal bars from the base value to the quantity with each input at its low and
    at its high quantile, the largest swings at the top.

    Parameters
    ----------
    bars : sequence of TornadoBar
        From :func:`estimator.drivers.tornado.tornado` (sorted by swing).
    unit : str
        Canonical unit of the quantity, for the axis.
    top : int
        Most bars shown (the first ``top``).
    title : str
        Title of the figure (e.g. the quantity's name).

    Returns
    -------
    Figure
        Two bars per input shown: to the output at the input's low quantile and at its
        high quantile. The x axis is logarithmic when every value shown is positive.
    """
    shown = list(bars[:top])
    figure, axis = _figure(len(shown))
    if not shown:
        axis.text(0.5, 0.5, "no uncertain inputs", ha="center", va="center")
        axis.set_axis_off()
        return figure
    base = shown[0].base
    labels = []
    for i, bar in enumerate(shown):
        y = len(shown) - 1 - i
        for output, colour in ((bar.output_low, LOW_COLOUR), (bar.output_high, HIGH_COLOUR)):
            left, right = sorted((base, output))
            axis.barh(y, right - left, left=left, height=0.6, color=colour)
        labels.append(bar.input)
    axis.set_yticks(range(len(shown)), list(reversed(labels)), fontsize=8)
    values = [base] + [v for b in shown for v in (b.output_low, b.output_high)]
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if min(values) > 0:
        axis.set_xscale("log")
        low, high = min(values), max(values)
        pad = (high / low) ** 0.05 if high > low else 1.1
        axis.set_xlim(low / pad, high * pad)
        decades = np.log10(high / low) if high > low else 0.0
        subs = (1.0, 2.0, 3.0, 5.0) if decades < 1 else (1.0, 2.0, 5.0) if decades < 2.5 else (1.0,)
        axis.xaxis.set_major_locator(LogLocator(base=10, subs=subs))

    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, unit, 2)))
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.axvline(base, color="#333333", lw=0.8)
    axis.set_xlabel(
        f"{title or 'quantity'} ({unit_label(unit)}): base {number(base, unit)} with every "
        "input at its median",
        fontsize=8,
    )
    from matplotlib.patches import Patch

    handles = [
        Patch(color=LOW_COLOUR, label="input at its 5% quantile"),
        Patch(color=HIGH_COLOUR, label="input at its 95% quantile"),
    ]
    axis.legend(handles=handles, fontsize=8, frameon=False, loc="lower right")
    if title:
        axis.set_title(title, fontsize=9, loc="left")
    axis.grid(axis="x", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


def sobol_figure(result: SobolResult, top: int = 15) -> Figure:
    """First- and total-order Sobol' indices of the largest factors, with their 95%
    bootstrap confidence intervals as error bars.

    Parameters
    ----------
    result : SobolResult
        From :func:`estimator.drivers.sobol.sobol_indices` (sorted by ST).
    top : int
        Most factors shown (the first ``top``).

    Returns
    -------
    Figure
        Two bars per factor shown: S1 and ST.
    """
    shown = list(result.rows[:top])
    figure, axis = _figure(len(shown))
    positions = np.arange(len(shown))[::-1].astype(float)
    height = 0.38
    axis.barh(
        positions + height / 2,
        [r.S1 for r in shown],
        height=height,
        xerr=[r.S1_conf for r in shown],
        color=S1_COLOUR,
        error_kw={"lw": 0.8, "capsize": 2},
        label="first order S1 (alone)",
    )
    axis.barh(
        positions - height / 2,
        [r.ST for r in shown],
        height=height,
        xerr=[r.ST_conf for r in shown],
        color=ST_COLOUR,
        error_kw={"lw": 0.8, "capsize": 2},
        label="total order ST (with interactions)",
    )
    axis.set_yticks(positions, [r.input for r in shown], fontsize=8)
    high = max([1.0, *(r.ST + r.ST_conf for r in shown), *(r.S1 + r.S1_conf for r in shown)])
    axis.set_xlim(min([0.0, *(r.S1 - r.S1_conf for r in shown)]), high)
    axis.axvline(0.0, color="#333333", lw=0.8)
    axis.set_xlabel(
        f"share of the prior variance of {result.quantity} "
        f"(N = {result.base_samples}, {result.conf_level:.0%} intervals)",
        fontsize=8,
    )
    axis.legend(fontsize=8, frameon=False, loc="lower right")
    axis.grid(axis="x", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure
