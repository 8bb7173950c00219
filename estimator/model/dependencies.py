"""Which inputs each named quantity is a function of, read off the equations themselves.

:meth:`~estimator.model.equations.LabModel.evaluate` is written for any array namespace
(numpy or PyTensor), so it can also run once on :class:`Traced` values: each input is a
value that knows only its own name, and every operation the equations use (arithmetic,
comparisons, and the ``maximum``, ``minimum``, ``exp``, ``where`` and ``clip`` of
:data:`TRACING`) gives a value that knows every name it was computed from. What a
quantity comes out knowing is the set of inputs it depends on: the inputs PyTensor's graph
of the same equations has among that quantity's ancestors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any


class Traced:
    """A value that remembers which inputs it was computed from."""

    __slots__ = ("names",)
    __array_ufunc__ = None  # numpy defers to the reflected operators below

    def __init__(self, names: frozenset[str]):
        self.names = names

    def __bool__(self) -> bool:
        raise TypeError("a traced value has no truth value: the equations branched on data")

    def __neg__(self) -> Traced:
        return self

    def __pos__(self) -> Traced:
        return self

    def __abs__(self) -> Traced:
        return self


def _join(*values: Any) -> Traced:
    """A value computed from ``values``: it depends on what any of them depends on."""
    names: frozenset[str] = frozenset()
    for value in values:
        if isinstance(value, Traced):
            names |= value.names
    return Traced(names)


def _binary(_self: Any, other: Any) -> Traced:
    return _join(_self, other)


for _name in (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
):
    setattr(Traced, f"__{_name}__", _binary)
    setattr(Traced, f"__r{_name}__", _binary)
for _name in ("lt", "le", "gt", "ge"):
    setattr(Traced, f"__{_name}__", _binary)


def _namespace() -> ModuleType:
    """The array namespace the equations are traced with."""
    xp = ModuleType("tracing")
    functions: dict[str, Callable[..., Traced]] = {
        "maximum": _join,
        "minimum": _join,
        "exp": _join,
        "log": _join,
        "where": _join,
        "clip": _join,
    }
    for name, function in functions.items():
        setattr(xp, name, function)
    return xp


#: The array namespace of a traced evaluation.
TRACING = _namespace()


def inputs_of_each(
    evaluate: Callable[[dict[str, Any], ModuleType], dict[str, Any]], inputs: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """For every quantity ``evaluate`` computes, the ``inputs`` it is a function of (in
    the order of ``inputs``).

    Raises
    ------
    TypeError, AttributeError
        When the equations do something a traced value can't (branch on a value, call a
        function :data:`TRACING` lacks).
    """
    order = list(inputs)
    values = evaluate({name: Traced(frozenset((name,))) for name in order}, TRACING)
    out = {}
    for name, value in values.items():
        uses = value.names if isinstance(value, Traced) else frozenset()
        out[name] = tuple(n for n in order if n in uses)
    return out
