"""Power-scaling a posterior's priors and likelihood: the weights of its draws with the
prior, a group of priors or the likelihood raised to a power ``alpha`` near 1 (Kallioinen
et al., *Detecting and diagnosing prior and likelihood sensitivity with power-scaling*,
Stat Comput 34, 57, 2024), on which :mod:`estimator.drivers.prior_sensitivity` measures
each quantity's sensitivity.

The power-scaled posterior is the same draws reweighted, by the same Pareto-smoothed
importance sampling as the posterior itself (the quick path's prior draws by their log
ratios plus ``(alpha - 1)`` times the scaled term; NUTS draws by ``(alpha - 1)`` times the
term, as ArviZ does). What is scaled:

* **The unconstrained scale.** Each input's prior is power-scaled as the density of the
  input on its unconstrained scale: of ``log(x - lower)`` for an input bounded below (a
  positive amount), of the logit for one between two bounds (a share), of ``x`` when
  unbounded; that is, its natural density times the Jacobian. Power-scaling a lognormal
  density on the natural scale would also move its median (``p(x)**alpha`` is lognormal
  with ``mu`` shifted by ``(1 - alpha) sigma**2 / alpha``), a change of location nobody
  stated, which reads as prior sensitivity where there is none. The Gaussian copula of
  correlated inputs is a density of their ranks and is the same on every scale.
* **Groups of priors.** Besides all priors at once, each group is power-scaled alone: the
  inputs that share the first part of their name (``fleet.*``: the accelerators' counts,
  prices and power; ``staff.*``: headcount, pay, overhead; ``energy.*``; ``runs.*``; ...),
  the sections of the lab's files a reader would challenge together. Inputs tied by a
  stated correlation share a group (``fleet.* + staff.*``), since their copula can't be
  scaled apart. The model's constraints and the claims' measurement parameters are held
  as they are in every scaling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from estimator.inference.estimation import Estimate
from estimator.inference.importance import reweight
from estimator.inference.posterior import ImportancePosterior, Posterior
from estimator.inference.threads import thread_map
from estimator.model.distributions import Distribution, Fixed, LogNormal, Mixture
from estimator.spec.lab import LabSpec

#: The powers the prior and the likelihood are raised to.
ALPHAS = (0.99, 1.01)


@dataclass(frozen=True)
class PriorGroup:
    """Inputs whose priors are power-scaled together.

    Attributes
    ----------
    name : str
        ``fleet.*``, or ``fleet.* + staff.*`` for prefixes joined by a correlation.
    inputs : tuple of str
        The stochastic inputs in the group, in the model's order.
    """

    name: str
    inputs: tuple[str, ...]


# ---------------------------------------------------------------------------------------
# The prior density on the unconstrained scale
# ---------------------------------------------------------------------------------------


def log_jacobian(x: np.ndarray, support: tuple[float, float]) -> np.ndarray:
    """``log |dx/dy|`` for ``y`` the unconstrained transform of ``x`` on ``support``:
    ``log(x - lower)`` bounded below, ``log(upper - x)`` above, the logit of the
    position between two bounds, nothing when unbounded. Values on a bound are taken a
    hair inside it, so the result stays finite."""
    low, high = support
    x = np.asarray(x, dtype=float)
    tiny = np.finfo(float).tiny
    out = np.zeros(x.shape)
    if math.isfinite(low):
        out += np.log(np.maximum(x - low, tiny))
    if math.isfinite(high):
        out += np.log(np.maximum(high - x, tiny))
    if math.isfinite(low) and math.isfinite(high):
        out -= math.log(high - low)
    return out


def log_density(belief: Distribution, x: np.ndarray, unconstrained: bool = True) -> np.ndarray:
    """An input's log prior density at ``x``, on its unconstrained scale (the natural
    density times :func:`log_jacobian`) or on its natural scale.

    A mixture's point masses (a fixed component) have density their weight on the
    draws equal to their value, with respect to counting there (no Jacobian).
    """
    x = np.asarray(x, dtype=float)
    if isinstance(belief, LogNormal):  # scipy's lognorm is slow; log(x) is normal
        log_x = np.log(np.maximum(x, np.finfo(float).tiny))
        z = (log_x - belief.mu) / belief.sigma
        normal = -0.5 * z * z - math.log(belief.sigma) - 0.5 * math.log(2 * math.pi)
        return np.asarray(normal if unconstrained else normal - log_x)
    jacobian = log_jacobian(x, belief.support()) if unconstrained else 0.0
    if not isinstance(belief, Mixture):
        return np.asarray(belief.frozen().logpdf(x)) + jacobian  # type: ignore[attr-defined]
    parts, atoms = [], np.zeros(x.shape, dtype=bool)
    atom_density = np.full(x.shape, -np.inf)
    for component, weight in zip(belief.components, belief.weights, strict=True):
        if isinstance(component, Fixed):
            at = x == component.value
            atoms |= at
            atom_density = np.where(at, np.logaddexp(atom_density, math.log(weight)), atom_density)
        else:
            parts.append(math.log(weight) + log_density(component, x, unconstrained=False))
    continuous = special.logsumexp(np.vstack(parts), axis=0) + jacobian if parts else atom_density
    return np.asarray(np.where(atoms, atom_density, continuous))


def prior_groups(spec: LabSpec) -> tuple[PriorGroup, ...]:
    """The groups of priors power-scaled alone (module docstring): stochastic inputs by
    the first part of their name, prefixes joined when a correlation ties their inputs."""
    names = spec.stochastic_inputs
    parent = {n.split(".")[0]: n.split(".")[0] for n in names}

    def root(prefix: str) -> str:
        while parent[prefix] != prefix:
            prefix = parent[prefix]
        return prefix

    for block in _copula_blocks(spec):
        prefixes = [root(n.split(".")[0]) for n in block]
        for prefix in prefixes[1:]:
            parent[root(prefix)] = root(prefixes[0])
    members: dict[str, list[str]] = {}
    for name in names:
        members.setdefault(root(name.split(".")[0]), []).append(name)
    groups = []
    for inputs in members.values():
        prefixes = list(dict.fromkeys(n.split(".")[0] for n in inputs))
        groups.append(PriorGroup(" + ".join(f"{p}.*" for p in prefixes), tuple(inputs)))
    return tuple(groups)


def _copula_blocks(spec: LabSpec) -> list[tuple[str, ...]]:
    """The correlated inputs in sets tied by a non-zero correlation (the copula's density
    is the product of the sets')."""
    correlation = spec.correlation
    if correlation is None:
        return []
    linked = np.abs(np.asarray(correlation.normal)) > 0
    unseen = set(range(len(correlation.names)))
    blocks = []
    while unseen:
        stack, block = [min(unseen)], set()
        while stack:
            i = stack.pop()
            if i in block:
                continue
            block.add(i)
            stack.extend(int(j) for j in np.flatnonzero(linked[i]) if j not in block)
        unseen -= block
        blocks.append(tuple(correlation.names[i] for i in sorted(block)))
    return blocks


def _copula_log_density(
    spec: LabSpec, values: Mapping[str, np.ndarray], block: Sequence[str]
) -> np.ndarray:
    """The Gaussian copula's log density of one set of correlated inputs."""
    correlation = spec.correlation
    assert correlation is not None
    index = [correlation.names.index(n) for n in block]
    matrix = np.asarray(correlation.normal)[np.ix_(index, index)]
    u = np.column_stack(
        [np.clip(spec.priors[n].belief.cdf(values[n]), 1e-15, 1 - 1e-15) for n in block]
    )
    z = special.ndtri(u)
    precision = np.linalg.inv(matrix) - np.eye(len(block))
    _, log_det = np.linalg.slogdet(matrix)
    return np.asarray(-0.5 * np.einsum("ij,jk,ik->i", z, precision, z) - 0.5 * log_det)


def group_log_priors(
    spec: LabSpec,
    values: Mapping[str, np.ndarray],
    groups: Sequence[PriorGroup] | None = None,
    unconstrained: bool = True,
) -> dict[str, np.ndarray]:
    """Each group's log prior density at each draw: its inputs' :func:`log_density` and
    the copula of its correlated inputs. Their sum is :func:`log_prior`."""
    groups = prior_groups(spec) if groups is None else groups
    blocks = _copula_blocks(spec)
    out = {}
    for group in groups:
        total = np.zeros(len(values[group.inputs[0]]))
        for name in group.inputs:
            total += log_density(spec.priors[name].belief, values[name], unconstrained)
        for block in blocks:
            if block[0] in group.inputs:
                total += _copula_log_density(spec, values, block)
        out[group.name] = total
    return out


def log_prior(
    spec: LabSpec, values: Mapping[str, np.ndarray], unconstrained: bool = True
) -> np.ndarray:
    """The prior log density of each draw of the stochastic inputs: each input's density
    (on its unconstrained scale, or the natural one) and the Gaussian copula's."""
    parts = group_log_priors(spec, values, unconstrained=unconstrained)
    return np.asarray(sum(parts.values()))


# ---------------------------------------------------------------------------------------
# The power-scaled weights
# ---------------------------------------------------------------------------------------


def _log_likelihood(fit: Posterior) -> np.ndarray:
    """The log-likelihood of the claims the posterior conditions on, at each draw."""
    if not fit.active.any():
        return np.zeros(fit.size)
    return np.asarray(fit.evidence_loglik(fit.active), dtype=float)


def _base_log_ratios(fit: Posterior) -> np.ndarray:
    """The raw log importance ratios that weigh the draws into the posterior (zero for
    equally weighted draws)."""
    if isinstance(fit, ImportancePosterior) and fit.log_ratios is not None:
        return np.asarray(fit.log_ratios, dtype=float)
    if fit.weights is not None:
        return np.log(np.asarray(fit.weights, dtype=float))
    return np.zeros(fit.size)


def power_scaled_weights(
    result: Estimate, groups: Sequence[PriorGroup]
) -> tuple[np.ndarray, float]:
    """Normalised weights of the posterior's draws: the posterior's, then, for all priors,
    each group of priors and the likelihood, the power-scaled posterior's at each of
    :data:`ALPHAS`; and the largest Pareto k-hat of the power-scaled ones."""
    spec, fit = result.spec, result.fit
    values = {n: fit.values(n) for n in spec.stochastic_inputs}
    terms = list(group_log_priors(spec, values, groups).values())
    scalings = [np.sum(terms, axis=0), *terms, _log_likelihood(fit)]
    raw = _base_log_ratios(fit)
    jobs = [(None, 0.0), *((term, alpha) for term in scalings for alpha in ALPHAS)]

    def weigh(job: tuple[np.ndarray | None, float]) -> tuple[np.ndarray, float]:
        term, alpha = job
        found = reweight(raw if term is None else raw + (alpha - 1.0) * term)
        return np.exp(found.log_weights).astype(np.float32), found.khat

    done = thread_map(weigh, jobs)
    khat = max((k for _, k in done[1:]), default=-math.inf)
    return np.stack([w for w, _ in done]), float(khat)
