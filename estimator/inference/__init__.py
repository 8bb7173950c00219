"""Inference: from a ``LabSpec`` to draws of the prior and the posterior.

``chunks`` and ``forward`` (seeded, chunked forward Monte Carlo), ``draw_cache`` (the
prior's draws and the quantities evaluated from them, kept on disk), ``streaming`` (exact
summaries of any number of draws), ``summaries`` (quantiles and their MC errors), ``lazy``
(summaries and readings computed when first read), ``threads`` (work on threads, BLAS kept
to one), ``parallel`` (sweeps of independent fits through joblib), ``psis`` (Pareto
smoothing of importance ratios), ``importance`` (Pareto-smoothed reweighting),
``pymc_model`` and ``nuts`` (the PyMC model, compiled once, sampled), ``posterior`` (one
interface to a posterior, whichever method drew it), ``nuts_posterior`` (that interface
over NUTS draws), ``gate`` (the limits a sample must meet to be published), ``estimation``
(the choice of method and the ``Estimate``), ``datatree`` (the estimate as an
``xarray.DataTree``), ``memory`` (keeping freed memory for the next chunk).
"""
