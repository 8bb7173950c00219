"""One error type for bad input, carrying every problem found at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value of one input file.

    Parameters
    ----------
    file : str
        The file (or command-line option) that holds the bad value.
    key : str
        Where in the file: a dotted key such as ``fleet.h100.count.between``.
    message : str
        What is wrong, in plain words.
    value : object, optional
        The offending value, shown back to the user.
    allowed : str, optional
        What would be accepted instead.
    hint : str, optional
        A "did you mean" suggestion.
    """

    file: str
    key: str
    message: str
    value: object = None
    allowed: str | None = None
    hint: str | None = None

    def render(self) -> str:
        """Format the problem as one or more human-readable lines."""
        file, key = _clip(self.file, 300), _clip(self.key, 200)
        where = f"{file}: {key}" if key else file
        text = f"{where}: {_clip(self.message, 400)}"
        if self.value is not None:
            text += f" (got {_show(self.value)})"
        if self.allowed:
            text += f"; allowed: {_clip(self.allowed, 2000)}"
        if self.hint:
            text += f"; did you mean {_clip(self.hint, 200)}?"
        return text


def _show(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was (a key or a
    message can echo a huge input, e.g. a 1 MB key: it must not be printed whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


class SpecError(Exception):
    """Raised when input files or options are invalid; lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line, under a count."""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input:"
        return "\n".join([head, *(f"  - {p.render()}" for p in self.problems)])


@dataclass
class Problems:
    """Collects problems while a file is checked, then raises them together."""

    items: list[Problem] = field(default_factory=list)

    def add(
        self,
        file: str,
        key: str,
        message: str,
        value: object = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Record one problem."""
        self.items.append(Problem(file, key, message, value, allowed, hint))

    def extend(self, other: Iterable[Problem]) -> None:
        """Record problems found elsewhere."""
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise :class:`SpecError` when at least one problem was recorded."""
        if self.items:
            raise SpecError(self.items)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to a misspelt one, quoted, or ``None``."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return repr(matches[0]) if matches else None


def listing(choices: Iterable[str], limit: int = 30) -> str:
    """A short comma-separated list of valid names."""
    items = sorted(set(choices))
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")
