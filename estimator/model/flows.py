"""Flows over a period, in both scopes (the whole fleet, and the lab's attributable
share), from what :class:`~estimator.model.books.Books` accumulated at the period's ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from estimator.model.accumulate import (
    Accumulated,
    add_present,
    change,
    or_zero,
    scaled,
    unless_zero,
)
from estimator.model.periods import HOURS_PER_YEAR, Period
from estimator.model.quantities import SHARED_FLOWS, WORKLOADS, fleet_name

if TYPE_CHECKING:
    from estimator.model.books import Books

#: Flows of the whole fleet that the lab's attributable share scales.
BASE_FLOWS: tuple[str, ...] = (
    "purchases.chips",
    "purchases.hardware",
    "purchases.datacentre",
    "depreciation.hardware",
    "depreciation.datacentre",
    "opex.energy",
    "opex.maintenance",
    "opex.facilities",
)
#: Every name :class:`Flows` computes.
FLOW_NAMES: tuple[str, ...] = (
    *(name for name, _ in SHARED_FLOWS),
    *(fleet_name(name) for name, _ in SHARED_FLOWS),
    "opex.per_year",
    fleet_name("opex.per_year"),
    "opex.staff",
    "opex.staff.cash",
    "opex.staff.equity",
    "opex.services",
    "staff.headcount",
    "rent.total",
    "revenue",
    "cash.burn",
    "compute.gpu_hours",
    *(f"compute.gpu_hours.{use}" for use in WORKLOADS),
    "runs.gpu_hours",
    "runs.share_of_compute",
)


class Flows:
    """Every flow (and rate and average) over one period, in both scopes, each computed
    when first asked for: ``flows["opex.energy.fleet"]``.

    Parameters
    ----------
    books : Books
        The lab's inputs.
    period : Period
        The period.
    start, end : dict
        What :meth:`Books.accumulated` gives at the period's beginning and end.
    """

    def __init__(self, books: Books, period: Period, start: Accumulated, end: Accumulated):
        self.books, self.years = books, period.years
        self.start, self.end = start, end
        self.values: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            self.values[name] = self._compute(name)
        return self.values[name]

    def _change(self, key: str) -> Any:
        """How much an accumulated sum grew over the period (``None`` if it never did)."""
        name = "\0" + key  # kept apart from the flows' names
        if name not in self.values:
            self.values[name] = change(self.start, self.end, key)
        return self.values[name]

    def _compute(self, name: str) -> Any:
        books, v = self.books, self.books.v
        if name in BASE_FLOWS:
            return self[fleet_name(name)] * v["share.attributable"]
        if name.endswith(".fleet") and name[: -len(".fleet")] in BASE_FLOWS:
            return self._fleet(name[: -len(".fleet")])
        if name == "opex.staff.cash":
            return self._person_years() * books.cash_pay
        if name == "opex.staff.equity":
            return self._person_years() * v["staff.equity"]
        if name == "opex.staff":
            if not books.staff_times:
                return books.staff_rate * self.years
            return self._person_years() * books.pay
        if name == "opex.services":
            return v["other.cost"] * self.years
        if name == "staff.headcount":
            if books.staff_times:
                return self._person_years() / self.years
            return books.headcounts[0]
        if name.startswith("rent."):
            return self._rent(name)
        if name == "revenue":
            if books.revenue_times:
                return or_zero(books.zero, self._change("revenue"))
            return v["revenue.rate"] * self.years
        if name == "cash.burn":
            return self["spend.total"] - self["revenue"]
        if name == "compute.gpu_hours":
            owned = scaled(None, self._change("unit_years"), HOURS_PER_YEAR)
            return add_present(books.zero, (owned, self._change("rented_hours")))
        if name.startswith("compute.gpu_hours."):
            return self["compute.gpu_hours"] * books.workload_share(name.rsplit(".", 1)[1])
        if name == "runs.gpu_hours":
            return or_zero(books.zero, self._change("run_hours"))
        if name == "runs.share_of_compute":
            return self["runs.gpu_hours"] / self["compute.gpu_hours"]
        fleet = name.endswith(".fleet")
        suffix = ".fleet" if fleet else ""
        base = name[: -len(suffix)] if fleet else name
        terms: list[str]
        if base == "opex.per_year":
            return self["opex.total" + suffix] / self.years
        if base == "opex.other":
            terms = ["opex.maintenance" + suffix, "opex.facilities" + suffix, "opex.services"]
        elif base == "opex.total":
            terms = ["opex.energy" + suffix, "opex.staff", "opex.other" + suffix]
            if books.rentals:
                terms.append("rent.total")
        elif base == "spend.total":
            terms = ["purchases.hardware" + suffix, "purchases.datacentre" + suffix]
            terms.append("opex.total" + suffix)
        elif base == "cost.amortized":
            terms = ["depreciation.hardware" + suffix, "depreciation.datacentre" + suffix]
            terms.append("opex.total" + suffix)
        else:
            raise KeyError(name)
        return add_present(books.zero, (self[term] for term in terms))

    def _rent(self, name: str) -> Any:
        """What the lab's rental contracts cost in the period (all, or one)."""
        zero = self.books.zero
        if name == "rent.total":
            return add_present(zero, (self[f"rent.{r.name}.cost"] for r in self.books.rentals))
        contract = name.removeprefix("rent.").removesuffix(".cost")
        return or_zero(zero, self._change(f"rent.{contract}"))

    def _person_years(self) -> Any:
        if "\0person_years" not in self.values:
            if self.books.staff_times:
                years = self.end.person_years - self.start.person_years
            else:
                years = self.books.headcounts[0] * self.years
            self.values["\0person_years"] = years
        return self.values["\0person_years"]

    def _fleet(self, base: str) -> Any:
        """A flow of the whole fleet (``None`` where the lab has no such cost)."""
        books, v = self.books, self.books.v
        dc = books.datacentre
        if base == "purchases.chips":
            return or_zero(books.zero, self._change("chips"))
        if base == "purchases.hardware":
            return scaled(books.zero, self._change("chips"), books.per_chip)
        if base == "depreciation.hardware":
            written = scaled(None, self._change("written_chips"), books.per_chip)
            shared = self._change("shared_life_chip_years")
            by_life = scaled(None, shared, books.hardware_per_chip_life_year)
            return add_present(books.zero, (written, by_life))
        if base == "opex.energy":
            return scaled(books.zero, self._change("kw_years"), books.energy_rate)
        if base == "opex.maintenance":
            chip_years = add_present(
                None,
                (self._change("shared_life_chip_years"), self._change("other_chip_years")),
            )
            return scaled(books.zero, chip_years, books.maintenance_rate)
        if base == "opex.facilities":
            facilities = scaled(None, unless_zero(v["facilities.cost"]), self.years)
            lease = None
            if dc is not None and dc.mode != "owned":
                lease = scaled(None, self._change("kw_years"), books.lease_rate)
            return add_present(books.zero, (lease, facilities))
        if dc is None or dc.mode == "leased":
            return books.zero
        if base == "purchases.datacentre":
            return scaled(books.zero, self._change("kw_bought"), books.dc_per_kw)
        if base == "depreciation.datacentre":
            return scaled(books.zero, self._change("kw_dc_years"), books.dc_written_per_kw_year)
        raise KeyError(base)
