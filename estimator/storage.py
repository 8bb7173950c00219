"""The posterior as an ``xarray.DataTree`` (``posterior.nc``): prior, posterior and
log-likelihood groups of every named quantity, with the provenance stamp as attributes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from estimator.atomic import atomic_write_bytes
from estimator.importance import resample_indices
from estimator.likelihood import claim_loglik
from estimator.posterior import STORED_DRAWS, Estimate


def posterior_tree(result: Estimate) -> Any:
    """Build the DataTree of an estimate (NUTS chains as they are; the quick path's
    weighted draws resampled to a plain sample of one chain)."""
    from arviz_base import from_dict

    spec = result.spec
    names = list(spec.model.quantities)
    draws = result.prior_draws
    if draws is None:
        raise ValueError("the estimate holds no prior draws")
    count = min(STORED_DRAWS, draws.draws)
    prior = {n: draws[n][:count][None, :] for n in names}
    if result.trace is not None:
        posterior = {n: np.asarray(result.trace.posterior[n].values) for n in names}
    else:
        if result.weights is not None:
            index = resample_indices(result.weights, count, result.seed)
        else:
            index = np.arange(count)
        posterior = {n: draws[n][index][None, :] for n in names}
    log_likelihood = {
        claim.id: np.asarray(claim_loglik(claim, posterior[claim.quantity]))
        for claim in spec.evidence
    }
    groups: dict[str, Any] = {"posterior": posterior, "prior": prior}
    if log_likelihood:
        groups["log_likelihood"] = log_likelihood
    tree = from_dict(groups)
    if result.trace is not None and "sample_stats" in result.trace.children:
        tree["sample_stats"] = result.trace["sample_stats"].copy()
    tree.attrs["provenance"] = json.dumps(result.provenance(), sort_keys=True)
    tree.attrs["diagnostics"] = json.dumps(result.diagnostics.to_dict(), sort_keys=True)
    tree.attrs["lab"] = spec.name
    return tree


def write_posterior(result: Estimate, path: str | Path) -> Path:
    """Write ``posterior.nc`` atomically."""
    data = posterior_tree(result).to_netcdf(engine="h5netcdf")
    return atomic_write_bytes(path, bytes(data))
