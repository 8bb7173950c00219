"""estimator: an auditable Bayesian / Monte Carlo estimator of an AI lab's spend."""

__version__ = "0.1.0"
