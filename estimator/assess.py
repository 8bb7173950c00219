"""One assessment of a lab: the posterior, a verdict for every claim and an answer to
every question — what ``estimator run`` and ``estimator check`` compute and report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from estimator.posterior import POSTERIOR_DRAWS, Estimate, Method, estimate
from estimator.questions import Answer, answer_questions
from estimator.spec import LabSpec
from estimator.verdicts import Verdict, verdicts

Step = Callable[[str], None]


@dataclass(frozen=True)
class Assessment:
    """A lab's estimate with the verdicts on its claims and the answers to its questions."""

    estimate: Estimate
    verdicts: tuple[Verdict, ...] = field(repr=False)
    answers: tuple[Answer, ...] = field(repr=False)

    def __repr__(self) -> str:
        counts = {
            k: sum(v.verdict == k for v in self.verdicts)
            for k in ("consistent", "in tension", "contradicted")
        }
        return f"Assessment({self.estimate!r}, verdicts={counts}, questions={len(self.answers)})"

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
) -> Assessment:
    """Estimate ``spec``, judge every claim and answer every question.

    ``step`` is told the name of each stage as it starts (for a progress display).
    """
    say = step or (lambda _: None)
    say("sampling the posterior")
    result = estimate(spec, method, draws, seed)
    say("judging the claims")
    judged = verdicts(result)
    say("answering the questions")
    return Assessment(result, judged, answer_questions(result))
