"""Evidence by source: the pieces of its likelihood pinned by closed forms (the grouping,
the measurement parameters and their priors, each claim's reading, a wrong claim's flat
likelihood, the predictive reading with an integrated bias)."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy import stats

from estimator.model.beliefs import Source
from estimator.model.claims import CREDIBILITY, WRONG_CLAIM_SIGMA, Claim
from estimator.model.distributions import Beta, LogNormal, Normal
from estimator.model.evidence import (
    Evidence,
    Parts,
    SourceEntity,
    bias_name,
    class_latents,
    implicit_source,
    learns_noise,
    measurement_latents,
    noise_name,
    reliability_name,
    shared_bias_loglik,
)
from estimator.model.likelihood import NUMPY_OPS, claim_loglik, component

from .test_evidence import ANALYST, POINTS, claim, log_value, values

HALF_LOG_TAU = 0.5 * math.log(2 * math.pi)


def test_the_measurement_parameters_are_named_after_their_class_or_source() -> None:
    assert noise_name("hearsay") == "credibility.hearsay.noise_scale"
    assert reliability_name("hearsay") == "credibility.hearsay.reliability"
    assert bias_name("firm") == "source.firm.bias"


def test_a_sources_bias_is_its_own_or_its_classes_noise() -> None:
    assert SourceEntity("s", "S", "anonymous_press").bias_sd == 0.35
    assert SourceEntity("s", "S", "anonymous_press", bias=0.6).bias_sd == 0.6
    assert SourceEntity("s", "S", "anonymous_press", bias=0.0).bias_sd == 0.0


def test_a_source_as_summary_json_records_it() -> None:
    full = SourceEntity("s", "S", "hearsay", 0.3, 0.5, "https://x", "a note")
    assert full.to_dict() == {
        "id": "s",
        "name": "S",
        "credibility": "hearsay",
        "prior_reliability": 0.3,
        "bias": 0.5,
        "url": "https://x",
        "note": "a note",
    }
    assert SourceEntity("s", "S", "hearsay").to_dict() == {
        "id": "s",
        "name": "S",
        "credibility": "hearsay",
        "bias": 1.0,
    }


def test_every_class_has_a_reliability_prior_and_the_outside_guesses_a_noise_scale() -> None:
    latents = class_latents()
    learned = {"analyst_estimate", "anonymous_press", "hearsay"}
    assert {n for n in latents if n.endswith("noise_scale")} == {noise_name(c) for c in learned}
    for name in learned:
        assert latents[noise_name(name)] == LogNormal(0.0, 0.3)
    for name, defaults in CREDIBILITY.items():
        prior = latents[reliability_name(name)]
        assert isinstance(prior, Beta)
        # Worth twenty sources, centred on the class default.
        assert prior.alpha + prior.beta == pytest.approx(20.0)
        assert prior.alpha / (prior.alpha + prior.beta) == pytest.approx(defaults.reliability)
    assert len(latents) == len(CREDIBILITY) + len(learned)


def test_each_declared_source_gets_a_standard_normal_bias() -> None:
    sources = {"b": ANALYST, "a": dataclasses.replace(ANALYST, id="a")}
    latents = measurement_latents(sources)
    assert latents[bias_name("a")] == Normal(0.0, 1.0)
    assert latents[bias_name("b")] == Normal(0.0, 1.0)
    assert set(latents) == set(class_latents()) | {bias_name("a"), bias_name("b")}
    biases = [n for n in latents if n.startswith("source.")]
    assert biases == [bias_name("a"), bias_name("b")]


def test_claims_are_grouped_by_source_in_order_of_first_appearance() -> None:
    other = SourceEntity("other", "Other", "hearsay", reliability=0.5)
    claims = (
        claim("a", "x", 1.0, by="firm"),
        claim("lone", "x", 2.0),
        claim("b", "y", 3.0, by="other"),
        claim("c", "z", 4.0, by="firm"),
    )
    evidence = Evidence.of(claims, {"firm": ANALYST, "other": other})
    assert [s.id for s in evidence.sources] == ["firm", "lone", "other"]
    assert evidence.members == ((0, 3), (1,), (2,))
    assert evidence.sources[1] == implicit_source(claims[1])
    assert [evidence.source_of(c) for c in ("a", "lone", "b", "c")] == [0, 1, 2, 0]
    with pytest.raises(KeyError, match="nobody"):
        evidence.source_of("nobody")


def test_the_source_of_a_claim_that_names_none() -> None:
    base = claim("lone", "x", 2.0, reliability=0.6)
    made = dataclasses.replace(base, source=Source("a paper", url="https://p"))
    assert implicit_source(made) == SourceEntity(
        id="lone",
        name="a paper",
        credibility="analyst_estimate",
        reliability=0.6,
        bias=0.0,
        url="https://p",
        implicit=True,
    )
    assert implicit_source(made).implicit is True
    learned = implicit_source(dataclasses.replace(made, reliability_given=False))
    assert learned.reliability is None


def test_which_sources_share_a_bias_and_which_have_it_integrated() -> None:
    no_bias = dataclasses.replace(ANALYST, id="flat", bias=0.0)
    bounds = (
        claim("p", "x", 80.0, kind="lower_bound", by="firm"),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    one_bound = (claim("p", "x", 80.0, kind="lower_bound", by="firm"), POINTS[1])
    assert Evidence.of(POINTS, {"firm": ANALYST}).biased(0)
    assert Evidence.of(POINTS, {"firm": ANALYST}).integrated(0)
    assert Evidence.of(one_bound, {"firm": ANALYST}).integrated(0)
    assert Evidence.of(bounds, {"firm": ANALYST}).biased(0)
    assert not Evidence.of(bounds, {"firm": ANALYST}).integrated(0)
    flat = tuple(dataclasses.replace(c, by="flat") for c in POINTS)
    assert not Evidence.of(flat, {"flat": no_bias}).biased(0)
    assert not Evidence.of(flat, {"flat": no_bias}).integrated(0)
    alone = Evidence.of((POINTS[0],), {"firm": ANALYST})
    assert not alone.biased(0)
    assert not alone.integrated(0)


def test_a_claim_learns_its_classes_noise_only_when_it_states_none() -> None:
    unstated = dataclasses.replace(POINTS[0], noise_given=False)
    assert learns_noise(unstated)
    assert not learns_noise(POINTS[0])
    assert not learns_noise(dataclasses.replace(unstated, credibility="first_hand"))
    assert learns_noise(dataclasses.replace(unstated, credibility="hearsay"))


def test_the_latents_a_ledger_uses() -> None:
    drawn = (
        dataclasses.replace(
            claim("p", "x", 80.0, kind="lower_bound", by="firm"), noise_given=False
        ),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    stated = dataclasses.replace(ANALYST, reliability=None)
    latents = Evidence.of(drawn, {"firm": stated}).latents()
    assert latents == {
        noise_name("analyst_estimate"): LogNormal(0.0, 0.3),
        reliability_name("analyst_estimate"): class_latents()[reliability_name("analyst_estimate")],
        bias_name("firm"): Normal(0.0, 1.0),
    }
    # A stated reliability and an integrated bias need neither.
    assert Evidence.of(POINTS, {"firm": ANALYST}).latents() == {}


def test_a_reading_is_the_position_shifted_by_a_drawn_bias_with_the_learned_noise() -> None:
    drawn = (
        dataclasses.replace(
            claim("p", "x", 80.0, kind="lower_bound", by="firm"), noise_given=False
        ),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    evidence = Evidence.of(drawn, {"firm": ANALYST})
    v = values()
    at, sigma = evidence.reading(0, 0, v, NUMPY_OPS)
    np.testing.assert_allclose(at, np.log(v["x"]) + 0.4 * v[bias_name("firm")], rtol=1e-12)
    np.testing.assert_allclose(sigma, 0.3 * v[noise_name("analyst_estimate")], rtol=1e-12)
    at, sigma = evidence.reading(1, 0, v, NUMPY_OPS)
    np.testing.assert_allclose(at, np.log(v["y"]) + 0.4 * v[bias_name("firm")], rtol=1e-12)
    assert sigma == 0.3
    # An integrated bias is not drawn: the reading is the position itself.
    at, sigma = Evidence.of(POINTS, {"firm": ANALYST}).reading(1, 0, v, NUMPY_OPS)
    np.testing.assert_allclose(at, np.log(v["y"]), rtol=1e-12)
    assert sigma == 0.3


def test_a_sources_reliability_is_stated_or_its_classes() -> None:
    v = values()
    assert Evidence.of(POINTS, {"firm": ANALYST}).reliability(0, v) == 0.8
    learned = Evidence.of(POINTS, {"firm": dataclasses.replace(ANALYST, reliability=None)})
    np.testing.assert_array_equal(
        learned.reliability(0, v), v[reliability_name("analyst_estimate")]
    )


def test_claim_parts_hold_each_claims_pieces() -> None:
    v = values()
    lone = claim("lone", "w", 25.0, kind="upper_bound", noise=0.5)
    evidence = Evidence.of((*POINTS, lone), {"firm": ANALYST})
    parts = evidence.claim_parts(v)
    # The firm's points: their readings, kept for the integrated bias.
    for i, c in enumerate(POINTS):
        at, sigma = parts.readings[i]
        np.testing.assert_allclose(at, np.log(v[c.quantity]), rtol=1e-12)
        assert sigma == c.noise
        np.testing.assert_allclose(
            parts.wrong[i],
            component(
                "point", np.log(v[c.quantity]), (log_value(c), 0.0), WRONG_CLAIM_SIGMA, NUMPY_OPS
            ),
            rtol=1e-12,
        )
    assert 3 not in parts.readings
    expected = stats.norm.logcdf((math.log(25.0) - np.log(v["w"])) / 0.5)
    np.testing.assert_allclose(parts.reliable[3], expected, rtol=1e-12)
    np.testing.assert_allclose(
        parts.wrong[3],
        stats.norm.logcdf((math.log(25.0) - np.log(v["w"])) / WRONG_CLAIM_SIGMA),
        rtol=1e-12,
    )


def test_a_wrong_claim_that_says_nothing_is_flat_over_a_factor_of_a_thousand() -> None:
    v = values()
    width = 2 * math.log(1000.0)
    box = dataclasses.replace(claim("box", "y", 0.0, kind="range"), low=20.0, high=80.0)
    wide = dataclasses.replace(claim("wide", "z", 0.0, kind="range"), low=1e-9, high=1e9)
    claims = (claim("pt", "x", 100.0), box, wide, claim("lb", "w", 10.0, kind="lower_bound"))
    evidence = dataclasses.replace(Evidence.of(claims, {}), wrong_sigma=None)
    parts = evidence.claim_parts(v)
    np.testing.assert_allclose(parts.wrong[0], -math.log(width), rtol=1e-12)
    np.testing.assert_allclose(parts.wrong[1], math.log(math.log(4.0) / width), rtol=1e-12)
    np.testing.assert_allclose(parts.wrong[2], 0.0, atol=1e-15)
    np.testing.assert_allclose(parts.wrong[3], math.log(0.5), rtol=1e-12)
    assert parts.wrong.shape == (4, 5)


def test_a_source_contributes_only_through_its_active_claims() -> None:
    v = values()
    lone = claim("lone", "w", 25.0, noise=0.5, reliability=0.9)
    evidence = Evidence.of((*POINTS, lone), {"firm": ANALYST})
    parts = evidence.claim_parts(v)
    active = np.array([True, True, True, False])
    total, matched = evidence.source_terms(parts, v, active)
    assert total.shape == (2, 5)
    np.testing.assert_array_equal(total[1], 0.0)
    np.testing.assert_array_equal(matched[1], 0.0)
    np.testing.assert_allclose(total[0], evidence.loglik(v, active), rtol=1e-12)
    members = [(c, np.log(v[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in POINTS]
    reliable = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    np.testing.assert_allclose(matched[0], math.log(0.8) + reliable, rtol=1e-12)
    # All active by default.
    every, _ = evidence.source_terms(parts, v)
    np.testing.assert_allclose(every[1], claim_loglik(lone, v["w"]), rtol=1e-12)


def test_a_source_certain_to_be_reliable_is_its_reliable_likelihood() -> None:
    v = values()
    certain = dataclasses.replace(ANALYST, reliability=1.0)
    evidence = Evidence.of(POINTS, {"firm": certain})
    parts = evidence.claim_parts(v)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log of 1 - 1 taken
        total, matched = evidence.source_loglik(parts, v, 0, [0, 1, 2])
    members = [(c, np.log(v[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in POINTS]
    reliable = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    np.testing.assert_allclose(total, reliable, rtol=1e-12)
    np.testing.assert_allclose(matched, reliable, rtol=1e-12)


def test_a_source_that_may_be_wrong_matches_with_its_reliable_share() -> None:
    v = values()
    evidence = Evidence.of(POINTS, {"firm": ANALYST})
    parts = evidence.claim_parts(v)
    total, matched = evidence.source_loglik(parts, v, 0, [0, 2])
    used = [POINTS[0], POINTS[2]]
    members = [(c, np.log(v[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in used]
    reliable = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    wrong = parts.wrong[0] + parts.wrong[2]
    np.testing.assert_allclose(matched, math.log(0.8) + reliable, rtol=1e-12)
    np.testing.assert_allclose(
        total, np.log(0.8 * np.exp(reliable) + 0.2 * np.exp(wrong)), rtol=1e-12
    )


def test_a_source_with_a_drawn_bias_sums_its_claims_reliable_parts() -> None:
    v = values()
    bounds = (
        claim("p", "x", 80.0, kind="lower_bound", by="firm"),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    evidence = Evidence.of(bounds, {"firm": ANALYST})
    parts = evidence.claim_parts(v)
    np.testing.assert_allclose(
        evidence.source_reliable(parts, 0, [1]), parts.reliable[1], rtol=1e-12
    )
    np.testing.assert_allclose(
        evidence.source_reliable(parts, 0, [0, 1]), parts.reliable[0] + parts.reliable[1]
    )


def test_an_inactive_claim_adds_what_switching_it_on_would() -> None:
    v = values()
    lone = claim("lone", "w", 25.0, noise=0.5, reliability=0.9)
    evidence = Evidence.of((*POINTS, lone), {"firm": ANALYST})
    active = np.array([True, False, True, False])
    added = evidence.contributions(v, active)
    whole = evidence.loglik(v, active)
    for i in range(4):
        flipped = active.copy()
        flipped[i] = not active[i]
        expected = whole - evidence.loglik(v, flipped)
        if not active[i]:
            expected = -expected
        np.testing.assert_allclose(added[i], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(added[3], claim_loglik(lone, v["w"]), rtol=1e-12)


def test_what_a_claim_adds_under_its_classes_learned_reliability() -> None:
    v = values()
    learned = dataclasses.replace(ANALYST, reliability=None)
    evidence = Evidence.of(POINTS, {"firm": learned})
    active = np.array([True, False, True])
    added = evidence.contributions(v, active)
    whole = evidence.loglik(v, active)
    np.testing.assert_allclose(added[0], whole - evidence.loglik(v, active & [False, True, True]))
    np.testing.assert_allclose(added[1], evidence.loglik(v) - whole, rtol=1e-10)


def test_the_bound_may_come_first_among_a_sources_claims() -> None:
    q = {"x": 100.0, "y": 50.0, "w": 30.0}
    bound = claim("d", "w", 35.0, kind="lower_bound", noise=0.15, by="firm")
    members = [
        (c, math.log(q[c.quantity]), c.noise, 1.0, (log_value(c), log_value(c)))
        for c in (bound, *POINTS[:2])
    ]
    first = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    last = shared_bias_loglik([*members[1:], members[0]], 0.4, NUMPY_OPS)
    assert first == pytest.approx(last, rel=1e-12)


def test_a_source_whose_only_active_claim_is_switched_off_adds_it_from_nothing() -> None:
    v = values()
    evidence = Evidence.of(POINTS[:2], {"firm": ANALYST})
    added = evidence.contributions(v, np.array([False, False]))
    for i in range(2):
        on = np.zeros(2, bool)
        on[i] = True
        np.testing.assert_allclose(added[i], evidence.loglik(v, on), rtol=1e-12)


def test_the_predictive_reading_with_the_bias_the_sibling_points_imply() -> None:
    v = values(n=4)
    evidence = Evidence.of(POINTS, {"firm": ANALYST})
    active = np.array([True, True, False])
    at, sigma = evidence.predictive_reading(0, v, active)
    # Conjugate normal: the bias given sibling b's reading, with b's noise 0.3.
    gap = log_value(POINTS[1]) - np.log(v["y"])
    precision = 1 / 0.3**2
    spread = 1 + 0.16 * precision
    np.testing.assert_allclose(at, np.log(v["x"]) + 0.16 * precision * gap / spread, rtol=1e-12)
    np.testing.assert_allclose(sigma, math.sqrt(0.2**2 + 0.16 / spread), rtol=1e-12)
    # With no active sibling, the whole bias joins the noise.
    at, sigma = evidence.predictive_reading(2, v, np.array([False, False, True]))
    np.testing.assert_allclose(at, np.log(v["z"]), rtol=1e-12)
    assert sigma == pytest.approx(math.hypot(0.25, 0.4), rel=1e-12)


def test_the_predictive_reading_uses_every_active_sibling_point_and_no_bound() -> None:
    v = values(n=4)
    bound = claim("d", "w", 35.0, kind="lower_bound", noise=0.15, by="firm")
    evidence = Evidence.of((*POINTS, bound), {"firm": ANALYST})
    at, sigma = evidence.predictive_reading(3, v, np.ones(4, bool))
    precision = sum(1 / c.noise**2 for c in POINTS)
    pulled = sum((log_value(c) - np.log(v[c.quantity])) / c.noise**2 for c in POINTS)
    spread = 1 + 0.16 * precision
    np.testing.assert_allclose(at, np.log(v["w"]) + 0.16 * pulled / spread, rtol=1e-12)
    np.testing.assert_allclose(sigma, math.sqrt(0.15**2 + 0.16 / spread), rtol=1e-12)
    # A reading of a point leaves itself and the bound out.
    at, sigma = evidence.predictive_reading(1, v, np.ones(4, bool))
    others = (POINTS[0], POINTS[2])
    precision = sum(1 / c.noise**2 for c in others)
    pulled = sum((log_value(c) - np.log(v[c.quantity])) / c.noise**2 for c in others)
    spread = 1 + 0.16 * precision
    np.testing.assert_allclose(at, np.log(v["y"]) + 0.16 * pulled / spread, rtol=1e-12)
    np.testing.assert_allclose(sigma, math.sqrt(0.3**2 + 0.16 / spread), rtol=1e-12)


def test_the_predictive_reading_of_a_drawn_bias_is_the_reading() -> None:
    v = values(n=4)
    bounds = (
        claim("p", "x", 80.0, kind="lower_bound", by="firm"),
        claim("q", "y", 70.0, kind="upper_bound", by="firm"),
    )
    at, sigma = Evidence.of(bounds, {"firm": ANALYST}).predictive_reading(1, v, np.ones(2, bool))
    np.testing.assert_allclose(at, np.log(v["y"]) + 0.4 * v[bias_name("firm")], rtol=1e-12)
    assert sigma == 0.3


def test_one_bound_with_points_switched_off_is_judged_with_the_whole_bias() -> None:
    q = {"x": 100.0, "y": 50.0, "w": 30.0}
    bound = claim("d", "w", 35.0, kind="upper_bound", noise=0.15, by="firm")
    members = [
        (c, math.log(q[c.quantity]), c.noise, 0.0, (log_value(c), log_value(c))) for c in POINTS[:2]
    ]
    members.append((bound, math.log(30.0), 0.15, 1.0, (math.nan, math.log(35.0))))
    got = shared_bias_loglik(members, 0.4, NUMPY_OPS)
    expected = stats.norm.logcdf((math.log(35.0) - math.log(30.0)) / math.hypot(0.15, 0.4))
    assert got == pytest.approx(expected, rel=1e-12)
    # And switched off itself, it adds nothing.
    members[-1] = (bound, math.log(30.0), 0.15, 0.0, (math.nan, math.log(35.0)))
    assert shared_bias_loglik(members, 0.4, NUMPY_OPS) == pytest.approx(0.0, abs=1e-15)


def test_two_points_with_a_bias_have_the_bivariate_normal_density() -> None:
    q = {"x": 90.0, "y": 60.0}
    members = [(c, math.log(q[c.quantity]), c.noise, 1.0, (log_value(c), 0.0)) for c in POINTS[:2]]
    got = shared_bias_loglik(members, 0.5, NUMPY_OPS)
    gaps = [log_value(c) - math.log(q[c.quantity]) for c in POINTS[:2]]
    cov = np.diag([0.2**2, 0.3**2]) + 0.25
    oracle = stats.multivariate_normal(np.zeros(2), cov).logpdf(gaps) + 2 * HALF_LOG_TAU
    assert got == pytest.approx(oracle, rel=1e-12)


def test_parts_start_with_no_readings() -> None:
    parts = Parts(np.zeros((1, 2)), np.zeros((1, 2)))
    assert parts.readings == {}
    assert Parts(np.zeros((1, 2)), np.zeros((1, 2))).readings is not parts.readings


def test_reading_claims_of_a_linear_quantity() -> None:
    v = {"burn": np.array([-30.0, -50.0, 10.0])}
    point: Claim = dataclasses.replace(claim("b", "burn", -40.0, noise=0.25), linear=True)
    loglik = Evidence.of((point,), {}).loglik(v)
    np.testing.assert_allclose(loglik, claim_loglik(point, v["burn"]), rtol=1e-12)
    reliable = stats.norm(v["burn"], 10.0).logpdf(-40.0) + HALF_LOG_TAU + math.log(40.0)
    wrong = stats.norm(v["burn"] / 40, WRONG_CLAIM_SIGMA).logpdf(-1.0) + HALF_LOG_TAU
    expected = np.log(0.8 * np.exp(reliable) + 0.2 * np.exp(wrong))
    np.testing.assert_allclose(loglik, expected, rtol=1e-12)
