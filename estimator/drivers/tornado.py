"""A one-at-a-time tornado: the swing in a quantity as each input moves from its median
to its 5% and 95% quantiles with every other input at its median."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.drivers.common import (
    TORNADO_QUANTILES,
    descending,
    fixed_values,
    plain,
    stochastic_inputs,
)
from estimator.spec.lab import LabSpec


@dataclass(frozen=True)
class TornadoBar:
    """One input moved from its median to a low and a high quantile, the others held at
    their medians.

    Attributes
    ----------
    input : str
        The input moved.
    low_value, high_value : float
        The input at its low and high quantile (5% and 95%).
    output_low, output_high : float
        The quantity with the input at ``low_value`` and at ``high_value``.
    base : float
        The quantity with every input at its median.
    swing : float
        ``|output_high - output_low|``.
    """

    input: str
    low_value: float
    high_value: float
    output_low: float
    output_high: float
    base: float
    swing: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "low_value": plain(self.low_value),
            "high_value": plain(self.high_value),
            "output_low": plain(self.output_low),
            "output_high": plain(self.output_high),
            "base": plain(self.base),
            "swing": plain(self.swing),
        }


def tornado(
    spec: LabSpec,
    quantity: str | None = None,
    quantiles: tuple[float, float] = TORNADO_QUANTILES,
) -> tuple[TornadoBar, ...]:
    """One-at-a-time sensitivity of a quantity to each stochastic input.

    The base case has every stochastic input at its median (fixed inputs at their
    values); each input in turn is moved to its low and then its high quantile with the
    others at their medians. Stated correlations are not followed: each input moves
    alone. Deterministic: no sampling.

    Parameters
    ----------
    spec : LabSpec
        The lab.
    quantity : str
        Any named quantity (default: the lab's headline).
    quantiles : (float, float)
        The low and high probabilities each input is moved to (default 5% and 95%).

    Returns
    -------
    tuple of TornadoBar
        One bar per stochastic input, by swing descending (ties in the model's order).

    Raises
    ------
    UnknownQuantityError
        For a name the model does not define.
    ValueError
        For quantiles not strictly on either side of the median.
    """
    quantity = quantity or spec.headline
    spec.model.quantity(quantity)
    low_q, high_q = quantiles
    if not 0.0 < low_q < 0.5 < high_q < 1.0:
        raise ValueError(f"quantiles must satisfy 0 < low < 0.5 < high < 1, not {quantiles}")
    names = stochastic_inputs(spec)
    rows = 1 + 2 * len(names)
    inputs: dict[str, np.ndarray | float] = dict(fixed_values(spec))
    moved: dict[str, tuple[float, float]] = {}
    for k, name in enumerate(names):
        ppf = spec.priors[name].belief.ppf
        median, low, high = (float(np.asarray(ppf(q)).reshape(-1)[0]) for q in (0.5, low_q, high_q))
        column = np.full(rows, median)
        column[1 + 2 * k] = low
        column[2 + 2 * k] = high
        inputs[name] = column
        moved[name] = (low, high)
    value = np.asarray(spec.model.evaluate(inputs)[quantity], dtype=float)
    output = np.broadcast_to(value, (rows,))
    base = float(output[0])
    bars = []
    for k, name in enumerate(names):
        output_low, output_high = float(output[1 + 2 * k]), float(output[2 + 2 * k])
        bars.append(
            TornadoBar(
                name,
                moved[name][0],
                moved[name][1],
                output_low,
                output_high,
                base,
                abs(output_high - output_low),
            )
        )
    bars.sort(key=lambda b: descending(b.swing))
    return tuple(bars)
