"""The squigglepy re-implementation of the DeepSeek lab (benchmarks/squiggle.py) and the
estimator's own Monte Carlo represent the same prior: their quantiles agree within Monte
Carlo error, and the squigglepy draws carry the stated rank correlations."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from benchmarks.squiggle import Method, draw_inputs, squigglepy_quantities
from estimator.inference.forward import simulate, summarize_draws
from estimator.inference.summaries import Summary, summarize
from estimator.spec.lab import LabSpec

# ~4.5 s in all, most of it squigglepy's Iman-Conover sorting.
pytestmark = pytest.mark.slow

DRAWS = 2**17
METHODS: tuple[Method, ...] = ("iman-conover", "cholesky")
REQUIRED = (
    "spend.total",
    "opex.total",
    "capex.hardware",
    "gpu_spend",
    "runs.v3.rental_cost",
    "cost.amortized",
)
# Each comparison's difference over its combined standard error is about N(0, 1) when the
# two agree, so |z| > 4 has probability ~6e-5; over the ~60 comparisons of a method that is
# < 0.5% of spurious failure (and the seeds are fixed, so a pass stays a pass). The
# standard errors here are 0.1-0.2% of each quantile, so 4 of them still flag a bias of
# about 1% (test_agreement_detects_a_small_bias shows a 2% one is caught).
LIMIT = 4.0


@pytest.fixture(scope="module")
def ours(deepseek: LabSpec) -> dict[str, Summary]:
    """The estimator's summaries at ``DRAWS`` draws, seed 0."""
    return summarize_draws(deepseek, simulate(deepseek, DRAWS, seed=0))


@pytest.fixture(scope="module", params=METHODS)
def theirs(request: pytest.FixtureRequest, deepseek: LabSpec) -> dict[str, Summary]:
    """Summaries of the squigglepy draws at ``DRAWS`` draws, seed 0, for each method."""
    values = squigglepy_quantities(deepseek, DRAWS, seed=0, method=request.param)
    return {name: summarize(name, "USD", x, DRAWS) for name, x in values.items()}


def z_scores(ours: dict[str, Summary], theirs: dict[str, Summary]) -> dict[str, float]:
    """Difference of each quantile over its combined MC standard error, keyed ``name@p``."""
    out = {}
    for name, summary in theirs.items():
        mine = ours[name]
        for p, value in summary.quantiles.items():
            se = math.hypot(summary.quantile_mcse[p], mine.quantile_mcse[p])
            out[f"{name}@{p}"] = (value - mine.quantiles[p]) / se
    return out


def test_quantiles_agree(ours: dict[str, Summary], theirs: dict[str, Summary]) -> None:
    assert set(REQUIRED) <= set(theirs)
    z = z_scores(ours, theirs)
    assert len(z) == 5 * len(theirs)
    off = {k: round(v, 2) for k, v in z.items() if abs(v) > LIMIT}
    assert not off, f"quantiles further apart than {LIMIT} combined MC standard errors: {off}"


def test_agreement_detects_a_small_bias(
    ours: dict[str, Summary], theirs: dict[str, Summary]
) -> None:
    """The check has power: the headline off by 2% fails it."""
    headline = theirs["spend.total"]
    shifted = {p: 1.02 * q for p, q in headline.quantiles.items()}
    biased = {"spend.total": dataclasses.replace(headline, quantiles=shifted)}
    assert max(abs(v) for v in z_scores(ours, biased).values()) > LIMIT


@pytest.mark.parametrize("method", METHODS)
def test_rank_correlations(deepseek: LabSpec, method: Method) -> None:
    """The stated Spearman correlations are realised (sq.correlate given the rank matrix
    itself would give 0.582 for 0.6 and -0.287 for -0.3, outside the tolerance)."""
    correlation = deepseek.correlation
    assert correlation is not None
    inputs = draw_inputs(deepseek, DRAWS, seed=1, method=method)
    sample = np.column_stack([inputs[name] for name in correlation.names])
    realised = stats.spearmanr(sample).statistic
    # Sampling SE of a Spearman coefficient here is <= 1/sqrt(DRAWS) ~ 0.003.
    np.testing.assert_allclose(realised, correlation.rank, atol=0.01)
