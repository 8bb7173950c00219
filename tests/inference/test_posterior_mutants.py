"""The posterior interface on a small lab: probabilities and their Monte Carlo errors in
closed form, samples, readings and words, and leaving claims out by reweighting."""

from __future__ import annotations

import dataclasses
import math
import types

import numpy as np
import pytest

from estimator.inference.estimation import estimate
from estimator.inference.gate import QuantityCheck
from estimator.inference.importance import (
    Reweighting,
    constraint_logliks,
    resample_indices,
    reweight,
)
from estimator.inference.posterior import JUDGED_PROBS, ImportancePosterior
from estimator.inference.summaries import (
    quantile_ess,
    summarize,
    summarize_weighted,
    weighted_quantiles,
)
from estimator.model.evidence import Evidence
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab
from ..recording import recording
from .test_gates import _weighted_posterior

SOURCES = """
[sources.firm]
name = "An analyst firm"
credibility = "analyst_estimate"
reliability = 0.8
"""

CLAIMS = [
    {"id": "f1", "quantity": "fleet.x.count", "value": 4500, "unit": "GPU", "by": "firm"},
    {"id": "f2", "quantity": "gpu_spend", "value": 1.4e8, "by": "firm"},
    {"id": "own", "quantity": "fleet.x.count", "value": 4000, "unit": "GPU", "noise": 0.3},
    {"id": "chk", "quantity": "gpu_spend", "value": 1e8, "use": "check", "noise": 0.3},
]
DRAWS = 2**12


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = {**REDUCED_LAB, "sources.toml": SOURCES, "claims.toml": claims_toml(*CLAIMS)}
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "lab", files))


@pytest.fixture(scope="module")
def fit(lab: LabSpec) -> ImportancePosterior:
    found = estimate(lab, "is", DRAWS, seed=6).fit
    assert isinstance(found, ImportancePosterior)
    return found


@pytest.fixture(scope="module")
def prior_fit(tmp_path_factory: pytest.TempPathFactory) -> ImportancePosterior:
    folder = write_lab(tmp_path_factory.mktemp("labs") / "plain", dict(REDUCED_LAB))
    found = estimate(load_lab(folder), "is", DRAWS, seed=7).fit
    assert isinstance(found, ImportancePosterior)
    return found


# -- probabilities --------------------------------------------------------------------------


def _posterior(weights: np.ndarray) -> ImportancePosterior:
    """A posterior with these normalised weights and nothing else."""
    reweighting = Reweighting(np.log(weights), 0.0, float(1 / np.sum(weights**2)))
    return dataclasses.replace(_weighted_posterior(np.zeros(1)), reweighting=reweighting)


def test_a_weighted_probability_and_its_error_in_closed_form() -> None:
    w = np.array([0.1, 0.2, 0.3, 0.4])
    posterior = _posterior(w)
    np.testing.assert_allclose(posterior.weights, w, rtol=1e-12)  # type: ignore[arg-type]
    p, error, ess = posterior.probability(np.array([True, False, True, False]))
    assert p == pytest.approx(0.4, rel=1e-12)
    expected = math.sqrt(np.sum(w**2 * (np.array([1, 0, 1, 0]) - 0.4) ** 2))
    assert error == pytest.approx(expected, rel=1e-12)
    assert ess == pytest.approx(1 / np.sum(w**2), rel=1e-12)


def test_an_unweighted_probability_has_a_binomial_error() -> None:
    posterior = dataclasses.replace(_weighted_posterior(np.zeros(3)), reweighting=None)
    holds = np.arange(1000) % 4 == 0
    p, error, ess = posterior.probability(holds)
    assert (p, ess) == (0.25, 1000.0)
    assert error == pytest.approx(math.sqrt(0.25 * 0.75 / 1000), rel=1e-12)
    assert isinstance(p, float)


def test_a_mean_under_the_weights() -> None:
    posterior = _posterior(np.array([0.25, 0.75]))
    assert posterior.average(np.array([2.0, 6.0])) == pytest.approx(5.0)
    plain = dataclasses.replace(posterior, reweighting=None)
    assert plain.average(np.array([2.0, 6.0])) == pytest.approx(4.0)


# -- samples --------------------------------------------------------------------------------


