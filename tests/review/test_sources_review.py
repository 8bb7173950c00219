"""The sources reviewed: each left out in turn (the same as refitting without its
claims), and the headline under other readings of the evidence (each reading the same as
fitting the lab so read)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from estimator.drivers.scenarios import scenario_outcomes
from estimator.inference.estimation import Estimate, estimate, quick_posterior
from estimator.inference.importance import reweight, sum_of_logliks
from estimator.inference.summaries import summarize_weighted
from estimator.review.robustness import RELIABILITY_SHIFT, robustness
from estimator.review.source_verdicts import class_parameters, source_verdicts
from estimator.review.verdicts import predictive
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

SOURCES = """
[sources.firm]
name = "An analyst firm"
credibility = "analyst_estimate"
reliability = 0.7
bias = 0.3
"""
SCENARIOS = """
[scenarios.no_firm]
title = "Without the firm"
[scenarios.no_firm.claims]
drop = ["f_count", "f_spend"]
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["sources.toml"] = SOURCES
    files["scenarios.toml"] = SCENARIOS
    files["claims.toml"] = claims_toml(
        {"id": "f_count", "quantity": "fleet.x.count", "value": 6500, "unit": "GPU", "by": "firm"},
        {"id": "f_spend", "quantity": "gpu_spend", "value": 2.2e8, "by": "firm"},
        {
            "id": "press",
            "quantity": "fleet.x.unit_price",
            "value": 30000,
            "unit": "USD/GPU",
            "credibility": "anonymous_press",
        },
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "sources", files))


@pytest.fixture(scope="module")
def fit(lab: LabSpec) -> Estimate:
    return estimate(lab, "is", draws=2**17, seed=2)


def test_leaving_a_source_out_is_refitting_without_its_claims(fit: Estimate) -> None:
    (firm, press) = source_verdicts(fit)
    assert firm.source.id == "firm"
    assert firm.claims == ("f_count", "f_spend")
    assert press.source.id == "press"
    assert press.source.implicit
    without = [c for c in fit.spec.evidence if c.by != "firm"]
    refit = quick_posterior(fit.spec, fit.prior_draws, fit.seed, tuple(without))
    head = refit.summary(fit.spec.headline, "USD")
    assert firm.influence.median_without == pytest.approx(head.median, rel=1e-9)
    assert firm.influence.ci90_without == pytest.approx(head.ci90, rel=1e-9)


def test_a_sources_tail_is_its_smallest_times_its_claims(fit: Estimate) -> None:
    firm = source_verdicts(fit)[0]
    without = fit.fit.leave_out_source("firm")
    tails = []
    for claim in fit.spec.evidence[:2]:
        reading, noise = without.claim_reading(claim)
        tails.append(predictive(claim, reading, without.weights, noise)[1])
    assert firm.tail_probability == pytest.approx(min(1.0, 2 * min(tails)), rel=1e-12)
    # Both claims out of the source: their bias is back at its prior (sd 0.3) in the
    # predictive, on top of each claim's own noise.
    reading, noise = without.claim_reading(fit.spec.evidence[0])
    scale = without.values("credibility.analyst_estimate.noise_scale")
    np.testing.assert_allclose(noise, np.hypot(0.3, 0.87 * scale), rtol=1e-12)
    np.testing.assert_allclose(reading, without.values("fleet.x.count"), rtol=1e-12)


def test_the_source_is_believed_as_one(fit: Estimate) -> None:
    assert fit.reliability["f_count"] == fit.reliability["f_spend"]
    assert fit.reliability["f_count"] == fit.source_reliability["firm"]
    learned = {p.name for p in class_parameters(fit)}
    assert learned == {
        "credibility.analyst_estimate.noise_scale",
        "credibility.anonymous_press.noise_scale",
        "credibility.anonymous_press.reliability",
    }


def test_the_first_reading_is_the_estimate_itself(fit: Estimate) -> None:
    base = robustness(fit)[0]
    assert base.headline.median == pytest.approx(fit.posterior[fit.spec.headline].median, rel=1e-9)


def test_moving_a_stated_reliability_is_fitting_with_it_moved(fit: Estimate) -> None:
    lower = robustness(fit)[1]
    assert lower.label == f"every reliability {-RELIABILITY_SHIFT:+.1f}"
    spec = fit.spec
    firm = dataclasses.replace(spec.sources["firm"], reliability=0.7 - RELIABILITY_SHIFT)
    values = dict(fit.prior_draws.values)
    name = "credibility.anonymous_press.reliability"
    values[name] = np.clip(values[name] - RELIABILITY_SHIFT, 0.01, 0.99)
    ratios = sum_of_logliks(values, spec.evidence, (), {"firm": firm})
    weights = reweight(ratios).weights
    head = summarize_weighted(spec.headline, "USD", values[spec.headline], weights)
    assert lower.headline.median == pytest.approx(head.median, rel=1e-9)


def test_a_scenario_that_re_reads_the_claims_is_that_scenario(fit: Estimate) -> None:
    (reading,) = [v for v in robustness(fit) if v.label.endswith("(scenario)")]
    (outcome,) = scenario_outcomes(fit)
    assert reading.headline.median == pytest.approx(outcome.headline.median, rel=1e-9)


def test_the_report_calls_a_move_inside_its_error_noise(fit: Estimate) -> None:
    from estimator.report.source_rows import robustness_rows
    from estimator.review.assessment import Assessment

    variants = robustness(fit)
    base, same = variants[0], dataclasses.replace(variants[0], label="the same again")
    far = dataclasses.replace(
        variants[0],
        label="far",
        headline=dataclasses.replace(
            base.headline, quantiles={**base.headline.quantiles, 0.5: 1.5 * base.headline.median}
        ),
    )
    rows = robustness_rows(Assessment(fit, (), (), robustness=(base, same, far)))
    assert [r["change"] for r in rows] == ["", "within noise", "+50.0%"]
