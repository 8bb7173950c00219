"""``uv run python -m benchmarks [--quick]``: speed and memory figures of the DeepSeek lab,
each printed with its ratio to a reference measured in the same run on the same machine,
and the target it is held to. Not a test: nothing fails on a slow machine."""

from __future__ import annotations

import argparse
import json
import os
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
GIB = 2**30


def best_of(repeats: int, function: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` timed calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def report(label: str, figure: str, ratio: float | None, reference: str, target: str) -> None:
    """One line: what was measured, the figure, its ratio to the reference, the target."""
    shown = f"{ratio:7.2f}x" if ratio is not None else "        "
    print(f"{label:50s} {figure:>16s}  ratio {shown} {reference:38s} target: {target}")


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for row in cpuinfo.read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    from estimator.inference.threads import default_workers

    return (
        f"{model}; {os.cpu_count()} CPUs, {default_workers()} chunk threads; "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def raw_limit(draws: int, inputs: int, workers: int, repeats: int = 3) -> float:
    """Seconds numpy's generator takes to draw ``inputs`` float64 standard normals per
    draw and exponentiate them in place, chunk by chunk on ``workers`` threads through the
    same helper as the Monte Carlo: the bare cost of the random numbers a model of this
    size needs, with our threading."""
    from estimator.inference.chunks import CHUNK_SIZE, chunk_generator, chunk_sizes
    from estimator.inference.threads import thread_map

    def chunk(item: tuple[int, int]) -> None:
        z = chunk_generator(0, item[0]).standard_normal((inputs, item[1]))
        np.exp(z, out=z)

    items = list(enumerate(chunk_sizes(draws, CHUNK_SIZE)))
    return best_of(repeats, lambda: thread_map(chunk, items, workers))


def in_child(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh Python (it prints one JSON object) and return that object."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def forward(spec: Any, draws: int, workers: int | None = None, repeats: int = 3) -> float:
    from estimator.inference.chunks import map_chunks

    return best_of(
        repeats, lambda: sum(1 for _ in map_chunks(spec, draws, 0, len, workers=workers))
    )


#: Rounds of the paired measurement of the forward Monte Carlo against the raw limit.
ROUNDS = 7


def monte_carlo(spec: Any, draws: int, rounds: int = ROUNDS) -> None:
    """Our forward Monte Carlo against the raw limit, in paired rounds (the raw limit,
    then ours, one after the other), so that a shared machine's changing load moves both
    alike; the median ratio is the figure, the range is printed beside it."""
    from estimator.inference.threads import default_workers

    inputs = len(spec.stochastic_inputs)
    forward(spec, draws // 8, 1, repeats=1)  # warm up: tables, caches, the heap
    for workers in sorted({1, default_workers()}):
        pairs = [
            (raw_limit(draws, inputs, workers, 1), forward(spec, draws, workers, 1))
            for _ in range(rounds)
        ]
        ratios = sorted(limit / ours for limit, ours in pairs)
        ours = float(np.median([o for _, o in pairs]))
        limit = float(np.median([lim for lim, _ in pairs]))
        report(
            f"forward Monte Carlo, {workers} thread(s)",
            f"{draws / ours / 1e6:.2f} M draws/s",
            float(np.median(ratios)),
            f"of raw limit ({inputs} normals+exp: {draws / limit / 1e6:.2f} M/s);"
            f" {rounds} paired rounds {ratios[0]:.2f}-{ratios[-1]:.2f}",
            ">= 0.70",
        )


def squigglepy_comparison(spec: Any, draws: int) -> None:
    from benchmarks.squiggle import squigglepy_quantities
    from estimator.inference.forward import forward_summaries
    from estimator.inference.summaries import summarize

    ours = forward(spec, draws)
    for method in ("cholesky", "iman-conover"):
        theirs = best_of(1, lambda m=method: squigglepy_quantities(spec, draws, 1, m))  # type: ignore[misc]
        report(
            f"squigglepy, vectorised ({method})",
            f"{theirs:.2f} s",
            theirs / ours,
            f"our Monte Carlo's speed-up ({ours:.2f} s)",
            ">= 2x",
        )
    mine = forward_summaries(spec, draws, 0)
    values = squigglepy_quantities(spec, draws, 1, "cholesky")
    worst = 0.0
    for name, sample in values.items():
        other = summarize(name, "", sample, len(sample))
        for p, value in mine[name].quantiles.items():
            se = np.hypot(mine[name].quantile_mcse[p], other.quantile_mcse[p])
            worst = max(worst, abs(value - other.quantiles[p]) / se)
    report(
        "squigglepy vs ours: quantiles agree",
        f"{worst:.2f} SE max",
        None,
        f"{len(values)} quantities x 5 quantiles",
        "< 4 combined MC errors",
    )


def quick_path(spec: Any, draws: int) -> None:
    from estimator.inference.estimation import estimate
    from estimator.inference.importance import quick_update

    quick_update(spec, 2**16)
    seconds = best_of(3, lambda: quick_update(spec, draws))
    fit = quick_update(spec, draws)
    report(
        f"quick update, {draws:,} draws",
        f"{seconds:.3f} s",
        0.5 / seconds,
        f"of the 0.5 s budget (k-hat {fit.khat:.2f}, ESS {fit.ess:,.0f})",
        "< 0.5 s (ratio >= 1)",
    )
    from estimator.inference.importance import prior_log_ratios, reweight

    draws_only = forward(spec, draws)
    ratios = best_of(3, lambda: prior_log_ratios(spec, draws, 0))
    log_ratios = prior_log_ratios(spec, draws, 0)
    smoothing = best_of(3, lambda: reweight(log_ratios))
    print(
        f"{'':50s} of which: forward draws {draws_only:.3f} s, likelihoods "
        f"{ratios - draws_only:.3f} s, Pareto smoothing {smoothing:.3f} s"
    )
    after = max(ratios - draws_only, 0.0) + smoothing
    report(
        f"quick update after the draws, {draws:,} draws",
        f"{after:.3f} s",
        0.3 / after,
        "of the 0.3 s budget (likelihoods and smoothing)",
        "< 0.3 s (ratio >= 1)",
    )
    full = best_of(2, lambda: estimate(spec, "is", seed=0))
    report(
        "quick path + 64 summaries (2^19 draws, default)",
        f"{full:.3f} s",
        full / seconds,
        "of the quick update above",
        "(for reading)",
    )


def sobol(spec: Any) -> None:
    from estimator.drivers.sobol import sobol_indices

    sobol_indices(spec, base_samples=2**8)
    seconds = best_of(2, lambda: sobol_indices(spec, base_samples=2**14, seed=0))
    report(
        "Sobol' indices, 2^14 base samples",
        f"{seconds:.2f} s",
        3.0 / seconds,
        "of the 3 s budget",
        "< 3 s (ratio >= 1)",
    )


NUTS_CHILD = """
import json, time
from estimator.spec.parse import load_lab
from estimator.inference.estimation import estimate
spec = load_lab({lab!r})
out = {{}}
for label, seed in (("cold", 0), ("warm", 1)):
    start = time.perf_counter()
    fit = estimate(spec, "nuts", seed=seed)
    seconds = time.perf_counter() - start
    details = fit.diagnostics.details
    out[label] = dict(seconds=seconds, ess=fit.posterior["spend.total"].ess,
                      passed=fit.diagnostics.passed, rhat=details.get("max_rhat"))
print(json.dumps(out))
"""


def nuts() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as empty:
        fresh = in_child(
            NUTS_CHILD.format(lab=str(LAB)), {"PYTENSOR_FLAGS": f"base_compiledir={empty}"}
        )
    found = in_child(NUTS_CHILD.format(lab=str(LAB)))
    rows = (
        ("cold", "fresh process, empty compile cache", fresh["cold"], 15.0),
        ("cold", "fresh process, compiles", found["cold"], 15.0),
        ("warm", "compiled model reused", found["warm"], 3.0),
    )
    for label, how, row, budget in rows:
        ess, seconds = row["ess"], row["seconds"]
        report(
            f"NUTS {label} ({how})",
            f"{seconds:.2f} s",
            budget / seconds,
            f"of {budget:.0f} s; ESS {ess:,.0f} ({ess / seconds:,.0f}/s), R-hat {row['rhat']:.3f}",
            f"< {budget:.0f} s, ESS >= 1000, R-hat <= 1.01",
        )


def command_line() -> None:
    from benchmarks import commands

    commands.main()


# The peak is read from /proc's VmHWM, which starts afresh in a new program; getrusage's
# ru_maxrss would carry over the parent's peak across fork and exec.
MEMORY_CHILD = """
import json, re, time
from pathlib import Path
def peak():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024
from estimator.spec.parse import load_lab
from estimator.inference.forward import forward_summaries
spec = load_lab({lab!r})
forward_summaries(spec, 2**16, 0)
before = peak()
start = time.perf_counter()
total = forward_summaries(spec, {draws}, 0)["spend.total"]
seconds = time.perf_counter() - start
print(json.dumps(dict(before=before, peak=peak(), seconds=seconds,
                      relative_mcse=total.relative_mcse(0.95))))
"""


def memory(draws: int) -> None:
    found = in_child(MEMORY_CHILD.format(lab=str(LAB), draws=draws))
    report(
        f"peak memory, {draws:.0e}-draw Monte Carlo",
        f"{found['peak'] / 2**20:,.0f} MiB",
        GIB / found["peak"],
        f"of 1 GiB ({found['before'] / 2**20:,.0f} MiB before; took {found['seconds']:.0f} s)",
        "< 1 GiB (ratio >= 1)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer draws; no NUTS, CLI or 1e8 run")
    args = parser.parse_args()
    draws = 2**18 if args.quick else 2**20
    print(f"machine: {machine()}")
    from estimator.spec.parse import load_lab

    spec = load_lab(LAB)
    monte_carlo(spec, draws)
    squigglepy_comparison(spec, draws)
    quick_path(spec, 10**6)
    sobol(spec)
    if args.quick:
        memory(10**7)
        return
    nuts()
    command_line()
    memory(10**8)


if __name__ == "__main__":
    main()
