"""Reading ``rentals.toml``: the accelerators a lab rents, one ``[rent.<contract>]`` table
per contract.

A contract states its provider, its dates, and how it is priced by which beliefs it
gives: ``gpu_hours`` and ``price`` (accelerator-hours x a price per hour), ``count`` and
``price`` (accelerators x the contract's hours x a price per hour), or ``per_year`` (an
amount committed per year, with ``count`` if the accelerators are known). Accelerators of
a type the lab also owns name it (``accelerator``); others may state their ``kind`` and
``peak_flops``.
"""

from __future__ import annotations

from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.parts import AcceleratorType, Rental, RentalBasis
from estimator.model.periods import Period
from estimator.model.quantities import NAME_PATTERN, PEAK_SLOT, RENTAL_SLOTS
from estimator.spec.fleet import NAME_RULE, read_kind, read_period
from estimator.spec.tomlread import Reader

RENTAL_META_KEYS = ("label", "provider", "accelerator", "kind", "dates", "note")
PRICING = (
    "gpu_hours and price (accelerator-hours x price), count and price (accelerators x the "
    "contract's hours x price), or per_year (a commitment, with count if known)"
)


def read_rentals(
    reader: Reader, doc: dict[str, Any], types: list[AcceleratorType], window: Period | None
) -> list[Rental]:
    """The contracts of ``rentals.toml``; dates are checked against the lab's ``window``
    when it could be read."""
    table = doc.get("rent", {})
    if not isinstance(table, dict):
        reader.add("rent", "a table of rental contracts is needed here", table)
        return []
    out = []
    type_names = [t.name for t in types]
    for name, entry in table.items():
        key = f"rent.{name}"
        if not isinstance(entry, dict):
            reader.add(key, "a table is needed for each rental contract", entry)
            continue
        if not NAME_PATTERN.match(name) or name == "total":
            reader.add(key, "invalid contract name", name, allowed=NAME_RULE + "; not 'total'")
            continue
        reader.check_keys(
            entry,
            key,
            (*RENTAL_META_KEYS, *RENTAL_SLOTS, PEAK_SLOT.name),
            required=("provider", "dates"),
        )
        rental = _read_rental(reader, name, entry, key, type_names, window)
        if rental is not None:
            out.append(rental)
    return out


def _read_rental(
    reader: Reader,
    name: str,
    entry: dict[str, Any],
    key: str,
    type_names: list[str],
    window: Period | None,
) -> Rental | None:
    dates = read_period(reader, entry, "dates", key) if "dates" in entry else None
    if dates is not None and window is not None and dates.start > window.end:
        reader.add(
            f"{key}.dates",
            "the contract starts after the lab's window ends, so it is outside every window",
            entry["dates"],
            allowed=f"dates starting on or before {window.end.isoformat()} (lab.toml's window)",
        )
    basis = _basis(reader, entry, key)
    accelerator = entry.get("accelerator")
    if accelerator is not None and accelerator not in type_names:
        record = reader.add_reference if isinstance(accelerator, str) else reader.add
        record(
            f"{key}.accelerator",
            "unknown accelerator type",
            accelerator,
            allowed=listing(type_names) + " (a type of fleet.toml), or leave it out",
            hint=did_you_mean(str(accelerator), type_names),
        )
        accelerator = None
    kind = read_kind(reader, entry, key)
    if accelerator is not None:
        for own in ("kind", PEAK_SLOT.name):
            if own in entry:
                reader.add(
                    f"{key}.{own}",
                    f"these are the lab's type {accelerator!r}: its {own} is that type's",
                    allowed="leave it out, or leave out accelerator",
                )
    if dates is None or basis is None:
        return None
    counted = basis != "commitment" or "count" in entry
    return Rental(
        name,
        dates,
        basis,
        label=_text(entry, "label"),
        provider=_text(entry, "provider"),
        accelerator=accelerator if isinstance(accelerator, str) else None,
        kind=kind,
        counted=counted,
        peak=PEAK_SLOT.name in entry and accelerator is None,
    )


def _basis(reader: Reader, entry: dict[str, Any], key: str) -> RentalBasis | None:
    """How a contract is priced, from the beliefs it states."""
    has = {name for name in RENTAL_SLOTS if name in entry}
    if "per_year" in has:
        for extra in sorted(has & {"price", "gpu_hours"}):
            reader.add(
                f"{key}.{extra}",
                "a commitment per year is the contract's price: it takes no hours or hourly price",
                allowed=PRICING,
            )
        return "commitment"
    if "price" not in has:
        reader.add(
            key,
            "a rental contract needs a price",
            allowed=PRICING,
        )
        return None
    if {"gpu_hours", "count"} <= has:
        reader.add(
            f"{key}.count",
            "give the accelerator-hours or the count rented, not both",
            allowed=PRICING,
        )
        return None
    if "gpu_hours" in has:
        return "hours"
    if "count" in has:
        return "count"
    reader.add(key, "a price per hour needs the hours or the count rented", allowed=PRICING)
    return None


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name, "")
    return value if isinstance(value, str) else ""
