"""The window year by year: each calendar year's flows (cut to the window), the same
numbers everywhere they are shown (terminal, report, ``summary.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.inference.estimation import Estimate
from estimator.inference.summaries import Summary
from estimator.model.catalogue import table_names
from estimator.model.periods import Period
from estimator.model.quantities import CASH_PARTS, period_name


@dataclass(frozen=True)
class Year:
    """One calendar year of the window and the posterior of each flow over it."""

    period: Period
    flows: dict[str, Summary]

    @property
    def label(self) -> str:
        """The year, marked when the window covers only part of it."""
        whole = self.period.key == self.period.label
        return self.period.label if whole else f"{self.period.label} (part)"


def years(result: Estimate) -> tuple[Year, ...]:
    """The posterior of the per-year flows, year by year."""
    model = result.spec.model
    names = table_names(model.plain)
    out = []
    for period in model.years:
        flows = {}
        for name in names:
            key = period_name(name, period.key)
            if key in result.posterior:
                flows[name] = result.posterior[key]
        out.append(Year(period, flows))
    return tuple(out)


def periods_document(result: Estimate) -> dict[str, Any]:
    """``summary.json``'s ``"periods"``: for each year, each flow's median, mean, 90%
    interval and unit, and the days it covers."""
    out: dict[str, Any] = {}
    for year in years(result):
        entry: dict[str, Any] = {
            "start": year.period.start.isoformat(),
            "end": year.period.end.isoformat(),
        }
        for name, s in year.flows.items():
            entry[name] = {"median": s.median, "mean": s.mean, "ci90": list(s.ci90), "unit": s.unit}
        out[year.period.label] = entry
    return out


def cash_parts(year: Year) -> dict[str, float]:
    """The posterior means of the parts of the cash view, which add up to the mean of
    ``spend.total``."""
    return {name: year.flows[name].mean for name in CASH_PARTS if name in year.flows}
