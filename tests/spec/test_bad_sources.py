"""The bad-sources catalogue: one lab folder per kind of mistake in ``sources.toml`` or in
the ``by`` of a claim, each a copy of a small valid lab (``tests/fixtures/bad_sources/
_valid/``: the bad-claims ``_valid`` lab plus a ``sources.toml`` declaring two sources, which
three of its claims name) with exactly one defect.

For every case the loader must raise :class:`~estimator.errors.SpecError` naming the file,
the key, what is wrong, the offending value and what is allowed, and ``validate`` must exit
with code 2 and print that, never a traceback. A case reports its own problem once and
nothing else: a broken source does not make the claims that name it report their ``by`` as
unknown, and a misspelt required key is not also reported missing.

The valid ledger's claims, by index: 0 ``press_headcount`` (no source), 1 ``own_cluster``
(``by = "lab_paper"``, its credibility stated and agreeing), 2 ``analyst_capex``
(``by = "analyst_note"``, its credibility taken from the source), 3 ``analyst_opex``
(``by = "analyst_note"``, credibility stated) and 4 ``relay_capex`` (no source).
"""

from __future__ import annotations

import filecmp
import math
import shutil
from pathlib import Path

import pytest

from estimator.cli import EXIT_BAD_INPUT
from estimator.errors import Problem, SpecError
from estimator.model.claims import CREDIBILITY
from estimator.spec.claims import CLAIM_KEYS
from estimator.spec.parse import load_lab
from estimator.spec.sources import REQUIRED_SOURCE_KEYS, SOURCE_KEYS
from tests.spec.test_bad_input import (
    ANY,
    MEGABYTE,
    Expect,
    _assert_clean_exit,
    _assert_refused,
    _invoke,
    _matches,
    _show,
)

BAD_SOURCES = Path(__file__).resolve().parent.parent / "fixtures" / "bad_sources"
VALID = BAD_SOURCES / "_valid"
BAD_CLAIMS_VALID = BAD_SOURCES.parent / "bad_claims" / "_valid"
SOURCES = "sources.toml"
CLAIMS = "claims.toml"

NOTE = "sources.analyst_note"
PAPER = "sources.lab_paper"
C0 = "claims[0] (press_headcount)"
C2 = "claims[2] (analyst_capex)"
C3 = "claims[3] (analyst_opex)"


def source(
    case: str, key: str, fragment: str, value: object = ANY, hint: str | None = None
) -> Expect:
    """The problem a case must report, in sources.toml."""
    return Expect(case, SOURCES, key, fragment, value, hint)


def claim(
    case: str, key: str, fragment: str, value: object = ANY, hint: str | None = None
) -> Expect:
    """The problem a case must report, in claims.toml."""
    return Expect(case, CLAIMS, key, fragment, value, hint)


CASES: list[Expect] = [
    source(
        "unknown_credibility",
        f"{NOTE}.credibility",
        "unknown credibility class",
        "analyst_estimat",
        hint="'analyst_estimate'",
    ),
    source("reliability_too_high", f"{NOTE}.reliability", "reliability out of range", 1.5),
    source("reliability_zero", f"{NOTE}.reliability", "reliability out of range", 0),
    source("reliability_not_a_number", f"{NOTE}.reliability", "a number is needed", "high"),
    source("bias_too_large", f"{NOTE}.bias", "bias out of range", 5),
    source("bias_negative", f"{NOTE}.bias", "bias out of range", -0.4),
    source("bias_nan", f"{NOTE}.bias", "finite", math.nan),
    source("unknown_key", f"{PAPER}.credibilty", "unknown key", hint="'credibility'"),
    source("missing_name", f"{PAPER}.name", "missing required key"),
    source(
        "source_not_a_table",
        PAPER,
        "a source must be a table",
        "Test fixture: the lab's own paper",
    ),
    source("invalid_id", "sources.lab paper!", "invalid source id", "lab paper!"),
    source("misspelt_sources_table", "source", "unknown key", hint="'sources'"),
    source("malformed_toml", "", "malformed TOML"),
    claim(
        "by_unknown",
        f"{C2}.by",
        "no source with this id in sources.toml",
        "analyst_nte",
        hint="'analyst_note'",
    ),
    claim("by_not_text", f"{C2}.by", "the id of a source is needed", 2),
    claim(
        "by_with_reliability",
        f"{C2}.reliability",
        "a claim that names its source (by) has the source's reliability",
        0.6,
    ),
    claim(
        "by_credibility_disagrees",
        f"{C3}.credibility",
        "the claim's class differs from its source's ('analyst_estimate'",
        "hearsay",
    ),
    claim("neither_credibility_nor_by", f"{C0}.credibility", "missing required key"),
]

