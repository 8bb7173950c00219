"""The prior log density that prior-sensitivity power-scales: each input's own density
plus the Gaussian copula's, against scipy's multivariate normal (a flipped sign in the
copula term fails here)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy import special, stats

from estimator.drivers.prior_sensitivity import log_prior
from estimator.inference.forward import simulate
from estimator.spec.lab import LabSpec


def test_the_log_prior_is_the_marginals_and_the_gaussian_copula(deepseek: LabSpec) -> None:
    correlation = deepseek.correlation
    assert correlation is not None
    draws = simulate(deepseek, draws=64, seed=4)
    values = {n: np.asarray(draws[n]) for n in deepseek.stochastic_inputs}
    got = log_prior(SimpleNamespace(spec=deepseek), values)  # type: ignore[arg-type]
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
