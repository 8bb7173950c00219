"""Adding claims: validation first, every other byte kept, atomic writes; update and
history on top."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimator.cli import cli
from estimator.errors import SpecError
from estimator.review.assessment import assess
from estimator.spec.ledger import add_claims, prepare
from estimator.spec.parse import load_lab

from ..conftest import DEEPSEEK, REDUCED_LAB, claims_toml, write_lab

NEW = {
    "id": "wire_capex",
    "source": "A wire report",
    "date": "2025-03-01",
    "quantity": "capex.hardware",
    "kind": "point",
    "value": "2.5B",
    "unit": "USD",
    "credibility": "anonymous_press",
    "use": "evidence",
}


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEEPSEEK, tmp_path / "deepseek"))


def _invoke(*args: str) -> tuple[int, str]:
    """Exit code and output, with line wrapping undone."""
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


SMALL_NEW = NEW | {"quantity": "gpu_spend", "value": "1.6e8"}
FAST = ("--method", "is", "--draws", "32768", "--skip-sensitivity")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The reduced lab with two claims: quick to estimate."""
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {
            "id": "count",
            "quantity": "fleet.x.count",
            "value": 4500,
            "unit": "GPU",
            "date": "2024-03-01",
        },
        {"id": "chips", "quantity": "gpu_spend", "value": 1.4e8, "date": "2024-06-01"},
    )
    return write_lab(tmp_path / "small", files)


def test_adding_keeps_every_other_byte_and_reads_back(lab: Path) -> None:
    before = (lab / "claims.toml").read_bytes()
    addition = add_claims(lab, [NEW])
    after = (lab / "claims.toml").read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].lstrip(b"\n").startswith(b"[[claims]]")
    claim = load_lab(lab).claim("wire_capex")
    assert claim.value == pytest.approx(2.5e9)
    assert claim.quantity == "capex.hardware"
    assert [c.id for c in addition.new_claims] == ["wire_capex"]


def test_a_failed_validation_writes_nothing(lab: Path) -> None:
    path = lab / "claims.toml"
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    bad = NEW | {"quantity": "capex.hardwar", "unit": "GPU"}
    with pytest.raises(SpecError) as info:
        add_claims(lab, [bad], "the new claim")
    assert any(
        p.file == "the new claim"
        and p.key == "claims[0] (wire_capex).quantity"
        and p.hint == "'capex.hardware'"
        for p in info.value.problems
    )
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in lab.iterdir()) == sorted(p.name for p in DEEPSEEK.iterdir())


def test_a_duplicate_id_is_refused(lab: Path) -> None:
    with pytest.raises(SpecError, match="duplicate claim id"):
        add_claims(lab, [NEW | {"id": "sa_h100"}])


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_an_interrupted_write_leaves_the_ledger_intact(
    lab: Path, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = lab / "claims.toml"
    before = path.read_bytes()
    addition = prepare(lab, [NEW])

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(OSError, match="simulated crash"):
        addition.write()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p for p in lab.iterdir() if p.name.endswith(".tmp")]
    assert load_lab(lab).claims == load_lab(DEEPSEEK).claims


def test_a_ledger_is_created_when_there_is_none(tmp_path: Path) -> None:
    folder = write_lab(tmp_path / "reduced", REDUCED_LAB)
    claim = NEW | {"quantity": "gpu_spend", "value": 1.2e8}
    add_claims(folder, [claim])
    assert load_lab(folder).claim("wire_capex").value == pytest.approx(1.2e8)
    assert (folder / "claims.toml").read_text().startswith("# The claims ledger")


def test_an_inline_array_ledger_keeps_its_comments(tmp_path: Path) -> None:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = (
        '# my ledger\nclaims = [\n  # first\n  { id = "a", source = "s", '
        'date = 2024-01-01, quantity = "gpu_spend", kind = "point", '
        'value = 1e8, unit = "USD", credibility = "hearsay", use = "check" },\n]\n'
    )
    folder = write_lab(tmp_path / "inline", files)
    add_claims(folder, [NEW | {"quantity": "gpu_spend", "value": 1.3e8}])
    text = (folder / "claims.toml").read_text()
    assert "# my ledger" in text
    assert "# first" in text
    assert [c.id for c in load_lab(folder).claims] == ["a", "wire_capex"]


