"""Our PSIS against ArviZ's: the same weights and k-hat on the inputs the quick path meets."""

from __future__ import annotations

import numpy as np
import pytest
from arviz_stats.base import array_stats

from estimator.inference.psis import psislw, tail_size


def _ratios(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":  # a well-behaved posterior: light tail
        return rng.normal(0.0, 1.0, n)
    if kind == "heavy":  # a sharp claim against a broad prior: heavy tail
        return -0.5 * ((rng.normal(0.0, 1.0, n) - 2.5) / 0.05) ** 2
    if kind == "student":
        return 3.0 * np.log1p(np.abs(rng.standard_t(2.0, n)))
    return rng.exponential(1.0, n) * 5.0  # "exponential": k-hat above 0.7


@pytest.mark.parametrize("kind", ["normal", "heavy", "student", "exponential"])
@pytest.mark.parametrize("n", [200, 4_000, 65_536])
def test_psis_matches_arviz(kind: str, n: int) -> None:
    ratios = _ratios(kind, n, seed=n)
    ours, khat = psislw(ratios)
    theirs, their_khat = array_stats.psislw(-ratios, r_eff=1.0)
    assert khat == pytest.approx(float(their_khat), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-12, atol=1e-12)


def test_psis_weights_are_normalised_and_k_hat_sees_a_heavy_tail() -> None:
    light, light_k = psislw(_ratios("normal", 10_000, 1))
    heavy, heavy_k = psislw(_ratios("exponential", 10_000, 1))
    assert np.exp(light).sum() == pytest.approx(1.0, rel=1e-12)
    assert np.exp(heavy).sum() == pytest.approx(1.0, rel=1e-12)
    assert light_k < 0.5 < 0.7 < heavy_k


def test_psis_refuses_what_arviz_refuses() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        psislw(np.arange(20.0))
    flat = np.zeros(1000)
    flat[:10] = -1.0
    with pytest.raises(ValueError, match="same"):
        psislw(flat)


def test_tail_size_follows_the_paper() -> None:
    assert tail_size(10_000) == 300  # 3 sqrt(S)
    assert tail_size(200) == 40  # S / 5 for small S
