"""Questions as events on draws: strict thresholds, ratios, and the event in symbols."""

from __future__ import annotations

import datetime as dt

import numpy as np

from estimator.model.periods import Period
from estimator.model.questions import Question, operand


def question(above: float | None = None, below: float | None = None, **more: object) -> Question:
    fields: dict[str, object] = {
        "id": "q",
        "text": "?",
        "quantity": "spend.total",
        "per": None,
        "above": above,
        "below": below,
        "unit": "USD",
        **more,
    }
    return Question(**fields)  # type: ignore[arg-type]


X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def test_an_event_holds_strictly_beyond_its_thresholds() -> None:
    np.testing.assert_array_equal(question(above=3.0).event(X), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(question(below=3.0).event(X), [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(question(above=1.0, below=5.0).event(X), [0, 1, 1, 1, 0])
    assert question(above=3.0).event(X).dtype == bool


def test_an_event_without_thresholds_always_holds() -> None:
    np.testing.assert_array_equal(question().event(X), np.ones(5, bool))
    assert question().event(np.zeros((2, 3))).shape == (2, 3)


def test_the_operand_is_the_quantity_or_its_ratio() -> None:
    draws = {"spend.total": np.array([2.0, 9.0]), "fleet.count": np.array([4.0, 3.0])}
    np.testing.assert_array_equal(operand(question(), draws.__getitem__), [2.0, 9.0])
    ratio = operand(question(per="fleet.count"), draws.__getitem__)
    np.testing.assert_array_equal(ratio, [0.5, 3.0])
    assert ratio.dtype == float
    ints = {"spend.total": np.array([1, 2]), "fleet.count": np.array([2, 4])}
    assert operand(question(), ints.__getitem__).dtype == float
    np.testing.assert_array_equal(
        operand(question(per="fleet.count"), ints.__getitem__), [0.5, 0.5]
    )


def test_the_event_in_symbols() -> None:
    assert question(above=1e9).describe() == "spend.total > 1e+09"
    assert question(below=123456.0).describe() == "spend.total < 1.235e+05"
    assert question(above=0.5, below=2.0).describe() == "spend.total > 0.5 and < 2"
    per = question(below=0.01, per="spend.total", quantity="runs.v3.cost")
    assert per.describe() == "runs.v3.cost / spend.total < 0.01"
    named = question(
        above=1.0, quantity="a.b", per="c.d", subject="cost of V3", per_subject="the spend"
    )
    assert named.describe() == "cost of V3 / the spend > 1"
    unnamed_per = question(above=1.0, quantity="a.b", per="c.d", subject="cost of V3")
    assert unnamed_per.describe() == "cost of V3 / c.d > 1"
    during = question(above=1.0, during=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    assert during.describe() == "spend.total during 2025 > 1"