def test_claims_from_a_file_are_reported_against_that_file(lab: Path, tmp_path: Path) -> None:
    snippet = tmp_path / "new.toml"
    snippet.write_text(claims_toml(NEW, NEW | {"id": "second", "kind": "sideways"}))
    code, output = _invoke("claims", "add", str(lab), "--from", str(snippet))
    assert code == 2
    assert f"{snippet}: claims[1] (second).kind: unknown kind" in output
    assert (lab / "claims.toml").read_bytes() == (DEEPSEEK / "claims.toml").read_bytes()


def test_claims_add_prints_the_verdict_before_writing(small: Path) -> None:
    before = (small / "claims.toml").read_bytes()
    args = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL_NEW.items()]
    code, output = _invoke("claims", "add", str(small), *args, "--method", "is", "--dry-run")
    assert code == 0, output
    assert "wire_capex" in output
    assert "consistent with the current posterior" in output
    assert "dry run: nothing written" in output
    assert (small / "claims.toml").read_bytes() == before
    code, output = _invoke("claims", "add", str(small), *args, "--method", "is")
    assert code == 0, output
    assert load_lab(small).claims[-1].id == "wire_capex"
    far = SMALL_NEW | {"id": "far", "value": "9e9"}
    code, output = _invoke(
        "claims", "add", str(small), *[f"--{k}={v}" for k, v in far.items()], "--method", "is"
    )
    assert code == 0
    assert "far" in output
    assert "contradicted with the current posterior" in output


def test_options_and_from_are_exclusive(lab: Path, tmp_path: Path) -> None:
    snippet = tmp_path / "new.toml"
    snippet.write_text(claims_toml(NEW))
    code, output = _invoke("claims", "add", str(lab), "--from", str(snippet), "--id", "x")
    assert code == 2
    assert "not both" in output


