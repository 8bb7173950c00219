"""Sums over a fleet's tranches accumulated to a moment, and the change in them over a
period: the arithmetic :mod:`estimator.model.books` and :mod:`estimator.model.flows` share.

On numpy arrays sums are added in place (a fleet of many tranches makes no new array per
term), and terms that are known to be nothing (``None``, or the inputs' zero) are skipped
rather than added.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

#: Sums whose weights are shares bought: they change only over a purchase, so a period's
#: change skips every tranche bought before it.
BY_NUMBER = frozenset({"chips", "kw_bought"})


class Accumulated:
    """Sums over tranches at one moment of a per-tranche number times a weight, by key.

    Terms are added up (in place, on numpy), except those of the sums in
    :data:`BY_NUMBER`, whose number weights are kept as (number, weight): the change over
    a period (:func:`change`) then multiplies each tranche's number once, by the change in
    its weight, and skips the tranches whose weight did not change.
    """

    def __init__(self, zero: Any, person_years: Any):
        self.zero, self.person_years = zero, person_years
        self.arrays: dict[str, Any] = {}
        self.owned: set[str] = set()
        self.numbers: dict[str, dict[int, tuple[Any, float]]] = {}

    def add(self, key: str, index: int, value: Any, weight: Any) -> None:
        """Add tranche ``index``'s ``value`` times ``weight`` to the sum ``key``."""
        number = isinstance(weight, float | int) and not isinstance(weight, bool)
        if number and key in BY_NUMBER:
            self.numbers.setdefault(key, {})[index] = (value, float(weight))
            return
        term = times(value, weight) if number else value * weight
        if term is None:
            return
        total = self.arrays.get(key)
        if total is None:
            self.arrays[key] = term
            if term is not value:
                self.owned.add(key)
        elif key in self.owned and fits(total, term):
            np.add(total, term, out=total)
        else:
            self.arrays[key] = total + term
            self.owned.add(key)

    def has(self, key: str) -> bool:
        """Whether any tranche has added to ``key``."""
        return key in self.arrays or key in self.numbers

    def total(self, key: str) -> Any:
        """The sum ``key`` (``None`` if no tranche has added to it)."""
        if not self.has(key):
            return None
        terms = [self.arrays.get(key)]
        for value, weight in self.numbers.get(key, {}).values():
            terms.append(times(value, weight))
        return add_present(self.zero, terms)


def change(start: Accumulated, end: Accumulated, key: str) -> Any:
    """How much the sum ``key`` grew between two moments (``None`` if no tranche ever
    added to it)."""
    if not (start.has(key) or end.has(key)):
        return None
    terms: list[Any] = []
    after, before = end.arrays.get(key), start.arrays.get(key)
    if after is not None:
        terms.append(after if before is None else after - before)
    elif before is not None:
        terms.append(-before)
    was, now = start.numbers.get(key, {}), end.numbers.get(key, {})
    for index in dict.fromkeys([*now, *was]):
        value = (now.get(index) or was[index])[0]
        grew = now.get(index, (value, 0.0))[1] - was.get(index, (value, 0.0))[1]
        terms.append(times(value, grew))
    return add_present(end.zero, terms)


def fits(total: Any, value: Any) -> bool:
    """Whether ``value`` can be added into the array ``total`` in place."""
    return isinstance(total, np.ndarray) and (np.ndim(value) == 0 or np.shape(value) == total.shape)


def add_present(zero: Any, values: Iterable[Any]) -> Any:
    """The sum of the values that are not ``None`` or ``zero`` itself (``zero`` if none)."""
    total: Any = None
    owned = False
    for value in values:
        if value is None or value is zero:
            continue
        if total is None:
            total = value
        elif owned and fits(total, value):
            np.add(total, value, out=total)
        else:
            total = total + value
            owned = isinstance(total, np.ndarray)
    return zero if total is None else total


def times(value: Any, weight: float) -> Any:
    """``value * weight``, skipping the product for weights 0 (``None``) and 1."""
    if weight == 0.0:
        return None
    return value if weight == 1.0 else value * weight


def unless_zero(value: Any) -> Any:
    """``value``, or ``None`` if it is a number (or 0-d array) equal to zero: a cost fixed
    at nothing adds no pass over the draws."""
    if isinstance(value, float | int) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return None if float(value) == 0.0 else value
    return value


def or_zero(zero: Any, value: Any) -> Any:
    """``value``, or ``zero`` where it is ``None``."""
    return zero if value is None else value


def scaled(zero: Any, value: Any, rate: Any) -> Any:
    """``value * rate``, or ``zero`` where the lab never accumulated ``value``."""
    return zero if value is None or value is zero else value * rate
