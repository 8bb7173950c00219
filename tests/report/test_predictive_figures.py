"""Predictive checks: each claim's prior and leave-one-out predictive intervals against
closed forms, the figure's rows, the LOO-PIT values and ArviZ's band, and verdicts whose
leave-one-out k-hat is too high marked wherever they are shown."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from scipy import stats

from estimator.inference.summaries import Summary
from estimator.model.distributions import LogNormal
from estimator.report.document import context
from estimator.report.figures import render
from estimator.report.predictive_figures import (
    ClaimRow,
    claim_rows,
    loo_pit_figure,
    predictive_figure,
)
from estimator.report.summary_json import summary_document
from estimator.report.terminal import print_verdicts
from estimator.review.assessment import Assessment, assess
from estimator.review.predictive import loo_pit, pit_band, predictive_summary
from estimator.review.verdicts import tally
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

DRAWS = 2**17
PROBS = (0.05, 0.25, 0.5, 0.75, 0.95)

#: One claim of each kind, a check and a relay, on the reduced lab's GPU count.
MIXED = [
    {"id": "point", "quantity": "fleet.x.count", "value": 4500, "unit": "GPU", "noise": 0.3},
    {
        "id": "floor",
        "quantity": "fleet.x.count",
        "kind": "lower_bound",
        "value": 2500,
        "unit": "GPU",
        "noise": 0.2,
    },
    {
        "id": "ceiling",
        "quantity": "fleet.x.count",
        "kind": "upper_bound",
        "value": 9000,
        "unit": "GPU",
        "noise": 0.2,
    },
    {
        "id": "box",
        "quantity": "fleet.x.count",
        "kind": "range",
        "low": 3000,
        "high": 7000,
        "unit": "GPU",
        "noise": 0.2,
    },
    {"id": "spend", "quantity": "gpu_spend", "value": 1.3e8, "noise": 0.3, "use": "check"},
    {
        "id": "echo",
        "quantity": "fleet.x.count",
        "value": 4500,
        "unit": "GPU",
        "noise": 0.3,
        "repeats": "point",
    },
]


def _lab(folder: Path, claims: list[dict[str, object]]) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(*claims)
    return load_lab(write_lab(folder, files))


def _count_prior(spec: LabSpec) -> LogNormal:
    belief = spec.priors["fleet.x.count"].belief
    assert isinstance(belief, LogNormal)
    return belief


def _assert_lognormal_quantiles(s: Summary, mu: float, sigma: float, ess: float) -> None:
    """Each quantile against ``exp(mu + sigma z_p)``, within four Monte Carlo standard
    errors of a quantile from ``ess`` independent draws (on the log scale:
    ``sigma sqrt(p (1 - p) / ess) / phi(z_p)``)."""
    for p in PROBS:
        z = stats.norm.ppf(p)
        error = sigma * math.sqrt(p * (1 - p) / ess) / stats.norm.pdf(z)
        assert math.log(s.quantiles[p]) == pytest.approx(mu + sigma * z, abs=4 * error), p


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    spec = _lab(tmp_path_factory.mktemp("mixed") / "lab", MIXED)
    return assess(spec, "is", DRAWS, seed=5, with_drivers=False)


def test_prior_predictive_is_the_closed_form_lognormal(tmp_path: Path) -> None:
    """Under a lognormal prior (mu, s0), a point claim with noise s1 is predicted to read
    lognormal with sd sqrt(s0^2 + s1^2)."""
    claim = {
        "id": "c",
        "quantity": "fleet.x.count",
        "value": 5000,
        "unit": "GPU",
        "use": "check",
        "noise": 0.3,
    }
    spec = _lab(tmp_path / "lab", [claim])
    prior = _count_prior(spec)
    result = assess(spec, "is", DRAWS, seed=1, with_drivers=False)
    (row,) = claim_rows(result.estimate, result.verdicts)
    sigma = math.hypot(prior.sigma, 0.3)
    _assert_lognormal_quantiles(row.prior, prior.mu, sigma, DRAWS)
    # With no evidence, the claim is judged against the prior itself.
    _assert_lognormal_quantiles(row.basis, prior.mu, sigma, DRAWS)


def test_leave_one_out_predictive_is_the_conjugate_posterior(tmp_path: Path) -> None:
    """With two exact lognormal claims, the predictive of one given the other is the
    conjugate posterior's lognormal widened by the claim's noise."""
    claims = [
        {"id": "a", "quantity": "fleet.x.count", "value": 3000, "unit": "GPU"},
        {"id": "b", "quantity": "fleet.x.count", "value": 6000, "unit": "GPU"},
    ]
    for claim in claims:
        claim.update(noise=0.25, reliability=1.0)
    spec = _lab(tmp_path / "lab", claims)
    prior = _count_prior(spec)
    result = assess(spec, "is", DRAWS, seed=3, with_drivers=False)
    for judged, other in (("a", 6000), ("b", 3000)):
        precision = 1 / prior.sigma**2 + 1 / 0.25**2
        mean = (prior.mu / prior.sigma**2 + math.log(other) / 0.25**2) / precision
        spread = math.sqrt(1 / precision + 0.25**2)
        predictive = result.verdict(judged).predictive
        assert predictive is not None
        _assert_lognormal_quantiles(predictive, mean, spread, predictive.ess)


def test_the_figure_has_one_row_per_claim(mixed: Assessment) -> None:
    rows = claim_rows(mixed.estimate, mixed.verdicts)
    assert [r.verdict.claim.id for r in rows] == [v.claim.id for v in mixed.verdicts]
    for row in rows:
        for s in (row.prior, row.basis):
            assert s.ci90[0] <= s.ci50[0] <= s.ci50[1] <= s.ci90[1]
    figure = predictive_figure(rows)
    labels = [t.get_text() for axis in figure.axes for t in axis.get_yticklabels()]
    assert sorted(labels) == sorted(v.claim.id for v in mixed.verdicts)
    # One panel per unit: the GPU count's claims and the spend's.
    assert len(figure.axes) == 2
    rendered = render("predictive", "title", figure)
    assert rendered.svg.startswith("<svg")
    assert rendered.png.startswith(b"\x89PNG")


def test_loo_pit_values_lie_in_the_unit_interval(mixed: Assessment) -> None:
    pits = {p.claim_id: p for p in loo_pit(mixed.verdicts, seed=0)}
    # Every original claim once, as the tally counts them; the relay repeats its original.
    assert len(pits) == tally(mixed.verdicts).judged
    assert "echo" not in pits
    for v in mixed.verdicts:
        if v.claim.id not in pits:
            continue
        p = pits[v.claim.id]
        assert 0.0 <= p.low <= p.value <= p.high <= 1.0
        if v.claim.kind == "point":
            assert p.value == v.percentile
            assert not p.randomized
        else:
            assert p.randomized
    assert pits["floor"].high == 1.0
    assert pits["ceiling"].low == 0.0
    holds = mixed.verdict("box").bound_holds
    assert holds is not None
    assert pits["box"].high - pits["box"].low == pytest.approx(holds)
    # The same seed draws the same values.
    assert loo_pit(mixed.verdicts, seed=0) == loo_pit(mixed.verdicts, seed=0)


def test_the_band_is_arviz_simultaneous_band() -> None:
    from arviz_stats.ecdf_utils import ecdf_pit

    values = np.random.default_rng(7).uniform(size=25)
    band = pit_band(values, seed=3)
    x, ecdf, lower, upper = ecdf_pit(values, band.prob, 1000, rng=np.random.default_rng(3))
    for ours, theirs in ((band.x, x), (band.ecdf, ecdf), (band.lower, lower), (band.upper, upper)):
        np.testing.assert_array_equal(ours, theirs)
    assert band.x[0] == 0.0
    assert band.x[-1] == 1.0
    assert np.all(band.lower <= band.upper)
    # A simultaneous band is wider than the pointwise binomial band of the same level.
    middle = len(values) // 2
    pointwise = stats.binom(len(values), band.x[middle]).ppf(0.975) / len(values)
    assert band.upper[middle] >= pointwise


def test_the_loo_pit_figure_renders(mixed: Assessment) -> None:
    rendered = render("loo_pit", "title", loo_pit_figure(mixed.verdicts, seed=0))
    assert rendered.svg.startswith("<svg")


def test_a_verdict_past_the_khat_limit_is_marked_not_trusted(mixed: Assessment) -> None:
    judged = mixed.verdict("point")
    shaky = dataclasses.replace(judged, khat=0.85, refit=False)
    refitted = dataclasses.replace(judged, khat=0.85, refit=True)
    unknown = dataclasses.replace(judged, khat=math.nan, refit=False)
    assert not shaky.trusted
    assert refitted.trusted
    assert not unknown.trusted
    assert dataclasses.replace(judged, khat=0.65).trusted
    others = tuple(v for v in mixed.verdicts if v.claim.id != "point")
    marked = dataclasses.replace(mixed, verdicts=(shaky, *others))

    console = Console(file=io.StringIO(), width=160, record=True)
    print_verdicts(marked, console)
    text = console.export_text()
    assert "not trusted" in text
    assert "0.85" in text

    rows = {r["id"]: r for r in context(marked, [])["verdicts"]}
    assert rows["point"]["khat"] == "0.85"
    assert not rows["point"]["trusted"]
    assert rows["floor"]["trusted"]
    again = context(dataclasses.replace(mixed, verdicts=(refitted, *others)), [])
    assert again["verdicts"][0]["khat"] == "0.85, refitted exactly"

    claims = {c["id"]: c for c in summary_document(marked)["claims"]}
    assert claims["point"]["loo_khat"] == 0.85
    assert claims["point"]["trusted"] is False
    assert claims["floor"]["trusted"] is True


def test_the_figure_marks_an_untrusted_row(mixed: Assessment) -> None:
    shaky = dataclasses.replace(mixed.verdict("point"), khat=0.85, refit=False)
    rows = claim_rows(mixed.estimate, [shaky])
    labels = [t.get_text() for t in predictive_figure(rows).axes[0].get_yticklabels()]
    assert labels == ["point (k-hat 0.85)"]


def test_a_linear_claim_is_predicted_and_drawn_on_the_natural_scale(mixed: Assessment) -> None:
    """A claim on a quantity that can be negative reads it plus noise relative to the
    claim's largest end: normal draws give a normal predictive with the variances added."""
    judged = mixed.verdict("spend")
    claim = dataclasses.replace(judged.claim, value=-5e7, linear=True)
    quantity = np.random.default_rng(11).normal(1e8, 2e8, DRAWS)
    s = predictive_summary(claim, quantity, None, seed=2)
    sigma = math.hypot(2e8, claim.noise * 5e7)
    for p in PROBS:
        z = stats.norm.ppf(p)
        error = sigma * math.sqrt(p * (1 - p) / DRAWS) / stats.norm.pdf(z)
        assert s.quantiles[p] == pytest.approx(1e8 + sigma * z, abs=4 * error), p
    row = ClaimRow(dataclasses.replace(judged, claim=claim), "USD", s, s)
    (axis,) = predictive_figure([row]).axes
    assert axis.get_xscale() == "linear"
    assert axis.get_xlim()[0] < -5e7
