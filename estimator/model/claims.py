"""Claims: public statements about named quantities, who made them and how far to trust
them.

A claim is what someone said (a point, a bound or a range, in canonical units), who said it
and when, how far to trust it (a credibility class that sets default noise and
reliability), and whether it conditions the posterior (``evidence``) or is only compared
with it (``check``). Claims that relay another name it in ``repeats``; a chain of relays
counts once, as its original.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, get_args

from estimator.model.beliefs import Source
from estimator.model.periods import Period

Kind = Literal["point", "lower_bound", "upper_bound", "range"]
Use = Literal["evidence", "check"]
KINDS: tuple[str, ...] = get_args(Kind)
USES: tuple[str, ...] = get_args(Use)
WRONG_CLAIM_SIGMA = 2.302585092994046  # ln(10): a wrong claim is off by ~10x
MAX_NOISE = 3.0


@dataclass(frozen=True)
class Credibility:
    """Defaults a class of source brings: log-scale noise and prior reliability."""

    noise: float
    reliability: float
    meaning: str


#: Credibility classes, most to least trusted.
CREDIBILITY: dict[str, Credibility] = {
    "first_hand": Credibility(0.05, 0.95, "the party itself, in its own publication"),
    "first_hand_reported": Credibility(
        0.10, 0.90, "the party itself, as reported by others (interviews, job posts)"
    ),
    "analyst_estimate": Credibility(0.87, 0.80, "a named analyst's estimate, method partly shown"),
    "anonymous_press": Credibility(0.35, 0.70, "press citing unnamed sources"),
    "hearsay": Credibility(1.00, 0.40, "an assertion without evidence or a popular reading"),
}


@dataclass(frozen=True)
class Claim:
    """One public statement about one named quantity, in canonical units.

    ``subject`` is the quantity as the claim names it (``spend.total``) and ``during`` the
    period it speaks about (``None``: the lab's window); ``quantity`` is the name the
    model computes it under (``spend.total@2025`` for a flow over another period than the
    window shown). ``scope`` is the scope the claim says it counts, when it says.
    """

    id: str
    quantity: str
    kind: Kind
    value: float | None
    low: float | None
    high: float | None
    unit: str
    stated: str
    credibility: str
    noise: float
    reliability: float
    use: Use
    source: Source
    date: dt.date
    repeats: str | None = None
    period: str | None = None
    subject: str = ""
    during: Period | None = None
    scope: str | None = None
    #: Whether its quantity can be negative (a cash burn): then its noise is on the
    #: natural scale, relative to the claim's largest end (:attr:`scale`), not on the log.
    linear: bool = False
    #: The id of the source it comes from (``sources.toml``); ``None``: a source of its own.
    by: str | None = None
    #: Whether its noise and reliability were stated (otherwise its class's, learned from
    #: the ledger: :mod:`estimator.model.evidence`).
    noise_given: bool = True
    reliability_given: bool = True

    @property
    def scale(self) -> float:
        """What a linear claim's noise is relative to: its largest end in magnitude."""
        return max(abs(b) for b in self.bounds if b is not None)

    @property
    def about(self) -> str:
        """What the claim is about, as it names it: ``spend.total during 2025``."""
        subject = self.subject or self.quantity
        return subject + (f" during {self.during.key}" if self.during is not None else "")

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The claim's lower and upper ends (``None`` where open); a point is both."""
        if self.kind == "point":
            return self.value, self.value
        if self.kind == "lower_bound":
            return self.value, None
        if self.kind == "upper_bound":
            return None, self.value
        return self.low, self.high

    def to_dict(self) -> dict[str, Any]:
        """The claim as it appears in ``summary.json``."""
        return {
            "id": self.id,
            "quantity": self.quantity,
            "kind": self.kind,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "stated": self.stated,
            "credibility": self.credibility,
            "noise": self.noise,
            "prior_reliability": self.reliability,
            "by": self.by,
            "use": self.use,
            "repeats": self.repeats,
            "source": self.source.to_dict(),
            "subject": self.subject or self.quantity,
            "during": None if self.during is None else self.during.key,
        }


def origin(claim: Claim, by_id: dict[str, Claim]) -> str:
    """The id of the original statement a claim relays (itself when it relays none)."""
    seen = {claim.id}
    while claim.repeats is not None and claim.repeats in by_id:
        claim = by_id[claim.repeats]
        if claim.id in seen:
            break
        seen.add(claim.id)
    return claim.id


def counted_evidence(claims: tuple[Claim, ...]) -> tuple[Claim, ...]:
    """Claims that condition the posterior: evidence that relays no other claim.

    A relay (``repeats``) never adds evidence of its own: the original is counted once.
    """
    return tuple(c for c in claims if c.use == "evidence" and c.repeats is None)
