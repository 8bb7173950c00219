"""The PyMC model of a lab: the spec's beliefs as PyMC variables, the same cost equations
(:meth:`estimator.model.equations.LabModel.evaluate` on PyTensor tensors) and the claims as
likelihood terms. Built only when NUTS needs it.

Claims enter as data: each evidence claim's term is multiplied by an entry of the
``claim_active`` vector, and its values are read from ``claim_log_bounds``, so leaving
claims out (verdicts, history) or giving them new values (calibration) reuses one compiled
model instead of compiling a new one.

The graph is kept small, because compiling it (PyTensor's rewrites, then Numba) is most of
the cost of a first NUTS fit: inputs with beliefs of one family share one vector variable
(``beliefs.lognormal``, ``beliefs.beta``, ...; the same density, one term instead of one
per input), and claims of one kind share one vectorised likelihood term. Every named
quantity is still a ``Deterministic`` of the model; NUTS stores only the free variables and
:func:`quantity_draws` computes the quantities from their draws with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.errors import Problem
from estimator.model.claims import WRONG_CLAIM_SIGMA, Claim
from estimator.model.copula import from_normal, from_normal_tensor
from estimator.model.distributions import (
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
from estimator.model.evidence import Evidence, shared_bias_loglik
from estimator.model.likelihood import (
    Ops,
    claim_ends,
    component,
    constraint_loglik,
    mixed,
    position,
    pytensor_ops,
)
from estimator.spec.lab import LabSpec

if TYPE_CHECKING:
    import pymc as pm

ACTIVE = "claim_active"
BOUNDS = "claim_log_bounds"
COPULA = "copula.w"
#: Prefix of the vector variables that hold the inputs of one belief family.
FAMILY_PREFIX = "beliefs."


class NutsUnsupportedError(ValueError):
    """A belief NUTS can't sample (e.g. a mixture with a fixed component)."""


class NutsUnavailableError(Exception):
    """NUTS can't sample this lab: some beliefs have no counterpart in PyMC.

    Attributes
    ----------
    problems : tuple of Problem
        Each belief NUTS can't sample: its file, input, why, and what would do instead.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.render()}" for p in self.problems)
        super().__init__(f"NUTS can't sample this lab:\n{lines}")


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


#: Belief families whose inputs share one vector variable: the family, its PyMC
#: distribution and the belief's parameters (named as PyMC names them). Truncated normals,
#: triangles and mixtures stay scalar: their transforms depend on which bounds are finite,
#: or they have no vector form.
_FAMILIES: dict[type, tuple[str, str, tuple[str, ...]]] = {
    LogNormal: ("lognormal", "LogNormal", ("mu", "sigma")),
    Beta: ("beta", "Beta", ("alpha", "beta")),
    Gamma: ("gamma", "Gamma", ("alpha", "beta")),
    Uniform: ("uniform", "Uniform", ("lower", "upper")),
    Normal: ("normal", "Normal", ("mu", "sigma")),
}


def _family(belief: Distribution) -> str | None:
    if isinstance(belief, Normal) and belief.truncated:
        return None
    entry = _FAMILIES.get(type(belief))
    return entry[0] if entry else None


def _family_dist(beliefs: list[Distribution]) -> Any:
    """One unregistered vector PyMC distribution for beliefs of one family."""
    import pymc as pm

    _, dist, params = _FAMILIES[type(beliefs[0])]
    values = {p: np.array([getattr(b, p) for b in beliefs], dtype=float) for p in params}
    return getattr(pm, dist).dist(**values)


@dataclass(frozen=True)
class Layout:
    """Where each input of a lab lives in the PyMC model.

    ``families`` maps a vector variable (``beliefs.<family>``) to the inputs it holds, in
    order; ``correlated`` are the copula's inputs (in the order of ``copula.w``);
    ``scalars`` have a variable of their own name; ``fixed`` are constants.
    """

    families: dict[str, tuple[str, ...]]
    correlated: tuple[str, ...]
    scalars: tuple[str, ...]
    fixed: tuple[str, ...]

    @property
    def free(self) -> list[str]:
        """Names of the model's free variables (what a NUTS trace needs to store)."""
        return [*([COPULA] if self.correlated else []), *self.families, *self.scalars]


