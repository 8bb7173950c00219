"""Evidence by source on both inference paths: NUTS (the bias a PyMC expression, or a
sampled parameter) and the quick path (the same expressions in numpy) agree."""

from __future__ import annotations

import pytest

from estimator.inference.estimation import Estimate, estimate
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

SOURCES = """
[sources.firm]
name = "An analyst firm"
credibility = "analyst_estimate"

[sources.paper]
name = "The lab's own paper"
credibility = "first_hand"
bias = 0.2
"""


@pytest.fixture(scope="module")
def fits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Estimate, Estimate]:
    files = dict(REDUCED_LAB)
    files["sources.toml"] = SOURCES
    files["claims.toml"] = claims_toml(
        # Integrated: two points and a bound.
        {"id": "f_count", "quantity": "fleet.x.count", "value": 6000, "unit": "GPU", "by": "firm"},
        {"id": "f_spend", "quantity": "gpu_spend", "value": 2.0e8, "by": "firm"},
        {
            "id": "f_low",
            "quantity": "capex.hardware",
            "kind": "lower_bound",
            "value": 1.5e8,
            "by": "firm",
        },
        # Sampled: two bounds.
        {
            "id": "p_low",
            "quantity": "fleet.x.count",
            "kind": "lower_bound",
            "value": 3000,
            "unit": "GPU",
            "by": "paper",
            "credibility": "first_hand",
        },
        {
            "id": "p_high",
            "quantity": "fleet.x.unit_price",
            "kind": "upper_bound",
            "value": 45000,
            "unit": "USD/GPU",
            "by": "paper",
            "credibility": "first_hand",
        },
    )
    spec = load_lab(write_lab(tmp_path_factory.mktemp("labs") / "sources", files))
    return estimate(spec, "is", draws=2**18, seed=3), estimate(spec, "nuts", seed=3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fleet.x.count", "fleet.x.unit_price", "spend.total"])
def test_nuts_and_the_quick_path_agree(fits: tuple[Estimate, Estimate], name: str) -> None:
    quick, nuts = fits
    assert quick.diagnostics.passed
    assert nuts.diagnostics.passed
    for p in (0.05, 0.5, 0.95):
        a, b = quick.posterior[name], nuts.posterior[name]
        error = (a.quantile_mcse[p] ** 2 + b.quantile_mcse[p] ** 2) ** 0.5
        assert abs(a.quantiles[p] - b.quantiles[p]) <= 3.5 * error, (name, p)


@pytest.mark.slow
def test_both_paths_read_each_source_as_one(fits: tuple[Estimate, Estimate]) -> None:
    quick, nuts = fits
    assert set(quick.source_reliability) == {"firm", "paper"}
    assert set(nuts.source_reliability) == {"firm", "paper"}
    for source in ("firm", "paper"):
        assert quick.source_reliability[source] == pytest.approx(
            nuts.source_reliability[source], abs=0.05
        )
    # The sampled bias is a parameter of the NUTS model, stored with the draws.
    assert nuts.fit.values("source.paper.bias").size == nuts.fit.size
