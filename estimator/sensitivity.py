"""Which inputs drive a quantity: Sobol' indices under the prior (:mod:`estimator.sobol`),
the delta index under the posterior (:mod:`estimator.delta`) and a one-at-a-time tornado
(:mod:`estimator.tornado`), gathered in one place."""

from estimator.delta import DeltaResult, DeltaRow, delta_indices, posterior_sample
from estimator.sobol import (
    Factor,
    SobolResult,
    SobolRow,
    independent_factor,
    lab_factors,
    sobol_analysis,
    sobol_factors,
    sobol_indices,
)
from estimator.tornado import TornadoBar, tornado

__all__ = [
    "DeltaResult",
    "DeltaRow",
    "Factor",
    "SobolResult",
    "SobolRow",
    "TornadoBar",
    "delta_indices",
    "independent_factor",
    "lab_factors",
    "posterior_sample",
    "sobol_analysis",
    "sobol_factors",
    "sobol_indices",
    "tornado",
]
