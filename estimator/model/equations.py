"""The cost equations of a lab, written once.

:meth:`LabModel.evaluate` uses only arithmetic and ``xp.maximum``, ``xp.minimum``,
``xp.exp`` and ``xp.where`` (through :mod:`estimator.model.schedule`), so the same code
runs on numpy arrays (Monte Carlo) and on PyTensor tensors (PyMC). Nothing here knows
about any particular lab: the structure (accelerator types and their tranches, training
runs, staff dates, data centres, the window) comes from the lab's files.

Time enters through what accumulates up to a moment: what was bought, the service years
of hardware (and so its energy, maintenance and leases), the depreciation written, the
person-years of staff. A flow over a period is the difference between its end and its
start, so the calendar years of a window add up to the window exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import Any

import numpy as np

from estimator.model.books import Books
from estimator.model.catalogue import over, periodic, slots_of, table_names, window_quantities
from estimator.model.dependencies import inputs_of_each
from estimator.model.flows import FLOW_NAMES, Flows
from estimator.model.parts import (
    AcceleratorType,
    Accounting,
    DataCentre,
    Rental,
    Staff,
    Structure,
    TrainingRun,
)
from estimator.model.periods import Period
from estimator.model.quantities import Quantity, Slot, UnknownQuantityError, period_name


@dataclass(frozen=True)
class Request:
    """A quantity wanted over (or, for a stock, at the end of) a period other than the
    one its plain name stands for."""

    name: str
    period: Period


class LabModel:
    """The cost equations for one lab's structure.

    Parameters
    ----------
    types : sequence of AcceleratorType
        The accelerator types in the fleet, each with its tranches.
    runs : sequence of TrainingRun
        Training runs to cost at rental-equivalent prices.
    window : Period
        The lab's window: what its files describe. Stocks named plainly (``capex.hardware``)
        are at its end; nothing is bought after it.
    staff, datacentre, accounting
        When headcounts are stated, how data centres are had, how hardware is written off.
    rentals : sequence of Rental
        The accelerators the lab rents, contract by contract.
    workload : bool
        Whether the lab states how its accelerator-hours are used.
    revenue : tuple of date, optional
        Whether (and on which days) the lab's revenue is stated.
    reporting : Period, optional
        The window results are shown for (default: the lab's window). Flows named plainly
        (``spend.total``) are over it, and each of its calendar years has the flows of
        :data:`~estimator.model.quantities.PERIOD_TABLE` as ``<flow>@<year>``.
    requested : sequence of Request
        Other quantities over other periods (those claims and questions name).
    """

    def __init__(
        self,
        types: tuple[AcceleratorType, ...],
        runs: tuple[TrainingRun, ...],
        window: Period,
        *,
        staff: Staff | None = None,
        datacentre: DataCentre | None = None,
        accounting: Accounting | None = None,
        rentals: tuple[Rental, ...] = (),
        workload: bool = False,
        revenue: tuple[dt.date, ...] | None = None,
        reporting: Period | None = None,
        requested: tuple[Request, ...] = (),
    ):
        self.structure = Structure(
            tuple(types),
            tuple(runs),
            window,
            staff or Staff(),
            datacentre,
            accounting or Accounting(),
            tuple(rentals),
            workload,
            revenue,
        )
        self.types, self.runs, self.window = self.structure.types, self.structure.runs, window
        self.reporting = reporting or window
        self.requested = tuple(dict.fromkeys(requested))
        self.groups: dict[str, tuple[str, ...]] = self.structure.groups
        self.slots: dict[str, Slot] = slots_of(self.structure)
        self.plain: dict[str, Quantity] = window_quantities(self.structure, self.slots)
        self.quantities: dict[str, Quantity] = dict(self.plain)
        self.years = self.reporting.calendar_years()
        for year in self.years:
            for name in table_names(self.plain):
                q = over(self.plain[name], year)
                self.quantities[q.name] = q
        for request in self.requested:
            q = over(self.plain[request.name], request.period)
            self.quantities[q.name] = q

    def with_window(
        self, reporting: Period | None = None, requested: tuple[Request, ...] | None = None
    ) -> LabModel:
        """The same lab shown over another window, or asked about other periods."""
        return LabModel(
            self.types,
            self.runs,
            self.window,
            staff=self.structure.staff,
            datacentre=self.structure.datacentre,
            accounting=self.structure.accounting,
            rentals=self.structure.rentals,
            workload=self.structure.workload,
            revenue=self.structure.revenue,
            reporting=reporting or self.reporting,
            requested=self.requested if requested is None else requested,
        )

    @property
    def input_names(self) -> list[str]:
        """Names of every input, in a stable order."""
        return list(self.slots)

    @property
    def derived_names(self) -> list[str]:
        """Names of every result of the equations, in a stable order."""
        return [n for n, q in self.quantities.items() if not q.is_input]

    def inputs_of(self, name: str) -> tuple[str, ...]:
        """The inputs a quantity is a function of (an input: itself), as the equations
        read them (see :mod:`estimator.model.dependencies`); every input when the
        equations can't be traced."""
        return self._inputs_of.get(name, tuple(self.slots))

    @cached_property
    def _inputs_of(self) -> dict[str, tuple[str, ...]]:
        try:
            return inputs_of_each(self.evaluate, self.slots)
        except (TypeError, AttributeError):
            return {}

    def quantity(self, name: str) -> Quantity:
        """Look up a quantity by name.

        Raises
        ------
        UnknownQuantityError
            With a "did you mean" hint and the list of valid names.
        """
        try:
            return self.quantities[name]
        except KeyError:
            raise UnknownQuantityError(name, list(self.plain)) from None

    def target(self, name: str, period: Period | None = None) -> tuple[str, Request | None]:
        """The name under which a plain quantity over ``period`` (default: the lab's
        window) is computed, and what must be requested for it to be.

        Flows, rates and averages named plainly are over the reporting window; stocks
        named plainly are at the end of the lab's window; other quantities have no period.
        """
        quantity = self.plain[name]
        if not periodic(quantity):
            return name, None
        period = period or self.window
        if quantity.kind == "stock":
            if period.end == self.window.end:
                return name, None
        elif period == self.reporting:
            return name, None
        target = period_name(name, period.key)
        return target, None if target in self.quantities else Request(name, period)

    def evaluate(self, inputs: Mapping[str, Any], xp: ModuleType = np) -> dict[str, Any]:
        """Compute every named quantity from the inputs.

        Parameters
        ----------
        inputs : mapping
            A value (float, numpy array or PyTensor tensor) for every input slot, in
            canonical units.
        xp : module
            The array namespace (``numpy`` or ``pytensor.tensor``).

        Returns
        -------
        dict
            Inputs and derived quantities by name.
        """
        missing = [n for n in self.slots if n not in inputs]
        if missing:
            raise UnknownQuantityError(missing[0], list(self.slots))
        v = dict(inputs)
        out: dict[str, Any] = {name: v[name] for name in self.slots}
        plan = self._plan
        books = Books(self.structure, v, xp)
        at = {t: books.accumulated(t) for t in plan.moments}
        for period, names in plan.flows:
            flows = Flows(books, period, at[period.begins], at[period.ends])
            for name, key in names:
                out[key] = flows[name]
        for period, names in plan.stocks:
            stocks = books.stocks(period.ends, at.get(period.ends))
            for name, key in names:
                out[key] = stocks[name]
        out.update(books.runs.results(books, self.quantities))
        if self.structure.workload:
            out["workload.research"] = books.workload_share("research")
            out["workload.assigned"] = v["workload.training"] + v["workload.inference"]
        return out

    @property
    def constraints(self) -> tuple[str, ...]:
        """Quantities that can't exceed 1: each dated run's share of the accelerator-hours
        its accelerators had over its dates (a run can't use hours that did not exist),
        and the share of the hours spent training or serving."""
        dated = [f"runs.{run.name}.capacity_share" for run in self.runs if run.dates]
        return (*dated, *(("workload.assigned",) if self.structure.workload else ()))

    @cached_property
    def _plan(self) -> _Plan:
        """What :meth:`evaluate` computes: the moments to accumulate to, and for each
        period the flows (or stocks) to keep, under the names they are kept as."""
        flow_periods = [self.reporting, *self.years]
        stock_periods = [self.window]
        for request in self.requested:
            wanted = stock_periods if self.plain[request.name].kind == "stock" else flow_periods
            wanted.append(request.period)
        moments = set()
        for period in dict.fromkeys(flow_periods):
            moments |= {period.begins, period.ends}
        flow_names = (*FLOW_NAMES, *(f"rent.{r.name}.cost" for r in self.structure.rentals))
        flows = [
            (period, self._kept(flow_names, period, plain=period == self.reporting))
            for period in dict.fromkeys(flow_periods)
        ]
        stock_names = [n for n, q in self.plain.items() if q.kind == "stock" and not q.is_input]
        stocks = [
            (period, self._kept(stock_names, period, plain=period == self.window))
            for period in dict.fromkeys(stock_periods)
        ]
        return _Plan(tuple(sorted(moments)), tuple(flows), tuple(stocks))

    def _kept(
        self, names: Iterable[str], period: Period, plain: bool
    ) -> tuple[tuple[str, str], ...]:
        """The names this model keeps over ``period``: plainly (for the period plain names
        stand for), and as ``<name>@<period>``."""
        out = []
        for name in names:
            quantity = self.quantities.get(name)
            if plain and quantity is not None and not quantity.is_input:
                out.append((name, name))
            key = period_name(name, period.key)
            if key in self.quantities:
                out.append((name, key))
        return tuple(out)


@dataclass(frozen=True)
class _Plan:
    moments: tuple[float, ...]
    flows: tuple[tuple[Period, tuple[tuple[str, str], ...]], ...]
    stocks: tuple[tuple[Period, tuple[tuple[str, str], ...]], ...]
