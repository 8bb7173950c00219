"""The NUTS path: compile the lab's PyMC model once with nutpie, sample it, and check the
sampler's diagnostics.

Compiling costs seconds; sampling a fraction of one. Compiled models are kept per process,
keyed by the lab's inputs and the set of evidence claims, and claims are switched on and
off as data (see :mod:`estimator.inference.pymc_model`), so repeated fits (verdicts, history) pay
for compilation once. To keep that first compilation short, only the model's log density
and its gradient are compiled: nutpie stores the free variables alone, and every named
quantity is computed from their draws with numpy
(:func:`estimator.inference.pymc_model.quantity_draws`, the same equations).

A sample with divergent transitions is drawn once more with a smaller step (target
acceptance 0.95 instead of 0.8), the usual remedy; the new sample is judged on its own
and the settings record what it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from estimator.inference.gate import QuantityCheck, failures
from estimator.inference.pymc_model import (
    ACTIVE,
    BOUNDS,
    COPULA,
    build_model,
    layout,
    quantity_draws,
)
from estimator.inference.summaries import PROBS, Summary, summarize
from estimator.model.claims import Claim
from estimator.model.evidence import Evidence
from estimator.spec.lab import LabSpec

CHAINS = 4
DRAWS = 1000
TUNE = 1000
#: nutpie's (and Stan's) default target acceptance rate of the step-size adaptation.
TARGET_ACCEPT = 0.8
#: The rate of the one resampling after divergent transitions: a smaller step, for
#: sharper curvature (e.g. the soft wall of a constraint that binds).
RETRY_TARGET_ACCEPT = 0.95

_COMPILED: dict[tuple[str, tuple[str, ...]], Any] = {}


@dataclass(frozen=True)
class NutsSettings:
    """Sampler settings, recorded in the provenance stamp."""

    chains: int = CHAINS
    draws: int = DRAWS
    tune: int = TUNE
    target_accept: float = TARGET_ACCEPT
    #: Divergent transitions of an earlier sample at a lower target acceptance, which
    #: this one replaced (0 when it is the first).
    replaced_divergences: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "sampler": "nutpie NUTS",
            "chains": self.chains,
            "draws_per_chain": self.draws,
            "tune": self.tune,
            "target_accept": self.target_accept,
            "replaced_divergences": self.replaced_divergences,
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
    _mcse: dict[tuple[str, float | None], float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def values(self, name: str) -> np.ndarray:
        """All draws of a quantity, chains concatenated."""
        return np.asarray(self.trace.posterior[name].values, dtype=float).reshape(-1)

    @property
    def checks(self) -> dict[str, QuantityCheck]:
        """Each varying quantity's R-hat and bulk and tail ESS."""
        return {
            name: QuantityCheck(rhat, self.ess_bulk[name], self.ess_tail[name])
            for name, rhat in self.rhat.items()
        }

    def global_problems(self) -> list[str]:
        """What holds back every quantity, in words: divergent transitions."""
        return [counted(self.divergences, "divergent transition")] if self.divergences else []

    def problems(self) -> list[str]:
        """Why the sample can't be trusted, in words (empty when it can): the divergences
        and every quantity that misses a limit of :mod:`estimator.inference.gate`."""
        return [*self.global_problems(), *failures(self.rhat, self.checks)]


