"""Claim likelihoods against scipy, and the numpy and PyTensor versions agreeing."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import special, stats

from estimator.model.beliefs import Source
from estimator.model.claims import Claim
from estimator.model.likelihood import (
    claim_loglik,
    claim_terms,
    fast_log_ndtr,
    fast_logaddexp,
    pytensor_ops,
    reliable_probability,
)


def make_claim(
    kind: str,
    value: float | None = None,
    low: float | None = None,
    high: float | None = None,
    noise: float = 0.2,
    reliability: float = 1.0,
) -> Claim:
    return Claim(
        id="c",
        quantity="spend.total",
        kind=kind,
        value=value,
        low=low,
        high=high,  # type: ignore[arg-type]
        unit="USD",
        stated="",
        credibility="analyst_estimate",
        noise=noise,
        reliability=reliability,
        use="evidence",
        source=Source("test"),
        date=dt.date(2024, 1, 1),
    )


Q = np.geomspace(1e6, 1e10, 41)


def _constant_difference(a: np.ndarray, b: np.ndarray) -> None:
    """Equal up to an additive constant."""
    diff = a - b
    np.testing.assert_allclose(diff, diff[0], atol=1e-9)


def test_point_claim_is_a_lognormal_observation() -> None:
    claim = make_claim("point", value=1e8)
    expected = stats.norm(np.log(Q), 0.2).logpdf(np.log(1e8))
    _constant_difference(claim_loglik(claim, Q), expected)


def test_lower_bound_is_a_soft_step() -> None:
    claim = make_claim("lower_bound", value=1e8)
    expected = stats.norm.logcdf((np.log(Q) - np.log(1e8)) / 0.2)
    np.testing.assert_allclose(claim_loglik(claim, Q), expected, rtol=1e-10)
    assert np.all(np.diff(claim_loglik(claim, Q)) >= 0)


def test_upper_bound_is_a_soft_step_down() -> None:
    claim = make_claim("upper_bound", value=1e8)
    expected = stats.norm.logcdf((np.log(1e8) - np.log(Q)) / 0.2)
    np.testing.assert_allclose(claim_loglik(claim, Q), expected, rtol=1e-10)


def test_range_is_a_soft_box() -> None:
    claim = make_claim("range", low=1e8, high=4e8)
    a, b = (np.log(Q) - np.log(1e8)) / 0.2, (np.log(Q) - np.log(4e8)) / 0.2
    with np.errstate(divide="ignore"):
        expected = np.where(
            a + b > 0,
            np.log(stats.norm.sf(b) - stats.norm.sf(a)),
            np.log(stats.norm.cdf(a) - stats.norm.cdf(b)),
        )
    finite = np.isfinite(expected)
    assert finite.sum() > 30
    np.testing.assert_allclose(claim_loglik(claim, Q)[finite], expected[finite], rtol=1e-7)
    inside = claim_loglik(claim, np.array([2e8]))[0]
    assert inside == pytest.approx(0.0, abs=1e-3)


def test_reliability_mixes_in_a_broad_wrong_component() -> None:
    claim = make_claim("point", value=1e8, reliability=0.7)
    total, reliable, wrong = claim_terms(claim, Q)
    np.testing.assert_allclose(np.exp(total), 0.7 * np.exp(reliable) + 0.3 * np.exp(wrong))
    far = claim_loglik(claim, np.array([1e8 * math.exp(10 * 0.2)]))[0]
    # A wrong claim is off by about a factor of ten: log-scale noise ln(10), written out
    # here rather than read from the code, so that a changed constant fails.
    wrong = math.log(10.0)
    broad = math.log(0.3) - 0.5 * (10 * 0.2 / wrong) ** 2 - math.log(wrong)
    assert far == pytest.approx(broad, rel=1e-6)


def test_reliable_probability_is_high_near_the_claim_and_low_far_away() -> None:
    claim = make_claim("point", value=1e8, reliability=0.8)
    near, far = reliable_probability(claim, np.array([1e8, 1e10]))
    assert near > 0.95
    assert far < 1e-6


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("point", {"value": 1e8}),
        ("lower_bound", {"value": 1e8}),
        ("upper_bound", {"value": 1e8}),
        ("range", {"low": 5e7, "high": 3e8}),
    ],
)
@pytest.mark.parametrize("reliability", [1.0, 0.6])
def test_numpy_and_pytensor_agree(kind: str, values: dict[str, float], reliability: float) -> None:
    import pytensor
    import pytensor.tensor as pt

    claim = make_claim(kind, reliability=reliability, **values)
    q = pt.vector("q")
    function = pytensor.function([q], claim_loglik(claim, q, pytensor_ops()))
    np.testing.assert_allclose(function(Q), claim_loglik(claim, Q), rtol=1e-9, atol=1e-9)


def test_fast_log_ndtr_matches_scipy_over_the_whole_line() -> None:
    z = np.concatenate(
        [np.linspace(-1e3, -40, 500), np.linspace(-40, 40, 20001), [-np.inf, np.inf, 0.0]]
    )
    fast, exact = fast_log_ndtr(z), special.log_ndtr(z)
    finite = np.isfinite(exact)
    np.testing.assert_array_equal(np.isfinite(fast), finite)
    np.testing.assert_allclose(fast[finite], exact[finite], rtol=1e-13, atol=1e-300)
    # Far in the right tail log Phi is about -phi(z)/z: kept, not rounded to 0.
    assert fast_log_ndtr(np.array([20.0]))[0] == pytest.approx(special.log_ndtr(20.0), rel=1e-13)
    assert fast_log_ndtr(np.array([20.0]))[0] < 0


@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0, 800.0])
def test_fast_logaddexp_matches_numpy(scale: float) -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, scale, 5000), rng.normal(0, scale, 5000)
    np.testing.assert_allclose(fast_logaddexp(a, b), np.logaddexp(a, b), rtol=1e-14, atol=1e-15)
    ends = np.array([-np.inf, np.inf, 0.0, np.nan])
    x, y = np.meshgrid(ends, ends)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(fast_logaddexp(x, y), np.logaddexp(x, y))
