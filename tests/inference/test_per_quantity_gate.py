"""The gate judges what it publishes: a quantity that fails its own diagnostics is flagged,
and holds back the headline only when the headline rests on it (the headline quantity
and, on NUTS, every input it is a function of; see :mod:`estimator.inference.gate`).

NUTS fits are built from synthetic chains rather than sampled: prior draws split into two
chains, with chosen inputs scaled in the second so that their chains disagree, and the
fit's diagnostics computed from them as a sampled fit's are
(:func:`estimator.inference.nuts.from_trace`). The lab is a reduced one with a training
run, whose cost is no part of the headline (``spend.total``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from estimator.cli import cli
from estimator.inference import nuts
from estimator.inference.estimation import Estimate, diagnose
from estimator.inference.forward import Draws, simulate, summarize_draws
from estimator.inference.gate import QuantityCheck
from estimator.inference.importance import reweight
from estimator.inference.nuts_posterior import NutsPosterior
from estimator.inference.posterior import ImportancePosterior
from estimator.inference.pymc_model import layout, quantity_draws
from estimator.inference.summaries import quantile_ess, weighted_quantiles
from estimator.report.document import write_report
from estimator.report.summary_json import write_summary
from estimator.report.terminal import print_assessment
from estimator.review.answers import answer_questions
from estimator.review.assessment import Assessment
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

LAB = {
    **REDUCED_LAB,
    "runs.toml": """
        [runs.r]
        accelerator = "x"
        gpu_hours = { between = ["1M", "3M"], unit = "GPU-hours", source = "test" }
        rental_price = { between = [1.5, 4], unit = "USD/GPU-hour", source = "test" }
    """,
    "questions.toml": """
        [[questions]]
        id = "big_run"
        text = "Did the run cost over $5 million?"
        quantity = "runs.r.rental_cost"
        above = "5M"
        unit = "USD"

        [[questions]]
        id = "big_spend"
        text = "Did the lab spend over $200 million?"
        quantity = "spend.total"
        above = "200M"
        unit = "USD"
    """,
}
RUN = ("runs.r.gpu_hours", "runs.r.rental_price", "runs.r.rental_cost")
DRAWS = 1000  # per chain: independent draws, so an ESS near 2000 where chains agree


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "gated", LAB))


def _chains(spec: LabSpec, scaled: dict[str, float]) -> NutsPosterior:
    """A NUTS posterior of two chains of prior draws, the inputs ``scaled`` multiplied
    by their factor in the second chain."""
    import xarray as xr

    ((family, names),) = layout(spec).families.items()
    draws = simulate(spec, 2 * DRAWS, seed=1)
    vector = np.stack([draws[n] for n in names], axis=-1).reshape(2, DRAWS, len(names))
    for name, factor in scaled.items():
        vector[1, :, names.index(name)] *= factor
    values = quantity_draws(spec, {family: vector})
    coords = {"chain": np.arange(2), "draw": np.arange(DRAWS)}
    dims = ("chain", "draw")
    posterior = xr.Dataset({n: (dims, v) for n, v in values.items()}, coords=coords)
    stats = xr.Dataset({"diverging": (dims, np.zeros((2, DRAWS), dtype=bool))}, coords=coords)
    trace = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    fit = nuts.from_trace(spec, trace, nuts.NutsSettings(chains=2, draws=DRAWS, tune=0))
    return NutsPosterior(spec=spec, claims=(), active=np.zeros(0, dtype=bool), seed=0, fit=fit)


def _estimate(spec: LabSpec, fit: NutsPosterior) -> Estimate:
    draws = simulate(spec, 2**12, seed=2)
    units = {n: spec.converter.canonical(q.unit) for n, q in spec.model.quantities.items()}
    posterior = fit.summaries(units)
    return Estimate(
        spec=spec,
        prior=summarize_draws(spec, draws),
        posterior=posterior,
        reliability={},
        diagnostics=diagnose(fit, posterior),
        seed=0,
        draws=draws.draws,
        prior_draws=draws,
        fit=fit,
    )


@pytest.fixture(scope="module")
def run_unmixed(spec: LabSpec) -> Estimate:
    """The training run's inputs four times larger in one chain than in the other."""
    return _estimate(spec, _chains(spec, {"runs.r.gpu_hours": 4.0}))


