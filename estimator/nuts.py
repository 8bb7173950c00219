"""The NUTS path: compile the lab's PyMC model once with nutpie, sample it, and check the
sampler's diagnostics.

Compiling costs seconds; sampling a fraction of one. Compiled models are kept per process,
keyed by the lab's inputs and the set of evidence claims, and claims are switched on and
off as data (see :mod:`estimator.pymc_model`), so repeated fits (verdicts, history) pay
for compilation once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.claims import Claim
from estimator.pymc_model import ACTIVE, BOUNDS, build_model
from estimator.spec import LabSpec
from estimator.summaries import PROBS, Summary

CHAINS = 4
DRAWS = 1000
TUNE = 1000
RHAT_LIMIT = 1.01
ESS_LIMIT = 400

_COMPILED: dict[tuple[str, tuple[str, ...]], Any] = {}


@dataclass(frozen=True)
class NutsSettings:
    """Sampler settings, recorded in the provenance stamp."""

    chains: int = CHAINS
    draws: int = DRAWS
    tune: int = TUNE

    def to_dict(self) -> dict[str, Any]:
        return {
            "sampler": "nutpie NUTS",
            "chains": self.chains,
            "draws_per_chain": self.draws,
            "tune": self.tune,
        }


@dataclass(frozen=True)
class NutsFit:
    """A NUTS sample of every quantity, with its convergence diagnostics."""

    trace: Any = field(repr=False)
    settings: NutsSettings
    divergences: int
    rhat: dict[str, float] = field(repr=False)
    ess_bulk: dict[str, float] = field(repr=False)
    ess_tail: dict[str, float] = field(repr=False)

    def values(self, name: str) -> np.ndarray:
        """All draws of a quantity, chains concatenated."""
        return np.asarray(self.trace.posterior[name].values, dtype=float).reshape(-1)

    def problems(self) -> list[str]:
        """Why the sample can't be trusted, in words (empty when it can)."""
        reasons = []
        if self.divergences:
            reasons.append(f"{self.divergences} divergent transitions")
        worst = _worst(self.rhat, max)
        if worst and worst[1] > RHAT_LIMIT:
            reasons.append(f"R-hat {worst[1]:.3f} > {RHAT_LIMIT} ({worst[0]})")
        for label, table in (("bulk", self.ess_bulk), ("tail", self.ess_tail)):
            low = _worst(table, min)
            if low and low[1] < ESS_LIMIT:
                reasons.append(f"{label} ESS {low[1]:.0f} < {ESS_LIMIT} ({low[0]})")
        return reasons


def _worst(table: dict[str, float], pick: Any) -> tuple[str, float] | None:
    finite = {k: v for k, v in table.items() if math.isfinite(v)}
    if not finite:
        return None
    name = pick(finite, key=finite.__getitem__)
    return name, finite[name]


def compiled_model(spec: LabSpec, claims: tuple[Claim, ...]) -> Any:
    """The nutpie-compiled model for ``spec`` and ``claims`` (cached per process)."""
    import nutpie

    key = (spec.inputs_sha256, tuple(c.id for c in claims))
    if key not in _COMPILED:
        _COMPILED[key] = nutpie.compile_pymc_model(build_model(spec, claims))
    return _COMPILED[key]


def sample(
    spec: LabSpec,
    claims: tuple[Claim, ...],
    seed: int,
    settings: NutsSettings | None = None,
    active: np.ndarray | None = None,
    bounds: np.ndarray | None = None,
) -> NutsFit:
    """Sample the posterior given ``claims`` (optionally only the ``active`` ones, or with
    other claimed values: ``bounds`` as :func:`estimator.pymc_model.claim_bounds`)."""
    import nutpie

    settings = settings or NutsSettings()
    compiled = compiled_model(spec, claims)
    updates: dict[str, np.ndarray] = {}
    if active is not None:
        updates[ACTIVE] = np.asarray(active, dtype=float)
    if bounds is not None:
        updates[BOUNDS] = np.asarray(bounds, dtype=float)
    if updates:
        compiled = compiled.with_data(**updates)
    trace = nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        seed=seed,
        progress_bar=False,
        save_warmup=False,
    )
    names = [n for n in spec.model.quantities if n in trace.posterior]
    varying = [n for n in names if np.ptp(trace.posterior[n].values) > 0]
    rhat, bulk, tail = _diagnostics(trace, varying)
    divergences = int(np.asarray(trace.sample_stats["diverging"].values).sum())
    return NutsFit(trace, settings, divergences, rhat, bulk, tail)


def _diagnostics(
    trace: Any, names: list[str]
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    import arviz_stats as azs

    rhat = azs.rhat(trace, var_names=names)
    bulk = azs.ess(trace, var_names=names, method="bulk")
    tail = azs.ess(trace, var_names=names, method="tail")

    return (
        {n: _scalar(rhat, n) for n in names},
        {n: _scalar(bulk, n) for n in names},
        {n: _scalar(tail, n) for n in names},
    )


def _scalar(result: Any, name: str) -> float:
    """One variable's value in an ArviZ result (a DataTree rooted at the posterior)."""
    node = result["posterior"] if "posterior" in getattr(result, "children", {}) else result
    return float(np.asarray(node[name].values))


def summarize_fit(fit: NutsFit, name: str, unit: str) -> Summary:
    """A quantity's posterior summary from NUTS draws, with ArviZ's MC standard errors."""
    import arviz_stats as azs

    x = fit.values(name)
    quantiles = {p: float(np.quantile(x, p)) for p in PROBS}
    constant = np.ptp(x) == 0
    mcse: dict[float, float] = {}
    for p in PROBS:
        if constant:
            mcse[p] = 0.0
            continue
        result = azs.mcse(fit.trace, var_names=[name], method="quantile", prob=p)
        mcse[p] = _scalar(result, name)
    sd = float(np.std(x))
    if constant:
        mean_mcse, ess = 0.0, float(len(x))
    else:
        mean_mcse = _scalar(azs.mcse(fit.trace, var_names=[name]), name)
        ess = fit.ess_bulk.get(name, float(len(x)))
    return Summary(name, unit, float(np.mean(x)), mean_mcse, sd, quantiles, mcse, ess)
