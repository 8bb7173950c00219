"""Questions a lab's readers ask, as events on quantities: "did total spend exceed $1B?",
"was the V3 final run under 1% of total spend?".

An event is a quantity (or the ratio of two) above a threshold, below one, or between
two, in canonical units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from estimator.model.periods import Period


@dataclass(frozen=True)
class Question:
    """An event on a quantity (``quantity / per`` when ``per`` is set), canonical units.

    ``subject`` and ``per_subject`` are the quantities as the question names them, and
    ``during`` the period it asks about (``None``: the lab's window); ``quantity`` and
    ``per`` are the names the model computes them under.
    """

    id: str
    text: str
    quantity: str
    per: str | None
    above: float | None
    below: float | None
    unit: str
    note: str | None = None
    subject: str = ""
    per_subject: str | None = None
    during: Period | None = None

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
        subject = (self.subject or self.quantity) + (
            f" / {self.per_subject or self.per}" if self.per else ""
        )
        if self.during is not None:
            subject += f" during {self.during.key}"
        parts = []
        if self.above is not None:
            parts.append(f"> {self.above:.4g}")
        if self.below is not None:
            parts.append(f"< {self.below:.4g}")
        return f"{subject} {' and '.join(parts)}"


def operand(question: Question, values: Callable[[str], np.ndarray]) -> np.ndarray:
    """The quantity the event is about, draw by draw (``values(name)`` gives draws)."""
    x = np.asarray(values(question.quantity), dtype=float)
    if question.per is not None:
        x = x / np.asarray(values(question.per), dtype=float)
    return x
