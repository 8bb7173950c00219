"""Forward Monte Carlo: seeding, chunking, exact streaming summaries, closed-form oracles
and honest Monte Carlo errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from estimator.inference.chunks import evaluate_chunk, map_chunks
from estimator.inference.forward import DEFAULT_DRAWS, forward_summaries, simulate, summarize_draws
from estimator.inference.streaming import streaming_summaries
from estimator.inference.summaries import Binning, order_statistics, summarize
from estimator.inference.threads import default_workers
from estimator.model.distributions import LogNormal
from estimator.spec.lab import LabSpec


def test_same_seed_same_draws_other_seed_other_draws(toy_spec: LabSpec) -> None:
    a = simulate(toy_spec, 5000, seed=11, chunk_size=1024)
    b = simulate(toy_spec, 5000, seed=11, chunk_size=1024)
    c = simulate(toy_spec, 5000, seed=12, chunk_size=1024)
    np.testing.assert_array_equal(a["spend.total"], b["spend.total"])
    assert not np.array_equal(a["spend.total"], c["spend.total"])


def test_each_chunk_can_be_regenerated_alone(toy_spec: LabSpec) -> None:
    whole = simulate(toy_spec, 3000, seed=5, chunk_size=1000)
    third = evaluate_chunk(toy_spec, 5, 2, 1000)
    np.testing.assert_array_equal(whole["spend.total"][2000:], third["spend.total"])


def test_draws_are_prefix_stable(toy_spec: LabSpec) -> None:
    """Asking for more draws extends the sample rather than changing it."""
    small = simulate(toy_spec, 2048, seed=9, chunk_size=1024)
    large = simulate(toy_spec, 4096, seed=9, chunk_size=1024)
    np.testing.assert_array_equal(small["opex.total"], large["opex.total"][:2048])


def test_streaming_summary_equals_in_memory(toy_spec: LabSpec) -> None:
    draws, seed, chunk = 10_000, 4, 1536
    exact = summarize_draws(toy_spec, simulate(toy_spec, draws, seed, chunk))
    streamed = streaming_summaries(toy_spec, draws, seed, chunk)
    assert set(streamed) == set(exact)
    for name, s in exact.items():
        assert streamed[name].quantiles == s.quantiles, name
        assert streamed[name].quantile_mcse == s.quantile_mcse, name
        assert streamed[name].mean == pytest.approx(s.mean, rel=1e-10, abs=1e-12), name
        assert streamed[name].sd == pytest.approx(s.sd, rel=1e-6, abs=1e-12), name


def test_seeded_regression(toy_spec: LabSpec) -> None:
    s = summarize_draws(toy_spec, simulate(toy_spec, 2**14, 123, chunk_size=2**12))
    total = s["spend.total"]
    assert total.median == pytest.approx(139735747.96659374, rel=1e-9)
    assert total.ci90 == pytest.approx((72594188.15495703, 267085832.81765625), rel=1e-9)
    assert total.mean == pytest.approx(151150151.550377, rel=1e-9)


def _lognormal_product(spec: LabSpec, a: str, b: str) -> LogNormal:
    x, y = spec.priors[a].belief, spec.priors[b].belief
    assert isinstance(x, LogNormal)
    assert isinstance(y, LogNormal)
    return LogNormal(x.mu + y.mu, math.hypot(x.sigma, y.sigma))


@pytest.mark.parametrize(
    ("product", "a", "b"),
    [
        ("runs.big.rental_cost", "runs.big.gpu_hours", "runs.big.rental_price"),
        ("fleet.gpu_a.gpu_spend", "fleet.gpu_a.count", "fleet.gpu_a.unit_price"),
    ],
)
def test_product_of_lognormals_is_lognormal(
    toy_spec: LabSpec, product: str, a: str, b: str
) -> None:
    """Closed-form oracle: quantiles agree with the exact lognormal within 4 MC errors."""
    exact = _lognormal_product(toy_spec, a, b)
    summary = summarize_draws(toy_spec, simulate(toy_spec, 100_000, seed=2))[product]
    for p, value in summary.quantiles.items():
        truth = float(exact.ppf(p))
        assert abs(value - truth) < 4 * summary.quantile_mcse[p], (p, value, truth)
    truth_mean = exact.mean()
    assert abs(summary.mean - truth_mean) < 4 * summary.mean_mcse


def test_quantile_mcse_matches_the_spread_across_seeds() -> None:
    """The reported MC error of the 5%/50%/95% quantiles is the real seed-to-seed spread."""
    n, seeds = 4000, 60
    belief = LogNormal(0.0, 1.0)
    values = {p: [] for p in (0.05, 0.5, 0.95)}
    reported = {p: [] for p in values}
    for seed in range(seeds):
        summary = summarize("x", "", belief.sample(np.random.default_rng(seed), n), n)
        for p in values:
            values[p].append(summary.quantiles[p])
            reported[p].append(summary.quantile_mcse[p])
    for p in values:
        ratio = np.std(values[p], ddof=1) / np.mean(reported[p])
        # The sd of 60 values is known to ~9% (1 / sqrt(2 * 59)); allow 3.5 of those.
        assert 0.68 < ratio < 1.32, (p, ratio)
    truth = stats.lognorm(s=1.0).ppf(0.95)
    assert abs(np.mean(values[0.95]) - truth) < 4 * np.mean(reported[0.95]) / math.sqrt(seeds)


def test_default_draws_bring_the_headline_mc_error_under_one_percent(
    deepseek: LabSpec,
) -> None:
    total = forward_summaries(deepseek, DEFAULT_DRAWS, seed=0)["spend.total"]
    assert total.relative_mcse(0.05) < 0.01
    assert total.relative_mcse(0.95) < 0.01


def test_fixed_inputs_give_constant_quantities(toy_spec: LabSpec) -> None:
    result = summarize_draws(toy_spec, simulate(toy_spec, 2000, seed=1))
    power = result["fleet.gpu_a.power"]
    assert set(power.quantiles.values()) == {1.0}
    assert set(power.quantile_mcse.values()) == {0.0}


@pytest.mark.parametrize("workers", [1, 3])
def test_threads_do_not_change_the_draws(toy_spec: LabSpec, workers: int) -> None:
    """Chunks run on threads but come back in order with their own generators."""
    serial = [c["spend.total"] for c in map_chunks(toy_spec, 5000, 3, dict, 512, workers=1)]
    threaded = [c["spend.total"] for c in map_chunks(toy_spec, 5000, 3, dict, 512, workers=workers)]
    np.testing.assert_array_equal(np.concatenate(serial), np.concatenate(threaded))
    whole = simulate(toy_spec, 5000, seed=3, chunk_size=512)
    np.testing.assert_array_equal(whole["spend.total"], np.concatenate(threaded))


def test_thread_count_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTIMATOR_THREADS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("ESTIMATOR_THREADS", "zero")
    assert default_workers() >= 1


@pytest.mark.parametrize("center", [-5.0, 0.0, 3.0])
def test_bin_value_ranges_hold_every_value_of_their_bins(center: float) -> None:
    """The streaming pass sieves by value before re-binning: no value may be sieved out."""
    rng = np.random.default_rng(8)
    first = rng.normal(center, 2.0, 4096) * 10.0 ** rng.integers(-3, 4, 4096)
    binning = Binning(first)
    x = np.concatenate([first, rng.normal(center, 50.0, 20000), [0.0, -0.0]])
    index = binning.index(x)
    for low_bin, high_bin in [(0, 0), (1, 3), (700, 700), (2040, binning.bins + 1)]:
        low, high = binning.value_range(low_bin, high_bin)
        inside = x[(index >= low_bin) & (index <= high_bin)]
        assert np.all((inside >= low) & (inside <= high)), (low_bin, high_bin)


@given(
    first=st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=50),
    rest=st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=200),
)
@example(first=[0.0], rest=[-0.0])  # equal values, one bin, whatever the sign of zero
@example(first=[-0.0, 5e-324], rest=[-5e-324, 0.0, -math.inf, math.inf])
@settings(max_examples=200, deadline=None)
def test_bins_rise_with_the_value(first: list[float], rest: list[float]) -> None:
    """Any floats, of either sign, zero, huge or infinite: a larger value never falls in a
    lower bin, every bin is within range, and each value is inside its bin's range."""
    binning = Binning(np.array(first))
    x = np.sort(np.array(first + rest))
    index = binning.index(x)
    assert np.all(np.diff(index) >= 0)
    assert index.min() >= 0
    assert index.max() <= binning.bins + 1
    for value, b in zip(x, index, strict=True):
        low, high = binning.value_range(int(b), int(b))
        assert low <= value <= high


