"""Reading ``fleet.toml``: the accelerator types and the tranches they were bought in
(when, and until when they serve).

A type bought at one time states ``bought`` (and its ``count`` and ``unit_price`` beliefs)
itself; a type bought several times has ``[fleet.<type>.tranches.<name>]`` tables, each
with its own ``bought``, ``count`` and ``unit_price``. A type with no ``bought`` is undated:
taken as bought at the start of the lab's window (see priors/README.md).
"""

from __future__ import annotations

from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.parts import AcceleratorType, Tranche
from estimator.model.periods import Period
from estimator.model.quantities import (
    ACCELERATOR_KINDS,
    IN_SERVICE_SLOT,
    LIFE_SLOT,
    NAME_PATTERN,
    PEAK_SLOT,
    RESERVED_FLEET_NAMES,
    TRANCHE_SLOTS,
    TYPE_SLOTS,
)
from estimator.spec.periods import PERIOD_FORMS, parse_period
from estimator.spec.tomlread import Reader

TYPE_META_KEYS = ("label", "groups", "kind", "note")
WHEN_KEYS = ("bought", "retired")
TRANCHE_META_KEYS = ("label", "note", *WHEN_KEYS)
TRANCHE_BELIEFS = (*(s.name for s in TRANCHE_SLOTS), LIFE_SLOT.name)
NAME_RULE = "lower-case letters, digits and '_', starting with a letter; at most 64 characters"


def read_types(
    reader: Reader, doc: dict[str, Any], present: bool, window: Period | None
) -> list[AcceleratorType]:
    """The accelerator types of ``fleet.toml`` (``present``: the file exists); purchases
    are checked against the lab's ``window`` when it could be read."""
    fleet = doc.get("fleet")
    if not isinstance(fleet, dict) or not fleet:
        if present:
            reader.add(
                "fleet",
                "no accelerator types given",
                allowed="one [fleet.<type>] table per accelerator type, e.g. [fleet.h100]",
            )
        return []
    types: list[AcceleratorType] = []
    for name, table in fleet.items():
        key = f"fleet.{name}"
        if not isinstance(table, dict):
            reader.add(key, "a table is needed for each accelerator type", table)
            continue
        if not NAME_PATTERN.match(name) or name in RESERVED_FLEET_NAMES:
            reader.add(
                key, "invalid accelerator type name", name, allowed=NAME_RULE + "; not 'all'"
            )
            continue
        acc = _read_type(reader, name, table, key, window)
        if acc is not None:
            types.append(acc)
    type_names = {t.name for t in types}
    for t in types:
        for group in t.groups:
            if group in type_names:
                reader.add(f"fleet.{t.name}.groups", "a group can't share a type's name", group)
    return types


def _read_type(
    reader: Reader, name: str, table: dict[str, Any], key: str, window: Period | None
) -> AcceleratorType | None:
    groups = _read_groups(reader, table, key)
    label = table.get("label", "")
    label = label if isinstance(label, str) else ""
    kind = read_kind(reader, table, key)
    peak = PEAK_SLOT.name in table
    type_beliefs = [s.name for s in TYPE_SLOTS]
    optional = (PEAK_SLOT.name,)
    if "tranches" in table:
        reader.check_keys(
            table,
            key,
            (*TYPE_META_KEYS, "tranches", *type_beliefs, *optional),
            required=type_beliefs,
        )
        tranches = _read_tranches(reader, table["tranches"], f"{key}.tranches", window)
        if not tranches:
            return None
        return AcceleratorType(name, label, groups, tranches, kind, peak)
    undated = "bought" not in table
    allowed = (
        *TYPE_META_KEYS,
        *WHEN_KEYS,
        *type_beliefs,
        *optional,
        *TRANCHE_BELIEFS,
        IN_SERVICE_SLOT.name,
    )
    if not undated and IN_SERVICE_SLOT.name in table:
        reader.add(
            f"{key}.in_service",
            "a dated type is in service from its purchase: in_service is for undated types",
            allowed="bought and retired (or life) to say when it served",
        )
    required = [*type_beliefs, *(s.name for s in TRANCHE_SLOTS)]
    reader.check_keys(table, key, allowed, required=required)
    tranche = _read_when(reader, table, key, "", window)
    return AcceleratorType(name, label, groups, (tranche,), kind, peak)


