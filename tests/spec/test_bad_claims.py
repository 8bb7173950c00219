"""The bad-claims catalogue: one lab folder per kind of mistake in a claims ledger, each a
copy of a small valid lab (``tests/fixtures/bad_claims/_valid/``, the minimal lab of the
bad-input catalogue plus a five-claim ``claims.toml``) whose ``claims.toml`` has exactly one
defect.

For every case the loader must raise :class:`~estimator.errors.SpecError` naming
``claims.toml``, the claim (``claims[<i>] (<id>).<key>``), what is wrong and the offending
value, and ``validate`` must exit with code 2 and print that, never a traceback. A case
must report its own problem once, and nothing else: a defect in one claim must not make
the loader blame another.

The valid ledger's claims, by index: 0 ``press_headcount`` (point, noise overridden),
1 ``own_cluster`` (lower bound, partial date), 2 ``analyst_capex`` (range, reliability
overridden), 3 ``analyst_opex`` (a 4-year total on ``opex.per_year``, a check) and
4 ``relay_capex`` (relays ``analyst_capex``).
"""

from __future__ import annotations

import datetime as dt
import filecmp
import math
import shutil
from pathlib import Path

import pytest

from estimator.cli import EXIT_BAD_INPUT
from estimator.errors import Problem, SpecError
from estimator.model.claims import CREDIBILITY, KINDS, USES
from estimator.spec.claims import CLAIM_KEYS, REQUIRED_KEYS
from estimator.spec.parse import load_lab
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

BAD_CLAIMS = Path(__file__).resolve().parent.parent / "fixtures" / "bad_claims"
VALID = BAD_CLAIMS / "_valid"
CLAIMS = "claims.toml"

C0 = "claims[0] (press_headcount)"
C1 = "claims[1] (own_cluster)"
C2 = "claims[2] (analyst_capex)"
C3 = "claims[3] (analyst_opex)"
C4 = "claims[4] (relay_capex)"


def claim(
    case: str, key: str, fragment: str, value: object = ANY, hint: str | None = None
) -> Expect:
    """The problem a case must report, in claims.toml."""
    return Expect(case, CLAIMS, key, fragment, value, hint)