def test_a_weighted_sample_is_the_systematic_resample(fit: ImportancePosterior) -> None:
    assert fit.weights is not None
    np.testing.assert_array_equal(fit.sample(500, 3), resample_indices(fit.weights, 500, 3))
    values = fit.sample_values(["fleet.x.count", "gpu_spend"], 500, 3)
    index = resample_indices(fit.weights, 500, 3)
    assert values["fleet.x.count"].shape == (1, 500)
    np.testing.assert_array_equal(values["gpu_spend"][0], fit.values("gpu_spend")[index])
    # Even with more draws asked for than there are: a resample, not the draws themselves.
    assert fit.sample_values(["gpu_spend"], DRAWS, 3)["gpu_spend"].shape == (1, DRAWS)


def test_an_equally_weighted_sample_is_thinned_evenly(prior_fit: ImportancePosterior) -> None:
    np.testing.assert_array_equal(prior_fit.sample(5, 0), [0, 1024, 2048, 3071, 4095])
    np.testing.assert_array_equal(prior_fit.sample(DRAWS, 0), np.arange(DRAWS))
    np.testing.assert_array_equal(prior_fit.sample(DRAWS + 1, 0), np.arange(DRAWS))
    whole = prior_fit.sample_values(["gpu_spend"], DRAWS, 0)["gpu_spend"]
    np.testing.assert_array_equal(whole, prior_fit.values("gpu_spend")[None, :])
    thinned = prior_fit.sample_values(["gpu_spend"], 3, 0)["gpu_spend"]
    np.testing.assert_array_equal(thinned[0], prior_fit.values("gpu_spend")[[0, 2048, 4095]])
    assert prior_fit.sample(1, 0).tolist() == [0]


@pytest.mark.parametrize("n", [0, -3])
def test_a_sample_needs_a_draw(prior_fit: ImportancePosterior, n: int) -> None:
    with pytest.raises(ValueError, match=f"draws must be positive, not {n}"):
        prior_fit.sample(n, 0)


def test_the_draws_form_one_chain(prior_fit: ImportancePosterior) -> None:
    per_draw = prior_fit.values("gpu_spend")
    assert prior_fit.chains(per_draw).shape == (1, DRAWS)
    assert prior_fit.sampler_stats() is None


# -- summaries, readings, words -------------------------------------------------------------


def test_summaries_of_weighted_and_plain_draws(
    fit: ImportancePosterior, prior_fit: ImportancePosterior
) -> None:
    x = fit.values("gpu_spend")
    assert fit.weights is not None
    assert fit.summary("gpu_spend", "USD") == summarize_weighted("gpu_spend", "USD", x, fit.weights)
    y = prior_fit.values("gpu_spend")
    assert prior_fit.summary("gpu_spend", "USD") == summarize("gpu_spend", "USD", y, DRAWS)
    both = fit.summaries({"gpu_spend": "USD", "fleet.x.count": "GPU"})
    assert list(both) == ["gpu_spend", "fleet.x.count"]
    assert both["fleet.x.count"] == fit.summary("fleet.x.count", "GPU")


def test_the_quick_paths_readings_and_words(
    fit: ImportancePosterior, prior_fit: ImportancePosterior
) -> None:
    assert fit.reweighting is not None
    assert fit.method == "is"
    assert prior_fit.method == "forward"
    assert fit.size == DRAWS
    assert fit.readings() == {"khat": fit.reweighting.khat, "ess": fit.reweighting.ess}
    assert prior_fit.readings() == {}
    khat, ess = fit.reweighting.khat, fit.reweighting.ess
    assert fit.describe() == f"Pareto k-hat {khat:.2f}, ESS {ess:,.0f}"
    assert prior_fit.describe() == "forward Monte Carlo"
    assert fit.settings() == {"proposal_draws": DRAWS}
    assert prior_fit.settings() == {}
    assert prior_fit.problems() == ()
    assert fit.problems() == fit.reweighting.problems()
    assert fit.global_problems() == fit.problems()


def test_a_failing_reweighting_is_a_global_problem(fit: ImportancePosterior) -> None:
    assert fit.reweighting is not None
    shaky = dataclasses.replace(
        fit, reweighting=dataclasses.replace(fit.reweighting, khat=0.9, ess=100.0)
    )
    assert shaky.problems() == ("Pareto k-hat 0.90 > 0.7", "importance-sampling ESS 100 < 400")
    assert shaky.global_problems() == shaky.problems()
    assert shaky.publication_problems(["gpu_spend"], {}) == shaky.problems()


