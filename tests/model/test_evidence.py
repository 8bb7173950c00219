"""Evidence by source: the likelihood of a source's claims read together, against scipy
oracles (a multivariate normal; a bias integrated by quadrature), and what grouping
changes and leaves alone."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import integrate, stats

from estimator.model.beliefs import Source
from estimator.model.claims import WRONG_CLAIM_SIGMA, Claim
from estimator.model.evidence import (
    Evidence,
    SourceEntity,
    bias_name,
    noise_name,
    reliability_name,
    shared_bias_loglik,
)
from estimator.model.likelihood import NUMPY_OPS, claim_loglik, component

HALF_LOG_TAU = 0.5 * math.log(2 * math.pi)


def claim(
    claim_id: str,
    quantity: str,
    value: float,
    kind: str = "point",
    noise: float = 0.3,
    by: str | None = None,
    reliability: float = 0.8,
) -> Claim:
    return Claim(
        id=claim_id,
        quantity=quantity,
        kind=kind,  # type: ignore[arg-type]
        value=value,
        low=None,
        high=None,
        unit="x",
        stated=str(value),
        credibility="analyst_estimate",
        noise=noise,
        reliability=reliability,
        use="evidence",
        source=Source("test"),
        date=dt.date(2024, 1, 1),
        by=by,
    )


def log_value(c: Claim) -> float:
    assert c.value is not None
    return math.log(c.value)


ANALYST = SourceEntity("firm", "An analyst firm", "analyst_estimate", reliability=0.8, bias=0.4)
POINTS = (
    claim("a", "x", 120.0, noise=0.2, by="firm"),
    claim("b", "y", 45.0, noise=0.3, by="firm"),
    claim("c", "z", 9.0, noise=0.25, by="firm"),
)


def test_points_of_one_source_are_a_multivariate_normal() -> None:
    q = {"x": 100.0, "y": 50.0, "z": 10.0}
    members = [(c, math.log(q[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in POINTS]
    got = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    gaps = [log_value(c) - math.log(q[c.quantity]) for c in POINTS]
    cov = np.diag([c.noise**2 for c in POINTS]) + 0.4**2
    oracle = stats.multivariate_normal(np.zeros(3), cov).logpdf(gaps) + 3 * HALF_LOG_TAU
    assert got == pytest.approx(oracle, rel=1e-12)


@pytest.mark.parametrize("kind", ["lower_bound", "upper_bound"])
def test_a_bound_with_points_is_judged_at_the_bias_they_imply(kind: str) -> None:
    q = {"x": 100.0, "y": 50.0, "w": 30.0}
    bound = claim("d", "w", 35.0, kind=kind, noise=0.15, by="firm")
    members = [
        (c, math.log(q[c.quantity]), c.noise, 1.0, (log_value(c), log_value(c)))
        for c in (*POINTS[:2], bound)
    ]
    got = shared_bias_loglik(members, 0.4, NUMPY_OPS)

    def joint(b: float) -> float:
        density = stats.norm(0, 0.4).pdf(b)
        for c in POINTS[:2]:
            reading = math.log(q[c.quantity]) + b
            density *= stats.norm(reading, c.noise).pdf(log_value(c)) * math.sqrt(2 * math.pi)
        z = (math.log(q["w"]) + b - math.log(35.0)) / 0.15
        return density * (stats.norm.cdf(z) if kind == "lower_bound" else stats.norm.cdf(-z))

    oracle = math.log(integrate.quad(joint, -4, 4, epsabs=0, epsrel=1e-11, limit=200)[0])
    assert got == pytest.approx(oracle, rel=1e-8)


def test_one_point_alone_has_its_noise_and_the_bias_combined() -> None:
    c = POINTS[0]
    at = math.log(90.0)
    got = shared_bias_loglik([(c, at, 0.2, 1.0, (math.log(120.0), 0.0))], 0.4, NUMPY_OPS)
    widened = component("point", at, (math.log(120.0), 0.0), math.hypot(0.2, 0.4), NUMPY_OPS)
    assert got == pytest.approx(widened, rel=1e-12)


def test_a_switched_off_claim_adds_nothing() -> None:
    q = {"x": 100.0, "y": 50.0, "z": 10.0}
    members = [
        (c, math.log(q[c.quantity]), c.noise, 1.0 if c.id != "b" else 0.0, (log_value(c), 0.0))
        for c in POINTS
    ]
    without = [m for m in members if m[0].id != "b"]
    assert shared_bias_loglik(members, 0.4, NUMPY_OPS) == pytest.approx(
        shared_bias_loglik(without, 0.4, NUMPY_OPS), rel=1e-12
    )


def values(n: int = 5, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {
        name: np.exp(rng.normal(math.log(v), 0.5, n))
        for name, v in zip("xyzw", (100, 50, 10, 30), strict=True)
    }
    for cls in ("analyst_estimate",):
        out[noise_name(cls)] = np.exp(rng.normal(0, 0.3, n))
        out[reliability_name(cls)] = rng.beta(16, 4, n)
    out[bias_name("firm")] = rng.normal(0, 1, n)
    return out


def test_claims_of_their_own_keep_the_likelihood_they_had() -> None:
    alone = tuple(claim(c.id, c.quantity, float(c.value or 0), noise=c.noise) for c in POINTS)
    v = values()
    evidence = Evidence.of(alone, {})
    expected = sum(claim_loglik(c, v[c.quantity]) for c in alone)
    np.testing.assert_allclose(evidence.loglik(v), expected, rtol=1e-12)
    np.testing.assert_allclose(
        evidence.contributions(v), [claim_loglik(c, v[c.quantity]) for c in alone], rtol=1e-12
    )
    assert evidence.latents() == {}


def test_a_source_is_reliable_or_wrong_as_a_whole() -> None:
    v = values()
    evidence = Evidence.of(POINTS, {"firm": ANALYST})
    assert [s.id for s in evidence.sources] == ["firm"]
    members = [(c, np.log(v[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in POINTS]
    reliable = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    wrong = sum(
        component("point", np.log(v[c.quantity]), (log_value(c), 0.0), WRONG_CLAIM_SIGMA, NUMPY_OPS)
        for c in POINTS
    )
    expected = np.logaddexp(math.log(0.8) + reliable, math.log(0.2) + wrong)
    np.testing.assert_allclose(evidence.loglik(v), expected, rtol=1e-12)


def test_what_a_claim_adds_is_the_whole_less_the_whole_without_it() -> None:
    v = values()
    evidence = Evidence.of(POINTS, {"firm": ANALYST})
    whole = evidence.loglik(v)
    added = evidence.contributions(v)
    for i in range(len(POINTS)):
        active = np.ones(len(POINTS), bool)
        active[i] = False
        np.testing.assert_allclose(added[i], whole - evidence.loglik(v, active), rtol=1e-10)


def test_a_source_with_several_bounds_draws_its_bias() -> None:
    bounds = (
        claim("p", "x", 80.0, kind="lower_bound", by="firm"),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    evidence = Evidence.of(bounds, {"firm": ANALYST})
    assert not evidence.integrated(0)
    assert bias_name("firm") in evidence.latents()
    v = values()
    shift = 0.4 * v[bias_name("firm")]
    reliable = component(
        "lower_bound", np.log(v["x"]) + shift, (math.log(80.0), math.nan), 0.3, NUMPY_OPS
    )
    reliable = reliable + component(
        "upper_bound", np.log(v["y"]) + shift, (math.nan, math.log(70.0)), 0.3, NUMPY_OPS
    )
    wrong = component(
        "lower_bound", np.log(v["x"]), (math.log(80.0), math.nan), WRONG_CLAIM_SIGMA, NUMPY_OPS
    )
    wrong = wrong + component(
        "upper_bound", np.log(v["y"]), (math.nan, math.log(70.0)), WRONG_CLAIM_SIGMA, NUMPY_OPS
    )
    expected = np.logaddexp(math.log(0.8) + reliable, math.log(0.2) + wrong)
    np.testing.assert_allclose(evidence.loglik(v), expected, rtol=1e-12)


def test_a_class_learns_its_noise_and_reliability_when_the_ledger_states_neither() -> None:
    import dataclasses

    learned = tuple(
        dataclasses.replace(c, noise_given=False, reliability_given=False, by=None) for c in POINTS
    )
    evidence = Evidence.of(learned, {})
    latents = evidence.latents()
    assert set(latents) == {noise_name("analyst_estimate"), reliability_name("analyst_estimate")}
    assert latents[reliability_name("analyst_estimate")].mean() == pytest.approx(0.8)
    v = values()
    scale, r = v[noise_name("analyst_estimate")], v[reliability_name("analyst_estimate")]
    expected = 0.0
    for c in learned:
        at, ends = np.log(v[c.quantity]), (log_value(c), 0.0)
        reliable = component("point", at, ends, c.noise * scale, NUMPY_OPS)
        wrong = component("point", at, ends, WRONG_CLAIM_SIGMA, NUMPY_OPS)
        expected = expected + np.logaddexp(np.log(r) + reliable, np.log1p(-r) + wrong)
    np.testing.assert_allclose(evidence.loglik(v), expected, rtol=1e-12)
