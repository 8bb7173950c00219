"""The bad-input catalogue: one small lab folder per kind of mistake, each a copy of a
minimal valid lab with exactly one defect (``tests/fixtures/bad/<case>/``).

For every case the loader must raise :class:`~estimator.errors.SpecError` naming the file,
the key, what is wrong (and the offending value, where there is one), and the command line
must exit with code 2 and print that, never a traceback. Cases that can't live in git (an
empty folder, a missing folder, non-UTF-8 bytes) are built at test time.

"""

from __future__ import annotations

import filecmp
import math
import os
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner, Result

from estimator.cli import EXIT_BAD_INPUT, cli
from estimator.errors import Problem, SpecError
from estimator.spec.parse import load_lab

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad"
VALID = BAD / "_valid_minimal"
ANY: Any = object()  # "do not check this field"


class Expect(NamedTuple):
    """One problem the loader must report for a case."""

    case: str
    file: str  # suffix of Problem.file, e.g. "fleet.toml"
    key: str  # Problem.key ("" for whole-file problems); an index suffix "[i]" is accepted
    fragment: str  # must occur in Problem.message
    value: Any = ANY  # Problem.value, when the problem has an offending value
    hint: str | None = None  # Problem.hint, e.g. "'between'"


CASES: list[Expect] = [
    Expect("bought_reversed", "fleet.toml", "fleet.h100.bought", "ends", "2024-06..2024-01"),
    Expect("bought_not_a_period", "fleet.toml", "fleet.h100.bought", "not a period", "last spring"),
    Expect(
        "bought_after_window", "fleet.toml", "fleet.h100.bought", "outside every window", "2025-03"
    ),
    Expect(
        "retired_before_bought", "fleet.toml", "fleet.h100.retired", "retired before", "2024-02-01"
    ),
    Expect(
        "headline_unknown",
        "lab.toml",
        "lab.headline",
        "unknown quantity",
        "spend.totl",
        hint="'spend.total'",
    ),
    Expect(
        "headline_an_input",
        "lab.toml",
        "lab.headline",
        "an input cannot be the headline",
        "share.attributable",
    ),
    Expect("in_service_on_dated_type", "fleet.toml", "fleet.h100.in_service", "for undated types"),
    Expect(
        "tranche_without_bought",
        "fleet.toml",
        "fleet.h100.tranches.early.bought",
        "missing required key",
    ),
    Expect(
        "headcount_dates_overlap", "costs.toml", "staff.headcount[1].at", "overlap", "2024-03-31"
    ),
    Expect("unknown_datacentre_mode", "costs.toml", "datacentre.mode", "unknown way", "rented"),
    Expect(
        "unknown_depreciation_method",
        "costs.toml",
        "hardware.depreciation",
        "unknown depreciation method",
        "sum_of_years",
    ),
    Expect("malformed_toml", "fleet.toml", "", "malformed TOML"),
    Expect("unknown_key", "costs.toml", "energy.pue.betwen", "unknown key", hint="'between'"),
    Expect("missing_unit", "costs.toml", "staff.headcount.unit", "missing required key"),
    Expect("missing_lab_title", "lab.toml", "lab.title", "missing required key"),
    Expect(
        "interval_low_not_below_high",
        "costs.toml",
        "staff.headcount.between",
        "low end must be below its high end",
        [300, 80],
    ),
    Expect(
        "lognormal_low_not_positive",
        "costs.toml",
        "staff.headcount.between",
        "lognormal interval needs a positive low end",
        [0, 300],
    ),
    Expect(
        "share_outside_unit_interval",
        "lab.toml",
        "share.attributable.between",
        "strictly inside (0, 1)",
        [0.4, 1.2],
    ),
    Expect(
        "unknown_distribution",
        "costs.toml",
        "hardware.useful_life.dist",
        "unknown distribution",
        "lognormall",
        hint="'lognormal'",
    ),
    Expect(
        "unknown_unit",
        "fleet.toml",
        "fleet.h100.unit_price.unit",
        "unknown or malformed unit",
        "USDD",
    ),
    Expect(
        "unconvertible_unit",
        "fleet.toml",
        "fleet.h100.unit_price.unit",
        "does not measure the same thing as 'USD/GPU'",
        "GPU",
    ),
    Expect(
        "currency_without_rate",
        "fleet.toml",
        "fleet.h100.unit_price.unit",
        "no exchange rate for EUR",
        "EUR/GPU",
    ),
    Expect("nan_value", "costs.toml", "staff.overhead.value", "finite", math.nan),
    Expect("inf_value", "costs.toml", "server.overhead.value", "finite", math.inf),
    Expect("text_for_number", "costs.toml", "staff.headcount.value", "a number is needed", "lots"),
    Expect("unknown_input", "costs.toml", "energy.prise", "unknown input", hint="'energy.price'"),
    Expect("table_in_wrong_file", "costs.toml", "share", "this table belongs in lab.toml"),
    Expect("unknown_file", "fleet.tmol", "", "unknown file", hint="'fleet.toml'"),
    Expect("empty_folder", "empty_lab", "", "the folder is empty"),
    Expect("missing_folder", "no_such_lab", "", "no such folder"),
    Expect("missing_required_file", "costs.toml", "", "missing required file"),
    Expect(
        "window_ends_before_start",
        "lab.toml",
        "window.end",
        "the window must end after it starts",
        "2024-01-01 .. 2023-06-30",
    ),
    Expect("not_a_date", "lab.toml", "window.start", "not a valid date", "early 2024"),
    Expect(
        "mixture_weight_not_positive",
        "costs.toml",
        "staff.headcount.mixture[1].weight",
        "weights must be positive",
        0,
    ),
    Expect(
        "triangular_mode_outside",
        "costs.toml",
        "hardware.useful_life",
        "the mode must lie between lower and upper",
        {"lower": 3, "mode": 8, "upper": 6},
    ),
    Expect(
        "negative_fixed_count", "fleet.toml", "fleet.h100.count.value", "impossible value", -100
    ),
    Expect("non_utf8", "costs.toml", "", "not valid UTF-8"),
    Expect("reserved_type_name", "fleet.toml", "fleet.all", "invalid accelerator type name", "all"),
    Expect(
        "run_unknown_accelerator",
        "runs.toml",
        "runs.v1.accelerator",
        "unknown accelerator type",
        "h800",
        hint="'h100'",
    ),
    Expect("missing_source", "costs.toml", "server.overhead.source", "missing required key"),
    # Loader bugs (see BUGS): the expectation is the correct behaviour.
    Expect(
        "dist_not_text", "costs.toml", "hardware.useful_life.dist", "distribution", ["lognormal"]
    ),
    Expect(
        "interval_text_element",
        "costs.toml",
        "staff.headcount.between[1]",
        "a number is needed",
        "lots",
    ),
    Expect(
        "overflow_after_conversion",
        "costs.toml",
        "facilities.cost",
        "out of range",
        {"value": 1e308},
    ),
    Expect("interval_with_ignored_sigma", "costs.toml", "staff.headcount.sigma", "not used", 40),
    # Extremes: huge numbers, negative zero, future dates, cut-off files, stray files.
    Expect("huge_value", "costs.toml", "facilities.cost", "out of range", {"value": 1e308}),
    Expect(
        "huge_interval_end",
        "costs.toml",
        "staff.headcount",
        "out of range",
        {"between": [80, 1e308]},
    ),
    Expect(
        "negative_zero_low_end",
        "costs.toml",
        "staff.headcount.between",
        "lognormal interval needs a positive low end",
        [-0.0, 300],
    ),
    Expect(
        "negative_zero_exchange_rate",
        "lab.toml",
        "currency.rates.EUR.value",
        "an exchange rate must be positive",
        -0.0,
    ),
    Expect(
        "future_source_date",
        "costs.toml",
        "staff.headcount.date",
        "the date is in the future",
        "2999-01-01",
    ),
    Expect("run_longer_than_dates", "runs.toml", "runs.v1.days", "longer than its dates allow"),
    Expect("rental_without_price", "rentals.toml", "rent.cloud", "needs a price"),
    Expect("flop_run_without_peak", "runs.toml", "runs.v1", "needs the peak FLOP/s"),
    Expect("mfu_above_one", "runs.toml", "runs.v1.mfu.between", "inside (0, 1)"),
    Expect("mfu_zero", "runs.toml", "runs.v1.mfu", "above 0"),
    Expect(
        "unknown_accelerator_kind",
        "fleet.toml",
        "fleet.h100.kind",
        "unknown kind of accelerator",
        "TPUv5",
        hint="'TPU'",
    ),
    Expect("run_hours_stated_twice", "runs.toml", "runs.v1", "more than one way"),
    Expect(
        "run_unknown_rental",
        "runs.toml",
        "runs.v1.rental",
        "unknown rental contract",
        "clod",
        hint="'cloud'",
    ),
    Expect("rental_after_window", "rentals.toml", "rent.cloud.dates", "outside every window"),
    Expect("dated_run_without_accelerator", "runs.toml", "runs.v1.dates", "say which they are"),
    Expect(
        "workload_research_given", "runs.toml", "workload.research", "what training and inference"
    ),
    Expect("truncated_mid_table", "fleet.toml", "", "malformed TOML"),
    Expect("truncated_mid_string", "costs.toml", "", "malformed TOML"),
    Expect("extra_unknown_file", "notes.txt", "", "unknown file in a lab folder"),
]


