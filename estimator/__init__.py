"""estimator: an auditable Bayesian / Monte Carlo estimator of what an AI lab has spent.

The public API (the command line is a thin layer over the same functions)::

    import estimator as est

    lab = est.load_lab("priors/deepseek")          # priors, claims, questions, scenarios
    draws = est.simulate(lab, draws=100_000, seed=1)   # forward Monte Carlo of the prior
    post = est.fit(lab, method="auto", seed=1)     # posterior given the claims
    post.to_frame()                                # prior and posterior of every quantity
    review = est.assess(lab, seed=1)               # + verdicts, questions, history, drivers
    review.to_frame()                              # one row per claim, with its verdict
    est.check_claim(post, {...})                   # was this news expected?
    est.add_claims("priors/deepseek", [{...}])     # validate and append to the ledger
    est.sensitivity(post)                          # tornado, Sobol, delta, scenarios
    est.write_report(review, "reports/deepseek")   # report.md, report.html, figures

Names are imported on first use, so ``import estimator`` (and ``estimator --help``) stays
fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> "module:attribute".
_EXPORTS = {
    "load_lab": "estimator.spec:load_lab",
    "LabSpec": "estimator.spec:LabSpec",
    "SpecError": "estimator.errors:SpecError",
    "simulate": "estimator.simulate:simulate",
    "forward_summaries": "estimator.simulate:forward_summaries",
    "fit": "estimator.posterior:estimate",
    "Estimate": "estimator.posterior:Estimate",
    "assess": "estimator.assess:assess",
    "Assessment": "estimator.assess:Assessment",
    "check_claims": "estimator.verdicts:verdicts",
    "check_claim": "estimator.api:check_claim",
    "add_claims": "estimator.ledger:add_claims",
    "sensitivity": "estimator.drivers:drivers",
    "apply_scenario": "estimator.api:apply_scenario",
    "history": "estimator.history:history",
    "compare": "estimator.compare:compare",
    "write_report": "estimator.report:write_report",
    "write_summary": "estimator.summary_json:write_summary",
    "write_posterior": "estimator.storage:write_posterior",
}

__all__ = [
    "Assessment",
    "Estimate",
    "LabSpec",
    "SpecError",
    "add_claims",
    "apply_scenario",
    "assess",
    "check_claim",
    "check_claims",
    "compare",
    "fit",
    "forward_summaries",
    "history",
    "load_lab",
    "sensitivity",
    "simulate",
    "write_posterior",
    "write_report",
    "write_summary",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'estimator' has no attribute {name!r}")
    module, attribute = _EXPORTS[name].split(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from estimator.api import apply_scenario, check_claim
    from estimator.assess import Assessment, assess
    from estimator.compare import compare
    from estimator.drivers import drivers as sensitivity
    from estimator.errors import SpecError
    from estimator.history import history
    from estimator.ledger import add_claims
    from estimator.posterior import Estimate
    from estimator.posterior import estimate as fit
    from estimator.report import write_report
    from estimator.simulate import forward_summaries, simulate
    from estimator.spec import LabSpec, load_lab
    from estimator.storage import write_posterior
    from estimator.summary_json import write_summary
    from estimator.verdicts import verdicts as check_claims
