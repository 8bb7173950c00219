"""Numbers for people: each scale, rounding at the boundaries, and huge numbers."""

from __future__ import annotations

import pytest

from estimator.report.display import compact, number, quantity


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (999.4, "999"),
        (999.6, "1.00k"),
        (1_234_567.0, "1.23M"),
        (-2.5e9, "-2.50B"),
        (4.2e12, "4.20T"),
        (999.4e12, "999T"),
        (2.52e19, "2.52e19"),
        (-3.41e24, "-3.41e24"),
    ],
)
def test_compact(value: float, text: str) -> None:
    assert compact(value) == text


def test_units_around_the_numbers() -> None:
    assert quantity(1.78e9, "USD") == "$1.78B"
    assert quantity(2.75e19, "FLOP/s") == "2.75e19 FLOP/s"
    assert number(0.715, "fraction") == "71.5%"
