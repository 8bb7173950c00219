"""Rented accelerators: a contract's cost over any window against closed forms, a renter's
views without the provider's capex, rentals adding to a type's hours and H100-equivalents,
and numpy and PyTensor agreeing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from estimator.inference.forward import simulate
from estimator.model.equations import LabModel
from estimator.model.parts import AcceleratorType, Rental, TrainingRun, Tranche
from estimator.model.periods import Period
from estimator.model.quantities import H100_PEAK_FLOPS, UNOWNED_DEFAULTS
from estimator.spec.parse import load_lab

from .agreement import assert_backends_agree

D = dt.date
ROOT = Path(__file__).resolve().parents[2]
WINDOW = Period(D(2023, 7, 1), D(2025, 6, 30))
CONTRACTS = (
    Rental("by_count", Period(D(2024, 1, 1), D(2024, 12, 31)), "count", provider="A"),
    Rental("by_hours", Period(D(2024, 3, 1), D(2024, 5, 31)), "hours", provider="B"),
    Rental("committed", Period(D(2023, 7, 1), D(2025, 6, 30)), "commitment", counted=False),
)


def _renter(reporting: Period | None = None) -> LabModel:
    return LabModel((), (), WINDOW, rentals=CONTRACTS, reporting=reporting)


def _renter_inputs() -> dict[str, float]:
    return {
        **UNOWNED_DEFAULTS,
        "staff.headcount": 100.0,
        "staff.pay": 200_000.0,
        "staff.equity": 0.0,
        "staff.overhead": 1.25,
        "facilities.cost": 1e6,
        "other.cost": 2e6,
        "rent.by_count.count": 1000.0,
        "rent.by_count.price": 2.0,
        "rent.by_hours.gpu_hours": 5e6,
        "rent.by_hours.price": 3.0,
        "rent.committed.per_year": 1e8,
    }


def test_a_window_that_cuts_contracts_pays_for_the_days_inside_it() -> None:
    second_half = Period(D(2024, 7, 1), D(2025, 6, 30))
    out = _renter(second_half).evaluate(_renter_inputs())
    # 1,000 accelerators x 24 h x the 184 days of 2024-07-01..2024-12-31 x $2.
    assert out["rent.by_count.cost"] == pytest.approx(1000 * 24 * 184 * 2.0, rel=1e-12)
    # Bought hours from March to May: none fall in the window.
    assert out["rent.by_hours.cost"] == 0.0
    # $100M a year x 365 days of 365.25.
    assert out["rent.committed.cost"] == pytest.approx(1e8 * 365 / 365.25, rel=1e-12)
    expected = out["rent.by_count.cost"] + out["rent.committed.cost"]
    assert out["rent.total"] == pytest.approx(expected, rel=1e-12)


def test_a_contract_inside_the_window_costs_its_whole_price() -> None:
    out = _renter().evaluate(_renter_inputs())
    assert out["rent.by_hours.cost"] == pytest.approx(5e6 * 3.0, rel=1e-12)
    assert out["rent.by_count.cost"] == pytest.approx(1000 * 24 * 366 * 2.0, rel=1e-12)
    assert out["rent.committed.cost"] == pytest.approx(1e8 * 731 / 365.25, rel=1e-12)


def test_a_renter_pays_rent_in_both_views_and_owns_no_hardware() -> None:
    model = _renter()
    out = model.evaluate(_renter_inputs())
    for name in ("capex.hardware", "purchases.hardware", "depreciation.hardware", "fleet.value"):
        assert out[name] == 0.0, name
    own = out["opex.staff"] + out["opex.services"] + out["opex.facilities"]
    assert out["spend.total"] == pytest.approx(out["rent.total"] + own, rel=1e-12)
    assert out["cost.amortized"] == pytest.approx(out["spend.total"], rel=1e-12)
    assert out["spend.total.fleet"] == pytest.approx(out["spend.total"], rel=1e-12)


def test_calendar_years_of_rent_add_up_to_the_window() -> None:
    model = _renter()
    out = model.evaluate(_renter_inputs())
    years = [y.key for y in model.years]
    assert [y.label for y in model.years] == ["2023", "2024", "2025"]
    total = sum(out[f"rent.total@{y}"] for y in years)
    assert total == pytest.approx(out["rent.total"], rel=1e-12)


def _mixed() -> LabModel:
    """A lab owning one type and renting more of it, with a run on that type."""
    owned = AcceleratorType(
        "x", tranches=(Tranche("", Period(D(2022, 1, 1), D(2022, 1, 1))),), peak=True
    )
    extra = Rental("more_x", Period(D(2024, 3, 1), D(2024, 3, 31)), "count", accelerator="x")
    run = TrainingRun("r", accelerator="x", dates=Period(D(2024, 3, 1), D(2024, 4, 30)))
    return LabModel((owned,), (run,), WINDOW, rentals=(extra,))


def _mixed_inputs() -> dict[str, float]:
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
        "hardware.useful_life": 5.0,
        "fleet.x.count": 1000.0,
        "fleet.x.unit_price": 25_000.0,
        "fleet.x.power": 1.2,
        "fleet.x.peak_flops": 500e12,
        "rent.more_x.count": 400.0,
        "rent.more_x.price": 2.5,
        "runs.r.gpu_hours": 1e6,
        "runs.r.rental_price": 2.0,
    }


def test_rented_accelerators_of_an_owned_type_add_to_its_hours() -> None:
    out = _mixed().evaluate(_mixed_inputs())
    # March and April: 1,000 owned for 61 days, 400 rented for March's 31.
    capacity = 1000 * 24 * 61 + 400 * 24 * 31
    assert out["runs.r.capacity_share"] == pytest.approx(1e6 / capacity, rel=1e-12)


def test_rented_accelerators_count_as_h100_equivalents_while_rented() -> None:
    model = _mixed()
    inside = Period(D(2024, 3, 1), D(2024, 3, 15))
    after = Period(D(2024, 4, 1), D(2024, 4, 15))
    wanted = tuple(model.target("compute.h100e", p)[1] for p in (inside, after))
    model = model.with_window(requested=tuple(r for r in wanted if r is not None))
    out = model.evaluate(_mixed_inputs())
    per_unit = 500e12 / H100_PEAK_FLOPS
    assert out[f"compute.h100e@{inside.key}"] == pytest.approx(1400 * per_unit, rel=1e-12)
    assert out[f"compute.h100e@{after.key}"] == pytest.approx(1000 * per_unit, rel=1e-12)


def test_numpy_and_pytensor_agree_on_rentals() -> None:
    for model, inputs in ((_renter(), _renter_inputs()), (_mixed(), _mixed_inputs())):
        rng = np.random.default_rng(3)
        draws = {n: value * rng.uniform(0.7, 1.3, 30) for n, value in inputs.items()}
        names = [
            n
            for n in model.derived_names
            if n.startswith(("rent.", "runs.", "compute.", "spend.total", "cost.amortized"))
        ]
        assert any(n.startswith("rent.") for n in names)
        assert_backends_agree(model, draws, names)


def test_the_renter_example_excludes_the_providers_capex() -> None:
    spec = load_lab(ROOT / "priors" / "openai-gpt4")
    assert spec.model.types == ()
    draws = simulate(spec, draws=4096, seed=5)
    for name in ("capex.hardware", "purchases.hardware", "depreciation.hardware"):
        assert np.all(draws[name] == 0.0), name
    own = draws["opex.staff"] + draws["opex.services"] + draws["opex.facilities"]
    np.testing.assert_allclose(draws["spend.total"], draws["rent.total"] + own, rtol=1e-12)
    # The contract runs from May to August 2022, wholly inside the window.
    hours = 24 * (D(2022, 8, 31) - D(2022, 5, 1)).days + 24
    expected = draws["rent.azure_gpt4.count"] * hours * draws["rent.azure_gpt4.price"]
    np.testing.assert_allclose(draws["rent.total"], expected, rtol=1e-12)
