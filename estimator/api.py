"""Conveniences of the public API that the command line does in several steps."""

from __future__ import annotations

from typing import Any

from estimator.errors import Problem, SpecError, did_you_mean, listing
from estimator.ledger import OPTIONS, prepare
from estimator.posterior import Estimate
from estimator.scenarios import apply
from estimator.spec import LabSpec
from estimator.verdicts import Verdict, judge_new


def check_claim(estimate: Estimate, claim: dict[str, Any]) -> Verdict:
    """Was this news expected? A claim (a dict with the ledger's keys) judged against the
    current posterior, without adding it to the ledger.

    Raises
    ------
    SpecError
        When the claim is invalid for the lab (unknown quantity, wrong unit, ...).
    """
    addition = prepare(estimate.spec.folder, [claim], OPTIONS)
    return judge_new(estimate, addition.new_claims[0])


def apply_scenario(spec: LabSpec, name: str, label: str = "scenario") -> LabSpec:
    """The lab under one of its named scenarios.

    Raises
    ------
    SpecError
        Naming the valid scenarios when ``name`` is not one (reported against ``label``).
    """
    if name not in spec.scenarios:
        raise SpecError(
            [
                Problem(
                    label,
                    "",
                    "unknown scenario",
                    name,
                    listing(spec.scenarios) or "none: the lab has no scenarios.toml",
                    did_you_mean(name, spec.scenarios),
                )
            ]
        )
    return apply(spec, spec.scenarios[name])
