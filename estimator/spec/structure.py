"""Reading what ``lab.toml`` says about a lab besides its beliefs: its name, window,
currency and exchange rates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.beliefs import Source
from estimator.model.periods import Period
from estimator.model.quantities import DEFAULT_HEADLINE, NAME_PATTERN
from estimator.spec.priors import read_source
from estimator.spec.tomlread import Reader
from estimator.spec.units import CURRENCIES, Converter, UnitError, exchange_rate


@dataclass(frozen=True)
class Rate:
    """An exchange rate the lab's files assume."""

    code: str
    per_unit: float
    stated: str
    source: Source


@dataclass(frozen=True)
class LabMeta:
    """What ``[lab]`` says: the lab's name, title, description, question and the quantity
    its reports lead with."""

    name: str = ""
    title: str = ""
    description: str = ""
    question: str = ""
    headline: str = DEFAULT_HEADLINE


def read_lab_meta(reader: Reader, doc: dict[str, Any]) -> LabMeta:
    """The ``[lab]`` table of ``lab.toml``."""
    table = reader.table(doc, "lab", "lab") if doc else None
    if table is None:
        return LabMeta()
    reader.check_keys(
        table,
        "lab",
        ("name", "title", "description", "question", "headline"),
        required=("name", "title"),
    )
    name = reader.string(table, "name", "lab", required=True)
    if name is not None and not NAME_PATTERN.match(name.replace("-", "_")):
        reader.add("lab.name", "a lab name is lower-case letters, digits, '-' and '_'", name)
    return LabMeta(
        name=name or "",
        title=reader.string(table, "title", "lab", required=True) or "",
        description=reader.string(table, "description", "lab") or "",
        question=reader.string(table, "question", "lab") or "",
        headline=reader.string(table, "headline", "lab") or DEFAULT_HEADLINE,
    )


def read_window(reader: Reader, doc: dict[str, Any]) -> tuple[Period | None, Source | None]:
    """The lab's window in ``lab.toml``, and its source."""
    table = reader.table(doc, "window", "window") if doc else None
    if table is None:
        return None, None
    reader.check_keys(
        table,
        "window",
        ("start", "end", "source", "url", "date", "note"),
        required=("start", "end"),
    )
    start = reader.date(table, "start", "window") if "start" in table else None
    end = reader.date(table, "end", "window") if "end" in table else None
    source = read_source(reader, table, "window", required=False)
    if start is None or end is None:
        return None, source
    if end <= start:
        reader.add(
            "window.end",
            "the window must end after it starts",
            f"{start.isoformat()} .. {end.isoformat()}",
            allowed="end > start",
        )
        return None, source
    return Period(start, end), source


def read_currency(reader: Reader, doc: dict[str, Any]) -> tuple[Converter, list[Rate]]:
    """The currency basis of ``lab.toml`` and the exchange rates it states."""
    table = reader.table(doc, "currency", "currency") if doc else None
    if table is None:
        return Converter(), []
    reader.check_keys(table, "currency", ("basis", "rates", "note"), required=("basis",))
    basis = reader.string(table, "basis", "currency", required=True) or "USD"
    if basis not in CURRENCIES:
        reader.add(
            "currency.basis",
            "unknown currency",
            basis,
            allowed=listing(CURRENCIES),
            hint=did_you_mean(basis, CURRENCIES),
        )
        basis = "USD"
    rates: list[Rate] = []
    raw_rates = table.get("rates", {})
    if not isinstance(raw_rates, dict):
        reader.add("currency.rates", "a table of rates is needed here", raw_rates)
        raw_rates = {}
    for code, entry in raw_rates.items():
        key = f"currency.rates.{code}"
        if code not in CURRENCIES or code == basis:
            reader.add(
                key,
                "unknown currency" if code != basis else "the basis needs no rate",
                code,
                allowed=listing(c for c in CURRENCIES if c != basis),
                hint=did_you_mean(code, CURRENCIES),
            )
            continue
        if not isinstance(entry, dict):
            reader.add(key, "a table with value, unit and source is needed here", entry)
            continue
        reader.check_keys(
            entry,
            key,
            ("value", "unit", "source", "url", "date", "note"),
            required=("value", "unit", "source"),
        )
        value = reader.number(entry, "value", key) if "value" in entry else None
        unit = reader.string(entry, "unit", key)
        source = read_source(reader, entry, key, required=True)
        if value is None or unit is None or source is None:
            continue
        if value <= 0:
            reader.add(f"{key}.value", "an exchange rate must be positive", entry["value"])
            continue
        try:
            per_unit = exchange_rate(value, unit, code, basis)
        except UnitError as exc:
            reader.add(f"{key}.unit", str(exc), unit)
            continue
        rates.append(Rate(code, per_unit, f"{entry['value']} {unit}", source))
    return Converter(basis, {r.code: r.per_unit for r in rates}), rates
