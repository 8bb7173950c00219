"""The posterior of every named quantity given the claims, by the quick path (importance
reweighting of the prior draws) or by NUTS, with the diagnostics that decide whether a
headline interval may be published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from estimator import importance, nuts
from estimator.claims import Claim
from estimator.errors import SpecError
from estimator.likelihood import reliable_probability
from estimator.model import HEADLINE
from estimator.provenance import stamp
from estimator.simulate import (
    CHUNK_SIZE,
    IN_MEMORY_LIMIT,
    Draws,
    forward_summaries,
    simulate,
    summarize_draws,
)
from estimator.spec import LabSpec
from estimator.summaries import Summary
from estimator.threads import thread_map

Method = Literal["auto", "nuts", "is"]
METHODS: tuple[str, ...] = ("auto", "nuts", "is")
POSTERIOR_DRAWS = IN_MEMORY_LIMIT
AUTO_MIN_ESS = 2000
IS_MIN_ESS = nuts.ESS_LIMIT
STORED_DRAWS = 4000


@dataclass(frozen=True)
class Diagnostics:
    """Whether the posterior may be published, and why not."""

    method: str
    passed: bool
    reasons: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "note": self.note,
            **self.details,
        }


@dataclass(frozen=True)
class Estimate:
    """Prior and posterior of every named quantity of a lab, with diagnostics."""

    spec: LabSpec = field(repr=False)
    prior: dict[str, Summary] = field(repr=False)
    posterior: dict[str, Summary] = field(repr=False)
    reliability: dict[str, float] = field(repr=False)
    diagnostics: Diagnostics
    seed: int
    draws: int
    settings: dict[str, Any] = field(default_factory=dict, repr=False)
    prior_draws: Draws | None = field(default=None, repr=False)
    weights: np.ndarray | None = field(default=None, repr=False)
    trace: Any = field(default=None, repr=False)
    log_ratios: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> Any:
        """Prior and posterior of every quantity as a pandas DataFrame, one row each."""
        import pandas as pd

        rows = []
        for name, post in self.posterior.items():
            prior = self.prior[name]
            rows.append(
                {
                    "quantity": name,
                    "unit": post.unit,
                    "prior_median": prior.median,
                    "prior_q05": prior.ci90[0],
                    "prior_q95": prior.ci90[1],
                    "median": post.median,
                    "q05": post.ci90[0],
                    "q95": post.ci90[1],
                    "mean": post.mean,
                    "mcse_q05": post.quantile_mcse[0.05],
                    "mcse_q95": post.quantile_mcse[0.95],
                }
            )
        return pd.DataFrame(rows).set_index("quantity")

    def to_datatree(self) -> Any:
        """The estimate as an ``xarray.DataTree`` (what ``posterior.nc`` holds)."""
        from estimator.storage import posterior_tree

        return posterior_tree(self)

    def values(self, name: str) -> np.ndarray:
        """Draws of a quantity that, with :meth:`sample_weights`, represent the posterior:
        NUTS draws (chains concatenated), or the prior draws the quick path reweights."""
        if self.trace is not None:
            return np.asarray(self.trace.posterior[name].values, dtype=float).reshape(-1)
        if self.prior_draws is None:
            raise ValueError("this estimate holds no draws")
        return np.asarray(self.prior_draws[name])

    @property
    def sample_weights(self) -> np.ndarray | None:
        """Normalised weights of :meth:`values` (``None``: equal weights)."""
        return None if self.trace is not None else self.weights

    def chains(self, values: np.ndarray) -> np.ndarray:
        """Per-draw values shaped ``(chain, draw)`` for NUTS (one chain otherwise)."""
        if self.trace is not None:
            shape = self.trace.posterior.sizes
            return values.reshape(shape["chain"], shape["draw"])
        return values.reshape(1, -1)

    def __repr__(self) -> str:
        head = self.posterior[HEADLINE]
        low, high = head.ci90
        state = "passed" if self.diagnostics.passed else "FAILED"
        return (
            f"Estimate(lab={self.spec.name!r}, method={self.diagnostics.method!r}, "
            f"diagnostics {state}, {HEADLINE}: median {head.median:.4g}, "
            f"90% [{low:.4g}, {high:.4g}] {head.unit})"
        )

    @property
    def headline(self) -> Summary | None:
        """The posterior of ``spend.total``, or ``None`` when diagnostics failed."""
        return self.posterior[HEADLINE] if self.diagnostics.passed else None

    def provenance(self) -> dict[str, Any]:
        return stamp(
            self.spec.inputs_sha256,
            self.seed,
            self.draws,
            chunk_size=CHUNK_SIZE,
            method=self.diagnostics.method,
            scenario=self.spec.scenario,
            **self.settings,
        )


def estimate(
    spec: LabSpec, method: Method = "auto", draws: int = POSTERIOR_DRAWS, seed: int = 0
) -> Estimate:
    """Prior and posterior of every quantity of ``spec``.

    Parameters
    ----------
    spec : LabSpec
        The lab, with its claims.
    method : {"auto", "nuts", "is"}
        ``is``: reweight the prior draws (Pareto-smoothed importance sampling). ``nuts``:
        sample the PyMC model. ``auto``: the quick path when its k-hat is at most 0.7 and
        its effective sample size at least :data:`AUTO_MIN_ESS`, NUTS otherwise.
    draws : int
        Prior Monte Carlo draws, any number (summaries stream beyond
        :data:`~estimator.simulate.IN_MEMORY_LIMIT`); the first ``min(draws,
        IN_MEMORY_LIMIT)`` of them are the quick path's proposal, held in memory.
    seed : int
        Seed of every random step.
    """
    proposal = min(draws, IN_MEMORY_LIMIT)
    prior_draws = simulate(spec, proposal, seed)
    if draws <= IN_MEMORY_LIMIT:
        prior = summarize_draws(spec, prior_draws)
    else:
        prior = forward_summaries(spec, draws, seed)
    evidence = spec.evidence
    units = {n: spec.converter.canonical(q.unit) for n, q in spec.model.quantities.items()}
    if not evidence:
        diagnostics = _forward_diagnostics(prior)
        return Estimate(
            spec,
            prior,
            prior,
            _reliability_under(spec.claims, prior_draws, None),
            diagnostics,
            seed,
            draws,
            {},
            prior_draws,
        )
    log_ratios = importance.sum_of_logliks(prior_draws.values, evidence)
    reweighting = importance.reweight(log_ratios)
    quick_ok = reweighting.khat <= importance.KHAT_LIMIT and reweighting.ess >= AUTO_MIN_ESS

    def quick(note: str) -> Estimate:
        posterior = importance.weighted_summaries(prior_draws, reweighting, units)
        return Estimate(
            spec,
            prior,
            posterior,
            _reliability_under(spec.claims, prior_draws, reweighting.weights),
            _importance_diagnostics(reweighting, posterior, note),
            seed,
            draws,
            {"proposal_draws": proposal},
            prior_draws,
            reweighting.weights,
            None,
            log_ratios,
        )

    if method == "is":
        return quick("")
    if method == "auto" and quick_ok:
        return quick("quick path: k-hat and ESS allow it")
    note = ""
    if method == "auto":
        note = (
            f"quick path not used (k-hat {reweighting.khat:.2f}, ESS "
            f"{reweighting.ess:.0f}; needs k-hat <= {importance.KHAT_LIMIT} and "
            f"ESS >= {AUTO_MIN_ESS})"
        )
    try:
        fit = nuts.sample(spec, evidence, seed)
    except SpecError as error:
        if method != "auto":
            raise
        why = "; ".join(f"{p.key}: {p.message}" for p in error.problems)
        return quick(f"NUTS can't sample this lab ({why})")
    posterior = {name: nuts.summarize_fit(fit, name, unit) for name, unit in units.items()}
    reliability = {
        c.id: float(np.mean(reliable_probability(c, fit.values(c.quantity)))) for c in spec.claims
    }
    reasons = tuple(fit.problems())
    details = {
        "divergences": fit.divergences,
        "max_rhat": max(fit.rhat.values(), default=float("nan")),
        "min_ess_bulk": min(fit.ess_bulk.values(), default=float("nan")),
        "min_ess_tail": min(fit.ess_tail.values(), default=float("nan")),
        **_headline_mcse(posterior),
    }
    diagnostics = Diagnostics("nuts", not reasons, reasons, details, note)
    return Estimate(
        spec,
        prior,
        posterior,
        reliability,
        diagnostics,
        seed,
        draws,
        fit.settings.to_dict(),
        prior_draws,
        None,
        fit.trace,
    )


def _reliability_under(
    claims: tuple[Claim, ...], draws: Draws, weights: np.ndarray | None
) -> dict[str, float]:
    def probability(claim: Claim) -> float:
        p = reliable_probability(claim, draws[claim.quantity])
        return float(np.average(p, weights=weights))

    return dict(zip((c.id for c in claims), thread_map(probability, claims), strict=True))


def _headline_mcse(posterior: dict[str, Summary]) -> dict[str, float]:
    head = posterior[HEADLINE]
    return {
        "headline_mcse_q05": head.quantile_mcse[0.05],
        "headline_mcse_q95": head.quantile_mcse[0.95],
    }


def _importance_diagnostics(
    reweighting: importance.Reweighting, posterior: dict[str, Summary], note: str
) -> Diagnostics:
    reasons = []
    if reweighting.khat > importance.KHAT_LIMIT:
        reasons.append(f"Pareto k-hat {reweighting.khat:.2f} > {importance.KHAT_LIMIT}")
    if reweighting.ess < IS_MIN_ESS:
        reasons.append(f"importance-sampling ESS {reweighting.ess:.0f} < {IS_MIN_ESS}")
    details = {"khat": reweighting.khat, "ess": reweighting.ess, **_headline_mcse(posterior)}
    return Diagnostics("is", not reasons, tuple(reasons), details, note)


def _forward_diagnostics(prior: dict[str, Summary]) -> Diagnostics:
    return Diagnostics(
        "forward",
        True,
        (),
        _headline_mcse(prior),
        "no evidence claims: the posterior is the prior",
    )