@pytest.mark.parametrize("kind", ["lognormal", "ties", "mixed_sign"])
def test_binned_order_statistics_equal_a_full_sort(kind: str) -> None:
    rng = np.random.default_rng(12)
    x = {
        "lognormal": rng.lognormal(3.0, 2.0, 300_001),
        "ties": np.round(rng.normal(0.0, 1.0, 300_001), 1),
        "mixed_sign": rng.normal(0.5, 3.0, 300_001) ** 3,
    }[kind]
    ranks = [0, 1, 15_000, 15_001, 150_000, 284_999, 300_000]
    exact = np.sort(x)
    assert order_statistics(x, ranks) == {r: float(exact[r]) for r in ranks}


def test_streaming_with_many_bins_is_still_exact(
    toy_spec: LabSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long runs use finer bins (memory stays flat); the numbers must not change."""
    import estimator.inference.streaming

    monkeypatch.setattr(estimator.inference.streaming, "DRAWS_PER_BIN", 1)
    assert estimator.inference.streaming.bins_for(30_000) == 30_000
    exact = summarize_draws(toy_spec, simulate(toy_spec, 30_000, 6, 4096))
    streamed = streaming_summaries(toy_spec, 30_000, 6, 4096)
    for name, s in exact.items():
        assert streamed[name].quantiles == s.quantiles, name
