"""Accelerators rented and the runs that use a lab's accelerators: what a contract costs
by a moment, the accelerator-hours a lab has, and each training run's hours, compute and
costs.

A rental contract's cost accrues evenly over its dates (accelerator-hours x price, a
count x the contract's hours x price, or a commitment per year), so that, like every flow,
its cost over a period is what accrued by the period's end less what had by its start. A
run's accelerator-hours are stated, or follow from accelerators x days, or from training
compute over peak FLOP/s x utilisation; a dated run's hours are spread evenly over its
dates and must fit in the hours its accelerators had over them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from estimator.model.periods import HOURS_PER_YEAR
from estimator.model.quantities import FLOP_PER_PARAMETER_TOKEN
from estimator.model.schedule import bought_by

if TYPE_CHECKING:
    from estimator.model.parts import Rental, Structure, TrainingRun

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class RentalNumbers:
    """One contract's numbers for one evaluation: its dates (years since the epoch), its
    whole cost, and, when known, its accelerator-hours and its accelerators at a moment
    inside its dates."""

    name: str
    a: float
    b: float
    cost: Any
    hours: Any | None
    count: Any | None
    type: str | None

    def accrued(self, t: float) -> float:
        """The share of the contract that has run by the moment ``t``."""
        return bought_by(t, self.a, self.b)


def rental_numbers(structure: Structure, v: Mapping[str, Any]) -> list[RentalNumbers]:
    """Every rental contract's numbers."""
    out = []
    for rental in structure.rentals:
        prefix = f"rent.{rental.name}"
        a, b = rental.dates.begins, rental.dates.ends
        contract_hours = (b - a) * HOURS_PER_YEAR
        hours = count = None
        if rental.basis == "hours":
            hours = v[f"{prefix}.gpu_hours"]
            cost = hours * v[f"{prefix}.price"]
            count = hours / contract_hours
        elif rental.basis == "count":
            count = v[f"{prefix}.count"]
            hours = count * contract_hours
            cost = hours * v[f"{prefix}.price"]
        else:
            cost = v[f"{prefix}.per_year"] * (b - a)
            if rental.counted:
                count = v[f"{prefix}.count"]
                hours = count * contract_hours
        out.append(RentalNumbers(rental.name, a, b, cost, hours, count, rental.accelerator))
    return out


def rental_peak(structure: Structure, rental: Rental, v: Mapping[str, Any]) -> Any:
    """Peak FLOP/s of one accelerator rented under a contract (its own, or that of the
    lab's type it names)."""
    if rental.accelerator is not None:
        return v[f"fleet.{rental.accelerator}.peak_flops"]
    return v[f"rent.{rental.name}.peak_flops"]


class Fleet(Protocol):
    """What the runs need of a lab's accumulated inputs (a
    :class:`~estimator.model.books.Books`)."""

    @property
    def structure(self) -> Structure: ...

    @property
    def v(self) -> Mapping[str, Any]: ...

    @property
    def tranches(self) -> Sequence[Any]: ...

    @property
    def rentals(self) -> Sequence[RentalNumbers]: ...

    def unit_years(self, tr: Any, t: float) -> Any: ...

    def ownership_per_hour(self, type_name: str) -> Any: ...


class RunNumbers:
    """The training runs' accelerator-hours, compute and costs for one evaluation.

    It holds the inputs, never the :class:`~estimator.model.books.Books` that holds it:
    a cycle between them would keep every chunk's arrays alive until the garbage
    collector ran (three times the memory of a long Monte Carlo run).
    """

    def __init__(self, structure: Structure, v: Mapping[str, Any]):
        self.structure, self.v = structure, v

    def peak(self, run: TrainingRun) -> Any:
        """Peak FLOP/s of one accelerator the run used."""
        if run.accelerator is not None:
            return self.v[f"fleet.{run.accelerator}.peak_flops"]
        assert run.rental is not None
        return rental_peak(self.structure, self.structure.rental(run.rental), self.v)

    @cached_property
    def hours(self) -> dict[str, Any]:
        """Each run's accelerator-hours."""
        out = {}
        for run in self.structure.runs:
            prefix, v = f"runs.{run.name}", self.v
            if run.basis == "hours":
                out[run.name] = v[f"{prefix}.gpu_hours"]
            elif run.basis == "accelerators":
                out[run.name] = v[f"{prefix}.accelerators"] * v[f"{prefix}.days"] * HOURS_PER_DAY
            else:
                achieved = self.peak(run) * v[f"{prefix}.mfu"] * SECONDS_PER_HOUR
                out[run.name] = self.flop(run) / achieved
        return out

    def flop(self, run: TrainingRun) -> Any:
        """A FLOP-defined run's training compute (given, or 6 x parameters x tokens)."""
        prefix, v = f"runs.{run.name}", self.v
        if run.basis == "flop":
            return v[f"{prefix}.flop"]
        return FLOP_PER_PARAMETER_TOKEN * v[f"{prefix}.parameters"] * v[f"{prefix}.tokens"]

    def results(self, books: Fleet, wanted: Mapping[str, Any]) -> dict[str, Any]:
        """Every run's results that ``wanted`` names (its hours when derived, compute,
        both costs, the share of its accelerators' hours it used), on ``books``."""
        v = self.v
        out: dict[str, Any] = {}
        for run in self.structure.runs:
            prefix = f"runs.{run.name}"
            hours = self.hours[run.name]
            if run.basis != "hours":
                out[f"{prefix}.gpu_hours"] = hours
            if f"{prefix}.flop" in wanted and f"{prefix}.flop" not in v:
                if run.basis in ("flop", "parameters"):
                    out[f"{prefix}.flop"] = self.flop(run)
                else:
                    rate = self.peak(run) * v[f"{prefix}.mfu"] * SECONDS_PER_HOUR
                    out[f"{prefix}.flop"] = hours * rate
            priced = f"{prefix}.rental_price" if run.priced else f"rent.{run.rental}.price"
            price = v[priced]
            out[f"{prefix}.rental_cost"] = hours * price
            if run.accelerator is not None:
                out[f"{prefix}.ownership_cost"] = hours * books.ownership_per_hour(run.accelerator)
            if run.dates is not None:
                out[f"{prefix}.capacity_share"] = hours / capacity(books, run)
        return out


def capacity(books: Fleet, run: TrainingRun) -> Any:
    """The accelerator-hours a dated run's accelerators had over its dates: the lab's own
    of its type in service and those rented of that type, or the contract's."""
    assert run.dates is not None
    a, b = run.dates.begins, run.dates.ends
    terms: list[Any] = []
    if run.accelerator is not None:
        for tr in books.tranches:
            if tr.type == run.accelerator:
                served = books.unit_years(tr, b) - books.unit_years(tr, a)
                terms.append(tr.count * served * HOURS_PER_YEAR)
    for rental in books.rentals:
        mine = rental.name == run.rental
        if mine or (run.accelerator is not None and rental.type == run.accelerator):
            assert rental.hours is not None
            terms.append(rental.hours * (rental.accrued(b) - rental.accrued(a)))
    total: Any = 0.0
    for term in terms:
        total = total + term
    return total
