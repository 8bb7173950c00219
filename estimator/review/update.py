"""What moved since the last run: the new estimate against the previous ``summary.json``,
quantity by quantity, and which claims are new or changed.

A new value that fails the publication gate (see :mod:`estimator.inference.gate`) is kept
in the comparison, marked with why: what it moved by is not to be relied on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.inference.estimation import Estimate

#: Claim fields whose change makes a claim "changed".
CLAIM_FIELDS = (
    "quantity",
    "kind",
    "value",
    "low",
    "high",
    "credibility",
    "noise",
    "prior_reliability",
    "use",
    "repeats",
    "source",
)


@dataclass(frozen=True)
class QuantityChange:
    """A quantity's median and 90% interval, before and after, and why the new ones fail
    the publication gate (``problems``; empty when they pass)."""

    name: str
    unit: str
    old_median: float
    old_ci90: tuple[float, float]
    new_median: float
    new_ci90: tuple[float, float]
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the new values pass the publication gate."""
        return not self.problems

    @property
    def median_change(self) -> float:
        return self.new_median / self.old_median - 1 if self.old_median else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "old": {"median": self.old_median, "ci90": list(self.old_ci90)},
            "new": {"median": self.new_median, "ci90": list(self.new_ci90)},
            "median_change": self.median_change,
            "passed": self.passed,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Comparison:
    """The difference between the previous run and this one."""

    previous_created: str | None
    inputs_changed: bool
    quantities: tuple[QuantityChange, ...] = field(repr=False)
    new_claims: tuple[str, ...] = ()
    changed_claims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    removed_claims: tuple[str, ...] = ()

    @property
    def unconverged(self) -> tuple[QuantityChange, ...]:
        """The quantities whose new values fail the publication gate."""
        return tuple(q for q in self.quantities if q.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous_created": self.previous_created,
            "inputs_changed": self.inputs_changed,
            "new_claims": list(self.new_claims),
            "changed_claims": {k: list(v) for k, v in self.changed_claims.items()},
            "removed_claims": list(self.removed_claims),
            "unconverged": [q.name for q in self.unconverged],
            "quantities": {q.name: q.to_dict() for q in self.quantities},
        }


class PreviousRunError(ValueError):
    """The previous ``summary.json`` can't be read; the message says why."""


def read_previous(path: str | Path) -> dict[str, Any] | None:
    """The previous run's summary, or ``None`` when there is none.

    Raises
    ------
    PreviousRunError
        When the file exists but is not a summary this tool wrote.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PreviousRunError(f"{path}: not a readable summary.json ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("posterior"), dict):
        raise PreviousRunError(f"{path}: no posterior in this summary.json")
    return document


def compare_with_previous(previous: dict[str, Any], result: Estimate) -> Comparison:
    """Compare the previous summary with a new estimate."""
    old_posterior = previous.get("posterior", {})
    changes = []
    for name, new in result.posterior.items():
        old = old_posterior.get(name)
        if not isinstance(old, dict) or "median" not in old or "ci90" not in old:
            continue
        changes.append(
            QuantityChange(
                name,
                new.unit,
                float(old["median"]),
                (float(old["ci90"][0]), float(old["ci90"][1])),
                new.median,
                new.ci90,
                result.problems_of(name),
            )
        )
    old_claims = {c.get("id"): c for c in previous.get("claims", []) if isinstance(c, dict)}
    new_claims = {c.id: c.to_dict() for c in result.spec.claims}
    changed = {}
    for claim_id, claim in new_claims.items():
        if claim_id in old_claims:
            fields = tuple(f for f in CLAIM_FIELDS if old_claims[claim_id].get(f) != claim.get(f))
            if fields:
                changed[claim_id] = fields
    old_sha = previous.get("provenance", {}).get("inputs_sha256")
    return Comparison(
        previous_created=previous.get("provenance", {}).get("created"),
        inputs_changed=old_sha != result.spec.inputs_sha256,
        quantities=tuple(changes),
        new_claims=tuple(i for i in new_claims if i not in old_claims),
        changed_claims=changed,
        removed_claims=tuple(str(i) for i in old_claims if i not in new_claims),
    )
