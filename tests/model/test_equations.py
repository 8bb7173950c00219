"""The cost equations: a hand-worked case, numpy vs PyTensor, and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.inference.chunks import sample_inputs
from estimator.model.equations import LabModel
from estimator.model.parts import AcceleratorType, TrainingRun
from estimator.model.periods import Period
from estimator.model.quantities import UnknownQuantityError
from estimator.spec.lab import LabSpec

MODEL = LabModel(
    (AcceleratorType("x", groups=("g",)), AcceleratorType("y", groups=("g",))),
    (TrainingRun("r", accelerator="x"),),
    Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
)


def hand_inputs() -> dict[str, float]:
    return {
        "share.attributable": 0.5,
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
        "hardware.useful_life": 4.0,
        "fleet.x.count": 1000.0,
        "fleet.x.unit_price": 30_000.0,
        "fleet.x.power": 1.2,
        "fleet.x.in_service": 1.0,
        "fleet.y.count": 500.0,
        "fleet.y.unit_price": 10_000.0,
        "fleet.y.power": 0.6,
        "fleet.y.in_service": 0.5,
        "runs.r.gpu_hours": 1e6,
        "runs.r.rental_price": 2.0,
    }


def test_hand_worked_case() -> None:
    years = MODEL.window.years
    assert years == pytest.approx(731 / 365.25)
    out = MODEL.evaluate(hand_inputs())
    gpu = 1000 * 30_000 + 500 * 10_000
    servers = gpu * 1.5
    hardware = servers / (1 - 0.2)
    attributable = hardware * 0.5
    kw = 1000 * 1.2 * 1.0 + 500 * 0.6 * 0.5
    energy = kw * 0.8 * 1.25 * years * 8766 * 0.1 * 0.5
    staff = 100 * 200_000 * 1.25 * years
    per_chip = 1.5 / (1 - 0.2) * 0.5
    in_service_capex = (1000 * 30_000 * 1.0 + 500 * 10_000 * 0.5) * per_chip
    maintenance = in_service_capex * 0.05 * years
    # Facilities are shared like the hardware: the lab's share of them.
    other = maintenance + 1e6 * years * 0.5 + 2e6 * years
    opex = energy + staff + other
    expected = {
        "gpu_spend": gpu,
        "fleet.g.count": 1500,
        "fleet.g.gpu_spend": gpu,
        "fleet.all.count": 1500,
        "fleet.x.capex": 1000 * 30_000 * 1.5 / 0.8,
        "fleet.g.capex": hardware,
        "capex.servers": servers,
        "capex.network": hardware - servers,
        "capex.hardware": hardware,
        "capex.attributable": attributable,
        "opex.energy": energy,
        "opex.staff": staff,
        "opex.maintenance": maintenance,
        "opex.other": other,
        "opex.total": opex,
        "opex.per_year": opex / years,
        "runs.r.rental_cost": 2e6,
        "spend.total": attributable + opex,
        "cost.amortized": (1000 * 30_000 * years / 4.0 + 500 * 10_000 * 0.5 * years / 4.0)
        * per_chip
        + opex,
    }
    for name, value in expected.items():
        assert out[name] == pytest.approx(value, rel=1e-12), name


def test_amortization_is_capped_at_the_useful_life() -> None:
    inputs = hand_inputs() | {"hardware.useful_life": 0.5}
    out = MODEL.evaluate(inputs)
    assert out["cost.amortized"] == pytest.approx(out["spend.total"], rel=1e-12)


def test_every_quantity_is_produced_and_named() -> None:
    out = MODEL.evaluate(hand_inputs())
    assert set(out) == set(MODEL.quantities)


def test_unknown_quantity_suggests_a_name() -> None:
    with pytest.raises(UnknownQuantityError, match=r"did you mean 'spend\.total'"):
        MODEL.quantity("spend.totl")


def test_numpy_and_pytensor_agree(toy_spec: LabSpec) -> None:
    """The same equations compiled by PyTensor give the numpy values on the same draws."""
    import pytensor
    import pytensor.tensor as pt

    model = toy_spec.model
    draws = sample_inputs(toy_spec, np.random.default_rng(3), 500)
    symbols = {name: pt.vector(name.replace(".", "_")) for name in model.input_names}
    graph = model.evaluate(symbols, xp=pt)
    names = model.derived_names
    function = pytensor.function(list(symbols.values()), [graph[n] for n in names])
    compiled = function(*(np.broadcast_to(draws[n], (500,)) for n in model.input_names))
    expected = model.evaluate(draws)
    for name, value in zip(names, compiled, strict=True):
        np.testing.assert_allclose(
            value, np.broadcast_to(expected[name], (500,)), rtol=1e-12, err_msg=name
        )


positive = st.floats(min_value=1e-3, max_value=1e7, allow_nan=False)
share = st.floats(min_value=0.0, max_value=0.99)


@st.composite
def inputs(draw: st.DrawFn) -> dict[str, float]:
    out = {}
    for name, slot in MODEL.slots.items():
        out[name] = draw(share if slot.domain == "share" else positive)
    return out


@settings(max_examples=300, deadline=None)
@given(inputs())
def test_spend_is_never_negative(values: dict[str, float]) -> None:
    out = MODEL.evaluate(values)
    for name in MODEL.derived_names:
        assert out[name] >= 0, name


@settings(max_examples=300, deadline=None)
@given(
    inputs(),
    st.sampled_from(
        [n for n in MODEL.slots if n.endswith(("unit_price", ".price", "rental_price", ".pay"))]
    ),
    st.floats(min_value=1.0, max_value=100.0),
)
def test_raising_a_price_never_lowers_spend(
    values: dict[str, float], price: str, factor: float
) -> None:
    before = MODEL.evaluate(values)
    after = MODEL.evaluate(values | {price: values[price] * factor})
    for name in ("spend.total", "cost.amortized", "opex.total", "capex.hardware"):
        assert after[name] >= before[name] * (1 - 1e-12), (name, price)