PARAMS = [pytest.param(expect, id=expect.case) for expect in CASES]


#: Cases whose folder is built at test time (git keeps no empty folders, and the
#: non-UTF-8 bytes are clearer written from Python).
BUILT = {"empty_folder", "missing_folder", "non_utf8"}


def lab_folder(case: str, tmp_path: Path) -> Path:
    """The folder for ``case``: a fixture on disk, or one built under ``tmp_path``."""
    if case == "empty_folder":
        folder = tmp_path / "empty_lab"
        folder.mkdir(parents=True)
        return folder
    if case == "missing_folder":
        return tmp_path / "no_such_lab"
    if case == "non_utf8":
        folder = tmp_path / "non_utf8"
        shutil.copytree(VALID, folder)
        raw = (folder / "costs.toml").read_bytes()
        (folder / "costs.toml").write_bytes(raw.replace(b"Test fixture", b"Test caf\xe9", 1))
        return folder
    return BAD / case


def _same_value(got: object, want: object) -> bool:
    if want is ANY:
        return True
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return got == want and type(got) is not bool


def _matches(problem: Problem, expect: Expect) -> bool:
    return (
        problem.file.endswith(expect.file)
        and (problem.key == expect.key or problem.key.startswith(expect.key + "["))
        and expect.fragment in problem.message
        and _same_value(problem.value, expect.value)
        and (expect.hint is None or problem.hint == expect.hint)
    )


