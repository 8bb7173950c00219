"""Pareto-smoothed reweighting and the gate's per-quantity readings, by closed forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from arviz_stats.base import array_stats
from scipy import special
from scipy.special import logsumexp

from estimator.inference.forward import Draws, simulate
from estimator.inference.gate import QuantityCheck, failures
from estimator.inference.importance import (
    Reweighting,
    claim_logliks,
    constraint_logliks,
    prior_log_ratios,
    quick_update,
    resample_indices,
    reweight,
    sum_of_logliks,
)
from estimator.model.beliefs import Source
from estimator.model.claims import Claim
from estimator.model.evidence import Evidence, SourceEntity
from estimator.model.likelihood import claim_loglik
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

# -- the gate's words and limits ------------------------------------------------------------


def test_a_check_at_its_limits_passes() -> None:
    check = QuantityCheck(1.01, 400.0, 400.0)
    assert check.failures == ()
    assert check.passed


def test_each_missed_limit_is_said_in_words() -> None:
    check = QuantityCheck(1.0234, 399.4, 12.0)
    assert check.failures == ("R-hat 1.023 > 1.01", "bulk ESS 399 < 400", "tail ESS 12 < 400")
    assert not check.passed
    assert QuantityCheck(None, 1000.0, 399.0).failures == ("tail ESS 399 < 400",)


def test_readings_that_could_not_be_made_fail() -> None:
    check = QuantityCheck(math.nan, math.nan, math.nan)
    assert check.failures == (
        "R-hat could not be estimated",
        "bulk ESS could not be estimated",
        "tail ESS could not be estimated",
    )


def test_the_quick_path_has_no_r_hat_to_fail() -> None:
    assert QuantityCheck(None, 500.0, 500.0).failures == ()


def test_a_check_as_summary_json_records_it() -> None:
    assert QuantityCheck(1.02, 500.0, 300.0).to_dict() == {
        "rhat": 1.02,
        "ess_bulk": 500.0,
        "ess_tail": 300.0,
        "passed": False,
    }
    assert QuantityCheck(None, 500.0, 600.0).to_dict()["passed"] is True


def test_failures_name_each_quantity_once_and_skip_those_without_a_check() -> None:
    checks = {
        "a": QuantityCheck(None, 100.0, 200.0),
        "b": QuantityCheck(None, 1000.0, 1000.0),
    }
    found = failures(["a", "b", "a", "never_varies"], checks)
    assert found == ("a: bulk ESS 100 < 400, tail ESS 200 < 400",)
    assert failures([], checks) == ()


# -- reweighting ----------------------------------------------------------------------------


def test_the_importance_gate_says_why_in_words() -> None:
    shaky = Reweighting(np.zeros(1), 0.7345, 399.4)
    assert shaky.problems() == ("Pareto k-hat 0.73 > 0.7", "importance-sampling ESS 399 < 400")
    assert Reweighting(np.zeros(1), math.nan, 5000.0).problems() == (
        "Pareto k-hat could not be estimated",
    )
    # At the limits exactly, the weights pass; a stricter minimum ESS can be asked for.
    assert Reweighting(np.zeros(1), 0.7, 400.0).problems() == ()
    assert Reweighting(np.zeros(1), 0.5, 1500.0).problems(min_ess=2000) == (
        "importance-sampling ESS 1500 < 2000",
    )
    assert Reweighting(np.zeros(1), 0.5, 2000.0).problems(min_ess=2000) == ()


def test_the_weights_are_the_exponentials_of_the_log_weights() -> None:
    log_weights = np.log(np.array([0.1, 0.2, 0.7]))
    np.testing.assert_allclose(Reweighting(log_weights, 0.0, 2.0).weights, [0.1, 0.2, 0.7])


def test_reweighting_is_arviz_psis_of_minus_the_ratios_normalised() -> None:
    log_ratios = np.random.default_rng(0).normal(0.0, 1.0, 2000)
    got = reweight(log_ratios)
    smoothed, khat = array_stats.psislw(-log_ratios, r_eff=1.0)
    expected = np.asarray(smoothed) - logsumexp(smoothed)
    np.testing.assert_allclose(got.log_weights, expected, rtol=1e-12, atol=1e-12)
    assert got.khat == pytest.approx(float(khat), rel=1e-12)
    assert logsumexp(got.log_weights) == pytest.approx(0.0, abs=1e-12)
    # Kish's effective sample size of the normalised weights.
    assert got.ess == pytest.approx(1.0 / np.sum(np.exp(2 * expected)), rel=1e-12)
    # The body of the weights is untouched by the smoothing: proportional to the ratios.
    body = log_ratios < np.quantile(log_ratios, 0.5)
    shift = got.log_weights[body] - log_ratios[body]
    np.testing.assert_allclose(shift, shift[0], atol=1e-12)


def test_equal_ratios_give_equal_weights_and_no_tail() -> None:
    got = reweight(np.full(8, 3.5))
    np.testing.assert_allclose(got.log_weights, np.full(8, -math.log(8)), rtol=1e-15)
    assert got.khat == -math.inf
    assert got.ess == 8.0
    assert isinstance(got.ess, float)


def test_bounded_ratios_with_a_flat_top_are_used_as_they_are() -> None:
    # A constraint and no claim: every draw weighs 1 or e^-1, so the largest ratios are
    # all equal and there is no tail for the Pareto fit.
    log_ratios = np.r_[np.zeros(300), np.full(700, -1.0)]
    got = reweight(log_ratios)
    assert got.khat == -math.inf
    total = 300 + 700 * math.exp(-1.0)
    np.testing.assert_allclose(got.weights[:300], 1 / total, rtol=1e-12)
    np.testing.assert_allclose(got.weights[300:], math.exp(-1.0) / total, rtol=1e-12)
    assert got.ess == pytest.approx(total**2 / (300 + 700 * math.exp(-2.0)), rel=1e-12)


def test_integer_log_ratios_are_read_as_numbers() -> None:
    flat_top = reweight(np.r_[np.zeros(3, dtype=int), np.full(7, -1, dtype=int)])
    as_floats = reweight(np.r_[np.zeros(3), np.full(7, -1.0)])
    np.testing.assert_allclose(flat_top.log_weights, as_floats.log_weights, rtol=1e-15)
    assert flat_top.log_weights.dtype == float


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_ratios_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match=r"^log importance ratios must be finite$"):
        reweight(np.array([0.0, 1.0, bad]))


# -- resampling -----------------------------------------------------------------------------


def test_systematic_resampling_keeps_each_count_within_one_of_its_share() -> None:
    weights = np.random.default_rng(1).dirichlet(np.full(50, 0.5))
    for seed, size in [(0, 1000), (3, 777), (8, 50)]:
        index = resample_indices(weights, size, seed)
        assert len(index) == size
        counts = np.bincount(index, minlength=len(weights))
        expected = weights * size
        assert np.all(counts >= np.floor(expected) - 1e-9)
        assert np.all(counts <= np.ceil(expected) + 1e-9)


def test_resampling_is_seeded_and_shuffled() -> None:
    weights = np.full(100, 0.01)
    first = resample_indices(weights, 100, 5)
    np.testing.assert_array_equal(first, resample_indices(weights, 100, 5))
    # Equal weights: every draw once, in an order that depends on the seed.
    np.testing.assert_array_equal(np.sort(first), np.arange(100))
    assert not np.array_equal(first, np.arange(100))
    assert not np.array_equal(first, resample_indices(weights, 100, 6))


def test_resampling_reproduces_its_stream() -> None:
    """The generator is the seed's, on the stream spawned at 2^31 (stored samples can be
    drawn again from their seed)."""
    weights = np.array([0.5, 0.25, 0.125, 0.125])
    rng = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(2**31,)))
    positions = (rng.random() + np.arange(16)) / 16
    order = np.searchsorted(np.cumsum(weights), positions, side="left")
    np.testing.assert_array_equal(resample_indices(weights, 16, 7), rng.permutation(order))


def test_resampling_reaches_the_last_draw_when_the_weights_sum_short_of_one() -> None:
    weights = np.array([0.3, 0.3, 0.3999999])
    index = resample_indices(weights, 1000, 2)
    assert index.max() == 2
    assert np.bincount(index, minlength=3)[2] == pytest.approx(400, abs=1)


def test_resampling_picks_the_draw_whose_cumulative_weight_a_position_reaches() -> None:
    # Two draws, the first with weight 0.5: with 2 positions u/2 and (1 + u)/2, one lands
    # in each half (side="left": a position equal to 0.5 goes to the first draw).
    index = resample_indices(np.array([0.5, 0.5]), 2, 0)
    assert sorted(index.tolist()) == [0, 1]
    assert resample_indices(np.array([1.0, 0.0]), 5, 1).tolist() == [0] * 5


# -- the log-likelihood of the claims at the draws ------------------------------------------


def _claim(claim_id: str, quantity: str, value: float, by: str | None = None) -> Claim:
    return Claim(
        id=claim_id,
        quantity=quantity,
        kind="point",
        value=value,
        low=None,
        high=None,
        unit="x",
        stated=str(value),
        credibility="analyst_estimate",
        noise=0.3,
        reliability=0.9,
        use="evidence",
        source=Source("test"),
        date=dt.date(2024, 1, 1),
        by=by,
    )


def _values(n: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {"x": np.exp(rng.normal(4.0, 0.5, n)), "share": rng.uniform(0.8, 1.2, n)}


def test_claim_logliks_are_each_claims_own_when_alone() -> None:
    values = _values()
    claims = (_claim("a", "x", 50.0), _claim("b", "x", 70.0))
    draws = Draws(values, 0, 6, 6)
    got = claim_logliks(draws, claims)
    assert got.shape == (2, 6)
    np.testing.assert_allclose(got[0], claim_loglik(claims[0], values["x"]), rtol=1e-12)
    np.testing.assert_allclose(got[1], claim_loglik(claims[1], values["x"]), rtol=1e-12)
    # Only the active claims count: an inactive one adds what switching it on would.
    active = np.array([True, False])
    np.testing.assert_allclose(claim_logliks(draws, claims, active=active), got, rtol=1e-12)
    assert claim_logliks(draws, ()).shape == (0, 6)


def test_claim_logliks_read_claims_by_their_declared_source() -> None:
    values = {**_values(), "source.firm.bias": np.zeros(6)}
    firm = SourceEntity("firm", "A firm", "analyst_estimate", reliability=0.9, bias=0.4)
    claims = (_claim("a", "x", 50.0, by="firm"), _claim("b", "x", 70.0, by="firm"))
    got = claim_logliks(Draws(values, 0, 6, 6), claims, {"firm": firm})
    expected = Evidence.of(claims, {"firm": firm}).contributions(values)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # With a sibling switched off, a claim adds what it adds alone.
    active = np.array([True, False])
    partly = claim_logliks(Draws(values, 0, 6, 6), claims, {"firm": firm}, active)
    expected = Evidence.of(claims, {"firm": firm}).contributions(values, active)
    np.testing.assert_allclose(partly, expected, rtol=1e-12)
    assert not np.allclose(partly, got)


def test_the_log_ratio_sums_the_claims_and_the_constraints() -> None:
    values = _values()
    claims = (_claim("a", "x", 50.0), _claim("b", "x", 70.0))
    soft = special.log_ndtr(-np.log(values["share"]) / 0.05)
    np.testing.assert_allclose(constraint_logliks(values, ("share",)), soft, rtol=1e-12)
    np.testing.assert_allclose(constraint_logliks(values, ("share", "share")), 2 * soft, rtol=1e-12)
    np.testing.assert_array_equal(constraint_logliks(values, ()), np.zeros(6))
    both = sum_of_logliks(values, claims, ("share",))
    expected = claim_loglik(claims[0], values["x"]) + claim_loglik(claims[1], values["x"]) + soft
    np.testing.assert_allclose(both, expected, rtol=1e-12)
    np.testing.assert_array_equal(sum_of_logliks(values, ()), np.zeros(6))
    np.testing.assert_allclose(sum_of_logliks(values, (), ("share",)), soft, rtol=1e-12)


def test_sources_change_the_log_ratio() -> None:
    values = {**_values(), "source.firm.bias": np.full(6, 1.0)}
    firm = SourceEntity("firm", "A firm", "analyst_estimate", reliability=0.9, bias=0.4)
    claims = (_claim("a", "x", 50.0, by="firm"), _claim("b", "y", 70.0, by="firm"))
    values["y"] = values["x"] * 1.5
    expected = Evidence.of(claims, {"firm": firm}).loglik(values)
    np.testing.assert_allclose(
        sum_of_logliks(values, claims, (), {"firm": firm}), expected, rtol=1e-12
    )


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["sources.toml"] = '[sources.firm]\nname = "A firm"\ncredibility = "analyst_estimate"\n'
    files["claims.toml"] = claims_toml(
        {"id": "a", "quantity": "fleet.x.count", "value": 3000, "unit": "GPU", "by": "firm"},
        {"id": "b", "quantity": "gpu_spend", "value": 9e7, "by": "firm"},
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "lab", files))


def test_prior_log_ratios_are_the_evidence_at_the_prior_draws(small_lab: LabSpec) -> None:
    draws = 1500
    ratios = prior_log_ratios(small_lab, draws, seed=4, chunk_size=512)
    prior = simulate(small_lab, draws, seed=4, chunk_size=512)
    expected = sum_of_logliks(
        prior.values, small_lab.evidence, small_lab.model.constraints, small_lab.sources
    )
    assert ratios.shape == (draws,)
    np.testing.assert_allclose(ratios, expected, rtol=1e-12)
    # Read by source: not the claims each alone.
    alone = sum_of_logliks(
        prior.values, tuple(dataclasses.replace(c, by=None) for c in small_lab.evidence)
    )
    assert not np.allclose(ratios, alone)
    # The chunk size is passed on: the draws, and so the ratios, depend on it.
    assert not np.allclose(ratios, prior_log_ratios(small_lab, draws, seed=4, chunk_size=1024))


def test_prior_log_ratios_weigh_in_the_models_constraints() -> None:
    renter = load_lab(Path(__file__).resolve().parents[2] / "priors" / "openai-gpt4")
    assert renter.model.constraints
    ratios = prior_log_ratios(renter, 1000, seed=2)
    prior = simulate(renter, 1000, seed=2)
    claims = sum_of_logliks(prior.values, renter.evidence, (), renter.sources)
    soft = constraint_logliks(prior.values, renter.model.constraints)
    np.testing.assert_allclose(ratios, claims + soft, rtol=1e-12)
    assert np.ptp(soft) > 1.0


def test_the_quick_update_reweights_the_prior_draws(small_lab: LabSpec) -> None:
    got = quick_update(small_lab, 2000, seed=5)
    expected = reweight(prior_log_ratios(small_lab, 2000, 5))
    np.testing.assert_allclose(got.log_weights, expected.log_weights, rtol=1e-12)
    assert got.khat == expected.khat
    assert got.ess == expected.ess
    assert len(got.log_weights) == 2000
    # A default seed of 0.
    np.testing.assert_allclose(
        quick_update(small_lab, 300).log_weights,
        reweight(prior_log_ratios(small_lab, 300, 0)).log_weights,
        rtol=1e-12,
    )