CASES: list[Expect] = [
    Expect(
        "during_outside_window",
        "claims.toml",
        "claims[1] (own_cluster).during",
        "outside the lab's window",
        "2025",
    ),
    Expect(
        "during_not_a_period",
        "claims.toml",
        "claims[1] (own_cluster).during",
        "not a period",
        "the summer",
    ),
    Expect(
        "during_on_an_input",
        "claims.toml",
        "claims[0] (press_headcount).during",
        "has no period",
        "2024-06",
    ),
    Expect(
        "scope_mismatch",
        "claims.toml",
        "claims[1] (own_cluster).scope",
        "counts the whole fleet",
        "lab",
    ),
    Expect("unknown_scope", "claims.toml", "claims[1] (own_cluster).scope", "unknown scope"),
    claim(
        "duplicate_id",
        "claims[1] (press_headcount).id",
        "duplicate claim id (also claims[0])",
        "press_headcount",
    ),
    claim(
        "unknown_quantity",
        f"{C0}.quantity",
        "unknown quantity",
        "staff.headcont",
        hint="'staff.headcount'",
    ),
    claim("unit_wrong_dimension", f"{C2}.unit", "does not measure the same thing as 'USD'", "GPU"),
    claim("currency_without_rate", f"{C2}.unit", "no exchange rate for EUR", "EUR"),
    claim(
        "total_without_period",
        f"{C3}.unit",
        "does not measure the same thing as 'USD/year'",
        "USD",
    ),
    claim(
        "period_with_rate_unit",
        f"{C3}.unit",
        "is already a rate per year",
        "USD/year",
    ),
    claim(
        "range_low_not_below_high",
        f"{C2}.low",
        "low end must be below its high end",
        ["150M", "50M"],
    ),
    claim("range_missing_high", f"{C2}.high", "a range claim needs high"),
    claim("value_for_range", f"{C2}.value", "not used by a range claim", "100M"),
    claim("low_for_point", f"{C0}.low", "not used by a point claim", 100),
    claim("range_both_ends_impossible", f"{C2}.low", "impossible value for capex.hardware", -100),
    claim("not_a_date", f"{C0}.date", "not a valid date", "mid 2024"),
    claim("future_date", f"{C0}.date", "the date is in the future", "2999-01-01"),
    claim(
        "unknown_credibility",
        f"{C2}.credibility",
        "unknown",
        "analyst_estimat",
        hint="'analyst_estimate'",
    ),
    claim("unknown_kind", f"{C1}.kind", "unknown kind", "lowerbound", hint="'lower_bound'"),
    claim("unknown_use", f"{C3}.use", "unknown use", "chek", hint="'check'"),
    claim("negative_count", f"{C1}.value", "impossible value for fleet.h100.count", -2048),
    claim(
        "share_above_one",
        "claims[5] (share_claim).value",
        "impossible value for share.attributable",
        1.5,
    ),
    claim("nan_value", f"{C0}.value", "finite", math.nan),
    claim("text_for_number", f"{C0}.value", "a number is needed", "lots"),
    claim("missing_source", f"{C1}.source", "missing required key"),
    claim("unknown_key", f"{C0}.valeu", "unknown key", hint="'value'"),
    claim("noise_zero", f"{C0}.noise", "noise out of range", 0),
    claim("noise_too_large", f"{C0}.noise", "noise out of range", 5),
    claim("reliability_too_high", f"{C2}.reliability", "reliability out of range", 1.5),
    claim(
        "repeats_unknown_id",
        f"{C4}.repeats",
        "no claim with this id",
        "analyst_capx",
        hint="'analyst_capex'",
    ),
    claim("repeats_itself", f"{C4}.repeats", "a claim can't relay itself", "relay_capex"),
    claim("repeats_circle", f"{C4}.repeats", "relay each other in a circle", "analyst_capex"),
    claim("repeats_not_text", f"{C4}.repeats", "the id of the claim this one relays", 2),
    claim("invalid_id", "claims[1] (own cluster!).id", "invalid claim id", "own cluster!"),
    claim("id_not_text", "claims[1].id", "a non-empty text is needed", 5),
    claim(
        "period_on_total",
        f"{C3}.period",
        "spend.total is not a rate per period",
        "4 years",
    ),
    claim("malformed_period", f"{C3}.period", "unknown or malformed unit", "4 apples"),
    claim("period_zero", f"{C3}.period", "the period must be positive", "0 years"),
    claim("period_not_text", f"{C3}.period", "a non-empty text is needed", 4),
    claim("claims_not_tables", "claims", "claims must be [[claims]] tables"),
    claim("claims_list_of_numbers", "claims", "claims must be [[claims]] tables"),
    claim("misspelt_claims_table", "claim", "unknown key", hint="'claims'"),
    claim("malformed_toml", "", "malformed TOML"),
    # Extremes: huge numbers, negative zero, an endless period, a cut-off file.
    claim("huge_value", f"{C0}.value", "out of range once converted", 1e308),
    claim("overflow_after_conversion", f"{C2}.low", "out of range once converted", 1e308),
    claim("negative_zero_value", f"{C1}.value", "impossible value for fleet.h100.count", -0.0),
    claim("negative_zero_noise", f"{C0}.noise", "noise out of range", -0.0),
    claim("period_too_long", f"{C3}.period", "the period is too long", "1e400 years"),
    claim("truncated_mid_table", "", "malformed TOML"),
]

#: Problems a case rightly reports besides its main one (a consequence of the same defect).
ALSO: dict[str, list[Expect]] = {
    "unknown_key": [claim("unknown_key", f"{C0}.value", "a point claim needs value")],
    "repeats_circle": [
        claim("repeats_circle", f"{C2}.repeats", "relay each other in a circle", "relay_capex")
    ],
    "range_both_ends_impossible": [
        claim(
            "range_both_ends_impossible",
            f"{C2}.high",
            "impossible value for capex.hardware",
            -50,
        )
    ],
}

PARAMS = [pytest.param(expect, id=expect.case) for expect in CASES]


