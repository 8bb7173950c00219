"""What a lab is made of, apart from the numbers: its accelerator types and the tranches
they were bought in, the accelerators it rents, its training runs, its staff's dated
headcounts, its data centres, how it depreciates hardware, and its window.

These are the structure a lab's files state; the beliefs about the numbers (how many,
at what price) are the inputs of :class:`~estimator.model.equations.LabModel`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from estimator.model.periods import Period
from estimator.model.schedule import Depreciation

DataCentreMode = Literal["owned", "leased", "mixed"]
DATACENTRE_MODES: tuple[str, ...] = ("owned", "leased", "mixed")
DEPRECIATION_METHODS: tuple[str, ...] = ("straight_line", "declining_balance")
#: How a rental contract is priced: accelerator-hours x a price per hour (``hours``), a
#: number of accelerators x the contract's hours x a price per hour (``count``), or an
#: amount committed per year (``commitment``).
RentalBasis = Literal["hours", "count", "commitment"]
#: How a training run's accelerator-hours are stated: directly (``hours``), as
#: accelerators x days (``accelerators``), or as training compute in FLOP, given
#: (``flop``) or 6 x parameters x tokens (``parameters``), over peak FLOP/s x utilisation.
RunBasis = Literal["hours", "accelerators", "flop", "parameters"]


@dataclass(frozen=True)
class Tranche:
    """Accelerators of one type bought together.

    Attributes
    ----------
    name : str
        Empty for a type bought in one tranche (its inputs are then the type's own,
        ``fleet.<type>.count``); otherwise the tranche's inputs are
        ``fleet.<type>.<name>.count`` and ``.unit_price``.
    bought : Period or None
        Bought evenly over these days (one day for a single purchase date). ``None``: an
        undated tranche, taken as bought on the first day of the lab's window and in
        service for the share ``fleet.<type>.in_service`` of the time.
    retired : date or None
        Taken out of service on this day (its life then runs from the middle of the
        purchase to this day); otherwise it serves for its useful life.
    own_life : bool
        Whether the tranche states its own useful life (``<prefix>.life``) instead of the
        lab's ``hardware.useful_life``.
    """

    name: str = ""
    bought: Period | None = None
    retired: dt.date | None = None
    own_life: bool = False


@dataclass(frozen=True)
class AcceleratorType:
    """One kind of accelerator in the fleet, with optional group tags (e.g. ``hopper``),
    bought in one or more tranches."""

    name: str
    label: str = ""
    groups: tuple[str, ...] = ()
    tranches: tuple[Tranche, ...] = (Tranche(),)
    #: What kind of accelerator (one of ``ACCELERATOR_KINDS``).
    kind: str = "GPU"
    #: Whether its peak dense FLOP/s is stated (``fleet.<type>.peak_flops``).
    peak: bool = False

    def prefix(self, tranche: Tranche) -> str:
        """Where a tranche's inputs live: ``fleet.<type>`` or ``fleet.<type>.<tranche>``."""
        return f"fleet.{self.name}" + (f".{tranche.name}" if tranche.name else "")

    @property
    def undated(self) -> bool:
        """Bought at no stated date (today's simple form of a fleet)."""
        return any(t.bought is None for t in self.tranches)


@dataclass(frozen=True)
class Rental:
    """A contract renting accelerators from a provider between two dates; its cost
    accrues evenly over them.

    Attributes
    ----------
    basis : RentalBasis
        How it is priced (its inputs: ``rent.<name>.gpu_hours`` and ``.price``,
        ``.count`` and ``.price``, or ``.per_year``, with an optional ``.count``).
    accelerator : str or None
        An accelerator type of the lab's own fleet that these are (their hours then add
        to that type's, and its peak FLOP/s is theirs).
    counted : bool
        Whether the accelerators rented are known (by hours or by count): then they add
        to the lab's accelerator-hours and to what runs can use.
    peak : bool
        Whether the contract states its accelerators' peak FLOP/s (``.peak_flops``).
    """

    name: str
    dates: Period
    basis: RentalBasis
    label: str = ""
    provider: str = ""
    accelerator: str | None = None
    kind: str = "GPU"
    counted: bool = True
    peak: bool = False


@dataclass(frozen=True)
class TrainingRun:
    """A named training run: where it ran (an accelerator type of the lab's own, or a
    rental contract), when, and how its accelerator-hours are stated.

    ``priced`` says whether it states its own rental price (otherwise, on a contract
    priced by the hour, the contract's price is its rental-equivalent price); ``mfu``
    whether it states its utilisation (needed for FLOP-defined runs; for others it gives
    the run's FLOP).
    """

    name: str
    label: str = ""
    accelerator: str | None = None
    rental: str | None = None
    dates: Period | None = None
    basis: RunBasis = "hours"
    priced: bool = True
    mfu: bool = False


@dataclass(frozen=True)
class Staff:
    """When the headcount is stated: at each of ``dates`` (linear in between, flat
    before the first and after the last), or, with no dates, one average headcount over
    the lab's window."""

    dates: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class DataCentre:
    """Where the fleet is housed: data centres the lab builds (capex per MW of IT power,
    depreciated over their own life), leases (a price per kW of IT power a month), or a
    share of each."""

    mode: DataCentreMode = "leased"


@dataclass(frozen=True)
class Accounting:
    """How hardware is written off: straight line over the useful life by default, or
    declining balance (value falling at ``factor / life`` a year, the rest written off at
    the end of the life)."""

    depreciation: Depreciation = "straight_line"
    factor: float = 2.0


@dataclass(frozen=True)
class Structure:
    """Everything about a lab but its numbers."""

    types: tuple[AcceleratorType, ...]
    runs: tuple[TrainingRun, ...]
    window: Period
    staff: Staff = field(default_factory=Staff)
    datacentre: DataCentre | None = None
    accounting: Accounting = field(default_factory=Accounting)
    rentals: tuple[Rental, ...] = ()
    #: Whether the lab states how its accelerator-hours are used (``workload.*``).
    workload: bool = False
    #: When the lab's revenue is stated: ``None`` (it isn't), no dates (one rate over the
    #: window), or the days its annualised revenue is given on (linear in between).
    revenue: tuple[dt.date, ...] | None = None

    @cached_property
    def counts_hours(self) -> bool:
        """Whether accelerator-hours are counted: when some run states its dates, or the
        lab how its hours are used."""
        return self.workload or any(run.dates is not None for run in self.runs)

    @cached_property
    def counts_accelerators(self) -> bool:
        """Whether the lab has accelerators whose number is known (owned, or rented by
        hours or count)."""
        return bool(self.types) or any(r.counted for r in self.rentals)

    @cached_property
    def peaks_known(self) -> bool:
        """Whether every accelerator the lab owns or rents by count has a peak FLOP/s."""
        types = {acc.name: acc for acc in self.types}
        counted = [r for r in self.rentals if r.counted]
        if not self.types and not counted:
            return False
        rented = all(
            r.peak or (r.accelerator is not None and types[r.accelerator].peak) for r in counted
        )
        return rented and all(acc.peak for acc in self.types)

    def rental(self, name: str) -> Rental:
        """The rental contract named ``name``."""
        return next(r for r in self.rentals if r.name == name)

    @cached_property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """Each group tag and the accelerator types that carry it, in order."""
        out: dict[str, tuple[str, ...]] = {}
        for acc in self.types:
            for group in acc.groups:
                out[group] = (*out.get(group, ()), acc.name)
        return out
