"""A training run costed two ways: at rental prices and at what the lab's own accelerators
cost per hour (hardware written off over its life, and energy), against closed forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from estimator.model.equations import LabModel
from estimator.model.parts import AcceleratorType, TrainingRun, Tranche
from estimator.model.periods import HOURS_PER_YEAR, Period

from .agreement import assert_backends_agree
from .test_accelerators import _inputs

D = dt.date
WINDOW = Period(D(2023, 7, 17), D(2025, 1, 31))


def _model() -> LabModel:
    types = (
        AcceleratorType(
            "x",
            tranches=(
                Tranche("early", Period(D(2021, 1, 1), D(2021, 12, 31))),
                Tranche("late", Period(D(2024, 3, 1), D(2024, 8, 31)), own_life=True),
            ),
        ),
        AcceleratorType("y"),
    )
    runs = (TrainingRun("on_x", accelerator="x"), TrainingRun("anywhere"))
    return LabModel(types, runs, WINDOW)


def _run_inputs() -> dict[str, float]:
    inputs = {k: v for k, v in _inputs().items() if not k.endswith("peak_flops")}
    inputs.update(
        {
            "fleet.y.in_service": 1.0,
            "runs.on_x.gpu_hours": 2.788e6,
            "runs.on_x.rental_price": 2.0,
            "runs.anywhere.gpu_hours": 1e5,
            "runs.anywhere.rental_price": 3.0,
        }
    )
    return inputs


def test_a_run_on_its_own_accelerators_costs_depreciation_and_energy_per_hour() -> None:
    v = _run_inputs()
    out = _model().evaluate(v)
    per_chip = v["server.overhead"] / (1 - v["network.share"])  # servers and network
    # Straight-line: each tranche's hardware over its own life, per accelerator of the type.
    written_per_year = (
        1000 * 10_000 / v["hardware.useful_life"] + 2000 * 30_000 / v["fleet.x.late.life"]
    ) * per_chip
    hardware_per_hour = written_per_year / 3000 / HOURS_PER_YEAR
    energy_per_hour = 1.2 * v["energy.load"] * v["energy.pue"] * v["energy.price"]  # kWh
    expected = 2.788e6 * (hardware_per_hour + energy_per_hour)
    assert out["runs.on_x.ownership_cost"] == pytest.approx(expected, rel=1e-12)
    assert out["runs.on_x.rental_cost"] == pytest.approx(2.788e6 * 2.0, rel=1e-15)


def test_a_run_on_no_named_accelerator_has_no_ownership_cost() -> None:
    model = _model()
    assert "runs.anywhere.rental_cost" in model.quantities
    assert "runs.anywhere.ownership_cost" not in model.quantities
    assert "runs.on_x.ownership_cost" in model.quantities


def test_numpy_and_pytensor_agree_on_run_costs() -> None:
    model = _model()
    rng = np.random.default_rng(7)
    draws = {n: value * rng.uniform(0.7, 1.3, 40) for n, value in _run_inputs().items()}
    names = [n for n in model.derived_names if n.startswith("runs.")]
    assert len(names) == 3
    assert_backends_agree(model, draws, names)


def test_a_run_on_a_type_the_lab_has_none_of_is_still_costed_per_hour() -> None:
    """With no accelerators of the type (a count of zero), the hour costs what one of its
    tranches would: the plain mean over them, not 0/0."""
    v = _run_inputs() | {"fleet.x.early.count": 0.0, "fleet.x.late.count": 0.0}
    out = _model().evaluate(v)
    per_chip = v["server.overhead"] / (1 - v["network.share"])
    per_unit_year = (10_000 / v["hardware.useful_life"] + 30_000 / v["fleet.x.late.life"]) / 2
    energy_per_hour = 1.2 * v["energy.load"] * v["energy.pue"] * v["energy.price"]
    expected = 2.788e6 * (per_unit_year * per_chip / HOURS_PER_YEAR + energy_per_hour)
    assert out["runs.on_x.ownership_cost"] == pytest.approx(expected, rel=1e-12)


def _flop_model() -> LabModel:
    owned = AcceleratorType("x", peak=True)
    runs = (
        TrainingRun("by_parameters", accelerator="x", basis="parameters"),
        TrainingRun("by_flop", accelerator="x", basis="flop"),
        TrainingRun("by_days", accelerator="x", basis="accelerators", mfu=True),
        TrainingRun("by_hours", accelerator="x", mfu=True),
    )
    return LabModel((owned,), runs, WINDOW)


def _flop_inputs() -> dict[str, float]:
    inputs = {k: v for k, v in _inputs().items() if not k.startswith(("fleet.x.", "fleet.y."))}
    inputs.update(
        {
            "fleet.x.count": 2048.0,
            "fleet.x.unit_price": 30_000.0,
            "fleet.x.power": 1.275,
            "fleet.x.in_service": 1.0,
            "fleet.x.peak_flops": 989e12,
            "runs.by_parameters.parameters": 37e9,
            "runs.by_parameters.tokens": 14.8e12,
            "runs.by_parameters.mfu": 0.4,
            "runs.by_flop.flop": 2.15e25,
            "runs.by_flop.mfu": 0.34,
            "runs.by_days.accelerators": 2048.0,
            "runs.by_days.days": 57.0,
            "runs.by_days.mfu": 0.3,
            "runs.by_hours.gpu_hours": 2.788e6,
            "runs.by_hours.mfu": 0.25,
        }
    )
    for run in ("by_parameters", "by_flop", "by_days", "by_hours"):
        inputs[f"runs.{run}.rental_price"] = 2.0
    return inputs


def test_a_flop_defined_run_takes_flop_over_achieved_flop_per_hour() -> None:
    out = _flop_model().evaluate(_flop_inputs())
    six_nd = 6 * 37e9 * 14.8e12
    assert out["runs.by_parameters.flop"] == pytest.approx(six_nd, rel=1e-15)
    hours = six_nd / (989e12 * 0.4 * 3600)
    assert out["runs.by_parameters.gpu_hours"] == pytest.approx(hours, rel=1e-12)
    assert out["runs.by_parameters.rental_cost"] == pytest.approx(2.0 * hours, rel=1e-12)
    flop_hours = 2.15e25 / (989e12 * 0.34 * 3600)
    assert out["runs.by_flop.gpu_hours"] == pytest.approx(flop_hours, rel=1e-12)
    assert out["runs.by_flop.flop"] == 2.15e25


def test_a_run_stated_in_accelerators_and_days_and_its_compute() -> None:
    out = _flop_model().evaluate(_flop_inputs())
    assert out["runs.by_days.gpu_hours"] == pytest.approx(2048 * 57 * 24, rel=1e-15)
    flop = 2048 * 57 * 24 * 3600 * 989e12 * 0.3
    assert out["runs.by_days.flop"] == pytest.approx(flop, rel=1e-12)
    # An hours-defined run with its utilisation also has a FLOP count.
    assert out["runs.by_hours.flop"] == pytest.approx(2.788e6 * 3600 * 989e12 * 0.25, rel=1e-12)


def test_numpy_and_pytensor_agree_on_flop_defined_runs() -> None:
    model = _flop_model()
    rng = np.random.default_rng(11)
    draws = {n: value * rng.uniform(0.7, 1.0, 25) for n, value in _flop_inputs().items()}
    names = [n for n in model.derived_names if n.startswith("runs.")]
    assert len(names) == 14
    assert_backends_agree(model, draws, names)


def test_a_run_that_asks_for_more_hours_than_exist_exceeds_its_capacity() -> None:
    owned = AcceleratorType("x", tranches=(Tranche("", Period(D(2022, 1, 1), D(2022, 1, 1))),))
    march = Period(D(2024, 3, 1), D(2024, 3, 31))
    run = TrainingRun("big", accelerator="x", dates=march)
    model = LabModel((owned,), (run,), WINDOW)
    v = {k: x for k, x in _flop_inputs().items() if not k.startswith("runs.")}
    v.update({"hardware.useful_life": 5.0, "runs.big.gpu_hours": 2e6, "runs.big.rental_price": 2.0})
    out = model.evaluate(v)
    # 2,048 accelerators for March's 31 days have 1.52M hours: 2M is too many.
    assert out["runs.big.capacity_share"] == pytest.approx(2e6 / (2048 * 31 * 24), rel=1e-12)
    assert out["runs.big.capacity_share"] > 1
    assert model.constraints == ("runs.big.capacity_share",)


def test_the_books_of_an_evaluation_are_freed_without_the_garbage_collector() -> None:
    """A reference cycle would keep each Monte Carlo chunk's arrays alive until the
    collector ran: a long run held three times the memory it needs."""
    import gc
    import weakref

    from estimator.model.books import Books

    model = _flop_model()
    draws = {n: np.full(1000, x) for n, x in _flop_inputs().items()}
    gc.disable()
    try:
        books = Books(model.structure, draws, np)
        books.runs.results(books, model.quantities)
        books.accumulated(WINDOW.ends)
        ref = weakref.ref(books)
        del books
        assert ref() is None
    finally:
        gc.enable()