def _load_problems(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert info.value.problems, "a SpecError must list at least one problem"
    return info.value.problems


def _show(problems: tuple[Problem, ...]) -> str:
    return "\n".join(p.render() for p in problems)


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _assert_clean_exit(result: Result, code: int) -> None:
    """Exit ``code`` through sys.exit, with no traceback and no stray exception."""
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


# --- the valid base --------------------------------------------------------------------


def test_valid_minimal_loads_cleanly() -> None:
    spec = load_lab(VALID)
    assert spec.warnings == ()
    assert [t.name for t in spec.model.types] == ["h100"]
    assert spec.model.runs == ()
    assert "runs.toml" not in spec.files
    result = _invoke("validate", str(VALID))
    _assert_clean_exit(result, 0)
    assert "OK" in result.output
    assert result.stderr == ""


def test_every_fixture_folder_is_a_case() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_dir()}
    used = {c.case for c in CASES} - BUILT
    used |= {
        "_valid_minimal",
        "several_defects",
        "several_defects_structural",
        "unused_exchange_rate",
    }
    assert on_disk == used


@pytest.mark.parametrize(
    "case",
    sorted({c.case for c in CASES} - BUILT | {"unused_exchange_rate"}),
)
def test_fixture_is_a_copy_of_the_valid_lab_with_one_change(case: str) -> None:
    """Each single-defect fixture differs from _valid_minimal in one file (two when a table
    is moved between files or a file is renamed)."""
    folder = BAD / case
    names = {p.name for p in VALID.iterdir()} | {p.name for p in folder.iterdir()}
    changed = sorted(
        n
        for n in names
        if not (VALID / n).exists()
        or not (folder / n).exists()
        or not filecmp.cmp(VALID / n, folder / n, shallow=False)
    )
    assert 1 <= len(changed) <= 2, changed


