"""Figures of the predictive checks: every claim against what the model expected it to
say, before and after the other evidence, and the leave-one-out PIT values of all the
claims against the uniform.

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` made without
pyplot; nothing is shown, and the caller saves and closes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.inference.estimation import Estimate
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.posterior import ImportancePosterior
from estimator.inference.summaries import Summary
from estimator.report.display import number, unit_label
from estimator.review.predictive import Pit, PitBand, loo_pit, pit_band, predictive_summary
from estimator.review.verdicts import CONSISTENT, Tally, Verdict, tally

if TYPE_CHECKING:
    from matplotlib.figure import Figure

VERDICT_COLOURS = {"consistent": "#1b7837", "in tension": "#e08214", "contradicted": "#b2182b"}
PRIOR_COLOUR, POSTERIOR_COLOUR, UNTRUSTED_COLOUR = "#9e9e9e", "#2166ac", "#b2182b"
BAND_COLOUR = "#92c5de"
MARKERS = {"point": "o", "lower_bound": ">", "upper_bound": "<", "range": "|"}
ROW_HEIGHT = 0.42
WIDTH = 6.0


@dataclass(frozen=True)
class ClaimRow:
    """One claim of the predictive figure: its verdict, and its predictive under the prior
    and on the basis it is judged on (given the other evidence)."""

    verdict: Verdict
    unit: str
    prior: Summary
    basis: Summary

    @property
    def label(self) -> str:
        """The claim's id, with a warning when its leave-one-out basis can't be trusted."""
        v = self.verdict
        if v.trusted:
            return v.claim.id
        khat = "n/a" if v.khat is None or not math.isfinite(v.khat) else f"{v.khat:.2f}"
        return f"{v.claim.id} (k-hat {khat})"


def claim_rows(result: Estimate, verdicts: Sequence[Verdict]) -> list[ClaimRow]:
    """Every judged claim with its prior predictive and its leave-one-out predictive.

    The prior predictive reads the prior's draws as the verdict reads its basis (the
    claim's quantity through its source, with the claim's noise), no claim counted; the
    leave-one-out predictive is the one the verdict computed on its basis.
    """
    claims = result.spec.evidence
    prior = ImportancePosterior(
        spec=result.spec,
        claims=claims,
        active=np.zeros(len(claims), dtype=bool),
        seed=result.seed,
        prior=result.prior_draws,
    )
    rows = []
    for v in verdicts:
        if v.predictive is None:
            continue
        claim = v.claim
        reading, noise = prior.claim_reading(claim)
        before = predictive_summary(claim, reading, None, result.seed, noise)
        rows.append(ClaimRow(v, result.prior[claim.quantity].unit, before, v.predictive))
    return rows


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _log_ticks(axis: Any, unit: str) -> None:
    """Log-axis ticks in the claim's unit: 1, 2 and 5 per decade on short axes."""
    from matplotlib.ticker import LogLocator, NullFormatter

    low, high = axis.get_xlim()
    subs = (1.0,) if math.log10(high / low) > 2.5 else (1.0, 2.0, 5.0)
    axis.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.xaxis.set_major_formatter(_formatter(unit))
    axis.xaxis.set_minor_formatter(NullFormatter())