def test_the_headline_does_not_rest_on_the_run(spec: LabSpec) -> None:
    rests_on = spec.model.inputs_of("spend.total")
    assert {"fleet.x.count", "fleet.x.unit_price"} <= set(rests_on)
    assert not set(RUN) & set(rests_on)
    assert spec.model.inputs_of("runs.r.rental_cost") == RUN[:2]


def test_a_failing_quantity_the_headline_does_not_rest_on_is_flagged_not_withheld(
    run_unmixed: Estimate,
) -> None:
    d = run_unmixed.diagnostics
    checks = d.per_quantity
    assert checks["runs.r.rental_cost"].rhat is not None
    assert checks["runs.r.rental_cost"].rhat > 1.5
    assert checks["spend.total"].passed, checks["spend.total"]
    assert checks["fleet.x.count"].passed
    assert checks["fleet.x.unit_price"].passed
    # Judged over every quantity at once, these chains fail:
    assert any("runs.r." in p for p in run_unmixed.fit.problems())
    # but the headline does not rest on the run: it is published, the run flagged.
    assert d.passed, d.reasons
    assert run_unmixed.headline is not None
    assert set(d.flagged) == {"runs.r.gpu_hours", "runs.r.rental_cost", "runs.r.ownership_cost"}
    assert d.flagged["runs.r.rental_cost"][0].startswith("R-hat ")
    assert run_unmixed.problems_of("spend.total") == ()
    assert run_unmixed.problems_of("runs.r.rental_cost")


def test_a_failing_input_of_the_headline_holds_it_back(spec: LabSpec) -> None:
    result = _estimate(spec, _chains(spec, {"fleet.x.count": 4.0}))
    d = result.diagnostics
    assert not d.passed
    assert result.headline is None
    assert any(r.startswith("fleet.x.count: R-hat ") for r in d.reasons), d.reasons
    assert not any(r.startswith("runs.") for r in d.reasons)


def _fit_of(
    spec: LabSpec,
    rhat: dict[str, float],
    divergences: int = 0,
    settings: nuts.NutsSettings | None = None,
) -> NutsPosterior:
    """A NUTS posterior that holds only its readings (ESS 1000 everywhere)."""
    ess = dict.fromkeys(rhat, 1000.0)
    settings = settings or nuts.NutsSettings()
    fit = nuts.NutsFit(None, settings, divergences, rhat, ess, dict(ess))
    return NutsPosterior(spec=spec, claims=(), active=np.zeros(0, dtype=bool), seed=0, fit=fit)


@pytest.mark.parametrize(
    ("rhat", "divergences", "problems"),
    [
        # An input of the headline fails, the headline itself passes: held back.
        ({"spend.total": 1.0, "fleet.x.count": 1.02}, 0, ("fleet.x.count: R-hat 1.020 > 1.01",)),
        # Only what the headline does not rest on fails: published.
        ({"spend.total": 1.0, "fleet.x.count": 1.0, "runs.r.rental_cost": 1.3}, 0, ()),
        # Divergences belong to the whole run: they hold back everything.
        ({"spend.total": 1.0}, 2, ("2 divergent transitions",)),
        # A reading that could not be computed vouches for nothing.
        ({"spend.total": math.nan}, 0, ("spend.total: R-hat could not be estimated",)),
    ],
)
def test_what_the_headline_rests_on_decides(
    spec: LabSpec, rhat: dict[str, float], divergences: int, problems: tuple[str, ...]
) -> None:
    fit = _fit_of(spec, rhat, divergences)
    assert fit.publication_problems(["spend.total"]) == problems