def _load_problems(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(SpecError) as info:
        load_lab(folder)
    assert info.value.problems, "a SpecError must list at least one problem"
    return info.value.problems


# --- the valid base --------------------------------------------------------------------


def test_valid_claims_lab_loads_cleanly() -> None:
    spec = load_lab(VALID)
    assert spec.warnings == ()
    assert [c.id for c in spec.claims] == [
        "press_headcount",
        "own_cluster",
        "analyst_capex",
        "analyst_opex",
        "relay_capex",
    ]
    assert {c.kind for c in spec.claims} == {"point", "lower_bound", "range"}
    assert CLAIMS in spec.files
    result = _invoke("validate", str(VALID))
    _assert_clean_exit(result, 0)
    assert "OK" in result.output
    assert result.stderr == ""


def test_valid_base_is_the_bad_input_minimal_lab_plus_claims() -> None:
    minimal = VALID.parent.parent / "bad" / "_valid_minimal"
    names = {p.name for p in VALID.iterdir()}
    assert names == {p.name for p in minimal.iterdir()} | {CLAIMS}
    for name in names - {CLAIMS}:
        assert filecmp.cmp(VALID / name, minimal / name, shallow=False), name


def test_every_fixture_folder_is_a_case() -> None:
    on_disk = {p.name for p in BAD_CLAIMS.iterdir() if p.is_dir()}
    assert on_disk == {c.case for c in CASES} | {"_valid", "several_defects"}


@pytest.mark.parametrize("case", sorted({c.case for c in CASES} | {"several_defects"}))
def test_fixture_differs_from_the_valid_lab_only_in_claims(case: str) -> None:
    folder = BAD_CLAIMS / case
    assert {p.name for p in folder.iterdir()} == {p.name for p in VALID.iterdir()}
    changed = [
        p.name for p in VALID.iterdir() if not filecmp.cmp(p, folder / p.name, shallow=False)
    ]
    assert changed == [CLAIMS]


def test_the_ledger_vocabulary_is_what_the_catalogue_assumes() -> None:
    """Guards the fixtures: they use these names, so renaming one must revisit them."""
    assert set(REQUIRED_KEYS) <= set(CLAIM_KEYS)
    assert {"value", "low", "high", "period", "noise", "reliability", "repeats"} <= set(CLAIM_KEYS)
    assert {"point", "lower_bound", "range"} <= set(KINDS)
    assert set(USES) == {"evidence", "check"}
    assert {"first_hand", "analyst_estimate", "anonymous_press", "hearsay"} <= set(CREDIBILITY)


# --- the catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("expect", PARAMS)
def test_load_lab_reports_the_problem(expect: Expect) -> None:
    folder = BAD_CLAIMS / expect.case
    problems = _load_problems(folder)
    assert any(_matches(p, expect) for p in problems), (
        f"expected {expect} among:\n{_show(problems)}"
    )
    assert all(p.file == f"{folder}/{CLAIMS}" for p in problems), _show(problems)
    assert all(p.message for p in problems)


@pytest.mark.parametrize("expect", PARAMS)
def test_validate_cli_exits_2_naming_file_and_key(expect: Expect) -> None:
    result = _invoke("validate", str(BAD_CLAIMS / expect.case))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    where = f"{CLAIMS}: {expect.key}" if expect.key else CLAIMS
    assert f"{where}: " in result.stderr, result.output
    assert expect.fragment in result.stderr
    if expect.hint:
        assert f"did you mean {expect.hint}?" in result.stderr
    assert "OK" not in result.stdout


@pytest.mark.parametrize("case", [c.case for c in CASES])
def test_each_problem_is_reported_once(case: str) -> None:
    problems = _load_problems(BAD_CLAIMS / case)
    places = [(p.file, p.key, p.message) for p in problems]
    assert len(set(places)) == len(places), _show(problems)


@pytest.mark.parametrize("expect", PARAMS)
def test_a_defect_reports_its_own_problems_and_nothing_else(expect: Expect) -> None:
    """No spurious problem: each one reported is expected, and each expected one is there."""
    wanted = [expect, *ALSO.get(expect.case, [])]
    problems = _load_problems(BAD_CLAIMS / expect.case)
    unexpected = [p for p in problems if not any(_matches(p, w) for w in wanted)]
    assert not unexpected, f"unexpected:\n{_show(tuple(unexpected))}"
    missing = [w for w in wanted if not any(_matches(p, w) for p in problems)]
    assert not missing, f"missing {missing} from:\n{_show(problems)}"


# --- what a message advises ------------------------------------------------------------


def test_total_without_period_suggests_a_period() -> None:
    (problem,) = _load_problems(BAD_CLAIMS / "total_without_period")
    assert problem.key == f"{C3}.unit"
    assert problem.allowed is not None
    assert "period" in problem.allowed


def test_unknown_quantity_lists_the_lab_quantities() -> None:
    (problem,) = _load_problems(BAD_CLAIMS / "unknown_quantity")
    assert problem.allowed is not None
    assert "staff.headcount" in problem.allowed
    assert "fleet.h100.count" in problem.allowed


def test_rate_unit_with_period_is_not_told_to_use_that_same_unit() -> None:
    (problem,) = _load_problems(BAD_CLAIMS / "period_with_rate_unit")
    assert problem.key == f"{C3}.unit"
    assert "USD/year" not in (problem.allowed or "")
    assert "(4 years)" not in problem.message


@pytest.mark.parametrize(
    ("case", "value"), [("claims_not_tables", 3), ("claims_list_of_numbers", [1, 2])]
)
def test_claims_not_tables_shows_the_value_given(case: str, value: object) -> None:
    (problem,) = _load_problems(BAD_CLAIMS / case)
    assert problem.key == "claims"
    assert problem.value == value


# --- several defects at once -----------------------------------------------------------


SEVERAL = [
    Expect("", CLAIMS, f"{C0}.quantity", "unknown quantity", hint="'staff.headcount'"),
    Expect("", CLAIMS, "claims[1] (press_headcount).id", "duplicate claim id"),
    Expect("", CLAIMS, f"{C2}.low", "low end must be below its high end"),
    Expect("", CLAIMS, f"{C3}.date", "the date is in the future"),
    Expect("", CLAIMS, f"{C3}.credibility", "unknown", hint="'analyst_estimate'"),
    Expect("", CLAIMS, f"{C4}.repeats", "no claim with this id", hint="'analyst_capex'"),
]


def test_several_claim_defects_are_all_reported_at_once() -> None:
    folder = BAD_CLAIMS / "several_defects"
    problems = _load_problems(folder)
    for expect in SEVERAL:
        assert any(_matches(p, expect) for p in problems), (
            f"{expect.key} ({expect.fragment}) missing from:\n{_show(problems)}"
        )
    assert len(problems) == len(SEVERAL), _show(problems)
    result = _invoke("validate", str(folder))
    _assert_clean_exit(result, EXIT_BAD_INPUT)
    assert f"{len(SEVERAL)} problems in the input" in result.stderr
    for expect in SEVERAL:
        assert f"{CLAIMS}: {expect.key}: " in result.stderr


def test_claim_defects_are_reported_with_defects_in_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    shutil.copytree(BAD_CLAIMS / "unknown_quantity", folder)
    costs = folder / "costs.toml"
    text = costs.read_text(encoding="utf-8")
    assert "[energy.pue]\nbetween" in text
    costs.write_text(text.replace("[energy.pue]\nbetween", "[energy.pue]\nbetwen"), "utf-8")
    problems = _load_problems(folder)
    pue = Expect("", "costs.toml", "energy.pue.betwen", "unknown key", hint="'between'")
    assert any(_matches(p, pue) for p in problems), _show(problems)
    (unknown_quantity,) = (c for c in CASES if c.case == "unknown_quantity")
    assert any(_matches(p, unknown_quantity) for p in problems), _show(problems)


# --- what a valid ledger loads to ------------------------------------------------------


def test_a_total_over_a_period_becomes_a_yearly_rate() -> None:
    opex = load_lab(VALID).claim("analyst_opex")
    assert opex.quantity == "opex.per_year"
    assert opex.period == "4 years"
    assert opex.value == pytest.approx(944e6 / 4)
    assert opex.bounds == (pytest.approx(236e6), pytest.approx(236e6))
    assert opex.stated == "about 944M USD over 4 years"


def test_values_are_converted_to_canonical_units() -> None:
    spec = load_lab(VALID)
    capex = spec.claim("analyst_capex")
    assert (capex.value, capex.low, capex.high) == (None, 50e6, 150e6)
    assert capex.bounds == (50e6, 150e6)
    cluster = spec.claim("own_cluster")
    assert cluster.bounds == (2048.0, None)


def test_a_relay_is_kept_as_a_claim_but_not_counted_as_evidence() -> None:
    spec = load_lab(VALID)
    relay = spec.claim("relay_capex")
    assert relay.use == "evidence"
    assert relay.repeats == "analyst_capex"
    assert "relay_capex" in [c.id for c in spec.claims]
    evidence = [c.id for c in spec.evidence]
    assert evidence == ["press_headcount", "own_cluster", "analyst_capex"]
    assert "analyst_opex" not in evidence  # a check, not evidence


def test_a_chain_of_relays_loads_and_counts_once(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    shutil.copytree(VALID, folder)
    ledger = folder / CLAIMS
    ledger.write_text(
        ledger.read_text(encoding="utf-8")
        + '\n[[claims]]\nid = "relay_of_relay"\nsource = "Test fixture"\ndate = 2024-11-01\n'
        'quantity = "capex.hardware"\nkind = "point"\nvalue = "100M"\nunit = "USD"\n'
        'credibility = "hearsay"\nuse = "evidence"\nrepeats = "relay_capex"\n',
        encoding="utf-8",
    )
    spec = load_lab(folder)
    assert len(spec.claims) == 6
    assert [c.id for c in spec.evidence] == ["press_headcount", "own_cluster", "analyst_capex"]


def test_credibility_sets_noise_and_reliability_unless_overridden() -> None:
    spec = load_lab(VALID)
    press = spec.claim("press_headcount")  # noise overridden
    assert press.noise == 0.2
    assert press.reliability == CREDIBILITY["anonymous_press"].reliability
    cluster = spec.claim("own_cluster")  # both defaults
    assert (cluster.noise, cluster.reliability) == (
        CREDIBILITY["first_hand"].noise,
        CREDIBILITY["first_hand"].reliability,
    )
    capex = spec.claim("analyst_capex")  # reliability overridden
    assert capex.noise == CREDIBILITY["analyst_estimate"].noise
    assert capex.reliability == 0.6
    relay = spec.claim("relay_capex")
    assert (relay.noise, relay.reliability) == (
        CREDIBILITY["hearsay"].noise,
        CREDIBILITY["hearsay"].reliability,
    )


def test_dates_and_sources_are_kept_as_stated() -> None:
    spec = load_lab(VALID)
    cluster = spec.claim("own_cluster")
    assert cluster.date == dt.date(2024, 8, 1)  # "2024-08" reads as its first day
    assert cluster.source.date == "2024-08"
    assert cluster.source.url == "https://example.org/paper"
    assert spec.claim("press_headcount").source.date == "2024-06-01"
    assert spec.claim("relay_capex").source.note is not None


def test_no_claims_file_and_an_empty_ledger_both_load(tmp_path: Path) -> None:
    without = tmp_path / "without"
    shutil.copytree(VALID, without)
    (without / CLAIMS).unlink()
    assert load_lab(without).claims == ()
    empty = tmp_path / "empty"
    shutil.copytree(VALID, empty)
    (empty / CLAIMS).write_text("# no claims yet\n", encoding="utf-8")
    spec = load_lab(empty)
    assert spec.claims == ()
    assert spec.evidence == ()


# --- cases built at test time: bytes and sizes git should not hold ----------------------


def _ledger(tmp_path: Path, old: str, new: str | bytes) -> Path:
    folder = tmp_path / "lab"
    shutil.copytree(VALID, folder)
    raw = (folder / CLAIMS).read_bytes()
    want = old.encode()
    assert raw.count(want) == 1, old
    (folder / CLAIMS).write_bytes(
        raw.replace(want, new if isinstance(new, bytes) else new.encode())
    )
    return folder


def test_non_utf8_ledger(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, "a press report", b"a caf\xe9 report")
    _assert_refused(folder, tmp_path, CLAIMS, "", "not valid UTF-8", None)


def test_a_1mb_claim_id_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, '"press_headcount"', f'"{"p" * MEGABYTE}"')
    _assert_refused(folder, tmp_path, CLAIMS, "claims[0] (pppp", "text too long", "'pppp")


def test_a_1mb_claim_key_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, "noise = 0.2", f"{'n' * MEGABYTE} = 0.2")
    _assert_refused(folder, tmp_path, CLAIMS, f"{C0}.nnnn", "unknown key", None)


def test_a_1mb_source_is_refused_and_not_echoed(tmp_path: Path) -> None:
    folder = _ledger(tmp_path, "Test fixture: a press report", "s" * MEGABYTE)
    _assert_refused(folder, tmp_path, CLAIMS, f"{C0}.source", "text too long", "'ssss")
