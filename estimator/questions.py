"""Questions a lab's readers ask, as events on quantities, read from ``questions.toml``
and answered with a posterior probability and its Monte Carlo error.

An event is a quantity (or the ratio of two) above a threshold, below one, or between
two: "did total spend exceed $1B?", "was the V3 final run under 1% of total spend?".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.errors import did_you_mean, listing
from estimator.model import LabModel
from estimator.tomlread import Reader
from estimator.units import MAX_MAGNITUDE, Converter, UnitError

if TYPE_CHECKING:
    from estimator.posterior import Estimate

QUESTION_KEYS = ("id", "text", "quantity", "per", "above", "below", "unit", "note")


@dataclass(frozen=True)
class Question:
    """An event on a quantity (``quantity / per`` when ``per`` is set), canonical units."""

    id: str
    text: str
    quantity: str
    per: str | None
    above: float | None
    below: float | None
    unit: str
    note: str | None = None

    def event(self, values: np.ndarray) -> np.ndarray:
        """Whether the event holds at each draw of :meth:`operand`."""
        holds = np.ones(values.shape, dtype=bool)
        if self.above is not None:
            holds &= values > self.above
        if self.below is not None:
            holds &= values < self.below
        return holds

    def describe(self) -> str:
        """The event in symbols, e.g. ``spend.total > 1e+09``."""
        subject = self.quantity + (f" / {self.per}" if self.per else "")
        parts = []
        if self.above is not None:
            parts.append(f"> {self.above:.4g}")
        if self.below is not None:
            parts.append(f"< {self.below:.4g}")
        return f"{subject} {' and '.join(parts)}"


@dataclass(frozen=True)
class Answer:
    """A question's posterior probability with its Monte Carlo standard error."""

    question: Question
    probability: float
    mcse: float
    ess: float

    def text(self) -> str:
        """The probability for people: with its MC error, or as a bound when no draw (or
        every draw) fell in the event ("rule of three": a 95% bound of 3 / ESS)."""
        if self.probability == 0.0:
            return f"<{3 / self.ess:.2%}"
        if self.probability == 1.0:
            return f">{1 - 3 / self.ess:.2%}"
        if self.mcse < 0.0005:
            return f"{self.probability:.1%}"
        return f"{self.probability:.1%} ± {self.mcse:.1%}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.question.id,
            "text": self.question.text,
            "event": self.question.describe(),
            "probability": self.probability,
            "mcse": self.mcse,
            "ess": self.ess,
        }


