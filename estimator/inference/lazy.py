"""A mapping whose values are computed when first read: the summaries and per-quantity
readings of an estimate, of which a command such as ``estimator check`` reads a few
dozen out of hundreds. Reading them all (iterating, ``items()``, ``values()``) computes
the missing ones together on threads. The values are the same however they are read."""

from __future__ import annotations

import threading
from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence, ValuesView

from estimator.inference.threads import thread_map


class LazyMapping[V](Mapping[str, V]):
    """Names to values made by ``compute(name)`` on first read.

    ``compute`` may return ``None`` for a name that has no value (a quantity that never
    varies has no per-quantity reading): such a name is then not in the mapping.
    """

    def __init__(self, names: Sequence[str], compute: Callable[[str], V | None]) -> None:
        self._names = tuple(dict.fromkeys(names))
        self._known = frozenset(self._names)
        self._compute = compute
        self._found: dict[str, V | None] = {}
        self._lock = threading.Lock()
        self._complete = False

    def _value(self, name: str) -> V | None:
        if name not in self._known:
            raise KeyError(name)
        if name not in self._found:
            value = self._compute(name)
            with self._lock:
                self._found.setdefault(name, value)
        return self._found[name]

    def __getitem__(self, name: str) -> V:
        value = self._value(name)
        if value is None:
            raise KeyError(name)
        return value

    def fill(self) -> dict[str, V]:
        """Every value, the missing ones computed on threads; as a plain dict."""
        if not self._complete:
            missing = [n for n in self._names if n not in self._found]
            for name, value in zip(missing, thread_map(self._compute, missing), strict=True):
                with self._lock:
                    self._found.setdefault(name, value)
            self._complete = True
        out = {}
        for name in self._names:
            value = self._found[name]
            if value is not None:
                out[name] = value
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self.fill())

    def __len__(self) -> int:
        return len(self.fill())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._known and self._value(name) is not None

    def items(self) -> ItemsView[str, V]:
        return self.fill().items()

    def values(self) -> ValuesView[V]:
        return self.fill().values()

    def __repr__(self) -> str:
        return f"LazyMapping({len(self._found)} of {len(self._names)} computed)"
