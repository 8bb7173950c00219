"""Which conclusions rest on assumptions and which on evidence: power-scaling sensitivity
of the posterior to the prior and to the likelihood (ArviZ's ``psense``).

Power-scaling raises the prior (or the likelihood) to a power near 1 and measures, by
Pareto-smoothed importance reweighting of the posterior draws, how far each quantity's
posterior moves. Following Kallioinen et al. (2024) and ArviZ, a sensitivity of 0.05 or
more counts: prior sensitive and likelihood sensitive is a prior-data conflict; prior
sensitive only means the conclusion rests on assumptions (strong prior, weak evidence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from estimator.inference.estimation import Estimate
from estimator.inference.importance import sum_of_logliks
from estimator.model.distributions import Fixed, Mixture

THRESHOLD = 0.05
SAMPLE = 4000


@dataclass(frozen=True)
class PriorSensitivity:
    """Power-scaling sensitivity of one quantity's posterior."""

    quantity: str
    prior: float
    likelihood: float

    @property
    def diagnosis(self) -> str:
        if self.prior >= THRESHOLD and self.likelihood >= THRESHOLD:
            return "shaped by both priors and evidence (possible prior-data conflict)"
        if self.prior >= THRESHOLD:
            return "rests on assumptions (strong prior, weak evidence)"
        if self.likelihood >= THRESHOLD:
            return "rests on evidence"
        return "insensitive to both"

    def to_dict(self) -> dict[str, Any]:
        return {"prior": self.prior, "likelihood": self.likelihood, "diagnosis": self.diagnosis}


def log_prior(result: Estimate, values: dict[str, np.ndarray]) -> np.ndarray:
    """The prior log density of each draw: the inputs' own densities plus, for correlated
    inputs, the Gaussian copula's density."""
    spec = result.spec
    total = np.zeros(len(next(iter(values.values()))))
    for name in spec.stochastic_inputs:
        belief = spec.priors[name].belief
        x = values[name]
        if isinstance(belief, Mixture):
            parts = [
                math.log(w) + np.asarray(c.frozen().logpdf(x))
                for c, w in zip(belief.components, belief.weights, strict=True)
                if not isinstance(c, Fixed) and hasattr(c, "frozen")
            ]
            total += special.logsumexp(np.vstack(parts), axis=0)
        else:
            total += np.asarray(belief.frozen().logpdf(x))  # type: ignore[attr-defined]
    correlation = spec.correlation
    if correlation is not None:
        u = np.column_stack(
            [
                np.clip(spec.priors[n].belief.cdf(values[n]), 1e-15, 1 - 1e-15)
                for n in correlation.names
            ]
        )
        z = special.ndtri(u)
        precision = np.linalg.inv(correlation.normal) - np.eye(len(correlation.names))
        total += -0.5 * np.einsum("ij,jk,ik->i", z, precision, z)
        total -= 0.5 * math.log(np.linalg.det(correlation.normal))
    return total


def prior_sensitivity(
    result: Estimate, names: list[str], seed: int = 0
) -> tuple[PriorSensitivity, ...]:
    """Prior and likelihood power-scaling sensitivity of each named quantity."""
    import arviz_stats as azs
    from arviz_base import from_dict

    spec = result.spec
    if not spec.evidence:
        return tuple(PriorSensitivity(n, 1.0, 0.0) for n in names)
    claimed = [c.quantity for c in spec.evidence]
    wanted = list(dict.fromkeys([*names, *spec.stochastic_inputs, *claimed]))
    shaped = result.fit.sample_values(wanted, SAMPLE, seed)
    shape = shaped[names[0]].shape
    values = {n: v.reshape(-1) for n, v in shaped.items()}
    # A quantity the same in every draw (a renter's hardware capex: 0) has no
    # sensitivity to measure.
    names = [n for n in names if np.ptp(values[n]) > 0]
    if not names:
        return ()
    loglik = sum_of_logliks(values, spec.evidence)
    tree = from_dict(
        {
            "posterior": {n: values[n].reshape(shape) for n in names},
            "log_prior": {"prior": log_prior(result, values).reshape(shape)},
            "log_likelihood": {"claims": loglik.reshape(shape)},
        }
    )
    try:
        prior = azs.psense(tree, var_names=names, group="prior")
        likelihood = azs.psense(tree, var_names=names, group="likelihood")
    except ValueError:  # a degenerate sample: Pareto smoothing has no tail to fit
        return ()
    return tuple(
        PriorSensitivity(n, float(np.asarray(prior[n])), float(np.asarray(likelihood[n])))
        for n in names
    )