@pytest.mark.parametrize(
    ("divergences", "replaced", "problems", "ending"),
    [
        (0, 0, (), "0 divergences"),
        (1, 0, ("1 divergent transition",), "1 divergence"),
        (0, 1, (), "0 divergences (drawn again at target acceptance 0.95 after 1 divergence)"),
        (2, 3, ("2 divergent transitions",), "2 divergences (drawn again at target "
         "acceptance 0.95 after 3 divergences)"),
    ],
)  # fmt: skip
def test_the_diagnostics_say_how_many_divergences_and_what_was_drawn_again(
    spec: LabSpec, divergences: int, replaced: int, problems: tuple[str, ...], ending: str
) -> None:
    settings = (
        nuts.NutsSettings(target_accept=nuts.RETRY_TARGET_ACCEPT, replaced_divergences=replaced)
        if replaced
        else None
    )
    fit = _fit_of(spec, {"spend.total": 1.0}, divergences, settings)
    assert fit.publication_problems(["spend.total"]) == problems
    assert fit.describe().endswith(", " + ending)
    assert fit.settings()["replaced_divergences"] == replaced


@pytest.mark.parametrize(
    ("check", "passed"),
    [
        (QuantityCheck(1.009, 401.0, 401.0), True),
        (QuantityCheck(1.011, 401.0, 401.0), False),
        (QuantityCheck(1.0, 399.0, 401.0), False),
        (QuantityCheck(1.0, 401.0, 399.0), False),
        (QuantityCheck(None, 401.0, 401.0), True),  # the quick path: no chains, no R-hat
        (QuantityCheck(None, 401.0, 399.0), False),
        (QuantityCheck(None, math.nan, 401.0), False),
    ],
)
def test_a_quantity_at_the_limits(check: QuantityCheck, passed: bool) -> None:
    assert check.passed is passed, check.failures


def test_questions_are_judged_on_the_quantities_they_ask_about(run_unmixed: Estimate) -> None:
    answers = {a.question.id: a for a in answer_questions(run_unmixed)}
    assert answers["big_spend"].passed
    assert not answers["big_run"].passed
    assert any(p.startswith("runs.r.rental_cost: R-hat") for p in answers["big_run"].problems)
    assert answers["big_run"].to_dict()["passed"] is False


def test_summary_json_carries_every_quantitys_readings(
    run_unmixed: Estimate, tmp_path: Path
) -> None:
    assessment = Assessment(run_unmixed, verdicts=(), answers=answer_questions(run_unmixed))
    summary = json.loads(write_summary(assessment, tmp_path / "summary.json").read_text())
    diagnostics = summary["diagnostics"]
    assert diagnostics["passed"] is True
    assert summary["headline"]["quantity"] == "spend.total"
    per_quantity = diagnostics["per_quantity"]
    assert set(per_quantity) == set(run_unmixed.diagnostics.per_quantity)
    run = per_quantity["runs.r.rental_cost"]
    assert set(run) == {"rhat", "ess_bulk", "ess_tail", "passed"}
    assert run["passed"] is False
    assert run["rhat"] == pytest.approx(run_unmixed.diagnostics.per_quantity[RUN[2]].rhat)
    assert per_quantity["spend.total"]["passed"] is True
    assert "staff.pay" not in per_quantity  # fixed: never varies, never judged
    questions = {q["id"]: q for q in summary["questions"]}
    assert questions["big_run"]["passed"] is False
    assert questions["big_spend"]["passed"] is True


def test_the_terminal_and_the_report_flag_what_failed(
    run_unmixed: Estimate, tmp_path: Path
) -> None:
    assessment = Assessment(run_unmixed, verdicts=(), answers=answer_questions(run_unmixed))
    console = Console(record=True, width=200)
    print_assessment(assessment, console)
    text = console.export_text()
    assert "runs.r.rental_cost †" in text
    assert "spend.total †" not in text
    assert "† failed its diagnostics: runs.r.rental_cost: R-hat" in text
    assert "diagnostics passed for spend.total" in text
    assert "other quantities failed their diagnostics" in text
    report = write_report(assessment, tmp_path).markdown.read_text()
    every = report.split("## Every quantity")[1]
    assert "| `runs.r.rental_cost` † |" in every
    assert "| `spend.total` |" in every
    assert "- `runs.r.rental_cost`: R-hat" in every
    assert "**Headline:** spend.total median" in report


