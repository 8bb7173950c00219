"""The prior log density that prior-sensitivity power-scales: each input's own density
plus the Gaussian copula's, against scipy's multivariate normal (a flipped sign in the
copula term fails here), taken on each input's unconstrained scale (a proper density
there, and a lognormal's symmetric about its median on the log scale), and split into
groups of priors that add up to it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from estimator.drivers.power_scaling import (
    group_log_priors,
    log_density,
    log_jacobian,
    log_prior,
    prior_groups,
)
from estimator.inference.forward import simulate
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
from estimator.spec.lab import LabSpec


def test_the_log_prior_is_the_marginals_and_the_gaussian_copula(deepseek: LabSpec) -> None:
    correlation = deepseek.correlation
    assert correlation is not None
    draws = simulate(deepseek, draws=64, seed=4)
    values = {n: np.asarray(draws[n]) for n in deepseek.stochastic_inputs}
    got = log_prior(deepseek, values, unconstrained=False)
    marginals = sum(
        np.asarray(deepseek.priors[n].belief.frozen().logpdf(values[n]))  # type: ignore[attr-defined]
        for n in deepseek.stochastic_inputs
    )
    z = special.ndtri(
        np.column_stack([deepseek.priors[n].belief.cdf(values[n]) for n in correlation.names])
    )
    joint = stats.multivariate_normal(cov=correlation.normal).logpdf(z)
    copula = joint - stats.norm.logpdf(z).sum(axis=1)
    np.testing.assert_allclose(got, marginals + copula, rtol=1e-9, atol=1e-9)
    # The copula term matters here: without it the densities differ.
    assert np.max(np.abs(copula)) > 0.05
    # On the unconstrained scale: the same plus each input's log Jacobian.
    jacobians = sum(
        log_jacobian(values[n], deepseek.priors[n].belief.support())
        for n in deepseek.stochastic_inputs
    )
    np.testing.assert_allclose(log_prior(deepseek, values), got + jacobians, rtol=1e-9)


def test_the_groups_of_priors_add_up_to_the_log_prior(deepseek: LabSpec) -> None:
    groups = prior_groups(deepseek)
    inputs = [n for g in groups for n in g.inputs]
    assert sorted(inputs) == sorted(deepseek.stochastic_inputs)
    # DeepSeek's correlations stay within a prefix: one group per prefix.
    assert {g.name for g in groups} == {f"{n.split('.')[0]}.*" for n in inputs}
    assert all(n.startswith(g.name[:-1]) for g in groups for n in g.inputs)
    draws = simulate(deepseek, draws=64, seed=5)
    values = {n: np.asarray(draws[n]) for n in deepseek.stochastic_inputs}
    parts = group_log_priors(deepseek, values, groups)
    np.testing.assert_allclose(sum(parts.values()), log_prior(deepseek, values), rtol=1e-12)


BELIEFS: list[Distribution] = [
    LogNormal(2.0, 0.7),
    Beta(8.0, 2.0),
    Gamma(4.0, 0.002),
    Uniform(0.2, 0.6),
    Triangular(70.0, 90.0, 140.0),
    Normal(1.3, 0.05),
    Normal(0.1, 0.2, lower=0.0),
    Normal(0.5, 0.3, lower=0.0, upper=1.0),
    Mixture((LogNormal(4.0, 0.2), LogNormal(5.0, 0.1)), (0.3, 0.7)),
]


def _to_natural(belief: Distribution, y: np.ndarray) -> np.ndarray:
    """The inverse of the unconstrained transform of ``belief``'s support."""
    low, high = belief.support()
    if math.isfinite(low) and math.isfinite(high):
        return np.asarray(low + (high - low) * special.expit(y))
    if math.isfinite(low):
        return np.asarray(low + np.exp(y))
    if math.isfinite(high):
        return np.asarray(high - np.exp(y))
    return y


@pytest.mark.parametrize("belief", BELIEFS, ids=lambda b: type(b).__name__)
def test_the_unconstrained_density_is_a_density(belief: Distribution) -> None:
    """Integrated over the unconstrained variable, the density is 1: the Jacobian is
    right for each kind of support (a trapezoid rule on a grid far finer than any of
    these densities is wide)."""
    y = np.linspace(-60.0, 60.0, 1_200_001)
    density = np.exp(log_density(belief, _to_natural(belief, y)))
    assert float(integrate.trapezoid(density, y)) == pytest.approx(1.0, abs=1e-6)


def test_a_lognormal_prior_is_power_scaled_about_its_median() -> None:
    """On the log scale a lognormal's density is symmetric about ``mu``, so raising it to
    a power changes its spread only; on the natural scale it is not, and the power moves
    the median too (by ``(1 - alpha) sigma**2 / alpha``)."""
    belief = LogNormal(3.0, 0.8)
    d = np.linspace(0.1, 2.0, 20)
    above, below = np.exp(belief.mu + d), np.exp(belief.mu - d)
    np.testing.assert_allclose(log_density(belief, above), log_density(belief, below))
    np.testing.assert_allclose(
        log_density(belief, above), stats.norm(belief.mu, belief.sigma).logpdf(belief.mu + d)
    )
    natural = log_density(belief, above, unconstrained=False)
    assert np.all(natural < log_density(belief, below, unconstrained=False))


def test_a_mixtures_point_mass_has_its_weight() -> None:
    belief = Mixture((Fixed(200.0), LogNormal(4.0, 0.2)), (0.5, 0.5))
    at, off = np.array([200.0]), np.array([60.0])
    assert log_density(belief, at)[0] == pytest.approx(math.log(0.5))
    expected = math.log(0.5) + stats.norm(4.0, 0.2).logpdf(math.log(60.0))
    assert log_density(belief, off)[0] == pytest.approx(expected)
