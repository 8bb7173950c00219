"""The model's constraints (a run can't use more accelerator-hours than its accelerators
had over its dates) in the posterior: the quick path and NUTS both give draws breaking
them next to no weight, and agree with each other."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from estimator.inference.estimation import Estimate, estimate
from estimator.model.likelihood import CONSTRAINT_SOFTNESS, constraint_loglik
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

RENTER = Path(__file__).resolve().parents[2] / "priors" / "openai-gpt4"
SHARE = "runs.gpt4.capacity_share"


@pytest.fixture(scope="module")
def renter() -> LabSpec:
    return load_lab(RENTER)


@pytest.fixture(scope="module")
def renter_is(renter: LabSpec) -> Estimate:
    return estimate(renter, "is", draws=2**16, seed=3)


def test_the_constraint_is_a_soft_step_at_one() -> None:
    shares = np.array([0.5, 1.0, 1.0 + CONSTRAINT_SOFTNESS, 2.0])
    got = constraint_loglik(shares)
    assert got[0] == pytest.approx(0.0, abs=1e-12)
    assert got[1] == pytest.approx(math.log(0.5), rel=1e-12)
    # One softness past the limit, on the log scale: Phi(-log(1.01)/0.01).
    from scipy.stats import norm

    expected = norm.logcdf(-math.log(1.0 + CONSTRAINT_SOFTNESS) / CONSTRAINT_SOFTNESS)
    assert got[2] == pytest.approx(expected, rel=1e-9)
    assert got[3] < -90  # twice the hours that existed: no weight at all


def test_the_prior_breaks_the_constraint_and_the_posterior_does_not(
    renter: LabSpec, renter_is: Estimate
) -> None:
    assert SHARE in renter.model.constraints
    prior = np.asarray(renter_is.prior_draws[SHARE])
    # Three softnesses past the limit: the prior often goes there, the posterior can't.
    past = math.exp(3 * CONSTRAINT_SOFTNESS)
    assert (prior > past).mean() > 0.1  # the example's beliefs alone often ask too much
    p, error, _ = renter_is.fit.probability(np.asarray(renter_is.fit.values(SHARE)) > past)
    assert p < 1e-3
    assert error < 1e-3


def test_the_constraint_holds_with_every_claim_switched_off(renter_is: Estimate) -> None:
    fit = renter_is.fit
    bare = fit.refit(np.zeros(len(fit.claims), dtype=bool))
    assert bare.method == "is"  # still weighted: by the constraint
    past = math.exp(3 * CONSTRAINT_SOFTNESS)
    p, _, _ = bare.probability(np.asarray(bare.values(SHARE)) > past)
    assert p < 1e-3


@pytest.mark.slow
def test_nuts_and_the_quick_path_agree_where_the_constraint_binds(
    renter: LabSpec, renter_is: Estimate
) -> None:
    nuts = estimate(renter, "nuts", draws=2**14, seed=3)
    assert renter_is.diagnostics.passed, renter_is.diagnostics.reasons
    assert nuts.diagnostics.passed, nuts.diagnostics.reasons
    for name in (SHARE, "runs.gpt4.gpu_hours", "rent.total", "spend.total"):
        a, b = renter_is.posterior[name], nuts.posterior[name]
        for q in (0.05, 0.5, 0.95):
            error = math.hypot(a.quantile_mcse[q], b.quantile_mcse[q])
            assert abs(a.quantiles[q] - b.quantiles[q]) < 4 * error, (name, q)
