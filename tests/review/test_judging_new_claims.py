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


def test_a_rough_outside_guess_does_not_make_a_later_disclosure_look_wrong(
    tmp_path: Path,
) -> None:
    """An analyst's $1M for R1's RL stage, then DeepSeek's own $294k (ln ratio 1.22): with
    the analysts' calibrated noise the disclosure is consistent with the guess; with the
    former default (0.30 on the log scale) it was judged out of line."""
    import dataclasses

    from estimator.spec.parse import load_lab

    from ..conftest import REDUCED_LAB, claims_toml, write_lab

    files = dict(REDUCED_LAB)
    files["fleet.toml"] = files["fleet.toml"].replace("[2000, 8000]", "[1, 10000]")
    files["claims.toml"] = claims_toml({"id": "guess", "quantity": "gpu_spend", "value": 1e6})
    spec = load_lab(write_lab(tmp_path / "rough", files))
    disclosure = dataclasses.replace(
        spec.claims[0], id="disclosed", value=2.94e5, noise=0.05, credibility="first_hand"
    )
    judged = judge_new(estimate(spec, "is", draws=2**17, seed=0), disclosure)
    assert judged.verdict == "consistent"
    sharp = dataclasses.replace(
        spec, claims=(dataclasses.replace(spec.claims[0], noise=0.30, noise_given=True),)
    )
    assert judge_new(estimate(sharp, "is", draws=2**17, seed=0), disclosure).verdict != (
        "consistent"
    )


def test_the_first_fit_of_a_new_ledger_is_every_later_fit(tmp_path: Path) -> None:
    """Same ledger, same seed, same numbers: the dry run's fit (a ledger prepared in
    memory, fitted first in the process) and every later fit of the written ledger."""
    import shutil

    from estimator.spec.parse import load_lab

    lab = shutil.copytree(RENTER, tmp_path / "renter")
    addition = prepare(lab, [NEW])
    first = estimate(addition.after, "is", draws=2**15, seed=4)
    addition.write()
    later = [estimate(load_lab(lab), "is", draws=2**15, seed=4) for _ in range(2)]
    for fit in later:
        assert fit.posterior.keys() == first.posterior.keys()
        for name, summary in first.posterior.items():
            assert fit.posterior[name].quantiles == summary.quantiles, name
        assert fit.reliability == first.reliability
