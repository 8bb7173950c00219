"""The report's figures, drawn with matplotlib and returned as SVG text and PNG bytes.

Every figure is deterministic for the same inputs and seed: SVG ids are salted with the
figure's name and no dates are written into the files.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.drivers.scenarios import ScenarioOutcome
from estimator.inference.estimation import Estimate
from estimator.inference.summaries import Summary
from estimator.model.quantities import CASH_PARTS
from estimator.report.display import number, unit_label
from estimator.report.driver_figures import sobol_figure, tornado_figure
from estimator.report.predictive_figures import claim_rows, loo_pit_figure, predictive_figure
from estimator.report.years import cash_parts, years
from estimator.review.assessment import Assessment
from estimator.review.replay import HistoryPoint
from estimator.review.verdicts import Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PART_COLOURS = ("#2166ac", "#67a9cf", "#1b7837", "#e08214", "#b2182b", "#762a83", "#9e9e9e")
VERDICT_COLOURS = {"consistent": "#1b7837", "in tension": "#e08214", "contradicted": "#b2182b"}
PRIOR_COLOUR, POSTERIOR_COLOUR = "#9e9e9e", "#2166ac"
KDE_POINTS = 20_000


@dataclass(frozen=True)
class Rendered:
    """One figure in both formats."""

    name: str
    title: str
    svg: str
    png: bytes


def render_all(assessment: Assessment) -> list[Rendered]:
    """Every figure of the report."""
    result = assessment.estimate
    head = result.spec.headline
    figures = [
        ("total_spend", f"{head}: prior and posterior", total_spend(result)),
        ("components", "Components: medians, 50% and 90% intervals", components(result)),
        ("claims", "Claims against the posterior", claims_figure(assessment.verdicts)),
        *(
            [
                (
                    "predictive",
                    "What the model expected each claim to say",
                    predictive_figure(claim_rows(result, assessment.verdicts)),
                ),
                (
                    "loo_pit",
                    "Do the claims, taken together, fall where the model expects?",
                    loo_pit_figure(assessment.verdicts, result.seed),
                ),
            ]
            if assessment.verdicts
            else []
        ),
        *(
            [("years", "Spend year by year: the parts of the cash view", years_figure(result))]
            if len(years(result)) > 1
            else []
        ),
        ("learning", "What the evidence taught: inputs, prior vs posterior", learning(result)),
    ]
    found = assessment.drivers
    if found is not None:
        figures.append(
            (
                "tornado",
                f"Tornado: the swing in {head} from each input's 5% to 95% quantile",
                tornado_figure(found.tornado, result.prior[head].unit),
            )
        )
        figures.append(
            ("sobol", f"Sobol indices of {head} over the prior", sobol_figure(found.sobol))
        )
        if found.scenarios:
            figures.append(
                ("scenarios", "Scenarios side by side", scenarios_figure(result, found.scenarios))
            )
    if len(assessment.history) > 1:
        figures.append(
            (
                "history",
                "The estimate over time, claim by claim",
                history_figure(assessment.history, head),
            )
        )
    return [render(name, title, figure) for name, title, figure in figures]


def render(name: str, title: str, figure: Figure) -> Rendered:
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    with mpl.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        svg = io.StringIO()
        figure.savefig(svg, format="svg", metadata={"Date": None}, bbox_inches="tight")
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    plt.close(figure)
    text = svg.getvalue()
    text = text[text.index("<svg") :]  # inline-ready: no XML prolog or DOCTYPE
    return Rendered(name, title, text, png.getvalue())


def _new(rows: int = 1, height: float = 4.0, width: float = 8.0) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(rows, 1, figsize=(width, height), squeeze=False)
    return figure, axes[:, 0]


def _subs(axis: Any) -> tuple[float, ...]:
    """Tick positions within a decade: 1, 2 and 5 on short axes, only 1 on long ones."""
    low, high = axis.get_xlim()
    decades = math.log10(high / low) if low > 0 else 0.0
    return (1.0,) if decades > 2.5 else (1.0, 2.0, 5.0)


def _money_axis(axis: Any, unit: str) -> None:
    """Log-axis ticks labelled in readable units."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.xaxis.set_major_locator(LogLocator(base=10, subs=_subs(axis)))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, unit, 2)))
    axis.xaxis.set_minor_formatter(NullFormatter())


