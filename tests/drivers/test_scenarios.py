"""Scenarios: an overlay changes exactly what it names; bad scenario specs are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from estimator.cli import cli
from estimator.errors import SpecError
from estimator.spec.lab import LabSpec, apply
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab

CLAIMS = claims_toml(
    {"id": "count", "quantity": "fleet.x.count", "value": 4500, "unit": "GPU"},
    {"id": "chips", "quantity": "gpu_spend", "value": 1.4e8},
    {
        "id": "rumour",
        "quantity": "fleet.x.count",
        "value": 9000,
        "unit": "GPU",
        "credibility": "hearsay",
    },
)

SCENARIOS = """
[scenarios.big_fleet]
title = "A big fleet"
description = "Believe the rumour."

[scenarios.big_fleet.priors."fleet.x.count"]
between = [8000, 10000]
unit = "GPU"
source = "the rumour"

[scenarios.big_fleet.claims]
drop = ["count"]

[scenarios.nested_form.priors.fleet.x.unit_price]
value = "30k"
unit = "USD/GPU"
source = "test"

[scenarios.nested_form]
title = "Nested keys"

[scenarios.only_chips]
title = "Only the chip spend"

[scenarios.only_chips.claims]
keep = ["chips"]

[[scenarios.only_chips.claims.add]]
id = "new_count"
source = "test"
date = 2024-06-01
quantity = "fleet.x.count"
kind = "lower_bound"
value = 3000
unit = "GPU"
credibility = "first_hand"
use = "evidence"
"""


def _lab(tmp_path: Path, scenarios: str) -> Path:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = CLAIMS
    files["scenarios.toml"] = scenarios
    return write_lab(tmp_path / "lab", files)


@pytest.fixture
def spec(tmp_path: Path) -> LabSpec:
    return load_lab(_lab(tmp_path, SCENARIOS))


def test_an_overlay_changes_exactly_what_it_names(spec: LabSpec) -> None:
    changed = apply(spec, spec.scenarios["big_fleet"])
    assert changed.priors["fleet.x.count"].stated.startswith("90% between 8,000 and 10,000")
    assert changed.priors["fleet.x.count"] != spec.priors["fleet.x.count"]
    for name, prior in spec.priors.items():
        if name != "fleet.x.count":
            assert changed.priors[name] is prior
    assert [c.id for c in changed.claims] == ["chips", "rumour"]
    assert changed.claims[0] is spec.claims[1]
    assert changed.model is spec.model
    assert changed.scenario == "big_fleet"
    assert spec.scenario is None


def test_nested_keys_and_keep_and_add(spec: LabSpec) -> None:
    nested = apply(spec, spec.scenarios["nested_form"])
    assert nested.priors["fleet.x.unit_price"].belief.mean() == pytest.approx(30_000)
    only = apply(spec, spec.scenarios["only_chips"])
    assert [c.id for c in only.claims] == ["chips", "new_count"]
    assert [c.id for c in only.evidence] == ["chips", "new_count"]


def test_run_with_a_scenario(tmp_path: Path) -> None:
    folder = _lab(tmp_path, SCENARIOS)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(folder),
            "--method",
            "is",
            "--draws",
            "32768",
            "--scenario",
            "big_fleet",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = (out / "summary.json").read_text()
    assert '"scenario": "big_fleet"' in summary
    result = CliRunner().invoke(cli, ["run", str(folder), "--scenario", "big_flet"])
    assert result.exit_code == 2
    assert "did you mean 'big_fleet'" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (
            '[scenarios.s]\ntitle = "t"\n[scenarios.s.priors."fleet.x.cont"]\nvalue = 1\n'
            'unit = "GPU"\nsource = "x"\n',
            "scenarios.s.priors.fleet.x.cont",
            "unknown input",
        ),
        (
            '[scenarios.s]\ntitle = "t"\n[scenarios.s.priors."fleet.x.count"]\nbetween = [9, 3]\n'
            'unit = "GPU"\nsource = "x"\n',
            "scenarios.s.priors.fleet.x.count.between",
            "low end",
        ),
        (
            '[scenarios.s]\ntitle = "t"\n[scenarios.s.claims]\ndrop = ["rumor"]\n',
            "scenarios.s.claims.drop",
            "no claim with this id",
        ),
        (
            '[scenarios.s]\ntitle = "t"\n[scenarios.s.claims]\n'
            'drop = ["count"]\nkeep = ["chips"]\n',
            "scenarios.s.claims",
            "not both",
        ),
        (
            '[scenarios.s]\ntitle = "t"\n[scenarios.s.claims]\n[[scenarios.s.claims.add]]\n'
            'id = "count"\nsource = "x"\ndate = 2024-01-01\nquantity = "gpu_spend"\n'
            'kind = "point"\n'
            'value = 1\nunit = "USD"\ncredibility = "hearsay"\nuse = "check"\n',
            "scenarios.s.claims.add",
            "already a claim",
        ),
        ('[scenarios.s]\ntitel = "t"\n', "scenarios.s.titel", "unknown key"),
        ('[scenarios.S-1]\ntitle = "t"\n', "scenarios.S-1", "invalid scenario name"),
    ],
)
def test_bad_scenarios_are_refused(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    folder = _lab(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert any(
        p.key == key and fragment in p.message and p.file.endswith("scenarios.toml")
        for p in info.value.problems
    ), info.value.problems
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_shipped_scenarios_move_the_headline_as_expected(deepseek: LabSpec) -> None:
    from estimator.drivers.scenarios import scenario_outcomes
    from estimator.inference.estimation import estimate

    outcomes = {o.name: o for o in scenario_outcomes(estimate(deepseek, "is", seed=0))}
    assert set(outcomes) == {
        "semianalysis_fleet",
        "wang_50k_h100",
        "deepseek_own_accounting",
        "sa_opex_yearly",
        "sa_opex_deepseek",
    }
    assert all(o.passed for o in outcomes.values())
    # Believing 50k H100s raises the estimate well above SemiAnalysis' fleet.
    assert (
        outcomes["wang_50k_h100"].headline.median
        > 1.5 * outcomes["semianalysis_fleet"].headline.median
    )


def test_scenario_reruns_are_a_sweep_whose_numbers_do_not_depend_on_the_engine(
    spec: LabSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reruns of scenarios that restate priors give the same outcomes in this process,
    on two loky processes (ESTIMATOR_JOBS) and on joblib's threads (its own config)."""
    import joblib

    from estimator.drivers.scenarios import scenario_outcomes
    from estimator.inference.estimation import estimate

    result = estimate(spec, "is", draws=20_000, seed=4)
    here = scenario_outcomes(result)
    monkeypatch.setenv("ESTIMATOR_JOBS", "2")
    processes = scenario_outcomes(result)
    monkeypatch.delenv("ESTIMATOR_JOBS")
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threads = scenario_outcomes(result)
    assert sum(bool(o.changes.get("priors")) for o in here) == 2
    assert here == processes == threads
