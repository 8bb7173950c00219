"""Units: parsing, checking and converting stated units to each quantity's canonical unit.

Built on pint. Currencies are separate dimensions (``[currency_USD]``, ``[currency_CNY]``,
...) so that a price in CNY is never silently read as USD; a lab's ``lab.toml`` states
the exchange rates it assumes, and :class:`Converter` applies them. Counts of
accelerators and of people are dimensions of their own, so a GPU count can't be
mistaken for a headcount.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

CURRENCIES: tuple[str, ...] = ("USD", "CNY", "EUR", "GBP", "JPY", "HKD", "TWD", "KRW")

_DEFINITIONS = (
    "GPU = [accelerator] = gpu = GPUs = gpus = accelerator = accelerators = chip = chips"
    " = TPU = TPUs = NPU = NPUs = H100e = H100_equivalent = H100_equivalents",
    "FLOP = [compute] = _ = flop = FLOPs",
    "token = [text] = tokens",
    "parameter = [weights] = parameters = params",
    "person = [headcount] = people = persons = employee = employees = FTE",
    "fraction = 1 = share",
    "ratio = 1",
    "thousand = 1e3",
    "million = 1e6",
    "billion = 1e9",
    "trillion = 1e12",
)

#: The largest magnitude an amount may reach in its canonical unit (USD, GPU, GPU-hours,
#: ...): far beyond any real lab, yet far enough from float overflow (1.8e308) that
#: products of several inputs stay finite. Larger stated amounts, or amounts that grow
#: past it once converted ("1e308 million USD"), are refused as out of range.
MAX_MAGNITUDE = 1e30

_SCALE_SUFFIXES = {
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "B": 1e9,
    "b": 1e9,
    "bn": 1e9,
    "T": 1e12,
    "t": 1e12,
}
_NUMBER_WITH_SUFFIX = re.compile(
    r"^\s*([-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
    r"(k|K|M|m|mn|B|b|bn|T|t|thousand|million|billion|trillion)?\s*$"
)
_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_HYPHENATED = re.compile(r"([A-Za-z_]+)-([A-Za-z_]+)")


#: The part of pint's default definitions (``default_en.txt``, copied line for line) that
#: costs, rates and counts need: the SI prefixes, time from seconds to years, power and
#: energy, and percent. pint's full set of about a thousand units took 0.8 s to load in
#: every command; a test holds every conversion here to the full set's. Power is a base
#: dimension here (pint derives it from mass, length and time): the factors are the same.
_SI = (
    *(
        f"{name}- = {factor} = {symbol}-"
        for name, factor, symbol in (
            ("pico", "1e-12", "p"),
            ("nano", "1e-9", "n"),
            ("micro", "1e-6", "u"),
            ("milli", "1e-3", "m"),
            ("centi", "1e-2", "c"),
            ("deci", "1e-1", "d"),
            ("hecto", "1e2", "h"),
            ("kilo", "1e3", "k"),
            ("mega", "1e6", "M"),
            ("giga", "1e9", "G"),
            ("tera", "1e12", "T"),
            ("peta", "1e15", "P"),
            ("exa", "1e18", "E"),
            ("zetta", "1e21", "Z"),
            ("yotta", "1e24", "Y"),
        )
    ),
    "deca- = 1e+1 = da- = deka-",
    "second = [time] = s = sec",
    "minute = 60 * second = min",
    "hour = 60 * minute = h = hr",
    "day = 24 * hour = d",
    "week = 7 * day",
    "year = 365.25 * day = a = yr = julian_year",
    "month = year / 12",
    "watt = [power] = W",
    "joule = watt * second = J",
    "watt_hour = watt * hour = Wh = watthour",
    "percent = 0.01 = %",
)


@cache
def registry() -> pint.UnitRegistry:
    """The project's unit registry (built once per process; pint is imported lazily)."""
    import pint

    ureg = pint.UnitRegistry(None, on_redefinition="raise", cache_folder=None)
    for line in _SI:
        ureg.define(line)
    define_project_units(ureg)
    return ureg


def define_project_units(ureg: pint.UnitRegistry) -> None:
    """Add the currencies, accelerators, people, compute and scale words to ``ureg``."""
    for code in CURRENCIES:
        ureg.define(f"{code} = [currency_{code}] = {code.lower()}")
    ureg.define("@alias USD = dollar = dollars = US_dollar")
    ureg.define("@alias CNY = RMB = rmb = yuan")
    ureg.define("@alias EUR = euro = euros")
    for line in _DEFINITIONS:
        ureg.define(line)


class UnitError(ValueError):
    """A unit that cannot be read or converted; the message says why."""


class MissingRateError(UnitError):
    """A unit in a currency the lab states no exchange rate for."""


