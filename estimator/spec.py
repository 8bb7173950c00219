"""Loading a lab folder (``priors/<lab>/``) into plain, validated objects.

The spec knows the files, their tables and the beliefs; it knows nothing about PyMC.
All problems in all files are collected and raised together as one
:class:`~estimator.errors.SpecError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.beliefs import Prior, Source, read_prior, read_source
from estimator.distributions import Fixed
from estimator.errors import Problem, Problems, SpecError, did_you_mean, listing
from estimator.model import (
    GLOBAL_SLOTS,
    NAME_PATTERN,
    RESERVED_FLEET_NAMES,
    RUN_SLOTS,
    TYPE_SLOTS,
    AcceleratorType,
    LabModel,
    TrainingRun,
    Window,
)
from estimator.tomlread import Reader, read_toml
from estimator.units import CURRENCIES, Converter, UnitError, exchange_rate

#: The priors files of a lab folder and the top-level tables each may hold.
PRIORS_FILES: dict[str, tuple[str, ...]] = {
    "lab.toml": ("lab", "window", "currency", "share"),
    "fleet.toml": ("fleet",),
    "costs.toml": (
        "server",
        "network",
        "energy",
        "staff",
        "maintenance",
        "facilities",
        "other",
        "hardware",
    ),
    "runs.toml": ("runs",),
}
REQUIRED_FILES = ("lab.toml", "fleet.toml", "costs.toml")
#: Other files a lab folder may hold (notes for people).
OTHER_FILES = ("README.md",)

PLACEHOLDER_WINDOW = Window(dt.date(2000, 1, 1), dt.date(2000, 12, 31))
TYPE_META_KEYS = ("label", "groups", "note")
RUN_META_KEYS = ("label", "accelerator", "note")


@dataclass(frozen=True)
class Rate:
    """An exchange rate the lab's files assume."""

    code: str
    per_unit: float
    stated: str
    source: Source


