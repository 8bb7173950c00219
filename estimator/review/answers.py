"""Answers to a lab's questions: each event's posterior probability with its Monte Carlo
error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.inference.estimation import Estimate
from estimator.model.questions import Question, operand


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


def answer_questions(result: Estimate) -> tuple[Answer, ...]:
    """Answer every question of the estimate's lab under its posterior (with the Monte
    Carlo error the posterior's draws allow: see
    :meth:`~estimator.inference.posterior.Posterior.probability`)."""
    out = []
    for question in result.spec.questions:
        holds = question.event(operand(question, result.fit.values))
        out.append(Answer(question, *result.fit.probability(holds)))
    return tuple(out)
