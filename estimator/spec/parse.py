"""Turning a lab folder's files into a :class:`~estimator.spec.lab.LabSpec`.

:func:`parse_lab` is pure: it reads no file and no clock (the caller says what today is),
so the same bytes always give the same lab, and a lab can be checked as it would be with
other contents, in memory. :func:`load_lab` reads the folder and parses it.

Every problem in every file is collected and raised together as one
:class:`~estimator.errors.SpecError`. Files are read in the order they depend on each other:
the structure (the window, the currency and its rates, the accelerator types and runs,
which together name every quantity), then the beliefs, then correlations, claims,
questions and scenarios. A file is never blamed for a problem of another: when the
structure has problems, names and currencies that can't be resolved in the files that
refer to them (an unknown quantity, a currency without a rate) are not reported there;
the same holds for a correlated input whose belief could not be read, for the sources
claims name when ``sources.toml`` has problems, and for claim ids when the ledger (or
``sources.toml``) has problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.errors import Problem, Problems, SpecError, did_you_mean, listing
from estimator.model.beliefs import Prior, Source
from estimator.model.claims import Claim
from estimator.model.distributions import Fixed
from estimator.model.equations import LabModel
from estimator.model.evidence import SourceEntity
from estimator.model.periods import Period
from estimator.model.quantities import GLOBAL_SLOTS
from estimator.model.questions import Question
from estimator.spec import structure
from estimator.spec.claims import read_claims
from estimator.spec.correlations import read_correlations
from estimator.spec.costs import (
    read_accounting,
    read_datacentre,
    read_revenue,
    read_staff,
    settings_of,
)
from estimator.spec.double_counting import check_double_counting
from estimator.spec.files import (
    CLAIMS_FILE,
    PRIORS_FILES,
    QUESTIONS_FILE,
    SCENARIOS_FILE,
    SOURCES_FILE,
    LabFiles,
    read_lab_files,
)
from estimator.spec.fleet import read_types
from estimator.spec.lab import LabSpec, headline_problem, resolve
from estimator.spec.priors import read_prior
from estimator.spec.questions import read_questions
from estimator.spec.rentals import read_rentals
from estimator.spec.runs import check_runs, read_runs, read_workload
from estimator.spec.scenarios import Scenario, read_scenarios
from estimator.spec.sources import read_sources
from estimator.spec.tomlread import Reader, parse_toml
from estimator.spec.units import Converter

#: Stands in for a window that could not be read, so that the beliefs are still read and
#: every problem in every file is reported at once.
PLACEHOLDER_WINDOW = Period(dt.date(2000, 1, 1), dt.date(2000, 12, 31))
#: Files whose tables hold inputs of the model.
INPUT_TABLE_FILES = ("lab.toml", "fleet.toml", "runs.toml", "rentals.toml", "costs.toml")
#: Files whose structure names the model's quantities and currencies.
STRUCTURE_FILES = ("lab.toml", "fleet.toml", "runs.toml", "rentals.toml", "costs.toml")


def load_lab(folder: str | Path, *, today: dt.date | None = None) -> LabSpec:
    """Read and validate a lab folder.

    Parameters
    ----------
    folder : str or Path
        A folder such as ``priors/deepseek``.
    today : date, optional
        The date after which no source can be dated (default: the system's today).

    Raises
    ------
    SpecError
        Listing every problem in every file, each with file, key, value and what is allowed.
    """
    return parse_lab(read_lab_files(folder), today=today or dt.date.today())


@dataclass
class _Parsing:
    """The state of one parse: the files, today, and what has been found so far."""

    files: LabFiles
    today: dt.date
    problems: Problems = field(default_factory=Problems)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Whether the structure had problems: then names and currencies can't be resolved.
    structure_failed: bool = False

    def reader(self, name: str, after: tuple[str, ...] = ()) -> Reader:
        """A reader for one file, quiet about references it can't resolve when the
        structure, or one of the files ``after``, has problems."""
        quiet = self.structure_failed or self.failed(*after)
        return Reader(self.files.where(name), self.problems, self.today, quiet)

    def failed(self, *names: str) -> bool:
        """Whether any of these files has a problem so far."""
        labels = {self.files.where(n) for n in names}
        return any(p.file in labels for p in self.problems.items)


@dataclass(frozen=True)
class _Structure:
    meta: structure.LabMeta
    window: Period | None
    window_source: Source | None
    converter: Converter
    rates: tuple[structure.Rate, ...]
    model: LabModel


def parse_lab(files: LabFiles, *, today: dt.date) -> LabSpec:
    """Validate a lab folder's files (as :func:`~estimator.spec.files.read_lab_files`
    returns them) into a :class:`LabSpec`, reading nothing from disk.

    Raises
    ------
    SpecError
        Listing every problem in every file, each with file, key, value and what is allowed.
    """
    state = _Parsing(files, today)
    state.problems.extend(files.problems)
    _documents(state)
    lab = _structure(state)
    state.structure_failed = state.failed(*STRUCTURE_FILES)
    priors = _priors(state, lab.model, lab.converter)
    correlation = None
    if "correlations.toml" in state.docs:
        reader = state.reader("correlations.toml")
        correlation = read_correlations(
            reader, state.docs["correlations.toml"], priors, list(lab.model.slots)
        )
    if not state.structure_failed:
        check_runs(state.problems, files.where("runs.toml"), lab.model.runs, priors)
    sources = _sources(state)
    claims, questions, scenarios = _ledger(state, lab, sources)
    if not state.failed(CLAIMS_FILE, SOURCES_FILE):
        check_double_counting(state.problems, priors, claims, sources)
    if not state.structure_failed:
        where = files.where("lab.toml")
        state.problems.extend(
            p for p in [headline_problem(lab.model, lab.meta.headline, where, "lab.headline")] if p
        )
    state.problems.raise_if_any()
    if lab.window is None or not (lab.model.types or lab.model.structure.rentals):
        raise SpecError([Problem(files.label, "", "the lab's window or fleet could not be read")])
    _unused_rates(state, lab, priors, claims, questions)
    model, claims, questions, scenarios = resolve(lab.model, claims, questions, scenarios)
    return LabSpec(
        name=lab.meta.name,
        title=lab.meta.title,
        description=lab.meta.description,
        question=lab.meta.question,
        headline=lab.meta.headline,
        folder=files.folder,
        model=model,
        priors=priors,
        converter=lab.converter,
        rates=lab.rates,
        window_source=lab.window_source,
        files=dict(files.contents),
        warnings=tuple(state.warnings),
        claims=claims,
        sources=sources,
        questions=questions,
        correlation=correlation,
        scenarios=scenarios,
    )


def _documents(state: _Parsing) -> None:
    """Parse every file's TOML; check the top-level tables of the priors files."""
    for name, raw in state.files.contents.items():
        doc = parse_toml(raw, state.files.where(name), state.problems)
        if doc is not None:
            state.docs[name] = doc
    for name in PRIORS_FILES:
        if name in state.docs:
            _check_top_level(name, state.docs[name], state.files.where(name), state.problems)


