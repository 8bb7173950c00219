"""The named quantities of one lab: its inputs (one slot for each belief it states) and
every result of its equations, over its window and over the periods it is asked about."""

from __future__ import annotations

from dataclasses import replace

from estimator.model.activity import (
    compute_results,
    rental_inputs,
    rental_results,
    revenue_results,
    revenue_slots,
    run_inputs,
    run_results,
)
from estimator.model.parts import Structure
from estimator.model.periods import Period
from estimator.model.quantities import (
    DATACENTRE_INPUTS,
    DATACENTRE_SLOTS,
    GLOBAL_SLOTS,
    HEADCOUNT_SLOT,
    IN_SERVICE_SLOT,
    LIFE_SLOT,
    OWN_FLOWS,
    PEAK_SLOT,
    PERIOD_TABLE,
    RENTAL_SLOTS,
    RUN_SLOTS,
    SHARED_FLOWS,
    TRANCHE_SLOTS,
    TYPE_SLOTS,
    UNOWNED_DEFAULTS,
    WORKLOAD_SLOTS,
    WORKLOADS,
    Kind,
    Quantity,
    Scope,
    Slot,
    dated_slots,
    fleet_name,
    period_name,
)


def slots_of(structure: Structure) -> dict[str, Slot]:
    """Every input of a lab with this structure, in a stable order."""
    slots: dict[str, Slot] = {}
    for slot in GLOBAL_SLOTS:
        if slot.name == "staff.pay":  # headcounts come first among the staff's inputs
            slots.update(_headcount_slots(structure))
        if not structure.types and slot.name in UNOWNED_DEFAULTS:
            slot = replace(slot, default=UNOWNED_DEFAULTS[slot.name])
        slots[slot.name] = slot
    if structure.datacentre is not None:
        for key in DATACENTRE_INPUTS[structure.datacentre.mode]:
            slot = DATACENTRE_SLOTS[key]
            slots[slot.name] = slot
    for acc in structure.types:
        # A type bought at once keeps the order of its inputs before tranches existed
        # (count, unit price, power, time in service), so that its draws stay the same.
        single = len(acc.tranches) == 1 and not acc.tranches[0].name
        for tranche in acc.tranches if single else ():
            _add_tranche(slots, acc.prefix(tranche), (), tranche.own_life)
        for s in TYPE_SLOTS:
            _add(slots, f"fleet.{acc.name}", s)
        if acc.undated:
            _add(slots, f"fleet.{acc.name}", IN_SERVICE_SLOT)
        for tranche in () if single else acc.tranches:
            path = ("fleet", acc.name, "tranches", tranche.name)
            _add_tranche(slots, acc.prefix(tranche), path, tranche.own_life)
    for run in structure.runs:
        for key in run_inputs(run):
            _add(slots, f"runs.{run.name}", RUN_SLOTS[key])
    for rental in structure.rentals:
        for key in rental_inputs(rental):
            _add(slots, f"rent.{rental.name}", RENTAL_SLOTS[key])
    if structure.workload:
        for slot in WORKLOAD_SLOTS:
            slots[slot.name] = slot
    slots.update(revenue_slots(structure))
    # Last, so that stating a peak leaves every other input's draws as they were.
    for acc in structure.types:
        if acc.peak:
            _add(slots, f"fleet.{acc.name}", PEAK_SLOT)
    for rental in structure.rentals:
        if rental.peak:
            _add(slots, f"rent.{rental.name}", PEAK_SLOT)
    return slots


def _headcount_slots(structure: Structure) -> dict[str, Slot]:
    """One headcount for the window, or one per stated date."""
    dates = structure.staff.dates
    if not dates:
        return {HEADCOUNT_SLOT.name: HEADCOUNT_SLOT}
    return dated_slots("staff.headcount", dates, "person", "Headcount on")


def _add_tranche(
    slots: dict[str, Slot], prefix: str, path: tuple[str, ...], own_life: bool
) -> None:
    for s in TRANCHE_SLOTS:
        _add(slots, prefix, s, path)
    if own_life:
        _add(slots, prefix, LIFE_SLOT, path)


def _add(slots: dict[str, Slot], prefix: str, slot: Slot, path: tuple[str, ...] = ()) -> None:
    name = f"{prefix}.{slot.name}"
    keys = (*path, slot.name) if path else ()
    slots[name] = Slot(name, slot.unit, slot.domain, slot.description, slot.default, keys)


def window_quantities(structure: Structure, slots: dict[str, Slot]) -> dict[str, Quantity]:
    """Every named quantity over the window: the inputs, then the results."""
    out: dict[str, Quantity] = {}
    for s in slots.values():
        kind: Kind = "input"
        if s.name.startswith("fleet.") and s.name.endswith(".count"):
            kind = "stock"
        elif s.name == HEADCOUNT_SLOT.name:
            kind = "average"
        scope: Scope = "fleet" if s.name.startswith("fleet.") else "any"
        out[s.name] = Quantity(s.name, s.unit, s.description, True, s.domain, kind, scope)
    for q in _results(structure):
        if q.name not in out:
            out[q.name] = q
    return out