PARAMS = [pytest.param(expect, id=expect.case) for expect in CASES]


def _load_problems(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert info.value.problems, "a SpecError must list at least one problem"
    return info.value.problems


def _copy(case: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(BAD_SOURCES / case, tmp_path / "lab"))


def _edit(path: Path, old: str, new: str | bytes) -> None:
    raw = path.read_bytes()
    assert raw.count(old.encode()) == 1, old
    path.write_bytes(raw.replace(old.encode(), new if isinstance(new, bytes) else new.encode()))


# --- the valid base --------------------------------------------------------------------


def test_valid_sources_lab_loads_cleanly() -> None:
    spec = load_lab(VALID)
    assert spec.warnings == ()
    assert set(spec.sources) == {"analyst_note", "lab_paper"}
    note = spec.sources["analyst_note"]
    assert (note.credibility, note.reliability, note.bias) == ("analyst_estimate", 0.6, 0.4)
    paper = spec.sources["lab_paper"]
    assert (paper.credibility, paper.reliability, paper.bias) == ("first_hand", None, None)
    assert {c.id: c.by for c in spec.claims} == {
        "press_headcount": None,
        "own_cluster": "lab_paper",
        "analyst_capex": "analyst_note",
        "analyst_opex": "analyst_note",
        "relay_capex": None,
    }
    assert SOURCES in spec.files
    result = _invoke("validate", str(VALID))
    _assert_clean_exit(result, 0)
    assert "OK" in result.output
    assert result.stderr == ""


def test_a_claim_without_credibility_takes_its_sources() -> None:
    capex = load_lab(VALID).claim("analyst_capex")
    assert capex.credibility == "analyst_estimate"
    assert not capex.reliability_given


def test_valid_base_is_the_bad_claims_lab_plus_sources() -> None:
    names = {p.name for p in VALID.iterdir()}
    assert names == {p.name for p in BAD_CLAIMS_VALID.iterdir()} | {SOURCES}
    for name in names - {SOURCES, CLAIMS}:
        assert filecmp.cmp(VALID / name, BAD_CLAIMS_VALID / name, shallow=False), name


def test_every_fixture_folder_is_a_case() -> None:
    on_disk = {p.name for p in BAD_SOURCES.iterdir() if p.is_dir()}
    assert on_disk == {c.case for c in CASES} | {"_valid"}


@pytest.mark.parametrize("expect", PARAMS)
def test_fixture_differs_from_the_valid_lab_only_in_the_file_blamed(expect: Expect) -> None:
    folder = BAD_SOURCES / expect.case
    assert {p.name for p in folder.iterdir()} == {p.name for p in VALID.iterdir()}
    changed = [
        p.name for p in VALID.iterdir() if not filecmp.cmp(p, folder / p.name, shallow=False)
    ]
    assert changed == [expect.file]


def test_the_vocabulary_is_what_the_catalogue_assumes() -> None:
    """Guards the fixtures: they use these names, so renaming one must revisit them."""
    assert set(SOURCE_KEYS) == {"name", "credibility", "reliability", "bias", "url", "note"}
    assert set(REQUIRED_SOURCE_KEYS) == {"name", "credibility"}
    assert {"by", "credibility", "reliability"} <= set(CLAIM_KEYS)
    assert {"analyst_estimate", "first_hand", "hearsay"} <= set(CREDIBILITY)


# --- the catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("expect", PARAMS)
def test_load_lab_reports_the_problem_once_and_nothing_else(expect: Expect) -> None:
    folder = BAD_SOURCES / expect.case
    problems = _load_problems(folder)
    assert len(problems) == 1, _show(problems)
    (problem,) = problems
    assert _matches(problem, expect), f"expected {expect}, got:\n{_show(problems)}"
    assert problem.file == f"{folder}/{expect.file}"
    assert problem.allowed, "a problem says what is allowed"


@pytest.mark.parametrize("expect", PARAMS)
def test_validate_cli_exits_2_naming_file_key_value_and_allowed(expect: Expect) -> None:
    result = _invoke("validate", str(BAD_SOURCES / expect.case))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    stderr = result.stderr
    where = f"{expect.file}: {expect.key}: " if expect.key else f"{expect.file}: "
    assert where in stderr, stderr
    assert expect.fragment in stderr
    if expect.value is not ANY:
        assert f"(got {expect.value!r})" in stderr, stderr
    assert "; allowed: " in stderr
    if expect.hint:
        assert f"did you mean {expect.hint}?" in stderr
    assert "1 problem in the input" in stderr
    assert "OK" not in result.stdout


# --- a broken source is not blamed on the files that name it ----------------------------


def test_a_broken_source_hides_only_the_references_to_it(tmp_path: Path) -> None:
    """The claims naming a source that could not be read are quiet about it; a problem
    of their own is still reported."""
    folder = _copy("unknown_credibility", tmp_path)
    _edit(folder / CLAIMS, 'quantity = "staff.headcount"', 'quantity = "staff.headcont"')
    problems = _load_problems(folder)
    wanted = [
        CASES[0],
        claim("", f"{C0}.quantity", "unknown quantity", "staff.headcont"),
    ]
    assert len(problems) == len(wanted), _show(problems)
    for expect in wanted:
        assert any(_matches(p, expect) for p in problems), _show(problems)


def test_a_claim_stating_reliability_is_refused_even_when_its_source_is_broken(
    tmp_path: Path,
) -> None:
    folder = _copy("by_with_reliability", tmp_path)
    _edit(folder / SOURCES, 'credibility = "analyst_estimate"', 'credibility = "analyst"')
    problems = _load_problems(folder)
    keys = sorted(p.key for p in problems)
    assert keys == [f"{C2}.reliability", f"{NOTE}.credibility"], _show(problems)


def test_scenarios_are_quiet_about_claims_of_a_broken_source(tmp_path: Path) -> None:
    folder = _copy("unknown_credibility", tmp_path)
    (folder / "scenarios.toml").write_text(
        '[scenarios.no_analyst]\ntitle = "Without the analyst"\n\n'
        '[scenarios.no_analyst.claims]\ndrop = ["analyst_capex"]\n',
        encoding="utf-8",
    )
    problems = _load_problems(folder)
    assert len(problems) == 1, _show(problems)
    assert _matches(problems[0], CASES[0])


def test_by_is_reported_when_there_is_no_sources_toml(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(VALID, tmp_path / "lab"))
    (folder / SOURCES).unlink()
    problems = _load_problems(folder)
    assert sorted(p.key for p in problems) == [
        "claims[1] (own_cluster).by",
        f"{C2}.by",
        f"{C3}.by",
    ], _show(problems)
    assert all("it declares none" in (p.allowed or "") for p in problems)


def test_a_misspelt_credibility_in_a_claim_is_not_also_missing(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(VALID, tmp_path / "lab"))
    _edit(folder / CLAIMS, 'credibility = "anonymous_press"', 'credibilty = "anonymous_press"')
    (problem,) = _load_problems(folder)
    assert (problem.key, problem.message, problem.hint) == (
        f"{C0}.credibilty",
        "unknown key",
        "'credibility'",
    )


# --- cases built at test time: bytes and sizes git should not hold ----------------------


def test_non_utf8_sources(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(VALID, tmp_path / "lab"))
    _edit(folder / SOURCES, "an analyst's note", b"an analyst caf\xe9 note")
    _assert_refused(folder, tmp_path, SOURCES, "", "not valid UTF-8", None)


def test_a_1mb_source_id_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(VALID, tmp_path / "lab"))
    _edit(folder / SOURCES, "[sources.lab_paper]", f'[sources."{"p p" * (MEGABYTE // 3)}"]')
    _assert_refused(folder, tmp_path, SOURCES, "sources.p pp", "invalid source id", "'p pp")


def test_a_1mb_source_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(VALID, tmp_path / "lab"))
    _edit(folder / SOURCES, "Test fixture: the lab's own paper", "s" * MEGABYTE)
    _assert_refused(folder, tmp_path, SOURCES, f"{PAPER}.name", "text too long", "'ssss")