# --- the catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("expect", PARAMS)
def test_load_lab_reports_the_problem(expect: Expect, tmp_path: Path) -> None:
    folder = lab_folder(expect.case, tmp_path)
    problems = _load_problems(folder)
    assert any(_matches(p, expect) for p in problems), (
        f"expected {expect} among:\n{_show(problems)}"
    )
    label = str(folder)
    assert all(p.file.startswith(label) for p in problems), _show(problems)
    assert all(p.message for p in problems)


@pytest.mark.parametrize("expect", PARAMS)
def test_validate_cli_exits_2_naming_file_and_key(expect: Expect, tmp_path: Path) -> None:
    folder = lab_folder(expect.case, tmp_path)
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    # Problems render as "<folder>/<file>: <key>: <message>" (no key: "<file>: <message>").
    where = f"{expect.file}: {expect.key}" if expect.key else expect.file
    assert f"{where}: " in result.stderr or f"{where}[" in result.stderr, result.output
    assert expect.fragment in result.stderr
    assert "OK" not in result.stdout


@pytest.mark.parametrize("expect", PARAMS)
def test_run_cli_writes_nothing_on_bad_input(expect: Expect, tmp_path: Path) -> None:
    folder = lab_folder(expect.case, tmp_path / "in")
    out = tmp_path / "out"
    result = _invoke("run", str(folder), "--out", str(out), "--draws", "1000")
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("case", [c.case for c in CASES])
def test_each_problem_is_reported_once(case: str, tmp_path: Path) -> None:
    problems = _load_problems(lab_folder(case, tmp_path))
    places = [(p.file, p.key, p.message) for p in problems]
    assert len(set(places)) == len(places), _show(problems)


# --- several defects at once -----------------------------------------------------------


SEVERAL = [
    ("fleet.toml", "fleet.h100.count.between", "low end must be below its high end"),
    ("fleet.toml", "fleet.h100.unit_price.unit", "unknown or malformed unit"),
    ("costs.toml", "energy.pue.betwen", "unknown key"),
    ("costs.toml", "staff.headcount.value", "a number is needed"),
    ("costs.toml", "energy.prise", "unknown input"),
]


def test_several_defects_in_two_files_are_all_reported_at_once() -> None:
    folder = BAD / "several_defects"
    problems = _load_problems(folder)
    for file, key, fragment in SEVERAL:
        assert any(_matches(p, Expect("", file, key, fragment)) for p in problems), (
            f"{file}: {key} ({fragment}) missing from:\n{_show(problems)}"
        )
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert f"{len(problems)} problems in the input" in result.stderr
    for file, key, _fragment in SEVERAL:
        assert f"{file}: {key}" in result.stderr


