"""The package's shape: stages that import one way only, no import loops, and public names
that stay functions and classes whatever has been imported before.

The rule is stated in ``estimator/__init__.py``: a module imports from its own stage and the
stages below it, never from one above, wherever the import is written (at the top, inside a
function, or for type checking only).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "estimator"
#: The stages, lowest first; a module may import from its own stage and those before it.
STAGES = ("base", "model", "spec", "inference", "drivers", "review", "report", "top")
BASE_MODULES = {"estimator.errors", "estimator.atomic", "estimator.provenance"}
TOP_MODULES = {"estimator", "estimator.cli", "estimator.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def stage(module: str) -> str:
    """The stage a module belongs to."""
    if module in BASE_MODULES:
        return "base"
    if module in TOP_MODULES:
        return "top"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return parts[1]
    raise AssertionError(f"{module} belongs to no stage: put it in a subpackage or name it here")


def imported(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every ``estimator`` module a file imports (anywhere in it), with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "estimator":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "estimator":
                continue
            for alias in node.names:
                # ``from estimator.spec import structure`` imports the submodule.
                candidate = f"{target}.{alias.name}"
                yield (candidate if candidate in MODULES else target), node.lineno


def import_graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in imported(p, m)} - {m} for m, p in MODULES.items()}


def test_every_module_belongs_to_a_stage() -> None:
    for module in MODULES:
        assert stage(module) in STAGES


def test_no_module_imports_from_a_stage_above_its_own() -> None:
    upward = []
    for module, path in MODULES.items():
        own = STAGES.index(stage(module))
        for target, line in imported(path, module):
            if target in MODULES and STAGES.index(stage(target)) > own:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module} -> {target}")
    assert not upward, "imports running up the stages:\n" + "\n".join(upward)


def test_there_is_no_import_loop() -> None:
    graph = import_graph()
    loops = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in MODULES:
                continue
            if state.get(target) == 1:
                loops.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not loops, "import loops:\n" + "\n".join(loops)


def test_the_rule_is_stated_where_newcomers_look() -> None:
    import estimator

    doc = estimator.__doc__ or ""
    for name in ("report/", "review/", "drivers/", "inference/", "spec/", "model/"):
        assert name in doc
    assert "test_architecture.py" in doc


def test_the_checks_would_catch_an_upward_import(tmp_path: Path) -> None:
    """The walker sees imports inside functions and under TYPE_CHECKING."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from estimator.report.display import compact\n"
        "def f():\n    from estimator.review import verdicts\n",
        encoding="utf-8",
    )
    found = {t for t, _ in imported(source, "estimator.model.probe")}
    assert found == {"estimator.report.display", "estimator.review.verdicts"}


def test_no_public_name_is_a_module_name() -> None:
    import estimator

    leaves = {m.rsplit(".", 1)[-1] for m in MODULES}
    assert not set(estimator.__all__) & leaves


def test_public_names_stay_callable_after_every_module_is_imported() -> None:
    """In a fresh interpreter: import every module first (as a long session would), then
    every public name must still be a function or a class, never a module."""
    code = (
        "import importlib, pkgutil, types, estimator as est\n"
        "for m in pkgutil.walk_packages(est.__path__, 'estimator.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in est.__all__ if isinstance(getattr(est, n), types.ModuleType)\n"
        "       or not callable(getattr(est, n))]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    ("first", "then"),
    [("assess", "sensitivity"), ("fit", "simulate"), ("assess", "history"), ("fit", "compare")],
)
def test_the_order_of_use_never_turns_a_function_into_a_module(first: str, then: str) -> None:
    """The shadowing bug: once ``est.<first>`` has imported its modules, ``est.<then>``
    must still be the function."""
    code = (
        "import types, estimator as est\n"
        f"getattr(est, {first!r})\n"
        f"value = getattr(est, {then!r})\n"
        "print(isinstance(value, types.FunctionType))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "True", out.stderr
