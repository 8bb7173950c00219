"""The bad-input catalogue of the command line: arguments and options of every command,
and the options of ``estimator claims add``.

Each case is one command line with one bad argument, run against a small valid lab (the
claims catalogue's ``_valid``) with an output folder holding a previous run's files. Each
must exit with code 2 (:data:`estimator.cli.EXIT_BAD_INPUT`) without a traceback, name the
option (or the file) and show the offending value, keep its output short (a 1 MB value is
not echoed whole), and change nothing on disk: the lab, its ledger and the outputs stay
byte-identical, and no file appears. No case gets as far as sampling.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from estimator.cli import EXIT_BAD_INPUT
from tests.spec.test_bad_input import ECHO_LIMIT, MEGABYTE, _assert_clean_exit, _invoke, _snapshot

VALID = Path(__file__).resolve().parent / "fixtures" / "bad_claims" / "_valid"

#: A valid new claim, as claims-add options.
CLAIM = {
    "id": "new_team",
    "source": "Test fixture: a job post",
    "date": "2024-06-01",
    "quantity": "staff.headcount",
    "kind": "point",
    "value": "120",
    "unit": "person",
    "credibility": "first_hand_reported",
    "use": "evidence",
}


class Case(NamedTuple):
    """One bad command line.

    ``args`` may hold ``{lab}`` (the lab folder), ``{out}`` (an output folder holding a
    previous run), ``{file}`` (a regular file), ``{tmp}`` (the test's folder) and
    ``{snippets}`` (a folder of claim snippets for ``--from``). ``where`` (the option or
    file named) and ``value`` (the offending value as shown) must appear in the output.
    """

    id: str
    args: tuple[str, ...]
    where: str
    value: str


def add(**options: str | None) -> tuple[str, ...]:
    """``claims add`` with the valid claim, some options replaced (None: left out)."""
    args = ["claims", "add", "{lab}", "--method", "is"]
    for key, value in (CLAIM | options).items():
        if value is not None:
            args += [f"--{key}", value]
    return tuple(args)


def _c(id_: str, args: tuple[str, ...] | list[str], where: str, value: str) -> Case:
    return Case(id_, tuple(args), where, value)


HUGE = "x" * MEGABYTE
FAST = ["--method", "is", "--draws", "1000", "--skip-sensitivity"]

CASES = [
    # --quantity: the headline
    _c(
        "run_headline_unknown",
        ["run", "{lab}", "--quantity", "spend.totl", *FAST],
        "--quantity",
        "'spend.totl'",
    ),
    _c(
        "check_headline_an_input",
        ["check", "{lab}", "--quantity", "share.attributable", "--method", "is"],
        "--quantity",
        "'share.attributable'",
    ),
    _c(
        "sensitivity_headline_huge",
        ["sensitivity", "{lab}", "--quantity", HUGE, "--method", "is"],
        "--quantity",
        "'xxxx",
    ),
    # --window (the valid lab's window is 2024)
    _c(
        "run_window_reversed",
        ["run", "{lab}", "--window", "2024-09..2024-03", *FAST],
        "--window",
        "'2024-09..2024-03'",
    ),
    _c(
        "run_window_not_a_period",
        ["run", "{lab}", "--window", "spring", *FAST],
        "--window",
        "'spring'",
    ),
    _c(
        "run_window_outside_the_lab",
        ["run", "{lab}", "--window", "2025", *FAST],
        "--window",
        "'2025'",
    ),
    _c(
        "run_window_reaching_out",
        ["run", "{lab}", "--window", "2023-10..2024-03", *FAST],
        "--window",
        "'2023-10-01..2024-03-31'",
    ),
    _c(
        "check_window_empty_text",
        ["check", "{lab}", "--window", "", "--method", "is"],
        "--window",
        "''",
    ),
    _c(
        "history_window_bad_day",
        ["history", "{lab}", "--window", "2024-02-30", "--method", "is"],
        "--window",
        "'2024-02-30'",
    ),
    # run
    _c("run_draws_below_minimum", ["run", "{lab}", "--draws", "10"], "'--draws'", "10"),
    _c("run_draws_huge_float", ["run", "{lab}", "--draws", "1e308"], "'--draws'", "'1e308'"),
    _c("run_draws_negative_zero", ["run", "{lab}", "--draws", "-0"], "'--draws'", "0 is not"),
    _c("run_draws_text", ["run", "{lab}", "--draws", "many"], "'--draws'", "'many'"),
    _c("run_seed_negative", ["run", "{lab}", "--seed", "-1"], "'--seed'", "-1"),
    _c("run_method_unknown", ["run", "{lab}", "--method", "bogus"], "'--method'", "'bogus'"),
    _c(
        "run_scenario_unknown",
        ["run", "{lab}", "--scenario", "nope", *FAST],
        "--scenario",
        "'nope'",
    ),
    _c("run_scenario_1mb", ["run", "{lab}", "--scenario", HUGE, *FAST], "--scenario", "'xxxx"),
    _c(
        "run_scenario_non_utf8",
        ["run", "{lab}", "--scenario", "caf\udce9", *FAST],
        "--scenario",
        "'caf\\udce9'",
    ),
    _c("run_out_is_a_file", ["run", "{lab}", "--out", "{file}", *FAST], "'--out'", "{file}"),
    _c(
        "run_out_under_a_file",
        ["run", "{lab}", "--out", "{file}/sub", *FAST],
        "--out: the folder can't be created",
        "'{file}/sub'",
    ),
    _c(
        "run_out_name_too_long",
        ["run", "{lab}", "--out", "{tmp}/" + "o" * 5000, *FAST],
        "--out: the folder can't be created",
        "'{tmp}/ooo",
    ),
    _c("run_lab_missing", ["run", "{tmp}/no_lab", *FAST], "{tmp}/no_lab", "no such folder"),
    _c("run_lab_is_a_file", ["run", "{file}", *FAST], "'PRIORS_DIR'", "{file}"),
    _c(
        "run_lab_name_non_utf8",
        ["run", "{tmp}/lab\udce9", *FAST],
        "{tmp}/lab",
        "no such folder",
    ),
    _c(
        "validate_lab_name_too_long",
        ["validate", "{tmp}/" + "l" * 5000],
        "the folder can't be read",
        "{tmp}/lll",
    ),
    _c("validate_no_lab", ["validate"], "'PRIORS_DIR'", "Missing argument"),
    # update
    _c(
        "update_out_under_a_file",
        ["update", "{lab}", "--out", "{file}/sub", *FAST],
        "--out: the folder can't be created",
        "'{file}/sub'",
    ),
    _c("update_draws_text", ["update", "{lab}", "--draws", "lots"], "'--draws'", "'lots'"),
    _c(
        "update_damaged_previous_summary",
        ["update", "{lab}", "--out", "{out}", *FAST],
        "{out}/summary.json",
        "summary.json",
    ),
    # check
    _c("check_seed_text", ["check", "{lab}", "--seed", "abc"], "'--seed'", "'abc'"),
    _c("check_method_unknown", ["check", "{lab}", "--method", "fast"], "'--method'", "'fast'"),
    # history
    _c(
        "history_quantity_unknown",
        ["history", "{lab}", "--quantity", "spend.totl", "--method", "is"],
        "--quantity: unknown quantity",
        "'spend.totl'",
    ),
    _c(
        "history_quantity_1mb",
        ["history", "{lab}", "--quantity", HUGE, "--method", "is"],
        "--quantity: unknown quantity",
        "'xxxx",
    ),
    _c(
        "history_out_under_a_file",
        ["history", "{lab}", "--out", "{file}/sub", "--method", "is"],
        "--out: the folder can't be created",
        "'{file}/sub/figures'",
    ),
    # sensitivity
    _c("sensitivity_samples_small", ["sensitivity", "{lab}", "--samples", "1"], "'--samples'", "1"),
    _c(
        "sensitivity_delta_draws_text",
        ["sensitivity", "{lab}", "--delta-draws", "x"],
        "'--delta-draws'",
        "'x'",
    ),
    # claims add: options
    _c("add_value_text", add(value="abc"), "--value: a number is needed", "'abc'"),
    _c("add_value_huge", add(value="1e308"), "--value: the value is out of range", "'1e308'"),
    _c(
        "add_value_overflow_after_conversion",
        add(value="1e300", unit="billion person"),
        "--value: the value is out of range",
        "'1e300'",
    ),
    _c("add_value_negative_zero", add(value="-0.0"), "--value: impossible value", "'-0.0'"),
    _c("add_noise_negative_zero", add(noise="-0.0"), "--noise: noise out of range", "'-0.0'"),
    _c(
        "add_reliability_huge",
        add(reliability="1e308"),
        "--reliability: reliability out of range",
        "'1e308'",
    ),
    _c("add_date_future", add(date="2999-01-01"), "--date: the date is in the future", "2999"),
    _c("add_date_text", add(date="last spring"), "--date: not a valid date", "'last spring'"),
    _c("add_id_1mb", add(id=HUGE), "--id: text too long", "'xxxx"),
    _c("add_id_invalid", add(id="new team!"), "--id: invalid claim id", "'new team!'"),
    _c("add_id_duplicate", add(id="own_cluster"), "--id: duplicate claim id", "'own_cluster'"),
    _c("add_source_1mb", add(source=HUGE), "--source: text too long", "'xxxx"),
    _c(
        "add_source_non_utf8",
        add(source="caf\udce9"),
        "--source: the text is not valid UTF-8",
        "'caf\\udce9'",
    ),
    _c(
        "add_note_non_utf8",
        add(note="\udcff\udcfe"),
        "--note: the text is not valid UTF-8",
        "'\\udcff\\udcfe'",
    ),
    _c("add_unit_1mb", add(unit=HUGE), "--unit: text too long", "'xxxx"),
    _c("add_unit_wrong_dimension", add(unit="GPU"), "--unit: 'GPU' does not measure", "'GPU'"),
    _c(
        "add_quantity_unknown",
        add(quantity="staff.headcont"),
        "--quantity: unknown quantity",
        "'staff.headcont'",
    ),
    _c("add_kind_unknown", add(kind="guess"), "--kind: unknown kind", "'guess'"),
    _c(
        "add_credibility_unknown",
        add(credibility="gossip"),
        "--credibility: unknown class",
        "'gossip'",
    ),
    _c("add_use_unknown", add(use="evidense"), "--use: unknown use", "'evidense'"),
    _c(
        "add_by_unknown",
        add(by="analyst_note"),
        "--by: no source with this id in sources.toml",
        "'analyst_note'",
    ),
    _c(
        "add_range_without_high",
        add(kind="range", value=None, low="100"),
        "--high: a range claim needs high",
        "",
    ),
    _c("add_missing_source", add(source=None), "--source: missing required key", ""),
    _c(
        "add_repeats_unknown",
        add(repeats="analyst_capx"),
        "--repeats: no claim with this id",
        "'analyst_capx'",
    ),
    # claims add --from
    _c(
        "from_missing",
        ["claims", "add", "{lab}", "--from", "{snippets}/missing.toml"],
        "{snippets}/missing.toml: the file can't be read",
        "No such file",
    ),
    _c(
        "from_non_utf8",
        ["claims", "add", "{lab}", "--from", "{snippets}/non_utf8.toml"],
        "{snippets}/non_utf8.toml: the file is not valid UTF-8",
        "byte",
    ),
    _c(
        "from_truncated",
        ["claims", "add", "{lab}", "--from", "{snippets}/truncated.toml"],
        "{snippets}/truncated.toml: malformed TOML",
        "Unterminated string",
    ),
    _c(
        "from_list_of_numbers",
        ["claims", "add", "{lab}", "--from", "{snippets}/numbers.toml"],
        "{snippets}/numbers.toml: claims: claims must be [[claims]] tables",
        "[1, 2]",
    ),
    _c(
        "from_empty",
        ["claims", "add", "{lab}", "--from", "{snippets}/empty.toml"],
        "{snippets}/empty.toml: claims: no [[claims]] tables",
        "",
    ),
    _c(
        "from_bad_claim",
        ["claims", "add", "{lab}", "--from", "{snippets}/future.toml"],
        "{snippets}/future.toml: claims[0] (new_team).date: the date is in the future",
        "'2999-01-01'",
    ),
    _c(
        "from_directory",
        ["claims", "add", "{lab}", "--from", "{snippets}"],
        "'--from'",
        "{snippets}",
    ),
    _c(
        "from_and_options",
        ["claims", "add", "{lab}", "--from", "{snippets}/future.toml", "--id", "x"],
        "options or with --from",
        "not both",
    ),
]


def _snippets(folder: Path) -> Path:
    """Claim snippets for ``--from``, one defect each."""
    folder.mkdir()
    good = "[[claims]]\n" + "".join(f'{k} = "{v}"\n' for k, v in CLAIM.items())
    (folder / "non_utf8.toml").write_bytes(good.encode().replace(b"job post", b"caf\xe9 post"))
    (folder / "truncated.toml").write_text(good[: good.index("staff.head")], encoding="utf-8")
    (folder / "numbers.toml").write_text("claims = [1, 2]\n", encoding="utf-8")
    (folder / "empty.toml").write_text("", encoding="utf-8")
    (folder / "future.toml").write_text(good.replace("2024-06-01", "2999-01-01"), "utf-8")
    return folder


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    lab = tmp_path / "lab"
    shutil.copytree(VALID, lab)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"previous run": ', encoding="utf-8")  # damaged
    (out / "report.md").write_text("# A previous report\n", encoding="utf-8")
    file = tmp_path / "a_file.txt"
    file.write_text("not a folder\n", encoding="utf-8")
    snippets = _snippets(tmp_path / "snippets")
    return {
        "{lab}": str(lab),
        "{out}": str(out),
        "{file}": str(file),
        "{tmp}": str(tmp_path),
        "{snippets}": str(snippets),
    }


def _fill(text: str, places: dict[str, str]) -> str:
    for token, value in places.items():
        text = text.replace(token, value)
    return text


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)


def test_the_valid_claim_is_added(places: dict[str, str]) -> None:
    """The base claim is valid, so each case's one bad option is what is refused."""
    args = [_fill(a, places) for a in add()] + ["--dry-run"]
    result = _invoke(*args)
    _assert_clean_exit(result, 0)
    assert "dry run: nothing written" in result.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_command_line_exits_2_and_changes_nothing(
    case: Case, places: dict[str, str], tmp_path: Path
) -> None:
    before = _snapshot(tmp_path)
    result = _invoke(*(_fill(a, places) for a in case.args))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    output = result.output
    assert _fill(case.where, places) in output, output[:ECHO_LIMIT]
    assert _fill(case.value, places)[:60] in output, output[:ECHO_LIMIT]
    assert len(output) < ECHO_LIMIT, f"{len(output):,} characters echoed"
    after = _snapshot(tmp_path)
    assert sorted(after) == sorted(before), "files appeared or vanished"
    changed = [path for path in before if after[path] != before[path]]
    assert not changed, changed