def layout(spec: LabSpec) -> Layout:
    """How :func:`build_model` lays out the inputs of ``spec``."""
    correlated = spec.correlation.names if spec.correlation else ()
    families: dict[str, tuple[str, ...]] = {}
    scalars: list[str] = []
    fixed: list[str] = []
    for name in spec.model.input_names:
        belief = spec.priors[name].belief
        if name in correlated:
            continue
        if isinstance(belief, Fixed):
            fixed.append(name)
            continue
        family = _family(belief)
        if family is None:
            scalars.append(name)
        else:
            key = FAMILY_PREFIX + family
            families[key] = (*families.get(key, ()), name)
    return Layout(families, tuple(correlated), tuple(scalars), tuple(fixed))


def claim_bounds(claims: tuple[Claim, ...]) -> np.ndarray:
    """The claims' log lower and upper ends as data, shape ``(len(claims), 2)`` (open
    ends are 0: the likelihood of a bound never reads them)."""
    ends = np.array([claim_ends(c) for c in claims], dtype=float).reshape(len(claims), 2)
    return np.nan_to_num(ends, nan=0.0)


def check_supported(spec: LabSpec) -> None:
    """Raise :class:`NutsUnavailableError`, naming every input, when some input's belief
    has no PyMC counterpart here."""
    unsupported: list[Problem] = []
    correlated = spec.correlation.names if spec.correlation else ()
    for name in spec.model.input_names:
        prior = spec.priors[name]
        if isinstance(prior.belief, Fixed):
            continue
        if name in correlated:
            try:
                from_normal_tensor(prior.belief, 0.0)
            except ValueError as exc:
                unsupported.append(
                    Problem(
                        prior.file,
                        name,
                        str(exc),
                        prior.stated,
                        allowed="an uncorrelated mixture, or the quick path (method 'is')",
                    )
                )
            continue
        try:
            _dist(prior.belief)
        except NutsUnsupportedError as exc:
            unsupported.append(
                Problem(
                    prior.file,
                    name,
                    str(exc),
                    prior.stated,
                    allowed="a mixture of continuous components, or the quick path (method 'is')",
                )
            )
    if unsupported:
        raise NutsUnavailableError(unsupported)


def build_model(spec: LabSpec, claims: tuple[Claim, ...]) -> pm.Model:
    """The PyMC model of ``spec`` conditioned on ``claims`` (all active by default).

    Every named quantity is a variable or a ``Deterministic`` of the same name.

    Raises
    ------
    NutsUnavailableError
        When a belief has no NUTS counterpart (a mixture with a fixed component).
    """
    import pymc as pm
    import pytensor.tensor as pt

    check_supported(spec)
    where = layout(spec)
    with pm.Model() as model:
        inputs: dict[str, Any] = {}
        correlation = spec.correlation
        if correlation is not None:
            w = pm.Normal(COPULA, 0.0, 1.0, shape=len(correlation.names))
            z = pt.dot(pt.constant(correlation.cholesky), w)
            for column, name in enumerate(correlation.names):
                value = from_normal_tensor(spec.priors[name].belief, z[column])
                inputs[name] = pm.Deterministic(name, value)
        for family, names in where.families.items():
            beliefs = [spec.priors[n].belief for n in names]
            vector = model.register_rv(_family_dist(beliefs), family)
            for index, name in enumerate(names):
                inputs[name] = pm.Deterministic(name, vector[index])
        for name in where.scalars:
            inputs[name] = model.register_rv(_dist(spec.priors[name].belief), name)
        for name in where.fixed:
            belief = spec.priors[name].belief
            assert isinstance(belief, Fixed)
            inputs[name] = pm.Deterministic(name, pt.constant(belief.value))
        values = spec.model.evaluate(inputs, xp=pt)
        for name in spec.model.derived_names:
            pm.Deterministic(name, values[name])
        active = pm.Data(ACTIVE, np.ones(len(claims)))
        ends = pm.Data(BOUNDS, claim_bounds(claims))
        if claims:
            evidence = Evidence.of(claims, spec.sources)
            latents = {
                name: model.register_rv(_dist(belief), name)
                for name, belief in evidence.latents().items()
            }
            pm.Potential(
                "claims",
                _claims_loglik(evidence, {**values, **latents}, active, ends, pytensor_ops()),
            )
        constraints = spec.model.constraints
        if constraints:
            ops = pytensor_ops()
            terms = [constraint_loglik(values[name], ops) for name in constraints]
            pm.Potential("constraints", pt.sum(pt.stack(terms)))
    return model


