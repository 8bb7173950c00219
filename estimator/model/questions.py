"""Questions a lab's readers ask, as events on quantities: "did total spend exceed $1B?",
"was the V3 final run under 1% of total spend?".

An event is a quantity (or the ratio of two) above a threshold, below one, or between
two, in canonical units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


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


def operand(question: Question, values: Callable[[str], np.ndarray]) -> np.ndarray:
    """The quantity the event is about, draw by draw (``values(name)`` gives draws)."""
    x = np.asarray(values(question.quantity), dtype=float)
    if question.per is not None:
        x = x / np.asarray(values(question.per), dtype=float)
    return x
