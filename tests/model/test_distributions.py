"""Distribution value objects: sampling agrees with scipy, scaling and round trips."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from estimator.model.distributions import (
    Beta,
    Fixed,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Triangular,
    Uniform,
    from_dict,
)

BELIEFS = [
    LogNormal(10.0, 0.5),
    Normal(5.0, 1.0),
    Normal(1.0, 1.0, 0.0, np.inf),
    Beta(2.0, 5.0),
    Gamma(3.0, 0.5),
    Uniform(2.0, 7.0),
    Triangular(1.0, 2.0, 6.0),
    Mixture((LogNormal(9.2, 0.2), LogNormal(10.8, 0.2)), (0.3, 0.7)),
    Mixture((Fixed(3.0), Uniform(0.0, 10.0)), (1.0, 1.0)),
]


@pytest.mark.parametrize("belief", BELIEFS, ids=lambda b: type(b).__name__)
def test_sampling_matches_the_cdf(belief) -> None:  # type: ignore[no-untyped-def]
    """Kolmogorov-Smirnov against the belief's own CDF, fixed seed, 20k draws."""
    draws = belief.sample(np.random.default_rng(7), 20_000)
    if isinstance(belief, Mixture) and any(isinstance(c, Fixed) for c in belief.components):
        assert np.mean(draws == 3.0) == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / 20_000))
        return
    result = stats.kstest(draws, belief.cdf)
    assert result.pvalue > 1e-3


@pytest.mark.parametrize("belief", BELIEFS[:7], ids=lambda b: type(b).__name__)
def test_ppf_inverts_cdf(belief) -> None:  # type: ignore[no-untyped-def]
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(belief.cdf(belief.ppf(q)), q, rtol=1e-9)


def test_mixture_ppf_inverts_cdf() -> None:
    belief = BELIEFS[7]
    for p in (0.05, 0.3, 0.5, 0.95):
        assert float(belief.cdf(belief.ppf(p))) == pytest.approx(p, abs=1e-9)


def test_mixture_weights_are_normalised() -> None:
    assert Mixture((Fixed(1.0), Fixed(2.0)), (1.0, 3.0)).weights == (0.25, 0.75)


@pytest.mark.parametrize(
    "belief", [b for b in BELIEFS if not isinstance(b, Beta)], ids=lambda b: type(b).__name__
)
def test_scaling_scales_quantiles(belief) -> None:  # type: ignore[no-untyped-def]
    factor = 7.1
    scaled = belief.scaled(factor)
    q = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(scaled.ppf(q), factor * belief.ppf(q), rtol=1e-8)


def test_beta_cannot_be_rescaled() -> None:
    assert Beta(2, 3).scaled(1.0) == Beta(2, 3)
    with pytest.raises(ValueError, match="fraction"):
        Beta(2, 3).scaled(100.0)


@pytest.mark.parametrize("belief", [*BELIEFS, Fixed(4.0)], ids=lambda b: type(b).__name__)
def test_round_trip_through_dict(belief) -> None:  # type: ignore[no-untyped-def]
    assert from_dict(belief.to_dict()) == belief


def test_truncated_normal_stays_in_support() -> None:
    belief = Normal(0.5, 1.0, 0.0, np.inf)
    draws = belief.sample(np.random.default_rng(1), 10_000)
    assert draws.min() >= 0.0
    assert belief.truncated_mass() == pytest.approx(stats.norm.cdf(-0.5))


@pytest.mark.parametrize(("alpha", "beta"), [(5.67, 2.73), (0.4, 0.6), (1.0, 1.0), (40.0, 2.0)])
def test_beta_from_normal_is_its_quantile_function_of_phi(alpha: float, beta: float) -> None:
    """The tabulated map agrees with scipy's exact ppf(Phi(z)) far below any MC error, and
    turns standard normals into draws a KS test can't tell from the beta."""
    belief = Beta(alpha, beta)
    z = np.linspace(-8.0, 8.0, 100_001)
    exact = stats.beta(alpha, beta).ppf(stats.norm.cdf(z))
    assert np.max(np.abs(belief.from_normal(z) - exact)) < 2e-6
    if min(alpha, beta) >= 1:  # otherwise the quantile function has a power singularity
        central = np.abs(z) < 5
        relative = np.abs(belief.from_normal(z[central]) / exact[central] - 1)
        assert np.max(relative) < 1e-5
    draws = belief.from_normal(np.random.default_rng(3).standard_normal(200_000))
    assert stats.kstest(draws, stats.beta(alpha, beta).cdf).pvalue > 0.01
