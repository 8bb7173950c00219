"""A quick-path posterior that records what its callers ask of it, for tests that check
whether exact refits are asked for."""

from __future__ import annotations

import dataclasses

from estimator.inference.posterior import ImportancePosterior
from estimator.model.claims import Claim


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class RecordingPosterior(ImportancePosterior):
    """Records the ``refit`` it is asked for, and may say its leave-outs were exact."""

    asked: list[bool] = dataclasses.field(default_factory=list)
    exact: bool = False

    def leave_out_all(self, leaving: tuple[Claim, ...], refit: bool = True) -> ImportancePosterior:
        self.asked.append(refit)
        out = super().leave_out_all(leaving, refit)
        return dataclasses.replace(out, refitted=self.exact)


def recording(fit: ImportancePosterior, exact: bool = False) -> RecordingPosterior:
    """``fit`` as a :class:`RecordingPosterior`."""
    fields = {f.name: getattr(fit, f.name) for f in dataclasses.fields(fit)}
    return RecordingPosterior(**fields, exact=exact)