def test_each_quantitys_check_is_its_quantiles_ess(fit: ImportancePosterior) -> None:
    assert fit.weights is not None
    checks = fit.checks(["gpu_spend", "gpu_spend", "fleet.x.power"])
    # A fixed quantity never varies: it has no check.
    assert list(checks) == ["gpu_spend"]
    x = fit.values("gpu_spend")
    ess = quantile_ess(x, fit.weights, weighted_quantiles(x, fit.weights, JUDGED_PROBS))
    assert checks["gpu_spend"] == QuantityCheck(None, ess[0.5], min(ess[0.05], ess[0.95]))
    # Given summaries, their quantiles are used.
    summary = fit.summary("gpu_spend", "USD")
    shifted = dataclasses.replace(
        summary, quantiles={p: v * 1.1 for p, v in summary.quantiles.items()}
    )
    at = {p: shifted.quantiles[p] for p in JUDGED_PROBS}
    ess = quantile_ess(x, fit.weights, at)
    got = fit.checks(["gpu_spend"], {"gpu_spend": shifted})["gpu_spend"]
    assert got == QuantityCheck(None, ess[0.5], min(ess[0.05], ess[0.95]))
    every = fit.checks()
    assert set(every) <= set(fit.spec.model.quantities)
    assert "gpu_spend" in every
    assert "fleet.x.count" in every


def test_equal_weights_check_at_the_number_of_draws(prior_fit: ImportancePosterior) -> None:
    checks = prior_fit.checks(["gpu_spend"])
    assert checks == {"gpu_spend": QuantityCheck(None, float(DRAWS), float(DRAWS))}


def test_publication_is_judged_on_the_quantities_asked_about(fit: ImportancePosterior) -> None:
    assert fit.judged_with(["b", "a", "b"]) == ("b", "a")
    bad = {"gpu_spend": QuantityCheck(None, 100.0, 1000.0)}
    problems = fit.publication_problems(["gpu_spend", "fleet.x.count"], bad)
    assert problems == (*fit.global_problems(), "gpu_spend: bulk ESS 100 < 400")
    assert fit.publication_problems(["fleet.x.count"], bad) == fit.global_problems()
    found = fit.publication_problems(["gpu_spend"])
    assert found == (
        *fit.global_problems(),
        *fit.publication_problems(["gpu_spend"], fit.checks(["gpu_spend"])),
    )


# -- the evidence and leaving claims out ----------------------------------------------------


def test_the_evidence_and_what_its_likelihood_reads(fit: ImportancePosterior) -> None:
    evidence = fit.evidence
    assert [s.id for s in evidence.sources] == ["firm", "own"]
    assert evidence == Evidence.of(fit.claims, fit.spec.sources)
    names = list(fit.evidence_values)
    assert names == sorted(names)
    assert {"fleet.x.count", "gpu_spend"} <= set(names)
    assert set(names) == {"fleet.x.count", "gpu_spend"} | set(evidence.latents())
    np.testing.assert_array_equal(fit.evidence_values["gpu_spend"], fit.values("gpu_spend"))
    every = np.ones(len(fit.claims), bool)
    np.testing.assert_allclose(
        fit.evidence_loglik(every), evidence.loglik(fit.evidence_values, every), rtol=1e-12
    )
    assert [c.id for c in fit.active_claims] == ["f1", "f2", "own"]


def test_the_log_ratios_are_the_evidence_at_the_prior_draws(fit: ImportancePosterior) -> None:
    assert fit.log_ratios is not None
    np.testing.assert_allclose(fit.log_ratios, fit.evidence_loglik(fit.active), rtol=1e-10)
    assert fit.constraint_logliks is None


def test_leaving_claims_out_reweights_by_what_they_add(fit: ImportancePosterior) -> None:
    own = next(c for c in fit.claims if c.id == "own")
    left = fit.leave_out(own)
    assert left.active.tolist() == [True, True, False]
    change = fit.evidence_loglik(fit.active) - fit.evidence_loglik(left.active)
    np.testing.assert_allclose(fit.loglik_change((own,)), change, rtol=1e-12)
    assert fit.log_ratios is not None
    expected = reweight(fit.log_ratios - change)
    assert isinstance(left, ImportancePosterior)
    assert left.reweighting is not None
    np.testing.assert_allclose(left.reweighting.log_weights, expected.log_weights, rtol=1e-9)
    assert left.loo_khat == left.reweighting.khat
    assert left.refitted is False
    np.testing.assert_allclose(left.log_ratios, fit.log_ratios - change, rtol=1e-12)  # type: ignore[arg-type]
    # Reweighting the prior draws is exact already: a refit asked for changes nothing.
    again = fit.leave_out_all((own,), refit=True)
    np.testing.assert_array_equal(again.reweighting.log_weights, left.reweighting.log_weights)  # type: ignore[union-attr]