def read_kind(reader: Reader, table: dict[str, Any], key: str) -> str:
    kind = table.get("kind", "GPU")
    by_case = {k.lower(): k for k in ACCELERATOR_KINDS}
    if isinstance(kind, str) and kind.lower() in by_case:
        return by_case[kind.lower()]
    reader.add(
        f"{key}.kind",
        "unknown kind of accelerator",
        kind,
        allowed=listing(ACCELERATOR_KINDS),
        hint=did_you_mean(str(kind), ACCELERATOR_KINDS),
    )
    return "GPU"


def _read_groups(reader: Reader, table: dict[str, Any], key: str) -> tuple[str, ...]:
    groups = table.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        reader.add(
            f"{key}.groups", "groups must be a list of names", groups, allowed='e.g. ["hopper"]'
        )
        return ()
    for group in groups:
        if not NAME_PATTERN.match(group) or group in RESERVED_FLEET_NAMES:
            reader.add(
                f"{key}.groups", "invalid group name", group, allowed=NAME_RULE + "; not 'all'"
            )
    return tuple(dict.fromkeys(groups))


def _read_tranches(
    reader: Reader, tables: Any, key: str, window: Period | None
) -> tuple[Tranche, ...]:
    if not isinstance(tables, dict) or not tables:
        reader.add(
            key,
            "a table of tranches is needed here",
            tables,
            allowed="one [fleet.<type>.tranches.<name>] table per tranche",
        )
        return ()
    reserved = {
        *TRANCHE_BELIEFS,
        *(s.name for s in TYPE_SLOTS),
        PEAK_SLOT.name,
        IN_SERVICE_SLOT.name,
    }
    out = []
    for name, table in tables.items():
        where = f"{key}.{name}"
        if not isinstance(table, dict):
            reader.add(where, "a table is needed for each tranche", table)
            continue
        if not NAME_PATTERN.match(name) or name in reserved:
            reader.add(
                where,
                "invalid tranche name",
                name,
                allowed=NAME_RULE + "; not " + listing(reserved),
            )
            continue
        reader.check_keys(
            table,
            where,
            (*TRANCHE_META_KEYS, *TRANCHE_BELIEFS),
            required=("bought", *(s.name for s in TRANCHE_SLOTS)),
        )
        if "bought" in table:
            out.append(_read_when(reader, table, where, name, window))
    return tuple(out)


def _read_when(
    reader: Reader, table: dict[str, Any], key: str, name: str, window: Period | None
) -> Tranche:
    """When a tranche was bought and until when it serves."""
    own_life = LIFE_SLOT.name in table
    if "bought" not in table:
        return Tranche(name, None, None, own_life)
    bought = read_period(reader, table, "bought", key)
    retired = None
    if "retired" in table:
        retired = reader.date(table, "retired", key)
        if own_life and retired is not None:
            reader.add(
                f"{key}.retired",
                "give a retirement date or a useful life, not both",
                allowed="retired = <date> or a [life] belief",
            )
            retired = None
    if bought is None:
        return Tranche(name, None, retired, own_life)
    if bought.end > reader.today:
        reader.add(
            f"{key}.bought",
            "the purchase lies in the future",
            table["bought"],
            allowed=f"dates on or before {reader.today.isoformat()}",
        )
    if window is not None and bought.start > window.end:
        reader.add(
            f"{key}.bought",
            "bought after the lab's window ends, so it is outside every window",
            table["bought"],
            allowed=f"a purchase on or before {window.end.isoformat()} (lab.toml's window)",
        )
    if retired is not None and retired <= bought.end:
        reader.add(
            f"{key}.retired",
            "retired before it was (all) bought",
            retired.isoformat(),
            allowed=f"a date after {bought.end.isoformat()}",
        )
        retired = None
    return Tranche(name, bought, retired, own_life)


def read_period(reader: Reader, table: dict[str, Any], name: str, key: str) -> Period | None:
    try:
        return parse_period(table[name])
    except ValueError as exc:
        reader.add(f"{key}.{name}", str(exc), table[name], allowed=PERIOD_FORMS)
        return None
