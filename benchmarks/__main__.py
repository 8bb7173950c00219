"""``uv run python -m benchmarks [--quick]``: speed figures of the DeepSeek lab, each with
its ratio to a reference measured in the same run. Not a test: nothing fails on a slow
machine; the numbers are for reading."""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "priors" / "deepseek"


def best_of(repeats: int, function: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` timed calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def line(label: str, seconds: float, reference: float | None = None, note: str = "") -> None:
    ratio = f"  ratio {reference / seconds:6.2f} of reference" if reference else ""
    print(f"{label:58s} {seconds:9.3f} s{ratio}  {note}")


def raw_limit(draws: int, inputs: int, seed: int = 0) -> float:
    """Numpy's generator drawing ``inputs`` standard normals per draw and exponentiating
    them, chunk by chunk: the bare cost of the random numbers a model of this size needs."""
    rng = np.random.default_rng(seed)

    def work() -> None:
        for _ in range(draws // 2**16):
            np.exp(rng.standard_normal((inputs, 2**16)))

    return best_of(3, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer draws, no NUTS")
    args = parser.parse_args()
    draws = 2**18 if args.quick else 2**20
    print(
        f"machine: {platform.machine()}, {platform.python_version()}, "
        f"{platform.processor() or 'cpu'}; draws {draws:,}"
    )

    from estimator.posterior import estimate
    from estimator.simulate import iter_chunks
    from estimator.sobol import sobol_indices
    from estimator.spec import load_lab

    spec = load_lab(LAB)
    inputs = len(spec.stochastic_inputs)
    limit = raw_limit(draws, inputs)
    line(
        f"raw limit: {inputs} normals + exp per draw",
        limit,
        None,
        f"{draws / limit / 1e6:.2f} M draws/s",
    )
    mc = best_of(3, lambda: sum(1 for _ in iter_chunks(spec, draws, 0)))
    line(
        "forward Monte Carlo of the lab (all quantities)",
        mc,
        limit,
        f"{draws / mc / 1e6:.2f} M draws/s; target: ratio >= 0.50",
    )

    quick = best_of(2, lambda: estimate(spec, "is", draws=draws, seed=0))
    line(
        "quick path: prior draws + likelihoods + PSIS + summaries",
        quick,
        None,
        "target < 0.5 s at 1e6 draws",
    )
    sobol = best_of(1, lambda: sobol_indices(spec, base_samples=2**14, seed=0))
    line("Sobol indices, 2^14 base samples", sobol, None, "target < 3 s")

    def cli(*arguments: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "estimator.cli_entry", *arguments],
            check=False,
            capture_output=True,
            cwd=ROOT,
        )
        return time.perf_counter() - start

    python = best_of(3, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    help_time = min(cli("--help") for _ in range(3))
    line("estimator --help", help_time, python, "reference: a bare Python start; target < 0.5 s")
    if not args.quick:
        run_time = cli("run", str(LAB), "--out", "/tmp/estimator-benchmark")
        line("estimator run priors/deepseek (end to end)", run_time, None, "target < 30 s")
        cold = best_of(1, lambda: estimate(spec, "nuts", seed=0))
        warm = best_of(1, lambda: estimate(spec, "nuts", seed=1))
        line("NUTS, first fit in this process (compiles)", cold, None, "target < 15 s")
        line("NUTS, compiled model reused", warm, cold, "target < 5 s")


if __name__ == "__main__":
    main()
