"""Correlated inputs: the realised rank correlation, identical in the Monte Carlo and the
PyMC model, and bad correlation specs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from estimator.cli import cli
from estimator.errors import SpecError
from estimator.inference.forward import simulate
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import TOY_LAB, write_lab

PAIRS = """
[[correlations]]
inputs = ["fleet.gpu_a.unit_price", "fleet.gpu_b.unit_price"]
rank = 0.7
source = "test"

[[correlations]]
inputs = ["energy.load", "fleet.gpu_b.in_service"]
rank = -0.5
source = "test"

[[correlations]]
inputs = ["staff.pay", "fleet.gpu_b.count"]
rank = 0.4
source = "test"
"""


def _lab(tmp_path: Path, text: str) -> Path:
    files = dict(TOY_LAB)
    # NUTS can't sample the toy lab's mixture with a fixed component: use an interval.
    files["costs.toml"] = "\n".join(
        'staff.headcount = { between = [50, 200], unit = "person", source = "test" }'
        if line.strip().startswith("staff.headcount")
        else line
        for line in TOY_LAB["costs.toml"].splitlines()
    )
    files["correlations.toml"] = text
    return write_lab(tmp_path / "lab", files)


@pytest.fixture
def correlated(tmp_path: Path) -> LabSpec:
    return load_lab(_lab(tmp_path, PAIRS))


EXPECTED = [
    ("fleet.gpu_a.unit_price", "fleet.gpu_b.unit_price", 0.7),
    ("energy.load", "fleet.gpu_b.in_service", -0.5),
    ("staff.pay", "fleet.gpu_b.count", 0.4),
]


def _spearman_error(rho: float, n: int) -> float:
    """Standard error of a Spearman correlation estimate (Fieller et al.)."""
    return math.sqrt(1.06 / (n - 3)) * (1 - rho**2)


def test_monte_carlo_realises_the_rank_correlations(correlated: LabSpec) -> None:
    n = 50_000
    draws = simulate(correlated, n, seed=3)
    for a, b, rho in EXPECTED:
        realised = stats.spearmanr(draws[a], draws[b])[0]
        assert abs(realised - rho) < 4 * _spearman_error(rho, n), (a, b, realised)
    # Margins keep their stated distributions.
    price = correlated.priors["fleet.gpu_a.unit_price"].belief
    assert stats.kstest(draws["fleet.gpu_a.unit_price"], price.cdf).pvalue > 1e-3
    share = correlated.priors["energy.load"].belief
    assert stats.kstest(draws["energy.load"], share.cdf).pvalue > 1e-3
    # Uncorrelated inputs stay independent.
    independent = stats.spearmanr(draws["energy.price"], draws["fleet.gpu_a.unit_price"])[0]
    assert abs(independent) < 4 * _spearman_error(0.0, n)


def test_the_pymc_model_realises_the_same_correlations(correlated: LabSpec) -> None:
    import pymc as pm

    from estimator.inference.pymc_model import build_model

    model = build_model(correlated, ())
    names = sorted({n for a, b, _ in EXPECTED for n in (a, b)})
    n = 20_000
    values = pm.draw([model[name] for name in names], draws=n, random_seed=5)
    draws = dict(zip(names, values, strict=True))
    for a, b, rho in EXPECTED:
        realised = stats.spearmanr(draws[a], draws[b])[0]
        assert abs(realised - rho) < 4 * _spearman_error(rho, n), (a, b, realised)
    belief = correlated.priors["fleet.gpu_b.unit_price"].belief
    assert stats.kstest(draws["fleet.gpu_b.unit_price"], belief.cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('inputs = ["fleet.gpu_a.unit_prize", "staff.pay"]\nrank = 0.5', "inputs", "unknown input"),
        ('inputs = ["staff.pay", "fleet.gpu_a.count"]\nrank = 1.5', "rank", "strictly between"),
        ('inputs = ["staff.pay", "fleet.gpu_a.count"]\nrank = -1', "rank", "strictly between"),
        ('inputs = ["staff.pay", "staff.overhead"]\nrank = 0.5', "inputs", "fixed input"),
        ('inputs = ["staff.pay", "staff.pay"]\nrank = 0.5', "inputs", "itself"),
        ('inputs = ["staff.pay"]\nrank = 0.5', "inputs", "exactly two"),
        ('inputs = ["staff.pay", "fleet.gpu_a.count"]\nrank = "high"', "rank", "number"),
    ],
)
def test_bad_correlations_are_reported(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    folder = _lab(tmp_path, f'[[correlations]]\n{text}\nsource = "test"\n')
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert any(
        p.key == f"correlations[0].{key}"
        and fragment in p.message
        and p.file.endswith("correlations.toml")
        for p in info.value.problems
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "correlations.toml" in result.output
    assert "Traceback" not in result.output


def test_a_matrix_that_is_not_positive_definite_is_refused(tmp_path: Path) -> None:
    text = "".join(
        f'[[correlations]]\ninputs = ["{a}", "{b}"]\nrank = {r}\nsource = "test"\n\n'
        for a, b, r in (
            ("staff.pay", "fleet.gpu_a.count", 0.9),
            ("fleet.gpu_a.count", "energy.price", 0.9),
            ("staff.pay", "energy.price", -0.9),
        )
    )
    with pytest.raises(SpecError, match="positive definite"):
        load_lab(_lab(tmp_path, text))


def test_a_pair_stated_twice_is_refused(tmp_path: Path) -> None:
    text = (
        PAIRS + '\n[[correlations]]\ninputs = ["fleet.gpu_b.unit_price", '
        '"fleet.gpu_a.unit_price"]\nrank = 0.1\nsource = "test"\n'
    )
    with pytest.raises(SpecError, match="correlated twice"):
        load_lab(_lab(tmp_path, text))


def test_shipped_lab_correlations(deepseek: LabSpec) -> None:
    assert deepseek.correlation is not None
    draws = simulate(deepseek, 40_000, seed=1)
    realised = stats.spearmanr(draws["fleet.h800.unit_price"], draws["fleet.h100.unit_price"])[0]
    assert abs(realised - 0.6) < 4 * _spearman_error(0.6, 40_000)
    assert np.all(draws["fleet.h100.count"] > 0)
