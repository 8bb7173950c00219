"""Reading a lab folder from disk: the only place the files of a lab are read.

:func:`read_lab_files` returns their bytes (and what is wrong with the folder itself:
unknown or missing files, files that can't be read); :func:`estimator.spec.parse.parse_lab`
turns them into a lab without touching the disk, so a lab can also be checked as it would
be with other contents (a new claim in the ledger) entirely in memory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from estimator.errors import Problem, Problems, SpecError, did_you_mean, listing
from estimator.spec.tomlread import read_bytes

#: The priors files of a lab folder and the top-level tables each may hold.
PRIORS_FILES: dict[str, tuple[str, ...]] = {
    "lab.toml": ("lab", "window", "currency", "share", "revenue"),
    "fleet.toml": ("fleet",),
    "costs.toml": (
        "server",
        "network",
        "energy",
        "staff",
        "maintenance",
        "facilities",
        "other",
        "hardware",
        "datacentre",
    ),
    "runs.toml": ("runs", "workload"),
    "rentals.toml": ("rent",),
    "correlations.toml": ("correlations",),
}
REQUIRED_FILES = ("lab.toml", "costs.toml")
#: A lab owns accelerators, rents them, or both: one of these files is needed.
FLEET_FILES = ("fleet.toml", "rentals.toml")
#: Other files a lab folder may hold: the claims ledger, questions, scenarios, notes.
SOURCES_FILE = "sources.toml"
CLAIMS_FILE = "claims.toml"
QUESTIONS_FILE = "questions.toml"
SCENARIOS_FILE = "scenarios.toml"
#: Every TOML file of a lab folder, in the order they are read.
INPUT_FILES = (*PRIORS_FILES, SOURCES_FILE, CLAIMS_FILE, QUESTIONS_FILE, SCENARIOS_FILE)
KNOWN_FILES = (*INPUT_FILES, "README.md")


@dataclass(frozen=True)
class LabFiles:
    """The bytes of a lab folder's input files, as read.

    Attributes
    ----------
    folder : Path
        Where they were read from.
    label : str
        The folder as messages name it (as the user gave it).
    contents : dict
        File name (e.g. ``claims.toml``) to bytes, for every input file present and
        readable.
    problems : tuple of Problem
        What is wrong with the folder: unknown files, missing required files, files that
        could not be read.
    """

    folder: Path
    label: str
    contents: dict[str, bytes] = field(repr=False)
    problems: tuple[Problem, ...] = ()

    def where(self, name: str) -> str:
        """A file of the folder, as messages name it."""
        return f"{self.label}/{name}"

    def with_file(self, name: str, data: bytes) -> LabFiles:
        """The same folder with one file's contents replaced (nothing is written)."""
        if name not in INPUT_FILES:
            raise ValueError(f"{name} is not an input file of a lab folder")
        problems = tuple(
            p
            for p in self.problems
            if not (
                p.message == "missing required file"
                and (
                    p.file == self.where(name)
                    or (name in FLEET_FILES and p.file == self.where(FLEET_FILES[0]))
                )
            )
        )
        return dataclasses.replace(self, contents={**self.contents, name: data}, problems=problems)


def read_lab_files(folder: str | Path) -> LabFiles:
    """Read the input files of a lab folder such as ``priors/deepseek``.

    Raises
    ------
    SpecError
        When the folder can't be read at all (missing, not a folder, empty, no permission).
    """
    path = Path(folder)
    label = str(folder).rstrip("/")
    entries = _entries(path, label)
    problems = Problems()
    for entry in entries:
        if entry not in KNOWN_FILES:
            problems.add(
                f"{label}/{entry}",
                "",
                "unknown file in a lab folder",
                allowed=listing(KNOWN_FILES),
                hint=did_you_mean(entry, KNOWN_FILES),
            )
    for required in REQUIRED_FILES:
        if required not in entries:
            problems.add(
                f"{label}/{required}",
                "",
                "missing required file",
                allowed="see priors/README.md for its contents",
            )
    if not any(name in entries for name in FLEET_FILES):
        problems.add(
            f"{label}/{FLEET_FILES[0]}",
            "",
            "missing required file",
            allowed="fleet.toml (accelerators the lab owns), rentals.toml (those it rents), "
            "or both; see priors/README.md",
        )
    contents = {}
    for name in INPUT_FILES:
        if name in entries:
            raw = read_bytes(path / name, f"{label}/{name}", problems)
            if raw is not None:
                contents[name] = raw
    return LabFiles(path, label, contents, tuple(problems.items))


def _entries(path: Path, label: str) -> list[str]:
    """The visible entries of a lab folder; raises when the folder itself is unusable."""
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise SpecError([_problem(label, f"the folder can't be read ({exc.strerror})")]) from None
    if not exists:
        raise SpecError([_problem(label, "no such folder", "a lab folder such as priors/deepseek")])
    if not is_dir:
        raise SpecError([_problem(label, "not a folder", "a lab folder such as priors/deepseek")])
    try:
        entries = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    except PermissionError:
        raise SpecError([_problem(label, "the folder can't be read (permission denied)")]) from None
    except OSError as exc:
        raise SpecError([_problem(label, f"the folder can't be read ({exc.strerror})")]) from None
    if not entries:
        raise SpecError(
            [_problem(label, "the folder is empty", ", ".join((*REQUIRED_FILES, *FLEET_FILES)))]
        )
    return entries


def _problem(label: str, message: str, allowed: str | None = None) -> Problem:
    return Problem(label, "", message, allowed=allowed)