def _claims_loglik(
    evidence: Evidence, values: Mapping[str, Any], active: Any, ends: Any, ops: Ops
) -> Any:
    """The log-likelihood of the active claims, read by source (the likelihood of
    :mod:`estimator.model.evidence`): each claim's two components computed in one
    vectorised term per kind of claim, then summed and mixed per source."""
    import pytensor.tensor as pt

    claims = evidence.claims
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, claim in enumerate(claims):
        groups.setdefault((claim.kind, claim.linear), []).append(i)
    reliable = pt.zeros(len(claims))
    wrong = pt.zeros(len(claims))
    for (kind, _), members in groups.items():
        index = np.array(members)
        readings = [evidence.reading(i, evidence.source_index[i], values, ops) for i in members]
        at = pt.stack([r[0] for r in readings])
        sigma = pt.stack([pt.as_tensor(r[1], dtype="float64") for r in readings])
        plain = pt.stack([position(claims[i], values[claims[i].quantity], ops) for i in members])
        bounds = (ends[index, 0], ends[index, 1])
        reliable = pt.set_subtensor(reliable[index], component(kind, at, bounds, sigma, ops))
        broad = np.full(len(members), WRONG_CLAIM_SIGMA)
        wrong = pt.set_subtensor(wrong[index], component(kind, plain, bounds, broad, ops))
    membership = np.zeros((len(evidence.sources), len(claims)))
    for s, belong in enumerate(evidence.members):
        membership[s, list(belong)] = 1.0
    reliable_by_source = pt.dot(membership, active * reliable)
    wrong_by_source = pt.dot(membership, active * wrong)
    total: Any = 0.0
    for s in range(len(evidence.sources)):
        if evidence.integrated(s):
            source_claims = [
                (
                    claims[i],
                    *evidence.reading(i, s, values, ops),
                    active[i],
                    (ends[i, 0], ends[i, 1]),
                )
                for i in evidence.members[s]
            ]
            tau = evidence.sources[s].bias_sd
            reliable_by_source = pt.set_subtensor(
                reliable_by_source[s], shared_bias_loglik(source_claims, tau, ops)
            )
        r = evidence.reliability(s, values)
        if isinstance(r, float) and r >= 1.0:
            total = total + reliable_by_source[s]
        else:
            total = total + mixed(reliable_by_source[s], wrong_by_source[s], r, ops)
    return total


def quantity_draws(spec: LabSpec, free: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every named quantity, from draws of the model's free variables (numpy; what the
    model's ``Deterministic`` variables compute).

    Parameters
    ----------
    free : mapping
        Draws of each of :attr:`Layout.free`, shaped ``(*sample, length)`` for a vector
        variable and ``sample`` for a scalar one.
    """
    where = layout(spec)
    inputs: dict[str, Any] = {}
    sample: tuple[int, ...] | None = None
    if where.correlated:
        correlation = spec.correlation
        assert correlation is not None
        w = np.asarray(free[COPULA], dtype=float)
        sample = w.shape[:-1]
        z = w @ correlation.cholesky.T
        for column, name in enumerate(where.correlated):
            inputs[name] = from_normal(spec.priors[name].belief, z[..., column])
    for family, names in where.families.items():
        vector = np.asarray(free[family], dtype=float)
        sample = vector.shape[:-1]
        for index, name in enumerate(names):
            inputs[name] = vector[..., index]
    for name in where.scalars:
        inputs[name] = np.asarray(free[name], dtype=float)
        sample = inputs[name].shape
    for name in where.fixed:
        belief = spec.priors[name].belief
        assert isinstance(belief, Fixed)
        inputs[name] = belief.value
    values = spec.model.evaluate(inputs)
    shape = sample if sample is not None else ()
    return {
        name: np.array(np.broadcast_to(np.asarray(values[name], dtype=float), shape))
        for name in spec.model.quantities
    }
