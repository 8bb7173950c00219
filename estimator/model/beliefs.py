"""What every number rests on: an input's belief with where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from estimator.model.distributions import Distribution


@dataclass(frozen=True)
class Source:
    """Where a number comes from."""

    text: str
    url: str | None = None
    date: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"text": self.text, "url": self.url, "date": self.date, "note": self.note}
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Prior:
    """One input's belief, in canonical units, with what was stated and its source."""

    name: str
    belief: Distribution
    stated: str
    unit: str
    source: Source
    file: str
    defaulted: bool = False
    #: Where it is stated in its file (``fleet.h100.count``).
    key: str = ""
    #: Evidence claims or sources whose source this prior cites, declared independent of
    #: it (a fact the prior takes from the same publication that the evidence does not use).
    independent_of: tuple[str, ...] = ()
