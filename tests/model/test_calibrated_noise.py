"""The outside-guess classes' default noise is what the calibration table in
priors/README.md says: the root mean square log error of published outside estimates of
figures the party disclosed later."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from estimator.model.claims import CREDIBILITY

README = Path(__file__).resolve().parents[2] / "priors" / "README.md"


def pairs(credibility: str) -> list[float]:
    """The ln ratios the calibration table lists for a class (its rows cite urls)."""
    rows = re.findall(
        rf"^\| `{credibility}` \|.*\]\(http.*\| ([0-9.]+) \|$", README.read_text(), re.M
    )
    return [float(r) for r in rows]


def test_the_table_states_its_ratios_right() -> None:
    assert pairs("analyst_estimate") == pytest.approx(
        [math.log(1e6 / 2.94e5), math.log(6.77e6 / (5.576e6 + 2.94e5))], abs=5e-4
    )


def test_the_analysts_default_noise_is_the_tables_root_mean_square() -> None:
    found = pairs("analyst_estimate")
    assert len(found) >= 2
    rms = math.sqrt(sum(x * x for x in found) / len(found))
    assert CREDIBILITY["analyst_estimate"].noise == pytest.approx(rms, abs=0.005)
