"""Answers to questions: probabilities, their Monte Carlo errors and their words."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from estimator.model.questions import Question
from estimator.review.answers import Answer, answer_questions


def question(qid: str = "q", per: str | None = None, **more: Any) -> Question:
    fields: dict[str, Any] = {
        "id": qid,
        "text": "Over a billion?",
        "quantity": "spend.total",
        "per": per,
        "above": 1e9,
        "below": None,
        "unit": "USD",
        **more,
    }
    return Question(**fields)


def test_a_probability_is_shown_with_its_error() -> None:
    assert Answer(question(), 0.4321, 0.0123, 1000.0).text() == "43.2% ± 1.2%"
    # An error below half of 0.1% does not show at that precision.
    assert Answer(question(), 0.4321, 0.0004999, 1e6).text() == "43.2%"
    assert Answer(question(), 0.4321, 0.0005, 1e6).text() == "43.2% ± 0.1%"


def test_no_draw_or_every_draw_in_the_event_gives_a_rule_of_three_bound() -> None:
    assert Answer(question(), 0.0, 0.0, 1000.0).text() == "<0.30%"
    assert Answer(question(), 1.0, 0.0, 1000.0).text() == ">99.70%"
    assert Answer(question(), 0.0, 0.0, 300.0).text() == "<1.00%"


def test_an_answer_passes_unless_its_draws_have_problems() -> None:
    assert Answer(question(), 0.5, 0.01, 100.0).passed
    assert not Answer(question(), 0.5, 0.01, 100.0, ("ESS 12 < 400",)).passed


def test_an_answer_as_summary_json_records_it() -> None:
    answer = Answer(question(), 0.25, 0.01, 1234.0, ("spend.total: bulk ESS 12 < 400",))
    assert answer.to_dict() == {
        "id": "q",
        "text": "Over a billion?",
        "event": "spend.total > 1e+09",
        "probability": 0.25,
        "mcse": 0.01,
        "ess": 1234.0,
        "passed": False,
        "problems": ["spend.total: bulk ESS 12 < 400"],
    }


@dataclass
class _Fit:
    draws: dict[str, np.ndarray]
    weights: np.ndarray

    def values(self, name: str) -> np.ndarray:
        return self.draws[name]

    def probability(self, holds: np.ndarray) -> tuple[float, float, float]:
        p = float(np.sum(self.weights * holds))
        return p, math.sqrt(float(np.sum(self.weights**2 * (holds - p) ** 2))), 1.0


@dataclass
class _Spec:
    questions: tuple[Question, ...]


@dataclass
class _Estimate:
    spec: _Spec
    fit: _Fit
    asked: list[tuple[str, ...]] = field(default_factory=list)

    def problems_of(self, *names: str) -> tuple[str, ...]:
        self.asked.append(names)
        return ("held back",) if "fleet.count" in names else ()


def test_each_question_is_answered_under_the_posterior_weights() -> None:
    draws = {
        "spend.total": np.array([5e8, 2e9, 3e9, 8e8]),
        "fleet.count": np.array([1.0, 1.0, 10.0, 0.1]),
    }
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    plain = question("plain")
    per = question("per", per="fleet.count")
    result = _Estimate(_Spec((plain, per)), _Fit(draws, weights))
    answers = answer_questions(result)  # type: ignore[arg-type]
    assert [a.question for a in answers] == [plain, per]
    # Over $1B: the 2nd and 3rd draws; per GPU: the 2nd and the 4th (8e9).
    assert answers[0].probability == pytest.approx(0.5)
    assert answers[1].probability == pytest.approx(0.6)
    assert answers[0].mcse == pytest.approx(
        math.sqrt(0.01 * 0.25 + 0.04 * 0.25 + 0.09 * 0.25 + 0.16 * 0.25)
    )
    assert answers[0].ess == 1.0
    # Each is judged on the quantities it asks about.
    assert result.asked == [("spend.total",), ("spend.total", "fleet.count")]
    assert answers[0].problems == ()
    assert answers[1].problems == ("held back",)
    assert isinstance(answers, tuple)
