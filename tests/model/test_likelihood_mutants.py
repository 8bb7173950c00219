"""Likelihood arithmetic pinned by closed forms and literal values: the constants that the
tests up to a constant leave free, linear claims, and the numpy helpers' edges."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy import special, stats

from estimator.model.likelihood import (
    NUMPY_OPS,
    claim_ends,
    claim_loglik,
    claim_terms,
    component,
    constraint_loglik,
    fast_log_ndtr,
    fast_logaddexp,
    log_bounds,
    mixed,
    position,
    reliable_probability,
)

from .test_likelihood import make_claim

HALF_LOG_TAU = 0.5 * math.log(2 * math.pi)
WRONG = math.log(10.0)


def test_a_point_is_a_normal_density_on_the_log_scale_less_its_constant() -> None:
    log_q = np.log(np.array([5e7, 1e8, 3e8]))
    for sigma in (0.2, 1.5):
        got = component("point", log_q, (math.log(1e8), math.nan), sigma, NUMPY_OPS)
        expected = stats.norm(log_q, sigma).logpdf(math.log(1e8)) + HALF_LOG_TAU
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_noise_per_draw_gives_the_same_density() -> None:
    log_q = np.log(np.array([5e7, 1e8, 3e8]))
    sigma = np.array([0.2, 0.5, 1.5])
    got = component("point", log_q, (math.log(1e8), math.nan), sigma, NUMPY_OPS)
    expected = stats.norm(log_q, sigma).logpdf(math.log(1e8)) + HALF_LOG_TAU
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("reliability", [1.0, 0.7])
def test_a_point_claim_has_its_absolute_log_likelihood(reliability: float) -> None:
    claim = make_claim("point", value=1e8, noise=0.3, reliability=reliability)
    q = np.array([6e7, 1e8, 2e8])
    reliable = stats.norm(np.log(q), 0.3).logpdf(math.log(1e8)) + HALF_LOG_TAU
    wrong = stats.norm(np.log(q), WRONG).logpdf(math.log(1e8)) + HALF_LOG_TAU
    total, got_reliable, got_wrong = claim_terms(claim, q)
    np.testing.assert_allclose(got_reliable, reliable, rtol=1e-12)
    np.testing.assert_allclose(got_wrong, wrong, rtol=1e-12)
    expected = np.log(reliability * np.exp(reliable) + (1 - reliability) * np.exp(wrong))
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    np.testing.assert_allclose(claim_loglik(claim, q), expected, rtol=1e-12)


def test_a_range_in_the_middle_is_almost_certain_and_outside_falls_off() -> None:
    claim = make_claim("range", low=1e8, high=4e8, noise=0.2)
    q = np.array([2e8, 5e7, 8e8])
    log_q = np.log(q)
    a, b = (log_q - math.log(1e8)) / 0.2, (log_q - math.log(4e8)) / 0.2
    expected = np.log(special.ndtr(a) - special.ndtr(b))
    np.testing.assert_allclose(claim_loglik(claim, q), expected, rtol=1e-9)


def test_a_range_of_no_width_stays_finite() -> None:
    claim = make_claim("range", low=1e8, high=1e8, noise=0.2)
    got = claim_loglik(claim, np.array([5e7, 1e8, 2e8]))
    assert np.all(np.isfinite(got))
    # Where the two ends' probabilities are equal, the difference is held at 1e-12.
    at = claim_loglik(claim, np.array([1e8]))[0]
    assert at == pytest.approx(math.log(0.5) + math.log(-math.expm1(-1e-12)), rel=1e-9)


def test_a_narrow_range_far_on_either_side_keeps_its_tail() -> None:
    claim = make_claim("range", low=1e8, high=1.2e8, noise=0.2)
    for q in (1e6, 0.7e8, 1.5e8, 1e10):
        log_q = math.log(q)
        a, b = (log_q - math.log(1e8)) / 0.2, (log_q - math.log(1.2e8)) / 0.2
        exact = stats.norm.logcdf(a) + math.log(
            -math.expm1(stats.norm.logcdf(b) - stats.norm.logcdf(a))
        )
        if a + b > 0:
            exact = stats.norm.logsf(b) + math.log(
                -math.expm1(stats.norm.logsf(a) - stats.norm.logsf(b))
            )
        got = claim_loglik(claim, np.array([q]))[0]
        assert np.isfinite(got)
        assert got == pytest.approx(exact, rel=1e-9)


def test_just_outside_a_narrow_range_both_ends_count() -> None:
    # Ends 2% apart: just outside them the two probabilities are within a factor of e.
    claim = make_claim("range", low=1e8, high=1.02e8, noise=0.2)
    for q in (0.7e8, 1.5e8):
        a, b = (math.log(q / 1e8)) / 0.2, (math.log(q / 1.02e8)) / 0.2
        exact = math.log(stats.norm.cdf(a) - stats.norm.cdf(b))
        assert claim_loglik(claim, np.array([q]))[0] == pytest.approx(exact, rel=1e-9)


def test_the_bounds_given_replace_the_claims_own() -> None:
    claim = make_claim("lower_bound", value=1e8, noise=0.2)
    q = np.array([5e7, 1e8, 2e8])
    moved = claim_loglik(claim, q, bounds=(math.log(2e8), math.nan))
    expected = stats.norm.logcdf((np.log(q) - math.log(2e8)) / 0.2)
    np.testing.assert_allclose(moved, expected, rtol=1e-12)
    _, reliable, wrong = claim_terms(claim, q, bounds=(math.log(2e8), math.nan))
    np.testing.assert_allclose(reliable, expected, rtol=1e-12)
    np.testing.assert_allclose(
        wrong, stats.norm.logcdf((np.log(q) - math.log(2e8)) / WRONG), rtol=1e-12
    )


def test_bounds_and_ends_on_the_log_scale() -> None:
    assert log_bounds(make_claim("point", value=1e8)) == (math.log(1e8), math.log(1e8))
    low, high = log_bounds(make_claim("lower_bound", value=1e8))
    assert low == math.log(1e8)
    assert math.isnan(high)
    low, high = log_bounds(make_claim("upper_bound", value=1e8))
    assert math.isnan(low)
    assert high == math.log(1e8)
    assert claim_ends(make_claim("range", low=2.0, high=8.0)) == (math.log(2.0), math.log(8.0))


def _linear(kind: str, **values: float) -> object:
    return dataclasses.replace(make_claim(kind, **values), linear=True)


def test_a_linear_claim_reads_its_quantity_over_its_scale() -> None:
    claim = _linear("range", low=-50.0, high=20.0)
    assert claim_ends(claim) == (-1.0, 0.4)  # type: ignore[arg-type]
    at = position(claim, np.array([-25.0, 10.0]), NUMPY_OPS)  # type: ignore[arg-type]
    np.testing.assert_allclose(at, np.array([-0.5, 0.2]))
    low, high = claim_ends(_linear("lower_bound", value=-40.0))  # type: ignore[arg-type]
    assert low == -1.0
    assert math.isnan(high)
    low, high = claim_ends(_linear("upper_bound", value=30.0))  # type: ignore[arg-type]
    assert math.isnan(low)
    assert high == 1.0


def test_a_linear_point_is_a_normal_density_relative_to_its_scale() -> None:
    claim = _linear("point", value=-40.0, noise=0.25)
    q = np.array([-60.0, -40.0, 5.0])
    # Noise 0.25 of the claim's scale (40): sd 10 on the natural scale, read over 40.
    expected = stats.norm(q, 10.0).logpdf(-40.0) + HALF_LOG_TAU + math.log(40.0)
    got = claim_loglik(claim, q)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_mixing_takes_numbers_or_arrays_of_reliabilities() -> None:
    reliable, wrong = np.array([-1.0, -3.0]), np.array([-4.0, -2.0])
    expected = np.log(0.7 * np.exp(reliable) + 0.3 * np.exp(wrong))
    np.testing.assert_allclose(mixed(reliable, wrong, 0.7, NUMPY_OPS), expected, rtol=1e-12)
    np.testing.assert_allclose(
        mixed(reliable, wrong, np.array([0.7, 0.7]), NUMPY_OPS), expected, rtol=1e-12
    )
    r = np.array([0.2, 0.9])
    np.testing.assert_allclose(
        mixed(reliable, wrong, r, NUMPY_OPS),
        np.log(r * np.exp(reliable) + (1 - r) * np.exp(wrong)),
        rtol=1e-12,
    )


def test_the_soft_edge_of_a_constraint() -> None:
    share = np.array([0.5, 1.0, 1.05, 1.15])
    expected = stats.norm.logcdf(-np.log(share) / 0.05)
    np.testing.assert_allclose(constraint_loglik(share), expected, rtol=1e-12)
    # Inside the limit about 0; at it, log(1/2); 5% over, one sd outside.
    assert constraint_loglik(np.array([1.0]))[0] == pytest.approx(math.log(0.5))
    assert math.exp(constraint_loglik(np.array([1.05]))[0]) == pytest.approx(0.166, abs=0.005)


def test_the_probability_a_claim_is_reliable_is_bayes_rule() -> None:
    claim = make_claim("point", value=1e8, noise=0.3, reliability=0.6)
    q = np.array([1e8, 2e8, 1e9])
    reliable = stats.norm(np.log(q), 0.3).pdf(math.log(1e8))
    wrong = stats.norm(np.log(q), WRONG).pdf(math.log(1e8))
    expected = 0.6 * reliable / (0.6 * reliable + 0.4 * wrong)
    np.testing.assert_allclose(reliable_probability(claim, q), expected, rtol=1e-10)
    # Lists are read as arrays.
    got = reliable_probability(claim, [1e8, 2e8, 1e9])  # type: ignore[arg-type]
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_fast_log_ndtr_is_exact_on_both_sides_of_zero_and_deep_in_the_left_tail() -> None:
    z = np.array([-1e4, -45.0, -38.0, -30.5, -29.5, -5.0, -1e-3, 0.0, 1e-3, 5.0, 30.0])
    np.testing.assert_allclose(fast_log_ndtr(z), special.log_ndtr(z), rtol=1e-13)
    # A list of numbers, and a scalar, are read as arrays.
    np.testing.assert_allclose(fast_log_ndtr([-40.0, 2.0]), special.log_ndtr([-40.0, 2.0]))
    assert fast_log_ndtr(-50.0) == pytest.approx(special.log_ndtr(-50.0), rel=1e-13)
    # No deep draw at all takes the quick route only, and warns of nothing.
    with np.errstate(all="raise"):
        np.testing.assert_allclose(fast_log_ndtr(np.array([-3.0, 3.0])), special.log_ndtr([-3, 3]))


def test_fast_logaddexp_takes_lists_and_odd_values() -> None:
    np.testing.assert_allclose(
        fast_logaddexp([0.0, 1.0], [0.0, -1.0]), np.logaddexp([0, 1], [0, -1])
    )
    with np.errstate(invalid="raise"):
        got = fast_logaddexp(np.array([-np.inf, np.inf, 2.0]), np.array([-np.inf, np.inf, 3.0]))
    np.testing.assert_array_equal(got[:2], [-np.inf, np.inf])
    assert got[2] == pytest.approx(np.logaddexp(2.0, 3.0), rel=1e-15)


def test_deep_in_the_left_tail_nothing_is_warned() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fast_log_ndtr(np.array([-40.0, -1e3, 1.0]))
    np.testing.assert_allclose(got, special.log_ndtr([-40.0, -1e3, 1.0]), rtol=1e-13)
