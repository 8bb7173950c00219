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

from estimator import importance, nuts
from estimator.errors import SpecError
from estimator.model import HEADLINE
from estimator.posterior import AUTO_MIN_ESS, Estimate
from estimator.summaries import Summary


@dataclass(frozen=True)
class HistoryPoint:
    """The posterior as of one date (``None``: the prior, before any claim)."""

    date: dt.date | None
    claims: tuple[str, ...]
    counted: tuple[str, ...]
    method: str
    quantities: dict[str, Summary] = field(repr=False)
    khat: float | None = None
    ess: float | None = None

    @property
    def label(self) -> str:
        """The method, flagged when the quick path's weights are not to be trusted."""
        if (
            self.method == "is"
            and self.khat is not None
            and self.ess is not None
            and (self.khat > importance.KHAT_LIMIT or self.ess < nuts.ESS_LIMIT)
        ):
            return f"is (weak: k-hat {self.khat:.2f}, ESS {self.ess:.0f})"
        return self.method

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "claims": list(self.claims),
            "counted": list(self.counted),
            "method": self.method,
            "khat": self.khat,
            "ess": self.ess,
            "quantities": {n: s.to_dict() for n, s in self.quantities.items()},
        }


def history(
    result: Estimate, names: Sequence[str] = (HEADLINE,), allow_nuts: bool = True
) -> tuple[HistoryPoint, ...]:
    """Replay the ledger of ``result``'s lab in date order.

    Parameters
    ----------
    result : Estimate
        The full estimate (its prior draws are the proposal of every point).
    names : sequence of str
        Quantities to summarise at each point.
    allow_nuts : bool
        Sample NUTS for the dates the quick path can't serve; when false (the user asked
        for the quick path only), such points are kept with their k-hat and ESS shown.
    """
    spec = result.spec
    draws = result.prior_draws
    if draws is None:
        raise ValueError("the estimate holds no prior draws")
    units = {n: result.posterior[n].unit for n in names}
    evidence = spec.evidence
    logliks = importance.claim_logliks(draws, evidence)
    points = [HistoryPoint(None, (), (), "prior", {n: result.prior[n] for n in names})]
    dates = sorted({c.date for c in spec.claims})
    for index, date in enumerate(dates):
        active = np.array([c.date <= date for c in evidence])
        appeared = tuple(c.id for c in spec.claims if c.date == date)
        counted = tuple(c.id for c, on in zip(evidence, active, strict=True) if on)
        if not active.any():
            points.append(HistoryPoint(date, appeared, counted, "prior", points[0].quantities))
            continue
        last = index == len(dates) - 1
        rw = importance.reweight(logliks[active].sum(0))
        quick = rw.khat <= importance.KHAT_LIMIT and rw.ess >= AUTO_MIN_ESS
        # The last point follows the full estimate's method, so it equals it.
        use_nuts = result.diagnostics.method == "nuts" if last else allow_nuts and not quick
        if use_nuts:
            try:
                fit = nuts.sample(spec, evidence, result.seed, active=active.astype(float))
            except SpecError:
                pass
            else:
                summaries = {n: nuts.summarize_fit(fit, n, u) for n, u in units.items()}
                points.append(HistoryPoint(date, appeared, counted, "nuts", summaries))
                continue
        summaries = importance.weighted_summaries(draws, rw, units)
        points.append(HistoryPoint(date, appeared, counted, "is", summaries, rw.khat, rw.ess))
    return tuple(points)
