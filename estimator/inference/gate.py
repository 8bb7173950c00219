"""The limits a sample must meet before its numbers are published, stated once.

A headline interval is published only when NUTS shows R-hat <= 1.01, bulk and tail
effective sample sizes of at least 400 and no divergences, or when the quick path's
importance weights show Pareto k-hat <= 0.7 and an effective sample size of at least 400.
``method="auto"`` takes the quick path only when its effective sample size also reaches
:data:`AUTO_MIN_ESS`, so that NUTS is not skipped on a barely adequate reweighting.
"""

from __future__ import annotations

RHAT_LIMIT = 1.01
ESS_LIMIT = 400
KHAT_LIMIT = 0.7
AUTO_MIN_ESS = 2000