def _formatter(unit: str) -> Any:
    """Tick labels in the claim's unit: $1.2B, 50k."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: number(v, unit, 2))


def _panels(rows: list[ClaimRow]) -> list[list[ClaimRow]]:
    """Rows grouped by unit and scale (log, or linear for quantities that can be
    negative), in the order of their first claim."""
    groups: dict[tuple[str, bool], list[ClaimRow]] = {}
    for row in rows:
        groups.setdefault((row.unit, row.verdict.claim.linear), []).append(row)
    return list(groups.values())


def _ends(row: ClaimRow) -> list[float]:
    claim_ends = [b for b in row.verdict.claim.bounds if b is not None]
    return [*row.prior.ci90, *row.basis.ci90, *claim_ends]


def _bar(axis: Any, s: Summary, y: float, colour: str, floor: float, dashed: bool) -> None:
    style = (0, (2, 1.5)) if dashed else "solid"
    low, high = (max(v, floor) for v in s.ci90)
    axis.plot([low, high], [y, y], color=colour, lw=1.6, ls=style, solid_capstyle="butt")
    low, high = (max(v, floor) for v in s.ci50)
    axis.plot([low, high], [y, y], color=colour, lw=6.0, solid_capstyle="butt", alpha=0.85)


def _claim_mark(axis: Any, v: Verdict, y: float) -> None:
    colour = VERDICT_COLOURS[v.verdict]
    claim = v.claim
    low, high = claim.bounds
    if claim.kind == "range" and low is not None and high is not None:
        axis.plot([low, high], [y, y], color=colour, lw=2.5, marker="|", markersize=12, mew=2.5)
        return
    value = low if low is not None else high
    if value is not None:
        axis.plot(
            [value], [y], MARKERS[claim.kind], color=colour, markersize=8, mec="black", mew=0.7
        )


def predictive_figure(rows: list[ClaimRow]) -> Figure:
    """One row per claim: its prior predictive (grey) and its predictive given the other
    evidence (blue), 50% (thick) and 90% (thin) intervals, with the claim's value (a dot),
    bound (a triangle pointing where the claim says the value lies) or range (a bar),
    coloured by verdict. One panel per unit, log scale (linear for quantities that can be
    negative)."""
    panels = _panels(rows)
    if not panels:
        return _figure(WIDTH, 1.0)
    heights = [ROW_HEIGHT * len(p) + 0.75 for p in panels]
    figure = _figure(WIDTH, sum(heights) + 0.9)
    axes = figure.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
        :, 0
    ]
    for axis, panel in zip(axes, panels, strict=True):
        linear = panel[0].verdict.claim.linear
        unit = panel[0].unit
        ends = [e for row in panel for e in _ends(row)]
        if linear:
            low, high = min(ends), max(ends)
            pad = 0.05 * (high - low or 1.0)
            limits = (low - pad, high + pad)
            floor = -math.inf
        else:
            positive = [e for e in ends if e > 0] or [1.0]
            low, high = min(positive), max(positive)
            limits = (low / 10**0.15, high * 10**0.15)
            floor = limits[0]
        n = len(panel)
        for i, row in enumerate(panel):
            y = n - 1 - i
            dashed = not row.verdict.trusted
            _bar(axis, row.prior, y + 0.2, PRIOR_COLOUR, floor, False)
            _bar(axis, row.basis, y - 0.2, POSTERIOR_COLOUR, floor, dashed)
            _claim_mark(axis, row.verdict, y)
        axis.set_yticks(range(n), [row.label for row in reversed(panel)], fontsize=10)
        for tick, row in zip(axis.get_yticklabels(), reversed(panel), strict=True):
            if not row.verdict.trusted:
                tick.set_color(UNTRUSTED_COLOUR)
        axis.set_ylim(-0.6, n - 0.4)
        if not linear:
            axis.set_xscale("log")
        axis.set_xlim(*limits)
        if not linear:
            _log_ticks(axis, unit)
        else:
            axis.xaxis.set_major_formatter(_formatter(unit))
            if limits[0] < 0 < limits[1]:
                axis.axvline(0.0, color="#555555", lw=0.8)
        axis.tick_params(axis="x", labelsize=9)
        axis.set_title(
            f"{unit_label(unit)} ({'linear' if linear else 'log'} scale)",
            fontsize=9.5,
            loc="left",
        )
        axis.grid(axis="x", alpha=0.3)
        axis.spines[["top", "right"]].set_visible(False)
    _predictive_legend(axes[0], any(not row.verdict.trusted for row in rows))
    figure.tight_layout(h_pad=0.6)
    return figure


def _predictive_legend(axis: Any, untrusted: bool) -> None:
    handles = [
        axis.plot([], [], color=PRIOR_COLOUR, lw=6, label="before any evidence (prior)")[0],
        axis.plot([], [], color=POSTERIOR_COLOUR, lw=6, label="given the other evidence")[0],
    ]
    if untrusted:
        handles.append(
            axis.plot(
                [],
                [],
                color=POSTERIOR_COLOUR,
                lw=1.6,
                ls=(0, (2, 1.5)),
                label=f"dashed: k-hat over {KHAT_LIMIT}, not trusted",
            )[0]
        )
    handles += [
        axis.plot([], [], "o", color=c, mec="black", mew=0.7, label=f"claim: {k}")[0]
        for k, c in VERDICT_COLOURS.items()
    ]
    axis.legend(
        handles=handles,
        fontsize=9,
        frameon=False,
        ncol=2,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.08),
        borderaxespad=0.0,
    )


def loo_pit_figure(verdicts: Sequence[Verdict], seed: int) -> Figure:
    """Left: the ECDF of the claims' leave-one-out PIT values against the uniform's
    diagonal, inside ArviZ's simultaneous 95% band. Right: how many verdicts are in tension
    or contradicted, against how many a calibrated model gives by chance."""
    pits = loo_pit(verdicts, seed)
    figure = _figure(WIDTH, 4.0)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2.3, 1.0]})
    if pits:
        _pit_panel(left, pits, pit_band([p.value for p in pits], seed), verdicts)
        figure.legend(
            *left.get_legend_handles_labels(),
            fontsize=8.5,
            frameon=False,
            ncol=2,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
        )
    _tally_panel(right, tally(tuple(verdicts)))
    figure.tight_layout(w_pad=2.0, rect=(0.0, 0.12, 1.0, 1.0))
    return figure


def _pit_panel(axis: Any, pits: Sequence[Pit], band: PitBand, verdicts: Sequence[Verdict]) -> None:
    axis.fill_between(
        band.x,
        band.lower,
        band.upper,
        step="post",
        color=BAND_COLOUR,
        alpha=0.45,
        lw=0,
        label=f"{band.prob:.0%} band of a well-calibrated model",
    )
    axis.plot([0, 1], [0, 1], color="#555555", lw=0.8, ls="--")
    # The ECDF where the band is evaluated (at 0, 1/n, ..., 1), so that the two compare.
    axis.step(band.x, band.ecdf, where="post", color=POSTERIOR_COLOUR, lw=1.8, label="the claims")
    judged = {v.claim.id: v for v in verdicts}
    for p in pits:
        colour = VERDICT_COLOURS[judged[p.claim_id].verdict]
        axis.plot(
            [p.value],
            [-0.05],
            "o",
            ms=5.5,
            mfc="white" if p.randomized else colour,
            mec=colour,
            mew=1.3,
            clip_on=False,
        )
    axis.plot([], [], "o", ms=5.5, color="#555555", label="a claimed value")
    axis.plot(
        [],
        [],
        "o",
        ms=5.5,
        mfc="white",
        mec="#555555",
        mew=1.3,
        label="a bound or range, drawn at random",
    )
    axis.set_xlim(0, 1)
    axis.set_ylim(-0.09, 1.02)
    axis.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    axis.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0", "¼", "½", "¾", "all"])
    axis.tick_params(labelsize=9)
    axis.set_xlabel("where each claim falls in its predictive (percentile)", fontsize=9.5)
    axis.set_ylabel("share of claims at or below", fontsize=9.5)
    axis.spines[["top", "right"]].set_visible(False)


def _tally_panel(axis: Any, found: Tally) -> None:
    from scipy import stats

    chance = stats.binom(found.judged, CONSISTENT)
    low, high = (float(v) for v in chance.ppf([0.05, 0.95]))
    colour = VERDICT_COLOURS["in tension"]
    axis.bar([0], [found.seen], 0.6, color=colour)
    axis.bar([1], [found.expected], 0.6, color=PRIOR_COLOUR)
    axis.errorbar(
        [1],
        [found.expected],
        yerr=[[found.expected - low], [high - found.expected]],
        color="black",
        capsize=5,
        lw=1.2,
    )
    axis.text(0, found.seen, f"{found.seen}", ha="center", va="bottom", fontsize=11)
    axis.text(
        1,
        high,
        f"{found.expected:.1f}\n({low:.0f}–{high:.0f})",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    axis.set_xticks([0, 1], ["seen", "by chance"], fontsize=9.5)
    axis.set_xlim(-0.6, 1.6)
    axis.set_ylim(0, max(found.seen, high) * 1.35 + 0.5)
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.tick_params(axis="y", labelsize=9)
    axis.set_title(f"in tension or contradicted\n(claims, of {found.judged})", fontsize=9.5)
    axis.spines[["top", "right"]].set_visible(False)