@pytest.mark.slow  # NUTS, compiled once and sampled twice
def test_a_run_cost_nuts_cannot_mix_is_flagged_by_run_and_marked_by_update(
    tmp_path: Path,
) -> None:
    # Two sharp claims from two sources that put the run's cost at $2.5M and at $9M:
    # the posterior of the run has two modes NUTS's chains do not cross, and
    # spend.total does not depend on the run.
    claims = [
        {
            "id": cid,
            "source": cid,
            "quantity": "runs.r.rental_cost",
            "value": value,
            "noise": 0.05,
            "credibility": "first_hand",
        }
        for cid, value in (("low", 2.5e6), ("high", 9e6))
    ]
    lab = write_lab(tmp_path / "lab", {**LAB, "claims.toml": claims_toml(*claims)})
    args = [str(lab), "--method", "nuts", "--skip-sensitivity", "--out", str(tmp_path / "o")]
    ran = CliRunner().invoke(cli, ["run", *args])
    assert ran.exit_code == 0, ran.output
    assert "diagnostics passed for spend.total" in ran.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["headline"]["quantity"] == "spend.total"
    per_quantity = summary["diagnostics"]["per_quantity"]
    assert per_quantity["runs.r.rental_cost"]["passed"] is False
    assert per_quantity["spend.total"]["passed"] is True
    # The same claims again: what moved is marked where it is unconverged, and update
    # exits 3.
    updated = CliRunner().invoke(cli, ["update", *args])
    assert updated.exit_code == 3, updated.output
    assert "failed the diagnostics: marked, not publishable" in updated.output
    update = json.loads((tmp_path / "o" / "summary.json").read_text())["update"]
    assert "runs.r.rental_cost" in update["unconverged"]
    assert update["quantities"]["spend.total"]["passed"] is True
    assert update["quantities"]["runs.r.rental_cost"]["passed"] is False


def test_the_quick_paths_readings_are_each_quantiles_own() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2, 40_000))
    fit = ImportancePosterior(
        spec=None,  # type: ignore[arg-type]
        claims=(),
        active=np.zeros(0, dtype=bool),
        seed=0,
        prior=Draws({"x": x, "y": y, "one": np.ones(40_000)}, 5, 40_000, 40_000),
        reweighting=reweight(-0.5 * ((y - 2.5) / 0.4) ** 2),  # the weights read y alone
    )
    weights = fit.weights
    assert weights is not None
    checks = fit.checks(["x", "y", "one"])
    assert "one" not in checks  # never varies, never judged
    for name, values in (("x", x), ("y", y)):
        quantiles = weighted_quantiles(values, weights, (0.05, 0.5, 0.95))
        ess = quantile_ess(values, weights, quantiles)
        assert checks[name] == QuantityCheck(None, ess[0.5], min(ess[0.05], ess[0.95]))
        # Each is p (1 - p) over the squared MC error of the probability below it.
        for p, q in quantiles.items():
            prob, error, _ = fit.probability(values <= q)
            assert ess[p] == pytest.approx(prob * (1 - prob) / error**2, rel=1e-9)


def test_equal_weights_give_every_quantile_all_the_draws() -> None:
    x = np.random.default_rng(6).standard_normal(10_000)
    weights = np.ones_like(x)
    ess = quantile_ess(x, weights, weighted_quantiles(x, weights, (0.05, 0.5, 0.95)))
    assert ess == pytest.approx(dict.fromkeys((0.05, 0.5, 0.95), 10_000.0), rel=1e-9)
