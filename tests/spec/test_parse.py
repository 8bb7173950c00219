"""The pure parser: ``read_lab_files`` reads, ``parse_lab`` parses without touching the
disk or the clock, and a problem in one file never produces problems about another."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from estimator.errors import SpecError
from estimator.spec.files import read_lab_files
from estimator.spec.ledger import prepare
from estimator.spec.parse import load_lab, parse_lab

from ..conftest import DEEPSEEK, REDUCED_LAB, claims_toml, write_lab

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def deepseek_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "deepseek"
    shutil.copytree(DEEPSEEK, folder)
    return folder


def problems_of(folder: Path) -> list[tuple[str, str, str]]:
    """(file name, key, message) of every problem the folder has."""
    with pytest.raises(SpecError) as info:
        load_lab(folder, today=TODAY)
    return [(Path(p.file).name, p.key, p.message) for p in info.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_parsing_reads_nothing_from_disk(deepseek_copy: Path) -> None:
    files = read_lab_files(deepseek_copy)
    shutil.rmtree(deepseek_copy)
    spec = parse_lab(files, today=TODAY)
    assert spec.name == "deepseek"
    assert spec.inputs_sha256 == load_lab(DEEPSEEK, today=TODAY).inputs_sha256
    assert set(spec.files) == {p.name for p in DEEPSEEK.glob("*.toml")}


def test_the_same_bytes_and_day_give_the_same_lab() -> None:
    files = read_lab_files(DEEPSEEK)
    one, two = parse_lab(files, today=TODAY), parse_lab(files, today=TODAY)
    assert one.claims == two.claims
    assert one.priors == two.priors
    assert one.inputs_sha256 == two.inputs_sha256


def test_today_is_the_callers(tmp_path: Path) -> None:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml({"id": "late", "quantity": "gpu_spend", "value": 1e8})
    folder = write_lab(tmp_path / "lab", files)
    # The claim is dated 2024-06-01: on 2024-05-31 it lies in the future.
    assert parse_lab(read_lab_files(folder), today=dt.date(2024, 6, 1)).claim("late")
    with pytest.raises(SpecError, match="the date is in the future"):
        parse_lab(read_lab_files(folder), today=dt.date(2024, 5, 31))


def test_a_file_can_be_replaced_in_memory(tmp_path: Path) -> None:
    folder = write_lab(tmp_path / "lab", dict(REDUCED_LAB))
    files = read_lab_files(folder)
    ledger = claims_toml({"id": "chips", "quantity": "gpu_spend", "value": 1.4e8})
    spec = parse_lab(files.with_file("claims.toml", ledger.encode()), today=TODAY)
    assert [c.id for c in spec.claims] == ["chips"]
    assert not (folder / "claims.toml").exists()


def test_a_bad_belief_in_fleet_toml_blames_fleet_toml_alone(deepseek_copy: Path) -> None:
    """A correlated input whose belief can't be read is not 'unknown' to correlations.toml."""
    edit(deepseek_copy / "fleet.toml", 'between = ["22k", "40k"]', 'between = ["22k", "4O0k"]')
    problems = problems_of(deepseek_copy)
    assert problems, problems
    assert {file for file, _, _ in problems} == {"fleet.toml"}, problems


def test_a_broken_fleet_structure_blames_fleet_toml_alone(deepseek_copy: Path) -> None:
    """Claims, questions, scenarios and correlations about a type fleet.toml failed to
    define are not reported as unknown quantities."""
    path = deepseek_copy / "fleet.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[fleet.h100", "[fleet.H100"))
    problems = problems_of(deepseek_copy)
    assert {file for file, _, _ in problems} == {"fleet.toml"}, problems


def test_a_broken_exchange_rate_blames_lab_toml_alone(deepseek_copy: Path) -> None:
    """Beliefs and claims stated in CNY don't report a missing rate when the rate itself
    is the problem."""
    edit(deepseek_copy / "lab.toml", 'unit = "CNY/USD"', 'unit = "CNY/EUR"')
    problems = problems_of(deepseek_copy)
    assert {file for file, _, _ in problems} == {"lab.toml"}, problems


def test_a_real_unknown_quantity_is_still_reported_beside_other_problems(
    deepseek_copy: Path,
) -> None:
    edit(deepseek_copy / "costs.toml", "[energy.pue]\nbetween", "[energy.pue]\nbetwen")
    edit(deepseek_copy / "claims.toml", 'quantity = "gpu_spend"', 'quantity = "gpu_spent"')
    problems = problems_of(deepseek_copy)
    assert any(f == "costs.toml" and k == "energy.pue.betwen" for f, k, _ in problems)
    assert any(f == "claims.toml" and m == "unknown quantity" for f, _, m in problems)


def test_claims_are_validated_without_writing_anything(
    deepseek_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prepare`` checks new claims in memory: no scratch copy, no write, anywhere."""

    def no_writes(*args: object, **kwargs: object) -> None:
        raise AssertionError("prepare wrote to disk")

    monkeypatch.setattr(os, "replace", no_writes)
    monkeypatch.setattr(shutil, "copytree", no_writes)
    monkeypatch.setattr(Path, "write_bytes", no_writes)
    monkeypatch.setattr(Path, "write_text", no_writes)
    claim = {
        "id": "in_memory",
        "source": "test",
        "date": "2025-03-01",
        "quantity": "gpu_spend",
        "kind": "point",
        "value": "1B",
        "unit": "USD",
        "credibility": "hearsay",
        "use": "check",
    }
    addition = prepare(deepseek_copy, [claim], today=TODAY)
    assert [c.id for c in addition.new_claims] == ["in_memory"]
    with pytest.raises(SpecError) as info:
        prepare(deepseek_copy, [claim | {"quantity": "gpu_spent"}], "snippet.toml", today=TODAY)
    (problem,) = info.value.problems
    assert (problem.file, problem.key) == ("snippet.toml", "claims[0] (in_memory).quantity")
    assert problem.hint == "'gpu_spend'"


def test_questions_and_claims_name_their_period(tmp_path: Path) -> None:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {"id": "h1", "quantity": "spend.total", "during": "2024-01..2024-06", "value": 2e8},
        {"id": "stock", "quantity": "gpu_spend", "during": "2024-03", "value": 1e8},
        {"id": "plain", "quantity": "spend.total", "value": 4e8},
    )
    files["questions.toml"] = (
        '[[questions]]\nid = "h1_big"\ntext = "?"\nquantity = "spend.total"\n'
        'per = "opex.total"\nduring = "2024-01..2024-06"\nabove = 2\nunit = "ratio"\n'
    )
    spec = load_lab(write_lab(tmp_path / "lab", files), today=TODAY)
    targets = {c.id: c.quantity for c in spec.claims}
    assert targets == {
        "h1": "spend.total@2024-01-01..2024-06-30",
        "stock": "gpu_spend@2024-03",
        "plain": "spend.total",
    }
    (question,) = spec.questions
    assert question.quantity == "spend.total@2024-01-01..2024-06-30"
    assert question.per == "opex.total@2024-01-01..2024-06-30"
    assert "during 2024-01-01..2024-06-30" in question.describe()
    for target in (*targets.values(), question.quantity, question.per):
        assert target in spec.model.quantities
    draws = spec.model.evaluate({n: p.belief.mean() for n, p in spec.priors.items()})
    assert set(spec.model.quantities) <= set(draws)
