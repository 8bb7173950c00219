"""A lab's inputs accumulated through time: each tranche's numbers (when it was bought,
how long it serves, its count, chip cost and power), their sums up to any moment, and the
stocks at a moment.

Accumulating is the costly part (per tranche and moment), so each tranche's numbers are
computed once, a tranche contributes nothing before it is bought, and sums are kept in
chip dollars and kW: servers and networking are a fixed multiple of chip spend, applied
once per sum rather than once per tranche. On numpy arrays the service time skips the
purchase-spread formula where the range of useful lives shows it would give a constant or
a straight line (the same values, exactly in theory and to rounding in practice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import Any

import numpy as np

from estimator.model.accumulate import Accumulated, add_present, scaled
from estimator.model.parts import Accounting, Structure
from estimator.model.periods import HOURS_PER_YEAR, position
from estimator.model.quantities import H100_PEAK_FLOPS, WORKLOADS
from estimator.model.schedule import (
    book_value,
    bought_by,
    headcount_weights,
    in_service,
    service_years,
    service_years_of_lives,
)
from estimator.model.usage import RentalNumbers, RunNumbers, rental_numbers, rental_peak

MONTHS_PER_YEAR = 12.0
KW_PER_MW = 1000.0


@dataclass(frozen=True)
class TrancheNumbers:
    """One tranche's numbers for one evaluation: when it was bought, how long it serves,
    and its count, unit price, chip cost and power (arrays, or tensors)."""

    type: str
    a: float
    b: float
    life: Any
    serving: Any
    undated: bool
    shared_life: bool
    count: Any
    chips: Any
    kw: Any
    unit_price: Any


class Books:
    """A lab's inputs, accumulated through time."""

    def __init__(self, structure: Structure, v: Mapping[str, Any], xp: ModuleType):
        self.structure, self.v, self.xp = structure, v, xp
        self.per_chip = v["server.overhead"] / (1.0 - v["network.share"])
        #: Zero, of the inputs' kind (an array, a tensor), for costs a lab doesn't have.
        self.zero = 0.0 * v["share.attributable"]
        self.accounting = structure.accounting
        self.datacentre = structure.datacentre
        staff = structure.staff
        if staff.dates:
            self.staff_times = [position(d) for d in staff.dates]
            self.headcounts = [v[f"staff.headcount.{d:%Y_%m_%d}"] for d in staff.dates]
        else:
            self.staff_times = []
            self.headcounts = [v["staff.headcount"]]
        self.origin = structure.window.begins
        revenue = structure.revenue
        self.revenue_times = [position(d) for d in revenue or ()]
        self.revenue_rates = [v[f"revenue.rate.{d:%Y_%m_%d}"] for d in revenue or ()]
        self.life = v["hardware.useful_life"]
        self.tranches = self._tranches()
        self.rentals: list[RentalNumbers] = rental_numbers(structure, v)
        self.runs = RunNumbers(structure, v)
        self._ranges: dict[int, tuple[float, float]] = {}

    def _tranches(self) -> list[TrancheNumbers]:
        v, window = self.v, self.structure.window
        out = []
        for acc in self.structure.types:
            power = v[f"fleet.{acc.name}.power"]
            for tranche in acc.tranches:
                prefix = acc.prefix(tranche)
                if tranche.bought is None:
                    a = b = window.begins
                    serving = v[f"fleet.{acc.name}.in_service"]
                else:
                    a, b = tranche.bought.begins, tranche.bought.ends
                    serving = 1.0
                if tranche.own_life:
                    life = v[f"{prefix}.life"]
                elif tranche.retired is not None:
                    life = position(tranche.retired) - 0.5 * (a + b)
                else:
                    life = self.life
                count = v[f"{prefix}.count"]
                price = v[f"{prefix}.unit_price"]
                out.append(
                    TrancheNumbers(
                        acc.name,
                        a,
                        b,
                        life,
                        serving,
                        tranche.bought is None,
                        life is self.life,
                        count,
                        count * price,
                        count * power,
                        price,
                    )
                )
        return out

    def _range(self, life: Any) -> tuple[float, float] | None:
        """The smallest and largest of a numpy array of lives (``None`` for tensors)."""
        if self.xp is not np:
            return None
        if isinstance(life, float | int):
            return float(life), float(life)
        key = id(life)
        if key not in self._ranges:
            self._ranges[key] = (float(np.min(life)), float(np.max(life)))
        return self._ranges[key]

    def _served(self, t: float, a: float, b: float, life: Any) -> Any:
        """Service years per unit accumulated by ``t`` (:func:`service_years`)."""
        if t <= a:
            return 0.0
        span = self._range(life)
        if span is not None:
            shortest, longest = span
            if t - shortest <= a:  # no unit has reached the end of its life
                return service_years(t, a, b, np.inf, np)
            if t - longest >= b:  # every unit has: each served its whole life
                return life
            if isinstance(life, np.ndarray) and life.ndim:
                return service_years_of_lives(t, a, b, life)
        return service_years(t, a, b, life, self.xp)

    def unit_years(self, tr: TrancheNumbers, t: float) -> Any:
        """Years of service per accelerator of a tranche accumulated by ``t``."""
        if t <= tr.a:
            return 0.0
        if tr.undated:
            return _undated(t - tr.a, tr.serving, tr.life, self.xp, self.accounting)[0]
        return self._served(t, tr.a, tr.b, tr.life)

    def accumulated(self, t: float) -> Accumulated:
        """Every flow, accumulated from the beginning up to the moment ``t``, in chip
        dollars, kW, person-years, dollars of rent and accelerator-hours."""
        sums = Accumulated(self.zero, self._person_years(t))
        straight = self.accounting.depreciation == "straight_line"
        dc = self.datacentre
        hours = self.structure.counts_hours
        if self.revenue_times:
            weights = headcount_weights(self.revenue_times, self.origin, t)
            for weight, rate in zip(weights, self.revenue_rates, strict=True):
                sums.add("revenue", 0, rate, float(weight))
        for rental in self.rentals:
            share = rental.accrued(t)
            sums.add(f"rent.{rental.name}", 0, rental.cost, share)
            if hours and rental.hours is not None:
                sums.add("rented_hours", 0, rental.hours, share)
        if hours:
            for run in self.structure.runs:
                if run.dates is not None:
                    share = bought_by(t, run.dates.begins, run.dates.ends)
                    sums.add("run_hours", 0, self.runs.hours[run.name], share)
        for index, tr in enumerate(self.tranches):
            if t <= tr.a:
                continue
            bought = bought_by(t, tr.a, tr.b)
            if tr.undated:
                served, book = _undated(t - tr.a, tr.serving, tr.life, self.xp, self.accounting)
                sums.add("written_chips", index, tr.chips, 1.0 - book)
                sums.add("other_chip_years", index, tr.chips, served)
            else:
                served = self._served(t, tr.a, tr.b, tr.life)
                if straight and tr.shared_life:
                    sums.add("shared_life_chip_years", index, tr.chips, served)
                else:
                    if straight:
                        written = served / tr.life
                    else:
                        factor = self.accounting.factor
                        book = book_value(
                            t, tr.a, tr.b, tr.life, self.xp, "declining_balance", factor
                        )
                        written = 1.0 - book
                    sums.add("written_chips", index, tr.chips, written)
                    sums.add("other_chip_years", index, tr.chips, served)
            sums.add("chips", index, tr.chips, bought)
            sums.add("kw_years", index, tr.kw, served)
            if hours:
                sums.add("unit_years", index, tr.count, served)
            if dc is not None and dc.mode != "leased":
                sums.add("kw_bought", index, tr.kw, bought)
                dc_served = self._served(t, tr.a, tr.b, self.v["datacentre.life"])
                sums.add("kw_dc_years", index, tr.kw, dc_served)
        return sums

    def written(self, at: Accumulated) -> Any:
        """Chip dollars written off by a moment."""
        return add_present(
            self.zero,
            (
                at.total("written_chips"),
                scaled(None, at.total("shared_life_chip_years"), self.per_life_year),
            ),
        )

    def _person_years(self, t: float) -> Any:
        """Person-years of staff from the window's start to ``t`` (``None`` when the
        headcount is undated: then a period's person-years are headcount x years)."""
        if not self.staff_times:
            return None
        weights = headcount_weights(self.staff_times, self.origin, t)
        total: Any = 0.0
        for weight, headcount in zip(weights, self.headcounts, strict=True):
            total = total + weight * headcount
        return total

    @cached_property
    def per_life_year(self) -> Any:
        """The share of its value a unit of the shared useful life loses in a year."""
        return 1.0 / self.life

    @cached_property
    def hardware_per_chip_life_year(self) -> Any:
        """Hardware dollars written off per chip dollar and year in service, over the
        shared useful life."""
        return self.per_chip * self.per_life_year

    @cached_property
    def staff_rate(self) -> Any:
        """Staff cost a year of an undated headcount."""
        return self.headcounts[0] * self.pay

    @cached_property
    def energy_rate(self) -> Any:
        """Cost of a kW of rated IT power for a year."""
        v = self.v
        return HOURS_PER_YEAR * v["energy.load"] * v["energy.pue"] * v["energy.price"]

    @cached_property
    def maintenance_rate(self) -> Any:
        """Maintenance of a chip dollar in service for a year (on its servers' value)."""
        return self.per_chip * self.v["maintenance.rate"]

    @cached_property
    def lease_rate(self) -> Any:
        """Lease of a kW of IT power for a year, on the leased share."""
        v = self.v
        leased = 1.0 - v.get("datacentre.owned_share", 0.0)
        return v["datacentre.lease_price"] * MONTHS_PER_YEAR * leased

    @cached_property
    def dc_per_kw(self) -> Any:
        """Data-centre capacity built per kW of IT power, on the owned share."""
        v = self.v
        owned = v.get("datacentre.owned_share", 1.0)
        return v["datacentre.capex"] / KW_PER_MW * owned

    @cached_property
    def dc_written_per_kw_year(self) -> Any:
        """Data-centre capacity written off per kW of IT power and year of its life."""
        return self.dc_per_kw / self.v["datacentre.life"]

    @cached_property
    def cash_pay(self) -> Any:
        """Loaded cash pay per person-year."""
        return self.v["staff.pay"] * self.v["staff.overhead"]

    @cached_property
    def pay(self) -> Any:
        """Loaded cash pay and equity per person-year."""
        return self.cash_pay + self.v["staff.equity"]

    def stocks(self, t: float, accumulated: Accumulated | None = None) -> dict[str, Any]:
        """Every stock at the moment ``t``: what has been bought by then, and its book
        value (``accumulated``: what :meth:`accumulated` gives at ``t``, if at hand)."""
        v = self.v
        counts: dict[str, list[Any]] = {}
        chips: dict[str, list[Any]] = {}
        for tr in self.tranches:
            bought = bought_by(t, tr.a, tr.b)
            for store, value in ((counts, tr.count), (chips, tr.chips)):
                store.setdefault(tr.type, []).append(value if bought == 1.0 else value * bought)
        count = {name: add_present(self.zero, parts) for name, parts in counts.items()}
        chip = {name: add_present(self.zero, parts) for name, parts in chips.items()}
        out: dict[str, Any] = {}
        for acc in self.structure.types:
            out[f"fleet.{acc.name}.count"] = count[acc.name]
            out[f"fleet.{acc.name}.gpu_spend"] = chip[acc.name]
            out[f"fleet.{acc.name}.capex"] = chip[acc.name] * self.per_chip
        for group, members in sorted(self.structure.groups.items()):
            out[f"fleet.{group}.count"] = add_present(self.zero, (count[m] for m in members))
            out[f"fleet.{group}.gpu_spend"] = add_present(self.zero, (chip[m] for m in members))
            out[f"fleet.{group}.capex"] = out[f"fleet.{group}.gpu_spend"] * self.per_chip
        out["fleet.all.count"] = add_present(self.zero, count.values())
        gpu = add_present(self.zero, chip.values())
        servers = gpu * v["server.overhead"]
        hardware = gpu * self.per_chip
        accumulated = accumulated if accumulated is not None else self.accumulated(t)
        on_books = gpu - self.written(accumulated)  # gpu: every chip bought by t
        out.update(
            {
                "gpu_spend": gpu,
                "capex.servers": servers,
                "capex.network": servers * v["network.share"] / (1.0 - v["network.share"]),
                "capex.hardware": hardware,
                "capex.attributable": hardware * v["share.attributable"],
                "fleet.value": on_books * self.per_chip,
            }
        )
        if self.structure.counts_accelerators:
            serving = self.in_service(t)
            out["compute.accelerators"] = serving
            if self.structure.workload:
                for use in WORKLOADS:
                    share = self.workload_share(use)
                    out[f"compute.accelerators.{use}"] = serving * share
        if self.structure.peaks_known:
            peak = self.peak_flops(t)
            out["compute.peak_flops"] = peak
            out["compute.h100e"] = peak / H100_PEAK_FLOPS
        return out

    def ownership_per_hour(self, type_name: str) -> Any:
        """What an hour of one accelerator of a type costs its owner: its hardware
        (servers and networking included) written off straight-line over its useful
        life, averaged over the type's tranches by count, and the energy it draws."""
        xp = self.xp
        tranches = [tr for tr in self.tranches if tr.type == type_name]
        if len(tranches) == 1:
            per_unit_year = tranches[0].unit_price / tranches[0].life
        else:
            # Weighted by count; where the type has no accelerators, the plain mean.
            count = add_present(self.zero, (tr.count for tr in tranches))
            weighted = add_present(self.zero, (tr.chips / tr.life for tr in tranches))
            mean = add_present(self.zero, (tr.unit_price / tr.life for tr in tranches))
            some = count > 0
            safe = xp.where(some, count, 1.0)
            per_unit_year = xp.where(some, weighted / safe, mean / len(tranches))
        hardware = per_unit_year * self.per_chip / HOURS_PER_YEAR
        energy = self.v[f"fleet.{type_name}.power"] * self.energy_rate / HOURS_PER_YEAR
        return hardware + energy

    def peak_flops(self, t: float) -> Any:
        """Peak FLOP/s of the accelerators in service at the moment ``t`` (see
        :meth:`in_service`)."""
        return self.in_service(t, peak=True)

    def in_service(self, t: float, peak: bool = False) -> Any:
        """Accelerators in service at the moment ``t`` (or, with ``peak``, their peak
        FLOP/s): bought, and not yet at the end of their life (an undated tranche ages at
        its share of time in service), and those rented then."""
        v, xp = self.v, self.xp
        terms = []
        for tr in self.tranches:
            if t <= tr.a:
                continue
            if tr.undated:
                share = xp.where(tr.serving * (t - tr.a) < tr.life, 1.0, 0.0)
            else:
                share = in_service(t, tr.a, tr.b, tr.life, xp)
            per_unit = v[f"fleet.{tr.type}.peak_flops"] if peak else 1.0
            terms.append(tr.count * share * per_unit)
        for rental, numbers in zip(self.structure.rentals, self.rentals, strict=True):
            if numbers.count is not None and numbers.a < t <= numbers.b:
                per_unit = rental_peak(self.structure, rental, v) if peak else 1.0
                terms.append(numbers.count * per_unit)
        return add_present(self.zero, terms)

    def workload_share(self, use: str) -> Any:
        """The share of the lab's accelerator-hours spent on ``use`` (research is what
        training and inference leave, never below 0)."""
        v = self.v
        if use != "research":
            return v[f"workload.{use}"]
        return self.xp.maximum(1.0 - v["workload.training"] - v["workload.inference"], 0.0)


def _undated(
    elapsed: float, serving: Any, life: Any, xp: ModuleType, accounting: Accounting
) -> tuple[Any, Any]:
    """Service years and book value of an undated tranche ``elapsed`` years after the
    window's start: in service the share ``serving`` of the time, so it ages at that
    pace and is written off over ``life`` years of service."""
    age = serving * max(elapsed, 0.0)
    served = xp.minimum(age, life)
    if accounting.depreciation == "straight_line":
        return served, 1.0 - served / life
    return served, xp.where(age < life, xp.exp(-accounting.factor * age / life), 0.0)
