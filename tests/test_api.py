"""The public API: every name resolves, importing is cheap, results have useful views."""

from __future__ import annotations

import subprocess
import sys

import pytest

import estimator as est
from estimator.review.assessment import Assessment


def test_every_public_name_resolves() -> None:
    assert sorted(est.__all__) == sorted(est._EXPORTS)
    for name in est.__all__:
        assert getattr(est, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = est.nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, estimator; heavy = [m for m in ('pymc', 'pytensor', 'scipy', "
        "'pint', 'xarray', 'matplotlib') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_results_have_useful_views(deepseek_assessment: Assessment) -> None:
    lab = deepseek_assessment.estimate.spec
    assert repr(lab).startswith("LabSpec('deepseek': 40 inputs")
    post = deepseek_assessment.estimate
    assert "spend.total: median" in repr(post)
    frame = post.to_frame()
    assert frame.loc["spend.total", "median"] == post.posterior["spend.total"].median
    assert {"prior_median", "q05", "q95", "mcse_q05"} <= set(frame.columns)
    claims = deepseek_assessment.to_frame()
    assert claims.loc["popular_6m", "verdict"] == "contradicted"
    assert set(deepseek_assessment.questions_frame().index) == {q.id for q in lab.questions}
    assert "verdicts=" in repr(deepseek_assessment)
    tree = post.to_datatree()
    assert "spend.total" in tree["posterior"].data_vars
    drivers = deepseek_assessment.drivers
    assert drivers is not None
    assert repr(drivers).startswith("Drivers(largest swings: fleet.h100.count")
    assert drivers.to_frame().index[0] == "fleet.h100.count"


def test_check_claim_and_scenarios_through_the_api(deepseek_assessment: Assessment) -> None:
    post = deepseek_assessment.estimate
    verdict = est.check_claim(
        post,
        {
            "id": "far",
            "source": "test",
            "date": "2025-03-01",
            "quantity": "spend.total",
            "kind": "point",
            "value": "5M",
            "unit": "USD",
            "credibility": "hearsay",
            "use": "check",
        },
    )
    assert verdict.verdict == "contradicted"
    with pytest.raises(est.SpecError, match="duplicate claim id"):
        est.check_claim(
            post,
            {
                "id": "sa_h100",
                "source": "test",
                "date": "2025-03-01",
                "quantity": "spend.total",
                "kind": "point",
                "value": 1,
                "unit": "USD",
                "credibility": "hearsay",
                "use": "check",
            },
        )
    changed = est.apply_scenario(post.spec, "wang_50k_h100")
    assert changed.scenario == "wang_50k_h100"
    with pytest.raises(est.SpecError, match="did you mean 'wang_50k_h100'"):
        est.apply_scenario(post.spec, "wang_50k")


def test_a_window_given_as_text_is_the_same_as_the_period(deepseek: est.LabSpec) -> None:
    from estimator.model.periods import Period
    from estimator.spec.periods import parse_period

    written = est.with_window(deepseek, "2024")
    period = parse_period("2024")
    assert isinstance(period, Period)
    assert written.model.reporting == est.with_window(deepseek, period).model.reporting
    assert written.model.reporting.key == "2024"
    with pytest.raises(est.SpecError) as bad:
        est.with_window(deepseek, "2024-13")
    assert [(p.file, p.value) for p in bad.value.problems] == [("window", "2024-13")]
    with pytest.raises(est.SpecError, match="outside the lab's window"):
        est.with_window(deepseek, "2019")
