"""Numbers for people: money as $1.23B, counts as 50.0k, shares as 42%."""

from __future__ import annotations

import math
from collections.abc import Iterable

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
#: From here on, numbers are written in scientific notation.
_SCIENTIFIC = 1e15 * 0.9995
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}
#: Marks a figure whose draws fail the publication gate; a note under its table says why.
FLAG = "†"
#: The terminal's colour for each verdict.
VERDICT_STYLES = {"consistent": "green", "in tension": "yellow", "contradicted": "bold red"}


def listed(items: Iterable[str], limit: int = 6) -> str:
    """Items joined by semicolons: the first ``limit``, then how many more."""
    items = list(dict.fromkeys(items))
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def compact(value: float, digits: int = 3) -> str:
    """``1234567`` -> ``1.23M``, ``2.5e19`` -> ``2.50e19``; keeps ``digits`` significant
    figures."""
    if value is None or not math.isfinite(value):
        return str(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= _SCIENTIFIC:  # FLOP and FLOP/s: 2.52e19 rather than 25200000T
        mantissa, exponent = f"{magnitude:.{max(digits - 1, 0)}e}".split("e")
        return f"{sign}{mantissa}e{int(exponent)}"
    for scale, suffix in _SCALES:
        if magnitude >= scale * 0.9995:
            return f"{sign}{_significant(magnitude / scale, digits)}{suffix}"
    return f"{sign}{_significant(magnitude, digits)}"


def _significant(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    x = float(f"{x:.{max(digits - 1, 0)}e}")  # rounded first: 0.9996 is 1.00, not 1.000
    decimals = max(digits - 1 - math.floor(math.log10(x)), 0)
    return f"{x:.{decimals}f}"


def quantity(value: float, unit: str, digits: int = 3) -> str:
    """A value in its canonical unit, readable: ``$1.23B``, ``50.0k GPU``, ``42%``."""
    head, _, rest = unit.partition("/")
    if unit in ("fraction",):
        return f"{value:.{max(digits - 2, 0)}%}"
    if unit == "ratio":
        return _significant(value, digits) if value else "0"
    if head in _SYMBOLS:
        sign = "-" if value < 0 else ""
        text = sign + _SYMBOLS[head] + compact(abs(value), digits)
        return text + (f"/{rest}" if rest else "")
    return f"{compact(value, digits)} {unit}"


def interval(low: float, high: float, unit: str, digits: int = 3) -> str:
    """``$685M – $4.76B``."""
    return f"{quantity(low, unit, digits)} – {quantity(high, unit, digits)}"


def number(value: float, unit: str, digits: int = 3) -> str:
    """A value without its unit (shown elsewhere): ``$1.23B``, ``50.0k``, ``42.0%``."""
    head = unit.partition("/")[0]
    if unit == "fraction":
        return f"{value:.{max(digits - 2, 0)}%}"
    if head in _SYMBOLS:
        return ("-" if value < 0 else "") + _SYMBOLS[head] + compact(abs(value), digits)
    return compact(value, digits)


def unit_label(unit: str) -> str:
    """A canonical unit as shown in tables (``GPU*hour`` -> ``GPU·h``)."""
    return unit.replace("*hour", "·h").replace("*", "·").replace("fraction", "share")


def bare(value: float, unit: str, digits: int = 3) -> str:
    """A value without currency symbol or unit, for compact intervals: ``1.23B``, ``42%``."""
    if unit == "fraction":
        return f"{value:.{max(digits - 2, 0)}%}"
    return compact(value, digits)
