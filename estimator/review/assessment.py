"""One assessment of a lab: the posterior, a verdict for every claim and an answer to
every question — what ``estimator run`` and ``estimator check`` compute and report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from estimator.drivers.collect import Drivers, drivers
from estimator.inference.draw_cache import DrawCache
from estimator.inference.estimation import POSTERIOR_DRAWS, Estimate, estimate
from estimator.inference.methods import Method
from estimator.review.answers import Answer, answer_questions
from estimator.review.replay import HistoryPoint, history
from estimator.review.robustness import Variant, robustness
from estimator.review.source_verdicts import SourceVerdict, source_verdicts
from estimator.review.update import Comparison, compare_with_previous
from estimator.review.verdicts import VERDICTS, Verdict, verdicts
from estimator.spec.lab import LabSpec

Step = Callable[[str], None]


@dataclass(frozen=True)
class Assessment:
    """A lab's estimate with the verdicts on its claims and the answers to its questions."""

    estimate: Estimate
    verdicts: tuple[Verdict, ...] = field(repr=False)
    answers: tuple[Answer, ...] = field(repr=False)
    history: tuple[HistoryPoint, ...] = field(default=(), repr=False)
    comparison: Comparison | None = field(default=None, repr=False)
    drivers: Drivers | None = field(default=None, repr=False)
    sources: tuple[SourceVerdict, ...] = field(default=(), repr=False)
    robustness: tuple[Variant, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        counts = {k: sum(v.verdict == k for v in self.verdicts) for k in VERDICTS}
        return f"Assessment({self.estimate!r}, verdicts={counts}, questions={len(self.answers)})"

    def to_frame(self) -> Any:
        """One row per claim: what it says, its verdict and how far it is believed."""
        import pandas as pd

        rows = []
        for v in self.verdicts:
            c = v.claim
            rows.append(
                {
                    "claim": c.id,
                    "quantity": c.quantity,
                    "says": c.stated,
                    "use": "relay" if c.repeats else c.use,
                    "credibility": c.credibility,
                    "verdict": v.verdict,
                    "percentile": v.percentile,
                    "tail_probability": v.tail_probability,
                    "prior_reliability": c.reliability,
                    "reliability": v.reliability,
                    "median_change_without": v.influence.median_change if v.influence else None,
                    "source": c.source.text,
                    "date": c.source.date or c.date.isoformat(),
                }
            )
        return pd.DataFrame(rows).set_index("claim")

    def questions_frame(self) -> Any:
        """The questions with their posterior probabilities."""
        import pandas as pd

        return pd.DataFrame([a.to_dict() for a in self.answers]).set_index("id")

    def verdict(self, claim_id: str) -> Verdict:
        """The verdict on one claim."""
        for v in self.verdicts:
            if v.claim.id == claim_id:
                return v
        raise KeyError(f"no claim {claim_id!r}")


def assess(
    spec: LabSpec,
    method: Method = "auto",
    draws: int = POSTERIOR_DRAWS,
    seed: int = 0,
    step: Step | None = None,
    history_of: Sequence[str] = (),
    with_drivers: bool = True,
    cache: DrawCache | None = None,
    brief: bool = False,
) -> Assessment:
    """Estimate ``spec``, judge every claim, answer every question, replay the ledger and
    (``with_drivers``) find what drives the estimate; ``brief``: only the estimate, the
    verdicts and the answers (what ``estimator check`` prints), with neither the
    robustness readings nor the dated history.

    ``step`` is told the name of each stage as it starts (for a progress display);
    ``history_of`` names the quantities the dated history follows besides the headline;
    ``cache`` is where the prior's draws are looked up and kept (the numbers are the same
    without it).
    """
    say = step or (lambda _: None)
    say("sampling the posterior")
    result = estimate(spec, method, draws, seed, cache)
    say("judging the claims")
    judged = verdicts(result)
    say("judging the sources")
    by_source = source_verdicts(result)
    say("answering the questions")
    answers = answer_questions(result)
    if brief:
        return Assessment(result, judged, answers, sources=by_source)
    say("reading the evidence other ways (robustness)")
    readings = robustness(result)
    say("replaying the ledger by date")
    names = list(dict.fromkeys([spec.headline, *history_of]))
    replay = history(result, names, method != "is")
    found = None
    if with_drivers:
        say("finding what drives the estimate (sensitivity, scenarios)")
        out_of_line = {v.claim.id for v in judged if v.trusted and v.verdict != "consistent"}
        found = drivers(result, seed, out_of_line=out_of_line)
    return Assessment(
        result, judged, answers, replay, drivers=found, sources=by_source, robustness=readings
    )


def compare(previous: dict[str, Any], assessment: Assessment) -> Comparison:
    """What moved between a previous run (its ``summary.json``, as
    :func:`~estimator.review.update.read_previous` reads it) and this assessment."""
    return compare_with_previous(previous, assessment.estimate)
