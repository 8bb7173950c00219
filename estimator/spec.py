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

from estimator import structure
from estimator.beliefs import Prior, Source, read_prior
from estimator.claims import Claim, counted_evidence, read_claims
from estimator.correlations import Correlation, read_correlations
from estimator.distributions import Fixed
from estimator.errors import Problem, Problems, SpecError, did_you_mean, listing
from estimator.model import (
    GLOBAL_SLOTS,
    LabModel,
    Window,
)
from estimator.questions import Question, read_questions
from estimator.scenarios import Scenario, read_scenarios
from estimator.tomlread import Reader, read_toml
from estimator.units import Converter

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
    "correlations.toml": ("correlations",),
}
REQUIRED_FILES = ("lab.toml", "fleet.toml", "costs.toml")
#: Other files a lab folder may hold: the claims ledger, and notes for people.
CLAIMS_FILE = "claims.toml"
QUESTIONS_FILE = "questions.toml"
SCENARIOS_FILE = "scenarios.toml"
OTHER_FILES = (CLAIMS_FILE, QUESTIONS_FILE, SCENARIOS_FILE, "README.md")

PLACEHOLDER_WINDOW = Window(dt.date(2000, 1, 1), dt.date(2000, 12, 31))


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
    rates: tuple[structure.Rate, ...]
    window_source: Source | None
    files: dict[str, bytes] = field(repr=False)
    warnings: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    questions: tuple[Question, ...] = ()
    question: str = ""
    correlation: Correlation | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    scenario: str | None = None

    @property
    def evidence(self) -> tuple[Claim, ...]:
        """Claims that condition the posterior (each original counted once)."""
        return counted_evidence(self.claims)

    def claim(self, claim_id: str) -> Claim:
        """A claim by id."""
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(f"no claim {claim_id!r}; ids: {', '.join(c.id for c in self.claims)}")

    def __repr__(self) -> str:
        return (
            f"LabSpec({self.name!r}: {len(self.priors)} inputs "
            f"({len(self.stochastic_inputs)} uncertain), {len(self.claims)} claims, "
            f"{len(self.questions)} questions, {len(self.scenarios)} scenarios"
            + (f", scenario {self.scenario!r}" if self.scenario else "")
            + ")"
        )

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
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise SpecError([_problem(label, f"the folder can't be read ({exc.strerror})")]) from None
    if not exists:
        raise SpecError([_problem(label, "no such folder", "a lab folder such as priors/deepseek")])
    if not is_dir:
        raise SpecError([_problem(label, "not a folder", "a lab folder such as priors/deepseek")])
    try:
        entries = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    except PermissionError:
        raise SpecError([_problem(label, "the folder can't be read (permission denied)")]) from None
    except OSError as exc:
        raise SpecError([_problem(label, f"the folder can't be read ({exc.strerror})")]) from None
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
    meta = structure.read_lab_meta(lab_reader, lab_doc)
    window, window_source = structure.read_window(lab_reader, lab_doc)
    converter, rates = structure.read_currency(lab_reader, lab_doc)

    fleet_reader = Reader(f"{label}/fleet.toml", problems)
    types = structure.read_types(fleet_reader, docs.get("fleet.toml", {}), "fleet.toml" in docs)
    runs_reader = Reader(f"{label}/runs.toml", problems)
    runs = structure.read_runs(runs_reader, docs.get("runs.toml", {}), types)
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
    correlation = None
    if "correlations.toml" in docs:
        correlation = read_correlations(
            Reader(f"{label}/correlations.toml", problems), docs["correlations.toml"], priors
        )
    claims: tuple[Claim, ...] = ()
    if CLAIMS_FILE in entries:
        read = read_toml(path / CLAIMS_FILE, f"{label}/{CLAIMS_FILE}", problems)
        if read is not None:
            doc, files[CLAIMS_FILE] = read
            claims_reader = Reader(f"{label}/{CLAIMS_FILE}", problems)
            claims = read_claims(claims_reader, doc, model, converter, dt.date.today())
    questions: tuple[Question, ...] = ()
    if QUESTIONS_FILE in entries:
        read = read_toml(path / QUESTIONS_FILE, f"{label}/{QUESTIONS_FILE}", problems)
        if read is not None:
            doc, files[QUESTIONS_FILE] = read
            questions_reader = Reader(f"{label}/{QUESTIONS_FILE}", problems)
            questions = read_questions(questions_reader, doc, model, converter)
    scenarios: dict[str, Scenario] = {}
    if SCENARIOS_FILE in entries:
        read = read_toml(path / SCENARIOS_FILE, f"{label}/{SCENARIOS_FILE}", problems)
        if read is not None:
            doc, files[SCENARIOS_FILE] = read
            scenario_reader = Reader(f"{label}/{SCENARIOS_FILE}", problems)
            scenarios = read_scenarios(
                scenario_reader, doc, model, converter, claims, dt.date.today(), warnings
            )
    problems.raise_if_any()
    if window is None or not types:
        raise SpecError([_problem(label, "the lab's window or fleet could not be read")])

    units = [p.unit for p in priors.values()] + [c.unit for c in claims]
    units += [q.unit for q in questions]
    used = set().union(*(converter.used_currencies(u) for u in units))
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
        claims,
        questions,
        meta["question"],
        correlation,
        scenarios,
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
