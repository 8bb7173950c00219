"""A lab as its folder states it: validated, in canonical units, ready for the model; and
the same lab under one of its scenarios."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from estimator.errors import Problem, SpecError, did_you_mean, listing
from estimator.model.beliefs import Prior, Source
from estimator.model.claims import Claim, counted_evidence
from estimator.model.copula import Correlation
from estimator.model.distributions import Fixed
from estimator.model.equations import LabModel, Request
from estimator.model.evidence import Evidence, SourceEntity
from estimator.model.periods import Period
from estimator.model.quantities import DEFAULT_HEADLINE
from estimator.model.questions import Question
from estimator.spec.periods import PERIOD_FORMS, parse_period
from estimator.spec.scenarios import Scenario
from estimator.spec.structure import Rate
from estimator.spec.units import Converter


@dataclass(frozen=True, kw_only=True)
class LabSpec:
    """Everything a lab folder says, validated and converted to canonical units.

    Attributes
    ----------
    name, title, description, question : str
        What ``[lab]`` says.
    headline : str
        The quantity reports lead with and drivers explain (``[lab] headline``, default
        ``spend.total``).
    folder : Path
        Where the lab was read from.
    model : LabModel
        The cost equations for the lab's structure (types, runs, window).
    priors : dict
        Input name to its :class:`Prior`, for every input of the model.
    converter : Converter
        The lab's currency basis and exchange rates.
    rates : tuple of Rate
        The exchange rates as stated, with their sources.
    window_source : Source or None
        Where the accounting window comes from.
    files : dict
        File name to the bytes read (what the input hash is taken over).
    warnings : tuple of str
        Things worth a look that are not errors.
    claims, questions : tuple
        The claims ledger and the questions.
    sources : dict
        Source id to the :class:`SourceEntity` that ``sources.toml`` declares.
    correlation : Correlation or None
        The stated rank correlations between inputs.
    scenarios : dict
        Scenario name to :class:`Scenario`.
    scenario : str or None
        The scenario this lab is under, if any.
    """

    name: str
    title: str
    description: str = ""
    question: str = ""
    headline: str = DEFAULT_HEADLINE
    folder: Path
    model: LabModel
    priors: dict[str, Prior]
    converter: Converter
    rates: tuple[Rate, ...] = ()
    window_source: Source | None = None
    files: dict[str, bytes] = field(repr=False)
    warnings: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    sources: dict[str, SourceEntity] = field(default_factory=dict)
    questions: tuple[Question, ...] = ()
    correlation: Correlation | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    scenario: str | None = None

    @property
    def evidence(self) -> tuple[Claim, ...]:
        """Claims that condition the posterior (each original counted once)."""
        return counted_evidence(self.claims)

    def grouped(self, claims: tuple[Claim, ...] | None = None) -> Evidence:
        """``claims`` (default: the evidence) grouped by source."""
        return Evidence.of(self.evidence if claims is None else claims, self.sources)

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


def resolve(
    model: LabModel,
    claims: tuple[Claim, ...],
    questions: tuple[Question, ...],
    scenarios: dict[str, Scenario],
    reporting: Period | None = None,
) -> tuple[LabModel, tuple[Claim, ...], tuple[Question, ...], dict[str, Scenario]]:
    """Point every claim and question at the quantity the model computes for it, shown
    over ``reporting`` (default: as the model is): plain names for what the window
    shows, ``<quantity>@<period>`` for other periods, which the model is then asked for."""
    base = model.with_window(reporting or model.reporting, requested=())
    requests: list[Request] = []

    def target(name: str, period: Period | None) -> str:
        found, request = base.target(name, period)
        if request is not None:
            requests.append(request)
        return found

    def point(claim: Claim) -> Claim:
        return dataclasses.replace(claim, quantity=target(claim.subject, claim.during))

    claims = tuple(point(c) for c in claims)
    questions = tuple(
        dataclasses.replace(
            q,
            quantity=target(q.subject, q.during),
            per=None if q.per_subject is None else target(q.per_subject, q.during),
        )
        for q in questions
    )
    scenarios = {
        name: dataclasses.replace(s, add=tuple(point(c) for c in s.add))
        for name, s in scenarios.items()
    }
    return base.with_window(requested=tuple(requests)), claims, questions, scenarios


def with_window(spec: LabSpec, window: Period | str) -> LabSpec:
    """The lab shown over another window, which must lie in its own.

    Parameters
    ----------
    spec : LabSpec
        The lab.
    window : Period or str
        The window, or its written form: ``"2025"``, ``"2024-07..2025-06"``,
        ``"2023-07-17..2025-01-31"``.

    Raises
    ------
    SpecError
        When the window is not a period or reaches outside the lab's (reported against
        the key ``window``).
    """
    if isinstance(window, str):
        try:
            window = parse_period(window)
        except ValueError as exc:
            raise SpecError([Problem("window", "", str(exc), window, PERIOD_FORMS)]) from None
    own = spec.model.window
    if not own.contains(window):
        raise SpecError(
            [
                Problem(
                    "window",
                    "",
                    "the window reaches outside the lab's window",
                    window.key,
                    f"a window within {own.start.isoformat()}..{own.end.isoformat()} "
                    "(lab.toml's window)",
                )
            ]
        )
    model, claims, questions, scenarios = resolve(
        spec.model, spec.claims, spec.questions, spec.scenarios, window
    )
    return dataclasses.replace(
        spec, model=model, claims=claims, questions=questions, scenarios=scenarios
    )


def headline_problem(model: LabModel, name: str, where: str, key: str) -> Problem | None:
    """What is wrong with ``name`` as a lab's headline (``None`` if nothing): it must be
    a result the model computes over its window, not an input, and not one that can be
    negative."""
    results = [n for n, q in model.plain.items() if not q.is_input]
    if name in results and model.plain[name].domain != "real":
        return None
    if name in results:
        reason = (
            "a quantity that can be negative cannot be the headline (its figures and "
            "drivers are read on a log scale)"
        )
    elif name in model.plain:
        reason = "an input cannot be the headline"
    else:
        reason = "unknown quantity"
    return Problem(
        where,
        key,
        reason,
        name,
        "a result over the window, e.g. spend.total, cost.amortized, capex.hardware",
        did_you_mean(name, results),
    )


def with_headline(spec: LabSpec, name: str) -> LabSpec:
    """The lab with another headline: the quantity reports lead with and drivers explain.

    Raises
    ------
    SpecError
        When ``name`` is not a result over the window (reported against the key
        ``headline``).
    """
    problem = headline_problem(spec.model, name, "headline", "")
    if problem is not None:
        raise SpecError([problem])
    return dataclasses.replace(spec, headline=name)


def apply(spec: LabSpec, scenario: Scenario) -> LabSpec:
    """The lab under a scenario: its priors replaced and its claims filtered and added."""
    claims = tuple(c for c in spec.claims if c.id not in scenario.drop)
    if scenario.keep is not None:
        claims = tuple(c for c in claims if c.id in scenario.keep)
    return dataclasses.replace(
        spec,
        title=f"{spec.title} — scenario: {scenario.title}",
        priors=spec.priors | scenario.priors,
        claims=claims + scenario.add,
        scenarios={},
        scenario=scenario.name,
    )


def apply_scenario(spec: LabSpec, name: str) -> LabSpec:
    """The lab under one of its named scenarios.

    Raises
    ------
    SpecError
        Naming the valid scenarios when ``name`` is not one (reported against the key
        ``scenario``).
    """
    if name not in spec.scenarios:
        raise SpecError(
            [
                Problem(
                    "scenario",
                    "",
                    "unknown scenario",
                    name,
                    listing(spec.scenarios) or "none: the lab has no scenarios.toml",
                    did_you_mean(name, spec.scenarios),
                )
            ]
        )
    return apply(spec, spec.scenarios[name])