def test_structural_defect_does_not_hide_belief_defects() -> None:
    problems = _load_problems(BAD / "several_defects_structural")
    assert any(
        _matches(p, Expect("", "lab.toml", "lab.titel", "unknown key", hint="'title'"))
        for p in problems
    ), _show(problems)
    assert any(
        _matches(p, Expect("", "costs.toml", "staff.headcount.between", "low end must be below"))
        for p in problems
    ), _show(problems)


# --- warnings, not errors --------------------------------------------------------------


def test_unused_exchange_rate_warns_but_loads() -> None:
    folder = BAD / "unused_exchange_rate"
    spec = load_lab(folder)
    assert len(spec.warnings) == 1, spec.warnings
    (warning,) = spec.warnings
    assert "lab.toml" in warning
    assert "currency.rates.EUR" in warning
    assert "no input uses it" in warning
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, 0)
    assert "warning:" in result.stderr
    assert "currency.rates.EUR" in result.stderr
    assert "OK" in result.stdout


# --- a message's advice can be followed ------------------------------------------------


def test_interval_with_normal_shape_as_the_hint_suggests(tmp_path: Path) -> None:
    """The lognormal-low-bound problem says 'use dist = "normal" for quantities that can be
    0'; doing so must load."""
    folder = tmp_path / "lab"
    shutil.copytree(VALID, folder)
    costs = folder / "costs.toml"
    text = costs.read_text(encoding="utf-8")
    old = 'between = [80, 300]\nunit = "person"'
    assert old in text
    costs.write_text(
        text.replace(old, 'between = [0, 300]\ndist = "normal"\nunit = "person"'), encoding="utf-8"
    )
    spec = load_lab(folder)
    assert spec.priors["staff.headcount"].belief.kind == "normal"


# --- cases built at test time: huge texts, unreadable files and folders ---------------

#: A rendered problem never echoes a huge input whole: 1 MB in, a few hundred bytes out.
ECHO_LIMIT = 2_000
MEGABYTE = 1_000_000


