"""The interactive commands timed as whole processes, the way a reporter meets them: on a
copy of the DeepSeek lab in a scratch folder, cold (empty prior-draw cache and PyTensor
compile cache) and warm (each cache filled by the command before).

``uv run python -m benchmarks.commands`` runs this part alone; ``python -m benchmarks``
runs it with the rest.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "priors" / "deepseek"
#: A claim the ledger does not hold: what a reporter would add after reading a new figure.
NEW_CLAIM = (
    "--id", "benchmark_claim", "--source", "A benchmark", "--date", "2025-01",
    "--url", "https://example.com/benchmark", "--quantity", "spend.total",
    "--kind", "point", "--value", "2B", "--unit", "USD",
    "--credibility", "analyst_estimate", "--use", "evidence",
)  # fmt: skip


def timed(arguments: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall time of one process, in seconds (its exit code is not judged: a run whose
    diagnostics fail still took its time)."""
    start = time.perf_counter()
    subprocess.run(arguments, check=False, capture_output=True, cwd=cwd, env=env)
    return time.perf_counter() - start


def timed_answer(
    arguments: list[str], cwd: Path, env: dict[str, str], marker: str
) -> tuple[float, float]:
    """Wall time until the process prints a line holding ``marker`` (its answer: the
    files are written after it), and until it ends, in seconds."""
    start = time.perf_counter()
    answer = math.nan
    with subprocess.Popen(
        arguments, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for text in process.stdout:
            if marker in text and math.isnan(answer):
                answer = time.perf_counter() - start
    return answer, time.perf_counter() - start


def answer_line(label: str, seconds: float) -> None:
    """The time to the answer under its command's row (or that it never came)."""
    when = "never (no such line)" if math.isnan(seconds) else f"after {seconds:.2f} s"
    print(f"{'':50s} ({label} printed {when})")


def line(label: str, seconds: float, budget: float) -> None:
    """One row: the command, its time, and its ratio to the budget (>= 1 meets it)."""
    print(
        f"{label:50s} {seconds:>13.2f} s  ratio {budget / seconds:7.2f}x "
        f"{'of the ' + format(budget, 'g') + ' s budget':38s} target: <= {budget:g} s"
    )


def main() -> None:
    estimator = str(Path(sys.executable).with_name("estimator"))
    python = min(timed([sys.executable, "-c", "pass"], ROOT) for _ in range(3))
    help_time = min(timed([estimator, "--help"], ROOT) for _ in range(3))
    line("estimator --help", help_time, 0.3)
    print(f"{'':50s} (a bare Python start: {python:.3f} s)")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        lab = work / "priors" / "deepseek"
        shutil.copytree(LAB, lab)
        ledger = (lab / "claims.toml").read_bytes()
        compiled = work / "pytensor"
        env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiled}"}
        run = [estimator, "run", str(lab)]
        for state, budget in (("cold (empty caches)", 15.0), ("warm", 6.0)):
            answer, whole = timed_answer(run, work, env, "spend.total: median")
            line(f"run priors/deepseek, {state}", whole, budget)
            answer_line("its answer", answer)
        check = [estimator, "check", str(lab)]
        line("check, warm", min(timed(check, work, env) for _ in range(2)), 3.0)
        dry = [estimator, "claims", "add", str(lab), *NEW_CLAIM, "--dry-run"]
        line("claims add --dry-run, warm", min(timed(dry, work, env) for _ in range(2)), 2.0)
        add = [estimator, "claims", "add", str(lab), *NEW_CLAIM]
        line("claims add, warm", timed(add, work, env), 3.0)
        update = [estimator, "update", str(lab), "--skip-sensitivity"]
        answer, whole = timed_answer(update, work, env, "what moved")
        line("update --skip-sensitivity, warm", whole, 5.0)
        answer_line("what moved", answer)
        (lab / "claims.toml").write_bytes(ledger)


if __name__ == "__main__":
    main()
