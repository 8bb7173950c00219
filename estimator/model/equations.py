"""The cost equations of a lab, written once.

The equations are written once, in :meth:`LabModel.evaluate`, using only arithmetic and
``xp.minimum``, so the same code runs on numpy arrays (Monte Carlo) and on PyTensor
tensors (PyMC). Nothing here knows about any particular lab: the structure (accelerator
types, their group tags, training runs, the accounting window) comes from the lab's files.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from estimator.model.quantities import (
    GLOBAL_SLOTS,
    RUN_SLOTS,
    TYPE_SLOTS,
    AcceleratorType,
    Quantity,
    Slot,
    TrainingRun,
    UnknownQuantityError,
    Window,
)


class LabModel:
    """The cost equations for one lab's structure.

    Parameters
    ----------
    types : sequence of AcceleratorType
        The accelerator types in the fleet.
    runs : sequence of TrainingRun
        Training runs to cost at rental-equivalent prices.
    window : Window
        The accounting window.
    """

    def __init__(
        self,
        types: tuple[AcceleratorType, ...],
        runs: tuple[TrainingRun, ...],
        window: Window,
    ):
        self.types = tuple(types)
        self.runs = tuple(runs)
        self.window = window
        self.groups: dict[str, tuple[str, ...]] = {}
        for acc in self.types:
            for group in acc.groups:
                self.groups.setdefault(group, ())
                self.groups[group] += (acc.name,)
        self.slots: dict[str, Slot] = {s.name: s for s in GLOBAL_SLOTS}
        for acc in self.types:
            for s in TYPE_SLOTS:
                name = f"fleet.{acc.name}.{s.name}"
                self.slots[name] = Slot(name, s.unit, s.domain, s.description, s.default)
        for run in self.runs:
            for s in RUN_SLOTS:
                name = f"runs.{run.name}.{s.name}"
                self.slots[name] = Slot(name, s.unit, s.domain, s.description, s.default)
        self.quantities: dict[str, Quantity] = {
            s.name: Quantity(s.name, s.unit, s.description, True, s.domain)
            for s in self.slots.values()
        }
        for q in self._derived():
            self.quantities[q.name] = q

    def _derived(self) -> list[Quantity]:
        def q(name: str, unit: str, text: str) -> Quantity:
            return Quantity(name, unit, text, is_input=False)

        out = [
            q(f"fleet.{t.name}.gpu_spend", "USD", f"{t.name}: count x unit price")
            for t in self.types
        ]
        out += [
            q(f"fleet.{t.name}.capex", "USD", f"{t.name}: servers and network for these chips")
            for t in self.types
        ]
        for group, members in sorted(self.groups.items()):
            out.append(
                q(
                    f"fleet.{group}.count",
                    "GPU",
                    f"Accelerators in group {group}: " + " + ".join(members),
                )
            )
            out.append(q(f"fleet.{group}.gpu_spend", "USD", f"Chip spend of group {group}"))
            out.append(q(f"fleet.{group}.capex", "USD", f"Servers and network of group {group}"))
        out += [
            q("fleet.all.count", "GPU", "All accelerators in the fleet"),
            q("gpu_spend", "USD", "Chips alone: sum of count x unit price, whole fleet"),
            q("capex.servers", "USD", "Servers: chip spend x server overhead, whole fleet"),
            q("capex.network", "USD", "Cluster networking, whole fleet"),
            q("capex.hardware", "USD", "Servers and networking, whole fleet"),
            q("capex.attributable", "USD", "Hardware capex x attributable share"),
            q("opex.energy", "USD", "Electricity over the window, attributable share"),
            q("opex.staff", "USD", "Staff over the window: headcount x pay x overhead x years"),
            q(
                "opex.maintenance",
                "USD",
                "Hardware maintenance over the window, while in service, attributable share",
            ),
            q("opex.facilities", "USD", "Facilities over the window"),
            q("opex.other", "USD", "Maintenance, facilities and other costs over the window"),
            q("opex.total", "USD", "All operating costs over the window"),
            q("opex.per_year", "USD/year", "Operating cost per year"),
        ]
        out += [
            q(
                f"runs.{r.name}.rental_cost",
                "USD",
                f"Run {r.name}: GPU-hours x rental price (rental-equivalent)",
            )
            for r in self.runs
        ]
        out += [
            q(
                "spend.total",
                "USD",
                "Cash view: attributable hardware capex plus operating costs over the window",
            ),
            q(
                "cost.amortized",
                "USD",
                "Economic view: attributable capex spread over its useful life, charged for the "
                "time in service within the window, plus operating costs",
            ),
        ]
        return out

    @property
    def input_names(self) -> list[str]:
        """Names of every input, in a stable order."""
        return list(self.slots)

    @property
    def derived_names(self) -> list[str]:
        """Names of every result of the equations, in a stable order."""
        return [n for n, q in self.quantities.items() if not q.is_input]

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
            raise UnknownQuantityError(name, list(self.quantities)) from None

    def evaluate(self, inputs: Mapping[str, Any], xp: ModuleType = np) -> dict[str, Any]:
        """Compute every named quantity from the inputs.

        Parameters
        ----------
        inputs : mapping
            A value (float, numpy array or PyTensor tensor) for every input slot, in
            canonical units.
        xp : module
            The array namespace providing ``minimum`` (``numpy`` or ``pytensor.tensor``).

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
        years, hours = self.window.years, self.window.hours

        spend = {
            t.name: v[f"fleet.{t.name}.count"] * v[f"fleet.{t.name}.unit_price"] for t in self.types
        }
        rated_kw = {
            t.name: v[f"fleet.{t.name}.count"]
            * v[f"fleet.{t.name}.power"]
            * v[f"fleet.{t.name}.in_service"]
            for t in self.types
        }
        # Servers and network per unit of chip spend (whole fleet).
        hardware_per_chip = v["server.overhead"] / (1.0 - v["network.share"])
        for t in self.types:
            out[f"fleet.{t.name}.gpu_spend"] = spend[t.name]
            out[f"fleet.{t.name}.capex"] = spend[t.name] * hardware_per_chip
        for group, members in sorted(self.groups.items()):
            out[f"fleet.{group}.count"] = _total(v[f"fleet.{m}.count"] for m in members)
            out[f"fleet.{group}.gpu_spend"] = _total(spend[m] for m in members)
            out[f"fleet.{group}.capex"] = out[f"fleet.{group}.gpu_spend"] * hardware_per_chip
        out["fleet.all.count"] = _total(v[f"fleet.{t.name}.count"] for t in self.types)

        share = v["share.attributable"]
        gpu_spend = _total(spend.values())
        servers = gpu_spend * v["server.overhead"]
        network = servers * v["network.share"] / (1.0 - v["network.share"])
        hardware = servers + network
        attributable = hardware * share
        out.update(
            {
                "gpu_spend": gpu_spend,
                "capex.servers": servers,
                "capex.network": network,
                "capex.hardware": hardware,
                "capex.attributable": attributable,
            }
        )

        # Hardware is maintained and depreciates only while in service.
        per_chip = hardware_per_chip * share
        in_service = {t.name: v[f"fleet.{t.name}.in_service"] for t in self.types}
        in_service_capex = _total(spend[t] * per_chip * in_service[t] for t in spend)
        amortized_capex = _total(
            spend[t] * per_chip * xp.minimum(in_service[t] * years / v["hardware.useful_life"], 1.0)
            for t in spend
        )
        energy_kwh = _total(rated_kw.values()) * v["energy.load"] * v["energy.pue"] * hours
        energy = energy_kwh * v["energy.price"] * share
        staff = v["staff.headcount"] * v["staff.pay"] * v["staff.overhead"] * years
        maintenance = in_service_capex * v["maintenance.rate"] * years
        facilities = v["facilities.cost"] * years
        other = maintenance + facilities + v["other.cost"] * years
        opex = energy + staff + other
        out.update(
            {
                "opex.energy": energy,
                "opex.staff": staff,
                "opex.maintenance": maintenance,
                "opex.facilities": facilities,
                "opex.other": other,
                "opex.total": opex,
                "opex.per_year": opex / years,
            }
        )

        for run in self.runs:
            out[f"runs.{run.name}.rental_cost"] = (
                v[f"runs.{run.name}.gpu_hours"] * v[f"runs.{run.name}.rental_price"]
            )
        out["spend.total"] = attributable + opex
        out["cost.amortized"] = amortized_capex + opex
        return out


def _total(values: Any) -> Any:
    items = list(values)
    result = items[0]
    for item in items[1:]:
        result = result + item
    return result
