"""One interface to a posterior, whichever method drew it.

A :class:`Posterior` is a set of draws of every named quantity that, with optional
importance weights, represents the lab's posterior given some of its evidence claims. Both
methods implement it once: :class:`ImportancePosterior` (the quick path: the prior's
Monte Carlo draws, reweighted by the claims' likelihoods; or, with no evidence, the prior
itself) and :class:`~estimator.inference.nuts_posterior.NutsPosterior` (NUTS draws from the
PyMC model). Everything downstream — verdicts, questions, history, sensitivity, storage —
asks the interface for values, weights, chains, an equally weighted sample, the diagnostic
problems, and for the posterior with some claims switched off (:meth:`Posterior.refit`,
exact; :meth:`Posterior.leave_out`, by Pareto-smoothed importance reweighting of these
draws, refitted exactly where k-hat says the reweighting can't be trusted).
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from estimator.inference.forward import Draws
from estimator.inference.gate import QuantityCheck, failures
from estimator.inference.importance import (
    Reweighting,
    constraint_logliks,
    resample_indices,
    reweight,
)
from estimator.inference.lazy import LazyMapping
from estimator.inference.summaries import (
    Summary,
    quantile_ess,
    summarize,
    summarize_weighted,
    weighted_quantiles,
    weighted_sum,
)
from estimator.inference.threads import thread_map
from estimator.model.claims import Claim
from estimator.model.evidence import Evidence, Parts
from estimator.spec.lab import LabSpec

#: The quantiles the quick path's per-quantity readings are taken at (see
#: :mod:`estimator.inference.gate`).
JUDGED_PROBS = (0.05, 0.5, 0.95)


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
    def global_problems(self) -> tuple[str, ...]:
        """What holds back every quantity, in words: the limits judged on the draws as a
        whole (see :mod:`estimator.inference.gate`)."""

    @abstractmethod
    def checks(
        self, names: Iterable[str] | None = None, summaries: Mapping[str, Summary] | None = None
    ) -> dict[str, QuantityCheck]:
        """The per-quantity readings of ``names`` (default: every quantity) that vary.

        ``summaries`` may hold their posterior summaries, whose quantiles the quick path's
        readings are taken at (they are found otherwise).
        """

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
    def leave_out_all(self, leaving: tuple[Claim, ...], refit: bool = True) -> Posterior:
        """The posterior without the claims ``leaving`` (active evidence claims), by
        reweighting these draws; with ``refit``, exactly where the reweighting can't be
        trusted."""

    def leave_out(self, claim: Claim, refit: bool = True) -> Posterior:
        """The posterior without ``claim`` (:meth:`leave_out_all`)."""
        return self.leave_out_all((claim,), refit)

    def leave_out_source(self, source_id: str, refit: bool = True) -> Posterior:
        """The posterior without every active claim of one source."""
        evidence = self.evidence
        s = [x.id for x in evidence.sources].index(source_id)
        leaving = tuple(evidence.claims[i] for i in evidence.members[s] if self.active[i])
        return self.leave_out_all(leaving, refit)

    @cached_property
    def evidence(self) -> Evidence:
        """The claims grouped by source."""
        return Evidence.of(self.claims, self.spec.sources)

    @cached_property
    def evidence_values(self) -> dict[str, np.ndarray]:
        """The draws the claims' likelihood reads: their quantities and their measurement
        parameters."""
        names = {c.quantity for c in self.claims} | set(self.evidence.latents())
        return {name: self.values(name) for name in sorted(names)}

    @cached_property
    def claim_parts(self) -> Parts:
        """Each claim's log-likelihood at each draw if its source is reliable, and if it
        is wrong (:meth:`~estimator.model.evidence.Evidence.claim_parts`)."""
        return self.evidence.claim_parts(self.evidence_values)

    @cached_property
    def _source_memo(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each source's terms over all its claims, once computed (shared by the
        posteriors over these same draws: :meth:`share_caches`)."""
        return {}

    def source_term(self, s: int, used: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Source ``s``'s log-likelihood over its claims ``used`` at each draw, and the
        log of its probability of being reliable and matching them
        (:meth:`~estimator.model.evidence.Evidence.source_loglik`); kept for reuse when
        ``used`` is every claim of the source."""
        whole = tuple(used) == self.evidence.members[s]
        if whole and s in self._source_memo:
            return self._source_memo[s]
        term = self.evidence.source_loglik(self.claim_parts, self.evidence_values, s, used)
        if whole:
            self._source_memo[s] = term
        return term

    def source_terms(self, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each source's :meth:`source_term` over its ``active`` claims, ``(sources,
        draws)``; zero for a source none of whose claims is active."""
        total = np.zeros((len(self.evidence.sources), self.size))
        matched = np.zeros_like(total)
        for s, members in enumerate(self.evidence.members):
            used = [i for i in members if active[i]]
            if used:
                total[s], matched[s] = self.source_term(s, used)
        return total, matched

    def evidence_loglik(self, active: np.ndarray) -> np.ndarray:
        """The log-likelihood of the ``active`` claims at each draw."""
        out = np.zeros(self.size)
        for s, members in enumerate(self.evidence.members):
            used = [i for i in members if active[i]]
            if used:
                out += self.source_term(s, used)[0]
        return out

    def loglik_change(self, leaving: tuple[Claim, ...]) -> np.ndarray:
        """What the claims ``leaving`` add, at each draw, to the log-likelihood of the
        active claims: the whole less the whole without them. Only their sources' terms
        change (a claim that is its source's only one adds its own log-likelihood)."""
        kept = self.without(leaving)
        change = np.zeros(self.size)
        touched = sorted({self.evidence.source_of(c.id) for c in leaving})
        for s in touched:
            used = [i for i in self.evidence.members[s] if self.active[i]]
            if not used:
                continue
            change += self.source_term(s, used)[0]
            rest = [i for i in used if kept[i]]
            if rest:
                change -= self.source_term(s, rest)[0]
        return change

    def share_caches(self, other: Posterior) -> Posterior:
        """``other`` (a posterior over these same draws) given this one's caches of what
        the draws alone decide: the evidence, its draws, parts and source terms."""
        for shared in (
            "evidence",
            "evidence_values",
            "claim_parts",
            "_source_memo",
            "constraint_logliks",
        ):
            if shared in self.__dict__:
                other.__dict__[shared] = self.__dict__[shared]
        return other

    def with_claim(self, claim: Claim) -> tuple[Evidence, np.ndarray, dict[str, np.ndarray]]:
        """These claims and ``claim`` (switched off unless already counted), grouped by
        source, with their active mask and the draws their likelihood reads (a class that
        no counted claim has, and so NUTS did not sample, at its prior median)."""
        claims, active = self.claims, self.active
        if claim.id not in {c.id for c in claims}:
            claims, active = (*claims, claim), np.append(active, False)
        evidence = Evidence.of(claims, self.spec.sources)
        values = {**self.evidence_values}
        for name in ({c.quantity for c in claims} | set(evidence.latents())) - set(values):
            try:
                values[name] = self.values(name)
            except KeyError:
                values[name] = np.ones(self.size)
        return evidence, active, values

    def claim_reading(self, claim: Claim) -> tuple[np.ndarray, Any]:
        """Draws of what a reliable source would report for ``claim`` before its own
        noise, in the claim's unit, and that noise (a number, or one per draw): the
        claim's quantity, read through its source (its bias and its class's noise; see
        :meth:`~estimator.model.evidence.Evidence.predictive_reading`)."""
        evidence, active, values = self.with_claim(claim)
        i = [c.id for c in evidence.claims].index(claim.id)
        at, noise = evidence.predictive_reading(i, values, active)
        return (at * claim.scale if claim.linear else np.exp(at)), noise

    def without(self, leaving: tuple[Claim, ...]) -> np.ndarray:
        """The active mask less the claims ``leaving``."""
        return self.active & ~np.isin([c.id for c in self.claims], [c.id for c in leaving])

    def judged_with(self, names: Iterable[str]) -> tuple[str, ...]:
        """The quantities whose readings decide whether the posterior of ``names`` may be
        published: ``names`` themselves (their draws are independent)."""
        return tuple(dict.fromkeys(names))

    def publication_problems(
        self,
        names: Iterable[str],
        checks: Mapping[str, QuantityCheck] | None = None,
        summaries: Mapping[str, Summary] | None = None,
    ) -> tuple[str, ...]:
        """Why the posterior of ``names`` may not be published, in words (empty when it
        may): the global problems, and each quantity of :meth:`judged_with` that misses a
        per-quantity limit (by ``checks`` when given, :meth:`checks` otherwise)."""
        judged = self.judged_with(names)
        if checks is None:
            checks = self.checks(judged, summaries)
        return (*self.global_problems(), *failures(judged, checks))

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

    def summary_mapping(self, units: dict[str, str]) -> Mapping[str, Summary]:
        """:meth:`summaries`, each computed when first read."""
        return LazyMapping(list(units), lambda name: self.summary(name, units[name]))

    def check_mapping(self, summaries: Mapping[str, Summary]) -> Mapping[str, QuantityCheck]:
        """:meth:`checks` of every quantity (given their posterior ``summaries``)."""
        return self.checks(None, summaries)

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

    def global_problems(self) -> tuple[str, ...]:
        return self.problems()

    def checks(
        self, names: Iterable[str] | None = None, summaries: Mapping[str, Summary] | None = None
    ) -> dict[str, QuantityCheck]:
        """Bulk and tail ESS of each quantity's quantiles under the weights (see
        :func:`~estimator.inference.summaries.quantile_ess`); with no weights, the number
        of draws."""
        wanted = list(self.spec.model.quantities if names is None else dict.fromkeys(names))
        given = summaries or {}
        found = thread_map(lambda name: self._check(name, given.get(name)), wanted)
        return {n: c for n, c in zip(wanted, found, strict=True) if c is not None}

    def check_mapping(self, summaries: Mapping[str, Summary]) -> Mapping[str, QuantityCheck]:
        """:meth:`checks` of every quantity, each computed when first read."""
        names = list(self.spec.model.quantities)
        return LazyMapping(names, lambda name: self._check(name, summaries.get(name)))

    def _check(self, name: str, summary: Summary | None) -> QuantityCheck | None:
        x = self.values(name)
        if np.ptp(x) == 0:
            return None
        if self.reweighting is None:
            return QuantityCheck(None, float(self.size), float(self.size))
        weights = self.reweighting.weights
        if summary is None:
            quantiles = weighted_quantiles(x, weights, JUDGED_PROBS)
        else:
            quantiles = {p: summary.quantiles[p] for p in JUDGED_PROBS}
        ess = quantile_ess(x, weights, quantiles)
        return QuantityCheck(None, ess[0.5], min(ess[0.05], ess[0.95]))

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
        log_ratios = self.evidence_loglik(active)
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
        self.share_caches(out)
        return out

    def leave_out_all(self, leaving: tuple[Claim, ...], refit: bool = True) -> ImportancePosterior:
        """Without the claims ``leaving``: the prior reweighted by the others (its ratios
        less what they add). This is already a reweighting of the prior draws, so
        ``refit`` changes nothing; ``loo_khat`` is its k-hat."""
        if self.log_ratios is None:
            raise ValueError("the prior conditions on no claim: there is none to leave out")
        log_ratios = self.log_ratios - self.loglik_change(leaving)
        reweighting = reweight(log_ratios)
        out = dataclasses.replace(
            self,
            active=self.without(leaving),
            reweighting=reweighting,
            log_ratios=log_ratios,
            loo_khat=reweighting.khat,
        )
        self.share_caches(out)
        return out