def test_what_leaving_out_changes_counts_only_the_active_claims(
    fit: ImportancePosterior,
) -> None:
    partly = dataclasses.replace(fit, active=np.array([True, False, True]))
    f1 = fit.claims[0]  # its sibling f2 is switched off
    expected = partly.evidence_loglik(partly.active) - partly.evidence_loglik(
        np.array([False, False, True])
    )
    np.testing.assert_allclose(partly.loglik_change((f1,)), expected, rtol=1e-12)
    assert not np.allclose(partly.loglik_change((f1,)), fit.loglik_change((f1,)))


def test_leaving_out_asks_for_a_refit_unless_told_not_to(fit: ImportancePosterior) -> None:
    recorder = recording(fit)
    recorder.leave_out(fit.claims[2])
    recorder.leave_out(fit.claims[2], refit=False)
    recorder.leave_out_source("firm")
    recorder.leave_out_source("firm", refit=False)
    assert recorder.asked == [True, False, True, False]


def test_leaving_a_source_out_leaves_out_its_active_claims(fit: ImportancePosterior) -> None:
    left = fit.leave_out_source("firm")
    assert left.active.tolist() == [False, False, True]
    firm = tuple(c for c in fit.claims if c.by == "firm")
    expected = fit.leave_out_all(firm)
    np.testing.assert_array_equal(left.weights, expected.weights)
    partly = dataclasses.replace(fit, active=np.array([True, False, True]))
    assert partly.without((fit.claims[1],)).tolist() == [True, False, True]
    assert partly.leave_out_source("firm").active.tolist() == [False, False, True]


def test_the_prior_has_no_claim_to_leave_out(prior_fit: ImportancePosterior) -> None:
    with pytest.raises(ValueError, match=r"^the prior conditions on no claim: there is none to"):
        prior_fit.leave_out_all(())


def test_a_refit_reweights_the_prior_by_the_active_claims(fit: ImportancePosterior) -> None:
    active = np.array([True, False, True])
    refit = fit.refit(active)
    log_ratios = fit.evidence_loglik(active)
    assert refit.log_ratios is not None
    assert refit.reweighting is not None
    np.testing.assert_allclose(refit.log_ratios, log_ratios, rtol=1e-12)
    np.testing.assert_allclose(
        refit.reweighting.log_weights, reweight(log_ratios).log_weights, rtol=1e-12
    )
    assert refit.active.tolist() == [True, False, True]
    assert refit.loo_khat is None
    assert refit.refitted is False
    assert refit.claim_parts is fit.claim_parts
    assert refit.evidence is fit.evidence
    assert refit.evidence_values is fit.evidence_values
    # A mask of numbers is read as one of booleans.
    assert fit.refit(np.array([1, 0, 1])).active.dtype == bool
    # A refit of a posterior with a claim left out is exact, and says so.
    left = dataclasses.replace(fit.leave_out_all((fit.claims[2],)), refitted=True)
    again = left.refit(active)
    assert again.loo_khat is None
    assert again.refitted is False
    # With nothing active and no constraint, the refit is the prior.
    bare = left.refit(np.zeros(3, bool))
    assert bare.reweighting is None
    assert bare.log_ratios is None
    assert bare.loo_khat is None
    assert bare.active.tolist() == [False, False, False]
    assert bare.method == "forward"