def read_questions(
    reader: Reader, doc: dict[str, Any], model: LabModel, converter: Converter
) -> tuple[Question, ...]:
    """Read and validate ``questions.toml``; problems are recorded on ``reader``."""
    reader.check_keys(doc, "", ("questions",))
    entries = doc.get("questions", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.add(
            "questions",
            "questions must be [[questions]] tables",
            entries,
            allowed="one [[questions]] table per question (see priors/README.md)",
        )
        return ()
    out: list[Question] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        key = f"questions[{index}]"
        if isinstance(entry.get("id"), str) and entry["id"]:
            key += f" ({entry['id']})"
        question = _read_question(reader, entry, key, model, converter)
        if question is None:
            continue
        if question.id in seen:
            reader.add(f"{key}.id", "duplicate question id", question.id)
            continue
        seen.add(question.id)
        out.append(question)
    return tuple(out)


def _read_question(
    reader: Reader, entry: dict[str, Any], key: str, model: LabModel, converter: Converter
) -> Question | None:
    before = len(reader.problems.items)
    reader.check_keys(entry, key, QUESTION_KEYS, required=("id", "text", "quantity", "unit"))
    question_id = reader.string(entry, "id", key, required=True, max_length=200)
    text = reader.string(entry, "text", key, required=True)
    note = reader.string(entry, "note", key)
    names = list(model.quantities)
    quantity = _quantity(reader, entry, "quantity", key, names)
    per = _quantity(reader, entry, "per", key, names) if "per" in entry else None
    unit = reader.string(entry, "unit", key)
    if "above" not in entry and "below" not in entry:
        reader.add(key, "a question needs a threshold", allowed="above, below, or both")
    factor = None
    if quantity is not None and unit is not None and ("per" not in entry or per is not None):
        target = model.quantity(quantity).unit
        if per is not None:
            target = f"({target})/({model.quantity(per).unit})"
        try:
            factor = converter.factor(unit, target)
        except UnitError as exc:
            reader.add(
                f"{key}.unit", str(exc), unit, allowed=f"a unit of {converter.canonical(target)!r}"
            )
    thresholds = {}
    for name in ("above", "below"):
        if name in entry:
            value = reader.number(entry, name, key)
            if value is not None and factor is not None:
                if not abs(value * factor) <= MAX_MAGNITUDE:
                    reader.add(
                        f"{key}.{name}",
                        "the threshold is out of range once converted to the canonical unit",
                        entry[name],
                        allowed=f"thresholds within ±{MAX_MAGNITUDE:.0e} in the canonical unit",
                    )
                    continue
                thresholds[name] = value * factor
    if (
        "above" in thresholds
        and "below" in thresholds
        and (thresholds["above"] >= thresholds["below"])
    ):
        reader.add(
            f"{key}.below",
            "the event is empty: below must exceed above",
            [entry["above"], entry["below"]],
        )
    if (
        len(reader.problems.items) > before
        or question_id is None
        or text is None
        or quantity is None
        or unit is None
    ):
        return None
    return Question(
        question_id,
        text,
        quantity,
        per,
        thresholds.get("above"),
        thresholds.get("below"),
        unit,
        note,
    )


def _quantity(
    reader: Reader, entry: dict[str, Any], name: str, key: str, names: list[str]
) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in names:
        reader.add(
            f"{key}.{name}",
            "unknown quantity",
            value,
            allowed=listing(names, limit=80),
            hint=did_you_mean(str(value), names),
        )
        return None
    return value


def operand(question: Question, values: Any) -> np.ndarray:
    """The quantity the event is about, draw by draw (``values(name)`` gives draws)."""
    x = np.asarray(values(question.quantity), dtype=float)
    if question.per is not None:
        x = x / np.asarray(values(question.per), dtype=float)
    return x


def answer(
    question: Question,
    holds: np.ndarray,
    weights: np.ndarray | None,
    chains: np.ndarray | None = None,
) -> Answer:
    """The probability of an event from per-draw truth values.

    With importance weights the MC error is ``sqrt(sum w^2 (1[event] - p)^2)``; with MCMC
    draws (``chains``: the indicator shaped ``(chain, draw)``) it is ArviZ's MCSE of the
    mean, which accounts for autocorrelation; with independent draws it is binomial.
    """
    indicator = holds.astype(float)
    if weights is not None:
        w = weights / weights.sum()
        p = float(np.dot(w, indicator))
        ess = 1.0 / float(np.dot(w, w))
        return Answer(question, p, math.sqrt(float(np.dot(w**2, (indicator - p) ** 2))), ess)
    p = float(indicator.mean())
    if chains is not None:
        from arviz_stats.base import array_stats

        ess = float(array_stats.ess(chains.astype(float))) if 0.0 < p < 1.0 else len(holds)
        return Answer(question, p, math.sqrt(p * (1 - p) / ess), ess)
    return Answer(question, p, math.sqrt(p * (1 - p) / len(indicator)), float(len(indicator)))


def answer_questions(result: Estimate) -> tuple[Answer, ...]:
    """Answer every question of the estimate's lab under its posterior."""
    out = []
    for question in result.spec.questions:
        holds = question.event(operand(question, result.values))
        chains = result.chains(holds.astype(float)) if result.trace is not None else None
        out.append(answer(question, holds, result.sample_weights, chains))
    return tuple(out)
