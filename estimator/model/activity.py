"""The named quantities of what a lab does with accelerators and earns: the inputs and
results of its training runs and rental contracts, of the hours it has and how it uses
them, and of its revenue. :mod:`estimator.model.catalogue` gathers them with the rest."""

from __future__ import annotations

from estimator.model.parts import Rental, Structure, TrainingRun
from estimator.model.quantities import (
    RENT_FLOWS,
    RENTAL_BASES,
    REVENUE_SLOT,
    RUN_BASES,
    WORKLOADS,
    Quantity,
    Slot,
    dated_slots,
)


def run_inputs(run: TrainingRun) -> tuple[str, ...]:
    """The inputs a run states, in order (hours and price first, as runs always had)."""
    keys = list(RUN_BASES[run.basis])
    if run.mfu and "mfu" not in keys:
        keys.append("mfu")
    if run.priced:
        keys.insert(1 if run.basis == "hours" else len(keys), "rental_price")
    return tuple(keys)


def rental_inputs(rental: Rental) -> tuple[str, ...]:
    """The inputs a rental contract states, in order."""
    keys = RENTAL_BASES[rental.basis]
    if rental.basis == "commitment" and rental.counted:
        keys = (*keys, "count")
    return keys


def revenue_results(structure: Structure) -> list[Quantity]:
    """Revenue and cash burn over a period, for a lab that states its revenue."""
    if structure.revenue is None:
        return []
    return [
        Quantity("revenue", "USD", "Revenue in the period", False, kind="flow", scope="any"),
        Quantity(
            "cash.burn",
            "USD",
            "Cash burn in the period: spend (cash view, the lab's share) less revenue",
            False,
            "real",
            kind="flow",
            scope="lab",
        ),
    ]


def revenue_slots(structure: Structure) -> dict[str, Slot]:
    """One revenue rate for the window, or one per stated date (none without revenue)."""
    dates = structure.revenue
    if dates is None:
        return {}
    if not dates:
        return {REVENUE_SLOT.name: REVENUE_SLOT}
    return dated_slots("revenue.rate", dates, "USD/year", "Revenue per year (annualised) on")


def run_results(structure: Structure, run: TrainingRun) -> list[Quantity]:
    def result(key: str, unit: str, text: str) -> Quantity:
        return Quantity(
            f"runs.{run.name}.{key}", unit, f"Run {run.name}: {text}", False, kind="run"
        )

    out = []
    if run.basis != "hours":
        how = {
            "accelerators": "accelerators x days x 24",
            "flop": "FLOP / (peak FLOP/s x utilisation x 3,600)",
            "parameters": "6 x parameters x tokens / (peak FLOP/s x utilisation x 3,600)",
        }[run.basis]
        out.append(result("gpu_hours", "GPU*hour", f"accelerator-hours, {how}"))
    if run.basis == "parameters":
        out.append(result("flop", "FLOP", "training compute, 6 x parameters x tokens"))
    elif run.basis != "flop" and run.mfu and run_peak(structure, run):
        out.append(result("flop", "FLOP", "training compute, hours x peak FLOP/s x utilisation"))
    price = "rental price" if run.priced else f"the price of contract {run.rental}"
    out.append(result("rental_cost", "USD", f"GPU-hours x {price} (rental-equivalent)"))
    if run.accelerator is not None:
        out.append(
            result(
                "ownership_cost",
                "USD",
                "GPU-hours x (hardware written off per hour of its life + energy per hour) "
                f"on the lab's own {run.accelerator}s",
            )
        )
    if run.dates is not None:
        out.append(
            result(
                "capacity_share",
                "fraction",
                "its accelerator-hours over those its accelerators had over its dates (at most 1)",
            )
        )
    return out


def run_peak(structure: Structure, run: TrainingRun) -> bool:
    """Whether the accelerators a run used state their peak FLOP/s."""
    if run.accelerator is not None:
        return next(a for a in structure.types if a.name == run.accelerator).peak
    if run.rental is not None:
        rental = structure.rental(run.rental)
        if rental.accelerator is not None:
            return next(a for a in structure.types if a.name == rental.accelerator).peak
        return rental.peak
    return False


def rental_results(structure: Structure) -> list[Quantity]:
    if not structure.rentals:
        return []
    out = [
        Quantity(
            f"rent.{r.name}.cost",
            "USD",
            f"Contract {r.name} ({r.provider or 'rental'}) in the period",
            False,
            kind="flow",
            scope="any",
        )
        for r in structure.rentals
    ]
    for name, text in RENT_FLOWS:
        out.append(Quantity(name, "USD", text, False, kind="flow", scope="any"))
    return out


def compute_results(structure: Structure) -> list[Quantity]:
    if not structure.counts_hours:
        return []
    out = []
    if structure.workload:
        out += [
            Quantity(
                "workload.research",
                "fraction",
                "Share of the lab's accelerator-hours left for research: 1 - training - inference",
                False,
                "share",
                kind="derived",
            ),
            Quantity(
                "workload.assigned",
                "fraction",
                "Share of the lab's accelerator-hours spent training or serving (at most 1)",
                False,
                "share",
                kind="derived",
            ),
        ]
        out += [
            Quantity(
                f"compute.gpu_hours.{use}",
                "GPU*hour",
                f"Accelerator-hours the lab spent on {use} in the period",
                False,
                kind="flow",
                scope="fleet",
            )
            for use in WORKLOADS
        ]
    return [
        *out,
        Quantity(
            "compute.gpu_hours",
            "GPU*hour",
            "Accelerator-hours the lab had in the period: its own in service and those rented",
            False,
            kind="flow",
            scope="fleet",
        ),
        Quantity(
            "runs.gpu_hours",
            "GPU*hour",
            "Accelerator-hours of the named runs that fall in the period (dated runs)",
            False,
            kind="flow",
        ),
        Quantity(
            "runs.share_of_compute",
            "fraction",
            "The named runs' accelerator-hours over the lab's in the period",
            False,
            kind="average",
            scope="fleet",
        ),
    ]
