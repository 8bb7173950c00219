"""Bad-input catalogues for the optional files of a lab: scenarios (``scenarios.toml``),
correlations (``correlations.toml``) and questions (``questions.toml``).

Each catalogue is built like the priors and claims ones: ``tests/fixtures/bad_<surface>/``
holds a valid lab (``_valid``: the minimal lab of the bad-input catalogue plus the surface
file, and for scenarios the claims ledger they refer to) and one folder per kind of
mistake, a copy of ``_valid`` whose surface file has exactly one defect. For every case the
loader must raise :class:`~estimator.errors.SpecError` naming the file, the key, what is
wrong and the offending value; ``validate`` and ``run`` must exit with code 2 and print
that, never a traceback, and write nothing. Cases that can't live in git (non-UTF-8
bytes, 1 MB texts) are built at test time.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from estimator.cli import EXIT_BAD_INPUT
from estimator.errors import Problem, SpecError
from estimator.spec.parse import load_lab
from tests.spec.test_bad_input import (
    ANY,
    ECHO_LIMIT,
    MEGABYTE,
    Expect,
    _assert_clean_exit,
    _assert_refused,
    _invoke,
    _matches,
    _show,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class Surface(NamedTuple):
    """One catalogue: its folder, the file its cases break and the lab it extends."""

    name: str
    file: str
    base: Path

    @property
    def folder(self) -> Path:
        return FIXTURES / f"bad_{self.name}"

    @property
    def valid(self) -> Path:
        return self.folder / "_valid"


SCENARIOS = Surface("scenarios", "scenarios.toml", FIXTURES / "bad_claims" / "_valid")
CORRELATIONS = Surface("correlations", "correlations.toml", FIXTURES / "bad" / "_valid_minimal")
QUESTIONS = Surface("questions", "questions.toml", FIXTURES / "bad" / "_valid_minimal")
SURFACES = {s.name: s for s in (SCENARIOS, CORRELATIONS, QUESTIONS)}

BIG = "scenarios.big_team"
OWN = "scenarios.own_word"
ADDED = f"{OWN}.claims.add[0] (own_team)"
Q0 = "questions[0] (over_1b)"
Q1 = "questions[1] (gpu_share)"


def _case(
    surface: Surface,
    case: str,
    key: str,
    fragment: str,
    value: object = ANY,
    hint: str | None = None,
) -> tuple[Surface, Expect]:
    return surface, Expect(case, surface.file, key, fragment, value, hint)


CASES: list[tuple[Surface, Expect]] = [
    # scenarios.toml
    _case(SCENARIOS, "malformed_toml", "", "malformed TOML"),
    _case(SCENARIOS, "truncated_mid_table", "", "malformed TOML"),
    _case(SCENARIOS, "unknown_key", f"{BIG}.descripton", "unknown key", hint="'description'"),
    _case(SCENARIOS, "missing_title", f"{OWN}.title", "missing required key"),
    _case(SCENARIOS, "invalid_name", "scenarios.Big_team", "invalid scenario name", "Big_team"),
    _case(
        SCENARIOS,
        "name_too_long",
        "scenarios." + "o" * 65,
        "invalid scenario name",
        "o" * 65,
    ),
    _case(
        SCENARIOS,
        "unknown_input",
        f"{BIG}.priors.staff.headcont",
        "unknown input",
        "staff.headcont",
        hint="'staff.headcount'",
    ),
    _case(
        SCENARIOS,
        "huge_prior",
        f"{BIG}.priors.staff.headcount",
        "out of range",
        {"between": [200, 1e308]},
    ),
    _case(
        SCENARIOS,
        "negative_zero_low_end",
        f"{BIG}.priors.staff.headcount.between",
        "lognormal interval needs a positive low end",
        [-0.0, 400],
    ),
    _case(
        SCENARIOS,
        "drop_unknown_claim",
        f"{BIG}.claims.drop",
        "no claim with this id",
        "press_headcont",
        hint="'press_headcount'",
    ),
    _case(SCENARIOS, "drop_and_keep", f"{BIG}.claims", "give drop or keep, not both"),
    _case(SCENARIOS, "add_future_date", f"{ADDED}.date", "the date is in the future", "2999-01-01"),
    _case(
        SCENARIOS,
        "add_existing_id",
        f"{OWN}.claims.add",
        "this id is already a claim of the lab",
        "own_cluster",
    ),
    _case(SCENARIOS, "add_huge_value", f"{ADDED}.value", "out of range once converted", 1e308),
    _case(SCENARIOS, "priors_not_table", f"{OWN}.priors", "a table of replaced priors", 3),
    _case(SCENARIOS, "misspelt_scenarios_table", "scenario", "unknown key", hint="'scenarios'"),
    # correlations.toml
    _case(CORRELATIONS, "truncated_mid_string", "", "malformed TOML"),
    _case(
        CORRELATIONS,
        "unknown_input",
        "correlations[0].inputs",
        "unknown input",
        "staff.pey",
        hint="'staff.pay'",
    ),
    _case(
        CORRELATIONS,
        "self_correlation",
        "correlations[1].inputs",
        "can't be correlated with itself",
        ["energy.pue", "energy.pue"],
    ),
    _case(
        CORRELATIONS,
        "three_inputs",
        "correlations[1].inputs",
        "exactly two input names",
        ["energy.price", "energy.pue", "energy.load"],
    ),
    _case(CORRELATIONS, "rank_one", "correlations[0].rank", "strictly between -1 and 1", 1.0),
    _case(CORRELATIONS, "rank_huge", "correlations[0].rank", "strictly between -1 and 1", 1e308),
    _case(CORRELATIONS, "rank_text", "correlations[0].rank", "a number is needed", "high"),
    _case(CORRELATIONS, "missing_source", "correlations[0].source", "missing required key"),
    _case(
        CORRELATIONS,
        "future_date",
        "correlations[1].date",
        "the date is in the future",
        "2999-01-01",
    ),
    _case(CORRELATIONS, "unknown_key", "correlations[1].rnak", "unknown key", hint="'rank'"),
    _case(
        CORRELATIONS,
        "pair_twice",
        "correlations[1].inputs",
        "this pair is correlated twice",
        ["staff.pay", "fleet.h100.unit_price"],
    ),
    _case(CORRELATIONS, "not_positive_definite", "correlations", "not positive definite"),
    _case(CORRELATIONS, "not_tables", "correlations", "must be [[correlations]] tables", 3),
    # questions.toml
    _case(QUESTIONS, "truncated_mid_table", "", "malformed TOML"),
    _case(
        QUESTIONS,
        "unknown_quantity",
        f"{Q0}.quantity",
        "unknown quantity",
        "spend.totl",
        hint="'spend.total'",
    ),
    _case(
        QUESTIONS,
        "unknown_per",
        f"{Q1}.per",
        "unknown quantity",
        "spend.totl",
        hint="'spend.total'",
    ),
    _case(
        QUESTIONS,
        "unit_wrong_dimension",
        f"{Q0}.unit",
        "does not measure the same thing as 'USD'",
        "GPU",
    ),
    _case(QUESTIONS, "huge_threshold", f"{Q0}.above", "out of range", 1e308),
    _case(QUESTIONS, "overflow_after_conversion", f"{Q0}.above", "out of range", 1e308),
    _case(QUESTIONS, "no_threshold", Q0, "a question needs a threshold"),
    _case(QUESTIONS, "empty_event", f"{Q1}.below", "the event is empty", [0.6, 0.5]),
    _case(
        QUESTIONS, "duplicate_id", "questions[1] (over_1b).id", "duplicate question id", "over_1b"
    ),
    _case(QUESTIONS, "text_for_number", f"{Q0}.above", "a number is needed", "lots"),
    _case(QUESTIONS, "missing_text", f"{Q0}.text", "missing required key"),
    _case(QUESTIONS, "unknown_key", f"{Q1}.nots", "unknown key", hint="'note'"),
    _case(QUESTIONS, "not_tables", "questions", "must be [[questions]] tables", 3),
    _case(QUESTIONS, "misspelt_questions_table", "question", "unknown key", hint="'questions'"),
]

#: Problems a case rightly reports besides its main one (a consequence of the same defect).
ALSO: dict[tuple[str, str], list[Expect]] = {
    ("correlations", "unknown_key"): [
        Expect("", "correlations.toml", "correlations[1].rank", "missing required key")
    ],
}

PARAMS = [pytest.param(s, e, id=f"{s.name}-{e.case}") for s, e in CASES]


def _load_problems(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert info.value.problems, "a SpecError must list at least one problem"
    return info.value.problems


# --- the valid bases -------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES.values(), ids=list(SURFACES))
def test_valid_base_loads_cleanly(surface: Surface) -> None:
    spec = load_lab(surface.valid)
    assert spec.warnings == ()
    assert surface.file in spec.files
    result = _invoke("validate", str(surface.valid))
    _assert_clean_exit(result, 0)
    assert result.stderr == ""


def test_valid_bases_state_what_the_cases_break() -> None:
    assert set(load_lab(SCENARIOS.valid).scenarios) == {"big_team", "own_word"}
    correlation = load_lab(CORRELATIONS.valid).correlation
    assert correlation is not None
    assert len(correlation.to_dict()["pairs"]) == 2
    assert [q.id for q in load_lab(QUESTIONS.valid).questions] == ["over_1b", "gpu_share"]


@pytest.mark.parametrize("surface", SURFACES.values(), ids=list(SURFACES))
def test_valid_base_is_its_parent_lab_plus_the_surface_file(surface: Surface) -> None:
    names = {p.name for p in surface.valid.iterdir()}
    assert names == {p.name for p in surface.base.iterdir()} | {surface.file}
    for name in names - {surface.file}:
        assert filecmp.cmp(surface.valid / name, surface.base / name, shallow=False), name


@pytest.mark.parametrize("surface", SURFACES.values(), ids=list(SURFACES))
def test_every_fixture_folder_is_a_case(surface: Surface) -> None:
    on_disk = {p.name for p in surface.folder.iterdir() if p.is_dir()}
    cases = {e.case for s, e in CASES if s == surface}
    assert on_disk == cases | {"_valid"}


@pytest.mark.parametrize(("surface", "expect"), PARAMS)
def test_fixture_differs_from_the_valid_lab_only_in_its_file(
    surface: Surface, expect: Expect
) -> None:
    folder = surface.folder / expect.case
    assert {p.name for p in folder.iterdir()} == {p.name for p in surface.valid.iterdir()}
    changed = [
        p.name
        for p in surface.valid.iterdir()
        if not filecmp.cmp(p, folder / p.name, shallow=False)
    ]
    assert changed == [surface.file]


# --- the catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize(("surface", "expect"), PARAMS)
def test_load_lab_reports_the_problem_and_nothing_else(surface: Surface, expect: Expect) -> None:
    folder = surface.folder / expect.case
    problems = _load_problems(folder)
    wanted = [expect, *ALSO.get((surface.name, expect.case), [])]
    for want in wanted:
        assert any(_matches(p, want) for p in problems), f"{want} not in:\n{_show(problems)}"
    unexpected = [p for p in problems if not any(_matches(p, w) for w in wanted)]
    assert not unexpected, f"unexpected:\n{_show(tuple(unexpected))}"
    assert all(p.file == f"{folder}/{surface.file}" for p in problems), _show(problems)
    places = [(p.key, p.message) for p in problems]
    assert len(set(places)) == len(places), _show(problems)


@pytest.mark.parametrize(("surface", "expect"), PARAMS)
def test_validate_and_run_exit_2_naming_file_key_and_value(
    surface: Surface, expect: Expect, tmp_path: Path
) -> None:
    folder = surface.folder / expect.case
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    where = f"{surface.file}: {expect.key}" if expect.key else surface.file
    assert f"{where}: " in result.stderr, result.output
    assert expect.fragment in result.stderr
    if expect.value is not ANY:
        assert f"(got {repr(expect.value)[:70]}" in result.stderr, result.stderr
    if expect.hint:
        assert f"did you mean {expect.hint}?" in result.stderr
    assert "OK" not in result.stdout
    out = tmp_path / "out"
    run = _invoke("run", str(folder), "--out", str(out), "--method", "is", "--draws", "1000")
    _assert_clean_exit(run, EXIT_BAD_INPUT)
    assert not out.exists()


# --- cases built at test time ----------------------------------------------------------

#: For each surface: a text of its valid file that can be replaced by a huge string value,
#: the key then reported, and a line after which a huge key can be inserted, its table key.
HUGE = {
    "scenarios": ('title = "A bigger team"', f"{BIG}.title", f"[{BIG}]\n", BIG),
    "correlations": (
        'source = "Test fixture: a note"',
        "correlations[1].source",
        "rank = -0.2\n",
        "correlations[1]",
    ),
    "questions": ('text = "Did total spend exceed $1B?"', f"{Q0}.text", "above = 1\n", Q0),
}


def _copy(surface: Surface, tmp_path: Path) -> Path:
    folder = tmp_path / "lab"
    shutil.copytree(surface.valid, folder)
    return folder


def _replace(path: Path, old: str, new: str | bytes) -> None:
    raw = path.read_bytes()
    assert raw.count(old.encode()) == 1, old
    path.write_bytes(raw.replace(old.encode(), new if isinstance(new, bytes) else new.encode()))


@pytest.mark.parametrize("name", list(SURFACES))
def test_non_utf8_bytes(name: str, tmp_path: Path) -> None:
    surface = SURFACES[name]
    folder = _copy(surface, tmp_path)
    old = HUGE[name][0]
    _replace(folder / surface.file, old, old.encode().replace(b"e", b"\xe9", 1))
    _assert_refused(folder, tmp_path, surface.file, "", "not valid UTF-8", None)


@pytest.mark.parametrize("name", list(SURFACES))
def test_a_1mb_string_value_is_refused_and_not_echoed(name: str, tmp_path: Path) -> None:
    surface = SURFACES[name]
    folder = _copy(surface, tmp_path)
    old, key, _, _ = HUGE[name]
    field = old.split(" = ")[0]
    _replace(folder / surface.file, old, f'{field} = "{"x" * MEGABYTE}"')
    _assert_refused(folder, tmp_path, surface.file, key, "text too long", "'xxxx")


@pytest.mark.parametrize("name", list(SURFACES))
def test_a_1mb_key_is_refused_and_not_echoed(name: str, tmp_path: Path) -> None:
    surface = SURFACES[name]
    folder = _copy(surface, tmp_path)
    _, _, after, table = HUGE[name]
    _replace(folder / surface.file, after, f"{after}{'k' * MEGABYTE} = 1\n")
    stderr = _assert_refused(folder, tmp_path, surface.file, f"{table}.kkkk", "unknown key", None)
    assert len(stderr) < ECHO_LIMIT


def test_a_1mb_scenario_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _copy(SCENARIOS, tmp_path)
    path = folder / SCENARIOS.file
    path.write_text(
        path.read_text(encoding="utf-8").replace("own_word", "o" * MEGABYTE), encoding="utf-8"
    )
    _assert_refused(folder, tmp_path, SCENARIOS.file, "scenarios.oooo", "invalid scenario", None)


# --- negative zero where zero is allowed -----------------------------------------------


def test_negative_zero_threshold_is_zero(tmp_path: Path) -> None:
    """A threshold may be zero, so -0.0 is read as +0.0 (never shown as "-0")."""
    folder = _copy(QUESTIONS, tmp_path)
    _replace(folder / QUESTIONS.file, "below = 0.5", "above = -0.0")
    question = load_lab(folder).questions[1]
    assert question.above == 0.0
    assert str(question.above) == "0.0"


def test_negative_zero_rank_is_no_correlation(tmp_path: Path) -> None:
    folder = _copy(CORRELATIONS, tmp_path)
    _replace(folder / CORRELATIONS.file, "rank = -0.2", "rank = -0.0")
    correlation = load_lab(folder).correlation
    assert correlation is not None
    pairs = correlation.to_dict()["pairs"]
    assert [sorted(p["inputs"]) for p in pairs] == [["fleet.h100.unit_price", "staff.pay"]]