def _ratio_axis(axis: Any) -> None:
    """Log-axis ticks for ratios: x0.2, x1, x5."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.xaxis.set_major_locator(LogLocator(base=10, subs=_subs(axis)))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"×{v:g}"))
    axis.xaxis.set_minor_formatter(NullFormatter())


def _log_density(values: np.ndarray, weights: np.ndarray | None, grid: np.ndarray) -> np.ndarray:
    from scipy.stats import gaussian_kde

    rng = np.random.default_rng(0)
    index = rng.choice(
        len(values),
        size=min(KDE_POINTS, len(values)),
        replace=True,
        p=None if weights is None else weights / weights.sum(),
    )
    logs = np.log10(values[index][values[index] > 0])
    if np.ptp(logs) == 0:
        return np.zeros_like(grid)
    return np.asarray(gaussian_kde(logs)(grid))


def total_spend(result: Estimate) -> Figure:
    """Prior and posterior densities of the headline on a log axis, claims marked."""
    figure, (axis,) = _new(height=3.8)
    head = result.spec.headline
    prior, posterior = result.prior[head], result.posterior[head]
    low = math.log10(min(prior.quantiles[0.05], posterior.quantiles[0.05])) - 0.6
    high = math.log10(max(prior.quantiles[0.95], posterior.quantiles[0.95])) + 0.4
    claims = [c for c in result.spec.claims if c.quantity == head]
    for claim in claims:
        for end in claim.bounds:
            if end is not None:
                low = min(low, math.log10(end) - 0.3)
    grid = np.linspace(low, high, 400)
    density = _log_density(np.asarray(result.prior_draws[head]), None, grid)
    axis.fill_between(10**grid, density, color=PRIOR_COLOUR, alpha=0.35, label="prior")
    density = _log_density(result.values(head), result.sample_weights, grid)
    axis.fill_between(10**grid, density, color=POSTERIOR_COLOUR, alpha=0.55, label="posterior")
    a, b = posterior.ci90
    axis.axvspan(a, b, color=POSTERIOR_COLOUR, alpha=0.08, label="posterior 90% interval")
    top = axis.get_ylim()[1]
    for claim in claims:
        value = claim.value if claim.value is not None else claim.low
        if value is None:
            continue
        axis.axvline(value, color="#333333", linestyle="--", linewidth=1)
        axis.text(value, top * 0.95, f" {claim.id}", rotation=90, va="top", fontsize=8)
    axis.set_xscale("log")
    _money_axis(axis, posterior.unit)
    axis.set_yticks([])
    axis.set_xlabel(f"{head} ({unit_label(posterior.unit)}, log scale)")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=8, frameon=False)
    axis.spines[["top", "right", "left"]].set_visible(False)
    return figure


def _interval_rows(
    axis: Any,
    rows: list[tuple[str, Summary]],
    colour: str,
    offset: float = 0.0,
    label: str | None = None,
) -> None:
    for i, (_, s) in enumerate(rows):
        y = len(rows) - 1 - i + offset
        axis.plot(
            s.ci90,
            [y, y],
            color=colour,
            linewidth=1.2,
            solid_capstyle="butt",
            label=label if i == 0 else None,
        )
        axis.plot(s.ci50, [y, y], color=colour, linewidth=4.0, solid_capstyle="butt")
        axis.plot([s.median], [y], "o", color="white", markeredgecolor=colour, markersize=4)


def components(result: Estimate) -> Figure:
    """Interval bars (median, 50%, 90%) of every result, one panel per unit."""
    groups: dict[str, list[tuple[str, Summary]]] = {}
    for name in result.spec.model.derived_names:
        if "@" in name:
            continue
        s = result.posterior[name]
        if s.quantiles[0.95] > 0:
            groups.setdefault(s.unit, []).append((name, s))
    units = sorted(groups, key=lambda u: -len(groups[u]))
    heights = [0.28 * len(groups[u]) + 0.8 for u in units]
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        len(units),
        1,
        figsize=(8, sum(heights)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, unit in zip(axes[:, 0], units, strict=True):
        rows = groups[unit]
        _interval_rows(axis, rows, POSTERIOR_COLOUR)
        axis.set_yticks(range(len(rows)), [n for n, _ in reversed(rows)], fontsize=8)
        axis.set_xscale("log")
        _money_axis(axis, unit)
        axis.set_title(unit_label(unit), fontsize=9, loc="left")
        axis.grid(axis="x", alpha=0.3)
        axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


def claims_figure(verdicts: tuple[Verdict, ...]) -> Figure:
    """Each claim's value against the interval of its quantity (the distribution its
    verdict is judged on), on a ratio scale centred on that distribution's median."""
    # Claims on quantities that can be negative (a cash burn) have no ratio to show.
    rows = [v for v in verdicts if v.basis_quantiles and not v.claim.linear]
    figure, (axis,) = _new(height=0.32 * len(rows) + 1.2)
    for i, v in enumerate(rows):
        q = v.basis_quantiles or {}
        median = q[0.5]
        y = len(rows) - 1 - i
        axis.plot([q[0.05] / median, q[0.95] / median], [y, y], color=PRIOR_COLOUR, lw=1.2)
        axis.plot([q[0.25] / median, q[0.75] / median], [y, y], color=PRIOR_COLOUR, lw=4)
        colour = VERDICT_COLOURS[v.verdict]
        low, high = v.claim.bounds
        if v.claim.kind == "range" and low is not None and high is not None:
            axis.plot([low / median, high / median], [y, y], color=colour, lw=2.5)
        marker = {"point": "o", "lower_bound": ">", "upper_bound": "<", "range": "|"}[v.claim.kind]
        value = low if low is not None else high
        if value is not None:
            axis.plot([value / median], [y], marker, color=colour, markersize=7)
    axis.set_yticks(range(len(rows)), [v.claim.id for v in reversed(rows)], fontsize=8)
    axis.set_xscale("log")
    _ratio_axis(axis)
    axis.axvline(1.0, color="#cccccc", lw=0.8)
    axis.set_xlabel(
        "claimed value / median of its quantity (log scale); grey: 50% and 90% "
        "intervals without the claim",
        fontsize=8,
    )
    handles = [axis.plot([], [], "o", color=c, label=k)[0] for k, c in VERDICT_COLOURS.items()]
    axis.legend(handles=handles, fontsize=8, frameon=False, loc="lower right")
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def learning(result: Estimate) -> Figure:
    """Prior vs posterior 90% interval of each uncertain input, relative to the prior
    median."""
    names = [n for n in result.spec.stochastic_inputs if result.prior[n].quantiles[0.5] > 0]
    figure, (axis,) = _new(height=0.3 * len(names) + 1.2)
    for i, name in enumerate(names):
        prior, posterior = result.prior[name], result.posterior[name]
        scale = prior.median
        y = len(names) - 1 - i
        for s, colour, dy in ((prior, PRIOR_COLOUR, 0.15), (posterior, POSTERIOR_COLOUR, -0.15)):
            axis.plot(
                [s.ci90[0] / scale, s.ci90[1] / scale],
                [y + dy, y + dy],
                color=colour,
                lw=3,
                solid_capstyle="butt",
            )
            axis.plot([s.median / scale], [y + dy], "|", color="black", markersize=6)
    axis.set_yticks(range(len(names)), list(reversed(names)), fontsize=8)
    axis.set_xscale("log")
    _ratio_axis(axis)
    axis.axvline(1.0, color="#cccccc", lw=0.8)
    axis.plot([], [], color=PRIOR_COLOUR, lw=3, label="prior 90%")
    axis.plot([], [], color=POSTERIOR_COLOUR, lw=3, label="posterior 90%")
    axis.legend(fontsize=8, frameon=False, loc="lower right")
    axis.set_xlabel("relative to the prior median (log scale)", fontsize=8)
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def history_figure(points: tuple[HistoryPoint, ...], name: str) -> Figure:
    """Median and 90% band of a quantity as of each date on which a claim appeared; the
    numbers on the points are the rows of the history table."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    dated = [p for p in points if p.date is not None and name in p.quantities]
    figure, (axis,) = _new(height=4.2)
    if not dated:
        return figure
    x = [p.date for p in dated]
    medians = [p.quantities[name].median for p in dated]
    lows = [p.quantities[name].ci90[0] for p in dated]
    highs = [p.quantities[name].ci90[1] for p in dated]
    axis.fill_between(
        x, lows, highs, step="post", color=POSTERIOR_COLOUR, alpha=0.2, label="90% interval"
    )
    axis.step(x, medians, where="post", color=POSTERIOR_COLOUR, label="median")
    prior = points[0].quantities.get(name)
    if prior is not None:
        axis.axhspan(*prior.ci90, color=PRIOR_COLOUR, alpha=0.12, label="prior 90%")
    failed = False
    for row, point in enumerate(dated, start=1):
        median = point.quantities[name].median
        if point.problems_of(name):  # failed the publication gate: marked, not hidden
            failed = True
            axis.plot([point.date], [median], "X", color="#c0392b", markersize=7)
        else:
            axis.plot([point.date], [median], "o", color=POSTERIOR_COLOUR, markersize=4)
        axis.annotate(
            str(row),
            (point.date, median),
            xytext=(0, 6 + 9 * (row % 2)),
            textcoords="offset points",
            fontsize=7,
            ha="center",
        )
    axis.set_yscale("log")
    unit = dated[-1].quantities[name].unit
    low, high = axis.get_ylim()
    subs = (1.0,) if math.log10(high / low) > 2.5 else (1.0, 2.0, 5.0)
    axis.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, unit, 2)))
    axis.yaxis.set_minor_formatter(NullFormatter())
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    if failed:
        axis.plot([], [], "X", color="#c0392b", label="failed diagnostics (not publishable)")
    axis.set_ylabel(f"{name} (log scale)")
    axis.set_xlabel("numbers: rows of the history table", fontsize=8)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def years_figure(result: Estimate) -> Figure:
    """Each year's cash view, stacked by its parts (posterior means, which add up), with
    the median and 90% interval of the total."""
    rows = years(result)
    figure, (axis,) = _new(height=4.0)
    labels = [y.label for y in rows]
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    for index, name in enumerate(CASH_PARTS):
        heights = np.array([cash_parts(y).get(name, 0.0) for y in rows])
        if not np.any(heights > 0):
            continue
        axis.bar(
            x,
            heights,
            0.6,
            bottom=bottom,
            label=name,
            color=PART_COLOURS[index % len(PART_COLOURS)],
        )
        bottom += heights
    totals = [y.flows["spend.total"] for y in rows]
    medians = np.array([s.median for s in totals])
    low = medians - np.array([s.ci90[0] for s in totals])
    high = np.array([s.ci90[1] for s in totals]) - medians
    axis.errorbar(
        x,
        medians,
        yerr=[low, high],
        fmt="o",
        color="black",
        capsize=4,
        label="spend.total: median, 90%",
    )
    unit = totals[0].unit
    from matplotlib.ticker import FuncFormatter

    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, unit, 2)))
    axis.set_xticks(x, labels)
    axis.set_ylabel(f"spend ({unit_label(unit)})")
    axis.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def scenarios_figure(result: Estimate, outcomes: tuple[ScenarioOutcome, ...]) -> Figure:
    """The headline's median, 50% and 90% intervals under the lab as it is and under each
    scenario."""
    head = result.spec.headline
    rows: list[tuple[str, Summary]] = [("as it is", result.posterior[head])]
    rows += [(o.title, o.headline) for o in outcomes]
    figure, (axis,) = _new(height=0.45 * len(rows) + 1.2)
    _interval_rows(axis, rows, POSTERIOR_COLOUR)
    axis.set_yticks(range(len(rows)), [title for title, _ in reversed(rows)], fontsize=8)
    axis.set_xscale("log")
    _money_axis(axis, rows[0][1].unit)
    axis.set_xlabel(f"{head} (log scale)", fontsize=8)
    axis.grid(axis="x", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    return figure
