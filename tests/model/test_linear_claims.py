"""Claims on a quantity that can be negative (a cash burn): noise on the natural scale,
relative to the claim's largest end, in the likelihood (against scipy), in NUTS's
PyTensor graph and in the verdict's predictive; and revenue and burn in the model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from estimator.errors import SpecError
from estimator.model.equations import LabModel
from estimator.model.likelihood import claim_loglik, pytensor_ops
from estimator.model.periods import Period
from estimator.review.verdicts import predictive
from estimator.spec.parse import load_lab

from .test_likelihood import make_claim
from .test_rentals import CONTRACTS, WINDOW, _renter_inputs

Q = np.linspace(-4e8, 9e8, 53)  # burns, and surpluses


def _linear(kind: str, **values: float) -> object:
    return dataclasses.replace(make_claim(kind, **values), quantity="cash.burn", linear=True)


def test_a_point_claim_is_normal_around_it_with_relative_noise() -> None:
    claim = _linear("point", value=5e8, noise=0.3)
    got = claim_loglik(claim, Q)
    spread = 0.3 * 5e8
    # Up to the constants the likelihood drops (it keeps -log(noise), as on the log scale).
    expected = (
        stats.norm.logpdf(Q, 5e8, spread) + math.log(spread / 0.3) + 0.5 * math.log(2 * math.pi)
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_bounds_and_ranges_use_the_largest_end_as_scale() -> None:
    lower = _linear("lower_bound", value=-2e8, noise=0.5)
    np.testing.assert_allclose(
        claim_loglik(lower, Q), stats.norm.logcdf((Q + 2e8) / (0.5 * 2e8)), rtol=1e-12
    )
    ranged = _linear("range", low=-1e8, high=3e8, noise=0.2)
    spread = 0.2 * 3e8
    inside = stats.norm.cdf((Q + 1e8) / spread) - stats.norm.cdf((Q - 3e8) / spread)
    got = claim_loglik(ranged, Q)
    assert np.all(np.isfinite(got))  # far outside the range too, where scipy's difference is 0
    kept = inside > 1e-6
    np.testing.assert_allclose(got[kept], np.log(inside[kept]), rtol=1e-9)


@pytest.mark.parametrize("reliability", [1.0, 0.7])
def test_numpy_and_pytensor_agree_on_linear_claims(reliability: float) -> None:
    import pytensor
    import pytensor.tensor as pt

    for claim in (
        _linear("point", value=5e8, reliability=reliability),
        _linear("range", low=-1e8, high=3e8, reliability=reliability),
    ):
        q = pt.vector("q")
        function = pytensor.function([q], claim_loglik(claim, q, pytensor_ops()))
        np.testing.assert_allclose(function(Q), claim_loglik(claim, Q), rtol=1e-9, atol=1e-9)


def test_the_verdict_of_a_linear_claim_reads_its_predictive_on_the_natural_scale() -> None:
    claim = _linear("point", value=5e8, noise=0.2)
    burn = np.full(1000, 3e8)  # a burn known to be $300M
    percentile, tail, _ = predictive(claim, burn, None)
    z = (5e8 - 3e8) / (0.2 * 5e8)
    assert percentile == pytest.approx(stats.norm.cdf(z), rel=1e-12)
    assert tail == pytest.approx(2 * stats.norm.sf(z), rel=1e-9)


def test_burn_is_spend_less_revenue_over_any_period() -> None:
    days = (dt.date(2023, 7, 1), dt.date(2024, 7, 1))
    model = LabModel((), (), WINDOW, rentals=CONTRACTS, revenue=days)
    assert model.quantity("cash.burn").domain == "real"
    v = _renter_inputs() | {"revenue.rate.2023_07_01": 1e8, "revenue.rate.2024_07_01": 5e8}
    out = model.evaluate(v)
    np.testing.assert_allclose(out["cash.burn"], out["spend.total"] - out["revenue"], rtol=1e-12)
    # The annualised rate grows linearly from $100M to $500M over the first year (its
    # average $300M), then stays at $500M for the last.
    first = (dt.date(2024, 7, 1) - dt.date(2023, 7, 1)).days / 365.25
    second = (dt.date(2025, 7, 1) - dt.date(2024, 7, 1)).days / 365.25
    assert out["revenue"] == pytest.approx(3e8 * first + 5e8 * second, rel=1e-12)
    years = [y.key for y in model.years]
    assert sum(out[f"revenue@{y}"] for y in years) == pytest.approx(out["revenue"], rel=1e-12)
    # A lab that earns more than it spends burns a negative amount.
    rich = model.evaluate(v | {"revenue.rate.2024_07_01": 5e9})
    assert rich["cash.burn"] < 0


def test_an_undated_revenue_rate_earns_it_every_year() -> None:
    model = LabModel((), (), WINDOW, rentals=CONTRACTS, revenue=())
    out = model.evaluate(_renter_inputs() | {"revenue.rate": 2e8})
    assert out["revenue"] == pytest.approx(2e8 * WINDOW.years, rel=1e-12)
    year = Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert out[f"revenue@{year.key}"] == pytest.approx(2e8 * year.years, rel=1e-12)


RENTER = Path(__file__).resolve().parents[2] / "priors" / "openai-gpt4"


def _renter_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "renter"
    shutil.copytree(RENTER, folder)
    return folder


def test_a_claim_of_a_surplus_is_read_and_a_claim_of_zero_refused(tmp_path: Path) -> None:
    folder = _renter_copy(tmp_path)
    claims = folder / "claims.toml"
    text = claims.read_text()
    claims.write_text(text.replace('value = "540M"', 'value = "-50M"'))
    claim = next(c for c in load_lab(folder).claims if c.id == "info_2022_loss")
    assert claim.linear
    assert claim.value == -5e7
    claims.write_text(text.replace('value = "540M"', "value = 0"))
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    (problem,) = info.value.problems
    assert problem.key.endswith(".value")
    assert "other than 0" in (problem.allowed or "")


def test_a_quantity_that_can_be_negative_is_no_headline(tmp_path: Path) -> None:
    folder = _renter_copy(tmp_path)
    lab = folder / "lab.toml"
    lab.write_text(
        lab.read_text().replace(
            'name = "openai-gpt4"', 'name = "openai-gpt4"\nheadline = "cash.burn"'
        )
    )
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    (problem,) = info.value.problems
    assert problem.key == "lab.headline"
    assert "can be negative" in problem.message
