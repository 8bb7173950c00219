"""Simulation-based calibration (SBC) of the reduced lab: truths from the prior, claims
from the likelihood, fits on both inference paths, and a test of the posterior ranks'
uniformity with ArviZ's simultaneous ECDF bands.

How claims are simulated
------------------------
A claim's likelihood (:mod:`estimator.model.likelihood`) must be, as a function of the
true quantity ``q``, exactly the probability of what was simulated. Each source reads
``q * exp(e)``, ``e ~ Normal(0, s)``, with ``s`` its noise when reliable (probability
``reliability``) and :data:`~estimator.model.claims.WRONG_CLAIM_SIGMA` when wrong.

* A *point* source reports its reading ``v``: the density of ``log v`` is
  ``Normal(log q, s)``, the point likelihood (which keeps its ``-log s``, so the two
  components mix as densities; ``1 / v`` is free of ``q``).
* A *bound* source has a threshold ``t`` drawn independently of ``q`` (around the prior's
  median, with the prior's spread) and says on which side of it its reading fell:
  "above ``t``" (a lower bound) with probability ``Phi((log q - log t) / s)``, the lower
  bound's likelihood, else "below ``t``" (an upper bound), ``Phi((log t - log q) / s)``.
* A *range* source has two such cut-points ``a < b`` and reports below ``a`` (an upper
  bound), between them (a range, ``Phi((log q - log a) / s) - Phi((log q - log b) / s)``)
  or above ``b`` (a lower bound).

Mixing the two noises with the reliability gives the mixture the likelihood uses. The
cut-points' law does not involve ``q``, so it drops out of the posterior. Reporting a
bound *at* the reading (``t = q * exp(e)``, "above ``t``") would not do: the chance of that
report is a density in ``t``, the point likelihood, not ``Phi``. No law of ``t`` that is
free of ``q`` makes a bound of fixed kind follow ``Phi`` either (its total probability
would depend on ``q``), so the kind is part of what is simulated.

The fits
--------
The quick path reweights one prior sample shared by every replicate, drawn with a seed of
its own: independent of the truths, so a truth is never one of the weighted draws. Each
replicate's log ratios are its claims' :func:`~estimator.inference.importance.claim_logliks`
summed, Pareto-smoothed by :func:`~estimator.inference.importance.reweight`, as the quick
path does. NUTS fits one compiled model: ranks are uniform given any function of the data,
the kinds reported included, so the model holds a claim for every kind each source can
report, and each fit switches on (``claim_active``) the ones reported and gives every
claim its ends as data.

How it is judged
----------------
Each replicate gives each target quantity's PIT: the posterior probability below the
truth (weighted on the quick path). Replicates are independent, so under a correct fit the
PITs of one target are independent uniforms, and their ECDF must stay inside ArviZ's
simultaneous band (:func:`arviz_stats.ecdf_utils.ecdf_pit`, Säilynoja et al. 2022). The
band of each of the ``k`` targets has level ``1 - (1 - level) / k`` (Bonferroni), so a
correct fit fails with probability at most ``1 - level`` over all targets together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from estimator.inference.forward import Draws, simulate
from estimator.inference.importance import claim_logliks, reweight
from estimator.inference.nuts import NutsSettings, sample
from estimator.inference.pymc_model import claim_bounds
from estimator.model.claims import WRONG_CLAIM_SIGMA, Claim, Kind
from estimator.model.likelihood import claim_ends
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

#: The quantities whose PITs are tested: the two uncertain inputs, the chips' cost (the
#: range claim's subject) and the lab's total spend.
TARGETS = ("fleet.x.count", "fleet.x.unit_price", "gpu_spend", "spend.total")
#: Family-wise level of the band check over all targets of one SBC: a correct fit fails it
#: for one choice of seeds in a hundred, so a harmless change that reshuffles the draws
#: rarely breaks it; a higher level would cost power against a mildly wrong noise (the
#: x1.5 check, the weakest of the wrong fits tested).
LEVEL = 0.99
#: Simulations behind ArviZ's band, and the seed of its generator.
BAND_SIMULATIONS = 4000
BAND_SEED = 20240601
#: Prior draws the quick path reweights.
FIT_DRAWS = 2**13
#: Replicates of the slow checks, on each path.
SLOW_REPLICATES = 1000
NUTS_REPLICATES = 200
#: Seeds of the fitting prior sample, of the truths and claims, and of NUTS.
FIT_SEED = 101
TRUTH_SEED = 202
NUTS_SEED = 404
#: Small NUTS fits: the reduced lab has two free variables.
NUTS_SETTINGS = NutsSettings(chains=2, draws=250, tune=250)


@dataclass(frozen=True)
class Source:
    """One source of the SBC lab: what it speaks about, its noise and reliability, and the
    kinds it can report, in the order of its reading (``cuts`` cut-points make
    ``cuts + 1`` outcomes; none: a point)."""

    id: str
    quantity: str
    unit: str
    noise: float
    reliability: float
    cuts: int
    #: Half the log-width between a range source's two cut-points.
    half_width: float = 0.0

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The kind of claim each outcome makes."""
        if self.cuts == 0:
            return ("point",)
        between: Kind = "range"
        return ("upper_bound", *(between,) * (self.cuts - 1), "lower_bound")