def test_update_lists_exactly_the_new_claim(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _ = _invoke("run", str(small), *FAST, "--out", str(out))
    assert code == 0
    add_claims(small, [SMALL_NEW])
    code, output = _invoke("update", str(small), *FAST, "--out", str(out))
    assert code == 0, output
    summary = json.loads((out / "summary.json").read_text())
    update = summary["update"]
    assert update["new_claims"] == ["wire_capex"]
    assert update["changed_claims"] == {}
    assert update["removed_claims"] == []
    assert update["inputs_changed"] is True
    assert "wire_capex" in output
    assert "what moved" in output
    old = update["quantities"]["spend.total"]["old"]["median"]
    new = update["quantities"]["spend.total"]["new"]["median"]
    assert new == summary["posterior"]["spend.total"]["median"]
    assert old != new
    assert "What changed since the last run" in (out / "report.html").read_text()


def test_update_reports_a_changed_claim(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _invoke("run", str(small), *FAST, "--out", str(out))
    ledger = small / "claims.toml"
    ledger.write_text(ledger.read_text().replace("value = 140000000.0", "value = 1.5e8"))
    code, _ = _invoke("update", str(small), *FAST, "--out", str(out))
    assert code == 0
    update = json.loads((out / "summary.json").read_text())["update"]
    assert update["new_claims"] == []
    assert update["changed_claims"] == {"chips": ["value"]}


def test_update_without_a_previous_run_is_a_baseline(small: Path, tmp_path: Path) -> None:
    code, output = _invoke("update", str(small), *FAST, "--out", str(tmp_path / "new"))
    assert code == 0
    assert "this run is the baseline" in output
    assert json.loads((tmp_path / "new" / "summary.json").read_text())["update"] is None


def test_update_refuses_a_damaged_previous_summary(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{not json")
    code, output = _invoke("update", str(small), *FAST, "--out", str(out))
    assert code == 2
    assert "summary.json" in output
    assert (out / "summary.json").read_text() == "{not json"


def test_history_last_point_equals_the_full_posterior(deepseek) -> None:  # type: ignore[no-untyped-def]
    assessment = assess(deepseek, "is", seed=5, history_of=("capex.hardware",), with_drivers=False)
    last = assessment.history[-1]
    for name in ("spend.total", "capex.hardware"):
        assert last.quantities[name].quantiles == assessment.estimate.posterior[name].quantiles
    dates = [p.date for p in assessment.history[1:]]
    assert dates == sorted(dates)
    assert assessment.history[0].date is None
    assert (
        assessment.history[0].quantities["spend.total"] == assessment.estimate.prior["spend.total"]
    )
    counted = [len(p.counted) for p in assessment.history]
    assert counted == sorted(counted)
    assert counted[-1] == len(deepseek.evidence)


def test_history_command_prints_and_draws(tmp_path: Path) -> None:
    code, output = _invoke(
        "history",
        str(DEEPSEEK),
        "--method",
        "is",
        "--quantity",
        "fleet.h100.count",
        "--out",
        str(tmp_path),
    )
    assert code == 0, output
    assert "spend.total over time" in output
    assert "fleet.h100.count over time" in output
    assert (tmp_path / "figures" / "history.png").is_file()
    assert (tmp_path / "figures" / "history_fleet.h100.count.svg").is_file()
    code, output = _invoke("history", str(DEEPSEEK), "--quantity", "spend.totl")
    assert code == 2
    assert "did you mean 'spend.total'" in output


def test_summary_json_carries_the_history(small: Path, tmp_path: Path) -> None:
    code, _ = _invoke("run", str(small), *FAST, "--out", str(tmp_path))
    assert code == 0
    history = json.loads((tmp_path / "summary.json").read_text())["history"]
    assert history[0]["date"] is None
    assert all({"date", "quantities"} <= set(point) for point in history)
    assert (
        history[-1]["quantities"]["spend.total"]["median"]
        == json.loads((tmp_path / "summary.json").read_text())["posterior"]["spend.total"]["median"]
    )


def test_a_claim_about_one_year_is_compared_with_that_year(lab: Path) -> None:
    """``during`` pins a claim to a period of the lab's window: a flow over that year,
    named ``<quantity>@<year>`` in the model, whatever window a run shows."""
    claim = NEW | {
        "id": "year_spend",
        "quantity": "spend.total",
        "during": "2024",
        "value": "300M",
        "unit": "USD",
        "use": "check",
    }
    addition = add_claims(lab, [claim])
    (added,) = addition.new_claims
    assert added.subject == "spend.total"
    assert added.during is not None
    assert added.during.key == "2024"
    assert added.quantity == "spend.total@2024"
    assert "during 2024" in added.stated
    spec = load_lab(lab)
    assert "spend.total@2024" in spec.model.quantities
    text = (lab / "claims.toml").read_text(encoding="utf-8")
    assert 'during = "2024"' in text


def test_claims_add_takes_during_and_scope_as_options(lab: Path) -> None:
    code, output = _invoke(
        "claims",
        "add",
        str(lab),
        "--id=fleet_opex_2024",
        "--source=test",
        "--date=2024-12-01",
        "--quantity=opex.total.fleet",
        "--scope=fleet",
        "--during=2024",
        "--kind=point",
        "--value=150M",
        "--unit=USD",
        "--credibility=analyst_estimate",
        "--use=check",
        *FAST[:2],
        "--dry-run",
    )
    assert code == 0, output
    assert "fleet_opex_2024" in output
    code, output = _invoke(
        "claims",
        "add",
        str(lab),
        "--id=wrong_scope",
        "--source=test",
        "--date=2024-12-01",
        "--quantity=opex.total.fleet",
        "--scope=lab",
        "--kind=point",
        "--value=150M",
        "--unit=USD",
        "--credibility=analyst_estimate",
        "--use=check",
        *FAST[:2],
    )
    assert code == 2, output
    assert "--scope" in output
    assert "did you mean 'opex.total'" in output


#: A claim naming its source in the shipped lab's sources.toml, taking its credibility.
BY_NEW = {k: v for k, v in NEW.items() if k != "credibility"} | {"by": "semianalysis"}


def test_a_claim_naming_its_source_is_written_with_by(lab: Path) -> None:
    addition = add_claims(lab, [BY_NEW])
    added = addition.after.claim("wire_capex")
    assert (added.by, added.credibility) == ("semianalysis", "analyst_estimate")
    text = (lab / "claims.toml").read_text(encoding="utf-8")
    assert '[[claims]]\nid = "wire_capex"\nby = "semianalysis"\n' in text
    assert load_lab(lab).claim("wire_capex").by == "semianalysis"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"by": "semianalysys"}, "by", "no source with this id in sources.toml"),
        ({"by": 3}, "by", "the id of a source is needed"),
        ({"reliability": 0.5}, "reliability", "has the source's reliability"),
        ({"credibility": "hearsay"}, "credibility", "the claim's class differs"),
    ],
)
def test_a_bad_by_is_refused_as_in_the_ledger(
    lab: Path, change: dict[str, object], key: str, message: str
) -> None:
    before = (lab / "claims.toml").read_bytes()
    with pytest.raises(SpecError) as info:
        add_claims(lab, [BY_NEW | change], "the new claim")
    (problem,) = info.value.problems
    assert (problem.file, problem.key) == ("the new claim", f"claims[0] (wire_capex).{key}")
    assert message in problem.message
    assert (lab / "claims.toml").read_bytes() == before


