"""What the analyses of :mod:`estimator.drivers` share: the inputs they vary, seeds for
SALib, sort keys and JSON-ready numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.model.distributions import Fixed
from estimator.spec.lab import LabSpec

CONF_LEVEL = 0.95
NUM_RESAMPLES = 100
#: The quantiles a tornado moves each input to.
TORNADO_QUANTILES = (0.05, 0.95)
#: Name of the uninfluential column added to the delta analysis to measure its noise floor.
DUMMY_INPUT = "(dummy)"


def plain(value: Any) -> float | None:
    """A JSON-ready float (``None`` for NaN or infinity)."""
    number = float(value)
    return number if math.isfinite(number) else None


def derived_seed(seed: int, key: int) -> int:
    """A non-zero 32-bit seed derived from ``seed`` for step ``key``.

    SALib seeds its generators only when given a *truthy* seed (``if seed:``), so a
    seed of 0 would silently fall back to numpy's global generator; every seed handed
    to SALib is therefore derived here and never zero.
    """
    state = np.random.SeedSequence(seed, spawn_key=(key,)).generate_state(1, dtype=np.uint32)
    return int(state[0]) or 1


def descending(value: float) -> float:
    """Sort key: largest first, NaN last."""
    return -value if math.isfinite(value) else math.inf


def stochastic_inputs(spec: LabSpec) -> list[str]:
    """Stochastic inputs in the model's order."""
    return [n for n in spec.model.input_names if not isinstance(spec.priors[n].belief, Fixed)]


def fixed_values(spec: LabSpec) -> dict[str, float]:
    """Every input with a fixed belief, at its value."""
    out: dict[str, float] = {}
    for name in spec.model.input_names:
        belief = spec.priors[name].belief
        if isinstance(belief, Fixed):
            out[name] = float(belief.value)
    return out
