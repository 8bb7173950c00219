"""How a lab's accelerator-hours are used (training, inference, research): accelerators in
service and hours by use against closed forms, research as what is left, the constraint
that the shares stated fit in one, and numpy and PyTensor agreeing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from estimator.model.equations import LabModel
from estimator.model.parts import AcceleratorType, Tranche
from estimator.model.periods import Period
from estimator.spec.parse import load_lab

from .agreement import assert_backends_agree
from .test_rentals import _mixed_inputs

D = dt.date
WINDOW = Period(D(2023, 7, 1), D(2025, 6, 30))
BOUGHT = Period(D(2024, 1, 1), D(2024, 1, 1))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad"


def _model() -> LabModel:
    owned = AcceleratorType("x", tranches=(Tranche("", BOUGHT),), peak=True)
    return LabModel((owned,), (), WINDOW, workload=True)


def _inputs() -> dict[str, float]:
    inputs = {k: v for k, v in _mixed_inputs().items() if not k.startswith(("rent.", "runs."))}
    inputs.update({"workload.training": 0.5, "workload.inference": 0.3})
    return inputs


def test_hours_and_accelerators_split_by_use() -> None:
    model = _model()
    year = Period(D(2024, 1, 1), D(2024, 12, 31))
    march = Period(D(2024, 3, 1), D(2024, 3, 31))
    wanted = [
        model.target(n, year)[1] for n in ("compute.gpu_hours", "compute.gpu_hours.inference")
    ]
    wanted.append(model.target("compute.accelerators.inference", march)[1])
    model = model.with_window(requested=tuple(r for r in wanted if r is not None))
    out = model.evaluate(_inputs())
    # 1,000 accelerators bought evenly over the first day of 2024 serve the rest of it:
    # 365.5 days on average.
    hours = 1000 * 24 * 365.5
    assert out["compute.gpu_hours@2024"] == pytest.approx(hours, rel=1e-12)
    assert out["compute.gpu_hours.inference@2024"] == pytest.approx(0.3 * hours, rel=1e-12)
    assert out["compute.accelerators.inference@2024-03"] == pytest.approx(300.0, rel=1e-12)
    assert out["workload.research"] == pytest.approx(0.2, rel=1e-12)
    uses = ("training", "inference", "research")
    total = sum(out[f"compute.gpu_hours.{use}"] for use in uses)
    assert total == pytest.approx(out["compute.gpu_hours"], rel=1e-12)


def test_the_shares_stated_must_fit_in_one() -> None:
    model = _model()
    assert model.constraints == ("workload.assigned",)
    v = _inputs() | {"workload.training": 0.7, "workload.inference": 0.5}
    out = model.evaluate(v)
    assert out["workload.assigned"] == pytest.approx(1.2)
    assert out["workload.research"] == 0.0


def test_numpy_and_pytensor_agree_on_the_workload() -> None:
    model = _model()
    rng = np.random.default_rng(5)
    draws = {n: value * rng.uniform(0.6, 1.2, 20) for n, value in _inputs().items()}
    names = [n for n in model.derived_names if n.startswith(("compute.", "workload."))]
    assert len(names) >= 10
    assert_backends_agree(model, draws, names)


def test_a_lab_folder_states_its_workload_in_runs_toml(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    shutil.copytree(FIXTURES / "_valid_minimal", folder)
    text = (FIXTURES / "workload_research_given" / "runs.toml").read_text()
    (folder / "runs.toml").write_text(text.split("[workload.research]")[0])
    spec = load_lab(folder)
    assert spec.model.structure.workload
    assert "workload.assigned" in spec.model.constraints
    assert spec.priors["workload.inference"].file.endswith("runs.toml")
    assert "compute.accelerators.inference" in spec.model.quantities
