"""What a claim says it measured: its value or range, in its unit and over its period,
converted to its quantity's canonical unit, and the same in words."""

from __future__ import annotations

import math
from typing import Any

from estimator.model.equations import LabModel
from estimator.model.periods import Period
from estimator.spec.periods import describe
from estimator.spec.tomlread import Reader
from estimator.spec.units import MAX_MAGNITUDE, Converter, UnitError


def conversion_factor(
    reader: Reader,
    unit: str,
    period: str | None,
    key: str,
    model: LabModel,
    quantity: str,
    converter: Converter,
) -> float | None:
    """The factor from a claim's ``unit`` (a total over ``period``, when given) to its
    quantity's canonical unit; ``None``, with the problem recorded, when there is none."""
    target = model.quantity(quantity).unit
    stated = unit
    if period is not None:
        if "/year" not in target:
            reader.add(
                f"{key}.period",
                f"{quantity} is not a rate per period, so a claim about it can't name one",
                period,
                allowed="a period only for quantities per year, e.g. opex.per_year",
            )
            return None
        try:
            years = converter.factor(period, "year")
        except UnitError as exc:
            reader.add(f"{key}.period", str(exc), period, allowed="a duration, e.g. '4 years'")
            return None
        if not 0 < years <= MAX_MAGNITUDE:
            message = "the period must be positive" if years <= 0 else "the period is too long"
            reader.add(f"{key}.period", message, period, allowed="a duration, e.g. '4 years'")
            return None
        stated = f"({unit})/({period})"
        try:
            converter.factor(unit, target)
        except UnitError:
            pass
        else:
            reader.add(
                f"{key}.unit",
                f"{unit!r} is already a rate per year, so it can't also cover a period",
                unit,
                allowed=f"the total over the period (e.g. {converter.canonical('USD')!r}) "
                "with period, or the rate without period",
            )
            return None
    try:
        factor = converter.factor(stated, target)
    except UnitError as exc:
        allowed = f"a unit of {converter.canonical(target)!r}"
        if "/year" in target and period is None:
            allowed += ", or a total with period = '<n> years'"
        reader.unit_problem(f"{key}.unit", exc, unit, allowed=allowed)
        return None
    if not (math.isfinite(factor) and factor > 0):
        reader.add(
            f"{key}.unit",
            "the unit's scale is out of range",
            unit,
            allowed=f"a unit of {converter.canonical(target)!r} with a finite, positive scale",
        )
        return None
    return factor


def read_values(
    reader: Reader,
    entry: dict[str, Any],
    key: str,
    kind: str | None,
    factor: float | None,
    model: LabModel,
    quantity: str | None,
) -> tuple[float | None, float | None, float | None] | None:
    """A claim's ``(value, low, high)`` in its quantity's canonical unit (``value`` for
    a point or a bound, ``low`` and ``high`` for a range; the others ``None``); ``None``,
    with the problems recorded, when they are missing or impossible."""
    if kind is None:
        return None
    wanted = ("low", "high") if kind == "range" else ("value",)
    unwanted = ("value",) if kind == "range" else ("low", "high")
    for name in unwanted:
        if name in entry:
            reader.add(
                f"{key}.{name}",
                f"not used by a {kind} claim",
                entry[name],
                allowed=" and ".join(wanted),
            )
    numbers = {}
    for name in wanted:
        if name not in entry:
            reader.add(f"{key}.{name}", f"a {kind} claim needs {name}")
            continue
        number = reader.number(entry, name, key)
        if number is not None:
            numbers[name] = number
    if len(numbers) != len(wanted) or factor is None or quantity is None:
        return None
    converted = {n: v * factor for n, v in numbers.items()}
    domain = model.quantity(quantity).domain
    share = domain == "share"
    too_large = [n for n, v in converted.items() if not abs(v) <= MAX_MAGNITUDE]
    for name in too_large:
        reader.add(
            f"{key}.{name}",
            "the value is out of range once converted to the canonical unit",
            entry[name],
            allowed=f"amounts within ±{MAX_MAGNITUDE:.0e} {model.quantity(quantity).unit!r}",
        )
    impossible = [
        name
        for name, v in converted.items()
        if name not in too_large
        and not (v > 0 and (v <= 1 or not share))
        and not (domain == "real" and (v != 0 or kind == "range"))
    ]
    for name in impossible:
        reader.add(
            f"{key}.{name}",
            f"impossible value for {quantity}",
            entry[name],
            allowed="a share in (0, 1]"
            if share
            else "an amount other than 0 (the claim's noise is relative to it)"
            if domain == "real"
            else "a positive amount",
        )
    if impossible or too_large:
        return None
    if kind == "range":
        if converted["low"] >= converted["high"]:
            reader.add(
                f"{key}.low",
                "the range's low end must be below its high end",
                [entry["low"], entry["high"]],
                allowed="low < high",
            )
            return None
        return None, converted["low"], converted["high"]
    return converted["value"], None, None


def stated_text(
    entry: dict[str, Any], unit: str, period: str | None, during: Period | None = None
) -> str:
    """The claim as its entry states it, in words: ``about 944M USD over 4 years``."""

    def show(x: Any) -> str:
        return x if isinstance(x, str) else f"{x:,.6g}"

    suffix = f" {unit}" + (f" over {period}" if period else "")
    if during is not None:
        suffix += f" during {describe(during)}"
    kind = entry.get("kind")
    if kind == "range":
        return f"between {show(entry.get('low'))} and {show(entry.get('high'))}{suffix}"
    prefix = {"lower_bound": "at least ", "upper_bound": "at most ", "point": "about "}
    return f"{prefix.get(str(kind), '')}{show(entry.get('value'))}{suffix}"
