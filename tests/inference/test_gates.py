"""The publication gates, driven over and under each limit with literal numbers (so that a
loosened limit fails here), and the Monte Carlo error of a weighted probability against
the spread of the estimate over independent replicates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimator.inference.importance import Reweighting, reweight
from estimator.inference.nuts import NutsFit, NutsSettings
from estimator.inference.posterior import ImportancePosterior


def _fit(rhat: float = 1.0, bulk: float = 1000.0, tail: float = 1000.0, divergences: int = 0):
    return NutsFit(None, NutsSettings(), divergences, {"a": rhat}, {"a": bulk}, {"a": tail})


@pytest.mark.parametrize(
    ("fit", "fails"),
    [
        (_fit(rhat=1.009), False),
        (_fit(rhat=1.011), True),
        (_fit(rhat=1.05), True),
        (_fit(bulk=401.0), False),
        (_fit(bulk=399.0), True),
        (_fit(tail=401.0), False),
        (_fit(tail=399.0), True),
        (_fit(divergences=1), True),
    ],
)
def test_the_nuts_gate_at_its_limits(fit: NutsFit, fails: bool) -> None:
    assert bool(fit.problems()) is fails, fit.problems()


@pytest.mark.parametrize(
    ("khat", "ess", "fails"),
    [
        (0.69, 5000.0, False),
        (0.71, 5000.0, True),
        (0.95, 5000.0, True),
        (0.5, 399.0, True),
        (math.nan, 5000.0, True),  # a failed Pareto fit vouches for nothing
        (-math.inf, 5000.0, False),  # equal weights: no tail at all
    ],
)
def test_the_importance_gate_at_its_limits(khat: float, ess: float, fails: bool) -> None:
    weights = Reweighting(np.full(4, -math.log(4.0)), khat, ess)
    assert bool(weights.problems()) is fails, weights.problems()


def _weighted_posterior(log_ratios: np.ndarray) -> ImportancePosterior:
    """Only the weights matter to a probability: a posterior that holds nothing else."""
    return ImportancePosterior(
        spec=None,  # type: ignore[arg-type]
        claims=(),
        active=np.zeros(0, dtype=bool),
        seed=0,
        prior=None,  # type: ignore[arg-type]
        reweighting=reweight(log_ratios),
    )


def test_the_error_of_a_weighted_probability_matches_its_spread_over_replicates() -> None:
    # Prior N(0, 1), a claim N(1.5 | x, 0.5): the weights are far from equal (ESS about a
    # fifth of the draws), so an error that ignored them would be over twice too small.
    estimates, errors, sizes = [], [], []
    for seed in range(300):
        x = np.random.default_rng(seed).standard_normal(4000)
        posterior = _weighted_posterior(-0.5 * ((x - 1.5) / 0.5) ** 2)
        p, error, ess = posterior.probability(x > 1.4)
        estimates.append(p)
        errors.append(error)
        sizes.append(ess)
    assert np.mean(sizes) < 0.3 * 4000
    spread = float(np.std(estimates, ddof=1))
    # 300 replicates pin the spread to about 4%; the tolerance is five times that.
    assert np.mean(errors) == pytest.approx(spread, rel=0.2)
