"""Periods of time: the lab's window, any window a reader asks about, calendar years.

A period runs from its ``start`` to its ``end`` day, both included. The model measures
time in years since :data:`EPOCH` (365.25 days a year), so that a period is the interval
``[position(start), position(end + 1 day))`` and its length in years is exact in days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

EPOCH = dt.date(2000, 1, 1)
DAYS_PER_YEAR = 365.25
HOURS_PER_YEAR = 8766.0  # 365.25 days


def position(day: dt.date) -> float:
    """A day's start, in years since :data:`EPOCH`."""
    return (day - EPOCH).days / DAYS_PER_YEAR


@dataclass(frozen=True, order=True)
class Period:
    """From ``start`` to ``end``, both days included.

    ``label`` is how reports name it (``2024``, or the dates); two periods with the same
    days are the same period whatever their labels.
    """

    start: dt.date
    end: dt.date
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period can't end ({self.end}) before it starts ({self.start})")
        if not self.label:
            object.__setattr__(self, "label", self.key)

    @cached_property
    def key(self) -> str:
        """A name for the days it covers: ``2024`` for a whole calendar year, ``2025-03``
        for a whole month, ``2025-03-15`` for one day, ``2024-07-01..2025-06-30``
        otherwise."""
        if self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(
            self.start.year, 12, 31
        ):
            return str(self.start.year)
        if self.start.day == 1 and self.end == month_end(self.start):
            return f"{self.start:%Y-%m}"
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @cached_property
    def years(self) -> float:
        return self.days / DAYS_PER_YEAR

    @property
    def hours(self) -> float:
        return self.years * HOURS_PER_YEAR

    @cached_property
    def begins(self) -> float:
        """Its start, in years since :data:`EPOCH`."""
        return position(self.start)

    @cached_property
    def ends(self) -> float:
        """The end of its last day, in years since :data:`EPOCH`."""
        return position(self.end + dt.timedelta(days=1))

    def contains(self, other: Period) -> bool:
        """Whether every day of ``other`` lies in this period."""
        return self.start <= other.start and other.end <= self.end

    def calendar_years(self) -> tuple[Period, ...]:
        """The calendar years this period overlaps, each cut to the period and labelled
        by its year."""
        out = []
        for year in range(self.start.year, self.end.year + 1):
            start = max(self.start, dt.date(year, 1, 1))
            end = min(self.end, dt.date(year, 12, 31))
            out.append(Period(start, end, str(year)))
        return tuple(out)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)
