"""The posterior: a closed-form case, robustness to a wrong claim, and the two inference
paths agreeing on DeepSeek."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from estimator.cli import cli
from estimator.inference.estimation import Estimate, choose_posterior, estimate, quick_posterior
from estimator.inference.forward import simulate
from estimator.inference.importance import Reweighting
from estimator.inference.pymc_model import NutsUnavailableError
from estimator.model.distributions import LogNormal
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, TOY_LAB, claims_toml, write_lab


def conjugate_posterior(prior: LogNormal, log_value: float, noise: float) -> LogNormal:
    precision = 1 / prior.sigma**2 + 1 / noise**2
    mean = (prior.mu / prior.sigma**2 + log_value / noise**2) / precision
    return LogNormal(mean, math.sqrt(1 / precision))


def _within_mc_error(summary, exact: LogNormal, k: float = 4.0) -> None:  # type: ignore[no-untyped-def]
    for p, value in summary.quantiles.items():
        truth = float(exact.ppf(p))
        assert abs(value - truth) < k * summary.quantile_mcse[p], (p, value, truth)


@pytest.fixture(scope="module")
def conjugate_lab(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    """The reduced lab with one first-hand, fully reliable point claim on the chip spend,
    a product of two lognormal inputs: its posterior is lognormal in closed form."""
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {
            "id": "chips",
            "quantity": "gpu_spend",
            "value": 1.6e8,
            "noise": 0.2,
            "reliability": 1.0,
            "credibility": "first_hand",
        }
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "conjugate", files))


def _exact(spec: LabSpec) -> LogNormal:
    count = spec.priors["fleet.x.count"].belief
    price = spec.priors["fleet.x.unit_price"].belief
    assert isinstance(count, LogNormal)
    assert isinstance(price, LogNormal)
    prior = LogNormal(count.mu + price.mu, math.hypot(count.sigma, price.sigma))
    return conjugate_posterior(prior, math.log(1.6e8), 0.2)


def test_closed_form_posterior_by_importance_sampling(conjugate_lab: LabSpec) -> None:
    result = estimate(conjugate_lab, "is", draws=2**17, seed=3)
    assert result.diagnostics.passed, result.diagnostics.reasons
    _within_mc_error(result.posterior["gpu_spend"], _exact(conjugate_lab))


@pytest.mark.slow
def test_closed_form_posterior_by_nuts(conjugate_lab: LabSpec) -> None:
    result = estimate(conjugate_lab, "nuts", draws=2**14, seed=3)
    assert result.diagnostics.passed, result.diagnostics.reasons
    _within_mc_error(result.posterior["gpu_spend"], _exact(conjugate_lab))


def test_untouched_inputs_keep_their_prior(tmp_path: Path) -> None:
    files = dict(TOY_LAB)
    files["claims.toml"] = claims_toml(
        {
            "id": "run",
            "quantity": "runs.big.rental_cost",
            "value": 3.5e6,
            "noise": 0.25,
        }
    )
    result = estimate(load_lab(write_lab(tmp_path / "toy", files)), "is", 2**17, seed=4)
    prior, post = result.prior["energy.price"], result.posterior["energy.price"]
    assert abs(post.median - prior.median) < 4 * math.hypot(
        post.quantile_mcse[0.5], prior.quantile_mcse[0.5]
    )


def test_nuts_refuses_a_mixture_with_a_fixed_component(tmp_path: Path) -> None:
    files = dict(TOY_LAB)
    files["claims.toml"] = claims_toml(
        {"id": "run", "quantity": "runs.big.rental_cost", "value": 3.5e6}
    )
    folder = write_lab(tmp_path / "toy", files)
    spec = load_lab(folder)
    with pytest.raises(NutsUnavailableError, match=r"staff\.headcount") as info:
        estimate(spec, "nuts", 2**12, seed=0)
    assert [p.key for p in info.value.problems] == ["staff.headcount"]
    assert "the quick path" in (info.value.problems[0].allowed or "")
    # auto: when the quick path's weights fail and NUTS can't run, the quick path stays,
    # saying why.
    quick = quick_posterior(spec, simulate(spec, 2**12, 0), seed=0)
    assert quick.reweighting is not None
    weak = dataclasses.replace(
        quick, reweighting=Reweighting(quick.reweighting.log_weights, khat=0.9, ess=50.0)
    )
    chosen, note = choose_posterior(weak, "auto")
    assert chosen is weak
    assert note.startswith("NUTS can't sample this lab (staff.headcount:")
    arguments = ["run", str(folder), "--method", "nuts", "--draws", "4096", "--skip-sensitivity"]
    run = CliRunner().invoke(cli, [*arguments, "--out", str(tmp_path / "out")])
    assert run.exit_code == 2, run.output
    assert "NUTS can't sample this lab" in run.output
    assert "staff.headcount" in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)
    assert not (tmp_path / "out").exists()


def _reduced(tmp_path: Path, *claims: dict[str, object]) -> LabSpec:
    files = dict(REDUCED_LAB)
    if claims:
        files["claims.toml"] = claims_toml(*claims)
    return load_lab(write_lab(tmp_path, files))


CONSISTENT = [
    {"id": f"analyst_{i}", "quantity": "fleet.x.count", "value": v, "unit": "GPU"}
    for i, v in enumerate((3600, 4100, 3900))
]


def test_a_wrong_claim_gets_low_reliability_and_moves_little(tmp_path: Path) -> None:
    wrong = {
        "id": "rumour",
        "quantity": "fleet.x.count",
        "value": 400_000,
        "unit": "GPU",
        "credibility": "hearsay",
    }
    without = estimate(_reduced(tmp_path / "a", *CONSISTENT), "is", 2**17, seed=1)
    with_it = estimate(_reduced(tmp_path / "b", *CONSISTENT, wrong), "is", 2**17, seed=1)
    assert with_it.diagnostics.passed
    assert with_it.reliability["rumour"] < 0.05
    for claim in CONSISTENT:
        assert with_it.reliability[str(claim["id"])] > 0.8
    before = without.posterior["fleet.x.count"]
    after = with_it.posterior["fleet.x.count"]
    # The shift is real but small: within 10% of the median (hearsay's noise, a factor of
    # e either way, lets its reliable reading reach the prior's upper tail), and far below
    # the claim's factor-of-100 distance.
    assert abs(after.median / before.median - 1) < 0.10


def test_without_claims_the_posterior_is_the_prior(tmp_path: Path) -> None:
    result = estimate(_reduced(tmp_path), "auto", 2**14, seed=2)
    assert result.diagnostics.method == "forward"
    assert result.posterior is result.prior


def test_gate_fails_loudly_when_importance_sampling_degenerates(tmp_path: Path) -> None:
    sharp = {
        "id": "sharp",
        "quantity": "gpu_spend",
        "value": 3.1e8,
        "noise": 0.01,
        "reliability": 1.0,
        "credibility": "first_hand",
    }
    result = estimate(_reduced(tmp_path, sharp), "is", 4096, seed=0)
    assert not result.diagnostics.passed
    assert any("ESS" in r or "k-hat" in r for r in result.diagnostics.reasons)
    assert result.headline is None


@pytest.fixture(scope="session")
def deepseek_is(deepseek: LabSpec) -> Estimate:
    return estimate(deepseek, "is", seed=11)


@pytest.fixture(scope="session")
def deepseek_nuts(deepseek: LabSpec) -> Estimate:
    return estimate(deepseek, "nuts", draws=2**14, seed=11)


@pytest.mark.slow
def test_nuts_and_importance_sampling_agree_on_deepseek(
    deepseek_is: Estimate, deepseek_nuts: Estimate
) -> None:
    assert deepseek_is.diagnostics.passed, deepseek_is.diagnostics.reasons
    assert deepseek_nuts.diagnostics.passed, deepseek_nuts.diagnostics.reasons
    for name in ("spend.total", "capex.hardware", "fleet.h100.count", "opex.per_year"):
        a, b = deepseek_is.posterior[name], deepseek_nuts.posterior[name]
        for p in (0.05, 0.5, 0.95):
            error = math.hypot(a.quantile_mcse[p], b.quantile_mcse[p])
            assert abs(a.quantiles[p] - b.quantiles[p]) < 4 * error, (name, p)


@pytest.mark.slow
def test_reliabilities_agree_between_paths(deepseek_is: Estimate, deepseek_nuts: Estimate) -> None:
    for claim_id, value in deepseek_is.reliability.items():
        assert deepseek_nuts.reliability[claim_id] == pytest.approx(value, abs=0.05), claim_id


def test_deepseek_verdicts_that_any_reader_would_check(deepseek_is: Estimate) -> None:
    post = deepseek_is.posterior
    # The V3 run at rental prices is a tiny fraction of the spend: its 95th percentile is
    # under 2% of the spend's 5th.
    assert post["runs.v3.rental_cost"].ci90[1] < 0.02 * post["spend.total"].ci90[0]
    # The popular $6M reading of total spend is rejected, DeepSeek's own claim is not.
    assert deepseek_is.reliability["popular_6m"] < 0.01
    assert deepseek_is.reliability["ds_v3_cost"] > 0.9
    assert np.isfinite(post["spend.total"].median)
