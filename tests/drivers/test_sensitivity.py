"""Sensitivity analyses: Sobol' indices against closed forms (Ishigami, additive and
correlated normals, a product of lognormals), the tornado against hand computation, the
delta index on a posterior, and the figures.

Sobol' tolerances are SALib's own 95% bootstrap half-widths, with no slack: the analytic
value must lie inside each reported interval.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats

from estimator.drivers.common import DUMMY_INPUT, derived_seed
from estimator.drivers.delta import delta_indices
from estimator.drivers.sobol import (
    Factor,
    SobolResult,
    SobolRow,
    independent_factor,
    lab_factors,
    sobol_analysis,
    sobol_factors,
    sobol_indices,
)
from estimator.drivers.tornado import tornado
from estimator.inference.estimation import Estimate, estimate
from estimator.model.distributions import LogNormal
from estimator.model.quantities import UnknownQuantityError
from estimator.report.driver_figures import sobol_figure, tornado_figure
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, TOY_LAB, claims_toml, write_lab

COUNT, PRICE = "fleet.x.count", "fleet.x.unit_price"


def assert_within(row: SobolRow, s1: float, st: float) -> None:
    """The analytic indices lie inside the reported 95% intervals."""
    assert abs(row.S1 - s1) <= row.S1_conf, (row, s1)
    assert abs(row.ST - st) <= row.ST_conf, (row, st)


# ---------------------------------------------------------------------------------------
# The generic estimator on functions with known indices
# ---------------------------------------------------------------------------------------


def ishigami(x: Mapping[str, np.ndarray], a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.asarray(
        np.sin(x["x1"]) + a * np.sin(x["x2"]) ** 2 + b * x["x3"] ** 4 * np.sin(x["x1"])
    )


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, float]]:
    """Closed-form first- and total-order indices of the Ishigami function."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = 8 * b**2 * pi**8 / 225
    total = v1 + v2 + v13
    return {"x1": (v1 / total, (v1 + v13) / total), "x2": (v2 / total, v2 / total)} | {
        "x3": (0.0, v13 / total)
    }


def test_ishigami_indices_match_the_closed_form() -> None:
    exact = ishigami_indices()
    assert exact["x1"][0] == pytest.approx(0.3139, abs=1e-4)
    assert exact["x1"][1] == pytest.approx(0.5576, abs=1e-4)
    assert exact["x2"][0] == pytest.approx(0.4424, abs=1e-4)
    assert exact["x3"][1] == pytest.approx(0.2437, abs=1e-4)
    uniform = stats.uniform(-math.pi, 2 * math.pi)
    result = sobol_analysis(
        ishigami,
        {name: uniform.ppf for name in ("x1", "x2", "x3")},
        quantity="ishigami",
        base_samples=2**14,
        seed=0,
    )
    assert result.evaluations == 2**14 * 5
    for name, (s1, st) in exact.items():
        assert_within(result.row(name), s1, st)
    assert [r.input for r in result.rows] == ["x1", "x2", "x3"]


