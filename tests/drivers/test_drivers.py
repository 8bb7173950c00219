"""What drives the estimate: power-scaling prior sensitivity on cases whose answer is
known, and the report and summary.json sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.drivers.prior_sensitivity import prior_sensitivity
from estimator.drivers.sobol import sobol_indices
from estimator.drivers.tornado import tornado
from estimator.inference.estimation import estimate
from estimator.report.document import write_report
from estimator.report.summary_json import write_summary
from estimator.review.assessment import Assessment
from estimator.spec.lab import LabSpec, with_headline
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab


def _reduced(tmp_path: Path, noise: float) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {"id": "chips", "quantity": "gpu_spend", "value": 1.5e8, "noise": noise, "reliability": 1.0}
    )
    return load_lab(write_lab(tmp_path / "lab", files))


def test_a_sharp_claim_makes_the_conclusion_rest_on_evidence(tmp_path: Path) -> None:
    result = estimate(_reduced(tmp_path, 0.02), "is", 2**17, seed=1)
    (flag,) = prior_sensitivity(result, ["gpu_spend"], seed=1)
    assert flag.prior < 0.05
    assert flag.likelihood >= 0.05
    assert flag.diagnosis == "rests on evidence"


def test_a_vague_claim_leaves_the_conclusion_on_assumptions(tmp_path: Path) -> None:
    result = estimate(_reduced(tmp_path, 3.0), "is", 2**17, seed=1)
    (flag,) = prior_sensitivity(result, ["gpu_spend"], seed=1)
    assert flag.prior >= 0.05
    assert flag.likelihood < 0.05
    assert flag.diagnosis.startswith("rests on assumptions")


@pytest.fixture
def full(deepseek_assessment: Assessment) -> Assessment:
    return deepseek_assessment


def test_report_and_summary_show_what_drives_the_estimate(full: Assessment, tmp_path: Path) -> None:
    files = write_report(full, tmp_path)
    html = files.html.read_text()
    assert "What drives the estimate" in html
    for name in ("tornado", "sobol", "scenarios"):
        assert (tmp_path / "figures" / f"{name}.svg").is_file()
    for title in ("SemiAnalysis' fleet", "Wang's 50k H100s", "DeepSeek's own accounting only"):
        assert title in html
    write_summary(full, tmp_path / "summary.json")
    summary = json.loads((tmp_path / "summary.json").read_text())
    sensitivity = summary["sensitivity"]
    assert {"tornado", "sobol", "delta", "prior_sensitivity"} <= set(sensitivity)
    assert sensitivity["tornado"][0]["swing"] >= sensitivity["tornado"][-1]["swing"]
    assert set(summary["scenarios"]) == {
        "semianalysis_fleet",
        "wang_50k_h100",
        "deepseek_own_accounting",
        "sa_opex_yearly",
        "sa_opex_deepseek",
    }
    assert set(sensitivity["prior_sensitivity"]) >= {"spend.total"}
    assert summary["correlations"]["pairs"]


def test_the_fleet_drives_deepseek_spend(full: Assessment) -> None:
    assert full.drivers is not None
    top = [bar.input for bar in full.drivers.tornado[:4]]
    assert "fleet.h100.count" in top
    assert "share.attributable" in top


def test_drivers_explain_the_labs_headline(deepseek: LabSpec) -> None:
    """A lab's headline is what the tornado and Sobol indices explain by default."""
    economic = with_headline(deepseek, "cost.amortized")
    assert tornado(economic) == tornado(deepseek, "cost.amortized")
    assert tornado(economic) != tornado(deepseek)
    by_default = sobol_indices(economic, base_samples=64, seed=2)
    named = sobol_indices(deepseek, "cost.amortized", base_samples=64, seed=2)
    assert by_default.to_dict() == named.to_dict()
    assert by_default.to_dict() != sobol_indices(deepseek, base_samples=64, seed=2).to_dict()
