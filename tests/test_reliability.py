"""Nothing damaged, results reproducible, nothing unsafe.

- Every write goes through :mod:`estimator.atomic`; a failure at any one write of a run
  leaves each earlier output either as it was or wholly replaced, no temporary files, and
  the ledger untouched.
- The same inputs and seed give a byte-identical ``summary.json`` in two processes; another
  seed moves the numbers, but only within their Monte Carlo error; any changed input byte
  changes the provenance hash.
- No ``eval``/``exec``/pickle/YAML in the package, and the main job runs with the network
  cut off.
"""

from __future__ import annotations

import ast
import dataclasses
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import estimator.atomic
from estimator.cli import cli
from estimator.inference.forward import forward_summaries
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from .conftest import DEEPSEEK, REDUCED_LAB, ROOT, claims_toml, write_lab

PACKAGE = ROOT / "estimator"
FIXED_TIME = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ---------------------------------------------------------------------------------------
# Nothing damaged
# ---------------------------------------------------------------------------------------


def _writes_outside_the_atomic_helper(path: Path) -> list[str]:
    """Calls that write files directly: ``write_text``/``write_bytes``, ``open`` in a
    writing mode, or ``savefig``/``to_netcdf`` given a path rather than a buffer."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("write_text", "write_bytes"):
            found.append(f"{path.name}:{node.lineno} {name}")
        if name in ("open", "fdopen") and path.name != "atomic.py":
            modes = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "mode")]
            for mode in modes:
                if isinstance(mode, ast.Constant) and set(str(mode.value)) & set("wax+"):
                    found.append(f"{path.name}:{node.lineno} open({mode.value!r})")
        if name in ("savefig", "to_netcdf") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) or (
                isinstance(first, ast.Name) and "path" in first.id.lower()
            ):
                found.append(f"{path.name}:{node.lineno} {name} to a path")
    return found


def test_every_write_goes_through_the_atomic_helper() -> None:
    offenders = [
        hit for p in sorted(PACKAGE.rglob("*.py")) for hit in _writes_outside_the_atomic_helper(p)
    ]
    assert offenders == []


def _run_lab(tmp_path: Path) -> Path:
    claims = claims_toml(
        {"id": "count", "quantity": "fleet.x.count", "value": 5000, "unit": "GPU"},
        {"id": "capex", "quantity": "capex.hardware", "value": 2.2e8},
    )
    return write_lab(tmp_path / "lab", {**REDUCED_LAB, "claims.toml": claims})


def _run(lab: Path, out: Path, seed: int) -> Any:
    arguments = ["run", str(lab), "--method", "is", "--draws", "4000", "--seed", str(seed)]
    # The prior-draw cache is not an output (its own failures are tested with it).
    options = ["--skip-sensitivity", "--no-cache", "--out", str(out)]
    return CliRunner().invoke(cli, [*arguments, *options])


@pytest.mark.slow
def test_a_failure_at_any_write_leaves_every_output_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FIXED_TIME.items():
        monkeypatch.setenv(key, value)
    lab = _run_lab(tmp_path)
    ledger = _snapshot(lab)
    first, second = tmp_path / "first", tmp_path / "second"
    assert _run(lab, first, seed=0).exit_code == 0
    old = _snapshot(first)
    shutil.copytree(first, second)
    replaced: list[str] = []
    real_replace = os.replace

    def counting(source: Any, target: Any) -> None:
        replaced.append(str(target))
        real_replace(source, target)

    monkeypatch.setattr(estimator.atomic.os, "replace", counting)
    assert _run(lab, second, seed=1).exit_code == 0
    new = _snapshot(second)
    writes = len(replaced)
    assert writes >= 5, replaced
    assert new.keys() == old.keys()

    for failing in range(writes):
        attempt = tmp_path / f"attempt{failing}"
        shutil.copytree(first, attempt)
        calls = iter(range(writes + 1))

        def failing_replace(
            source: Any, target: Any, at: int = failing, calls: Any = calls
        ) -> None:
            if next(calls) == at:
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
            real_replace(source, target)

        monkeypatch.setattr(estimator.atomic.os, "replace", failing_replace)
        result = _run(lab, attempt, seed=1)
        assert result.exit_code == 1, (failing, result.output)
        assert "Traceback" not in result.output
        assert "No space left on device" in result.output
        after = _snapshot(attempt)
        assert after.keys() == old.keys(), failing
        for name, content in after.items():
            if name == "posterior.nc":  # HDF5 stamps times: check it is one whole run's
                assert _posterior_seed(attempt / name) in (0, 1), failing
                continue
            assert content in (old[name], new[name]), (failing, name)
        assert not list(attempt.rglob("*.tmp")), failing
        assert _snapshot(lab) == ledger


def _posterior_seed(path: Path) -> int:
    import xarray as xr

    with xr.open_datatree(path, engine="h5netcdf") as tree:
        return int(json.loads(tree.attrs["provenance"])["seed"])


# ---------------------------------------------------------------------------------------
# Reproducible
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_processes_write_byte_identical_outputs(tmp_path: Path) -> None:
    """summary.json and the report are byte-identical across processes, given the same
    ``created`` stamp (SOURCE_DATE_EPOCH; without it only that field differs, as
    tests/test_cli.py checks)."""
    outputs = {}
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [
                *(sys.executable, "-m", "estimator", "run", str(DEEPSEEK)),
                *("--method", "is", "--seed", "11", "--skip-sensitivity"),
                *("--out", str(out)),
            ],
            check=True,
            capture_output=True,
            cwd=tmp_path,
            env={**os.environ, "MPLBACKEND": "Agg", **FIXED_TIME},
        )
        outputs[name] = out
    for file in ("summary.json", "report.md", "report.html"):
        assert (outputs["a"] / file).read_bytes() == (outputs["b"] / file).read_bytes(), file
    stamp = json.loads((outputs["a"] / "summary.json").read_text())["provenance"]
    assert stamp["created"] == "2026-01-01T00:00:00+00:00"


def test_another_seed_moves_every_number_only_within_its_mc_error(deepseek: LabSpec) -> None:
    """Seeds 0 and 1: every quantile of every quantity differs, by less than 4.5 combined
    standard errors (with 64 quantities x 5 quantiles, a chance of about 2e-3 of a false
    alarm if the errors were exact and independent; they are fixed by the seeds)."""
    one, two = forward_summaries(deepseek, 2**16, 0), forward_summaries(deepseek, 2**16, 1)
    varying = [n for n, s in one.items() if s.sd > 0]
    assert len(varying) > 40
    worst = 0.0
    for name in varying:
        for p, value in one[name].quantiles.items():
            other = two[name].quantiles[p]
            se = (one[name].quantile_mcse[p] ** 2 + two[name].quantile_mcse[p] ** 2) ** 0.5
            assert value != other, (name, p)
            worst = max(worst, abs(value - other) / se)
    assert worst < 4.5


def test_every_lab_file_is_in_the_provenance_hash(deepseek: LabSpec) -> None:
    toml_files = {p.name for p in DEEPSEEK.glob("*.toml")}
    assert toml_files <= set(deepseek.files)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.data())
def test_any_changed_input_byte_changes_the_provenance_hash(data: st.DataObject) -> None:
    spec = _DEEPSEEK_SPEC
    name = data.draw(st.sampled_from(sorted(spec.files)))
    content = spec.files[name]
    position = data.draw(st.integers(0, len(content)))
    edit = data.draw(st.sampled_from(["flip", "insert", "delete"]))
    if edit == "flip" and position < len(content):
        byte = data.draw(st.integers(0, 255).filter(lambda b: b != content[position]))
        changed = content[:position] + bytes([byte]) + content[position + 1 :]
    elif edit == "delete" and position < len(content):
        changed = content[:position] + content[position + 1 :]
    else:
        changed = (
            content[:position] + data.draw(st.binary(min_size=1, max_size=3)) + content[position:]
        )
    mutated = dataclasses.replace(spec, files={**spec.files, name: changed})
    assert mutated.inputs_sha256 != spec.inputs_sha256


_DEEPSEEK_SPEC = load_lab(DEEPSEEK)


# ---------------------------------------------------------------------------------------
# Safe by construction
# ---------------------------------------------------------------------------------------


def test_no_eval_exec_pickle_or_unsafe_yaml_in_the_package() -> None:
    banned_calls = {"eval", "exec", "compile", "__import__"}
    banned_modules = {"pickle", "cPickle", "dill", "cloudpickle", "shelve", "marshal", "yaml"}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            called = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if called in banned_calls:
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)} {called}()")
            if isinstance(node, ast.Import):
                found += [
                    f"{path.name}: import {a.name}"
                    for a in node.names
                    if a.name.split(".")[0] in banned_modules
                ]
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] in banned_modules
            ):
                found.append(f"{path.name}: from {node.module} import")
    assert found == []


@pytest.mark.slow
def test_the_main_job_runs_with_the_network_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError(errno.ENETUNREACH, "network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = CliRunner().invoke(
        cli, ["run", str(DEEPSEEK), "--method", "is", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert attempts == []
    assert (tmp_path / "summary.json").exists()
