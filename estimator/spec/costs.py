"""Reading what ``costs.toml`` says besides beliefs: the dates of the staff's headcounts,
how data centres are had, and how hardware is written off."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from estimator.errors import listing
from estimator.model.parts import (
    DATACENTRE_MODES,
    DEPRECIATION_METHODS,
    Accounting,
    DataCentre,
    DataCentreMode,
    Staff,
)
from estimator.model.quantities import DATACENTRE_SLOTS
from estimator.model.schedule import Depreciation
from estimator.spec.tomlread import Reader

#: The key that dates one headcount in ``[[staff.headcount]]``.
HEADCOUNT_DATE = "at"
#: Keys of ``costs.toml`` tables that are settings, not beliefs.
SETTINGS: dict[str, tuple[str, ...]] = {
    "datacentre": ("mode", "note", "source", "url"),
    "hardware": ("depreciation", "declining_factor"),
    "revenue": ("note",),
}


def read_staff(reader: Reader, doc: dict[str, Any]) -> Staff:
    """The dates of ``[[staff.headcount]]`` (none for a single ``[staff.headcount]``)."""
    staff = doc.get("staff")
    entries = staff.get("headcount") if isinstance(staff, dict) else None
    if not isinstance(entries, list):
        return Staff()
    return Staff(read_dates(reader, entries, "staff.headcount", "headcount"))


def read_revenue(reader: Reader, doc: dict[str, Any]) -> tuple[dt.date, ...] | None:
    """Whether ``lab.toml`` states revenue: ``None`` (no ``[revenue]``), no dates (one
    ``[revenue.rate]``), or the days of ``[[revenue.rate]]``."""
    table = doc.get("revenue")
    if table is None:
        return None
    if not isinstance(table, dict):
        reader.add("revenue", "a table is needed here", table)
        return None
    reader.check_keys(table, "revenue", ("rate", "note"), required=("rate",))
    entries = table.get("rate")
    if not isinstance(entries, list):
        return ()
    return read_dates(reader, entries, "revenue.rate", "revenue")


def read_dates(reader: Reader, entries: list[Any], key: str, what: str) -> tuple[dt.date, ...]:
    """The days of a dated list of beliefs (``[[staff.headcount]]``, ``[[revenue.rate]]``),
    each at its ``at``, in increasing order; those that can't be read are reported."""
    dates: list[dt.date] = []
    for index, entry in enumerate(entries):
        key_i = f"{key}[{index}]"
        if not isinstance(entry, dict):
            reader.add(key_i, f"a table is needed for each dated {what}", entry)
            continue
        if HEADCOUNT_DATE not in entry:
            reader.add(
                f"{key_i}.{HEADCOUNT_DATE}",
                f"a dated {what} needs the day it holds on",
                allowed=f"{HEADCOUNT_DATE} = 2025-01-31",
            )
            continue
        day = reader.date(entry, HEADCOUNT_DATE, key_i)
        if day is None:
            continue
        if dates and day <= dates[-1]:
            message = f"two {what}s on the same day" if day == dates[-1] else "out of order"
            reader.add(
                f"{key_i}.{HEADCOUNT_DATE}",
                f"the dates overlap: {message}",
                day.isoformat(),
                allowed=f"a day after {dates[-1].isoformat()} (dates in increasing order)",
            )
            continue
        dates.append(day)
    return tuple(dates)


def read_datacentre(reader: Reader, doc: dict[str, Any]) -> DataCentre | None:
    """How the fleet is housed (``[datacentre]``), if the lab says."""
    table = doc.get("datacentre")
    if table is None:
        return None
    if not isinstance(table, dict):
        reader.add("datacentre", "a table is needed here", table)
        return None
    mode = table.get("mode")
    if mode not in DATACENTRE_MODES:
        reader.add(
            "datacentre.mode",
            "unknown way of housing the fleet" if mode is not None else "missing required key",
            mode,
            allowed=listing(DATACENTRE_MODES),
        )
        return None
    return DataCentre(cast(DataCentreMode, mode))


def read_accounting(reader: Reader, doc: dict[str, Any]) -> Accounting:
    """How hardware is written off (``[hardware] depreciation``)."""
    table = doc.get("hardware")
    if not isinstance(table, dict):
        return Accounting()
    method = table.get("depreciation", "straight_line")
    if method not in DEPRECIATION_METHODS:
        reader.add(
            "hardware.depreciation",
            "unknown depreciation method",
            method,
            allowed=listing(DEPRECIATION_METHODS),
        )
        method = "straight_line"
    factor = 2.0
    if "declining_factor" in table:
        given = reader.number(table, "declining_factor", "hardware")
        if given is not None and not 0 < given <= 10:
            reader.add(
                "hardware.declining_factor",
                "the declining-balance factor is out of range",
                table["declining_factor"],
                allowed="above 0 and at most 10 (2 for double-declining balance)",
            )
        elif given is not None:
            factor = given
        if method != "declining_balance":
            reader.add(
                "hardware.declining_factor",
                "only declining balance has a factor",
                table["declining_factor"],
                allowed='depreciation = "declining_balance"',
            )
    return Accounting(cast(Depreciation, method), factor)


def settings_of(top: str) -> tuple[str, ...]:
    """The setting keys a ``costs.toml`` table may hold besides beliefs."""
    return SETTINGS.get(top, ())


def datacentre_inputs() -> tuple[str, ...]:
    """The belief keys ``[datacentre]`` may hold."""
    return tuple(s.name.split(".", 1)[1] for s in DATACENTRE_SLOTS.values())
