"""The limits a sample must meet before its numbers are published, stated once, and how
each quantity is judged against them.

Some limits are global: NUTS's divergences (a property of the sampler's whole run), and
the quick path's Pareto k-hat <= 0.7 and importance effective sample size >= 400 (the
weights every quantity shares). Missing one holds back every number.

The others are judged quantity by quantity (:class:`QuantityCheck`):

- NUTS: rank-normalised R-hat <= 1.01 and bulk and tail effective sample sizes of at
  least 400, each of the quantity's own draws (ArviZ's, with its defaults).
- The quick path has no chains, so no R-hat; and Kish's effective sample size is the
  same for every quantity. What differs from one quantity to the next is how the weights
  fall across its values, and so the Monte Carlo error of its quantiles. The error of the
  weighted probability of falling at or below the quantile ``q_p`` is
  ``sqrt(sum w_i^2 (1[x_i <= q_p] - p)^2)`` (the error a question's probability is given);
  ``p (1 - p)`` over its square is the number of independent draws that would pin that
  quantile as well: the quantile's own effective sample size
  (:func:`~estimator.inference.summaries.quantile_ess`). Bulk ESS is the median's, tail
  ESS the smaller of the 5% and 95% quantiles' (ArviZ's tail ESS is also the smaller of
  two quantiles'), held to the same 400. The error is judged on this probability scale,
  not in the quantity's units relative to its spread: a long right tail makes the 95%
  quantile's error a large share of the interval at any number of draws, so a limit in
  units would fail skewed quantities however well they are sampled
  (:attr:`~estimator.inference.summaries.Summary.quantile_mcse` is this same error
  carried into units, with Kish's ESS).

A reading that could not be computed fails. Quantities that never vary (fixed inputs,
results that are always 0) are not judged.

The headline is published when no global limit is missed and the quantities its numbers
rest on pass: on the quick path, the headline quantity itself (its draws are
independent, so its own quantile ESS measures the error of what is published); on
NUTS, the headline quantity and every input it is a function of
(:meth:`~estimator.model.equations.LabModel.inputs_of`). Each uncertain input is a
monotone transform of one coordinate of a sampled variable (its belief family's vector),
or, for a copula's inputs, of one of the correlated normals made from the sampled ones;
rank-normalised R-hat and ESS do not change under a monotone transform, so this judges
every sampled parameter the headline depends on, in the coordinates the headline is
computed from: chains that have not mixed in any of them have not explored the posterior
of the headline, whatever its own R-hat says.

A quantity that fails and that the headline does not rest on is flagged where it is
shown (the terminal, the report, ``summary.json``), not withheld; a question is judged
as the headline is, on the quantities it asks about.

``method="auto"`` takes the quick path only when its effective sample size also reaches
:data:`AUTO_MIN_ESS`, so that NUTS is not skipped on a barely adequate reweighting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RHAT_LIMIT = 1.01
ESS_LIMIT = 400
KHAT_LIMIT = 0.7
AUTO_MIN_ESS = 2000


@dataclass(frozen=True)
class QuantityCheck:
    """One quantity's convergence readings.

    Attributes
    ----------
    rhat : float or None
        Rank-normalised R-hat (``None`` on the quick path: there are no chains).
    ess_bulk, ess_tail : float
        Bulk and tail effective sample sizes (see the module's docstring).
    """

    rhat: float | None
    ess_bulk: float
    ess_tail: float

    @property
    def failures(self) -> tuple[str, ...]:
        """Each limit missed, in words (empty when none is)."""
        out = []
        if self.rhat is not None:
            if math.isnan(self.rhat):
                out.append("R-hat could not be estimated")
            elif self.rhat > RHAT_LIMIT:
                out.append(f"R-hat {self.rhat:.3f} > {RHAT_LIMIT}")
        for label, ess in (("bulk", self.ess_bulk), ("tail", self.ess_tail)):
            if math.isnan(ess):
                out.append(f"{label} ESS could not be estimated")
            elif ess < ESS_LIMIT:
                out.append(f"{label} ESS {ess:.0f} < {ESS_LIMIT}")
        return tuple(out)

    @property
    def passed(self) -> bool:
        """Whether every per-quantity limit is met."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``summary.json``."""
        return {
            "rhat": self.rhat,
            "ess_bulk": self.ess_bulk,
            "ess_tail": self.ess_tail,
            "passed": self.passed,
        }


def failures(names: Iterable[str], checks: Mapping[str, QuantityCheck]) -> tuple[str, ...]:
    """Each of ``names`` whose check misses a limit, with what it misses, in words
    (quantities without a check never vary, and pass)."""
    out = []
    for name in dict.fromkeys(names):
        check = checks.get(name)
        if check is not None and not check.passed:
            out.append(f"{name}: {', '.join(check.failures)}")
    return tuple(out)
