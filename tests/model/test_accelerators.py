"""Any accelerator: kinds, units that count any of them, peak FLOP/s, and H100-equivalents
in service, against a closed-form oracle; and the bad input around them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from estimator.errors import SpecError
from estimator.model.equations import LabModel, Request
from estimator.model.parts import AcceleratorType, Tranche
from estimator.model.periods import Period, position
from estimator.model.quantities import H100_PEAK_FLOPS
from estimator.model.schedule import in_service, service_years
from estimator.spec.parse import load_lab
from estimator.spec.units import Converter

from ..conftest import REDUCED_LAB, write_lab
from .agreement import assert_backends_agree

D = dt.date
LIFE = 4.0
WINDOW = Period(D(2023, 7, 17), D(2025, 1, 31))
#: Moments to look at: during a purchase, between purchases, at the window's end (when the
#: 2021 tranche is part-way through retiring).
MOMENTS = [D(2024, 5, 31), D(2023, 12, 31), D(2025, 1, 31)]
PEAKS = {"x": 989.4e12, "y": 459e12}


def _model() -> LabModel:
    types = (
        AcceleratorType(
            "x",
            tranches=(
                Tranche("early", Period(D(2021, 1, 1), D(2021, 12, 31))),
                Tranche("late", Period(D(2024, 3, 1), D(2024, 8, 31)), own_life=True),
            ),
            peak=True,
        ),
        AcceleratorType(
            "y",
            tranches=(Tranche("", Period(D(2023, 9, 1), D(2023, 9, 1)), D(2026, 1, 1)),),
            kind="TPU",
            peak=True,
        ),
    )
    requested = tuple(Request("compute.h100e", Period(day, day)) for day in MOMENTS)
    return LabModel(types, (), WINDOW, requested=requested)


def _inputs() -> dict[str, float]:
    return {
        "share.attributable": 0.6,
        "server.overhead": 1.5,
        "network.share": 0.2,
        "energy.load": 0.8,
        "energy.pue": 1.25,
        "energy.price": 0.1,
        "staff.headcount": 100.0,
        "staff.pay": 200_000.0,
        "staff.equity": 0.0,
        "staff.overhead": 1.25,
        "maintenance.rate": 0.05,
        "facilities.cost": 1e6,
        "other.cost": 2e6,
        "hardware.useful_life": LIFE,
        "fleet.x.power": 1.2,
        "fleet.x.peak_flops": PEAKS["x"],
        "fleet.x.early.count": 1000.0,
        "fleet.x.early.unit_price": 10_000.0,
        "fleet.x.late.count": 2000.0,
        "fleet.x.late.unit_price": 30_000.0,
        "fleet.x.late.life": 5.0,
        "fleet.y.count": 500.0,
        "fleet.y.unit_price": 20_000.0,
        "fleet.y.power": 0.7,
        "fleet.y.peak_flops": PEAKS["y"],
    }


def _share_in_service(t: float, a: float, b: float, life: float) -> float:
    """Oracle: the share of purchase times ``s`` spread evenly over ``[a, b]`` with
    ``s < t <= s + life``, i.e. the length of ``[a, b]`` inside ``[t - life, t)``."""
    if b <= a:
        return 1.0 if a < t <= a + life else 0.0
    inside = min(b, t) - max(a, t - life)
    return max(inside, 0.0) / (b - a)


@pytest.mark.parametrize("day", MOMENTS, ids=str)
def test_h100_equivalents_in_service_match_the_closed_form(day: dt.date) -> None:
    model = _model()
    out = model.evaluate(_inputs())
    t = position(day + dt.timedelta(days=1))  # the end of the day
    early = Period(D(2021, 1, 1), D(2021, 12, 31))
    late = Period(D(2024, 3, 1), D(2024, 8, 31))
    y_bought = position(D(2023, 9, 1))
    y_life = position(D(2026, 1, 1)) - y_bought
    flops = (
        1000 * _share_in_service(t, early.begins, early.ends, LIFE) * PEAKS["x"]
        + 2000 * _share_in_service(t, late.begins, late.ends, 5.0) * PEAKS["x"]
        + 500 * _share_in_service(t, y_bought, y_bought, y_life) * PEAKS["y"]
    )
    name = "compute.h100e" if day == WINDOW.end else f"compute.h100e@{Period(day, day).key}"
    assert out[name] == pytest.approx(flops / H100_PEAK_FLOPS, rel=1e-12)
    if day == WINDOW.end:
        assert out["compute.peak_flops"] == pytest.approx(flops, rel=1e-12)


def test_in_service_is_the_rate_of_service_time() -> None:
    """In service at a moment is the derivative of service years accumulated by it."""
    rng = np.random.default_rng(3)
    lives = rng.uniform(0.5, 6.0, 200)
    h = 1e-6
    for a, b in ((2020.0, 2021.0), (2022.25, 2022.25)):
        for x in (2020.5, 2021.7, 2024.9, 2026.3):
            slope = (service_years(x + h, a, b, lives) - service_years(x - h, a, b, lives)) / (
                2 * h
            )
            share = in_service(x, a, b, lives, np)
            near_a_jump = np.abs(x - lives - a) < 2 * h  # a single-day purchase retiring
            np.testing.assert_allclose(share[~near_a_jump], slope[~near_a_jump], atol=1e-6)
            for life in lives[:5]:
                assert in_service(x, a, b, float(life)) == pytest.approx(
                    _share_in_service(x, a, b, float(life)), abs=1e-12
                )


def test_numpy_and_pytensor_agree_on_h100_equivalents() -> None:
    model = _model()
    rng = np.random.default_rng(5)
    draws = {n: v * rng.uniform(0.7, 1.3, 50) for n, v in _inputs().items()}
    names = [n for n in model.derived_names if n.startswith("compute.")]
    assert len(names) == 3 + len(MOMENTS)  # accelerators, peak, H100e; H100e at each moment
    assert_backends_agree(model, draws, names)


def test_no_h100_equivalents_unless_every_type_states_its_peak() -> None:
    types = (
        AcceleratorType("x", tranches=(Tranche("", Period(D(2024, 1, 1), D(2024, 1, 1))),)),
        AcceleratorType(
            "y", tranches=(Tranche("", Period(D(2024, 1, 1), D(2024, 1, 1))),), peak=True
        ),
    )
    model = LabModel(types, (), WINDOW)
    assert "compute.h100e" not in model.quantities
    assert "fleet.y.peak_flops" in model.input_names


@pytest.mark.parametrize(
    ("unit", "target", "factor"),
    [
        ("TPU", "GPU", 1.0),
        ("chips", "GPU", 1.0),
        ("H100e", "GPU", 1.0),
        ("TFLOP/s/TPU", "FLOP/s/GPU", 1e12),
        ("USD/(TPU*hour)", "USD/(GPU*hour)", 1.0),
    ],
)
def test_any_accelerator_counts_in_one_unit(unit: str, target: str, factor: float) -> None:
    assert Converter().factor(unit, target) == pytest.approx(factor)


def _tpu_lab(tmp_path: Path, kind: str, peak: str | None) -> Path:
    files = dict(REDUCED_LAB)
    fleet = f"""
        [fleet.x]
        kind = "{kind}"
        count = {{ between = [2000, 8000], unit = "TPU", source = "test" }}
        unit_price = {{ between = ["20k", "40k"], unit = "USD/TPU", source = "test" }}
        power = {{ value = 1, unit = "kW/TPU", source = "test" }}
    """
    if peak is not None:
        fleet += f'    peak_flops = {{ value = "{peak}", unit = "TFLOP/s/TPU", source = "test" }}\n'
    files["fleet.toml"] = fleet
    return write_lab(tmp_path / "lab", files)


def test_a_tpu_lab_states_its_peak_and_counts_h100_equivalents(tmp_path: Path) -> None:
    spec = load_lab(_tpu_lab(tmp_path, "TPU", "459"))
    assert spec.model.types[0].kind == "TPU"
    medians = {name: float(prior.belief.ppf(0.5)) for name, prior in spec.priors.items()}
    assert medians["fleet.x.peak_flops"] == pytest.approx(459e12)
    out = spec.model.evaluate(medians)
    count = medians["fleet.x.count"]
    assert out["compute.h100e"] == pytest.approx(count * 459e12 / H100_PEAK_FLOPS)


def test_kinds_are_read_whatever_their_case(tmp_path: Path) -> None:
    assert load_lab(_tpu_lab(tmp_path, "trainium", None)).model.types[0].kind == "Trainium"


def test_an_unknown_kind_of_accelerator_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as error:
        load_lab(_tpu_lab(tmp_path, "TPUv5", None))
    [problem] = error.value.problems
    assert problem.key == "fleet.x.kind"
    assert problem.value == "TPUv5"
    assert problem.hint == "'TPU'"
    assert "Trainium" in (problem.allowed or "")
