"""The PyMC model of a lab: the spec's beliefs as PyMC variables, the same cost equations
(:meth:`estimator.model.LabModel.evaluate` on PyTensor tensors) and the claims as
likelihood terms. Built only when NUTS needs it.

Claims enter as data: each evidence claim's term is multiplied by an entry of the
``claim_active`` vector, and its values are read from ``claim_log_bounds``, so leaving
claims out (verdicts, history) or giving them new values (calibration) reuses one compiled
model instead of compiling a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.claims import Claim
from estimator.correlations import from_normal_tensor
from estimator.distributions import (
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Triangular,
    Uniform,
)
from estimator.errors import Problems
from estimator.likelihood import claim_loglik, log_bounds, pytensor_ops
from estimator.spec import LabSpec

if TYPE_CHECKING:
    import pymc as pm

ACTIVE = "claim_active"
BOUNDS = "claim_log_bounds"


class NutsUnsupportedError(ValueError):
    """A belief NUTS can't sample (e.g. a mixture with a fixed component)."""


def _dist(belief: Distribution) -> Any:
    """An unregistered PyMC distribution for a belief."""
    import pymc as pm

    if isinstance(belief, LogNormal):
        return pm.LogNormal.dist(mu=belief.mu, sigma=belief.sigma)
    if isinstance(belief, Normal):
        if belief.truncated:
            return pm.TruncatedNormal.dist(
                mu=belief.mu, sigma=belief.sigma, lower=belief.lower, upper=belief.upper
            )
        return pm.Normal.dist(mu=belief.mu, sigma=belief.sigma)
    if isinstance(belief, Beta):
        return pm.Beta.dist(alpha=belief.alpha, beta=belief.beta)
    if isinstance(belief, Gamma):
        return pm.Gamma.dist(alpha=belief.alpha, beta=belief.beta)
    if isinstance(belief, Uniform):
        return pm.Uniform.dist(lower=belief.lower, upper=belief.upper)
    if isinstance(belief, Triangular):
        return pm.Triangular.dist(lower=belief.lower, c=belief.mode, upper=belief.upper)
    if isinstance(belief, Mixture):
        if any(isinstance(c, Fixed | Mixture) for c in belief.components):
            raise NutsUnsupportedError("NUTS can't sample a mixture with a fixed component")
        return pm.Mixture.dist(
            w=np.asarray(belief.weights), comp_dists=[_dist(c) for c in belief.components]
        )
    raise NutsUnsupportedError(f"no PyMC counterpart for {type(belief).__name__}")


def claim_bounds(claims: tuple[Claim, ...]) -> np.ndarray:
    """The claims' log lower and upper ends as data, shape ``(len(claims), 2)`` (open
    ends are 0: the likelihood of a bound never reads them)."""
    ends = np.array([log_bounds(c) for c in claims], dtype=float).reshape(len(claims), 2)
    return np.nan_to_num(ends, nan=0.0)


def build_model(spec: LabSpec, claims: tuple[Claim, ...]) -> pm.Model:
    """The PyMC model of ``spec`` conditioned on ``claims`` (all active by default).

    Every named quantity is a variable or a ``Deterministic`` of the same name, so the
    posterior holds every quantity a report needs.

    Raises
    ------
    SpecError
        When a belief has no NUTS counterpart (a mixture with a fixed component).
    """
    import pymc as pm
    import pytensor.tensor as pt

    unsupported = Problems()
    correlated = spec.correlation.names if spec.correlation else ()
    for name in spec.model.input_names:
        prior = spec.priors[name]
        if isinstance(prior.belief, Fixed):
            continue
        if name in correlated:
            try:
                from_normal_tensor(prior.belief, 0.0)
            except ValueError as exc:
                unsupported.add(
                    prior.file,
                    name,
                    str(exc),
                    prior.stated,
                    allowed="an uncorrelated mixture, or --method is",
                )
            continue
        try:
            _dist(prior.belief)
        except NutsUnsupportedError as exc:
            unsupported.add(
                prior.file,
                name,
                str(exc),
                prior.stated,
                allowed="a mixture of continuous components, or --method is",
            )
    unsupported.raise_if_any()
    ops = pytensor_ops()
    with pm.Model() as model:
        inputs: dict[str, Any] = {}
        correlation = spec.correlation
        if correlation is not None:
            w = pm.Normal("copula.w", 0.0, 1.0, shape=len(correlation.names))
            z = pt.dot(pt.constant(correlation.cholesky), w)
            for column, name in enumerate(correlation.names):
                value = from_normal_tensor(spec.priors[name].belief, z[column])
                inputs[name] = pm.Deterministic(name, value)
        for name in spec.model.input_names:
            belief = spec.priors[name].belief
            if name in inputs:
                continue
            if isinstance(belief, Fixed):
                inputs[name] = pm.Deterministic(name, pt.constant(belief.value))
            else:
                inputs[name] = model.register_rv(_dist(belief), name)
        values = spec.model.evaluate(inputs, xp=pt)
        for name in spec.model.derived_names:
            pm.Deterministic(name, values[name])
        active = pm.Data(ACTIVE, np.ones(len(claims)))
        ends = pm.Data(BOUNDS, claim_bounds(claims))
        if claims:
            terms = pt.stack(
                [
                    claim_loglik(c, values[c.quantity], ops, (ends[i, 0], ends[i, 1]))
                    for i, c in enumerate(claims)
                ]
            )
            pm.Potential("claims", pt.sum(active * terms))
    return model