def _structure(state: _Parsing) -> _Structure:
    """The lab's name, window, currency, accelerator types and runs."""
    docs = state.docs
    lab_reader = state.reader("lab.toml")
    meta = structure.read_lab_meta(lab_reader, docs.get("lab.toml", {}))
    window, window_source = structure.read_window(lab_reader, docs.get("lab.toml", {}))
    converter, rates = structure.read_currency(lab_reader, docs.get("lab.toml", {}))
    fleet_reader = state.reader("fleet.toml", after=("lab.toml",))
    fleet_doc = docs.get("fleet.toml", {})
    types = read_types(fleet_reader, fleet_doc, "fleet.toml" in docs, window)
    rentals_reader = state.reader("rentals.toml", after=("lab.toml", "fleet.toml"))
    rentals = read_rentals(rentals_reader, docs.get("rentals.toml", {}), types, window)
    runs_reader = state.reader("runs.toml", after=("fleet.toml", "rentals.toml"))
    runs = read_runs(runs_reader, docs.get("runs.toml", {}), types, rentals)
    workload = read_workload(runs_reader, docs.get("runs.toml", {}))
    costs_reader = state.reader("costs.toml")
    costs = docs.get("costs.toml", {})
    # Beliefs are read even when the structure has problems, so that every problem in
    # every file is reported at once; a placeholder window stands in for a broken one.
    model = LabModel(
        tuple(types),
        tuple(runs),
        window or PLACEHOLDER_WINDOW,
        staff=read_staff(costs_reader, costs),
        datacentre=read_datacentre(costs_reader, costs),
        accounting=read_accounting(costs_reader, costs),
        rentals=tuple(rentals),
        workload=workload,
        revenue=read_revenue(lab_reader, docs.get("lab.toml", {})),
    )
    return _Structure(meta, window, window_source, converter, tuple(rates), model)


