"""Named quantities: the inputs a lab states (slots), the results the equations give, the
structure they are named after (accelerator types, training runs, the accounting window),
and the quantity a report leads with.

Every input and every result is a *named quantity* with a canonical unit; claims,
questions and reports refer to quantities by these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from estimator.errors import did_you_mean, listing

Domain = Literal["positive", "share"]
#: Names of accelerator types, groups, runs and scenarios (they name quantities, report
#: folders and files, so they are kept short).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
HOURS_PER_YEAR = 8766.0  # 365.25 days
RESERVED_FLEET_NAMES = frozenset({"all"})
#: The quantity a report leads with.
HEADLINE = "spend.total"


@dataclass(frozen=True)
class Slot:
    """An input of the model: what a prior must be given for."""

    name: str
    unit: str
    domain: Domain
    description: str
    default: float | None = None


@dataclass(frozen=True)
class Quantity:
    """Any named quantity: an input or a result of the equations."""

    name: str
    unit: str
    description: str
    is_input: bool
    domain: Domain = "positive"


#: Inputs every lab states, keyed by name.
GLOBAL_SLOTS: tuple[Slot, ...] = (
    Slot(
        "share.attributable",
        "fraction",
        "share",
        "Share of the fleet's cost and use attributable to the lab",
    ),
    Slot(
        "server.overhead",
        "ratio",
        "positive",
        "Server cost per GPU divided by the GPU's own price (chassis, CPUs, memory, NICs)",
    ),
    Slot(
        "network.share",
        "fraction",
        "share",
        "Cluster networking as a share of total cluster hardware cost",
    ),
    Slot("energy.load", "fraction", "share", "Average power draw as a share of rated server power"),
    Slot(
        "energy.pue",
        "ratio",
        "positive",
        "Power usage effectiveness of the data centre (total / IT power)",
    ),
    Slot("energy.price", "USD/kWh", "positive", "Electricity price"),
    Slot("staff.headcount", "person", "positive", "Average headcount over the window"),
    Slot("staff.pay", "USD/person/year", "positive", "Pay per person-year"),
    Slot(
        "staff.overhead",
        "ratio",
        "positive",
        "Loaded cost of an employee divided by pay (benefits, payroll tax, offices)",
    ),
    Slot(
        "maintenance.rate",
        "1/year",
        "positive",
        "Hardware maintenance per year, as a share of hardware capex",
    ),
    Slot(
        "facilities.cost",
        "USD/year",
        "positive",
        "Data-centre space and facilities not in the energy bill, per year",
    ),
    Slot("other.cost", "USD/year", "positive", "Data, licences, services and other costs per year"),
    Slot(
        "hardware.useful_life",
        "year",
        "positive",
        "Useful life over which hardware capex is amortized",
    ),
)

#: Inputs stated for each accelerator type ``fleet.<type>.<slot>``.
TYPE_SLOTS: tuple[Slot, ...] = (
    Slot("count", "GPU", "positive", "Accelerators of this type in the fleet"),
    Slot("unit_price", "USD/GPU", "positive", "Purchase price per accelerator (the chip or card)"),
    Slot("power", "kW/GPU", "positive", "Rated server power per accelerator, before PUE"),
    Slot(
        "in_service",
        "fraction",
        "share",
        "Share of the accounting window this type was in service",
        default=1.0,
    ),
)

#: Inputs stated for each named training run ``runs.<run>.<slot>``.
RUN_SLOTS: tuple[Slot, ...] = (
    Slot("gpu_hours", "GPU*hour", "positive", "Accelerator-hours of the run"),
    Slot("rental_price", "USD/(GPU*hour)", "positive", "Rental price per accelerator-hour"),
)


@dataclass(frozen=True)
class AcceleratorType:
    """One kind of accelerator in the fleet, with optional group tags (e.g. ``hopper``)."""

    name: str
    label: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingRun:
    """A named training run costed at rental-equivalent prices."""

    name: str
    label: str = ""
    accelerator: str | None = None


@dataclass(frozen=True)
class Window:
    """The accounting window, both ends included."""

    start: date
    end: date

    @property
    def years(self) -> float:
        return ((self.end - self.start).days + 1) / 365.25

    @property
    def hours(self) -> float:
        return self.years * HOURS_PER_YEAR


class UnknownQuantityError(KeyError):
    """A quantity name the model does not define; the message lists valid ones."""

    def __init__(self, name: str, valid: list[str]):
        hint = did_you_mean(name, valid)
        text = f"unknown quantity {name!r}"
        if hint:
            text += f" (did you mean {hint}?)"
        super().__init__(text + f"; valid names: {listing(valid, limit=60)}")
        self.name, self.hint, self.valid = name, hint, valid