SOURCES = (
    Source("count", "fleet.x.count", "GPU", noise=0.12, reliability=0.8, cuts=0),
    Source("price", "fleet.x.unit_price", "USD/GPU", noise=0.1, reliability=0.9, cuts=1),
    Source("spend", "gpu_spend", "USD", noise=0.2, reliability=0.7, cuts=2, half_width=0.3),
)


def sbc_lab(folder: Path) -> LabSpec:
    """The reduced lab with one claim per source (its values are replaced by simulation)."""
    entries: list[dict[str, object]] = []
    for source in SOURCES:
        entry: dict[str, object] = {
            "id": source.id,
            "quantity": source.quantity,
            "unit": source.unit,
            "noise": source.noise,
            "reliability": source.reliability,
        }
        if source.cuts == 2:
            entry.update(kind="range", low=1.0, high=2.0)
        else:
            entry.update(kind="point" if source.cuts == 0 else "lower_bound", value=1.0)
        entries.append(entry)
    files = {**REDUCED_LAB, "claims.toml": claims_toml(*entries)}
    spec = load_lab(write_lab(folder, files))
    # The truths are plain prior draws: no constraint may reweight them.
    assert not spec.model.constraints
    return spec


@dataclass(frozen=True)
class Replicates:
    """Simulated truths and what each source reported about them.

    ``truths`` holds every quantity, one entry per replicate; for each source, ``readings``
    are its noisy readings, ``cuts`` its cut-points (replicates x cuts) and ``outcomes``
    the index of the kind it reported (:attr:`Source.kinds`); ``wrong`` says which
    readings came from the wrong-claim component.
    """

    truths: dict[str, np.ndarray]
    readings: dict[str, np.ndarray]
    cuts: dict[str, np.ndarray]
    outcomes: dict[str, np.ndarray]
    wrong: dict[str, np.ndarray]

    @property
    def count(self) -> int:
        return len(next(iter(self.truths.values())))

    def claim(self, template: Claim, source: Source, index: int, outcome: int) -> Claim:
        """The claim ``source`` makes in replicate ``index`` if its outcome is ``outcome``
        (the one it made, or, for NUTS's unused slots, another)."""
        if source.cuts == 0:
            reading = float(self.readings[source.id][index])
            return dataclasses.replace(template, kind="point", value=reading)
        cuts = self.cuts[source.id][index]
        below = float(cuts[outcome - 1]) if outcome > 0 else None
        above = float(cuts[outcome]) if outcome < source.cuts else None
        kind = source.kinds[outcome]
        if kind == "range":
            return dataclasses.replace(template, kind="range", value=None, low=below, high=above)
        value = below if kind == "lower_bound" else above
        return dataclasses.replace(template, kind=kind, value=value, low=None, high=None)

    def claims(self, spec: LabSpec, index: int) -> tuple[Claim, ...]:
        """The claims made in replicate ``index``."""
        templates = templates_of(spec)
        return tuple(
            self.claim(templates[s.id], s, index, int(self.outcomes[s.id][index])) for s in SOURCES
        )