def _copy_valid(tmp_path: Path, name: str = "lab") -> Path:
    folder = tmp_path / name
    shutil.copytree(VALID, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _snapshot(*folders: Path) -> dict[str, bytes]:
    """Every file under ``folders``, by path, with its bytes (read with ``open``, which
    the permission tests leave alone)."""

    def read(path: Path) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    return {
        str(p): read(p)
        for folder in folders
        if folder.exists()
        for p in folder.rglob("*")
        if p.is_file()
    }


def _assert_refused(
    folder: Path, tmp_path: Path, file: str, key: str, fragment: str, value: str | None
) -> str:
    """validate and run both exit 2 naming ``file``, ``key`` (a prefix of the key: a huge
    key is shown cut), the problem and the offending ``value``; nothing is written; the
    output stays short. Returns validate's stderr."""
    before = _snapshot(folder)
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    stderr = result.stderr
    where = f"{file}: {key}" if key else f"{file}: "
    assert where in stderr, stderr[:ECHO_LIMIT]
    assert fragment in stderr, stderr[:ECHO_LIMIT]
    if value is not None:
        assert value in stderr, stderr[:ECHO_LIMIT]
    assert len(result.output) < ECHO_LIMIT, f"{len(result.output):,} characters echoed"
    out = tmp_path / "out"
    run = _invoke("run", str(folder), "--out", str(out), "--method", "is", "--draws", "1000")
    _assert_clean_exit(run, EXIT_BAD_INPUT)
    assert not out.exists()
    assert _snapshot(folder) == before
    return stderr


def test_a_1mb_string_value_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _copy_valid(tmp_path)
    huge = "x" * MEGABYTE
    _edit(
        folder / "costs.toml",
        'unit = "ratio"\nsource = "Test fixture"\n\n[network',
        f'unit = "ratio"\nsource = "{huge}"\n\n[network',
    )
    _assert_refused(
        folder, tmp_path, "costs.toml", "server.overhead.source", "text too long", "'xxxx"
    )


def test_a_1mb_key_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _copy_valid(tmp_path)
    huge = "k" * MEGABYTE
    _edit(folder / "costs.toml", "[staff.headcount]\n", f"[staff.headcount]\n{huge} = 1\n")
    stderr = _assert_refused(
        folder, tmp_path, "costs.toml", "staff.headcount.kkkk", "unknown key", None
    )
    assert f"({len('staff.headcount.') + MEGABYTE:,} characters)" in stderr
    problems = _load_problems(folder)
    assert [p.key for p in problems] == [f"staff.headcount.{huge}"]


def test_a_1mb_input_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _copy_valid(tmp_path)
    huge = "k" * MEGABYTE
    _edit(
        folder / "costs.toml",
        "[staff.headcount]\n",
        f"[staff.{huge}]\nvalue = 1\n\n[staff.headcount]\n",
    )
    _assert_refused(folder, tmp_path, "costs.toml", "staff.kkkk", "unknown input", None)


def test_a_1mb_unit_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _copy_valid(tmp_path)
    _edit(folder / "costs.toml", 'unit = "person"', f'unit = "{"p" * MEGABYTE}"')
    _assert_refused(folder, tmp_path, "costs.toml", "staff.headcount.unit", "too long", "'pppp")


def test_an_unreadable_file_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root, which chmod can't stop: the read itself is made to fail."""
    folder = _copy_valid(tmp_path)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "costs.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    problems = _load_problems(folder)
    assert [(p.file, p.key) for p in problems] == [(f"{folder}/costs.toml", "")]
    assert "permission denied" in problems[0].message
    _assert_refused(folder, tmp_path, "costs.toml", "", "permission denied", None)


def test_an_unreadable_folder_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_valid(tmp_path)
    real = Path.iterdir

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    (problem,) = _load_problems(folder)
    assert problem.file == str(folder)
    assert "permission denied" in problem.message
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert f"{folder}: the folder can't be read (permission denied)" in result.stderr


ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(ROOT, reason="root reads files whatever their permissions")
@pytest.mark.parametrize("target", ["folder", "file"])
def test_chmod_000_is_reported_not_raised(tmp_path: Path, target: str) -> None:
    folder = _copy_valid(tmp_path)
    locked = folder if target == "folder" else folder / "fleet.toml"
    locked.chmod(0)
    try:
        result = _invoke("validate", str(folder))
        _assert_clean_exit(result, EXIT_BAD_INPUT)
        named = str(folder) if target == "folder" else f"{folder}/fleet.toml"
        assert f"{named}: " in result.stderr
        assert "permission denied" in result.stderr
    finally:
        locked.chmod(0o755)


def test_a_folder_name_too_long_is_reported_not_raised(tmp_path: Path) -> None:
    name = str(tmp_path / ("x" * 5000))
    result = _invoke("validate", name)
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert "the folder can't be read" in result.stderr
    assert len(result.output) < ECHO_LIMIT


# --- negative zero ---------------------------------------------------------------------


def test_negative_zero_is_echoed_as_given_where_refused() -> None:
    """-0.0 is zero: refused wherever zero is, and the message shows what was written."""
    result = _invoke("validate", str(BAD / "negative_zero_exchange_rate"))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert "currency.rates.EUR.value: an exchange rate must be positive (got -0.0)" in (
        result.stderr
    )


def test_negative_zero_is_zero_where_zero_is_allowed(tmp_path: Path) -> None:
    """Where zero is a possible value, -0.0 loads as +0.0 (no "-0" in any report)."""
    folder = _copy_valid(tmp_path)
    _edit(
        folder / "costs.toml",
        '[facilities.cost]\nbetween = ["2M", "30M"]',
        "[facilities.cost]\nvalue = -0.0",
    )
    belief = load_lab(folder).priors["facilities.cost"].belief
    assert belief.mean() == 0.0
    assert math.copysign(1.0, belief.mean()) == 1.0
