"""Drivers: which inputs and which assumptions the estimate depends on.

``tornado`` (one input at a time), ``sobol`` (variance-based indices over the prior),
``delta`` (moment-independent index over the posterior), ``power_scaling`` (the
power-scaled weights of the posterior's draws), ``prior_sensitivity`` (the sensitivities
on them), ``scenarios`` (the headline under each scenario), ``common`` (what they
share), ``collect`` (all of them, for the report).
"""