@dataclass(frozen=True)
class LabSpec:
    """Everything a lab folder says, validated and converted to canonical units."""

    name: str
    title: str
    description: str
    folder: Path
    model: LabModel
    priors: dict[str, Prior]
    converter: Converter
    rates: tuple[Rate, ...]
    window_source: Source | None
    files: dict[str, bytes] = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def inputs_sha256(self) -> str:
        """Hash of every file read, by name and content."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return digest.hexdigest()

    @property
    def stochastic_inputs(self) -> list[str]:
        """Inputs whose belief is not a fixed value."""
        return [n for n, p in self.priors.items() if not isinstance(p.belief, Fixed)]


def load_lab(folder: str | Path) -> LabSpec:
    """Read and validate a lab folder.

    Parameters
    ----------
    folder : str or Path
        A folder such as ``priors/deepseek``.

    Raises
    ------
    SpecError
        Listing every problem in every file, each with file, key, value and what is allowed.
    """
    path = Path(folder)
    label = str(folder).rstrip("/")
    problems = Problems()
    if not path.exists():
        raise SpecError([_problem(label, "no such folder", "a lab folder such as priors/deepseek")])
    if not path.is_dir():
        raise SpecError([_problem(label, "not a folder", "a lab folder such as priors/deepseek")])
    try:
        entries = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    except PermissionError:
        raise SpecError([_problem(label, "the folder can't be read (permission denied)")]) from None
    known = (*PRIORS_FILES, *OTHER_FILES)
    if not entries:
        raise SpecError([_problem(label, "the folder is empty", ", ".join(REQUIRED_FILES))])
    for entry in entries:
        if entry not in known:
            problems.add(
                f"{label}/{entry}",
                "",
                "unknown file in a lab folder",
                allowed=listing(known),
                hint=did_you_mean(entry, known),
            )
    for required in REQUIRED_FILES:
        if required not in entries:
            problems.add(
                f"{label}/{required}",
                "",
                "missing required file",
                allowed="see priors/README.md for its contents",
            )

    docs: dict[str, dict[str, Any]] = {}
    files: dict[str, bytes] = {}
    for name in PRIORS_FILES:
        if name in entries:
            read = read_toml(path / name, f"{label}/{name}", problems)
            if read is not None:
                docs[name], files[name] = read
    for name in docs:
        _check_top_level(name, docs[name], f"{label}/{name}", problems)

    warnings: list[str] = []
    lab_doc = docs.get("lab.toml", {})
    lab_reader = Reader(f"{label}/lab.toml", problems)
    meta = _read_lab_meta(lab_reader, lab_doc)
    window, window_source = _read_window(lab_reader, lab_doc)
    converter, rates = _read_currency(lab_reader, lab_doc)

    fleet_reader = Reader(f"{label}/fleet.toml", problems)
    types = _read_types(fleet_reader, docs.get("fleet.toml", {}), "fleet.toml" in docs)
    runs_reader = Reader(f"{label}/runs.toml", problems)
    runs = _read_runs(runs_reader, docs.get("runs.toml", {}), types)
    # Beliefs are read even when the structure has problems, so that every problem in
    # every file is reported at once; a placeholder window stands in for a broken one.
    model = LabModel(tuple(types), tuple(runs), window or PLACEHOLDER_WINDOW)

    priors: dict[str, Prior] = {}
    readers = {
        "lab.toml": lab_reader,
        "fleet.toml": fleet_reader,
        "runs.toml": runs_reader,
        "costs.toml": Reader(f"{label}/costs.toml", problems),
    }
    for name, slot in model.slots.items():
        file = _file_for(name)
        table = _lookup(docs.get(file, {}), name)
        if table is None:
            if slot.default is not None:
                priors[name] = Prior(
                    name,
                    Fixed(slot.default),
                    f"{slot.default:g} (default)",
                    slot.unit,
                    Source("default: " + slot.description.lower()),
                    f"{label}/{file}",
                    defaulted=True,
                )
            elif file in docs:
                problems.add(
                    f"{label}/{file}",
                    name,
                    "no prior given for this input",
                    allowed=f"a [{name}] table with a belief, unit and source",
                )
            continue
        if not isinstance(table, dict):
            problems.add(
                f"{label}/{file}",
                name,
                "a table is needed here",
                table,
                allowed=f"a [{name}] table",
            )
            continue
        prior = read_prior(readers[file], table, slot, name, converter, warnings)
        if prior is not None:
            priors[name] = prior
    _check_unknown_inputs(docs, model, label, problems)
    problems.raise_if_any()
    if window is None or not types:
        raise SpecError([_problem(label, "the lab's window or fleet could not be read")])

    used = set().union(*(converter.used_currencies(p.unit) for p in priors.values()))
    for rate in rates:
        if rate.code not in used:
            warnings.append(
                f"{label}/lab.toml: currency.rates.{rate.code}: this exchange rate "
                "is stated but no input uses it"
            )
    return LabSpec(
        meta["name"],
        meta["title"],
        meta["description"],
        path,
        model,
        priors,
        converter,
        tuple(rates),
        window_source,
        files,
        tuple(warnings),
    )


def _problem(label: str, message: str, allowed: str | None = None) -> Problem:
    return Problem(label, "", message, allowed=allowed)


def _check_top_level(name: str, doc: Mapping[str, Any], label: str, problems: Problems) -> None:
    allowed = PRIORS_FILES[name]
    everywhere = {t: f for f, tables in PRIORS_FILES.items() for t in tables}
    for key in doc:
        if key in allowed:
            continue
        if key in everywhere:
            problems.add(
                label, key, f"this table belongs in {everywhere[key]}", allowed=listing(allowed)
            )
        else:
            problems.add(
                label,
                key,
                "unknown table",
                allowed=listing(allowed),
                hint=did_you_mean(key, list(allowed) + list(everywhere)),
            )


def _read_lab_meta(reader: Reader, doc: dict[str, Any]) -> dict[str, str]:
    out = {"name": "", "title": "", "description": ""}
    table = reader.table(doc, "lab", "lab") if doc else None
    if table is None:
        return out
    reader.check_keys(table, "lab", ("name", "title", "description"), required=("name", "title"))
    name = reader.string(table, "name", "lab", required=True)
    if name is not None and not NAME_PATTERN.match(name.replace("-", "_")):
        reader.add("lab.name", "a lab name is lower-case letters, digits, '-' and '_'", name)
    out["name"] = name or ""
    out["title"] = reader.string(table, "title", "lab", required=True) or ""
    out["description"] = reader.string(table, "description", "lab") or ""
    return out


def _read_window(reader: Reader, doc: dict[str, Any]) -> tuple[Window | None, Source | None]:
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
    return Window(start, end), source


def _read_currency(reader: Reader, doc: dict[str, Any]) -> tuple[Converter, list[Rate]]:
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


def _read_types(reader: Reader, doc: dict[str, Any], present: bool) -> list[AcceleratorType]:
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
    slot_names = [s.name for s in TYPE_SLOTS]
    for name, table in fleet.items():
        key = f"fleet.{name}"
        if not isinstance(table, dict):
            reader.add(key, "a table is needed for each accelerator type", table)
            continue
        if not NAME_PATTERN.match(name) or name in RESERVED_FLEET_NAMES:
            reader.add(
                key,
                "invalid accelerator type name",
                name,
                allowed="lower-case letters, digits and '_', starting with a letter; not 'all'",
            )
            continue
        reader.check_keys(
            table,
            key,
            (*TYPE_META_KEYS, *slot_names),
            required=[s.name for s in TYPE_SLOTS if s.default is None],
        )
        groups = table.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            reader.add(
                f"{key}.groups", "groups must be a list of names", groups, allowed='e.g. ["hopper"]'
            )
            groups = []
        for group in groups:
            if not NAME_PATTERN.match(group) or group in RESERVED_FLEET_NAMES:
                reader.add(
                    f"{key}.groups",
                    "invalid group name",
                    group,
                    allowed="lower-case letters, digits and '_'; not 'all'",
                )
        label = table.get("label", "")
        types.append(
            AcceleratorType(
                name, label if isinstance(label, str) else "", tuple(dict.fromkeys(groups))
            )
        )
    type_names = {t.name for t in types}
    for t in types:
        for group in t.groups:
            if group in type_names:
                reader.add(f"fleet.{t.name}.groups", "a group can't share a type's name", group)
    return types


def _read_runs(
    reader: Reader, doc: dict[str, Any], types: list[AcceleratorType]
) -> list[TrainingRun]:
    runs_table = doc.get("runs", {})
    if not isinstance(runs_table, dict):
        reader.add("runs", "a table of runs is needed here", runs_table)
        return []
    runs: list[TrainingRun] = []
    type_names = [t.name for t in types]
    for name, table in runs_table.items():
        key = f"runs.{name}"
        if not isinstance(table, dict):
            reader.add(key, "a table is needed for each run", table)
            continue
        if not NAME_PATTERN.match(name):
            reader.add(
                key,
                "invalid run name",
                name,
                allowed="lower-case letters, digits and '_', starting with a letter",
            )
            continue
        reader.check_keys(
            table,
            key,
            (*RUN_META_KEYS, *(s.name for s in RUN_SLOTS)),
            required=[s.name for s in RUN_SLOTS],
        )
        accelerator = table.get("accelerator")
        if accelerator is not None and accelerator not in type_names:
            reader.add(
                f"{key}.accelerator",
                "unknown accelerator type",
                accelerator,
                allowed=listing(type_names),
                hint=did_you_mean(str(accelerator), type_names),
            )
        label = table.get("label", "")
        runs.append(
            TrainingRun(
                name,
                label if isinstance(label, str) else "",
                accelerator if isinstance(accelerator, str) else None,
            )
        )
    return runs


def _file_for(name: str) -> str:
    top = name.split(".")[0]
    return next(f for f, tables in PRIORS_FILES.items() if top in tables)


def _lookup(doc: Mapping[str, Any], name: str) -> Any:
    node: Any = doc
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_unknown_inputs(
    docs: dict[str, dict[str, Any]], model: LabModel, label: str, problems: Problems
) -> None:
    """Flag tables in costs.toml and lab.toml that name no input (misspellings)."""
    global_names = [s.name for s in GLOBAL_SLOTS]
    for file in ("costs.toml", "lab.toml"):
        doc = docs.get(file, {})
        for top in PRIORS_FILES[file]:
            if top in ("lab", "window", "currency") or top not in doc:
                continue
            table = doc[top]
            if not isinstance(table, dict):
                problems.add(f"{label}/{file}", top, "a table is needed here", table)
                continue
            for sub in table:
                name = f"{top}.{sub}"
                if name not in model.slots:
                    problems.add(
                        f"{label}/{file}",
                        name,
                        "unknown input",
                        allowed=listing(n for n in global_names if _file_for(n) == file),
                        hint=did_you_mean(name, global_names),
                    )
