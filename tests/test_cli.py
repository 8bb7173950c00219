"""The command line end to end: run, validate, summary.json, reproducibility, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimator.cli import cli

from .conftest import DEEPSEEK


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_run_deepseek_prints_the_headline_and_writes_summary(tmp_path: Path) -> None:
    code, output = _run("run", str(DEEPSEEK), "--draws", "20000", "--out", str(tmp_path))
    assert code == 0, output
    assert "spend.total" in output
    assert "90% interval $" in output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["lab"] == "deepseek"
    total = summary["quantities"]["spend.total"]
    assert set(total) >= {"median", "mean", "ci90", "unit"}
    assert total["unit"] == "USD"
    low, high = total["ci90"]
    assert 0 < low < total["median"] < high
    provenance = summary["provenance"]
    assert set(provenance) >= {"inputs_sha256", "versions", "seed", "draws"}
    assert provenance["seed"] == 0
    assert provenance["draws"] == 20000
    assert len(provenance["inputs_sha256"]) == 64
    assert {"numpy", "python", "estimator"} <= set(provenance["versions"])


def test_same_inputs_and_seed_give_the_same_summary(tmp_path: Path) -> None:
    documents = []
    for name in ("a", "b"):
        code, _ = _run(
            "run", str(DEEPSEEK), "--draws", "5000", "--seed", "7", "--out", str(tmp_path / name)
        )
        assert code == 0
        document = json.loads((tmp_path / name / "summary.json").read_text())
        document["provenance"].pop("created")
        documents.append(document)
    assert documents[0] == documents[1]


def test_another_seed_changes_the_numbers(tmp_path: Path) -> None:
    medians = []
    for seed in ("1", "2"):
        _run("run", str(DEEPSEEK), "--draws", "5000", "--seed", seed, "--out", str(tmp_path))
        medians.append(
            json.loads((tmp_path / "summary.json").read_text())["quantities"]["spend.total"][
                "median"
            ]
        )
    assert medians[0] != medians[1]


def test_default_output_folder_is_reports_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _ = _run("run", str(DEEPSEEK), "--draws", "2000")
    assert code == 0
    assert (tmp_path / "reports" / "deepseek" / "summary.json").is_file()


def test_validate_ok() -> None:
    code, output = _run("validate", str(DEEPSEEK))
    assert code == 0
    assert "OK" in output


def test_mutated_priors_file_gives_exit_2_naming_file_and_key(
    toy_dir: Path, tmp_path: Path
) -> None:
    fleet = toy_dir / "fleet.toml"
    fleet.write_text(fleet.read_text().replace("between = [1000, 4000]", "between = [4000, 1000]"))
    code, output = _run("run", str(toy_dir), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "fleet.toml" in output
    assert "fleet.gpu_a.count.between" in output
    assert not (tmp_path / "out").exists()


def test_bad_options_exit_2() -> None:
    code, _ = _run("run", str(DEEPSEEK), "--draws", "-5")
    assert code == 2
    code, _ = _run("run", str(DEEPSEEK), "--seed", "abc")
    assert code == 2


def test_help_lists_the_commands() -> None:
    code, output = _run("--help")
    assert code == 0
    assert "run" in output
    assert "validate" in output


def test_second_lab_runs(tmp_path: Path) -> None:
    code, output = _run(
        "run", str(DEEPSEEK.parent / "xai-colossus"), "--draws", "5000", "--out", str(tmp_path)
    )
    assert code == 0, output
    assert json.loads((tmp_path / "summary.json").read_text())["lab"] == "xai-colossus"