def _priors(state: _Parsing, model: LabModel, converter: Converter) -> dict[str, Prior]:
    """A prior for every input of the model (a slot's default where it has one)."""
    readers = {name: state.reader(name) for name in INPUT_TABLE_FILES}
    priors: dict[str, Prior] = {}
    for name, slot in model.slots.items():
        file = _file_for(slot.keys[0])
        table = _lookup(state.docs.get(file, {}), slot.keys)
        if isinstance(table, list) and name in ("staff.headcount", "revenue.rate"):
            continue  # dated beliefs whose dates could not be read (reported)
        if table is None:
            if slot.default is not None:
                priors[name] = Prior(
                    name,
                    Fixed(slot.default),
                    f"{slot.default:g} (default)",
                    slot.unit,
                    Source("default: " + slot.description.lower()),
                    state.files.where(file),
                    defaulted=True,
                )
            elif file in state.docs:
                readers[file].add(
                    name,
                    "no prior given for this input",
                    allowed=f"a [{name}] table with a belief, unit and source",
                )
            continue
        if not isinstance(table, dict):
            readers[file].add(name, "a table is needed here", table, allowed=f"a [{name}] table")
            continue
        key = ".".join(slot.keys) if slot.path else name
        if slot.path[:2] in (("staff", "headcount"), ("revenue", "rate")):
            key = f"{slot.path[0]}.{slot.path[1]}[{slot.path[2]}]"
            table = {k: v for k, v in table.items() if k != "at"}
        prior = read_prior(readers[file], table, slot, key, converter, state.warnings)
        if prior is not None:
            priors[name] = prior
    _check_unknown_inputs(state, model)
    return priors


def _ledger(
    state: _Parsing, lab: _Structure, sources: dict[str, SourceEntity]
) -> tuple[tuple[Claim, ...], tuple[Question, ...], dict[str, Scenario]]:
    """The claims, the questions and the scenarios."""
    docs, model, converter = state.docs, lab.model, lab.converter
    claims: tuple[Claim, ...] = ()
    if CLAIMS_FILE in docs:
        reader = state.reader(CLAIMS_FILE)
        claims = read_claims(
            reader,
            docs[CLAIMS_FILE],
            model,
            converter,
            sources,
            sources_failed=state.failed(SOURCES_FILE),
        )
    questions: tuple[Question, ...] = ()
    if QUESTIONS_FILE in docs:
        reader = state.reader(QUESTIONS_FILE)
        questions = read_questions(reader, docs[QUESTIONS_FILE], model, converter)
    scenarios: dict[str, Scenario] = {}
    if SCENARIOS_FILE in docs:
        reader = state.reader(SCENARIOS_FILE, after=(SOURCES_FILE, CLAIMS_FILE))
        scenarios = read_scenarios(
            reader, docs[SCENARIOS_FILE], model, converter, claims, state.warnings, sources
        )
    return claims, questions, scenarios


def _sources(state: _Parsing) -> dict[str, SourceEntity]:
    """The sources ``sources.toml`` declares (none without the file)."""
    if SOURCES_FILE not in state.docs:
        return {}
    return read_sources(state.reader(SOURCES_FILE), state.docs[SOURCES_FILE])


def _unused_rates(
    state: _Parsing,
    lab: _Structure,
    priors: dict[str, Prior],
    claims: tuple[Claim, ...],
    questions: tuple[Question, ...],
) -> None:
    """Warn about exchange rates that no input, claim or question uses."""
    units = [p.unit for p in priors.values()] + [c.unit for c in claims]
    units += [q.unit for q in questions]
    used = set().union(*(lab.converter.used_currencies(u) for u in units))
    for rate in lab.rates:
        if rate.code not in used:
            state.warnings.append(
                f"{state.files.where('lab.toml')}: currency.rates.{rate.code}: this exchange "
                "rate is stated but no input uses it"
            )


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


def _file_for(top: str) -> str:
    return next(f for f, tables in PRIORS_FILES.items() if top in tables)


def _lookup(doc: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = doc
    for part in keys:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _check_unknown_inputs(state: _Parsing, model: LabModel) -> None:
    """Flag tables in costs.toml and lab.toml that name no input (misspellings)."""
    known = {slot.keys[:2] for slot in model.slots.values()}
    global_names = [s.name for s in GLOBAL_SLOTS]
    for file in ("costs.toml", "lab.toml"):
        doc = state.docs.get(file, {})
        label = state.files.where(file)
        for top in PRIORS_FILES[file]:
            if top in ("lab", "window", "currency") or top not in doc:
                continue
            table = doc[top]
            if not isinstance(table, dict):
                state.problems.add(label, top, "a table is needed here", table)
                continue
            for sub in table:
                if (top, sub) in known or sub in settings_of(top):
                    continue
                name = f"{top}.{sub}"
                state.problems.add(
                    label,
                    name,
                    "unknown input",
                    allowed=listing(n for n in global_names if _file_for(n.split(".")[0]) == file),
                    hint=did_you_mean(name, global_names),
                )