def parse_number(value: Any) -> float:
    """Read a number written as a TOML number or as text with a scale suffix.

    Accepts ``2788000``, ``2.788e6``, ``"2.788M"``, ``"50k"``, ``"1.6 billion"``,
    ``"2,788,000"``. Refuses booleans, non-finite values and anything else.

    Raises
    ------
    ValueError
        With a message saying what was expected.
    """
    if isinstance(value, bool):
        raise ValueError("a number is needed here, not true/false")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _NUMBER_WITH_SUFFIX.match(value)
        if not match:
            raise ValueError(
                'a number is needed here (e.g. 2500, 2.5e3, "2.5k", "1.6B", "3 million")'
            )
        mantissa, suffix = match.groups()
        number = float(mantissa.replace(",", "").replace("_", ""))
        if suffix:
            number *= _WORDS.get(suffix, _SCALE_SUFFIXES.get(suffix, 1.0))
    else:
        raise ValueError("a number is needed here")
    if not math.isfinite(number):
        raise ValueError("the number must be finite (not NaN or infinite)")
    # -0.0 is zero: refused wherever zero is (a value that must be positive), accepted
    # as 0.0 where zero is allowed, so that no "-0" reaches a belief or a report.
    return number + 0.0


def normalise_unit_text(text: str) -> str:
    """Rewrite common spellings that pint would misread.

    ``GPU-hours`` becomes ``(GPU*hours)`` so that ``USD per GPU-hour`` divides by the
    product rather than multiplying by hours.
    """
    text = text.strip()
    text = _HYPHENATED.sub(r"(\1*\2)", text)
    return text


def _parse(text: str) -> pint.Quantity:
    if not isinstance(text, str) or not text.strip():
        raise UnitError("a unit is needed here")
    return _parse_text(text)


@cache
def _parse_text(text: str) -> pint.Quantity:
    """A unit's text parsed once per process: a lab states the same few units hundreds of
    times (the quantities are never changed in place, so one may be shared)."""
    ureg = registry()
    try:
        quantity = ureg.parse_expression(normalise_unit_text(text))
    except Exception as exc:  # pint raises many kinds of parse errors
        raise UnitError(f"unknown or malformed unit: {_pint_reason(exc)}") from None
    if not hasattr(quantity, "dimensionality"):
        quantity = ureg.Quantity(float(quantity), "")
    return quantity


def _pint_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(" in the unit registry", "")


@dataclass(frozen=True)
class Converter:
    """Converts stated units to canonical units, applying the lab's exchange rates.

    Parameters
    ----------
    basis : str
        The currency every money amount is converted to (e.g. ``"USD"``).
    rates : dict
        For each other currency code, how many units of ``basis`` one unit of it is
        worth (e.g. ``{"CNY": 1 / 7.2}``).
    """

    basis: str = "USD"
    rates: dict[str, float] = field(default_factory=dict)

    def canonical(self, unit: str) -> str:
        """Replace the placeholder currency ``USD`` in a canonical unit by the basis."""
        return unit.replace("USD", self.basis) if self.basis != "USD" else unit

    def factor(self, unit: str, target: str) -> float:
        """How much one ``unit`` is worth in ``target`` (a canonical unit).

        Raises
        ------
        UnitError
            The unit is unknown, needs a rate the lab did not state, or measures
            something else than ``target``.
        """
        return _factor(self.basis, tuple(sorted(self.rates.items())), unit, target)

    def used_currencies(self, unit: str) -> set[str]:
        """Currency codes other than the basis that appear in a unit."""
        try:
            stated = _parse(unit)
        except UnitError:
            return set()
        return {
            code
            for code in CURRENCIES
            if code != self.basis and stated.dimensionality.get(f"[currency_{code}]", 0)
        }


@cache
def _factor(basis: str, rates: tuple[tuple[str, float], ...], unit: str, target: str) -> float:
    """:meth:`Converter.factor`, worked out once per process for each unit and target."""
    canonical = Converter(basis).canonical(target)
    stated = _parse(unit)
    wanted = _parse(canonical)
    known = dict(rates)
    for code in CURRENCIES:
        if code == basis:
            continue
        power = stated.dimensionality.get(f"[currency_{code}]", 0)
        if not power:
            continue
        if code not in known:
            raise MissingRateError(
                f"no exchange rate for {code}: state it in lab.toml under [currency.rates.{code}]"
            )
        ureg = registry()
        per_unit = ureg.Quantity(known[code], f"{basis}/{code}")
        stated = stated * per_unit**power
    try:
        return float((stated / wanted).to("dimensionless").magnitude)
    except Exception:
        raise UnitError(f"'{unit}' does not measure the same thing as '{canonical}'") from None


def exchange_rate(value: float, unit: str, code: str, basis: str) -> float:
    """Turn a stated rate (``7.2 CNY/USD`` or ``0.139 USD/CNY``) into basis per unit of code.

    Raises
    ------
    UnitError
        When the unit is not a ratio of the two currencies.
    """
    stated: Any = _parse(unit) * value
    dims = dict(stated.dimensionality)
    code_dim, basis_dim = f"[currency_{code}]", f"[currency_{basis}]"
    if dims == {code_dim: 1, basis_dim: -1}:
        per_basis = float(stated.to(f"{code}/{basis}").magnitude)
        return 1.0 / per_basis
    if dims == {basis_dim: 1, code_dim: -1}:
        return float(stated.to(f"{basis}/{code}").magnitude)
    raise UnitError(f"an exchange rate needs a unit of '{code}/{basis}' or '{basis}/{code}'")
