"""Drivers: which inputs and which assumptions the estimate depends on.

``tornado`` (one input at a time), ``sobol`` (variance-based indices over the prior),
``delta`` (moment-independent index over the posterior), ``prior_sensitivity``
(power-scaling), ``scenarios`` (the headline under each scenario), ``common`` (what they
share), ``collect`` (all of them, for the report).
"""
