"""Verdict arithmetic against closed forms, leave-one-claim-out, influence, and questions."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from estimator.errors import SpecError
from estimator.model.distributions import LogNormal
from estimator.review.assessment import assess
from estimator.review.verdicts import classify
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

DRAWS = 2**18


def _lab(tmp_path: Path, claims: list[dict[str, object]], questions: str = "") -> LabSpec:
    files = dict(REDUCED_LAB)
    if claims:
        files["claims.toml"] = claims_toml(*claims)
    if questions:
        files["questions.toml"] = questions
    return load_lab(write_lab(tmp_path / "lab", files))


def _count_prior(spec: LabSpec) -> LogNormal:
    belief = spec.priors["fleet.x.count"].belief
    assert isinstance(belief, LogNormal)
    return belief


@pytest.mark.parametrize(
    ("tail", "verdict"),
    [
        (1.0, "consistent"),
        (0.10, "consistent"),
        (0.0999, "in tension"),
        (0.01, "in tension"),
        (0.00999, "contradicted"),
        (0.0, "contradicted"),
    ],
)
def test_thresholds(tail: float, verdict: str) -> None:
    assert classify(tail) == verdict


@pytest.mark.parametrize(
    ("value", "verdict"),
    [(4000, "consistent"), (8000, "consistent"), (12_000, "in tension"), (60_000, "contradicted")],
)
def test_check_claim_percentile_matches_the_closed_form(
    tmp_path: Path, value: float, verdict: str
) -> None:
    """Under a lognormal prior, the predictive of a claim with noise s is lognormal with
    variance sigma^2 + s^2, so its percentile is a normal CDF."""
    claim = {
        "id": "c",
        "quantity": "fleet.x.count",
        "value": value,
        "unit": "GPU",
        "use": "check",
        "noise": 0.3,
    }
    spec = _lab(tmp_path, [claim])
    prior = _count_prior(spec)
    exact = stats.norm.cdf((math.log(value) - prior.mu) / math.hypot(prior.sigma, 0.3))
    result = assess(spec, "is", DRAWS, seed=1, with_drivers=False).verdict("c")
    # The estimate is a mean of DRAWS bounded terms: its MC error is below 0.5 / sqrt(DRAWS).
    assert result.percentile == pytest.approx(exact, abs=4 * 0.5 / math.sqrt(DRAWS))
    assert result.tail_probability == pytest.approx(
        2 * min(exact, 1 - exact), abs=8 * 0.5 / math.sqrt(DRAWS)
    )
    assert result.verdict == verdict
    assert result.basis == "prior"


def test_bounds_get_the_probability_that_they_hold(tmp_path: Path) -> None:
    claims = [
        {
            "id": "low",
            "quantity": "fleet.x.count",
            "kind": "lower_bound",
            "value": 5000,
            "unit": "GPU",
            "use": "check",
            "noise": 0.2,
        },
        {
            "id": "high",
            "quantity": "fleet.x.count",
            "kind": "upper_bound",
            "value": 5000,
            "unit": "GPU",
            "use": "check",
            "noise": 0.2,
        },
        {
            "id": "box",
            "quantity": "fleet.x.count",
            "kind": "range",
            "low": 3000,
            "high": 5000,
            "unit": "GPU",
            "use": "check",
            "noise": 0.2,
        },
    ]
    spec = _lab(tmp_path, claims)
    prior = _count_prior(spec)
    spread = math.hypot(prior.sigma, 0.2)
    above = stats.norm.sf((math.log(5000) - prior.mu) / spread)
    result = assess(spec, "is", DRAWS, seed=2, with_drivers=False)
    tolerance = 4 * 0.5 / math.sqrt(DRAWS)
    assert result.verdict("low").bound_holds == pytest.approx(above, abs=tolerance)
    assert result.verdict("low").tail_probability == pytest.approx(above, abs=tolerance)
    assert result.verdict("high").bound_holds == pytest.approx(1 - above, abs=tolerance)
    box = result.verdict("box")
    inside = stats.norm.cdf((math.log(5000) - prior.mu) / spread) - stats.norm.cdf(
        (math.log(3000) - prior.mu) / spread
    )
    assert box.bound_holds == pytest.approx(inside, abs=2 * tolerance)
    assert box.tail_probability == 1.0  # the median lies inside the range


def test_evidence_is_judged_leaving_itself_out(tmp_path: Path) -> None:
    """With two evidence claims, each is judged against the posterior from the other:
    a conjugate lognormal, so the percentile has a closed form."""
    claims = [
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
            "reliability": 1.0,
        },
    ]
    spec = _lab(tmp_path, claims)
    prior = _count_prior(spec)
    result = assess(spec, "is", DRAWS, seed=3, with_drivers=False)
    for judged, other in (("a", 6000), ("b", 3000)):
        precision = 1 / prior.sigma**2 + 1 / 0.25**2
        mean = (prior.mu / prior.sigma**2 + math.log(other) / 0.25**2) / precision
        spread = math.sqrt(1 / precision + 0.25**2)
        value = 3000 if judged == "a" else 6000
        exact = stats.norm.cdf((math.log(value) - mean) / spread)
        verdict = result.verdict(judged)
        assert verdict.basis == "leave-one-out"
        assert verdict.khat is not None
        assert verdict.khat < 0.7
        assert verdict.percentile == pytest.approx(exact, abs=0.01)


def test_influence_says_which_way_a_claim_pulled(tmp_path: Path) -> None:
    claims = [{"id": "high", "quantity": "gpu_spend", "value": 2.5e8, "noise": 0.1}]
    influence = assess(_lab(tmp_path / "a", claims), "is", DRAWS, seed=4).verdict("high").influence
    assert influence is not None
    # Leaving out a claim above the prior lowers the median.
    assert influence.median_change < -0.05
    # A sharp claim at the prior median narrows the interval: leaving it out widens it.
    spec = _lab(tmp_path / "b", [])
    median = (
        assess(spec, "is", DRAWS, seed=4, with_drivers=False).estimate.prior["gpu_spend"].median
    )
    claims = [{"id": "sharp", "quantity": "gpu_spend", "value": median, "noise": 0.05}]
    influence = assess(_lab(tmp_path / "c", claims), "is", DRAWS, seed=4).verdict("sharp").influence
    assert influence is not None
    assert abs(influence.median_change) < 0.05
    assert influence.width_change > 1.0


def test_influence_within_its_monte_carlo_error_is_called_noise() -> None:
    from estimator.inference.summaries import Summary
    from estimator.review.verdicts import influence_of

    def summary(median: float, mcse: float) -> Summary:
        quantiles = {0.05: median * 0.5, 0.5: median, 0.95: median * 2}
        errors = {0.05: mcse, 0.5: mcse, 0.95: mcse}
        return Summary("x", "USD", median, 0.0, median, quantiles, errors, 1000.0)

    # A 1.5% move with medians each known to 1%: within twice their combined error.
    noise = influence_of(summary(100.0, 1.0), summary(101.5, 1.0))
    assert noise.median_error == pytest.approx(math.sqrt(2) / 100)
    assert noise.within_noise
    assert noise.text()[0] == "within noise"
    # A 5% move is not.
    moved = influence_of(summary(100.0, 1.0), summary(105.0, 1.0))
    assert not moved.within_noise
    assert moved.text()[0] == "+5.0%"
    # A leave-one-out reweighting past the k-hat limit is not shown at all.
    shaky = influence_of(summary(100.0, 1.0), summary(120.0, 1.0), khat=0.85)
    assert not shaky.trusted
    assert shaky.text() == ("k-hat 0.85: not shown", "")
    assert influence_of(summary(100.0, 1.0), summary(120.0, 1.0), khat=0.65).trusted


QUESTIONS = """
[[questions]]
id = "many"
text = "More than 5,000 GPUs?"
quantity = "fleet.x.count"
above = 5000
unit = "GPU"

