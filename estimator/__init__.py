"""estimator: an auditable Bayesian / Monte Carlo estimator of what an AI lab has spent.

The public API (the command line is a thin layer over the same functions)::

    import estimator as est

    lab = est.load_lab("priors/deepseek")          # priors, claims, questions, scenarios
    year = est.with_window(lab, "2024")            # the same lab over another window
    econ = est.with_headline(lab, "cost.amortized")  # reports and drivers lead with it
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

How the package is laid out: one subpackage per stage of the data flow, and imports go one
way only, down this list (a module may import from its own stage and the stages below it,
never from one above, and there are no import loops)::

    cli.py, __main__.py, this file   the command line and the public API
    report/      terminal, figures, report.md/html, summary.json, posterior.nc
    review/      verdicts, answers to questions, history, what moved, the assessment
    drivers/     tornado, Sobol, delta, scenarios, prior sensitivity
    inference/   Monte Carlo, importance sampling, the PyMC model, NUTS, the posterior
    spec/        the only reader of files: a lab folder to a validated LabSpec
    model/       quantities, equations, distributions, claims, likelihood, copula
    errors.py, atomic.py, provenance.py   what every stage may use

``tests/test_architecture.py`` holds the code to this rule, and to one more: no module or
subpackage shares its name with a public function (the lazy lookup below would return the
module once it is imported).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> "module:attribute".
_EXPORTS = {
    "load_lab": "estimator.spec.parse:load_lab",
    "LabSpec": "estimator.spec.lab:LabSpec",
    "SpecError": "estimator.errors:SpecError",
    "simulate": "estimator.inference.forward:simulate",
    "forward_summaries": "estimator.inference.forward:forward_summaries",
    "fit": "estimator.inference.estimation:estimate",
    "Estimate": "estimator.inference.estimation:Estimate",
    "assess": "estimator.review.assessment:assess",
    "Assessment": "estimator.review.assessment:Assessment",
    "check_claims": "estimator.review.verdicts:verdicts",
    "check_claim": "estimator.review.verdicts:check_claim",
    "add_claims": "estimator.spec.ledger:add_claims",
    "sensitivity": "estimator.drivers.collect:drivers",
    "apply_scenario": "estimator.spec.lab:apply_scenario",
    "with_window": "estimator.spec.lab:with_window",
    "with_headline": "estimator.spec.lab:with_headline",
    "history": "estimator.review.replay:history",
    "compare": "estimator.review.assessment:compare",
    "write_report": "estimator.report.document:write_report",
    "write_summary": "estimator.report.summary_json:write_summary",
    "write_posterior": "estimator.report.storage:write_posterior",
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
    "with_headline",
    "with_window",
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
    from estimator.drivers.collect import drivers as sensitivity
    from estimator.errors import SpecError
    from estimator.inference.estimation import Estimate
    from estimator.inference.estimation import estimate as fit
    from estimator.inference.forward import forward_summaries, simulate
    from estimator.report.document import write_report
    from estimator.report.storage import write_posterior
    from estimator.report.summary_json import write_summary
    from estimator.review.assessment import Assessment, assess, compare
    from estimator.review.replay import history
    from estimator.review.verdicts import check_claim
    from estimator.review.verdicts import verdicts as check_claims
    from estimator.spec.lab import LabSpec, apply_scenario
    from estimator.spec.ledger import add_claims
    from estimator.spec.parse import load_lab
