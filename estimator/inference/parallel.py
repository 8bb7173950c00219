"""Sweeps of independent fits (a lab under each of its scenarios, several seeds, several
labs) on an existing parallel engine: joblib, with its loky processes on one machine.

The number of jobs is ``jobs`` where a caller gives it, else ``ESTIMATOR_JOBS``, else what
a surrounding ``joblib.parallel_config`` says, else 1 (no processes, nothing pickled).
So the same sweep runs on a cluster by choosing joblib's backend around the call, e.g.
with Dask::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler:8786")         # or Client() for a local cluster
    with joblib.parallel_config(backend="dask"):
        review = est.assess(lab, seed=0)           # the scenario reruns go to the cluster

(Ray: ``from ray.util.joblib import register_ray; register_ray()`` and
``backend="ray"``.) Each item must be picklable, and each result too: a sweep's function
returns what the caller keeps (a summary), never a whole set of draws. The results come
back in the order of the items, and each is what the same call makes alone, so they do
not depend on the number of jobs or on the engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

#: Environment variable that sets the number of jobs of a sweep.
JOBS_VARIABLE = "ESTIMATOR_JOBS"


def default_jobs() -> int | None:
    """Jobs of a sweep as ``ESTIMATOR_JOBS`` sets them (a positive integer, or ``-1`` for
    one per CPU as joblib counts them); ``None`` when it is not set."""
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting == "-1":
        return -1
    return int(setting) if setting.isdigit() and int(setting) > 0 else None


def sweep[I, T](function: Callable[[I], T], items: Sequence[I], jobs: int | None = None) -> list[T]:
    """``[function(item) for item in items]`` through joblib, in the items' order.

    The jobs are ``jobs``, else ``ESTIMATOR_JOBS``, else whatever a surrounding
    ``joblib.parallel_config`` sets (backend and jobs); with none of these, or one item
    at most, the items run here, one after another, and nothing is pickled.
    ``function`` must be importable by name (a module-level function) for processes.
    """
    jobs = default_jobs() if jobs is None else jobs
    if len(items) <= 1 or jobs == 1:
        return [function(item) for item in items]
    from joblib import Parallel, delayed
    from joblib.parallel import get_active_backend

    if jobs is None:
        backend, configured = get_active_backend()
        if configured is None and type(backend).__name__ == "LokyBackend":
            return [function(item) for item in items]  # joblib not configured: stay here
        return list(Parallel()(delayed(function)(item) for item in items))
    return list(Parallel(n_jobs=jobs)(delayed(function)(item) for item in items))
