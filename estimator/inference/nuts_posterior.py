"""The NUTS path's posterior: :class:`~estimator.inference.posterior.Posterior` over NUTS
draws from the lab's PyMC model (:mod:`estimator.inference.nuts`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.inference import nuts
from estimator.inference.gate import KHAT_LIMIT, QuantityCheck
from estimator.inference.importance import reweight
from estimator.inference.posterior import Posterior
from estimator.inference.pymc_model import NutsUnavailableError
from estimator.inference.summaries import Summary
from estimator.model.claims import Claim


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

    def global_problems(self) -> tuple[str, ...]:
        return tuple(self.fit.global_problems())

    def checks(
        self, names: Iterable[str] | None = None, summaries: Mapping[str, Summary] | None = None
    ) -> dict[str, QuantityCheck]:
        """R-hat and bulk and tail ESS of each quantity's chains (``summaries`` is not
        needed)."""
        every = self.fit.checks
        if names is None:
            return every
        return {n: every[n] for n in dict.fromkeys(names) if n in every}

    def judged_with(self, names: Iterable[str]) -> tuple[str, ...]:
        """``names`` and every input they are functions of: chains that have not mixed in
        an input have not explored the posterior of what depends on it."""
        model = self.spec.model
        return tuple(dict.fromkeys(n for name in names for n in (name, *model.inputs_of(name))))

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
        settings = self.fit.settings
        retried = (
            f" (drawn again at target acceptance {settings.target_accept:g} after "
            f"{nuts.counted(settings.replaced_divergences, 'divergence')})"
            if settings.replaced_divergences
            else ""
        )
        return (
            f"max R-hat {r['max_rhat']:.3f}, min bulk ESS {r['min_ess_bulk']:,.0f}, "
            f"min tail ESS {r['min_ess_tail']:,.0f}, {nuts.counted(r['divergences'], 'divergence')}"
            + retried
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

    def summary_mapping(self, units: dict[str, str]) -> Mapping[str, Summary]:
        """With equal weights, every summary at once (they are quick)."""
        if self.reweighting is not None:
            return super().summary_mapping(units)
        return self.summaries(units)

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

    def leave_out_all(self, leaving: tuple[Claim, ...], refit: bool = True) -> NutsPosterior:
        """Without the claims ``leaving``: these draws reweighted by their inverse
        likelihood (PSIS); with ``refit``, NUTS sampled again with them switched off where
        that reweighting's k-hat exceeds 0.7."""
        reweighting = reweight(-self.loglik_change(leaving))
        active = self.without(leaving)
        weighted = dataclasses.replace(
            self, active=active, reweighting=reweighting, loo_khat=reweighting.khat
        )
        self.share_caches(weighted)
        if reweighting.khat <= KHAT_LIMIT or not refit:
            return weighted
        try:
            exact = self.refit(active)
        except NutsUnavailableError:
            return weighted
        return dataclasses.replace(exact, loo_khat=reweighting.khat, refitted=True)