def test_additive_normals_indices_are_variance_shares() -> None:
    coefficients = {"a": 1.0, "b": -2.0, "c": 0.5}
    spreads = {"a": 1.0, "b": 0.7, "c": 3.0}
    means = {"a": 5.0, "b": -1.0, "c": 0.0}

    def linear(x: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(sum(coefficients[n] * x[n] for n in coefficients))

    ppfs = {n: stats.norm(means[n], spreads[n]).ppf for n in coefficients}
    result = sobol_analysis(linear, ppfs, base_samples=2**13, seed=7)
    variances = {n: (coefficients[n] * spreads[n]) ** 2 for n in coefficients}
    total = sum(variances.values())
    for name, variance in variances.items():
        assert_within(result.row(name), variance / total, variance / total)


def test_correlated_inputs_form_one_factor() -> None:
    """y = x1 + x2 + x3 with (x1, x2) standard bivariate normal of correlation rho: the
    group's share of Var(y) is (2 + 2 rho) / (2 + 2 rho + s3^2), alone or in total."""
    rho, s3 = 0.6, 1.5
    cholesky = np.linalg.cholesky(np.array([[1.0, rho], [rho, 1.0]]))

    def pair(u: np.ndarray) -> dict[str, np.ndarray]:
        z = stats.norm.ppf(u) @ cholesky.T
        return {"x1": z[:, 0], "x2": z[:, 1]}

    factors = [Factor(("x1", "x2"), pair), independent_factor("x3", stats.norm(0, s3).ppf)]
    result = sobol_factors(
        lambda x: np.asarray(x["x1"] + x["x2"] + x["x3"]), factors, base_samples=2**13, seed=2
    )
    share = (2 + 2 * rho) / (2 + 2 * rho + s3**2)
    group = result.row("x1 & x2")
    assert group.group == ("x1", "x2")
    assert_within(group, share, share)
    assert_within(result.row("x3"), 1 - share, 1 - share)
    assert result.evaluations == 2**13 * 4


@pytest.mark.parametrize("grouped", [False, True])
def test_same_numbers_as_salib(grouped: bool) -> None:
    """Our vectorised design and estimators against SALib's own sample and analyze, on
    the same scrambled sequence and bootstrap seed: equal to rounding."""
    from SALib.analyze import sobol as salib_analyze
    from SALib.sample import sobol as salib_sample

    def ishigami(x: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(
            np.sin(x["a"]) + 7 * np.sin(x["b"]) ** 2 + 0.1 * x["c"] ** 4 * np.sin(x["a"])
        )

    spread = stats.uniform(-np.pi, 2 * np.pi).ppf
    if grouped:

        def pair(u: np.ndarray) -> dict[str, np.ndarray]:
            return {"a": spread(u[:, 0]), "b": spread(u[:, 1])}

        factors = [Factor(("a", "b"), pair), independent_factor("c", spread)]
    else:
        factors = [independent_factor(n, spread) for n in "abc"]
    n, seed = 2**9, 5
    ours = sobol_factors(ishigami, factors, base_samples=n, seed=seed, num_resamples=50)

    problem: dict[str, object] = {"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3}
    if grouped:
        problem["groups"] = ["a & b", "a & b", "c"]
    design_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    units = salib_sample.sample(problem, n, calc_second_order=False, seed=design_rng)
    units = np.clip(units, 1e-12, 1 - 1e-12)
    outputs = ishigami({name: spread(units[:, k]) for k, name in enumerate("abc")})
    theirs = salib_analyze.analyze(
        problem, outputs, calc_second_order=False, num_resamples=50, seed=derived_seed(seed, 1)
    )
    for j, factor in enumerate(factors):
        row = ours.row(factor.label)
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            assert getattr(row, key) == pytest.approx(theirs[key][j], rel=1e-9, abs=1e-12), key


def test_bad_designs_are_refused() -> None:
    ppfs = {"x": stats.norm.ppf}
    with pytest.raises(ValueError, match="power of two"):
        sobol_analysis(lambda x: x["x"], ppfs, base_samples=1000)
    with pytest.raises(ValueError, match="does not vary"):
        sobol_analysis(lambda x: np.zeros(len(x["x"])), ppfs, base_samples=2**6)
    with pytest.raises(ValueError, match="no uncertain inputs"):
        sobol_analysis(lambda x: np.zeros(1), {}, base_samples=2**6)


# ---------------------------------------------------------------------------------------
# Sobol' indices of a lab
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "r", REDUCED_LAB))


def lognormal_product_indices(sc: float, sp: float) -> tuple[float, float, float]:
    """S1 of C, S1 of P and S_CP for Y = C P, C and P independent lognormals."""
    total = math.expm1(sc**2 + sp**2)
    s1_c, s1_p = math.expm1(sc**2) / total, math.expm1(sp**2) / total
    return s1_c, s1_p, 1.0 - s1_c - s1_p


def test_reduced_lab_chip_spend_matches_the_lognormal_product(reduced: LabSpec) -> None:
    count, price = reduced.priors[COUNT].belief, reduced.priors[PRICE].belief
    assert isinstance(count, LogNormal)
    assert isinstance(price, LogNormal)
    result = sobol_indices(reduced, "gpu_spend", base_samples=2**14, seed=0)
    assert {r.input for r in result.rows} == {COUNT, PRICE}
    s1_c, s1_p, s_cp = lognormal_product_indices(count.sigma, price.sigma)
    assert_within(result.row(COUNT), s1_c, s1_c + s_cp)
    assert_within(result.row(PRICE), s1_p, s1_p + s_cp)
    # The ranking follows the shares of the log-variance.
    log_shares = {COUNT: count.sigma**2, PRICE: price.sigma**2}
    assert [r.input for r in result.rows] == sorted(log_shares, key=lambda n: -log_shares[n])


def test_reduced_lab_total_spend_is_explained_by_its_two_inputs(reduced: LabSpec) -> None:
    result = sobol_indices(reduced, base_samples=2**14, seed=3)
    assert {r.input for r in result.rows} == {COUNT, PRICE}
    c, p = result.row(COUNT), result.row(PRICE)
    # With two inputs S1_c + S1_p + S_cp = 1 and ST_p = S1_p + S_cp, so S1_c + ST_p = 1
    # (and symmetrically): the two inputs explain all the variance, nothing else does.
    assert abs(c.S1 + p.ST - 1) <= c.S1_conf + p.ST_conf
    assert abs(p.S1 + c.ST - 1) <= p.S1_conf + c.ST_conf
    assert 1 - c.ST_conf - p.ST_conf <= c.ST + p.ST
    again = sobol_indices(reduced, base_samples=2**14, seed=3)
    assert again == result
    text = json.dumps(result.to_dict())
    assert json.loads(text)["rows"][0]["input"] == COUNT


def test_inputs_a_quantity_does_not_use_have_zero_indices(toy_spec: LabSpec) -> None:
    result = sobol_indices(toy_spec, "gpu_spend", base_samples=2**10, seed=1)
    used = {f"fleet.gpu_{t}.{s}" for t in "ab" for s in ("count", "unit_price")}
    assert len(result.rows) > len(used)
    for row in result.rows:
        if row.input in used:
            assert row.ST > 0.01
        else:
            # A column the function ignores gives identical outputs when exchanged, so
            # the estimators are exactly zero (the model sees the same row twice).
            assert row.S1 == 0.0
            assert row.ST == 0.0


def test_unknown_quantity_is_refused(reduced: LabSpec) -> None:
    with pytest.raises(UnknownQuantityError):
        sobol_indices(reduced, "gpu_spnd", base_samples=2**4)
    with pytest.raises(UnknownQuantityError):
        tornado(reduced, "gpu_spnd")


CORRELATED = """
[[correlations]]
inputs = ["fleet.x.count", "fleet.x.unit_price"]
rank = -0.5
source = "test"
"""


def test_correlated_lab_inputs_are_one_factor(tmp_path: Path) -> None:
    files = dict(REDUCED_LAB)
    files["correlations.toml"] = CORRELATED
    spec = load_lab(write_lab(tmp_path / "c", files))
    (factor,) = lab_factors(spec)
    assert factor.inputs == (COUNT, PRICE)
    # The factor's copula realises the stated rank correlation; the standard error of
    # a sample Spearman coefficient is below 1 / sqrt(n), so allow four of them.
    n = 2**14
    u = np.random.default_rng(0).random((n, 2))
    values = factor.transform(u)
    rho = stats.spearmanr(values[COUNT], values[PRICE]).statistic
    assert abs(rho - -0.5) < 4 / math.sqrt(n)
    # Margins are kept: the median of each input is its belief's median.
    for name in (COUNT, PRICE):
        median = float(spec.priors[name].belief.ppf(0.5))
        assert np.median(values[name]) == pytest.approx(median, rel=0.05)
    result = sobol_indices(spec, "gpu_spend", base_samples=2**12, seed=0)
    (row,) = result.rows
    assert row.input == f"{COUNT} & {PRICE}"
    assert row.group == (COUNT, PRICE)
    assert_within(row, 1.0, 1.0)


def test_chained_correlations_make_one_group(tmp_path: Path) -> None:
    text = "\n".join(
        f'[[correlations]]\ninputs = ["{a}", "{b}"]\nrank = 0.3\nsource = "test"\n'
        for a, b in [
            ("fleet.gpu_a.unit_price", "fleet.gpu_b.unit_price"),
            ("fleet.gpu_b.unit_price", "energy.price"),
            ("staff.pay", "other.cost"),
        ]
    )
    files = dict(TOY_LAB)
    files["correlations.toml"] = text
    spec = load_lab(write_lab(tmp_path / "t", files))
    groups = [f.inputs for f in lab_factors(spec) if len(f.inputs) > 1]
    assert groups == [
        ("energy.price", "fleet.gpu_a.unit_price", "fleet.gpu_b.unit_price"),
        ("staff.pay", "other.cost"),
    ]
    singles = [f.inputs[0] for f in lab_factors(spec) if len(f.inputs) == 1]
    assert len(singles) + 5 == len(spec.stochastic_inputs)


# ---------------------------------------------------------------------------------------
# Tornado
# ---------------------------------------------------------------------------------------


def test_tornado_of_chip_spend_by_hand(reduced: LabSpec) -> None:
    # Both inputs are lognormals stated as 90% intervals: 5% and 95% quantiles are the
    # interval's ends, the median their geometric mean.
    count_low, count_high = 2000.0, 8000.0
    price_low, price_high = 20e3, 40e3
    count_median = math.sqrt(count_low * count_high)
    price_median = math.sqrt(price_low * price_high)
    bars = tornado(reduced, "gpu_spend")
    assert [b.input for b in bars] == [COUNT, PRICE]
    count_bar, price_bar = bars
    assert count_bar.low_value == pytest.approx(count_low, rel=1e-9)
    assert count_bar.high_value == pytest.approx(count_high, rel=1e-9)
    assert count_bar.output_low == pytest.approx(count_low * price_median, rel=1e-9)
    assert count_bar.output_high == pytest.approx(count_high * price_median, rel=1e-9)
    assert count_bar.swing == pytest.approx((count_high - count_low) * price_median, rel=1e-9)
    assert price_bar.output_low == pytest.approx(price_low * count_median, rel=1e-9)
    assert price_bar.output_high == pytest.approx(price_high * count_median, rel=1e-9)
    assert price_bar.swing == pytest.approx((price_high - price_low) * count_median, rel=1e-9)
    for bar in bars:
        assert bar.base == pytest.approx(count_median * price_median, rel=1e-9)
        assert bar.to_dict()["swing"] == bar.swing


def test_tornado_follows_the_quantiles_of_any_belief(toy_spec: LabSpec) -> None:
    bars = tornado(toy_spec)
    assert len(bars) == len(toy_spec.stochastic_inputs)
    swings = [b.swing for b in bars]
    assert swings == sorted(swings, reverse=True)
    z = NormalDist().inv_cdf(0.95)
    pue = next(b for b in bars if b.input == "energy.pue")
    assert pue.high_value == pytest.approx(1.3 + 0.05 * z, rel=1e-9)
    assert pue.low_value == pytest.approx(1.3 - 0.05 * z, rel=1e-9)


# ---------------------------------------------------------------------------------------
# Delta indices on a posterior
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def posterior(tmp_path_factory: pytest.TempPathFactory) -> Estimate:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml({"id": "chips", "quantity": "gpu_spend", "value": 2e8})
    spec = load_lab(write_lab(tmp_path_factory.mktemp("labs") / "claimed", files))
    return estimate(spec, "is", draws=2**15, seed=1)


def test_delta_indices_on_a_posterior(posterior: Estimate) -> None:
    assert posterior.sample_weights is not None
    global_state = np.random.get_state()  # noqa: NPY002
    filters = list(warnings.filters)
    result = delta_indices(posterior, "gpu_spend", draws=1000, seed=5)
    # SALib's global generator and warning filters are left as they were.
    assert np.array_equal(np.random.get_state()[1], global_state[1])  # noqa: NPY002
    assert warnings.filters == filters
    assert sorted(r.input for r in result.rows) == [COUNT, PRICE]
    for row in (*result.rows, result.floor):
        assert 0.0 <= row.delta <= 1.0
        assert row.delta_conf > 0
    assert result.floor.input == DUMMY_INPUT
    assert [r.delta for r in result.rows] == sorted((r.delta for r in result.rows), reverse=True)
    # The count drives the chip spend far above the estimator's noise floor (the price's
    # smaller delta is, at 1000 draws, within reach of the floor).
    assert result.rows[0].input == COUNT
    assert result.above_floor(result.rows[0])
    assert result.draws == 1000
    assert result.method == "is"
    again = delta_indices(posterior, "gpu_spend", draws=1000, seed=5)
    assert again.to_dict() == result.to_dict()
    json.dumps(result.to_dict())


def test_posterior_sample_without_weights(reduced: LabSpec) -> None:
    prior_only = estimate(reduced, "is", draws=2**10, seed=0)
    assert prior_only.sample_weights is None
    index = prior_only.fit.sample(5, seed=0)
    assert index.tolist() == [0, 256, 512, 767, 1023]
    assert len(prior_only.fit.sample(2**11, seed=0)) == 2**10


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


def test_figures_have_a_bar_per_input_and_index(toy_spec: LabSpec) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    bars = tornado(toy_spec)
    figure = tornado_figure(bars, "USD", top=5, title="spend.total")
    (axis,) = figure.axes
    assert len(axis.patches) == 2 * 5
    assert axis.get_xscale() == "log"
    assert [t.get_text() for t in axis.get_yticklabels()][-1] == bars[0].input
    plt.close(figure)
    rows = tuple(SobolRow(f"x{i}", 0.1 * i, 0.01, 0.1 * i + 0.05, 0.02) for i in range(4))
    result = SobolResult("y", 2**10, 0, rows[::-1], 2**10 * 6)
    figure = sobol_figure(result, top=3)
    (axis,) = figure.axes
    assert len(axis.patches) == 2 * 3
    assert sum(isinstance(c, ErrorbarContainer) for c in axis.containers) == 2
    plt.close(figure)
