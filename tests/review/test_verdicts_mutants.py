"""Verdicts: the predictive's arithmetic against closed forms, the flags at their limits
and their words, and which posterior each claim is judged against."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from estimator.inference.estimation import Estimate, estimate
from estimator.inference.posterior import ImportancePosterior
from estimator.inference.summaries import Summary
from estimator.model.claims import Claim
from estimator.model.distributions import LogNormal
from estimator.model.likelihood import claim_terms
from estimator.review.predictive import predictive_summary
from estimator.review.verdicts import (
    Influence,
    Tally,
    Verdict,
    check_claim,
    classify,
    influence_of,
    judge_new,
    predictive,
    reliability_once_counted,
    verdicts,
)
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab
from ..model.test_likelihood import make_claim
from ..recording import recording

# -- flags and words ------------------------------------------------------------------------


def test_influence_is_trusted_up_to_the_k_hat_limit() -> None:
    def influence(khat: float | None) -> Influence:
        return Influence(1.0, (0.5, 2.0), 0.1, 0.2, 0.01, khat)

    assert influence(None).trusted
    assert influence(0.7).trusted
    assert not influence(0.71).trusted


def test_a_change_of_exactly_twice_its_error_is_within_noise() -> None:
    assert Influence(1.0, (0.5, 2.0), -0.02, 0.0, 0.01).within_noise
    assert not Influence(1.0, (0.5, 2.0), 0.0201, 0.0, 0.01).within_noise
    assert not Influence(1.0, (0.5, 2.0), -0.0201, 0.0, 0.01).within_noise
    # With no error given, any change shows.
    assert not Influence(1.0, (0.5, 2.0), 0.001, 0.0).within_noise
    assert Influence(1.0, (0.5, 2.0), 0.0, 0.0).within_noise


def test_influence_in_words_and_as_recorded() -> None:
    influence = Influence(90.0, (40.0, 300.0), -0.1, 0.25, 0.01, 0.3)
    assert influence.text() == ("-10.0%", "+25.0%")
    assert influence.to_dict() == {
        "median_without": 90.0,
        "ci90_without": [40.0, 300.0],
        "median_change": -0.1,
        "width_change": 0.25,
        "median_error": 0.01,
        "within_noise": False,
        "trusted": True,
    }
    assert Influence(90.0, (40.0, 300.0), 0.001, -0.5, 0.01).text() == ("within noise", "-50.0%")


def _verdict(**changes: object) -> Verdict:
    base = Verdict(
        make_claim("point", value=1.0), "leave-one-out", 0.3, 0.6, None, "consistent", 0.9
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_verdict_is_trusted_when_exact_or_within_the_k_hat_limit() -> None:
    assert _verdict().trusted
    assert _verdict(khat=0.7).trusted
    assert not _verdict(khat=0.71).trusted
    assert _verdict(khat=0.95, refit=True).trusted


def test_a_verdict_as_summary_json_records_it() -> None:
    influence = Influence(90.0, (40.0, 300.0), -0.1, 0.25, 0.01, 0.3)
    verdict = _verdict(bound_holds=0.8, khat=0.75, influence=influence)
    assert verdict.to_dict() == {
        "percentile": 0.3,
        "tail_probability": 0.6,
        "bound_holds": 0.8,
        "verdict": "consistent",
        "basis": "leave-one-out",
        "loo_khat": 0.75,
        "refit": False,
        "trusted": False,
        "influence": influence.to_dict(),
    }
    assert _verdict().to_dict()["influence"] is None


def _summary(median: float, low: float, high: float, mcse: float) -> Summary:
    quantiles = {0.05: low, 0.5: median, 0.95: high}
    return Summary("x", "USD", median, 0.0, 1.0, quantiles, dict.fromkeys(quantiles, mcse), 1e3)


def test_influence_is_the_relative_change_of_the_median_and_the_width() -> None:
    found = influence_of(_summary(100.0, 50.0, 250.0, 2.0), _summary(80.0, 20.0, 300.0, 1.5), 0.4)
    assert found.median_without == 80.0
    assert found.ci90_without == (20.0, 300.0)
    assert found.median_change == pytest.approx(-0.2)
    assert found.width_change == pytest.approx(280.0 / 200.0 - 1)
    assert found.median_error == pytest.approx(2.5 / 100.0)
    assert found.khat == 0.4
    assert (
        influence_of(_summary(100.0, 50.0, 250.0, 2.0), _summary(80.0, 20.0, 300.0, 1.5)).khat
        is None
    )


def test_influence_of_a_headline_at_zero_is_no_change() -> None:
    found = influence_of(_summary(0.0, 0.0, 0.0, 1.0), _summary(5.0, 1.0, 9.0, 1.0))
    assert (found.median_change, found.width_change, found.median_error) == (0.0, 0.0, 0.0)
    # A negative headline: the error is relative to its size.
    negative = influence_of(
        _summary(-100.0, -200.0, -50.0, 3.0), _summary(-110.0, -200.0, -50.0, 4.0)
    )
    assert negative.median_error == pytest.approx(0.05)
    assert negative.median_change == pytest.approx(0.1)


# -- the predictive, in closed form ---------------------------------------------------------


Q = np.array([50.0, 100.0, 400.0])
W = np.array([0.2, 0.5, 0.3])


def _below(value: float, noise: float | np.ndarray = 0.3, weights: np.ndarray = W) -> float:
    return float(np.sum(weights * special.ndtr((math.log(value) - np.log(Q)) / noise)))


def test_a_points_percentile_and_two_sided_tail() -> None:
    claim = make_claim("point", value=300.0, noise=0.3)
    f = _below(300.0)
    percentile, tail, holds = predictive(claim, Q, W)
    assert (percentile, tail, holds) == (pytest.approx(f), pytest.approx(2 * (1 - f)), None)
    low = make_claim("point", value=60.0, noise=0.3)
    f = _below(60.0)
    assert f < 0.5
    percentile, tail, holds = predictive(low, Q, W)
    assert (percentile, tail, holds) == (pytest.approx(f), pytest.approx(2 * f), None)


def test_weights_are_normalised_and_none_means_equal() -> None:
    claim = make_claim("point", value=120.0, noise=0.3)
    assert predictive(claim, Q, 10 * W)[:2] == pytest.approx(predictive(claim, Q, W)[:2])
    equal = _below(120.0, weights=np.full(3, 1 / 3))
    assert predictive(claim, Q, None)[0] == pytest.approx(equal, rel=1e-12)


def test_a_noise_given_replaces_the_claims_own() -> None:
    claim = make_claim("point", value=120.0, noise=0.3)
    assert predictive(claim, Q, W, 0.8)[0] == pytest.approx(_below(120.0, 0.8), rel=1e-12)
    per_draw = np.array([0.1, 0.5, 2.0])
    assert predictive(claim, Q, W, per_draw)[0] == pytest.approx(_below(120.0, per_draw))


def test_bounds_hold_with_the_probability_on_their_side() -> None:
    above = make_claim("lower_bound", value=120.0, noise=0.3)
    f = _below(120.0)
    assert predictive(above, Q, W) == pytest.approx((f, 1 - f, 1 - f), rel=1e-12)
    under = make_claim("upper_bound", value=120.0, noise=0.3)
    assert predictive(under, Q, W) == pytest.approx((f, f, f), rel=1e-12)


@pytest.mark.parametrize(("low", "high"), [(80.0, 150.0), (200.0, 900.0), (20.0, 60.0)])
def test_a_range_is_two_sided_at_its_nearer_end_when_the_median_lies_outside(
    low: float, high: float
) -> None:
    claim = make_claim("range", low=low, high=high, noise=0.3)
    f_low, f_high = _below(low), _below(high)
    if f_low > 0.5:
        tail = 2 * (1 - f_low)
    elif f_high < 0.5:
        tail = 2 * f_high
    else:
        tail = 1.0
    got = predictive(claim, Q, W)
    assert got == pytest.approx((0.5 * (f_low + f_high), tail, f_high - f_low), rel=1e-12)
    assert (tail == 1.0) is (low == 80.0)


def test_a_linear_claims_predictive_is_normal_relative_to_its_scale() -> None:
    claim = dataclasses.replace(make_claim("upper_bound", value=-40.0, noise=0.25), linear=True)
    burn = np.array([-60.0, -30.0, 20.0])
    # Noise 0.25 of the claim's scale (40): sd 10 on the natural scale.
    f = float(np.sum(W * stats.norm.cdf((-40.0 - burn) / 10.0)))
    assert predictive(claim, burn, W) == pytest.approx((f, f, f), rel=1e-12)
    assert predictive(claim, burn, W, 0.5)[0] == pytest.approx(
        float(np.sum(W * stats.norm.cdf((-40.0 - burn) / 20.0))), rel=1e-12
    )


# -- which posterior each claim is judged against -------------------------------------------


DRAWS = 2**14

CLAIMS = [
    {
        "id": "a",
        "quantity": "fleet.x.count",
        "value": 3000,
        "unit": "GPU",
        "noise": 0.25,
        "reliability": 1.0,
    },
    {
        "id": "b",
        "quantity": "fleet.x.count",
        "value": 6000,
        "unit": "GPU",
        "noise": 0.25,
        "reliability": 0.9,
    },
    {
        "id": "relay",
        "quantity": "fleet.x.count",
        "value": 3000,
        "unit": "GPU",
        "use": "check",
        "repeats": "a",
    },
    {"id": "check", "quantity": "gpu_spend", "value": 1.2e8, "use": "check", "noise": 0.2},
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = {**REDUCED_LAB, "claims.toml": claims_toml(*CLAIMS)}
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "lab", files))


@pytest.fixture(scope="module")
def result(lab: LabSpec) -> Estimate:
    return estimate(lab, "is", DRAWS, seed=2)


@pytest.fixture
def judged(result: Estimate) -> dict[str, Verdict]:
    # Judged afresh in each test, so that each test that reads a verdict runs the code
    # that made it (what a test reaches is what mutation testing holds it to).
    return {v.claim.id: v for v in verdicts(result)}


def test_each_claim_is_judged_against_the_posterior_without_its_original(
    result: Estimate, judged: dict[str, Verdict]
) -> None:
    assert list(judged) == ["a", "b", "relay", "check"]
    assert judged["a"].basis == "leave-one-out"
    assert judged["b"].basis == "leave-one-out"
    assert judged["relay"].basis == "without a"
    assert judged["check"].basis == "posterior"
    by_id = {c.id: c for c in result.spec.claims}
    for claim_id, basis_id in (("a", "a"), ("b", "b"), ("relay", "a")):
        basis = result.fit.leave_out(by_id[basis_id])
        reading, noise = basis.claim_reading(by_id[claim_id])
        expected = predictive(by_id[claim_id], reading, basis.weights, noise)
        verdict = judged[claim_id]
        assert (verdict.percentile, verdict.tail_probability, verdict.bound_holds) == expected
        assert verdict.khat == basis.loo_khat
        assert verdict.khat is not None
        assert verdict.refit is False
        assert verdict.basis_quantiles == basis.summary(by_id[claim_id].quantity, "").quantiles
        assert verdict.predictive == predictive_summary(
            by_id[claim_id], reading, basis.weights, result.seed, noise
        )
    reading, noise = result.fit.claim_reading(by_id["check"])
    assert (
        judged["check"].percentile
        == predictive(by_id["check"], reading, result.fit.weights, noise)[0]
    )
    assert judged["check"].khat is None


def test_a_claim_left_out_is_judged_in_closed_form(
    lab: LabSpec, result: Estimate, judged: dict[str, Verdict]
) -> None:
    """b is judged against the posterior from a alone, a claim that is certain
    (reliability 1): a conjugate lognormal."""
    prior = lab.priors["fleet.x.count"].belief
    assert isinstance(prior, LogNormal)
    mu, sigma = prior.mu, prior.sigma
    precision = 1 / sigma**2 + 1 / 0.25**2
    mean = (mu / sigma**2 + math.log(3000) / 0.25**2) / precision
    exact = stats.norm.cdf((math.log(6000) - mean) / math.sqrt(1 / precision + 0.25**2))
    ess = result.fit.leave_out(lab.claims[1]).reweighting.ess  # type: ignore[union-attr]
    # A weighted mean of terms in [0, 1]: its MC error is at most 0.5 / sqrt(ESS).
    assert judged["b"].percentile == pytest.approx(exact, abs=4 * 0.5 / math.sqrt(ess))
    assert judged["b"].verdict == classify(judged["b"].tail_probability)


def test_only_evidence_claims_have_an_influence_and_a_reliability(
    result: Estimate, judged: dict[str, Verdict]
) -> None:
    head = result.spec.headline
    for claim_id in ("a", "b"):
        basis = result.fit.leave_out(result.spec.claims[0 if claim_id == "a" else 1])
        expected = influence_of(
            result.posterior[head], basis.summary(head, result.posterior[head].unit), basis.loo_khat
        )
        assert judged[claim_id].influence == expected
    for claim_id in judged:
        assert judged[claim_id].reliability == result.reliability[claim_id]
    assert judged["relay"].influence is None
    assert judged["check"].influence is None
    assert judged["a"].verdict in ("consistent", "in tension", "contradicted")


def test_without_evidence_claims_are_judged_against_the_prior(tmp_path: Path) -> None:
    files = {**REDUCED_LAB, "claims.toml": claims_toml(CLAIMS[3])}
    spec = load_lab(write_lab(tmp_path / "lab", files))
    (verdict,) = verdicts(estimate(spec, "is", 2**12, seed=0))
    assert verdict.basis == "prior"
    assert verdict.influence is None


def test_the_tally_as_recorded() -> None:
    assert Tally(19, 2).to_dict() == {"judged": 19, "seen": 2, "expected": pytest.approx(1.9)}


def test_bounds_are_given_the_probability_that_they_hold(tmp_path: Path) -> None:
    bound = {"id": "low", "quantity": "fleet.x.count", "kind": "lower_bound", "value": 4000}
    bound |= {"unit": "GPU", "use": "check", "noise": 0.2}
    files = {**REDUCED_LAB, "claims.toml": claims_toml(CLAIMS[0], bound)}
    result = estimate(load_lab(write_lab(tmp_path / "lab", files)), "is", 2**12, seed=4)
    found = {v.claim.id: v for v in verdicts(result)}
    claim = result.spec.claims[1]
    reading, noise = result.fit.claim_reading(claim)
    expected = predictive(claim, reading, result.fit.weights, noise)
    assert found["low"].bound_holds == expected[2]
    assert expected[2] is not None
    assert 0.0 < expected[2] < 1.0
    news = judge_new(result, dataclasses.replace(claim, id="news"))
    assert news.bound_holds == expected[2]


def test_a_new_claim_with_its_classes_noise_is_judged_with_it(result: Estimate) -> None:
    claim = dataclasses.replace(
        result.spec.claims[0], id="news", noise_given=False, credibility="hearsay"
    )
    reading, noise = result.fit.claim_reading(claim)
    assert np.ptp(noise) > 0  # one noise per draw: the class's, learned
    verdict = judge_new(result, claim)
    assert verdict.percentile == predictive(claim, reading, result.fit.weights, noise)[0]
    assert verdict.percentile != predictive(claim, reading, result.fit.weights)[0]


@pytest.mark.parametrize("exact", [False, True])
def test_verdicts_ask_for_exact_refits_unless_told_not_to(result: Estimate, exact: bool) -> None:
    assert isinstance(result.fit, ImportancePosterior)
    recorder = recording(result.fit, exact=exact)
    found = verdicts(dataclasses.replace(result, fit=recorder))
    assert recorder.asked == [True, True]
    verdicts(dataclasses.replace(result, fit=recorder), refit=False)
    assert recorder.asked == [True, True, False, False]
    influence = found[0].influence
    assert influence is not None
    # An exact refit has no k-hat to distrust.
    assert (influence.khat is None) is exact
    assert found[0].refit is exact


def test_a_new_claim_is_judged_against_the_current_posterior(
    lab: LabSpec, result: Estimate
) -> None:
    claim = dataclasses.replace(lab.claims[0], id="news", value=4500.0, use="evidence")
    verdict = judge_new(result, claim)
    reading, noise = result.fit.claim_reading(claim)
    assert (verdict.percentile, verdict.tail_probability, verdict.bound_holds) == predictive(
        claim, reading, result.fit.weights, noise
    )
    assert verdict.basis == "current posterior"
    assert verdict.claim == claim
    assert verdict.reliability == reliability_once_counted(result.fit, claim)
    assert verdict.basis_quantiles == result.fit.summary("fleet.x.count", "").quantiles
    assert verdict.khat is None
    assert verdict.influence is None
    assert verdict.verdict == classify(verdict.tail_probability)


def test_checking_a_claim_judges_it_as_new(lab: LabSpec, result: Estimate) -> None:
    news: dict[str, object] = {"id": "news", "source": "test", "date": "2024-06-01"}
    news |= {"quantity": "fleet.x.count", "kind": "point", "value": 4500, "unit": "GPU"}
    news |= {"use": "evidence", "credibility": "analyst_estimate"}
    checked = check_claim(result, news)
    assert checked.claim.id == "news"
    assert checked.claim.value == 4500.0
    assert checked == judge_new(result, checked.claim)


def _own_source(claim: Claim, reliability: float) -> Claim:
    return dataclasses.replace(claim, reliability=reliability, reliability_given=True, by=None)


@pytest.mark.parametrize("reliability", [0.5, 0.9])
def test_reliability_once_counted_is_a_ratio_of_posterior_averages(
    lab: LabSpec, result: Estimate, reliability: float
) -> None:
    claim = _own_source(dataclasses.replace(lab.claims[0], id="news", value=9000.0), reliability)
    q = result.fit.values("fleet.x.count")
    w = result.fit.weights
    assert w is not None
    _, reliable, wrong = claim_terms(claim, q)
    f_reliable, f_wrong = np.exp(reliable), np.exp(wrong)
    w = w / w.sum()
    numerator = reliability * np.sum(w * f_reliable)
    expected = numerator / (numerator + (1 - reliability) * np.sum(w * f_wrong))
    assert reliability_once_counted(result.fit, claim) == pytest.approx(expected, rel=1e-9)


def test_reliability_once_counted_under_equal_weights(tmp_path: Path) -> None:
    spec = load_lab(write_lab(tmp_path / "lab", dict(REDUCED_LAB)))
    fit = estimate(spec, "is", 2**12, seed=1).fit
    assert fit.weights is None
    claim = _own_source(make_claim("point", value=9000.0, noise=0.2), 0.7)
    claim = dataclasses.replace(claim, quantity="fleet.x.count")
    _, reliable, wrong = claim_terms(claim, fit.values("fleet.x.count"))
    numerator = 0.7 * np.mean(np.exp(reliable))
    expected = numerator / (numerator + 0.3 * np.mean(np.exp(wrong)))
    assert reliability_once_counted(fit, claim) == pytest.approx(expected, rel=1e-9)


def test_a_counted_claim_is_judged_without_its_own_likelihood(result: Estimate) -> None:
    claim = result.spec.claims[1]  # b: reliability 0.9, a source of its own, counted
    q, w = result.fit.values("fleet.x.count"), result.fit.weights
    assert w is not None
    _, reliable, wrong = claim_terms(claim, q)
    numerator = 0.9 * np.sum(w * np.exp(reliable))
    expected = numerator / (numerator + 0.1 * np.sum(w * np.exp(wrong)))
    assert reliability_once_counted(result.fit, claim) == pytest.approx(expected, rel=1e-9)


SOURCES = """
[sources.paper]
name = "The lab's own paper"
credibility = "first_hand"
reliability = 0.6
bias = 0.2
"""


@pytest.mark.parametrize("stated", [True, False])
def test_reliability_once_counted_divides_out_what_its_source_already_said(
    tmp_path: Path, stated: bool
) -> None:
    """A source's second point, its bias integrated: the source's likelihood with both
    points (a bivariate normal) over its likelihood with the first, averaged."""
    first = {"id": "p1", "quantity": "fleet.x.count", "value": 4000, "unit": "GPU"}
    first |= {"noise": 0.1, "by": "paper", "credibility": "first_hand"}
    sources = SOURCES if stated else SOURCES.replace("reliability = 0.6\n", "")
    files = {**REDUCED_LAB, "sources.toml": sources, "claims.toml": claims_toml(first)}
    spec = load_lab(write_lab(tmp_path / "lab", files))
    fit = estimate(spec, "is", 2**12, seed=3).fit
    second = dataclasses.replace(spec.claims[0], id="p2", value=5000.0)
    log_q = np.log(fit.values("fleet.x.count"))
    gaps = np.stack([math.log(4000) - log_q, math.log(5000) - log_q], axis=1)
    both = stats.multivariate_normal(np.zeros(2), np.diag([0.01, 0.01]) + 0.04).logpdf(gaps)
    wrong = stats.norm(log_q, 2.302585092994046).logpdf(np.log([[4000], [5000]])).sum(0)
    first_reliable = stats.norm(log_q, math.sqrt(0.05)).logpdf(math.log(4000))
    first_wrong = stats.norm(log_q, 2.302585092994046).logpdf(math.log(4000))
    r = 0.6 if stated else fit.values("credibility.first_hand.reliability")
    counted = np.logaddexp(np.log(r) + first_reliable, np.log1p(-r) + first_wrong)
    assert fit.weights is not None
    w = fit.weights / fit.weights.sum()
    numerator = np.sum(w * r * np.exp(both - counted))
    expected = numerator / (numerator + np.sum(w * (1 - r) * np.exp(wrong - counted)))
    assert reliability_once_counted(fit, second) == pytest.approx(expected, rel=1e-9)
