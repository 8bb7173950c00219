"""Scenarios: named overlays in ``scenarios.toml`` that replace some priors or claims —
"SemiAnalysis' fleet", "Wang's 50k H100s", "DeepSeek's own accounting only" — so that a
reviewer can ask "what if I believe X instead?" and get the whole estimate under X.

A scenario changes exactly what it names: the priors it restates, the claims it drops,
keeps or adds. Everything else is the lab as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from estimator.errors import Problems, did_you_mean, listing
from estimator.model.beliefs import Prior
from estimator.model.claims import Claim
from estimator.model.equations import LabModel
from estimator.model.evidence import SourceEntity
from estimator.model.quantities import NAME_PATTERN
from estimator.spec.claims import read_claims
from estimator.spec.priors import SHAPE_KEYS, read_prior
from estimator.spec.tomlread import Reader
from estimator.spec.units import Converter

SCENARIO_KEYS = ("title", "description", "priors", "claims")
CLAIM_CHANGE_KEYS = ("drop", "keep", "add")


@dataclass(frozen=True)
class Scenario:
    """What a scenario changes."""

    name: str
    title: str
    description: str = ""
    priors: dict[str, Prior] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] | None = None
    add: tuple[Claim, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "priors": {n: p.stated for n, p in self.priors.items()},
            "drop": list(self.drop),
            "keep": None if self.keep is None else list(self.keep),
            "add": [c.id for c in self.add],
        }


def read_scenarios(
    reader: Reader,
    doc: dict[str, Any],
    model: LabModel,
    converter: Converter,
    claims: tuple[Claim, ...],
    warnings: list[str],
    sources: Mapping[str, SourceEntity] | None = None,
) -> dict[str, Scenario]:
    """Read and validate ``scenarios.toml``; problems are recorded on ``reader``. Claims
    a scenario adds may name the lab's ``sources``."""
    reader.check_keys(doc, "", ("scenarios",))
    tables = doc.get("scenarios", {})
    if not isinstance(tables, dict):
        reader.add("scenarios", "scenarios must be [scenarios.<name>] tables", tables)
        return {}
    out = {}
    for name, table in tables.items():
        key = f"scenarios.{name}"
        if not isinstance(table, dict):
            reader.add(key, "a scenario is a table", table)
            continue
        if not NAME_PATTERN.match(name):
            reader.add(
                key,
                "invalid scenario name",
                name,
                allowed="lower-case letters, digits and '_', starting with a letter; "
                "at most 64 characters",
            )
            continue
        scenario = _read_scenario(
            reader, name, table, model, converter, claims, warnings, sources or {}
        )
        if scenario is not None:
            out[name] = scenario
    return out


def _read_scenario(
    reader: Reader,
    name: str,
    table: dict[str, Any],
    model: LabModel,
    converter: Converter,
    claims: tuple[Claim, ...],
    warnings: list[str],
    sources: Mapping[str, SourceEntity],
) -> Scenario | None:
    key = f"scenarios.{name}"
    before = reader.count
    reader.check_keys(table, key, SCENARIO_KEYS, required=("title",))
    title = reader.string(table, "title", key, required=True) or name
    description = reader.string(table, "description", key) or ""
    priors = {}
    raw_priors = table.get("priors", {})
    if not isinstance(raw_priors, dict):
        reader.add(f"{key}.priors", "a table of replaced priors is needed here", raw_priors)
        raw_priors = {}
    for input_name, belief in _flatten(raw_priors).items():
        where = f"{key}.priors.{input_name}"
        if input_name not in model.slots:
            reader.add_reference(
                where,
                "unknown input",
                input_name,
                allowed=listing(model.slots),
                hint=did_you_mean(input_name, model.slots),
            )
            continue
        prior = read_prior(reader, belief, model.slots[input_name], where, converter, warnings)
        if prior is not None:
            priors[input_name] = prior
    drop, keep, add = _read_claim_changes(
        reader, table.get("claims", {}), key, model, converter, claims, sources
    )
    if reader.count > before:
        return None
    return Scenario(name, title, description, priors, drop, keep, add)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"fleet": {"h100": {"count": {...}}}}`` and ``{"fleet.h100.count": {...}}`` alike
    become ``{"fleet.h100.count": {...}}``: a belief table is one holding a belief key."""
    out: dict[str, Any] = {}
    for name, value in tree.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and not any(k in value for k in (*SHAPE_KEYS, "unit")):
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _read_claim_changes(
    reader: Reader,
    table: Any,
    key: str,
    model: LabModel,
    converter: Converter,
    claims: tuple[Claim, ...],
    sources: Mapping[str, SourceEntity],
) -> tuple[tuple[str, ...], tuple[str, ...] | None, tuple[Claim, ...]]:
    where = f"{key}.claims"
    if not isinstance(table, dict):
        reader.add(where, "a table with drop, keep or add is needed here", table)
        return (), None, ()
    reader.check_keys(table, where, CLAIM_CHANGE_KEYS)
    ids = [c.id for c in claims]
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("drop", "keep"):
        if name not in table:
            continue
        value = table[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            reader.add(f"{where}.{name}", "a list of claim ids is needed here", value)
            continue
        for claim_id in value:
            if claim_id not in ids:
                reader.add_reference(
                    f"{where}.{name}",
                    "no claim with this id",
                    claim_id,
                    allowed=listing(ids, limit=60),
                    hint=did_you_mean(claim_id, ids),
                )
        lists[name] = tuple(value)
    if "drop" in table and "keep" in table:
        reader.add(where, "give drop or keep, not both", allowed="drop = [...] or keep = [...]")
    added: tuple[Claim, ...] = ()
    if "add" in table:
        local = Problems()
        added = read_claims(
            Reader(reader.file, local, reader.today, reader.quiet),
            {"claims": table["add"]},
            model,
            converter,
            sources,
        )
        for p in local.items:
            reader.add(
                f"{where}.add" + p.key[len("claims") :], p.message, p.value, p.allowed, p.hint
            )
        kept = set(ids) - set(lists.get("drop", ()))
        if "keep" in lists:
            kept &= set(lists["keep"])
        for claim in added:
            if claim.id in kept:
                reader.add(
                    f"{where}.add",
                    "this id is already a claim of the lab",
                    claim.id,
                    allowed="a new id, or drop the old claim first",
                )
    return lists.get("drop", ()), lists.get("keep"), added