def compiled_model(spec: LabSpec, claims: tuple[Claim, ...]) -> Any:
    """The nutpie-compiled model for ``spec`` and ``claims`` (cached per process)."""
    import nutpie

    key = (spec.inputs_sha256, tuple(c.id for c in claims))
    if key not in _COMPILED:
        # Only the free variables are stored: the quantities are computed from their draws
        # with numpy (:func:`_with_quantities`), not by compiled Deterministics.
        measured = list(Evidence.of(claims, spec.sources).latents()) if claims else []
        _COMPILED[key] = nutpie.compile_pymc_model(
            build_model(spec, claims), var_names=[*layout(spec).free, *measured]
        )
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
    other claimed values: ``bounds`` as :func:`estimator.inference.pymc_model.claim_bounds`)."""
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

    def run(settings: NutsSettings) -> NutsFit:
        trace = nutpie.sample(
            compiled,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            seed=seed,
            target_accept=settings.target_accept,
            progress_bar=False,
            save_warmup=False,
        )
        return from_trace(spec, _with_quantities(spec, trace), settings)

    fit = run(settings)
    if fit.divergences and settings.target_accept < RETRY_TARGET_ACCEPT:
        # Divergences mean the step is too long for the curvature somewhere the chains
        # went: the usual remedy, once, and the sample is judged afresh on its own.
        fit = run(
            replace(
                settings,
                target_accept=RETRY_TARGET_ACCEPT,
                replaced_divergences=fit.divergences,
            )
        )
    return fit


def from_trace(spec: LabSpec, trace: Any, settings: NutsSettings) -> NutsFit:
    """The fit of a trace whose posterior holds every named quantity, ``(chain, draw)``,
    and whose sample stats say which draws diverged: its diagnostics, computed."""
    names = [n for n in spec.model.quantities if n in trace.posterior]
    varying = [n for n in names if np.ptp(trace.posterior[n].values) > 0]
    rhat, bulk, tail = _diagnostics(trace, varying)
    divergences = int(np.asarray(trace.sample_stats["diverging"].values).sum())
    return NutsFit(trace, settings, divergences, rhat, bulk, tail)


def _with_quantities(spec: LabSpec, trace: Any) -> Any:
    """The trace with every named quantity in its posterior, computed from the draws of
    the free variables (which, but for the copula's normals, it then drops)."""
    import xarray as xr

    posterior = trace["posterior"].to_dataset()
    free = layout(spec).free
    values = quantity_draws(spec, {n: posterior[n].values for n in free})
    dims = ("chain", "draw")
    quantities = xr.Dataset(
        {n: (dims, v) for n, v in values.items()},
        coords={d: posterior.coords[d] for d in dims},
        attrs=posterior.attrs,
    )
    kept = posterior.drop_vars([n for n in free if n in posterior and n != COPULA])
    trace["posterior"] = xr.DataTree(xr.merge([quantities, kept], compat="no_conflicts"))
    return trace


def _diagnostics(
    trace: Any, names: list[str]
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """R-hat (rank-normalised), bulk ESS and tail ESS of each quantity: what
    ``arviz_stats.rhat`` and ``arviz_stats.ess`` give with their defaults, computed by
    ArviZ's array interface on all quantities at once."""
    from arviz_base import rcParams
    from arviz_stats.base import array_stats

    if not names:
        return {}, {}, {}
    draws = _draws(trace, names)
    rhat = array_stats.rhat(draws, method="rank")
    bulk = array_stats.ess(draws, method="bulk")
    tail = array_stats.ess(draws, method="tail", prob=rcParams["stats.ci_prob"])
    return (
        {n: float(v) for n, v in zip(names, rhat, strict=True)},
        {n: float(v) for n, v in zip(names, bulk, strict=True)},
        {n: float(v) for n, v in zip(names, tail, strict=True)},
    )


def _draws(trace: Any, names: list[str]) -> np.ndarray:
    """Draws of the named quantities, shape ``(len(names), chain, draw)``."""
    return np.stack([np.asarray(trace.posterior[n].values, dtype=float) for n in names])


def summarize_fit(fit: NutsFit, name: str, unit: str) -> Summary:
    """A quantity's posterior summary from NUTS draws: the quantiles of every summary
    (:func:`~estimator.inference.summaries.summarize`), with ArviZ's MC standard errors,
    which account for the draws' autocorrelation."""
    x = fit.values(name)
    plain = summarize(name, unit, x, len(x))
    if np.ptp(x) == 0:
        return plain
    return replace(
        plain,
        mean_mcse=_mcse(fit, name, None),
        quantile_mcse={p: _mcse(fit, name, p) for p in PROBS},
        ess=fit.ess_bulk.get(name, float(len(x))),
    )


def _mcse(fit: NutsFit, name: str, prob: float | None) -> float:
    """ArviZ's MC standard error of a quantile (``prob``) or of the mean (``None``), as
    ``arviz_stats.mcse`` gives it.

    Computed for every varying quantity at once on first use (by ArviZ's array interface,
    one call per probability rather than one per quantity and probability), then looked up.
    """
    from arviz_stats.base import array_stats

    if (name, prob) not in fit._mcse:
        names = list(fit.ess_bulk) if name in fit.ess_bulk else [name]
        draws = _draws(fit.trace, names)
        for p in (*PROBS, None):
            if p is None:
                result = array_stats.mcse(draws, method="mean")
            else:
                result = array_stats.mcse(draws, method="quantile", prob=p)
            fit._mcse.update({(n, p): float(v) for n, v in zip(names, result, strict=True)})
    return fit._mcse[(name, prob)]


def counted(n: float, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is one: "1 divergence", "3 divergences"."""
    return f"{n:,.0f} {noun}{'' if n == 1 else 's'}"
