"""The trimmed unit registry against pint's full default one: every conversion a lab
may ask for gives the same factor, and what one refuses the other refuses."""

from __future__ import annotations

from typing import Any

import pint
import pytest

from estimator.spec.units import define_project_units, normalise_unit_text, registry

#: Units as labs state them, each with the canonical unit it is converted to.
CONVERSIONS = [
    ("USD/kWh", "USD/kWh"),
    ("USD/MWh", "USD/kWh"),
    ("CNY/MWh", "CNY/kWh"),
    ("kW/GPU", "kW/GPU"),
    ("W/GPU", "kW/GPU"),
    ("MW", "kW"),
    ("GW", "kW"),
    ("kWh", "kW*year"),
    ("GWh/year", "kW"),
    ("J", "kWh"),
    ("MJ/hour", "kW"),
    ("USD/kW/month", "USD/kW/year"),
    ("USD/MW", "USD/kW"),
    ("%/year", "1/year"),
    ("%", "fraction"),
    ("percent", "ratio"),
    ("thousand CNY/person/month", "CNY/person/year"),
    ("million USD/year", "USD/year"),
    ("billion USD", "USD"),
    ("TFLOP/s/GPU", "FLOP/year/GPU"),
    ("PFLOP/s", "FLOP/year"),
    ("EFLOP", "FLOP"),
    ("GPU-hours", "GPU*year"),
    ("USD/GPU-hour", "USD/GPU/year"),
    ("USD/GPU/day", "USD/GPU/year"),
    ("USD/GPU/week", "USD/GPU/year"),
    ("USD/GPU/month", "USD/GPU/year"),
    ("days", "year"),
    ("hours", "year"),
    ("minutes", "hour"),
    ("seconds", "day"),
    ("yr", "year"),
    ("h", "year"),
    ("ms", "s"),
    ("1/year", "1/year"),
    ("person*year", "person*year"),
    ("trillion tokens", "token"),
    ("billion parameters", "parameter"),
    ("H100e", "GPU"),
    ("kGPU", "GPU"),
]
#: Pairs that measure different things: both registries must refuse them.
MISMATCHES = [
    ("kW", "kWh"),
    ("USD/kWh", "USD/kW"),
    ("GPU", "person"),
    ("year", "kW"),
    ("FLOP/s", "FLOP"),
]


@pytest.fixture(scope="module")
def full() -> Any:
    ureg = pint.UnitRegistry(on_redefinition="raise", cache_folder=None)
    define_project_units(ureg)
    return ureg


def _factor(ureg: Any, unit: str, target: str) -> float:
    stated = ureg.parse_expression(normalise_unit_text(unit))
    wanted = ureg.parse_expression(normalise_unit_text(target))
    return float((stated / wanted).to("dimensionless").magnitude)


@pytest.mark.parametrize(("unit", "target"), CONVERSIONS)
def test_the_trimmed_registry_converts_as_pints_full_one(full: Any, unit: str, target: str) -> None:
    expected = _factor(full, unit, target)
    assert _factor(registry(), unit, target) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(("unit", "target"), MISMATCHES)
def test_both_registries_refuse_a_mismatch(full: Any, unit: str, target: str) -> None:
    for ureg in (registry(), full):
        with pytest.raises(pint.DimensionalityError):
            _factor(ureg, unit, target)
