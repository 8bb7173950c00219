"""Named quantities: the inputs a lab states (slots) and the results the equations give,
each with its unit, what kind of quantity it is and whose costs it counts.

Every input and every result is a *named quantity*; claims, questions and reports refer
to quantities by these names. A result over a period other than the window is named
``<quantity>@<period>`` (``spend.total@2024``).

Kinds: a *flow* adds up over a period (spend, purchases, depreciation, operating costs);
a *stock* is a state at a period's end (accelerators bought, their cost, the value still
on the books); an *average* is a level averaged over a period (headcount); a *rate* is a
flow per year; a *run* belongs to a training run, not to a period.

Scopes: ``lab`` counts the lab's attributable share of what it shares (hardware, energy,
maintenance, data centres and facilities; never its own staff), ``fleet`` the whole fleet
the lab uses; a quantity of either reads ``any``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from estimator.errors import did_you_mean, listing

#: What values a quantity takes: amounts that can't be negative, shares in [0, 1], or any
#: real number (a cash burn: spend less revenue).
Domain = Literal["positive", "share", "real"]
Kind = Literal["input", "flow", "stock", "average", "rate", "run", "derived"]
Scope = Literal["lab", "fleet", "any"]
SCOPES: tuple[str, ...] = ("lab", "fleet")
#: Names of accelerator types, groups, tranches, runs and scenarios (they name
#: quantities, report folders and files, so they are kept short).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_FLEET_NAMES = frozenset({"all"})
#: The quantity a report leads with, unless the lab names another (``[lab] headline``).
DEFAULT_HEADLINE = "spend.total"
#: Joins a quantity's name and a period's key.
PERIOD_MARK = "@"


@dataclass(frozen=True)
class Slot:
    """An input of the model: what a prior must be given for.

    ``path`` is where its belief sits in the lab's files (TOML keys), when that differs
    from its name split at the dots.
    """

    name: str
    unit: str
    domain: Domain
    description: str
    default: float | None = None
    path: tuple[str, ...] = field(default=(), compare=False)

    @property
    def keys(self) -> tuple[str, ...]:
        """The TOML keys of its belief table."""
        return self.path or tuple(self.name.split("."))


@dataclass(frozen=True)
class Quantity:
    """Any named quantity: an input or a result of the equations."""

    name: str
    unit: str
    description: str
    is_input: bool
    domain: Domain = "positive"
    kind: Kind = "input"
    scope: Scope = "any"


def dated_slots(prefix: str, dates: tuple[dt.date, ...], unit: str, text: str) -> dict[str, Slot]:
    """One slot per day of a dated list of beliefs (``[[staff.headcount]]``,
    ``[[revenue.rate]]``): ``<prefix>.<yyyy_mm_dd>``, whose belief is the list's entry of
    that day; ``text`` describes it and ends with the day."""
    out = {}
    for index, day in enumerate(dates):
        name = f"{prefix}.{day:%Y_%m_%d}"
        path = (*prefix.split("."), str(index))
        out[name] = Slot(name, unit, "positive", f"{text} {day.isoformat()}", path=path)
    return out


def period_name(name: str, key: str) -> str:
    """The name of ``name`` over the period with ``key``: ``spend.total@2024``."""
    return f"{name}{PERIOD_MARK}{key}"


def split_period(name: str) -> tuple[str, str | None]:
    """``spend.total@2024`` -> (``spend.total``, ``2024``); a plain name has no period."""
    base, mark, key = name.partition(PERIOD_MARK)
    return (base, key) if mark else (base, None)


#: Inputs every lab states.
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
    Slot("staff.pay", "USD/person/year", "positive", "Cash pay per person-year"),
    Slot(
        "staff.equity",
        "USD/person/year",
        "positive",
        "Equity granted per person-year, valued at grant",
        default=0.0,
    ),
    Slot(
        "staff.overhead",
        "ratio",
        "positive",
        "Loaded cost of an employee divided by cash pay (benefits, payroll tax, offices)",
    ),
    Slot(
        "maintenance.rate",
        "1/year",
        "positive",
        "Hardware maintenance per year, as a share of the cost of the hardware in service",
    ),
    Slot(
        "facilities.cost",
        "USD/year",
        "positive",
        "Facilities beyond the data centres and the energy bill, per year",
    ),
    Slot("other.cost", "USD/year", "positive", "Data, licences, services and other costs per year"),
    Slot(
        "hardware.useful_life",
        "year",
        "positive",
        "Useful life of hardware: its time in service and the span it is written off over",
    ),
)

#: Inputs about owned hardware that a lab owning no accelerators need not state: they
#: multiply nothing there, so they take these values unless stated.
UNOWNED_DEFAULTS: dict[str, float] = {
    "share.attributable": 1.0,
    "server.overhead": 1.0,
    "network.share": 0.0,
    "energy.load": 1.0,
    "energy.pue": 1.0,
    "energy.price": 0.0,
    "maintenance.rate": 0.0,
    "hardware.useful_life": 1.0,
}

#: Revenue per year, averaged over the window, when no dated revenue is given.
REVENUE_SLOT = Slot("revenue.rate", "USD/year", "positive", "Revenue per year, over the window")

#: The average headcount over the window, when no dated headcounts are given.
HEADCOUNT_SLOT = Slot("staff.headcount", "person", "positive", "Average headcount over the window")

#: Inputs of the data centres, by how they are had.
DATACENTRE_SLOTS: dict[str, Slot] = {
    "capex": Slot(
        "datacentre.capex",
        "USD/MW",
        "positive",
        "Cost of building data-centre capacity per MW of IT power",
    ),
    "life": Slot("datacentre.life", "year", "positive", "Useful life of a data centre"),
    "lease_price": Slot(
        "datacentre.lease_price",
        "USD/kW/month",
        "positive",
        "Lease of data-centre capacity per kW of IT power a month (colocation)",
    ),
    "owned_share": Slot(
        "datacentre.owned_share",
        "fraction",
        "share",
        "Share of the fleet's IT power housed in data centres the lab owns",
    ),
}
DATACENTRE_INPUTS = {
    "owned": ("capex", "life"),
    "leased": ("lease_price",),
    "mixed": ("capex", "life", "lease_price", "owned_share"),
}

#: Kinds of accelerator a type may be (all count in one unit: accelerators).
ACCELERATOR_KINDS: tuple[str, ...] = (
    "GPU",
    "TPU",
    "Trainium",
    "Ascend",
    "Gaudi",
    "Instinct",
    "MTIA",
    "other",
)
#: Peak dense BF16 FLOP/s of one NVIDIA H100 SXM: the yardstick of H100-equivalents.
#: NVIDIA's datasheet gives 1,979 TFLOP/s with 2:4 sparsity, half that dense; tabulated at
#: https://glennklockwood.com/garden/processors/h100 (BF16 matrix, 989.4 TFLOP/s).
H100_PEAK_FLOPS = 989.4e12
#: A type's peak dense BF16 FLOP/s, stated when its compute is to be counted.
PEAK_SLOT = Slot("peak_flops", "FLOP/s/GPU", "positive", "Peak dense BF16 FLOP/s per accelerator")
#: Inputs stated for each accelerator type ``fleet.<type>.<slot>``.
TYPE_SLOTS: tuple[Slot, ...] = (
    Slot("power", "kW/GPU", "positive", "Rated server power per accelerator, before PUE"),
)
#: Inputs stated for each tranche (``fleet.<type>.<slot>`` for a type's only tranche).
TRANCHE_SLOTS: tuple[Slot, ...] = (
    Slot("count", "GPU", "positive", "Accelerators bought"),
    Slot("unit_price", "USD/GPU", "positive", "Purchase price per accelerator (the chip or card)"),
)
#: An undated type's share of the window in service.
IN_SERVICE_SLOT = Slot(
    "in_service",
    "fraction",
    "share",
    "Share of the window this type was in service (undated types)",
    default=1.0,
)
#: A tranche's own useful life.
LIFE_SLOT = Slot("life", "year", "positive", "Useful life of this tranche")

#: Inputs a training run may state ``runs.<run>.<slot>``, by name.
RUN_SLOTS: dict[str, Slot] = {
    s.name: s
    for s in (
        Slot("gpu_hours", "GPU*hour", "positive", "Accelerator-hours of the run"),
        Slot("accelerators", "GPU", "positive", "Accelerators the run used at once"),
        Slot("days", "day", "positive", "Days the run took"),
        Slot("flop", "FLOP", "positive", "Training compute of the run"),
        Slot(
            "parameters",
            "parameter",
            "positive",
            "Parameters (active ones, for a mixture of experts)",
        ),
        Slot("tokens", "token", "positive", "Training tokens"),
        Slot(
            "mfu",
            "fraction",
            "share",
            "Model FLOP utilisation: achieved over peak FLOP/s",
        ),
        Slot("rental_price", "USD/(GPU*hour)", "positive", "Rental price per accelerator-hour"),
    )
}
#: The inputs that state a run's accelerator-hours, by how it states them.
RUN_BASES: dict[str, tuple[str, ...]] = {
    "hours": ("gpu_hours",),
    "accelerators": ("accelerators", "days"),
    "flop": ("flop", "mfu"),
    "parameters": ("parameters", "tokens", "mfu"),
}
#: FLOP per parameter and token of a training run (forward and backward passes).
FLOP_PER_PARAMETER_TOKEN = 6.0
#: How the lab's accelerator-hours are used: inputs ``workload.<use>`` (shares of its
#: hours); research is what training and inference leave.
WORKLOAD_SLOTS: tuple[Slot, ...] = (
    Slot(
        "workload.training",
        "fraction",
        "share",
        "Share of the lab's accelerator-hours spent training",
    ),
    Slot(
        "workload.inference",
        "fraction",
        "share",
        "Share of the lab's accelerator-hours spent serving (inference)",
    ),
)
WORKLOADS: tuple[str, ...] = ("training", "inference", "research")
#: Inputs a rental contract may state ``rent.<contract>.<slot>``, by name.
RENTAL_SLOTS: dict[str, Slot] = {
    s.name: s
    for s in (
        Slot("gpu_hours", "GPU*hour", "positive", "Accelerator-hours rented under the contract"),
        Slot("count", "GPU", "positive", "Accelerators rented under the contract"),
        Slot("price", "USD/(GPU*hour)", "positive", "Price per accelerator-hour"),
        Slot("per_year", "USD/year", "positive", "Amount committed per year of the contract"),
    )
}
#: The inputs of a rental contract, by how it is priced (a commitment may also state
#: its ``count``).
RENTAL_BASES: dict[str, tuple[str, ...]] = {
    "hours": ("gpu_hours", "price"),
    "count": ("count", "price"),
    "commitment": ("per_year",),
}

#: Costs over a period that exist in both scopes: name, description.
SHARED_FLOWS: tuple[tuple[str, str], ...] = (
    ("purchases.chips", "Accelerators bought in the period: count x unit price"),
    ("purchases.hardware", "Servers and networking bought in the period (cash view of hardware)"),
    ("purchases.datacentre", "Data-centre capacity built in the period (owned data centres)"),
    ("depreciation.hardware", "Hardware written off in the period (economic view)"),
    ("depreciation.datacentre", "Owned data centres written off in the period"),
    ("opex.energy", "Electricity in the period"),
    ("opex.maintenance", "Hardware maintenance in the period, while in service"),
    ("opex.facilities", "Data-centre leases and other facilities in the period"),
    ("opex.other", "Maintenance, facilities and services in the period"),
    ("opex.total", "All operating costs in the period"),
    (
        "spend.total",
        "Cash view: hardware and data centres bought in the period plus operating costs",
    ),
    (
        "cost.amortized",
        "Economic view: hardware and data centres written off in the period plus operating costs",
    ),
)
#: The lab's own costs over a period (no share applies).
OWN_FLOWS: tuple[tuple[str, str], ...] = (
    ("opex.staff", "Staff in the period: person-years x (cash pay x overhead + equity)"),
    ("opex.staff.cash", "Staff cash pay and overhead in the period"),
    ("opex.staff.equity", "Staff equity in the period"),
    ("opex.services", "Data, licences, services and other costs in the period"),
)
#: Rentals over a period, for a lab that rents (the lab's own cost: no share applies,
#: and the provider's hardware is never the lab's).
RENT_FLOWS: tuple[tuple[str, str], ...] = (
    ("rent.total", "Accelerators rented in the period (every contract; an operating cost)"),
)
#: Flows reported for each calendar year of the window, in both scopes where they have
#: two (the per-year table and figure).
PERIOD_TABLE: tuple[str, ...] = (
    "spend.total",
    "cost.amortized",
    "purchases.hardware",
    "purchases.datacentre",
    "depreciation.hardware",
    "depreciation.datacentre",
    "opex.total",
    "opex.energy",
    "opex.staff",
    "opex.maintenance",
    "opex.facilities",
    "opex.services",
    "rent.total",
    "revenue",
    "cash.burn",
)
#: The parts of the cash view, which add up to ``spend.total`` (the per-year figure).
CASH_PARTS: tuple[str, ...] = (
    "purchases.hardware",
    "purchases.datacentre",
    "opex.energy",
    "opex.staff",
    "opex.maintenance",
    "opex.facilities",
    "opex.services",
    "rent.total",
)


def fleet_name(name: str) -> str:
    """The whole-fleet twin of a lab-scope flow: ``opex.energy`` -> ``opex.energy.fleet``."""
    return f"{name}.fleet"


class UnknownQuantityError(KeyError):
    """A quantity name the model does not define; the message lists valid ones."""

    def __init__(self, name: str, valid: list[str]):
        hint = did_you_mean(name, valid)
        text = f"unknown quantity {name!r}"
        if hint:
            text += f" (did you mean {hint}?)"
        super().__init__(text + f"; valid names: {listing(valid, limit=60)}")
        self.name, self.hint, self.valid = name, hint, valid
