"""Reading the claims ledger, ``claims.toml``, into validated :class:`Claim` objects in
canonical units (see :mod:`estimator.model.claims` for what a claim is)."""

from __future__ import annotations

import math
import re
from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.beliefs import Source
from estimator.model.catalogue import periodic
from estimator.model.claims import CREDIBILITY, KINDS, MAX_NOISE, USES, Claim
from estimator.model.equations import LabModel
from estimator.model.periods import Period
from estimator.model.quantities import SCOPES, fleet_name
from estimator.spec.periods import PERIOD_FORMS, describe, parse_period
from estimator.spec.priors import read_source
from estimator.spec.tomlread import Reader, date_text
from estimator.spec.units import MAX_MAGNITUDE, Converter, UnitError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

CLAIM_KEYS = (
    "id",
    "source",
    "date",
    "url",
    "note",
    "quantity",
    "kind",
    "value",
    "low",
    "high",
    "unit",
    "period",
    "during",
    "scope",
    "credibility",
    "noise",
    "reliability",
    "use",
    "repeats",
)
REQUIRED_KEYS = ("id", "source", "date", "quantity", "kind", "unit", "credibility", "use")


def read_claims(
    reader: Reader, doc: dict[str, Any], model: LabModel, converter: Converter
) -> tuple[Claim, ...]:
    """Read and validate every claim of a ``claims.toml`` document.

    Records every problem on ``reader``; returns the claims that were valid.
    """
    reader.check_keys(doc, "", ("claims",))
    entries = doc.get("claims", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.add(
            "claims",
            "claims must be [[claims]] tables",
            entries,
            allowed="one [[claims]] table per claim (see priors/README.md)",
        )
        return ()
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        key = _claim_key(index, entry)
        claim_id = entry.get("id")
        if isinstance(claim_id, str):
            if claim_id in seen:
                reader.add(
                    f"{key}.id",
                    f"duplicate claim id (also claims[{seen[claim_id]}])",
                    claim_id,
                    allowed="a unique id per claim",
                )
            seen.setdefault(claim_id, index)
        claim = _read_claim(reader, entry, key, model, converter)
        if claim is not None:
            claims.append(claim)
    _check_repeats(reader, entries, claims)
    return tuple(claims)


def _read_claim(
    reader: Reader,
    entry: dict[str, Any],
    key: str,
    model: LabModel,
    converter: Converter,
) -> Claim | None:
    before = reader.count
    reader.check_keys(entry, key, CLAIM_KEYS, required=REQUIRED_KEYS)
    claim_id = reader.string(entry, "id", key, required=True, max_length=200)
    if claim_id is not None and not ID_PATTERN.match(claim_id):
        reader.add(
            f"{key}.id",
            "invalid claim id",
            claim_id,
            allowed="letters, digits, '_', '-' and '.', starting with a letter or digit",
        )
    source = read_source(reader, entry, key, required=True, with_date=False)
    date = (
        reader.date(entry, "date", key, partial=True, not_after=reader.today)
        if "date" in entry
        else None
    )
    if source is not None:
        source = Source(source.text, source.url, date_text(entry.get("date")), source.note)
    quantity = _read_choice(
        reader, entry, "quantity", key, list(model.plain), "quantity", reference=True
    )
    during = read_during(reader, entry, key, model, quantity)
    scope = _read_scope(reader, entry, key, model, quantity)
    kind = _read_choice(reader, entry, "kind", key, KINDS, "kind")
    use = _read_choice(reader, entry, "use", key, USES, "use")
    credibility = _read_choice(reader, entry, "credibility", key, list(CREDIBILITY), "class")
    defaults = CREDIBILITY.get(credibility or "", CREDIBILITY["hearsay"])
    noise = _read_bounded(reader, entry, "noise", key, defaults.noise, 0.0, MAX_NOISE, "(0, 3]")
    reliability = _read_bounded(
        reader, entry, "reliability", key, defaults.reliability, 0.0, 1.0, "(0, 1]"
    )
    unit = reader.string(entry, "unit", key)
    period = reader.string(entry, "period", key)
    factor = None
    period_ok = "period" not in entry or period is not None
    if unit is not None and quantity is not None and period_ok:
        factor = _conversion(reader, unit, period, key, model, quantity, converter)
    values = _read_values(reader, entry, key, kind, factor, model, quantity)
    repeats = entry.get("repeats")
    if repeats is not None and not isinstance(repeats, str):
        reader.add(f"{key}.repeats", "the id of the claim this one relays is needed", repeats)
    if (
        reader.count > before
        or values is None
        or claim_id is None
        or source is None
        or date is None
        or quantity is None
        or kind is None
        or use is None
        or credibility is None
        or unit is None
    ):
        return None
    value, low, high = values
    return Claim(
        id=claim_id,
        quantity=quantity,
        kind=kind,  # type: ignore[arg-type]
        value=value,
        low=low,
        high=high,
        unit=unit,
        stated=_stated(entry, unit, period, during),
        credibility=credibility,
        noise=noise,
        reliability=reliability,
        use=use,  # type: ignore[arg-type]
        source=source,
        date=date,
        repeats=repeats,
        period=period,
        subject=quantity,
        during=during,
        scope=scope,
        linear=model.quantity(quantity).domain == "real",
    )


def read_during(
    reader: Reader, entry: dict[str, Any], key: str, model: LabModel, quantity: str | None
) -> Period | None:
    """The period a claim or question speaks about (``during``), which must lie in the lab's
    window and belong to a quantity that has periods."""
    if "during" not in entry:
        return None
    try:
        during = parse_period(entry["during"])
    except ValueError as exc:
        reader.add(f"{key}.during", str(exc), entry["during"], allowed=PERIOD_FORMS)
        return None
    window = model.window
    if not window.contains(during):
        reader.add_reference(
            f"{key}.during",
            "the period lies outside the lab's window",
            entry["during"],
            allowed=f"a period within {window.start.isoformat()}..{window.end.isoformat()} "
            "(lab.toml's window)",
        )
        return None
    if quantity is not None and not periodic(model.plain[quantity]):
        reader.add(
            f"{key}.during",
            f"{quantity} has no period (it is an input or belongs to a run)",
            entry["during"],
            allowed="a period only for flows, stocks and averages, e.g. spend.total",
        )
        return None
    return during


def _read_scope(
    reader: Reader, entry: dict[str, Any], key: str, model: LabModel, quantity: str | None
) -> str | None:
    """The scope a claim says it counts, which must be its quantity's."""
    if "scope" not in entry:
        return None
    scope = entry["scope"]
    if scope not in SCOPES:
        reader.add(f"{key}.scope", "unknown scope", scope, allowed=listing(SCOPES))
        return None
    if quantity is None:
        return str(scope)
    own = model.plain[quantity].scope
    if own not in ("any", scope):
        twin = fleet_name(quantity) if scope == "fleet" else quantity.removesuffix(".fleet")
        whose = "the whole fleet" if own == "fleet" else "the lab's share"
        reader.add(
            f"{key}.scope",
            f"{quantity} counts {whose}",
            scope,
            allowed=f"scope = {own!r}, or a quantity of scope {scope!r}",
            hint=repr(twin) if twin in model.plain and twin != quantity else None,
        )
        return None
    return str(scope)


def _read_choice(
    reader: Reader,
    entry: dict[str, Any],
    name: str,
    key: str,
    choices: Any,
    what: str,
    reference: bool = False,
) -> str | None:
    """One of ``choices``; ``reference``: the choices come from other files (the model's
    quantities), so an unknown value is a reference that can't be resolved."""
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        record = reader.add_reference if reference and isinstance(value, str) else reader.add
        record(
            f"{key}.{name}",
            f"unknown {what}",
            value,
            allowed=listing(choices, limit=80),
            hint=did_you_mean(str(value), choices),
        )
        return None
    return value


def _read_bounded(
    reader: Reader,
    entry: dict[str, Any],
    name: str,
    key: str,
    default: float,
    low: float,
    high: float,
    allowed: str,
) -> float:
    if name not in entry:
        return default
    value = reader.number(entry, name, key)
    if value is None:
        return default
    if not low < value <= high:
        reader.add(f"{key}.{name}", f"{name} out of range", entry[name], allowed=allowed)
        return default
    return value


def _conversion(
    reader: Reader,
    unit: str,
    period: str | None,
    key: str,
    model: LabModel,
    quantity: str,
    converter: Converter,
) -> float | None:
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


def _read_values(
    reader: Reader,
    entry: dict[str, Any],
    key: str,
    kind: str | None,
    factor: float | None,
    model: LabModel,
    quantity: str | None,
) -> tuple[float | None, float | None, float | None] | None:
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


def _check_repeats(reader: Reader, entries: list[dict[str, Any]], claims: list[Claim]) -> None:
    del claims
    relays = {e["id"]: e.get("repeats") for e in entries if isinstance(e.get("id"), str)}
    for index, entry in enumerate(entries):
        target = entry.get("repeats")
        if not isinstance(target, str):
            continue
        key = f"{_claim_key(index, entry)}.repeats"
        if target == entry.get("id"):
            reader.add(key, "a claim can't relay itself", target)
        elif target not in relays:
            reader.add(
                key,
                "no claim with this id",
                target,
                allowed="the id of another claim",
                hint=did_you_mean(target, list(relays)),
            )
        elif _in_circle(entry.get("id"), relays):
            reader.add(key, "claims relay each other in a circle", target)


def _in_circle(start: object, relays: dict[str, object]) -> bool:
    """Whether following ``repeats`` from ``start`` comes back to it."""
    seen: set[object] = set()
    current = relays.get(start) if isinstance(start, str) else None
    while isinstance(current, str) and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = relays.get(current)
    return False


def _claim_key(index: int, entry: dict[str, Any]) -> str:
    claim_id = entry.get("id")
    if isinstance(claim_id, str) and claim_id:
        return f"claims[{index}] ({claim_id})"
    return f"claims[{index}]"


def _stated(
    entry: dict[str, Any], unit: str, period: str | None, during: Period | None = None
) -> str:
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
