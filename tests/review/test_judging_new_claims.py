"""A claim not yet in the ledger, judged against the current posterior: its probability
of being reliable once counted agrees with the refit that counts it (the per-draw average
of that probability, used before, read a sharp first-hand figure as unreliable)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from estimator.inference.estimation import Estimate, estimate
from estimator.model.likelihood import reliable_probability
from estimator.review.verdicts import judge_new, verdicts
from estimator.spec.ledger import prepare

RENTER = Path(__file__).resolve().parents[2] / "priors" / "openai-gpt4"
NEW = {
    "id": "azure_disclosure",
    "source": "A test: the provider's own count",
    "date": "2023-06-01",
    "url": "https://example.org/count",
    "quantity": "rent.azure_gpt4.count",
    "kind": "point",
    "value": 24000,
    "unit": "GPU",
    "credibility": "first_hand",
    "use": "evidence",
}


@pytest.fixture(scope="module")
def before() -> Estimate:
    addition = prepare(RENTER, [NEW])
    return estimate(addition.before, "is", draws=2**17, seed=1)


def test_reliability_once_counted_agrees_with_the_refit(before: Estimate) -> None:
    addition = prepare(RENTER, [NEW])
    (claim,) = addition.new_claims
    judged = judge_new(before, claim)
    after = estimate(addition.after, "is", draws=2**17, seed=1)
    counted = after.reliability[claim.id]
    assert counted > 0.9
    # Both are importance-weighted averages over 2^17 draws (ESS in the thousands): a
    # difference of 0.02 is many Monte Carlo errors of either.
    assert judged.reliability == pytest.approx(counted, abs=0.02)
    # The per-draw average of P(reliable | q) under the posterior without the claim is
    # another number: far lower for a sharp claim against a broad posterior.
    values = before.fit.values(claim.quantity)
    average = before.fit.average(reliable_probability(claim, values))
    assert average < counted - 0.3
    # What `update` shows as the verdict before it was counted (leave-one-out of the
    # fit that counts it) is what `claims add` printed, within Monte Carlo error.
    loo = next(v for v in verdicts(after) if v.claim.id == claim.id)
    assert loo.basis == "leave-one-out"
    assert loo.percentile == pytest.approx(judged.percentile, abs=0.02)
    assert loo.verdict == judged.verdict
    assert np.isfinite(judged.tail_probability)