def templates_of(spec: LabSpec) -> dict[str, Claim]:
    return {c.id: c for c in spec.evidence}


def simulate_replicates(
    spec: LabSpec, count: int, seed: int, reference: Mapping[str, np.ndarray]
) -> Replicates:
    """``count`` truths drawn from the prior and the sources' claims about them.

    ``reference`` is a prior sample independent of the truths: the cut-points are drawn
    from a normal on the log scale with its median and spread.
    """
    truths = dict(simulate(spec, count, seed=seed).values)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    readings, cuts, outcomes, wrong = {}, {}, {}, {}
    for source in SOURCES:
        q = truths[source.quantity]
        wrong[source.id] = rng.random(count) >= source.reliability
        sigma = np.where(wrong[source.id], WRONG_CLAIM_SIGMA, source.noise)
        log_reading = np.log(q) + sigma * rng.standard_normal(count)
        readings[source.id] = np.exp(log_reading)
        log_ref = np.log(reference[source.quantity])
        centre = np.median(log_ref) + np.std(log_ref) * rng.standard_normal(count)
        offsets = np.linspace(-source.half_width, source.half_width, source.cuts)
        log_cuts = centre[:, None] + offsets[None, :]
        cuts[source.id] = np.exp(log_cuts)
        outcomes[source.id] = np.sum(log_reading[:, None] > log_cuts, axis=1)
    return Replicates(truths, readings, cuts, outcomes, wrong)


#: How the fitting model treats a claim: the identity, or a deliberate error.
Fit = Callable[[Claim], Claim]


def correct(claim: Claim) -> Claim:
    return claim


def noise_times(factor: float) -> Fit:
    """A fit whose claims' noise is ``factor`` times the simulated one."""
    return lambda claim: dataclasses.replace(claim, noise=claim.noise * factor)


def without_mixture(claim: Claim) -> Claim:
    """A fit that trusts every claim (reliability 1): no wrong-claim component."""
    return dataclasses.replace(claim, reliability=1.0)


def outcome_claims(
    spec: LabSpec, replicates: Replicates, source: Source, outcome: int, rows: np.ndarray
) -> tuple[Claim, np.ndarray]:
    """The claim ``source`` makes in replicates ``rows`` if its outcome is ``outcome``:
    one of them (they differ only in their ends) and every one's ends
    (:func:`~estimator.model.likelihood.claim_ends`), shape ``(len(rows), 2)``."""
    template = templates_of(spec)[source.id]
    made = [replicates.claim(template, source, int(i), outcome) for i in rows]
    return made[0], np.array([claim_ends(c) for c in made]).reshape(len(rows), 2)


@dataclass(frozen=True)
class Result:
    """The PITs of each target (one per replicate) and, on the quick path, each
    replicate's Pareto k-hat and effective sample size; on NUTS, each fit's divergent
    transitions."""

    pits: dict[str, np.ndarray]
    khat: np.ndarray | None = None
    ess: np.ndarray | None = None
    divergences: np.ndarray | None = None


def quick_path(spec: LabSpec, replicates: Replicates, draws: Draws, fit: Fit = correct) -> Result:
    """Fit every replicate by importance sampling: the prior sample ``draws``
    (independent of the truths) reweighted by its claims, Pareto-smoothed as the quick
    path does (:func:`~estimator.inference.importance.reweight`)."""
    pits = {name: np.empty(replicates.count) for name in TARGETS}
    khat, ess = np.empty(replicates.count), np.empty(replicates.count)
    for i in range(replicates.count):
        claims = tuple(fit(c) for c in replicates.claims(spec, i))
        weights = reweight(claim_logliks(draws, claims).sum(0))
        khat[i], ess[i] = weights.khat, weights.ess
        for name in TARGETS:
            pits[name][i] = weights.weights[draws[name] < replicates.truths[name][i]].sum()
    # A sum of all the weights can round to a hair above 1; ArviZ's plots read a PIT
    # above 1 as a rank and rescale every PIT of the data set.
    return Result({n: np.minimum(p, 1.0) for n, p in pits.items()}, khat, ess)


