"""Reading the claims ledger, ``claims.toml``, into validated :class:`Claim` objects in
canonical units (see :mod:`estimator.model.claims` for what a claim is)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.beliefs import Source
from estimator.model.catalogue import periodic
from estimator.model.claims import CREDIBILITY, KINDS, MAX_NOISE, USES, Claim
from estimator.model.equations import LabModel
from estimator.model.evidence import SourceEntity
from estimator.model.periods import Period
from estimator.model.quantities import SCOPES, fleet_name
from estimator.spec.claim_values import conversion_factor, read_values, stated_text
from estimator.spec.periods import PERIOD_FORMS, parse_period
from estimator.spec.priors import read_source
from estimator.spec.tomlread import Reader, date_text
from estimator.spec.units import Converter

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
    "by",
)
REQUIRED_KEYS = ("id", "source", "date", "quantity", "kind", "unit", "use")


def read_claims(
    reader: Reader,
    doc: dict[str, Any],
    model: LabModel,
    converter: Converter,
    sources: Mapping[str, SourceEntity] | None = None,
    *,
    sources_failed: bool = False,
) -> tuple[Claim, ...]:
    """Read and validate every claim of a ``claims.toml`` document.

    ``sources`` are those ``sources.toml`` declares, which a claim may name (``by``). When
    ``sources_failed`` (``sources.toml`` has problems of its own), a ``by`` that names none
    of them is not reported: it may name a source that could not be read. Records every
    problem on ``reader``; returns the claims that were valid.
    """
    sources = sources or {}
    by_reader = Reader(reader.file, reader.problems, reader.today, quiet=True)
    by_reader = by_reader if sources_failed else reader
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
        claim = _read_claim(reader, entry, key, model, converter, sources, by_reader)
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
    sources: Mapping[str, SourceEntity],
    by_reader: Reader,
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
    by = _read_by(by_reader, entry, key, sources)
    credibility = _read_credibility(reader, entry, key, by)
    defaults = CREDIBILITY.get(credibility or "", CREDIBILITY["hearsay"])
    noise = _read_bounded(reader, entry, "noise", key, defaults.noise, 0.0, MAX_NOISE, "(0, 3]")
    if "by" in entry and "reliability" in entry:
        named = entry["by"] if isinstance(entry["by"], str) else "<id>"
        reader.add(
            f"{key}.reliability",
            "a claim that names its source (by) has the source's reliability",
            entry["reliability"],
            allowed=f"no reliability here: state it as [sources.{named}] reliability "
            "in sources.toml",
        )
        reliability = defaults.reliability
    else:
        reliability = _read_bounded(
            reader, entry, "reliability", key, defaults.reliability, 0.0, 1.0, "(0, 1]"
        )
    unit = reader.string(entry, "unit", key)
    period = reader.string(entry, "period", key)
    factor = None
    period_ok = "period" not in entry or period is not None
    if unit is not None and quantity is not None and period_ok:
        factor = conversion_factor(reader, unit, period, key, model, quantity, converter)
    values = read_values(reader, entry, key, kind, factor, model, quantity)
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
        stated=stated_text(entry, unit, period, during),
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
        by=by.id if by is not None else None,
        noise_given="noise" in entry,
        reliability_given="reliability" in entry,
    )


def _read_by(
    reader: Reader, entry: dict[str, Any], key: str, sources: Mapping[str, SourceEntity]
) -> SourceEntity | None:
    """The source a claim names (``by``), which ``sources.toml`` must declare."""
    if "by" not in entry:
        return None
    by = entry["by"]
    if not isinstance(by, str):
        reader.add(
            f"{key}.by", "the id of a source is needed here", by, allowed=_source_ids(sources)
        )
        return None
    if by in sources:
        return sources[by]
    reader.add_reference(
        f"{key}.by",
        "no source with this id in sources.toml",
        by,
        allowed=_source_ids(sources),
        hint=did_you_mean(by, list(sources)),
    )
    return None


def _source_ids(sources: Mapping[str, SourceEntity]) -> str:
    """What a claim's ``by`` may name."""
    if not sources:
        return "the id of a [sources.<id>] table of sources.toml (it declares none)"
    return f"the id of a source of sources.toml: {listing(sources)}"


def misspelt(entry: Mapping[str, Any], keys: tuple[str, ...]) -> set[str]:
    """The known ``keys`` that unknown keys of ``entry`` look like misspellings of.

    Such a key is reported as unknown (with a hint), so it is not also reported missing.
    """
    return {
        k.strip("'")
        for name in entry
        if name not in keys and (k := did_you_mean(name, keys)) is not None
    }


def _read_credibility(
    reader: Reader, entry: dict[str, Any], key: str, by: SourceEntity | None
) -> str | None:
    """A claim's credibility class: its own, or its source's (they must agree)."""
    if "credibility" not in entry:
        if "by" not in entry and "credibility" not in misspelt(entry, CLAIM_KEYS):
            reader.add(
                f"{key}.credibility",
                "missing required key",
                None,
                allowed=f"one of {listing(CREDIBILITY)}, or by = the id of a source of "
                "sources.toml (the claim then takes the source's)",
            )
        return by.credibility if by is not None else None
    credibility = _read_choice(reader, entry, "credibility", key, list(CREDIBILITY), "class")
    if by is not None and credibility is not None and credibility != by.credibility:
        reader.add(
            f"{key}.credibility",
            f"the claim's class differs from its source's ({by.credibility!r}, "
            f"[sources.{by.id}] in sources.toml)",
            credibility,
            allowed=f"{by.credibility!r}, or no credibility key (the claim then takes its "
            "source's)",
        )
    return credibility


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