def _results(structure: Structure) -> list[Quantity]:
    def stock(name: str, unit: str, text: str, scope: Scope = "fleet") -> Quantity:
        return Quantity(name, unit, text, False, kind="stock", scope=scope)

    out = []
    groups: dict[str, list[str]] = {}
    for acc in structure.types:
        for group in acc.groups:
            groups.setdefault(group, []).append(acc.name)
        out.append(stock(f"fleet.{acc.name}.count", "GPU", f"{acc.name}: accelerators bought"))
        out.append(stock(f"fleet.{acc.name}.gpu_spend", "USD", f"{acc.name}: count x unit price"))
        out.append(
            stock(f"fleet.{acc.name}.capex", "USD", f"{acc.name}: servers and network for these")
        )
    for group, members in sorted(groups.items()):
        joined = " + ".join(members)
        out.append(stock(f"fleet.{group}.count", "GPU", f"Accelerators in group {group}: {joined}"))
        out.append(stock(f"fleet.{group}.gpu_spend", "USD", f"Chip spend of group {group}"))
        out.append(stock(f"fleet.{group}.capex", "USD", f"Servers and network of group {group}"))
    out += [
        stock("fleet.all.count", "GPU", "All accelerators bought"),
        stock("gpu_spend", "USD", "Chips alone: count x unit price, every tranche bought"),
        stock("capex.servers", "USD", "Servers: chip spend x server overhead, whole fleet"),
        stock("capex.network", "USD", "Cluster networking, whole fleet"),
        stock("capex.hardware", "USD", "Servers and networking, every tranche bought"),
        stock("capex.attributable", "USD", "Hardware capex x attributable share", "lab"),
        stock("fleet.value", "USD", "Hardware still on the books at the window's end"),
    ]
    if structure.counts_accelerators:
        out.append(
            stock("compute.accelerators", "GPU", "Accelerators in service (and rented) at the end")
        )
    if structure.workload:
        out += [
            stock(f"compute.accelerators.{use}", "GPU", f"Accelerators in service, x {use} share")
            for use in WORKLOADS
        ]
    if structure.peaks_known:
        out += [
            stock(
                "compute.peak_flops",
                "FLOP/s",
                "Peak dense BF16 FLOP/s of the accelerators in service",
            ),
            stock(
                "compute.h100e",
                "GPU",
                "H100-equivalents in service: peak FLOP/s over an H100 SXM's 989.4 TFLOP/s",
            ),
        ]
    if structure.staff.dates:
        out.append(
            Quantity(
                "staff.headcount",
                "person",
                "Average headcount over the window",
                False,
                kind="average",
            )
        )
    for name, text in SHARED_FLOWS:
        out.append(
            Quantity(name, "USD", text + ", the lab's share", False, kind="flow", scope="lab")
        )
        out.append(
            Quantity(
                fleet_name(name), "USD", text + ", whole fleet", False, kind="flow", scope="fleet"
            )
        )
    for name, text in OWN_FLOWS:
        out.append(Quantity(name, "USD", text, False, kind="flow", scope="any"))
    out += rental_results(structure)
    out += compute_results(structure)
    out += revenue_results(structure)
    out.append(
        Quantity(
            "opex.per_year",
            "USD/year",
            "Operating cost per year, the lab's share",
            False,
            kind="rate",
            scope="lab",
        )
    )
    out.append(
        Quantity(
            "opex.per_year.fleet",
            "USD/year",
            "Operating cost per year, whole fleet",
            False,
            kind="rate",
            scope="fleet",
        )
    )
    for run in structure.runs:
        out += run_results(structure, run)
    return out


def periodic(quantity: Quantity) -> bool:
    """Whether a quantity has a value over any period (flows, stocks, averages, rates)."""
    return quantity.kind in ("flow", "stock", "average", "rate")


def over(quantity: Quantity, period: Period) -> Quantity:
    """The quantity over (flows, averages, rates) or at the end of (stocks) a period."""
    what = "at the end of" if quantity.kind == "stock" else "over"
    return replace(
        quantity,
        name=period_name(quantity.name, period.key),
        description=f"{quantity.description} ({what} {period.label})",
        is_input=False,
    )


def table_names(quantities: dict[str, Quantity]) -> list[str]:
    """The flows reported for each calendar year, both scopes where there are two."""
    out = []
    for name in PERIOD_TABLE:
        if name not in quantities:
            continue
        out.append(name)
        if fleet_name(name) in quantities:
            out.append(fleet_name(name))
    return out
