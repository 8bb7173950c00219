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


@pytest.fixture(scope="module")
def deepseek_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """One quick-path run of the shipped lab, shared by the tests that read its output."""
    out = tmp_path_factory.mktemp("run")
    code, output = _run("run", str(DEEPSEEK), "--method", "is", "--out", str(out))
    return code, output, out


def test_run_prints_prior_posterior_claims_and_the_headline(
    deepseek_run: tuple[int, str, Path],
) -> None:
    code, output, _ = deepseek_run
    assert code == 0, output
    for text in ("prior", "posterior", "ds_v3_cost", "popular_6m", "diagnostics passed"):
        assert text in output
    assert "spend.total: median $" in output
    assert "90% credible interval $" in output
    # The answer comes first; the files are written after it.
    assert output.index("spend.total: median $") < output.index("wrote ")


def test_summary_json_has_the_documented_keys(deepseek_run: tuple[int, str, Path]) -> None:
    _, _, out = deepseek_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["lab"] == "deepseek"
    for section in ("quantities", "posterior"):
        total = summary[section]["spend.total"]
        assert set(total) >= {"median", "mean", "ci90", "unit"}
        low, high = total["ci90"]
        assert 0 < low < total["median"] < high
    assert summary["headline"]["quantity"] == "spend.total"
    claims = {c["id"]: c for c in summary["claims"]}
    assert set(claims["ds_v3_cost"]) >= {"id", "quantity", "use", "reliability"}
    assert claims["popular_6m"]["use"] == "check"
    assert claims["luk_capex_60k"]["counted"] is False
    diagnostics = summary["diagnostics"]
    assert diagnostics["method"] == "is"
    assert diagnostics["passed"] is True
    assert diagnostics["reasons"] == []
    assert diagnostics["khat"] <= 0.7
    provenance = summary["provenance"]
    assert set(provenance) >= {"inputs_sha256", "versions", "seed", "draws"}
    assert len(provenance["inputs_sha256"]) == 64
    assert {"numpy", "python", "estimator", "pymc", "arviz"} <= set(provenance["versions"])


def test_posterior_nc_is_a_datatree_with_provenance(deepseek_run: tuple[int, str, Path]) -> None:
    import xarray as xr

    _, _, out = deepseek_run
    tree = xr.open_datatree(out / "posterior.nc", engine="h5netcdf")
    assert {"prior", "posterior", "log_likelihood"} <= set(tree.children)
    assert "spend.total" in tree["posterior"].data_vars
    assert "ds_v3_cost" in tree["log_likelihood"].data_vars
    provenance = json.loads(tree.attrs["provenance"])
    summary = json.loads((out / "summary.json").read_text())
    assert provenance["inputs_sha256"] == summary["provenance"]["inputs_sha256"]
    tree.close()


@pytest.mark.slow  # two full runs of the shipped lab: kept out of the quick suite's budget
def test_same_inputs_and_seed_give_the_same_summary(tmp_path: Path) -> None:
    documents = []
    for name in ("a", "b"):
        _run(
            "run",
            str(DEEPSEEK),
            "--method",
            "is",
            "--draws",
            "20000",
            "--seed",
            "7",
            "--out",
            str(tmp_path / name),
        )
        document = json.loads((tmp_path / name / "summary.json").read_text())
        document["provenance"].pop("created")
        documents.append(document)
    assert documents[0] == documents[1]


@pytest.mark.slow  # two full runs of the shipped lab: kept out of the quick suite's budget
def test_another_seed_changes_the_numbers(tmp_path: Path) -> None:
    medians = []
    for seed in ("1", "2"):
        _run(
            "run",
            str(DEEPSEEK),
            "--method",
            "is",
            "--draws",
            "5000",
            "--skip-sensitivity",
            "--seed",
            seed,
            "--out",
            str(tmp_path),
        )
        medians.append(
            json.loads((tmp_path / "summary.json").read_text())["quantities"]["spend.total"][
                "median"
            ]
        )
    assert medians[0] != medians[1]


def test_failed_diagnostics_exit_3_and_withhold_the_headline(tmp_path: Path) -> None:
    code, output = _run(
        "run",
        str(DEEPSEEK),
        "--method",
        "is",
        "--draws",
        "2000",
        "--skip-sensitivity",
        "--out",
        str(tmp_path),
    )
    assert code == 3
    assert "FAILED" in output
    assert "no headline interval is published" in output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["headline"] is None
    assert summary["diagnostics"]["passed"] is False
    assert summary["diagnostics"]["reasons"]


@pytest.mark.slow
def test_the_readme_command_runs_with_auto_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = _run("run", str(DEEPSEEK))
    assert code == 0, output
    summary = json.loads((tmp_path / "reports" / "deepseek" / "summary.json").read_text())
    assert summary["diagnostics"]["method"] in ("is", "nuts")
    assert summary["headline"] is not None


