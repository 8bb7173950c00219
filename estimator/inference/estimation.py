"""The estimate of a lab: prior and posterior of every named quantity, each claim's
probability of being reliable, and the diagnostics that decide whether a headline interval
may be published.

:func:`choose_posterior` is the one place the choice of method lives (the quick path when
its weights allow, NUTS otherwise); :func:`estimate` and the dated history use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.inference import nuts
from estimator.inference.chunks import CHUNK_SIZE
from estimator.inference.datatree import posterior_tree
from estimator.inference.draw_cache import DrawCache
from estimator.inference.forward import (
    IN_MEMORY_LIMIT,
    Draws,
    forward_summaries,
    prior_summaries,
    simulate,
)
from estimator.inference.gate import AUTO_MIN_ESS, KHAT_LIMIT, QuantityCheck
from estimator.inference.methods import Method
from estimator.inference.nuts_posterior import NutsPosterior
from estimator.inference.posterior import ImportancePosterior, Posterior
from estimator.inference.pymc_model import NutsUnavailableError, check_supported
from estimator.inference.summaries import Summary
from estimator.inference.threads import thread_map
from estimator.model.claims import Claim
from estimator.model.likelihood import reliable_probability
from estimator.provenance import stamp
from estimator.spec.lab import LabSpec

POSTERIOR_DRAWS = IN_MEMORY_LIMIT
FORWARD_NOTE = "no evidence claims: the posterior is the prior"


@dataclass(frozen=True, kw_only=True)
class Diagnostics:
    """Whether the posterior may be published, and why not.

    Attributes
    ----------
    method : str
        ``is``, ``nuts`` or ``forward``.
    passed : bool
        Whether the headline may be published: no global limit of
        :mod:`estimator.inference.gate` is missed, and neither is a per-quantity limit by
        a quantity the headline rests on.
    reasons : tuple of str
        Each of those limits missed, in words.
    details : dict
        The figures judged (k-hat and ESS, or R-hat, ESS and divergences, the worst over
        every quantity) and the MC errors of the headline interval's ends, as
        ``summary.json`` records them.
    note : str
        Which method ran and why.
    summary : str
        The figures judged, in one line for people.
    per_quantity : dict
        Each varying quantity's readings (:class:`~estimator.inference.gate.QuantityCheck`).
    """

    method: str
    passed: bool
    reasons: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    summary: str = ""
    per_quantity: Mapping[str, QuantityCheck] = field(default_factory=dict, repr=False)

    @property
    def flagged(self) -> dict[str, tuple[str, ...]]:
        """Each quantity that misses a per-quantity limit, with the limits it misses."""
        return {n: c.failures for n, c in self.per_quantity.items() if not c.passed}

    def flagged_among(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """:attr:`flagged`, of ``names`` only (their readings alone are computed)."""
        checks = {n: self.per_quantity.get(n) for n in dict.fromkeys(names)}
        return {n: c.failures for n, c in checks.items() if c is not None and not c.passed}

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "note": self.note,
            **self.details,
            "per_quantity": {n: c.to_dict() for n, c in self.per_quantity.items()},
        }


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """Prior and posterior of every named quantity of a lab, with diagnostics.

    Attributes
    ----------
    spec : LabSpec
        The lab.
    prior, posterior : dict
        Quantity name to its :class:`Summary` under the prior and the posterior.
    reliability : dict
        Claim id to its posterior probability of being reliable.
    source_reliability : dict
        Source id to its posterior probability of being reliable (the sources of the
        counted claims: :mod:`estimator.model.evidence`).
    diagnostics : Diagnostics
        Whether the numbers may be published.
    seed, draws : int
        Seed, and the number of prior Monte Carlo draws.
    prior_draws : Draws
        The prior draws held in memory (the quick path's proposal).
    fit : Posterior
        The draws that represent the posterior (see :mod:`estimator.inference.posterior`).
    """

    spec: LabSpec = field(repr=False)
    prior: Mapping[str, Summary] = field(repr=False)
    posterior: Mapping[str, Summary] = field(repr=False)
    reliability: dict[str, float] = field(repr=False)
    diagnostics: Diagnostics
    seed: int
    draws: int
    prior_draws: Draws = field(repr=False)
    fit: Posterior = field(repr=False)
    source_reliability: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> dict[str, Any]:
        """Sampler settings, as the provenance stamp records them."""
        return self.fit.settings()

    def values(self, name: str) -> np.ndarray:
        """Draws of a quantity that, with :attr:`sample_weights`, represent the posterior."""
        return self.fit.values(name)

    @property
    def sample_weights(self) -> np.ndarray | None:
        """Normalised weights of :meth:`values` (``None``: equal weights)."""
        return self.fit.weights

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
        return posterior_tree(
            self.fit, self.prior_draws, self.provenance(), self.diagnostics.to_dict()
        )

    def __repr__(self) -> str:
        name = self.spec.headline
        head = self.posterior[name]
        low, high = head.ci90
        state = "passed" if self.diagnostics.passed else "FAILED"
        return (
            f"Estimate(lab={self.spec.name!r}, method={self.diagnostics.method!r}, "
            f"diagnostics {state}, {name}: median {head.median:.4g}, "
            f"90% [{low:.4g}, {high:.4g}] {head.unit})"
        )

    @property
    def headline(self) -> Summary | None:
        """The posterior of the lab's headline quantity, or ``None`` when the diagnostics
        it rests on failed."""
        return self.posterior[self.spec.headline] if self.diagnostics.passed else None

    def problems_of(self, *names: str) -> tuple[str, ...]:
        """Why the posterior of ``names`` may not be published, in words (empty when it
        may), judged as the headline is (see :mod:`estimator.inference.gate`)."""
        return self.fit.publication_problems(names, self.diagnostics.per_quantity)

    def provenance(self) -> dict[str, Any]:
        """What went in, with which software, seed and sampler settings."""
        return stamp(
            self.spec.inputs_sha256,
            self.seed,
            self.draws,
            chunk_size=CHUNK_SIZE,
            method=self.diagnostics.method,
            scenario=self.spec.scenario,
            **self.settings,
        )


def quick_posterior(
    spec: LabSpec, prior: Draws, seed: int, claims: tuple[Claim, ...] | None = None
) -> ImportancePosterior:
    """The quick path: the prior draws reweighted by the lab's evidence (or ``claims``).
    The sources' terms it computes are kept for the leave-outs and verdicts that follow."""
    claims = spec.evidence if claims is None else claims
    active = np.ones(len(claims), dtype=bool)
    bare = ImportancePosterior(spec=spec, claims=claims, active=active, seed=seed, prior=prior)
    if not claims and not spec.model.constraints:
        return bare
    return bare.refit(active)


def choose_posterior(quick: ImportancePosterior, method: Method) -> tuple[Posterior, str]:
    """The posterior by ``method``, given the quick path for the same claims.

    ``is``: the quick path. ``nuts``: NUTS. ``auto``: the quick path when its k-hat is at
    most 0.7 and its effective sample size at least
    :data:`~estimator.inference.gate.AUTO_MIN_ESS`, NUTS otherwise, and the quick path
    after all when NUTS can't sample the lab. Returns the posterior and a note saying which
    ran and why.

    Raises
    ------
    NutsUnavailableError
        For ``nuts`` on a lab NUTS can't sample.
    """
    rw = quick.reweighting
    if rw is None or method == "is":
        return quick, ""
    if method == "auto" and not rw.problems(min_ess=AUTO_MIN_ESS):
        return quick, "quick path: k-hat and ESS allow it"
    note = ""
    if method == "auto":
        note = (
            f"quick path not used (k-hat {rw.khat:.2f}, ESS {rw.ess:.0f}; needs k-hat <= "
            f"{KHAT_LIMIT} and ESS >= {AUTO_MIN_ESS})"
        )
    active = None if quick.active.all() else quick.active.astype(float)
    try:
        fit = nuts.sample(quick.spec, quick.claims, quick.seed, active=active)
    except NutsUnavailableError as error:
        if method != "auto":
            raise
        why = "; ".join(f"{p.key}: {p.message}" for p in error.problems)
        return quick, f"NUTS can't sample this lab ({why})"
    posterior = NutsPosterior(
        spec=quick.spec, claims=quick.claims, active=quick.active, seed=quick.seed, fit=fit
    )
    return posterior, note


def estimate(
    spec: LabSpec,
    method: Method = "auto",
    draws: int = POSTERIOR_DRAWS,
    seed: int = 0,
    cache: DrawCache | None = None,
) -> Estimate:
    """Prior and posterior of every quantity of ``spec``.

    Parameters
    ----------
    spec : LabSpec
        The lab, with its claims.
    method : {"auto", "nuts", "is"}
        ``is``: reweight the prior draws (Pareto-smoothed importance sampling). ``nuts``:
        sample the PyMC model. ``auto``: the quick path when its diagnostics allow, NUTS
        otherwise (see :func:`choose_posterior`).
    draws : int
        Prior Monte Carlo draws, any number (summaries stream beyond
        :data:`~estimator.inference.forward.IN_MEMORY_LIMIT`); the first ``min(draws,
        IN_MEMORY_LIMIT)`` of them are the quick path's proposal, held in memory.
    seed : int
        Seed of every random step.
    cache : DrawCache, optional
        Where the prior's random draws are looked up and kept
        (:mod:`estimator.inference.draw_cache`); the numbers are the same without it.

    Raises
    ------
    NutsUnavailableError
        For ``method="nuts"`` on a lab NUTS can't sample.
    """
    if method == "nuts":
        check_supported(spec)  # before anything is drawn or cached
    prior_draws = simulate(spec, min(draws, IN_MEMORY_LIMIT), seed, cache=cache)
    prior: Mapping[str, Summary]
    if draws <= IN_MEMORY_LIMIT:
        prior = prior_summaries(spec, prior_draws)
    else:
        prior = forward_summaries(spec, draws, seed)
    fit, note = choose_posterior(quick_posterior(spec, prior_draws, seed), method)
    units = {n: spec.converter.canonical(q.unit) for n, q in spec.model.quantities.items()}
    posterior = prior if fit.method == "forward" else fit.summary_mapping(units)
    diagnostics = diagnose(fit, posterior, FORWARD_NOTE if fit.method == "forward" else note)
    return Estimate(
        spec=spec,
        prior=prior,
        posterior=posterior,
        reliability=reliabilities(fit, spec.claims),
        source_reliability=source_reliabilities(fit),
        diagnostics=diagnostics,
        seed=seed,
        draws=draws,
        prior_draws=prior_draws,
        fit=fit,
    )


def diagnose(fit: Posterior, posterior: Mapping[str, Summary], note: str = "") -> Diagnostics:
    """Judge ``fit`` for publication: every quantity's readings, and whether the headline
    may be published (see :mod:`estimator.inference.gate`).

    Parameters
    ----------
    fit : Posterior
        The draws.
    posterior : dict
        The summary of every quantity under them (their quantiles are the quick path's
        readings).
    note : str
        Which method ran and why.
    """
    head = fit.spec.headline
    checks = fit.check_mapping(posterior)
    problems = fit.publication_problems([head], checks)
    return Diagnostics(
        method=fit.method,
        passed=not problems,
        reasons=problems,
        details={**fit.readings(), **_headline_mcse(posterior[head])},
        note=note,
        summary=fit.describe(),
        per_quantity=checks,
    )


def reliabilities(fit: Posterior, claims: tuple[Claim, ...]) -> dict[str, float]:
    """Each claim's posterior probability of being reliable: its source's, for a claim
    the posterior counts (:func:`source_reliabilities`); for any other, the probability
    given its quantity's posterior."""
    by_source = source_reliabilities(fit)
    evidence = fit.evidence
    counted = {
        evidence.claims[i].id: by_source[evidence.sources[s].id]
        for s, members in enumerate(evidence.members)
        for i in members
        if fit.active[i]
    }

    def probability(claim: Claim) -> float:
        if claim.id in counted:
            return counted[claim.id]
        return fit.average(reliable_probability(claim, fit.values(claim.quantity)))

    return dict(zip((c.id for c in claims), thread_map(probability, claims), strict=True))


def source_reliabilities(fit: Posterior) -> dict[str, float]:
    """Each source's posterior probability of being reliable, over its counted claims:
    the posterior mean of ``r f_reliable / (r f_reliable + (1 - r) f_wrong)``."""
    evidence = fit.evidence
    if not fit.active.any():
        return {}
    total, matched = fit.source_terms(fit.active)
    return {
        source.id: fit.average(np.exp(matched[s] - total[s]))
        for s, source in enumerate(evidence.sources)
        if any(fit.active[i] for i in evidence.members[s])
    }


def _headline_mcse(head: Summary) -> dict[str, float]:
    return {
        "headline_mcse_q05": head.quantile_mcse[0.05],
        "headline_mcse_q95": head.quantile_mcse[0.95],
    }
