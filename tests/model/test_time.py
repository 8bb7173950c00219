"""Accounting through time, against independent oracles: purchases, service, straight-line
and declining-balance depreciation by vintage over windows that cut tranches part-way
(numerical integrals over the purchase spread), headcounts between dates, and the window
as the sum of its calendar years."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate

from estimator.model.equations import LabModel, Request
from estimator.model.parts import AcceleratorType, Accounting, DataCentre, Staff, Tranche
from estimator.model.periods import Period, position
from estimator.model.schedule import (
    book_value,
    headcount_weights,
    service_years,
    service_years_of_lives,
)
from estimator.review.assessment import Assessment
from estimator.spec.lab import LabSpec

from .agreement import assert_backends_agree

D = dt.date
LIFE = 4.0
RATE = 2.0  # declining-balance factor


def _unit_book(t: float, s: float, method: str) -> float:
    """One unit bought at ``s``: its value on the books at ``t`` (1 before purchase)."""
    age = t - s
    if age <= 0:
        return 1.0
    if age >= LIFE:
        return 0.0
    return 1.0 - age / LIFE if method == "straight_line" else math.exp(-RATE * age / LIFE)


def _spread_mean(f: object, a: float, b: float) -> float:
    """The average of ``f(s)`` over purchases spread evenly over ``[a, b]``."""
    if b <= a:
        return float(f(a))  # type: ignore[operator]
    breaks = [a + k * (b - a) / 64 for k in range(65)]
    total = sum(integrate.quad(f, lo, hi)[0] for lo, hi in itertools.pairwise(breaks))  # type: ignore[arg-type]
    return total / (b - a)


VINTAGES = [
    ("a day", Period(D(2020, 3, 1), D(2020, 3, 1))),
    ("a year", Period(D(2021, 1, 1), D(2021, 12, 31))),
    ("months that the window cuts", Period(D(2022, 4, 1), D(2022, 9, 30))),
]
WINDOWS = [
    Period(D(2022, 7, 1), D(2023, 6, 30)),  # cuts the third vintage's purchases
    Period(D(2023, 12, 1), D(2024, 2, 29)),  # the first vintage retires in it
    Period(D(2019, 1, 1), D(2027, 12, 31)),  # all of every life
]


@pytest.mark.parametrize(("label", "bought"), VINTAGES)
@pytest.mark.parametrize("window", WINDOWS, ids=lambda p: p.key)
@pytest.mark.parametrize("method", ["straight_line", "declining_balance"])
def test_depreciation_by_vintage_matches_the_integral(
    label: str, bought: Period, window: Period, method: str
) -> None:
    a, b = bought.begins, bought.ends
    u, v = window.begins, window.ends
    got = book_value(u, a, b, LIFE, np, method, RATE) - book_value(v, a, b, LIFE, np, method, RATE)  # type: ignore[arg-type]
    expected = _spread_mean(lambda s: _unit_book(u, s, method) - _unit_book(v, s, method), a, b)
    assert got == pytest.approx(expected, abs=1e-9), label


@pytest.mark.parametrize(("label", "bought"), VINTAGES)
@pytest.mark.parametrize("window", WINDOWS, ids=lambda p: p.key)
def test_service_time_by_vintage_matches_the_integral(
    label: str, bought: Period, window: Period
) -> None:
    a, b = bought.begins, bought.ends
    u, v = window.begins, window.ends
    got = service_years(v, a, b, LIFE, np) - service_years(u, a, b, LIFE, np)

    def overlap(s: float) -> float:
        return max(0.0, min(s + LIFE, v) - max(s, u))

    assert got == pytest.approx(_spread_mean(overlap, a, b), abs=1e-9), label


def _exact_service(x: Fraction, a: Fraction, b: Fraction, life: Fraction) -> Fraction:
    """Service years per unit by ``x``, in exact rational arithmetic."""

    def bought_integral(y: Fraction) -> Fraction:
        if b == a:
            return max(y - a, Fraction(0))
        if y <= a:
            return Fraction(0)
        if y <= b:
            return (y - a) ** 2 / (2 * (b - a))
        return y - (a + b) / 2

    return bought_integral(x) - bought_integral(x - life)


@pytest.mark.parametrize(
    ("label", "bought"), [*VINTAGES, ("a moment", Period(D(2020, 3, 1), D(2020, 3, 1)))]
)
def test_service_of_an_array_of_lives_is_exact_to_rounding(label: str, bought: Period) -> None:
    """Both forms (the closed form, and the one computed in place for an array of lives)
    agree with exact rational arithmetic to a few units in the last place of the times
    (about 1e-14 years), even for a purchase spread over one day; the lives are left as
    they were."""
    lives = np.random.default_rng(7).lognormal(np.log(LIFE), 0.6, 64)
    kept = lives.copy()
    a, b = bought.begins, bought.ends
    if label == "a moment":
        b = a
    tolerance = 16 * np.spacing(b + 3.0 * LIFE)
    for x in np.linspace(a - 1.0, b + 3.0 * LIFE, 23):
        exact = [
            float(_exact_service(Fraction(x), Fraction(a), Fraction(b), Fraction(life)))
            for life in lives
        ]
        closed = service_years(float(x), a, b, lives, np)
        in_place = service_years_of_lives(float(x), a, b, lives)
        np.testing.assert_allclose(closed, exact, rtol=0, atol=tolerance, err_msg=label)
        np.testing.assert_allclose(in_place, exact, rtol=0, atol=tolerance, err_msg=label)
    np.testing.assert_array_equal(lives, kept)


def test_a_whole_life_writes_off_the_whole_cost() -> None:
    a, b = position(D(2021, 1, 1)), position(D(2022, 1, 1))
    for method in ("straight_line", "declining_balance"):
        assert book_value(a, a, b, LIFE, np, method) == pytest.approx(1.0)  # type: ignore[arg-type]
        assert book_value(b + LIFE, a, b, LIFE, np, method) == pytest.approx(0.0, abs=1e-12)  # type: ignore[arg-type]


def test_headcount_weights_integrate_the_interpolation() -> None:
    times = [position(D(2023, 7, 17)), position(D(2024, 6, 30)), position(D(2025, 1, 31))]
    heads = np.array([40.0, 120.0, 160.0])

    def level(t: float) -> float:
        return float(np.interp(t, times, heads))

    for begins, ends in [
        (position(D(2023, 1, 1)), position(D(2023, 12, 31))),  # before the first date: flat
        (position(D(2024, 1, 1)), position(D(2025, 1, 1))),
        (position(D(2024, 12, 1)), position(D(2026, 1, 1))),  # after the last: flat
    ]:
        knots = sorted({begins, ends, *(t for t in times if begins < t < ends)})
        expected = sum(integrate.quad(level, lo, hi)[0] for lo, hi in itertools.pairwise(knots))
        got = float(headcount_weights(times, begins, ends) @ heads)
        assert got == pytest.approx(expected, rel=1e-12)


# --- the model over a window and its years ----------------------------------------------

WINDOW = Period(D(2023, 7, 17), D(2025, 1, 31))


def dated_model(depreciation: str = "straight_line") -> LabModel:
    types = (
        AcceleratorType(
            "x",
            groups=("g",),
            tranches=(
                Tranche("early", Period(D(2021, 1, 1), D(2021, 12, 31))),
                Tranche("late", Period(D(2024, 3, 1), D(2024, 8, 31)), own_life=True),
            ),
        ),
        AcceleratorType(
            "y", tranches=(Tranche("", Period(D(2023, 9, 1), D(2023, 9, 1)), D(2026, 1, 1)),)
        ),
    )
    return LabModel(
        types,
        (),
        WINDOW,
        staff=Staff((D(2023, 7, 17), D(2025, 1, 31))),
        datacentre=DataCentre("mixed"),
        accounting=Accounting(depreciation),  # type: ignore[arg-type]
        requested=(Request("fleet.x.count", Period(D(2023, 12, 31), D(2023, 12, 31))),),
    )


def dated_inputs() -> dict[str, float]:
    return {
        "share.attributable": 0.6,
        "server.overhead": 1.5,
        "network.share": 0.2,
        "energy.load": 0.8,
        "energy.pue": 1.25,
        "energy.price": 0.1,
        "staff.headcount.2023_07_17": 40.0,
        "staff.headcount.2025_01_31": 160.0,
        "staff.pay": 200_000.0,
        "staff.equity": 50_000.0,
        "staff.overhead": 1.25,
        "maintenance.rate": 0.05,
        "facilities.cost": 1e6,
        "other.cost": 2e6,
        "hardware.useful_life": LIFE,
        "datacentre.capex": 8e6,
        "datacentre.life": 15.0,
        "datacentre.lease_price": 150.0,
        "datacentre.owned_share": 0.5,
        "fleet.x.power": 1.2,
        "fleet.x.early.count": 1000.0,
        "fleet.x.early.unit_price": 10_000.0,
        "fleet.x.late.count": 2000.0,
        "fleet.x.late.unit_price": 30_000.0,
        "fleet.x.late.life": 5.0,
        "fleet.y.count": 500.0,
        "fleet.y.unit_price": 20_000.0,
        "fleet.y.power": 0.7,
    }


@pytest.mark.parametrize("depreciation", ["straight_line", "declining_balance"])
def test_the_window_is_the_sum_of_its_years(depreciation: str) -> None:
    model = dated_model(depreciation)
    out = model.evaluate(dated_inputs())
    assert [y.label for y in model.years] == ["2023", "2024", "2025"]
    for name in ("spend.total", "cost.amortized", "opex.total", "spend.total.fleet"):
        parts = sum(out[f"{name}@{year.key}"] for year in model.years)
        assert parts == pytest.approx(out[name], rel=1e-12), name


def test_hardware_bought_before_the_window_is_not_in_its_cash_view() -> None:
    model = dated_model()
    inputs = dated_inputs()
    out = model.evaluate(inputs)
    per_chip = 1.5 / (1 - 0.2)
    # Bought in the window: all of 'late', all of 'y'; nothing of 'early' (2021).
    bought = (2000 * 30_000 + 500 * 20_000) * per_chip
    assert out["purchases.hardware.fleet"] == pytest.approx(bought, rel=1e-12)
    assert out["purchases.hardware"] == pytest.approx(bought * 0.6, rel=1e-12)
    # Every tranche is bought by the lab window's end: stocks count them all.
    assert out["fleet.x.count"] == pytest.approx(3000.0)
    assert out["capex.hardware"] == pytest.approx(bought + 1000 * 10_000 * per_chip, rel=1e-12)
    # ... and on 2023-12-31 only 'early' of type x had been bought.
    assert out["fleet.x.count@2023-12-31"] == pytest.approx(1000.0)
    # 'early' is still being written off in the window: in the economic view only.
    early = 1000 * 10_000 * per_chip
    written = early * (
        book_value(WINDOW.begins, *_spread(2021), LIFE, np)
        - book_value(WINDOW.ends, *_spread(2021), LIFE, np)
    )
    assert out["depreciation.hardware.fleet"] > written
    assert written > 0


def _spread(year: int) -> tuple[float, float]:
    period = Period(D(year, 1, 1), D(year, 12, 31))
    return period.begins, period.ends


def test_staff_is_never_shared_and_headcount_averages_the_dates() -> None:
    out = dated_model().evaluate(dated_inputs())
    # Linear from 40 on the first day to 160 on the last (each at the start of its day),
    # then 160 through that last day.
    ramp = position(D(2025, 1, 31)) - position(D(2023, 7, 17))
    person_years = 100.0 * ramp + 160.0 / 365.25
    assert out["staff.headcount"] == pytest.approx(person_years / WINDOW.years, rel=1e-12)
    assert out["opex.staff"] == pytest.approx(person_years * (200_000 * 1.25 + 50_000), rel=1e-12)
    assert out["opex.staff.equity"] == pytest.approx(person_years * 50_000, rel=1e-12)
    # The whole fleet's operating cost has the same staff as the lab's.
    shared = out["opex.total.fleet"] - out["opex.staff"] - out["opex.services"]
    assert out["opex.total"] == pytest.approx(
        shared * 0.6 + out["opex.staff"] + out["opex.services"], rel=1e-12
    )


def test_data_centres_follow_the_it_power() -> None:
    out = dated_model().evaluate(dated_inputs())
    # Owned half: built for each tranche's kW as it is bought, at $8M per MW.
    kw_bought = 2000 * 1.2 + 500 * 0.7
    assert out["purchases.datacentre.fleet"] == pytest.approx(kw_bought * 0.5 * 8e6 / 1e3)
    assert out["opex.facilities.fleet"] > 1e6 * WINDOW.years  # leases on top of facilities


def test_numpy_and_pytensor_agree_on_a_dated_lab() -> None:
    for depreciation in ("straight_line", "declining_balance"):
        model = dated_model(depreciation)
        rng = np.random.default_rng(5)
        draws = {n: v * rng.uniform(0.7, 1.3, 50) for n, v in dated_inputs().items()}
        draws["share.attributable"] = rng.uniform(0.2, 0.9, 50)
        draws["datacentre.owned_share"] = rng.uniform(0.1, 0.9, 50)
        assert_backends_agree(model, draws, model.derived_names)


def test_the_same_draws_add_up_for_deepseek(deepseek: LabSpec) -> None:
    """The shipped lab, on Monte Carlo draws: every year's cash and economic views add up
    to the window's, draw by draw."""
    from estimator.inference.forward import simulate

    draws = simulate(deepseek, 2**12, 7)
    for name in ("spend.total", "cost.amortized", "spend.total.fleet", "opex.energy"):
        parts = sum(draws[f"{name}@{year.key}"] for year in deepseek.model.years)
        np.testing.assert_allclose(parts, draws[name], rtol=1e-12, err_msg=name)


def test_every_draw_of_the_window_is_the_sum_of_its_years(
    deepseek_assessment: Assessment,
) -> None:
    """On the shipped lab's own draws, the window's flows are the sum of its calendar
    years draw by draw, and so the posterior means (same draws, same weights) too."""
    result = deepseek_assessment.estimate
    draws = result.prior_draws.values
    years = result.spec.model.years
    assert len(years) == 3
    for name in ("spend.total", "cost.amortized", "opex.total", "spend.total.fleet"):
        parts = sum(draws[f"{name}@{year.key}"] for year in years)
        np.testing.assert_allclose(parts, draws[name], rtol=1e-12, err_msg=name)
        means = sum(result.posterior[f"{name}@{year.key}"].mean for year in years)
        assert means == pytest.approx(result.posterior[name].mean, rel=1e-12), name
