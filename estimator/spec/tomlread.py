"""Reading TOML files and checking their tables, collecting every problem found."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from estimator.errors import Problems, did_you_mean, listing
from estimator.spec.units import MissingRateError, UnitError, parse_number

MAX_FILE_BYTES = 5_000_000
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def read_bytes(path: Path, label: str, problems: Problems) -> bytes | None:
    """The bytes of one input file; on failure record why and return ``None``."""
    try:
        raw = path.read_bytes()
    except PermissionError:
        problems.add(label, "", "the file can't be read (permission denied)")
        return None
    except OSError as exc:
        problems.add(label, "", f"the file can't be read ({exc.strerror or exc})")
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.add(
            label,
            "",
            f"the file is too large ({len(raw):,} bytes)",
            allowed=f"at most {MAX_FILE_BYTES:,} bytes",
        )
        return None
    return raw


def parse_toml(raw: bytes, label: str, problems: Problems) -> dict[str, Any] | None:
    """Decode and parse the bytes of one TOML file; on failure record why and return
    ``None``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(
            label,
            "",
            f"the file is not valid UTF-8 text (byte {exc.start})",
            allowed="UTF-8 encoded TOML",
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.add(label, "", f"malformed TOML: {exc}", allowed="TOML syntax (toml.io)")
        return None


def read_toml(path: Path, label: str, problems: Problems) -> dict[str, Any] | None:
    """Read and parse one TOML file; on failure record why and return ``None``."""
    raw = read_bytes(path, label, problems)
    return None if raw is None else parse_toml(raw, label, problems)


class Reader:
    """Typed access to values of one file; every failure is recorded, none raised.

    Parameters
    ----------
    file : str
        The file, as named in messages.
    problems : Problems
        Where problems are recorded.
    today : date
        Dates after it are refused where a date can't be in the future.
    quiet : bool
        The files this one refers to (names of quantities and inputs, exchange rates) have
        problems of their own: a reference that can't be resolved is then not reported
        against this file (:meth:`add_reference`), since it may well be a consequence.
    """

    def __init__(self, file: str, problems: Problems, today: dt.date, quiet: bool = False):
        self.file = file
        self.problems = problems
        self.today = today
        self.quiet = quiet

    @property
    def count(self) -> int:
        """Problems recorded so far (in every file): compare before and after a step."""
        return len(self.problems.items)

    def add(
        self,
        key: str,
        message: str,
        value: object = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Record a problem at ``key`` of this file."""
        self.problems.add(self.file, key, message, value, allowed, hint)

    def add_reference(
        self,
        key: str,
        message: str,
        value: object = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Record a reference to another file that can't be resolved (an unknown quantity,
        a currency without a rate), unless that file has problems of its own."""
        if not self.quiet:
            self.add(key, message, value, allowed, hint)

    def unit_problem(self, key: str, error: UnitError, value: object, allowed: str) -> None:
        """Record a unit that can't be converted (a missing exchange rate is a reference
        to ``lab.toml``)."""
        record = self.add_reference if isinstance(error, MissingRateError) else self.add
        record(key, str(error), value, allowed=allowed)

    def table(self, parent: dict[str, Any], name: str, key: str) -> dict[str, Any] | None:
        """A sub-table, or ``None`` after recording that something else was found."""
        value = parent.get(name)
        if isinstance(value, dict):
            return value
        self.add(
            key,
            "a table is needed here" if value is not None else "missing table",
            value if value is not None else None,
            allowed=f"a [{key}] table",
        )
        return None

    def check_keys(
        self, table: dict[str, Any], key: str, allowed: Iterable[str], required: Iterable[str] = ()
    ) -> bool:
        """Record unknown and missing keys; return whether all is well."""
        allowed = list(allowed)
        ok = True
        for name in table:
            if name not in allowed:
                ok = False
                self.add(
                    _join(key, name),
                    "unknown key",
                    allowed=listing(allowed),
                    hint=did_you_mean(name, allowed),
                )
        for name in required:
            if name not in table:
                ok = False
                self.add(_join(key, name), "missing required key")
        return ok

    def value(self, value: Any, key: str) -> float | None:
        """A finite number given directly (e.g. one element of a list) at ``key``."""
        try:
            return parse_number(value)
        except ValueError as exc:
            self.add(key, str(exc), value)
            return None

    def number(
        self, table: dict[str, Any], name: str, key: str, allowed: str | None = None
    ) -> float | None:
        """A finite number (TOML number or text such as ``"2.5M"``); ``allowed`` says
        what may stand there when it is not one."""
        value = table.get(name)
        try:
            return parse_number(value)
        except ValueError as exc:
            self.add(_join(key, name), str(exc), value, allowed=allowed)
            return None

    def string(
        self,
        table: dict[str, Any],
        name: str,
        key: str,
        required: bool = False,
        max_length: int = 10_000,
    ) -> str | None:
        """A string (non-empty when ``required``), or ``None`` when absent.

        A missing key is not reported here: :meth:`check_keys` reports missing keys.
        """
        value = table.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(_join(key, name), "a non-empty text is needed here", value)
            return None
        if len(value) > max_length:
            self.add(
                _join(key, name),
                f"text too long ({len(value):,} characters)",
                value[:40] + "...",
                allowed=f"at most {max_length:,} characters",
            )
            return None
        return value

    def date(
        self,
        table: dict[str, Any],
        name: str,
        key: str,
        partial: bool = False,
        not_after: dt.date | None = None,
    ) -> dt.date | None:
        """A calendar date: a TOML date or ISO text (``2024-12-26``; with ``partial``,
        also ``2024-12`` or ``2024``, read as the first day of that period)."""
        value = table.get(name)
        allowed = "a date such as 2024-12-26" + (", 2024-12 or 2024" if partial else "")
        parsed: dt.date | None = None
        if isinstance(value, dt.datetime):
            parsed = value.date()
        elif isinstance(value, dt.date):
            parsed = value
        elif isinstance(value, str):
            match = _PARTIAL_DATE.match(value.strip())
            if match and (partial or match.group(3)):
                year, month, day = (int(g) if g else 1 for g in match.groups())
                try:
                    parsed = dt.date(year, month, day)
                except ValueError:
                    parsed = None
        if parsed is None:
            self.add(_join(key, name), "not a valid date", value, allowed=allowed)
            return None
        if not_after is not None and parsed > not_after:
            self.add(
                _join(key, name),
                "the date is in the future",
                parsed.isoformat(),
                allowed=f"a date on or before {not_after.isoformat()}",
            )
            return None
        return parsed


def date_text(value: object) -> str | None:
    """A date as stated, as text (keeps partial dates such as ``2025-02``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name
