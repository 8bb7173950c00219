"""Which conclusions rest on assumptions and which on evidence: power-scaling sensitivity
of each quantity's posterior to the priors and to the likelihood (Kallioinen et al.,
*Detecting and diagnosing prior and likelihood sensitivity with power-scaling*, Stat
Comput 34, 57, 2024: the method of ArviZ's ``psense``).

Power-scaling raises the prior (or the likelihood) to a power ``alpha`` near 1; the
power-scaled posterior is the same draws reweighted (:mod:`estimator.drivers.power_scaling`:
on each input's unconstrained scale, for all priors at once and for each group of priors
alone). A quantity's sensitivity is the cumulative Jensen-Shannon (CJS) distance between
its posterior and the power-scaled one per unit of ``log2(alpha)``, averaged over
``alpha`` = 0.99 and 1.01, each the larger of the distances of the quantity and of its
negative (as ArviZ and the paper's own package do). How it is measured here:

* **The log of a positive quantity.** Costs span orders of magnitude; a positive
  quantity is judged on its log (a quantity that can be negative, on its value), so that
  its long right tail does not dominate the distance.
* **The range the CDFs are compared over** is the posterior's mean plus or minus
  :data:`RANGE_SDS` standard deviations (99.98% of a normal: about the range 10,000 draws
  span). The paper integrates over the range of the draws, which grows with their number
  and, for weighted draws, spans the whole proposal; a fixed range makes the measure the
  same however many draws there are.
* **Every draw, with its weight** (no resampling), and a **Monte Carlo error**: the
  standard deviation of the sensitivity over :data:`REPLICATES` replicates of a seeded
  Bayesian bootstrap of the draws (a standard exponential weight on each draw; on each
  block of :func:`block_length` consecutive draws of a NUTS chain, whose draws are
  autocorrelated). A sensitivity counts when it exceeds :data:`THRESHOLD` by more than
  :data:`NOISE_SIGMAS` Monte Carlo errors; within that many of it, it is *within noise*.
* **The diagnosis.** Prior sensitive only: the conclusion rests on assumptions (strong
  prior, weak evidence). Likelihood sensitive only: it rests on evidence. Both: it is
  shaped by both prior and evidence, and a *possible prior-data conflict* only where a
  predictive check backs it: an evidence claim bearing on the quantity (about it, or about
  a quantity sharing an uncertain input with it) judged in tension or contradicted by its
  leave-one-out verdict (:mod:`estimator.review.verdicts`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import special

from estimator.drivers.common import TORNADO_QUANTILES, fixed_values
from estimator.drivers.power_scaling import (
    ALPHAS,
    PriorGroup,
    power_scaled_weights,
    prior_groups,
)
from estimator.inference.estimation import Estimate
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.posterior import Posterior
from estimator.model.claims import Claim
from estimator.spec.lab import LabSpec

#: A sensitivity at or above this counts (Kallioinen et al. and ArviZ).
THRESHOLD = 0.05
#: How many Monte Carlo errors above the threshold a sensitivity must be to count.
NOISE_SIGMAS = 2.0
#: Half-width of the range the CDFs are compared over, in posterior standard deviations.
RANGE_SDS = float(special.ndtri(1.0 - 1e-4))
#: Bootstrap replicates behind each Monte Carlo error.
REPLICATES = 64
#: Bins of the grid the CDFs are integrated on (spanning one standard deviation more than
#: the range on either side).
GRID_BINS = 1024
#: Draws whose weights, together, carry less than this share of the sum of squared
#: weights are held at their weight in every bootstrap replicate: their part in the Monte
#: Carlo error is as small, and a quick path's proposal has hundreds of thousands.
LIGHT_SHARE = 1e-3
#: Bootstrap weights held at once (bounds the memory a large posterior needs).
BUDGET = 2**22
State = Literal["above", "below", "within noise"]


@dataclass(frozen=True)
class Reading:
    """One sensitivity with its Monte Carlo error."""

    value: float
    error: float

    @property
    def state(self) -> State:
        """``above`` or ``below`` :data:`THRESHOLD` by more than :data:`NOISE_SIGMAS`
        Monte Carlo errors, ``within noise`` of it otherwise."""
        margin = NOISE_SIGMAS * self.error
        if self.value - margin >= THRESHOLD:
            return "above"
        if self.value + margin < THRESHOLD:
            return "below"
        return "within noise"

    def text(self) -> str:
        """``0.063 ± 0.004``, marked when within noise of the threshold."""
        error = f"{self.error:.3f}" if self.error >= 5e-4 else f"{self.error:.1g}"
        shown = f"{self.value:.3f} ± {error}"
        return f"{shown} (within noise)" if self.state == "within noise" else shown

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "error": self.error, "state": self.state}


@dataclass(frozen=True)
class GroupSensitivity:
    """The sensitivity of a quantity to one group of priors."""

    group: PriorGroup
    reading: Reading

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": list(self.group.inputs), **self.reading.to_dict()}


@dataclass(frozen=True)
class PriorSensitivity:
    """Power-scaling sensitivity of one quantity's posterior.

    Attributes
    ----------
    quantity : str
        The quantity.
    prior, likelihood : float
        Sensitivity to all priors at once, and to the likelihood of the claims.
    prior_error, likelihood_error : float
        Their Monte Carlo errors.
    groups : tuple of GroupSensitivity
        The sensitivity to each group of priors alone, largest first.
    scale : {"log", "natural"}
        Whether the quantity was judged on its log (a positive quantity) or its value.
    draws : int
        The posterior draws it was measured on.
    khat : float
        The largest Pareto k-hat of the power-scaled weights.
    tension : tuple of str
        For a quantity sensitive to both prior and likelihood, the evidence claims bearing
        on it whose verdict is in tension or contradicted (:func:`claims_in_tension`).
    """

    quantity: str
    prior: float
    likelihood: float
    prior_error: float = 0.0
    likelihood_error: float = 0.0
    groups: tuple[GroupSensitivity, ...] = ()
    scale: Literal["log", "natural"] = "log"
    draws: int = 0
    khat: float = -math.inf
    tension: tuple[str, ...] = ()

    @property
    def prior_reading(self) -> Reading:
        """The prior sensitivity with its error."""
        return Reading(self.prior, self.prior_error)

    @property
    def likelihood_reading(self) -> Reading:
        """The likelihood sensitivity with its error."""
        return Reading(self.likelihood, self.likelihood_error)

    @property
    def diagnosis(self) -> str:
        """What the two sensitivities say, in words (module docstring)."""
        prior, likelihood = self.prior_reading.state, self.likelihood_reading.state
        if prior == "above" and likelihood == "above":
            text = "shaped by both prior and evidence"
            if self.tension:
                text = f"possible prior-data conflict ({', '.join(self.tension)} in tension)"
        elif prior == "above":
            text = "rests on assumptions (strong prior, weak evidence)"
        elif likelihood == "above":
            text = "rests on evidence"
        elif prior == likelihood == "below":
            text = "insensitive to both"
        else:
            text = "not clearly sensitive to either"
        noisy = [
            name
            for name, state in (("prior", prior), ("likelihood", likelihood))
            if state == "within noise"
        ]
        if noisy:
            text += f"; {' and '.join(noisy)} sensitivity within noise"
        if self.khat > KHAT_LIMIT:
            text += f"; power-scaled weights unreliable (k-hat {self.khat:.2f})"
        return text

    def rests_on(self) -> tuple[GroupSensitivity, ...]:
        """The groups of priors the quantity is clearly sensitive to, largest first."""
        return tuple(g for g in self.groups if g.reading.state == "above")

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "likelihood": self.likelihood,
            "prior_error": self.prior_error,
            "likelihood_error": self.likelihood_error,
            "prior_state": self.prior_reading.state,
            "likelihood_state": self.likelihood_reading.state,
            "threshold": THRESHOLD,
            "scale": self.scale,
            "draws": self.draws,
            "khat": self.khat if math.isfinite(self.khat) else None,
            "groups": {g.group.name: g.to_dict() for g in self.groups},
            "tension": list(self.tension),
            "diagnosis": self.diagnosis,
        }


# ---------------------------------------------------------------------------------------
# The CJS distance between weighted CDFs, and its bootstrap
# ---------------------------------------------------------------------------------------


def block_length(fit: Posterior) -> int:
    """Consecutive draws that share a bootstrap weight: one for independent draws (the
    quick path's), the cube root of a chain's length for NUTS chains (the usual block
    length for the variance of a mean of a stationary series)."""
    if fit.method != "nuts":
        return 1
    per_chain = fit.chains(np.zeros(fit.size)).shape[1]
    return max(1, round(per_chain ** (1 / 3)))


def _blocks(fit: Posterior) -> np.ndarray:
    """The bootstrap block of each draw (:func:`block_length` consecutive draws of a
    chain)."""
    length = block_length(fit)
    if length == 1:
        return np.arange(fit.size)
    block = np.empty(fit.size, dtype=np.int64)
    start = 0
    for chain in fit.chains(np.arange(fit.size)):
        block[chain] = start + np.arange(len(chain)) // length
        start += -(-len(chain) // length)
    return block


def _light(strength: np.ndarray) -> np.ndarray:
    """Which draws are light: the weakest, whose squared weights sum to at most
    :data:`LIGHT_SHARE` of all of them."""
    squares = strength.astype(float) ** 2
    order = np.argsort(squares)
    share = np.cumsum(squares[order]) / squares.sum()
    light = np.zeros(len(strength), dtype=bool)
    light[order[: int(np.searchsorted(share, LIGHT_SHARE, side="right"))]] = True
    return light


def _xlogx(v: np.ndarray) -> np.ndarray:
    return np.asarray(v * np.log(np.where(v > 0, v, 1.0)))


def _cjs(p: np.ndarray, q: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The normalised, symmetrised CJS distance between CDFs ``p`` and ``q`` given at the
    grid points, integrated with ``weights`` (last axis)."""
    divergence = (_xlogx(p) + _xlogx(q) - 2 * _xlogx(0.5 * (p + q))) / math.log(2)
    bound = np.sum(weights * (p + q), axis=-1)
    numerator = np.maximum(np.sum(weights * divergence, axis=-1), 0.0)
    return np.sqrt(numerator / np.where(bound > 0, bound, 1.0))


def _spread(edges: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Trapezoid weights of the grid points ``edges`` for integrals over ``[lo, hi]`` (one
    range per row), extended by the end values beyond the grid."""
    step = edges[1] - edges[0]
    weights = np.zeros((len(lo), len(edges)))
    left = np.clip(lo[:, None], edges[None, :-1], edges[None, 1:])
    right = np.clip(hi[:, None], edges[None, :-1], edges[None, 1:])
    width = np.maximum(right - left, 0.0)
    position = ((left + right) / 2 - edges[None, :-1]) / step
    weights[:, :-1] += width * (1 - position)
    weights[:, 1:] += width * position
    weights[:, 0] += np.maximum(edges[0] - lo, 0.0)
    weights[:, -1] += np.maximum(hi - edges[-1], 0.0)
    return weights


def _sensitivities(
    y: np.ndarray,
    weights: np.ndarray,
    blocks: np.ndarray,
    rng: np.random.Generator,
    replicates: int,
) -> np.ndarray:
    """The sensitivity to each scaling, for the draws as they are (row 0) and for each
    bootstrap replicate.

    ``weights`` holds normalised weights of the draws: the posterior's first, then each
    scaling's at ``alpha`` = 0.99 and 1.01; ``blocks`` the bootstrap block of each draw.
    Returns shape ``(1 + replicates, scalings)``.
    """
    count = len(weights)
    base = weights[0].astype(float)
    mean = float(np.dot(base, y))
    sd = math.sqrt(max(float(np.dot(base, (y - mean) ** 2)), 0.0))
    if sd == 0.0:
        return np.zeros((1 + replicates, (count - 1) // 2))
    centred = (y - mean) / sd
    # What is summed per grid segment: each weighting, and the base's first two moments
    # (each replicate's range is its own mean and standard deviation).
    rows = np.vstack([weights, base * centred, base * centred**2]).astype(np.float32)
    grid = np.linspace(-RANGE_SDS - 1, RANGE_SDS + 1, GRID_BINS + 1)
    segment = np.searchsorted(grid, centred, side="left")
    light = _light(weights.max(axis=0))
    fixed = np.stack(
        [np.bincount(segment[light], row[light], minlength=GRID_BINS + 2) for row in rows]
    )
    heavy = np.flatnonzero(~light)
    heavy = heavy[np.argsort(segment[heavy], kind="stable")]
    rows, block = rows[:, heavy], np.unique(blocks[heavy], return_inverse=True)[1]
    bounds = np.searchsorted(segment[heavy], np.arange(GRID_BINS + 3), side="left")
    spans = [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]
    chunk = max(1, min(1 + replicates, BUDGET // max(len(heavy), 1)))
    results = []
    for start in range(0, 1 + replicates, chunk):
        size = min(chunk, 1 + replicates - start)
        draws = rng.standard_exponential((size, int(block.max()) + 1), dtype=np.float32)
        if start == 0:
            draws[0] = 1.0  # row 0: the draws as they are
        draws = draws[:, block]
        masses = np.broadcast_to(fixed, (size, *fixed.shape)).copy()
        for a, b in spans:
            masses[:, :, segment[heavy[a]]] += draws[:, a:b] @ rows[:, a:b].T
        results.append(_from_masses(masses, grid))
    return np.vstack(results)


def _from_masses(masses: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Sensitivities from the weight of each grid segment under each weighting (rows of
    :func:`_sensitivities`: the weightings, then the base's first two moments)."""
    count = masses.shape[1] - 2
    totals = masses[:, :count].sum(axis=2)
    cdf = np.clip(np.cumsum(masses[:, :count, :-1], axis=2) / totals[:, :, None], 0.0, 1.0)
    first = masses[:, count].sum(axis=1) / totals[:, 0]
    second = masses[:, count + 1].sum(axis=1) / totals[:, 0]
    sd = np.sqrt(np.maximum(second - first**2, 0.0))
    spread = _spread(grid, first - RANGE_SDS * sd, first + RANGE_SDS * sd)[:, None]
    base, scaled = cdf[:, :1], cdf[:, 1:]
    distance = np.maximum(_cjs(base, scaled, spread), _cjs(1 - base, 1 - scaled, spread))
    per_alpha = distance.reshape(len(masses), -1, len(ALPHAS)) / np.abs(np.log2(ALPHAS))
    return np.asarray(per_alpha.mean(axis=2))


# ---------------------------------------------------------------------------------------
# Claims that back a prior-data conflict
# ---------------------------------------------------------------------------------------


def uncertain_inputs(spec: LabSpec, names: Sequence[str]) -> dict[str, frozenset[str]]:
    """The stochastic inputs each named quantity moves with: every input moved alone from
    its median to its 5% and 95% quantiles (as the tornado does), the others at theirs."""
    inputs = spec.stochastic_inputs
    rows = 1 + 2 * len(inputs)
    table: dict[str, np.ndarray | float] = dict(fixed_values(spec))
    for k, name in enumerate(inputs):
        ppf = spec.priors[name].belief.ppf
        median, low, high = (
            float(np.asarray(ppf(q)).reshape(-1)[0]) for q in (0.5, *TORNADO_QUANTILES)
        )
        column = np.full(rows, median)
        column[1 + 2 * k], column[2 + 2 * k] = low, high
        table[name] = column
    evaluated = spec.model.evaluate(table)
    out = {}
    for name in names:
        value = np.broadcast_to(np.asarray(evaluated[name], dtype=float), (rows,))
        moved = ~np.isclose(value[1:], value[0], rtol=1e-9, atol=0.0, equal_nan=True)
        out[name] = frozenset(n for k, n in enumerate(inputs) if moved[2 * k] or moved[2 * k + 1])
    return out


def bearing_claims(spec: LabSpec, name: str) -> tuple[Claim, ...]:
    """The evidence claims bearing on a quantity: about it, or about a quantity that
    shares an uncertain input with it."""
    evidence = spec.evidence
    behind = uncertain_inputs(spec, list(dict.fromkeys([name, *(c.quantity for c in evidence)])))
    return tuple(c for c in evidence if c.quantity == name or behind[name] & behind[c.quantity])


def claims_in_tension(
    result: Estimate, name: str, out_of_line: Collection[str] | None
) -> tuple[str, ...]:
    """The evidence claims bearing on a quantity (:func:`bearing_claims`) whose verdict
    is in tension or contradicted on a trusted basis (``out_of_line``, their ids, as the
    claims' verdicts found them; ``None``: no verdicts, so none)."""
    if not out_of_line:
        return ()
    return tuple(c.id for c in bearing_claims(result.spec, name) if c.id in out_of_line)


# ---------------------------------------------------------------------------------------
# The analysis
# ---------------------------------------------------------------------------------------


def prior_sensitivity(
    result: Estimate,
    names: list[str],
    seed: int = 0,
    out_of_line: Collection[str] | None = None,
    replicates: int = REPLICATES,
) -> tuple[PriorSensitivity, ...]:
    """Prior and likelihood power-scaling sensitivity of each named quantity, with its
    Monte Carlo error and its sensitivity to each group of priors (module docstring).

    Parameters
    ----------
    result : Estimate
        The posterior; every one of its draws is used, with its weight.
    names : list of str
        The quantities; one the same in every draw (a renter's hardware capex) is left out.
    seed : int
        Seed of the bootstrap behind the Monte Carlo errors.
    out_of_line : collection of str, optional
        The ids of the claims whose verdict is in tension or contradicted on a trusted
        basis: what makes a quantity sensitive to both prior and likelihood a possible
        prior-data conflict (without them, none is called one).
    replicates : int
        Bootstrap replicates (at least 2).
    """
    fit = result.fit
    names = [n for n in names if np.ptp(fit.values(n)) > 0]
    if not names:
        return ()
    groups = prior_groups(result.spec)
    weights, khat = power_scaled_weights(result, groups)
    blocks = _blocks(fit)
    out = []
    for index, name in enumerate(names):
        x = np.asarray(fit.values(name), dtype=float)
        positive = bool(np.all(x > 0))
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        found = _sensitivities(np.log(x) if positive else x, weights, blocks, rng, replicates)
        value, error = found[0], found[1:].std(axis=0, ddof=1)
        by_group = sorted(
            (
                GroupSensitivity(group, Reading(float(value[1 + g]), float(error[1 + g])))
                for g, group in enumerate(groups)
            ),
            key=lambda s: -s.reading.value,
        )
        found_here = PriorSensitivity(
            quantity=name,
            prior=float(value[0]),
            likelihood=float(value[-1]),
            prior_error=float(error[0]),
            likelihood_error=float(error[-1]),
            groups=tuple(by_group),
            scale="log" if positive else "natural",
            draws=fit.size,
            khat=khat,
        )
        if found_here.prior_reading.state == found_here.likelihood_reading.state == "above":
            tension = claims_in_tension(result, name, out_of_line)
            found_here = dataclasses.replace(found_here, tension=tension)
        out.append(found_here)
    return tuple(out)
