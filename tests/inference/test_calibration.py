"""Simulation-based calibration on a reduced model: draw the truth from the prior, make
claims from the likelihood, fit, and check that the truth's posterior CDF value (PIT) is
uniform. Run on both inference paths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from estimator.inference.forward import simulate
from estimator.inference.importance import claim_logliks, reweight
from estimator.inference.nuts import NutsSettings, sample
from estimator.inference.pymc_model import claim_bounds
from estimator.model.claims import WRONG_CLAIM_SIGMA, Claim
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

TARGETS = ("fleet.x.count", "fleet.x.unit_price", "gpu_spend")


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {
            "id": "count",
            "quantity": "fleet.x.count",
            "value": 4000,
            "unit": "GPU",
            "noise": 0.3,
            "reliability": 0.8,
        },
        {"id": "chips", "quantity": "gpu_spend", "value": 1.2e8, "noise": 0.2, "reliability": 1.0},
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "sbc", files))


def simulated_claims(
    spec: LabSpec, truth: dict[str, float], rng: np.random.Generator
) -> tuple[Claim, ...]:
    """Claims drawn from the model's own likelihood given the true quantities."""
    out = []
    for claim in spec.evidence:
        reliable = rng.random() < claim.reliability
        sigma = claim.noise if reliable else WRONG_CLAIM_SIGMA
        value = truth[claim.quantity] * float(np.exp(sigma * rng.standard_normal()))
        out.append(dataclasses.replace(claim, value=value))
    return tuple(out)


def truths(spec: LabSpec, count: int, seed: int) -> list[dict[str, float]]:
    draws = simulate(spec, count, seed=seed)
    return [{n: float(draws[n][i]) for n in spec.model.quantities} for i in range(count)]


def assert_uniform(pit: dict[str, list[float]]) -> None:
    for name, values in pit.items():
        result = stats.kstest(values, "uniform")
        assert result.pvalue > 1e-3, (name, result)


@pytest.mark.slow
def test_importance_sampling_is_calibrated(reduced: LabSpec) -> None:
    proposal = simulate(reduced, 2**16, seed=100)
    rng = np.random.default_rng(7)
    pit: dict[str, list[float]] = {n: [] for n in TARGETS}
    for truth in truths(reduced, 300, seed=200):
        claims = simulated_claims(reduced, truth, rng)
        weights = reweight(claim_logliks(proposal, claims).sum(0)).weights
        for name in TARGETS:
            pit[name].append(float(np.sum(weights[proposal[name] < truth[name]])))
    assert_uniform(pit)


@pytest.mark.slow
def test_nuts_is_calibrated(reduced: LabSpec) -> None:
    settings = NutsSettings(chains=2, draws=300, tune=300)
    rng = np.random.default_rng(8)
    pit: dict[str, list[float]] = {n: [] for n in TARGETS}
    for index, truth in enumerate(truths(reduced, 80, seed=300)):
        claims = simulated_claims(reduced, truth, rng)
        fit = sample(
            reduced, reduced.evidence, seed=index, settings=settings, bounds=claim_bounds(claims)
        )
        for name in TARGETS:
            pit[name].append(float(np.mean(fit.values(name) < truth[name])))
    assert_uniform(pit)


def test_a_miscalibrated_fit_is_caught(reduced: LabSpec) -> None:
    """The check has power: ignoring the claims (prior as posterior) is not calibrated."""
    proposal = simulate(reduced, 2**14, seed=100)
    rng = np.random.default_rng(9)
    pit: dict[str, list[float]] = {n: [] for n in TARGETS}
    for truth in truths(reduced, 300, seed=400):
        claims = simulated_claims(reduced, truth, rng)
        sharpened = tuple(dataclasses.replace(c, noise=c.noise / 4) for c in claims)
        weights = reweight(claim_logliks(proposal, sharpened).sum(0)).weights
        for name in TARGETS:
            pit[name].append(float(np.sum(weights[proposal[name] < truth[name]])))
    with pytest.raises(AssertionError):
        assert_uniform(pit)