[[questions]]
id = "cheap"
text = "Chips under $25k each?"
quantity = "gpu_spend"
per = "fleet.x.count"
below = "25k"
unit = "USD/GPU"

[[questions]]
id = "band"
text = "Between 3,000 and 6,000 GPUs?"
quantity = "fleet.x.count"
above = 3000
below = 6000
unit = "GPU"
"""


def test_questions_match_closed_forms(tmp_path: Path) -> None:
    spec = _lab(tmp_path, [], QUESTIONS)
    count, price = _count_prior(spec), spec.priors["fleet.x.unit_price"].belief
    assert isinstance(price, LogNormal)
    answers = {
        a.question.id: a for a in assess(spec, "is", DRAWS, seed=5, with_drivers=False).answers
    }
    exact = {
        "many": count.frozen().sf(5000),
        "cheap": price.frozen().cdf(25_000),
        "band": count.frozen().cdf(6000) - count.frozen().cdf(3000),
    }
    for question, value in exact.items():
        a = answers[question]
        assert a.mcse == pytest.approx(math.sqrt(value * (1 - value) / DRAWS), rel=0.05)
        assert abs(a.probability - value) < 4 * a.mcse, question


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('quantity = "fleet.x.cont"\nabove = 1\nunit = "GPU"', "quantity", "unknown quantity"),
        ('quantity = "fleet.x.count"\nunit = "GPU"', "", "needs a threshold"),
        ('quantity = "fleet.x.count"\nabove = 9\nbelow = 3\nunit = "GPU"', "below", "empty"),
        ('quantity = "fleet.x.count"\nabove = 9\nunit = "USD"', "unit", "does not measure"),
        ('quantity = "fleet.x.count"\nabove = "lots"\nunit = "GPU"', "above", "number"),
        (
            'quantity = "fleet.x.count"\nabove = 1\nunit = "GPU"\nper = "nothing"',
            "per",
            "unknown quantity",
        ),
    ],
)
def test_bad_questions_are_reported(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        _lab(tmp_path, [], f'[[questions]]\nid = "q"\ntext = "?"\n{text}\n')
    problems = info.value.problems
    expected_key = "questions[0] (q)" + (f".{key}" if key else "")
    assert any(p.key == expected_key and fragment in p.message for p in problems), problems
    assert all(p.file.endswith("questions.toml") for p in problems)


def test_deepseek_answers_the_seed_question(deepseek: LabSpec) -> None:
    answers = {a.question.id: a for a in assess(deepseek, "is", seed=0, with_drivers=False).answers}
    # More likely than not over $1B in the cash view, with most H800s and every A100
    # bought by High-Flyer before DeepSeek's founding left out of the window's purchases.
    assert answers["over_1b"].probability > 0.5
    assert answers["under_6m"].probability < 0.001
    # About 0.90 (Monte Carlo error 0.002) since claims count by source and the analysts'
    # noise is calibrated: the total is less sure than when SemiAnalysis' six figures
    # counted six times, so a $5.6M run is under 1% of it in nine draws out of ten.
    assert answers["v3_under_1pct"].probability > 0.85
    assert np.isfinite(answers["h100_over_20k"].mcse)


def test_the_tally_counts_originals_and_expects_a_tenth_by_chance() -> None:
    from estimator.review.verdicts import Verdict, tally

    from ..model.test_likelihood import make_claim

    def verdict(name: str, repeats: str | None = None) -> Verdict:
        claim = dataclasses.replace(make_claim("point", value=1.0), repeats=repeats)
        return Verdict(claim, "", 0.5, 0.5, None, name, 0.9)  # type: ignore[arg-type]

    found = (
        *(verdict("consistent") for _ in range(17)),
        verdict("in tension"),
        verdict("contradicted"),
        verdict("in tension", repeats="c"),  # a relay repeats its original: not counted
    )
    counted = tally(found)
    assert (counted.judged, counted.seen) == (19, 2)
    assert counted.expected == pytest.approx(1.9)
    assert counted.text().startswith("2 of 19 claims in tension or contradicted; about 1.9")
