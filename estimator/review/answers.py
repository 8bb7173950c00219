"""Answers to a lab's questions: each event's posterior probability with its Monte Carlo
error, and whether the draws of the quantities it asks about pass the publication gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.inference.estimation import Estimate
from estimator.model.questions import Question, operand


@dataclass(frozen=True)
class Answer:
    """A question's posterior probability with its Monte Carlo standard error, and why
    the draws of the quantities it asks about fail the publication gate (``problems``;
    empty when they pass)."""

    question: Question
    probability: float
    mcse: float
    ess: float
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the draws it rests on pass the publication gate."""
        return not self.problems

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
            "passed": self.passed,
            "problems": list(self.problems),
        }


def answer_questions(result: Estimate) -> tuple[Answer, ...]:
    """Answer every question of the estimate's lab under its posterior (with the Monte
    Carlo error the posterior's draws allow: see
    :meth:`~estimator.inference.posterior.Posterior.probability`), judged as the headline
    is on the quantities it asks about."""
    out = []
    for question in result.spec.questions:
        holds = question.event(operand(question, result.fit.values))
        asked = (question.quantity, *((question.per,) if question.per else ()))
        problems = result.problems_of(*asked)
        out.append(Answer(question, *result.fit.probability(holds), problems))
    return tuple(out)
