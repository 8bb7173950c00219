"""One interface to a posterior, whichever method drew it.

A :class:`Posterior` is a set of draws of every named quantity that, with optional
importance weights, represents the lab's posterior given some of its evidence claims. Both
methods implement it once: :class:`ImportancePosterior` (the quick path: the prior's
Monte Carlo draws, reweighted by the claims' likelihoods; or, with no evidence, the prior
itself) and :class:`NutsPosterior` (NUTS draws from the PyMC model). Everything downstream
— verdicts, questions, history, sensitivity, storage — asks the interface for values,
weights, chains, an equally weighted sample, the diagnostic problems, and for the posterior
with some claims switched off (:meth:`Posterior.refit`, exact; :meth:`Posterior.leave_out`,
by Pareto-smoothed importance reweighting of these draws, refitted exactly where k-hat
says the reweighting can't be trusted).
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from estimator.inference import nuts
from estimator.inference.forward import Draws
from estimator.inference.gate import KHAT_LIMIT
from estimator.inference.importance import (
    Reweighting,
    claim_logliks,
    constraint_logliks,
    resample_indices,
    reweight,
)
from estimator.inference.pymc_model import NutsUnavailableError
from estimator.inference.summaries import Summary, summarize, summarize_weighted, weighted_sum
from estimator.inference.threads import thread_map
from estimator.model.claims import Claim
from estimator.model.likelihood import claim_loglik
from estimator.spec.lab import LabSpec


@dataclass(frozen=True, kw_only=True, eq=False)
class Posterior(ABC):
    """Draws representing a lab's posterior given its ``active`` evidence claims.

    Attributes
    ----------
    spec : LabSpec
        The lab.
    claims : tuple of Claim
        The evidence the posterior can condition on (the lab's, each counted once).
    active : ndarray of bool
        Which of ``claims`` it conditions on.
    seed : int
        Seed of the draws (and of any refit).
    reweighting : Reweighting or None
        Pareto-smoothed importance weights over the draws (``None``: equally weighted).
    loo_khat : float or None
        For a posterior with claims left out (:meth:`leave_out`): the Pareto k-hat of the
        reweighting that left them out.
    refitted : bool
        Whether the claims were left out by an exact refit.
    """

    spec: LabSpec = field(repr=False)
    claims: tuple[Claim, ...] = field(repr=False)
    active: np.ndarray = field(repr=False)
    seed: int
    reweighting: Reweighting | None = field(default=None, repr=False)
    loo_khat: float | None = None
    refitted: bool = False

    @property
    @abstractmethod
    def method(self) -> str:
        """``is`` (the quick path), ``nuts``, or ``forward`` (the prior, no evidence)."""

    @abstractmethod
    def values(self, name: str) -> np.ndarray:
        """Every draw of a quantity (chains concatenated), in canonical units."""

    @property
    @abstractmethod
    def size(self) -> int:
        """The number of draws."""

    @abstractmethod
    def problems(self) -> tuple[str, ...]:
        """Why these draws can't be trusted for publication, in words (empty when they can)."""

    @abstractmethod
    def readings(self) -> dict[str, float]:
        """The figures the diagnostics are judged on (k-hat, ESS, R-hat, divergences)."""

    @abstractmethod
    def describe(self) -> str:
        """The diagnostics in one line for people."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Sampler settings, for the provenance stamp."""

    @abstractmethod
    def refit(self, active: np.ndarray) -> Posterior:
        """The posterior given only the ``active`` claims, by the same method, exactly."""

    @abstractmethod
    def leave_out(self, claim: Claim, refit: bool = True) -> Posterior:
        """The posterior without ``claim`` (an active evidence claim), by reweighting these
        draws; with ``refit``, exactly where the reweighting can't be trusted."""

    @property
    def weights(self) -> np.ndarray | None:
        """Normalised weights of the draws (``None``: equal weights)."""
        return None if self.reweighting is None else self.reweighting.weights

    @property
    def active_claims(self) -> tuple[Claim, ...]:
        """The claims the posterior conditions on."""
        return tuple(c for c, on in zip(self.claims, self.active, strict=True) if on)

    def chains(self, per_draw: np.ndarray) -> np.ndarray:
        """Per-draw values shaped ``(chain, draw)`` (one chain unless the sampler ran several)."""
        return per_draw.reshape(1, -1)

    def sampler_stats(self) -> Any:
        """The sampler's own statistics per draw (a DataTree), where it keeps any."""
        return None

    def average(self, per_draw: np.ndarray) -> float:
        """The posterior mean of a per-draw value."""
        return float(np.average(per_draw, weights=self.weights))

    def summary(self, name: str, unit: str) -> Summary:
        """A quantity's median, intervals and their Monte Carlo errors."""
        x = self.values(name)
        if self.weights is None:
            return summarize(name, unit, x, len(x))
        return summarize_weighted(name, unit, x, self.weights)

    def summaries(self, units: dict[str, str]) -> dict[str, Summary]:
        """:meth:`summary` of each quantity in ``units`` (name to unit), on threads."""
        found = thread_map(lambda item: self.summary(*item), list(units.items()))
        return dict(zip(units, found, strict=True))

    def probability(self, holds: np.ndarray) -> tuple[float, float, float]:
        """Posterior probability of an event given per draw, its Monte Carlo standard
        error and the effective sample size behind it.

        With importance weights the MC error is ``sqrt(sum w^2 (1[event] - p)^2)``; with
        independent draws it is binomial.
        """
        indicator = holds.astype(float)
        weights = self.weights
        if weights is not None:
            w = weights / weights.sum()
            p = weighted_sum(w, indicator)
            ess = 1.0 / weighted_sum(w, w)
            return p, math.sqrt(weighted_sum(w**2, (indicator - p) ** 2)), ess
        p = float(indicator.mean())
        return p, math.sqrt(p * (1 - p) / len(indicator)), float(len(indicator))

    def sample(self, n: int, seed: int) -> np.ndarray:
        """Indices of ``n`` draws forming an equally weighted sample of the posterior.

        Weighted draws are resampled in proportion to their weights (systematic
        resampling, seeded); equally weighted draws are thinned to ``n`` evenly spaced ones
        (all of them when there are no more than ``n``).
        """
        if n < 1:
            raise ValueError(f"draws must be positive, not {n}")
        if self.weights is not None:
            return resample_indices(np.asarray(self.weights, dtype=float), n, seed)
        if n >= self.size:
            return np.arange(self.size)
        return np.linspace(0, self.size - 1, n).round().astype(np.int64)

    def sample_values(self, names: list[str], n: int, seed: int) -> dict[str, np.ndarray]:
        """An equally weighted sample of ``n`` draws of each quantity, shaped ``(chain,
        draw)``: every draw in its chain when no more than ``n`` are equally weighted, one
        chain of the sample otherwise."""
        index = self.sample(n, seed)
        whole = self.weights is None and len(index) == self.size
        return {
            name: self.chains(self.values(name)) if whole else self.values(name)[index][None, :]
            for name in names
        }


@dataclass(frozen=True, kw_only=True, eq=False)
class ImportancePosterior(Posterior):
    """The quick path: the prior's Monte Carlo draws reweighted by the active claims'
    likelihoods (the prior itself when none is active).

    ``log_ratios`` are the raw log importance ratios (the sum of the active claims'
    log-likelihoods at each draw) that ``reweighting`` smoothed.
    """

    prior: Draws = field(repr=False)
    log_ratios: np.ndarray | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return "forward" if self.reweighting is None else "is"

    def values(self, name: str) -> np.ndarray:
        return np.asarray(self.prior[name])

    @property
    def size(self) -> int:
        return self.prior.draws

    def problems(self) -> tuple[str, ...]:
        return () if self.reweighting is None else self.reweighting.problems()

    def readings(self) -> dict[str, float]:
        if self.reweighting is None:
            return {}
        return {"khat": self.reweighting.khat, "ess": self.reweighting.ess}

    def describe(self) -> str:
        if self.reweighting is None:
            return "forward Monte Carlo"
        return f"Pareto k-hat {self.reweighting.khat:.2f}, ESS {self.reweighting.ess:,.0f}"

    def settings(self) -> dict[str, Any]:
        return {} if self.reweighting is None else {"proposal_draws": self.prior.draws}

    @cached_property
    def claim_logliks(self) -> np.ndarray:
        """Each claim's log-likelihood at each prior draw, ``(claims, draws)``."""
        return claim_logliks(self.prior, self.claims)

    @cached_property
    def constraint_logliks(self) -> np.ndarray | None:
        """The model's constraints' log-likelihood at each prior draw (``None``: it has
        none)."""
        constraints = self.spec.model.constraints
        if not constraints:
            return None
        return constraint_logliks(self.prior.values, constraints)

    def refit(self, active: np.ndarray) -> ImportancePosterior:
        active = np.asarray(active, dtype=bool)
        constrained = self.constraint_logliks
        if not active.any() and constrained is None:
            return dataclasses.replace(
                self, active=active, reweighting=None, log_ratios=None, loo_khat=None
            )
        logliks = self.claim_logliks
        log_ratios = logliks[active].sum(0)
        if constrained is not None:
            log_ratios = log_ratios + constrained
        out = dataclasses.replace(
            self,
            active=active,
            reweighting=reweight(log_ratios),
            log_ratios=log_ratios,
            loo_khat=None,
            refitted=False,
        )
        out.__dict__["claim_logliks"] = logliks  # share the cache with the refit
        return out

    def leave_out(self, claim: Claim, refit: bool = True) -> ImportancePosterior:
        """Without ``claim``: the prior reweighted by the other claims (its ratios less the
        claim's log-likelihood). This is already a reweighting of the prior draws, so
        ``refit`` changes nothing; ``loo_khat`` is its k-hat."""
        if self.log_ratios is None:
            raise ValueError("the prior conditions on no claim: there is none to leave out")
        log_ratios = self.log_ratios - claim_loglik(claim, self.values(claim.quantity))
        reweighting = reweight(log_ratios)
        active = self.active & np.array([c.id != claim.id for c in self.claims])
        return dataclasses.replace(
            self,
            active=active,
            reweighting=reweighting,
            log_ratios=log_ratios,
            loo_khat=reweighting.khat,
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class NutsPosterior(Posterior):
    """NUTS draws from the lab's PyMC model (optionally importance-weighted, to leave
    claims out)."""

    fit: nuts.NutsFit = field(repr=False)

    @property
    def method(self) -> str:
        return "nuts"

    def values(self, name: str) -> np.ndarray:
        return self.fit.values(name)

    @property
    def size(self) -> int:
        sizes = self.fit.trace.posterior.sizes
        return int(sizes["chain"] * sizes["draw"])

    def chains(self, per_draw: np.ndarray) -> np.ndarray:
        sizes = self.fit.trace.posterior.sizes
        return per_draw.reshape(sizes["chain"], sizes["draw"])

    def sampler_stats(self) -> Any:
        trace = self.fit.trace
        return trace["sample_stats"].copy() if "sample_stats" in trace.children else None

    def problems(self) -> tuple[str, ...]:
        return tuple(self.fit.problems())

    def readings(self) -> dict[str, float]:
        fit = self.fit
        return {
            "divergences": fit.divergences,
            "max_rhat": max(fit.rhat.values(), default=float("nan")),
            "min_ess_bulk": min(fit.ess_bulk.values(), default=float("nan")),
            "min_ess_tail": min(fit.ess_tail.values(), default=float("nan")),
        }

    def describe(self) -> str:
        r = self.readings()
        return (
            f"max R-hat {r['max_rhat']:.3f}, min bulk ESS {r['min_ess_bulk']:,.0f}, "
            f"min tail ESS {r['min_ess_tail']:,.0f}, {r['divergences']} divergences"
        )

    def settings(self) -> dict[str, Any]:
        return self.fit.settings.to_dict()

    def summary(self, name: str, unit: str) -> Summary:
        """With equal weights, ArviZ's MC standard errors, which account for the draws'
        autocorrelation."""
        if self.reweighting is not None:
            return super().summary(name, unit)
        return nuts.summarize_fit(self.fit, name, unit)

    def summaries(self, units: dict[str, str]) -> dict[str, Summary]:
        """In turn: the MC errors of every quantity come from one batched computation."""
        if self.reweighting is not None:
            return super().summaries(units)
        return {name: self.summary(name, unit) for name, unit in units.items()}

    def probability(self, holds: np.ndarray) -> tuple[float, float, float]:
        """With equal weights, the MC error uses ArviZ's ESS of the indicator, which
        accounts for autocorrelation."""
        if self.reweighting is not None:
            return super().probability(holds)
        from arviz_stats.base import array_stats

        indicator = holds.astype(float)
        p = float(indicator.mean())
        chains = self.chains(indicator)
        ess = float(array_stats.ess(chains)) if 0.0 < p < 1.0 else float(len(indicator))
        return p, math.sqrt(p * (1 - p) / ess), ess

    def refit(self, active: np.ndarray) -> NutsPosterior:
        active = np.asarray(active, dtype=bool)
        fit = nuts.sample(self.spec, self.claims, self.seed, active=active.astype(float))
        return NutsPosterior(
            spec=self.spec, claims=self.claims, active=active, seed=self.seed, fit=fit
        )

    def leave_out(self, claim: Claim, refit: bool = True) -> NutsPosterior:
        """Without ``claim``: these draws reweighted by the claim's inverse likelihood
        (PSIS); with ``refit``, NUTS sampled again with the claim switched off where that
        reweighting's k-hat exceeds 0.7."""
        loglik = claim_loglik(claim, self.values(claim.quantity))
        reweighting = reweight(-loglik)
        active = self.active & np.array([c.id != claim.id for c in self.claims])
        weighted = dataclasses.replace(
            self, active=active, reweighting=reweighting, loo_khat=reweighting.khat
        )
        if reweighting.khat <= KHAT_LIMIT or not refit:
            return weighted
        try:
            exact = self.refit(active)
        except NutsUnavailableError:
            return weighted
        return dataclasses.replace(exact, loo_khat=reweighting.khat, refitted=True)
