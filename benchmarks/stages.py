"""The DeepSeek assessment stage by stage, in one process: where the time of ``estimator
run`` and ``check`` goes once the modules are imported.

``uv run python -m benchmarks.stages [--cache FOLDER]``: with ``--cache`` the prior's draws
come from (or go to) that prior-draw cache, as on the command line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "priors" / "deepseek"


def timed[T](label: str, function: Callable[[], T]) -> T:
    start = time.perf_counter()
    found = function()
    print(f"{label:42s} {time.perf_counter() - start:7.2f} s")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=None, help="a prior-draw cache folder")
    args = parser.parse_args()
    start = time.perf_counter()
    from estimator.inference import estimation
    from estimator.inference.draw_cache import DrawCache
    from estimator.inference.estimation import quick_posterior
    from estimator.inference.forward import simulate, summarize_draws
    from estimator.review.answers import answer_questions
    from estimator.review.replay import history
    from estimator.review.robustness import robustness
    from estimator.review.source_verdicts import source_verdicts
    from estimator.review.verdicts import verdicts
    from estimator.spec.parse import load_lab

    print(f"{'imports':42s} {time.perf_counter() - start:7.2f} s")
    cache = None if args.cache is None else DrawCache(args.cache)
    draws = estimation.POSTERIOR_DRAWS
    spec = timed("load and validate the lab", lambda: load_lab(LAB))
    prior = timed("prior draws", lambda: simulate(spec, draws, 0, cache=cache))
    timed("prior summaries, every quantity", lambda: summarize_draws(spec, prior))
    quick = timed("quick path (likelihoods, PSIS)", lambda: quick_posterior(spec, prior, 0))
    fit, note = estimation.choose_posterior(quick, "auto")
    units = {n: spec.converter.canonical(q.unit) for n, q in spec.model.quantities.items()}
    post = timed("posterior summaries, every quantity", lambda: fit.summaries(units))
    timed("diagnostics, every quantity", lambda: estimation.diagnose(fit, post, note))
    timed("reliabilities", lambda: estimation.reliabilities(fit, spec.claims))
    result: Any = timed(
        "the estimate as a whole", lambda: estimation.estimate(spec, "auto", draws, 0, cache)
    )
    timed("verdicts on the claims", lambda: verdicts(result))
    timed("verdicts on the sources", lambda: source_verdicts(result))
    timed("robustness readings", lambda: robustness(result))
    timed("answers to the questions", lambda: answer_questions(result))
    timed("dated history", lambda: history(result, [spec.headline], True))
    print(f"({len(spec.model.quantities)} quantities, {len(spec.claims)} claims)")


if __name__ == "__main__":
    main()