def test_default_output_folder_is_reports_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _run("run", str(DEEPSEEK), "--method", "is", "--draws", "2000", "--skip-sensitivity")
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
        "run",
        str(DEEPSEEK.parent / "xai-colossus"),
        "--draws",
        "5000",
        "--out",
        str(tmp_path),
    )
    assert code == 0, output
    assert json.loads((tmp_path / "summary.json").read_text())["lab"] == "xai-colossus"


def test_run_writes_the_report(deepseek_run: tuple[int, str, Path]) -> None:
    _, output, out = deepseek_run
    assert (out / "report.html").is_file()
    assert (out / "report.md").is_file()
    assert (out / "figures" / "total_spend.svg").is_file()
    assert "claims and verdicts" in output
    assert "questions" in output


def test_check_prints_verdicts_and_questions_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = _run("check", str(DEEPSEEK), "--method", "is", "--no-cache")
    assert code == 0, output
    assert "popular_6m" in output
    assert "contradicted" in output
    assert "Did DeepSeek spend over $1 billion" in output
    assert not any(tmp_path.iterdir())


def test_check_keeps_only_the_prior_draws_and_reads_them_back(
    toy_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --no-cache the one thing written is the prior-draw cache, and the numbers
    read from it are those drawn afresh."""
    monkeypatch.chdir(tmp_path)
    first = _run("check", str(toy_dir), "--method", "is")
    written = sorted(p.relative_to(tmp_path).parts[:3] for p in tmp_path.rglob("*"))
    assert {parts[:3] for parts in written if len(parts) >= 3} == {("reports", "toy", ".cache")}
    again = _run("check", str(toy_dir), "--method", "is")
    fresh = _run("check", str(toy_dir), "--method", "is", "--no-cache")
    assert first == again == fresh
    assert first[0] == 0, first[1]


WINDOW_RUN = ("--method", "is", "--draws", "65536", "--skip-sensitivity", "--seed", "3")


@pytest.fixture(scope="module")
def window_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, dict]]:
    """The shipped lab over its own window, over 2024, and over the same days written out."""
    out = {}
    for name, extra in (
        ("lab", ()),
        ("2024", ("--window", "2024")),
        ("days", ("--window", "2023-07-17..2025-01-31")),
    ):
        folder = tmp_path_factory.mktemp(f"window_{name}")
        code, output = _run("run", str(DEEPSEEK), *WINDOW_RUN, *extra, "--out", str(folder))
        assert code == 0, output
        out[name] = (output, json.loads((folder / "summary.json").read_text()))
    return out


def test_any_window_prints_its_years(window_runs: dict[str, tuple[str, dict]]) -> None:
    output, summary = window_runs["2024"]
    assert summary["window"]["start"] == "2024-01-01"
    assert summary["window"]["end"] == "2024-12-31"
    assert summary["lab_window"]["start"] == "2023-07-17"
    assert list(summary["periods"]) == ["2024"]
    output, summary = window_runs["days"]
    assert "year by year" in output
    assert list(summary["periods"]) == ["2023", "2024", "2025"]
    assert summary["periods"]["2023"]["start"] == "2023-07-17"
    assert set(summary["periods"]["2024"]["spend.total"]) == {"median", "mean", "ci90", "unit"}


def test_the_window_written_out_is_the_lab_window(window_runs: dict[str, tuple[str, dict]]) -> None:
    _, lab = window_runs["lab"]
    _, days = window_runs["days"]
    assert days["headline"] == lab["headline"]
    assert days["periods"] == lab["periods"]


def test_a_year_is_the_same_whichever_window_shows_it(
    window_runs: dict[str, tuple[str, dict]],
) -> None:
    """Claims speak about the lab's window whatever window is shown, so the evidence, and
    so the 2024 posterior, are the same draw for draw."""
    _, lab = window_runs["lab"]
    _, year = window_runs["2024"]
    for name in ("spend.total", "cost.amortized", "opex.total"):
        assert year["posterior"][name]["median"] == lab["periods"]["2024"][name]["median"]
        assert year["posterior"][name]["ci90"] == lab["periods"]["2024"][name]["ci90"]
    fields = ("subject", "during", "percentile", "tail_probability", "verdict", "reliability")
    for shown, own in zip(year["claims"], lab["claims"], strict=True):
        assert {f: shown[f] for f in fields} == {f: own[f] for f in fields}, own["id"]


def test_a_headline_of_the_users_choosing(tmp_path: Path) -> None:
    code, output = _run(
        "run", str(DEEPSEEK), *WINDOW_RUN, "--quantity", "cost.amortized", "--out", str(tmp_path)
    )
    assert code == 0, output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["headline"]["quantity"] == "cost.amortized"
    assert summary["headline"]["median"] == summary["posterior"]["cost.amortized"]["median"]
    assert "cost.amortized: median" in output
    report = (tmp_path / "report.md").read_text()
    assert "**Headline:** cost.amortized median" in report
