"""One interface, two methods: the quick path and NUTS each implement
:class:`~estimator.inference.posterior.Posterior` once, and agree where they should."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimator.inference.estimation import Estimate, choose_posterior, estimate
from estimator.inference.nuts_posterior import NutsPosterior
from estimator.inference.posterior import ImportancePosterior, Posterior
from estimator.inference.summaries import Summary
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

CLAIMS = (
    {"id": "chips", "quantity": "gpu_spend", "value": 1.2e8, "noise": 0.2},
    {"id": "n", "quantity": "fleet.x.count", "value": 4000, "unit": "GPU", "noise": 0.3},
)


def _lab(folder: object, *claims: dict[str, object]) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(*claims)
    return load_lab(write_lab(folder, files))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    return _lab(tmp_path_factory.mktemp("labs") / "two", *CLAIMS)


@pytest.fixture(scope="module")
def quick(reduced: LabSpec) -> Estimate:
    return estimate(reduced, "is", draws=2**17, seed=3)


@pytest.fixture(scope="module")
def nuts(reduced: LabSpec) -> Estimate:
    return estimate(reduced, "nuts", draws=2**12, seed=3)


def _contract(fit: Posterior) -> None:
    """What every implementation promises."""
    size = fit.size
    values = fit.values("gpu_spend")
    assert values.shape == (size,)
    assert np.all(np.isfinite(values))
    weights = fit.weights
    if weights is not None:
        assert weights.shape == (size,)
        assert math.isclose(float(weights.sum()), 1.0, rel_tol=1e-9)
    chains = fit.chains(values)
    assert chains.ndim == 2
    assert chains.size == size
    np.testing.assert_array_equal(chains.reshape(-1), values)
    index = fit.sample(500, seed=1)
    assert len(index) == min(500, size)
    assert index.min() >= 0
    assert index.max() < size
    np.testing.assert_array_equal(index, fit.sample(500, seed=1))
    shaped = fit.sample_values(["gpu_spend"], 500, seed=1)["gpu_spend"]
    assert shaped.ndim == 2
    assert fit.problems() == ()
    assert isinstance(fit.summary("gpu_spend", "USD"), Summary)
    assert fit.describe()
    assert set(fit.active_claims) == set(fit.claims)


def test_the_quick_path_keeps_the_contract(quick: Estimate) -> None:
    assert isinstance(quick.fit, ImportancePosterior)
    _contract(quick.fit)


@pytest.mark.slow
def test_nuts_keeps_the_contract(nuts: Estimate) -> None:
    assert isinstance(nuts.fit, NutsPosterior)
    _contract(nuts.fit)
    assert nuts.fit.chains(nuts.fit.values("gpu_spend")).shape[0] == 4


def test_an_equally_weighted_sample_represents_the_weights(quick: Estimate) -> None:
    fit = quick.fit
    x = fit.values("gpu_spend")
    weights = fit.weights
    assert weights is not None
    mean = float(np.dot(weights, x))
    sample = x[fit.sample(20_000, seed=2)]
    # Systematic resampling: the sample mean's error is at most that of 20,000 draws.
    error = float(np.sqrt(np.dot(weights, (x - mean) ** 2)) / np.sqrt(20_000))
    assert abs(sample.mean() - mean) < 4 * error


def test_refitting_without_a_claim_is_the_lab_without_it(
    quick: Estimate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The quick path's refit reweights the same prior draws by the remaining claim: the
    same weights as estimating the lab that never had the other claim."""
    refit = quick.fit.refit(np.array([True, False]))
    assert [c.id for c in refit.active_claims] == ["chips"]
    alone = estimate(_lab(tmp_path_factory.mktemp("labs") / "one", CLAIMS[0]), "is", 2**17, 3)
    assert refit.weights is not None
    assert alone.sample_weights is not None
    np.testing.assert_allclose(refit.weights, alone.sample_weights, rtol=1e-9, atol=1e-300)
    nothing = quick.fit.refit(np.array([False, False]))
    assert nothing.method == "forward"
    assert nothing.weights is None


def test_leaving_a_claim_out_equals_refitting_without_it(quick: Estimate) -> None:
    claim = quick.spec.claim("n")
    left = quick.fit.leave_out(claim)
    refit = quick.fit.refit(np.array([True, False]))
    assert left.loo_khat is not None
    assert left.weights is not None
    assert refit.weights is not None
    np.testing.assert_allclose(left.weights, refit.weights, rtol=1e-9, atol=1e-300)


@pytest.mark.slow
def test_both_methods_agree_with_a_claim_switched_off(quick: Estimate, nuts: Estimate) -> None:
    """Exact refits by each method, and NUTS' own leave-one-out reweighting, give the same
    posterior within Monte Carlo error."""
    active = np.array([True, False])
    by_is = quick.fit.refit(active).summary("fleet.x.count", "GPU")
    by_nuts = nuts.fit.refit(active)
    assert by_nuts.problems() == ()
    left = nuts.fit.leave_out(nuts.spec.claim("n"), refit=False)
    for other in (by_nuts.summary("fleet.x.count", "GPU"), left.summary("fleet.x.count", "GPU")):
        for p in (0.05, 0.5, 0.95):
            error = math.hypot(by_is.quantile_mcse[p], other.quantile_mcse[p])
            assert abs(by_is.quantiles[p] - other.quantiles[p]) < 4 * error, p


def test_the_policy_takes_the_quick_path_when_it_may(quick: Estimate) -> None:
    fit = quick.fit
    assert isinstance(fit, ImportancePosterior)
    assert choose_posterior(fit, "is") == (fit, "")
    chosen, note = choose_posterior(fit, "auto")
    assert chosen is fit
    assert note == "quick path: k-hat and ESS allow it"


@pytest.mark.parametrize("threads", [2, 4])
def test_numbers_do_not_depend_on_the_number_of_blas_threads(quick: Estimate, threads: int) -> None:
    """Weighted means, probabilities and verdicts come out bit for bit the same whatever
    number of threads BLAS runs (it follows the machine's cores), so the same seed gives
    the same ``summary.json`` on any machine."""
    from threadpoolctl import threadpool_limits

    from estimator.review.verdicts import predictive

    fit = quick.fit
    claim = quick.spec.claim("chips")
    x = fit.values("gpu_spend")

    def figures() -> tuple[object, ...]:
        summary = fit.summary("gpu_spend", "USD")
        return (
            summary.mean,
            summary.sd,
            fit.probability(x > 1.2e8),
            predictive(claim, x, fit.weights),
        )

    with threadpool_limits(1, user_api="blas"):
        one = figures()
    with threadpool_limits(threads, user_api="blas"):
        many = figures()
    assert one == many
