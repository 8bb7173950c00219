"""Units and numbers as users write them."""

from __future__ import annotations

import math

import pytest

from estimator.spec.units import Converter, UnitError, exchange_rate, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (2500, 2500.0),
        (2.5e3, 2500.0),
        ("2.5k", 2500.0),
        ("2.788M", 2.788e6),
        ("1.6B", 1.6e9),
        ("1.6 billion", 1.6e9),
        ("3 million", 3e6),
        ("2,788,000", 2.788e6),
        ("50K", 5e4),
        ("1e3", 1000.0),
        ("0.5", 0.5),
        ("-2", -2.0),
        ("1.2bn", 1.2e9),
        ("4T", 4e12),
    ],
)
def test_numbers_with_scale_words(text: object, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "bad", ["lots", "", "1.2.3", "5 apples", True, None, [1], math.nan, math.inf, "nan", "inf"]
)
def test_bad_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="number"):
        parse_number(bad)


CNY = Converter("USD", {"CNY": 1 / 7.0})


@pytest.mark.parametrize(
    ("unit", "target", "factor"),
    [
        ("W/GPU", "kW/GPU", 1e-3),
        ("kW/(8*GPU)", "kW/GPU", 0.125),
        ("hours", "year", 1 / 8766),
        ("month", "year", 1 / 12),
        ("million USD", "USD", 1e6),
        ("CNY", "USD", 1 / 7.0),
        ("thousand CNY/person/month", "USD/person/year", 12e3 / 7.0),
        ("GPU-hours", "GPU*hour", 1.0),
        ("million GPU-hours", "GPU*hour", 1e6),
        ("USD/GPU-hour", "USD/(GPU*hour)", 1.0),
        ("USD per GPU-hour", "USD/(GPU*hour)", 1.0),
        ("%", "fraction", 0.01),
        ("%/year", "1/year", 0.01),
        ("CNY/kWh", "USD/kWh", 1 / 7.0),
        ("USD/MWh", "USD/kWh", 1e-3),
    ],
)
def test_conversion_factors(unit: str, target: str, factor: float) -> None:
    assert CNY.factor(unit, target) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    ("unit", "target", "fragment"),
    [
        ("USDD", "USD", "USDD"),
        ("GPU", "USD/GPU", "does not measure"),
        ("EUR", "USD", "no exchange rate for EUR"),
        ("person", "GPU", "does not measure"),
        ("hour", "GPU*hour", "does not measure"),
        ("USD)", "USD", "malformed"),
        ("", "USD", "unit is needed"),
    ],
)
def test_unit_problems(unit: str, target: str, fragment: str) -> None:
    with pytest.raises(UnitError, match=fragment):
        CNY.factor(unit, target)


def test_exchange_rate_either_direction() -> None:
    assert exchange_rate(7.1, "CNY/USD", "CNY", "USD") == pytest.approx(1 / 7.1)
    assert exchange_rate(0.14, "USD/CNY", "CNY", "USD") == pytest.approx(0.14)
    with pytest.raises(UnitError):
        exchange_rate(7.1, "USD", "CNY", "USD")


def test_other_basis_currency() -> None:
    eur = Converter("EUR", {"USD": 0.9})
    assert eur.canonical("USD/GPU") == "EUR/GPU"
    assert eur.factor("USD/GPU", "USD/GPU") == pytest.approx(0.9)
