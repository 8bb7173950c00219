"""The posterior as an ``xarray.DataTree`` (what ``posterior.nc`` holds): prior, posterior
and log-likelihood groups of every named quantity, with the provenance stamp as
attributes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from estimator.inference.forward import Draws
from estimator.inference.posterior import Posterior
from estimator.model.likelihood import claim_loglik

#: Draws of the prior and (at most, for a weighted posterior) of the posterior stored.
STORED_DRAWS = 4000


def posterior_tree(
    fit: Posterior, prior_draws: Draws, provenance: dict[str, Any], diagnostics: dict[str, Any]
) -> Any:
    """The DataTree of a posterior and the prior draws it came with: NUTS chains as they
    are; a weighted posterior resampled to an equally weighted sample of one chain (see
    :meth:`~estimator.inference.posterior.Posterior.sample_values`)."""
    from arviz_base import from_dict

    spec = fit.spec
    names = list(spec.model.quantities)
    count = min(STORED_DRAWS, prior_draws.draws)
    prior = {n: prior_draws[n][:count][None, :] for n in names}
    posterior = fit.sample_values(names, count, fit.seed)
    log_likelihood = {
        claim.id: np.asarray(claim_loglik(claim, posterior[claim.quantity]))
        for claim in spec.evidence
    }
    groups: dict[str, Any] = {"posterior": posterior, "prior": prior}
    if log_likelihood:
        groups["log_likelihood"] = log_likelihood
    tree = from_dict(groups)
    stats = fit.sampler_stats()
    if stats is not None:
        tree["sample_stats"] = stats
    tree.attrs["provenance"] = json.dumps(provenance, sort_keys=True)
    tree.attrs["diagnostics"] = json.dumps(diagnostics, sort_keys=True)
    tree.attrs["lab"] = spec.name
    return tree
