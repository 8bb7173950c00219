"""Reading periods as people write them: ``2025``, ``2025-03``, ``2024-07..2025-06``,
``2023-07-17..2025-01-31`` or a single day, as text, a TOML date or a year number."""

from __future__ import annotations

import datetime as dt
import re

from estimator.model.periods import Period, month_end

PERIOD_FORMS = "a year (2025), a month (2025-03), a day (2025-03-15) or a range (2024-07..2025-06)"
_PART = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")


def parse_period(value: object) -> Period:
    """A period from its written form.

    Raises
    ------
    ValueError
        Saying what was expected.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Period(value, value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a period is needed here")
    text = str(value).strip()
    first, dots, last = text.partition("..")
    start = _part(first, end=False)
    end = _part(last if dots else first, end=True)
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return Period(start, end)


def _part(text: str, end: bool) -> dt.date:
    """One end of a period: a year or a month stands for its first day (a start) or its
    last (an end)."""
    match = _PART.match(text)
    if not match:
        raise ValueError("not a period")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        first = dt.date(year, month, 1)
        if day is None:
            return month_end(first) if end else first
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"not a valid date ({text.strip()})") from None


def describe(period: Period) -> str:
    """A period as a person reads it: ``2024``, ``2025-03`` or ``2024-07-01 to 2025-06-30``."""
    key = period.key
    return key.replace("..", " to ")
