"""A dated history of the estimate: the ledger replayed in date order, with the posterior
as of each date on which a claim appeared.

Each point reweights the prior draws by the evidence dated up to then (the quick path)
when k-hat and the effective sample size allow, and samples NUTS with the later claims
switched off otherwise. The last point uses every claim, the same way the full estimate
did, so it equals the full posterior.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.inference.estimation import Estimate, choose_posterior, quick_posterior
from estimator.inference.methods import Method
from estimator.inference.posterior import ImportancePosterior
from estimator.inference.summaries import Summary


@dataclass(frozen=True)
class HistoryPoint:
    """The posterior as of one date (``None``: the prior, before any claim).

    ``problems`` says why the draws fail the publication gate for any quantity followed
    (empty: they pass for all), ``by_quantity`` why for each.
    """

    date: dt.date | None
    claims: tuple[str, ...]
    counted: tuple[str, ...]
    method: str
    quantities: dict[str, Summary] = field(repr=False)
    khat: float | None = None
    ess: float | None = None
    problems: tuple[str, ...] = ()
    by_quantity: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def problems_of(self, name: str) -> tuple[str, ...]:
        """Why the draws fail the publication gate for ``name`` (empty: they pass)."""
        return self.by_quantity.get(name, self.problems)

    @property
    def label(self) -> str:
        """The method, flagged when the draws fail the publication gate."""
        return self._label(self.problems)

    def label_of(self, name: str) -> str:
        """The method, flagged when the draws fail the publication gate for ``name``."""
        return self._label(self.problems_of(name))

    def _label(self, problems: tuple[str, ...]) -> str:
        return f"{self.method} (weak: {'; '.join(problems)})" if problems else self.method

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "claims": list(self.claims),
            "counted": list(self.counted),
            "method": self.method,
            "khat": self.khat,
            "ess": self.ess,
            "passed": not self.problems,
            "problems": list(self.problems),
            "quantities": {n: s.to_dict() for n, s in self.quantities.items()},
        }


def history(
    result: Estimate, names: Sequence[str] = (), allow_nuts: bool = True
) -> tuple[HistoryPoint, ...]:
    """Replay the ledger of ``result``'s lab in date order.

    Parameters
    ----------
    result : Estimate
        The full estimate (its prior draws are the proposal of every point).
    names : sequence of str
        Quantities to summarise at each point (default: the lab's headline).
    allow_nuts : bool
        Sample NUTS for the dates the quick path can't serve; when false (the user asked
        for the quick path only), such points are kept with their k-hat and ESS shown.
    """
    spec = result.spec
    names = tuple(names) or (spec.headline,)
    units = {n: result.posterior[n].unit for n in names}
    quick = result.fit
    if not isinstance(quick, ImportancePosterior):
        quick = quick_posterior(spec, result.prior_draws, result.seed)
    evidence = quick.claims
    points = [HistoryPoint(None, (), (), "prior", {n: result.prior[n] for n in names})]
    dates = sorted({c.date for c in spec.claims})
    for index, date in enumerate(dates):
        active = np.array([c.date <= date for c in evidence], dtype=bool)
        appeared = tuple(c.id for c in spec.claims if c.date == date)
        counted = tuple(c.id for c, on in zip(evidence, active, strict=True) if on)
        if not active.any():
            points.append(HistoryPoint(date, appeared, counted, "prior", points[0].quantities))
            continue
        # The last point follows the full estimate's method, so it equals it.
        method: Method = "auto" if allow_nuts else "is"
        if index == len(dates) - 1:
            method = "nuts" if result.diagnostics.method == "nuts" else "is"
        fit, _ = choose_posterior(quick.refit(active), method)
        summaries = fit.summaries(units)
        rw = fit.reweighting
        khat, ess = (rw.khat, rw.ess) if rw is not None else (None, None)
        checks = fit.checks(fit.judged_with(names), summaries)
        each = {n: fit.publication_problems([n], checks) for n in names}
        problems = tuple(dict.fromkeys(p for found in each.values() for p in found))
        points.append(
            HistoryPoint(date, appeared, counted, fit.method, summaries, khat, ess, problems, each)
        )
    return tuple(points)