def test_claims_add_takes_by_as_an_option(small: Path) -> None:
    (small / "sources.toml").write_text(
        '[sources.wire]\nname = "A wire service"\ncredibility = "anonymous_press"\n',
        encoding="utf-8",
    )
    args = [f"--{k}={v}" for k, v in SMALL_NEW.items() if k != "credibility"]
    code, output = _invoke("claims", "add", str(small), *args, "--by=wire", "--method", "is")
    assert code == 0, output
    added = load_lab(small).claim("wire_capex")
    assert (added.by, added.credibility) == ("wire", "anonymous_press")
    assert 'by = "wire"' in (small / "claims.toml").read_text(encoding="utf-8")


def test_claims_add_refuses_a_bad_by_option(lab: Path) -> None:
    args = [f"--{k}={v}" for k, v in BY_NEW.items() if k != "by"]
    code, output = _invoke("claims", "add", str(lab), *args, "--by=semianalysys")
    assert code == 2, output
    assert "--by: no source with this id in sources.toml (got 'semianalysys')" in output
    assert "did you mean 'semianalysis'?" in output
    code, output = _invoke(
        "claims", "add", str(lab), *args, "--by=semianalysis", "--reliability=0.5"
    )
    assert code == 2, output
    assert "--reliability: a claim that names its source (by) has the source's" in output
    assert (lab / "claims.toml").read_bytes() == (DEEPSEEK / "claims.toml").read_bytes()


def test_by_in_a_from_file_is_read_as_in_the_ledger(lab: Path, tmp_path: Path) -> None:
    snippet = tmp_path / "new.toml"
    unsourced = {k: v for k, v in BY_NEW.items() if k != "by"}
    snippet.write_text(
        claims_toml(BY_NEW, unsourced | {"id": "misspelt", "bye": "semianalysis"}),
        encoding="utf-8",
    )
    code, output = _invoke("claims", "add", str(lab), "--from", str(snippet))
    assert code == 2
    assert f"{snippet}: claims[1] (misspelt).bye: unknown key" in output
    assert "did you mean 'by'?" in output
    assert "wire_capex" not in output  # the first claim, naming its source, is valid
    assert (lab / "claims.toml").read_bytes() == (DEEPSEEK / "claims.toml").read_bytes()


def test_history_marks_a_point_that_fails_its_diagnostics_and_exits_3(tmp_path: Path) -> None:
    # One sharp, fully trusted claim far out in the prior: the quick path's weights
    # collapse (k-hat over 0.7), and with --method is nothing else is tried.
    sharp = {
        "id": "sharp",
        "quantity": "gpu_spend",
        "value": 3.1e8,
        "noise": 0.0002,
        "reliability": 1.0,
        "credibility": "first_hand",
    }
    lab = write_lab(tmp_path / "lab", {**REDUCED_LAB, "claims.toml": claims_toml(sharp)})
    code, output = _invoke("history", str(lab), "--method", "is", "--out", str(tmp_path / "o"))
    assert code == 3, output
    assert "failed the diagnostics" in output
    assert "weak" in output  # the table's method column says so
    assert (tmp_path / "o" / "figures" / "history.png").is_file()  # drawn, and marked
