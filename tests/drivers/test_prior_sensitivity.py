"""Power-scaling prior and likelihood sensitivity against a closed form, with its Monte
Carlo error, per group of priors, and the prior-data conflict label that needs a claim in
tension to back it.

The closed form: the reduced lab's chip spend is a product of two lognormal inputs, so its
log is normal a priori, N(mu0, s0); a fully reliable point claim on it with log-scale
noise s1 makes its log normal a posteriori, and so it stays with the prior's precision
(or the claim's) multiplied by ``alpha``. The CJS distance between two normals over the
posterior's mean plus or minus :data:`RANGE_SDS` standard deviations is then a
one-dimensional integral, done here by quadrature.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from scipy import integrate, special

from estimator.drivers.power_scaling import ALPHAS, PriorGroup, prior_groups
from estimator.drivers.prior_sensitivity import (
    RANGE_SDS,
    THRESHOLD,
    GroupSensitivity,
    PriorSensitivity,
    Reading,
    bearing_claims,
    prior_sensitivity,
)
from estimator.inference.estimation import Estimate, estimate
from estimator.model.distributions import LogNormal
from estimator.review.verdicts import verdicts
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

Scaled = Literal["prior", "likelihood"]


def _chip_spend_prior(spec: LabSpec) -> tuple[float, float]:
    """Mean and standard deviation of the log chip spend under the prior."""
    count = spec.priors["fleet.x.count"].belief
    price = spec.priors["fleet.x.unit_price"].belief
    assert isinstance(count, LogNormal)
    assert isinstance(price, LogNormal)
    return count.mu + price.mu, math.hypot(count.sigma, price.sigma)


@pytest.fixture(scope="module")
def prior(tmp_path_factory: pytest.TempPathFactory) -> tuple[float, float]:
    spec = load_lab(write_lab(tmp_path_factory.mktemp("labs") / "bare", REDUCED_LAB))
    return _chip_spend_prior(spec)


def _lab(folder: Path, prior: tuple[float, float], shift: float, noise: float) -> LabSpec:
    """The reduced lab with one first-hand, fully reliable point claim on the chip spend
    ``shift`` prior standard deviations above its prior median, with log-scale noise
    ``noise`` prior standard deviations."""
    mu0, s0 = prior
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {
            "id": "chips",
            "quantity": "gpu_spend",
            "value": math.exp(mu0 + shift * s0),
            "noise": noise * s0,
            "reliability": 1.0,
            "credibility": "first_hand",
        }
    )
    return load_lab(write_lab(folder, files))


def _posterior(
    mu0: float, s0: float, y: float, s1: float, scaled: Scaled | None = None, alpha: float = 1.0
) -> tuple[float, float]:
    """Mean and standard deviation of the normal posterior, the prior or the likelihood
    raised to ``alpha``."""
    a_prior = alpha if scaled == "prior" else 1.0
    a_like = alpha if scaled == "likelihood" else 1.0
    precision = a_prior / s0**2 + a_like / s1**2
    return (a_prior * mu0 / s0**2 + a_like * y / s1**2) / precision, precision**-0.5


def _cjs(p: tuple[float, float], q: tuple[float, float], upper: bool) -> float:
    """The CJS distance between the CDFs (``upper``: the survival functions, the CDFs of
    the negated variable) of normals ``p`` and ``q`` over ``p``'s mean plus or minus
    RANGE_SDS standard deviations."""

    def cdf(x: float, normal: tuple[float, float]) -> float:
        f = float(special.ndtr((x - normal[0]) / normal[1]))
        return 1 - f if upper else f

    def divergence(x: float) -> float:
        a, b = cdf(x, p), cdf(x, q)
        m = (a + b) / 2
        return float(special.xlogy(a, a / m) + special.xlogy(b, b / m)) / math.log(2)

    low, high = p[0] - RANGE_SDS * p[1], p[0] + RANGE_SDS * p[1]
    numerator = integrate.quad(divergence, low, high, limit=200, epsabs=1e-14)[0]
    bound = integrate.quad(lambda x: cdf(x, p) + cdf(x, q), low, high, limit=200)[0]
    return math.sqrt(numerator / bound)


def exact_sensitivity(mu0: float, s0: float, y: float, s1: float, scaled: Scaled) -> float:
    """The power-scaling sensitivity of the conjugate normal posterior."""
    base = _posterior(mu0, s0, y, s1)
    values = []
    for alpha in ALPHAS:
        moved = _posterior(mu0, s0, y, s1, scaled, alpha)
        distance = max(_cjs(base, moved, upper=False), _cjs(base, moved, upper=True))
        values.append(distance / abs(math.log2(alpha)))
    return sum(values) / len(values)


# ---------------------------------------------------------------------------------------
# The closed form
# ---------------------------------------------------------------------------------------

#: (shift, noise) in prior standard deviations: a claim that agrees with its prior and is
#: twice as sharp, and one three prior standard deviations off and as sharp as the prior.
AGREES, CONFLICTS = (0.0, 0.5), (3.0, 1.0)


@pytest.fixture(scope="module")
def agrees(tmp_path_factory: pytest.TempPathFactory, prior: tuple[float, float]) -> Estimate:
    spec = _lab(tmp_path_factory.mktemp("labs") / "agrees", prior, *AGREES)
    return estimate(spec, "is", draws=2**16, seed=1)


@pytest.fixture(scope="module")
def conflicts(tmp_path_factory: pytest.TempPathFactory, prior: tuple[float, float]) -> Estimate:
    spec = _lab(tmp_path_factory.mktemp("labs") / "conflicts", prior, *CONFLICTS)
    return estimate(spec, "is", draws=2**16, seed=1)


def _assert_exact(
    found: PriorSensitivity, prior: tuple[float, float], claim: tuple[float, float]
) -> None:
    """Both sensitivities within three Monte Carlo errors of the closed form."""
    mu0, s0 = prior
    shift, noise = claim
    y, s1 = mu0 + shift * s0, noise * s0
    for scaled, value, error in (
        ("prior", found.prior, found.prior_error),
        ("likelihood", found.likelihood, found.likelihood_error),
    ):
        exact = exact_sensitivity(mu0, s0, y, s1, scaled)  # type: ignore[arg-type]
        assert error > 0
        assert abs(value - exact) <= 3 * error, (scaled, value, error, exact)


def test_a_claim_that_agrees_with_its_prior_rests_on_evidence(
    agrees: Estimate, prior: tuple[float, float]
) -> None:
    """The known answer: about 0.016 for the prior and 0.064 for the likelihood on the log
    scale (natural-scale power-scaling read a prior-data conflict here)."""
    assert agrees.diagnostics.passed
    (found,) = prior_sensitivity(agrees, ["gpu_spend"], seed=1)
    _assert_exact(found, prior, AGREES)
    assert found.prior == pytest.approx(0.016, abs=0.001)
    assert found.likelihood == pytest.approx(0.064, abs=0.002)
    assert found.scale == "log"
    assert found.draws == 2**16
    assert found.diagnosis == "rests on evidence"
    assert found.tension == ()


def test_a_claim_far_from_its_prior_moves_both_as_the_closed_form_says(
    conflicts: Estimate, prior: tuple[float, float]
) -> None:
    assert conflicts.diagnostics.passed
    (found,) = prior_sensitivity(conflicts, ["gpu_spend"], seed=1)
    _assert_exact(found, prior, CONFLICTS)
    assert found.prior_reading.state == found.likelihood_reading.state == "above"


# ---------------------------------------------------------------------------------------
# Monte Carlo error
# ---------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_numbers(agrees: Estimate) -> None:
    names = ["gpu_spend", "spend.total"]
    first = [f.to_dict() for f in prior_sensitivity(agrees, names, seed=5)]
    assert first == [f.to_dict() for f in prior_sensitivity(agrees, names, seed=5)]
    # The seed only drives the bootstrap: the sensitivities are those of the draws.
    other = [f.to_dict() for f in prior_sensitivity(agrees, names, seed=6)]
    for a, b in zip(first, other, strict=True):
        assert (a["prior"], a["likelihood"]) == (b["prior"], b["likelihood"])
        assert a["prior_error"] != b["prior_error"]
        assert a["prior_error"] == pytest.approx(b["prior_error"], rel=0.5)


def test_the_monte_carlo_error_shrinks_as_one_over_the_root_of_the_draws(
    agrees: Estimate,
) -> None:
    """Four times the draws, half the error (each error is itself estimated from 64
    replicates, to about 9%)."""
    fewer = estimate(agrees.spec, "is", draws=2**14, seed=2)
    (small,) = prior_sensitivity(fewer, ["gpu_spend"], seed=3)
    (large,) = prior_sensitivity(agrees, ["gpu_spend"], seed=3)
    for ratio in (
        small.prior_error / large.prior_error,
        small.likelihood_error / large.likelihood_error,
    ):
        assert 1.4 < ratio < 2.9, ratio


def test_a_reading_is_within_noise_unless_clear_of_the_threshold() -> None:
    assert Reading(0.09, 0.01).state == "above"
    assert Reading(0.06, 0.01).state == "within noise"
    assert Reading(0.04, 0.01).state == "within noise"
    assert Reading(0.02, 0.01).state == "below"
    assert Reading(0.06, 0.01).text() == "0.060 ± 0.010 (within noise)"
    assert Reading(0.064, 0.0002).text() == "0.064 ± 0.0002"
    lean = PriorSensitivity("x", 0.06, 0.2, prior_error=0.01, likelihood_error=0.01)
    assert lean.diagnosis == "rests on evidence; prior sensitivity within noise"
    both = PriorSensitivity("x", 0.2, 0.2, prior_error=0.01, likelihood_error=0.01)
    assert both.diagnosis == "shaped by both prior and evidence"
    assert THRESHOLD == 0.05


# ---------------------------------------------------------------------------------------
# Groups of priors
# ---------------------------------------------------------------------------------------

#: The reduced lab with uncertain staff pay (of a staff that costs about as much as the
#: fleet) and electricity price besides the fleet.
GROUPED_COSTS = (
    REDUCED_LAB["costs.toml"]
    .replace(
        'staff.headcount = { value = 100, unit = "person", source = "test" }',
        'staff.headcount = { value = 1000, unit = "person", source = "test" }',
    )
    .replace(
        'staff.pay = { value = 200000, unit = "USD/person/year", source = "test" }',
        'staff.pay = { between = [150000, 270000], unit = "USD/person/year", source = "test" }',
    )
    .replace(
        'energy.price = { value = 0.1, unit = "USD/kWh", source = "test" }',
        'energy.price = { between = [0.05, 0.15], unit = "USD/kWh", source = "test" }',
    )
)


def _grouped(folder: Path, prior: tuple[float, float], correlations: str | None = None) -> LabSpec:
    mu0, s0 = prior
    files = {**REDUCED_LAB, "costs.toml": GROUPED_COSTS}
    files["claims.toml"] = claims_toml(
        {
            "id": "chips",
            "quantity": "gpu_spend",
            "value": math.exp(mu0),
            "noise": 0.5 * s0,
            "reliability": 1.0,
        }
    )
    if correlations is not None:
        files["correlations.toml"] = correlations
    return load_lab(write_lab(folder, files))


def test_groups_are_the_prefixes_of_the_inputs_joined_by_correlations(
    tmp_path: Path, prior: tuple[float, float]
) -> None:
    spec = _grouped(tmp_path / "plain", prior)
    assert {g.name: set(g.inputs) for g in prior_groups(spec)} == {
        "fleet.*": {"fleet.x.count", "fleet.x.unit_price"},
        "staff.*": {"staff.pay"},
        "energy.*": {"energy.price"},
    }
    tied = _grouped(
        tmp_path / "tied",
        prior,
        '[[correlations]]\ninputs = ["fleet.x.count", "staff.pay"]\nrank = 0.3\nsource = "test"\n',
    )
    groups = {g.name: set(g.inputs) for g in prior_groups(tied)}
    (joined,) = [name for name in groups if "+" in name]
    assert set(joined.split(" + ")) == {"fleet.*", "staff.*"}
    assert groups[joined] == {"fleet.x.count", "fleet.x.unit_price", "staff.pay"}
    assert groups["energy.*"] == {"energy.price"}


def test_each_group_of_priors_says_what_a_conclusion_rests_on(
    tmp_path: Path, prior: tuple[float, float]
) -> None:
    """The chip spend rests on the fleet's priors alone (the claim pins it; pay and power
    prices don't enter it); the total spend also on the staff's pay, which no claim
    informs."""
    result = estimate(_grouped(tmp_path / "lab", prior), "is", draws=2**16, seed=4)
    chips, total = prior_sensitivity(result, ["gpu_spend", "spend.total"], seed=4)

    def group(found: PriorSensitivity, name: str) -> GroupSensitivity:
        (g,) = [g for g in found.groups if g.group.name == name]
        return g

    fleet = group(chips, "fleet.*").reading
    assert abs(fleet.value - chips.prior) <= 3 * math.hypot(fleet.error, chips.prior_error)
    for name in ("staff.*", "energy.*"):
        assert group(chips, name).reading.value < 0.1 * fleet.value
    assert chips.groups[0].group.name == "fleet.*"  # largest first
    staff = group(total, "staff.*").reading
    assert staff.value > 3 * staff.error
    assert staff.value > 10 * group(chips, "staff.*").reading.value
    summary = total.to_dict()
    assert set(summary["groups"]) == {"fleet.*", "staff.*", "energy.*"}
    assert summary["groups"]["staff.*"]["inputs"] == ["staff.pay"]
    assert {"prior_error", "likelihood_error", "scale", "draws", "diagnosis"} <= set(summary)


# ---------------------------------------------------------------------------------------
# The prior-data conflict label
# ---------------------------------------------------------------------------------------


def test_a_claim_bears_on_the_quantities_it_shares_an_input_with(
    tmp_path: Path, prior: tuple[float, float]
) -> None:
    files = {**REDUCED_LAB, "costs.toml": GROUPED_COSTS}
    files["claims.toml"] = claims_toml(
        {"id": "count", "quantity": "fleet.x.count", "value": 4000, "unit": "GPU"},
        {"id": "pay", "quantity": "staff.pay", "value": 2e5, "unit": "USD/person/year"},
        {"id": "total", "quantity": "spend.total", "value": 2e8},
    )
    spec = load_lab(write_lab(tmp_path / "lab", files))
    assert {c.id for c in bearing_claims(spec, "gpu_spend")} == {"count", "total"}
    assert {c.id for c in bearing_claims(spec, "spend.total")} == {"count", "pay", "total"}
    assert {c.id for c in bearing_claims(spec, "staff.pay")} == {"pay", "total"}


def test_a_prior_data_conflict_needs_a_claim_in_tension(conflicts: Estimate) -> None:
    (chips,) = verdicts(conflicts)
    assert chips.verdict != "consistent"
    assert chips.trusted
    (found,) = prior_sensitivity(conflicts, ["gpu_spend"], seed=1, out_of_line={"chips"})
    assert found.tension == ("chips",)
    assert found.diagnosis == "possible prior-data conflict (chips in tension)"
    # The same sensitivities with no claim out of line: shaped by both, no conflict.
    for calm in (set(), None):
        (shaped,) = prior_sensitivity(conflicts, ["gpu_spend"], seed=1, out_of_line=calm)
        assert (shaped.prior, shaped.likelihood) == (found.prior, found.likelihood)
        assert shaped.tension == ()
        assert shaped.diagnosis == "shaped by both prior and evidence"
        assert "conflict" not in shaped.to_dict()["diagnosis"]


def test_a_group_reading_keeps_its_group() -> None:
    group = PriorGroup("fleet.*", ("fleet.x.count",))
    reading = GroupSensitivity(group, Reading(0.1, 0.01)).to_dict()
    assert reading == {"inputs": ["fleet.x.count"], "value": 0.1, "error": 0.01, "state": "above"}


# ---------------------------------------------------------------------------------------
# NUTS: autocorrelated draws, bootstrapped in blocks
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_closed_form_from_nuts_draws(tmp_path: Path, prior: tuple[float, float]) -> None:
    result = estimate(_lab(tmp_path / "lab", prior, *AGREES), "nuts", seed=3)
    assert result.diagnostics.passed
    (found,) = prior_sensitivity(result, ["gpu_spend"], seed=3)
    _assert_exact(found, prior, AGREES)
    assert found.diagnosis == "rests on evidence"
    assert np.isfinite(found.khat)