def nuts_claims(spec: LabSpec) -> tuple[Claim, ...]:
    """One claim per source and kind it can report, in one compiled model."""
    templates = templates_of(spec)
    return tuple(
        dataclasses.replace(templates[s.id], id=f"{s.id}.{kind}", kind=kind)
        for s in SOURCES
        for kind in s.kinds
    )


def nuts_data(spec: LabSpec, replicates: Replicates, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Replicate ``index`` as data for the model of :func:`nuts_claims`: which claims are
    active (the outcomes reported), and every claim's ends."""
    templates = templates_of(spec)
    active, made = [], []
    for source in SOURCES:
        reported = int(replicates.outcomes[source.id][index])
        for outcome in range(source.cuts + 1):
            active.append(float(outcome == reported))
            made.append(replicates.claim(templates[source.id], source, index, outcome))
    return np.array(active), claim_bounds(tuple(made))


def nuts_path(
    spec: LabSpec,
    replicates: Replicates,
    count: int,
    seed: int,
    settings: NutsSettings = NUTS_SETTINGS,
) -> Result:
    """Fit the first ``count`` replicates with NUTS: one compiled model, new data each fit."""
    claims = nuts_claims(spec)
    pits = {name: np.empty(count) for name in TARGETS}
    divergences = np.zeros(count, dtype=int)
    for i in range(count):
        active, bounds = nuts_data(spec, replicates, i)
        fit = sample(spec, claims, seed=seed + i, settings=settings, active=active, bounds=bounds)
        divergences[i] = fit.divergences
        for name in TARGETS:
            pits[name][i] = np.mean(fit.values(name) < replicates.truths[name][i])
    return Result(pits, divergences=divergences)


@dataclass(frozen=True)
class Band:
    """ArviZ's simultaneous band for the ECDF of ``n`` PITs: at ``x``, the ECDF must lie
    within ``[lower, upper]``."""

    x: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    prob: float


@cache
def band(n: int, prob: float) -> Band:
    """The simultaneous ``prob`` band for ``n`` independent uniform PITs."""
    from arviz_stats.ecdf_utils import ecdf_pit

    rng = np.random.default_rng(BAND_SEED)
    x, _, lower, upper = ecdf_pit(np.linspace(0, 1, n), prob, BAND_SIMULATIONS, rng=rng)
    return Band(x[1:-1], lower[1:-1], upper[1:-1], prob)


def per_target(level: float = LEVEL, targets: int = len(TARGETS)) -> float:
    """Each target's band level for a family-wise ``level`` (Bonferroni)."""
    return 1.0 - (1.0 - level) / targets


@dataclass(frozen=True)
class Departure:
    """Where a target's PIT ECDF leaves its band most: at PIT ``at``, the ECDF ``ecdf``
    against the band ``[lower, upper]``."""

    at: float
    ecdf: float
    lower: float
    upper: float

    @property
    def tails(self) -> str:
        """``"heavy"`` when too many PITs lie out in the tails (the ECDF too high on the
        left or too low on the right: an overconfident posterior), else ``"light"``."""
        high = self.ecdf > self.upper
        return "heavy" if high == (self.at < 0.5) else "light"

    def __str__(self) -> str:
        return (
            f"ECDF {self.ecdf:.3f} outside [{self.lower:.3f}, {self.upper:.3f}] at PIT "
            f"{self.at:.3f} ({self.tails} tails)"
        )


def outside(pits: Mapping[str, np.ndarray], level: float = LEVEL) -> dict[str, Departure]:
    """The targets whose PIT ECDF leaves its band, each with where it leaves it most."""
    from arviz_stats.ecdf_utils import compute_ecdf

    found = {}
    for name, values in pits.items():
        edges = band(len(values), per_target(level, len(pits)))
        ecdf = compute_ecdf(np.asarray(values), edges.x)
        excess = np.maximum(edges.lower - ecdf, ecdf - edges.upper)
        if np.any(excess > 0):
            i = int(np.argmax(excess))
            found[name] = Departure(
                float(edges.x[i]), float(ecdf[i]), float(edges.lower[i]), float(edges.upper[i])
            )
    return found