def test_a_refit_with_a_constraint_weighs_it_in(lab: LabSpec) -> None:
    fit = estimate(lab, "is", DRAWS, seed=6).fit
    assert isinstance(fit, ImportancePosterior)
    name = "gpu_spend"
    constrained_spec = types.SimpleNamespace(
        model=types.SimpleNamespace(constraints=(name,)), sources=fit.spec.sources
    )
    constrained = dataclasses.replace(fit, spec=constrained_spec)  # type: ignore[arg-type]
    soft = constraint_logliks(constrained.prior.values, (name,))
    np.testing.assert_allclose(constrained.constraint_logliks, soft, rtol=1e-12)  # type: ignore[arg-type]
    refit = constrained.refit(np.zeros(3, bool))
    assert refit.constraint_logliks is constrained.constraint_logliks
    assert refit.reweighting is not None
    np.testing.assert_allclose(refit.log_ratios, soft, rtol=1e-12)  # type: ignore[arg-type]
    active = np.array([True, True, False])
    with_claims = constrained.refit(active)
    assert with_claims.log_ratios is not None
    np.testing.assert_allclose(with_claims.log_ratios, fit.evidence_loglik(active) + soft)


def test_a_new_claim_joins_switched_off(fit: ImportancePosterior, lab: LabSpec) -> None:
    news = dataclasses.replace(lab.claims[2], id="news", value=5000.0)
    evidence, active, values = fit.with_claim(news)
    assert [c.id for c in evidence.claims] == ["f1", "f2", "own", "news"]
    assert active.tolist() == [True, True, True, False]
    np.testing.assert_array_equal(values["fleet.x.count"], fit.values("fleet.x.count"))
    # Already counted: the claims as they are.
    evidence, active, _ = fit.with_claim(lab.claims[2])
    assert len(evidence.claims) == 3
    assert active.tolist() == [True, True, True]


def test_a_class_no_counted_claim_has_is_read_at_one(
    prior_fit: ImportancePosterior, lab: LabSpec
) -> None:
    unstated = dataclasses.replace(lab.claims[2], id="news", noise_given=False)
    _, _, values = prior_fit.with_claim(unstated)
    name = "credibility.analyst_estimate.noise_scale"
    assert name in values
    # The quick path draws every class's parameters beside the prior.
    np.testing.assert_array_equal(values[name], prior_fit.values(name))
    missing = dataclasses.replace(
        prior_fit,
        prior=dataclasses.replace(
            prior_fit.prior, values={k: v for k, v in prior_fit.prior.values.items() if k != name}
        ),
    )
    _, _, values = missing.with_claim(unstated)
    np.testing.assert_array_equal(values[name], np.ones(DRAWS))


def test_a_claim_reading_takes_the_bias_its_active_siblings_imply(
    fit: ImportancePosterior,
) -> None:
    partly = dataclasses.replace(fit, active=np.array([True, False, True]))
    f2 = fit.claims[1]
    reading, noise = partly.claim_reading(f2)
    at, expected_noise = partly.evidence.predictive_reading(
        1, partly.evidence_values, partly.active
    )
    np.testing.assert_allclose(reading, np.exp(at), rtol=1e-12)
    np.testing.assert_allclose(noise, expected_noise, rtol=1e-12)
    alone, _ = dataclasses.replace(fit, active=np.array([False, False, True])).claim_reading(f2)
    assert not np.allclose(reading, alone)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class _TwoChains(ImportancePosterior):
    def chains(self, per_draw: np.ndarray) -> np.ndarray:
        return per_draw.reshape(2, -1)


def test_every_draw_of_equally_weighted_chains_keeps_its_chain(
    prior_fit: ImportancePosterior,
) -> None:
    fields = {f.name: getattr(prior_fit, f.name) for f in dataclasses.fields(prior_fit)}
    two = _TwoChains(**fields)
    whole = two.sample_values(["gpu_spend"], DRAWS, 0)["gpu_spend"]
    np.testing.assert_array_equal(whole, prior_fit.values("gpu_spend").reshape(2, -1))
    thinned = two.sample_values(["gpu_spend"], 4, 0)["gpu_spend"]
    assert thinned.shape == (1, 4)


def test_a_claim_reading_is_on_the_claims_unit(
    prior_fit: ImportancePosterior, lab: LabSpec
) -> None:
    claim = dataclasses.replace(lab.claims[2], by=None)
    reading, noise = prior_fit.claim_reading(claim)
    np.testing.assert_allclose(reading, prior_fit.values("fleet.x.count"), rtol=1e-12)
    assert noise == 0.3
    linear = dataclasses.replace(claim, linear=True)
    reading, noise = prior_fit.claim_reading(linear)
    np.testing.assert_allclose(reading, prior_fit.values("fleet.x.count"), rtol=1e-12)
