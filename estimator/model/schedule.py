"""When things are bought, in service and written off, in closed form.

A tranche of accelerators is bought evenly over ``[a, b]`` (a single day when ``a == b``;
times in years, see :mod:`estimator.model.periods`) and each unit is kept for ``life``
years. Everything the cost equations need about time is a function of a moment ``x``:

- :func:`bought_by` — the share of the tranche bought by ``x``;
- :func:`in_service` — the share bought and not yet at the end of its life at ``x``;
- :func:`service_years` — the years of service per unit accumulated by ``x`` (its
  difference over a period is the expected time each unit spends in service in it);
- :func:`book_value` — the value per unit still on the books at ``x`` (units not yet
  bought count at full value, so that differences over a period are the depreciation
  charged in it), straight-line or declining balance.

Each is exact (an integral over the purchase spread, not a simulation), continuous in
``life`` and written with ``xp.maximum``/``xp.minimum``/``xp.exp``/``xp.where``, so the
same code runs on numpy arrays and PyTensor tensors. ``x``, ``a`` and ``b`` are numbers;
``life`` may be an array.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Literal

import numpy as np

Depreciation = Literal["straight_line", "declining_balance"]


def bought_by(x: float, a: float, b: float) -> float:
    """The share of a tranche bought evenly over ``[a, b]`` that has been bought by ``x``
    (a purchase at the single moment ``a`` counts from just after it, so that it falls in
    a period that begins at ``a``)."""
    if b <= a:
        return 1.0 if x > a else 0.0
    return min(max((x - a) / (b - a), 0.0), 1.0)


def in_service(x: float, a: float, b: float, life: Any, xp: ModuleType = np) -> Any:
    """The share of a tranche in service at the moment ``x``: bought by ``x`` and not yet
    at the end of its ``life`` (the derivative of :func:`service_years` in ``x``)."""
    if isinstance(life, float | int):
        return bought_by(x, a, b) - bought_by(x - life, a, b)
    y = x - life
    at_once = b <= a
    retired = xp.where(y > a, 1.0, 0.0) if at_once else xp.clip((y - a) / (b - a), 0.0, 1.0)
    return bought_by(x, a, b) - retired


def _bought_integral(y: Any, a: float, b: float, xp: ModuleType) -> Any:
    """``∫_{-inf}^{y} bought_by(t) dt``: zero before ``a``, a parabola over the spread, a
    straight line after it."""
    if isinstance(y, float | int):
        if b <= a:
            return max(y - a, 0.0)
        return (min(max(y, a), b) - a) ** 2 / (2.0 * (b - a)) + max(y - b, 0.0)
    if b <= a:
        return xp.maximum(y - a, 0.0)
    # The parabola up to the clipped moment, then the straight line: no difference of
    # two large squares, so a purchase over a day keeps its digits.
    return (xp.clip(y, a, b) - a) ** 2 / (2.0 * (b - a)) + xp.maximum(y - b, 0.0)


def service_years(x: float, a: float, b: float, life: Any, xp: ModuleType = np) -> Any:
    """Years of service per unit accumulated by ``x``.

    A unit bought at ``s`` is in service over ``[s, s + life)``, so the expected service
    up to ``x`` is ``∫_{-inf}^{x} P(s <= t < s + life) dt = I(x) - I(x - life)`` with
    ``I`` the integral of :func:`bought_by`.
    """
    return _bought_integral(x, a, b, xp) - _bought_integral(x - life, a, b, xp)


def service_years_of_lives(x: float, a: float, b: float, life: np.ndarray) -> np.ndarray:
    """:func:`service_years` for a numpy array of lives, in fewer passes over memory (the
    same values, to rounding).

    The same formula, computed in place; for a purchase at one moment the service is
    ``min(life, x - a)``.
    """
    if x <= a:
        return np.zeros_like(life)
    if b <= a:
        return np.minimum(life, x - a)
    y = x - life
    c = np.clip(y, a, b)
    c -= a
    np.square(c, out=c)
    c *= 1.0 / (2.0 * (b - a))
    y -= b
    np.maximum(y, 0.0, out=y)
    c += y
    return np.subtract(float(_bought_integral(x, a, b, np)), c, out=c)


def book_value(
    x: float,
    a: float,
    b: float,
    life: Any,
    xp: ModuleType = np,
    method: Depreciation = "straight_line",
    factor: float = 2.0,
) -> Any:
    """Value per unit still on the books at ``x``, counting units not yet bought at full
    value (1).

    Straight line: a unit loses ``1 / life`` of its value a year, ``1 - service / life``.
    Declining balance: a unit's value falls continuously at the rate ``factor / life`` a
    year and what is left at the end of its life is written off then. Over a purchase
    spread both are averaged exactly: ``(H(x - a) - H(x - b)) / (b - a)`` with ``H`` an
    antiderivative of the one unit's book value.
    """
    if method == "straight_line":
        return 1.0 - service_years(x, a, b, life, xp) / life
    rate = factor / life
    if b <= a:
        age = x - a
        if age <= 0:
            return 1.0 + 0.0 * life
        return xp.where(age < life, xp.exp(-rate * age), 0.0)

    def antiderivative(y: float) -> Any:
        if y <= 0:
            return y + 0.0 * life
        return (1.0 - xp.exp(-rate * xp.minimum(y, life))) / rate

    return (antiderivative(x - a) - antiderivative(x - b)) / (b - a)


def headcount_weights(times: Sequence[float], begins: float, ends: float) -> np.ndarray:
    """Weights ``w`` such that ``w @ h`` is the person-years over ``[begins, ends)`` of a
    headcount that is ``h[k]`` at ``times[k]``, linear in between and flat before the first
    and after the last (exact: the trapezoid rule on a piecewise-linear function)."""
    knots = np.asarray(times, dtype=float)
    inside = knots[(knots > begins) & (knots < ends)]
    points = np.concatenate([[begins], inside, [ends]])
    weights = np.empty(len(knots))
    for k in range(len(knots)):
        basis = np.interp(points, knots, np.eye(len(knots))[k])
        weights[k] = float(np.sum(0.5 * (basis[1:] + basis[:-1]) * np.diff(points)))
    return weights
