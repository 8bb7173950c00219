"""Elicitation from 90% intervals, checked against scipy's quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from estimator.model import elicit

CASES = [(1.0, 10.0), (10_000.0, 50_000.0), (2.5e6, 3.1e6), (0.05, 0.06), (1e-3, 1e3)]


@pytest.mark.parametrize(("low", "high"), CASES)
def test_lognormal_closed_form_matches_scipy(low: float, high: float) -> None:
    belief = elicit.lognormal_between(low, high)
    assert belief.mu == pytest.approx(0.5 * (math.log(low) + math.log(high)), rel=1e-12)
    assert belief.sigma == pytest.approx(math.log(high / low) / (2 * 1.6448536269514722))
    q = stats.lognorm(s=belief.sigma, scale=math.exp(belief.mu)).ppf([0.05, 0.95])
    np.testing.assert_allclose(q, [low, high], rtol=1e-12)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_other_levels(level: float) -> None:
    belief = elicit.lognormal_between(3.0, 30.0, level)
    tail = (1 - level) / 2
    np.testing.assert_allclose(belief.ppf(np.array([tail, 1 - tail])), [3.0, 30.0], rtol=1e-10)


@pytest.mark.parametrize(
    ("low", "high"),
    [(0.4, 0.9), (0.07, 0.24), (0.01, 0.05), (0.9, 0.999), (0.2, 0.8), (0.001, 0.999)],
)
def test_beta_quantiles_match_interval(low: float, high: float) -> None:
    belief = elicit.beta_between(low, high)
    q = stats.beta(belief.alpha, belief.beta).ppf([0.05, 0.95])
    np.testing.assert_allclose(q, [low, high], rtol=1e-6)


@pytest.mark.parametrize(("low", "high"), [(1.0, 10.0), (0.5, 0.6), (100.0, 101.0)])
def test_gamma_quantiles_match_interval(low: float, high: float) -> None:
    belief = elicit.gamma_between(low, high)
    q = stats.gamma(belief.alpha, scale=1 / belief.beta).ppf([0.05, 0.95])
    np.testing.assert_allclose(q, [low, high], rtol=1e-6)


def test_normal_interval() -> None:
    belief = elicit.normal_between(-1.0, 3.0)
    np.testing.assert_allclose(
        stats.norm(belief.mu, belief.sigma).ppf([0.05, 0.95]), [-1.0, 3.0], rtol=1e-12
    )


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-1.0, 2.0), (5.0, 5.0), (6.0, 5.0)])
def test_lognormal_refuses_impossible_intervals(low: float, high: float) -> None:
    with pytest.raises(ValueError, match="0 < low < high"):
        elicit.lognormal_between(low, high)


@pytest.mark.parametrize(("low", "high"), [(0.0, 0.5), (0.5, 1.0), (0.6, 0.4), (-0.1, 0.2)])
def test_beta_refuses_intervals_outside_unit(low: float, high: float) -> None:
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        elicit.beta_between(low, high)
