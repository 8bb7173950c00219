"""Simulation-based calibration on the reduced lab, on both inference paths: truths from
the prior, point, bound and range claims from the likelihood (wrong claims included),
and each target's PITs held to ArviZ's simultaneous ECDF band at a family-wise 99%.

The construction, and why its bound claims are exact, is in :mod:`tests.inference.sbc`.
Seeds are fixed, so every check is deterministic; the band's level says how often a
correct fit would fail for a seed chosen at random (1%). The power checks fit the same
replicates with a deliberately wrong likelihood and must fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from estimator.inference.forward import Draws, simulate
from estimator.model.likelihood import claim_loglik
from estimator.spec.lab import LabSpec

from . import sbc

#: Replicates and seed of the check in the default suite.
QUICK_REPLICATES = 200
QUICK_TRUTH_SEED = 303


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    return sbc.sbc_lab(Path(tmp_path_factory.mktemp("labs")) / "sbc")


@pytest.fixture(scope="module")
def draws(spec: LabSpec) -> Draws:
    """The prior sample every quick-path fit reweights (independent of the truths)."""
    return simulate(spec, sbc.FIT_DRAWS, seed=sbc.FIT_SEED)


@pytest.fixture(scope="module")
def replicates(spec: LabSpec, draws: Draws) -> sbc.Replicates:
    return sbc.simulate_replicates(spec, sbc.SLOW_REPLICATES, sbc.TRUTH_SEED, draws.values)


def test_each_kind_of_claim_is_simulated_with_wrong_claims_among_them(
    spec: LabSpec, draws: Draws
) -> None:
    replicates = sbc.simulate_replicates(spec, QUICK_REPLICATES, QUICK_TRUTH_SEED, draws.values)
    kinds = {c.kind for i in range(replicates.count) for c in replicates.claims(spec, i)}
    assert kinds == {"point", "lower_bound", "upper_bound", "range"}
    for source in sbc.SOURCES:
        r, n = source.reliability, replicates.count
        rate = replicates.wrong[source.id].mean()
        assert abs(rate - (1 - r)) < 4 * np.sqrt(r * (1 - r) / n), source.id


def test_the_outcomes_likelihoods_are_their_probabilities(spec: LabSpec, draws: Draws) -> None:
    """A bound or range source's possible reports have likelihoods that sum to one at any
    truth, and they occur as often as those likelihoods say: the likelihood is the
    simulation's law, not an approximation of it."""
    replicates = sbc.simulate_replicates(spec, 4000, QUICK_TRUTH_SEED, draws.values)
    every = np.arange(replicates.count)
    for source in (s for s in sbc.SOURCES if s.cuts):
        truth = replicates.truths[source.quantity]
        columns = []
        for outcome in range(source.cuts + 1):
            claim, ends = sbc.outcome_claims(spec, replicates, source, outcome, every)
            columns.append(np.exp(claim_loglik(claim, truth, bounds=(ends[:, 0], ends[:, 1]))))
        chance = np.stack(columns, axis=1)
        np.testing.assert_allclose(chance.sum(1), 1.0, rtol=1e-12)
        seen = np.bincount(replicates.outcomes[source.id], minlength=source.cuts + 1)
        expected = chance.sum(0)
        # Each outcome's count within 4 standard deviations of its expectation.
        spread = np.sqrt(np.sum(chance * (1 - chance), axis=0))
        assert np.all(np.abs(seen - expected) < 4 * spread), (source.id, seen, expected)


def test_quick_path_is_calibrated(spec: LabSpec, draws: Draws) -> None:
    """The default suite's SBC: few replicates, but an ignored mixture is still caught."""
    replicates = sbc.simulate_replicates(spec, QUICK_REPLICATES, QUICK_TRUTH_SEED, draws.values)
    assert sbc.outside(sbc.quick_path(spec, replicates, draws).pits) == {}
    assert sbc.outside(sbc.quick_path(spec, replicates, draws, sbc.without_mixture).pits)


@pytest.mark.slow
def test_quick_path_is_calibrated_over_many_replicates(
    spec: LabSpec, replicates: sbc.Replicates, draws: Draws
) -> None:
    """Replicates whose Pareto k-hat the quick path would flag are kept: leaving them out
    would test only the easy cases (a few percent have a truth deep in a prior tail)."""
    assert sbc.outside(sbc.quick_path(spec, replicates, draws).pits) == {}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wrong", "tails"),
    [
        (sbc.noise_times(0.7), "heavy"),
        (sbc.noise_times(1.5), "light"),
        (sbc.without_mixture, "heavy"),
    ],
    ids=["noise-x0.7", "noise-x1.5", "mixture-ignored"],
)
def test_a_wrong_likelihood_is_caught(
    spec: LabSpec, replicates: sbc.Replicates, draws: Draws, wrong: sbc.Fit, tails: str
) -> None:
    """The same replicates fitted with too little noise or no wrong-claim component
    (overconfident: too many truths in the posterior's tails), or too much noise
    (underconfident: too few), fail the band check, for that reason."""
    found = sbc.outside(sbc.quick_path(spec, replicates, draws, wrong).pits)
    assert found
    assert {d.tails for d in found.values()} == {tails}, found


@pytest.mark.slow
def test_nuts_is_calibrated(spec: LabSpec, replicates: sbc.Replicates) -> None:
    """The first replicates fitted by NUTS: one compiled model holds a claim for every
    kind each source can report; each fit switches on the reported ones and gives every
    claim its values as data."""
    assert (
        sbc.outside(sbc.nuts_path(spec, replicates, sbc.NUTS_REPLICATES, sbc.NUTS_SEED).pits) == {}
    )
