"""The model: what a lab is made of, written once for numpy and PyTensor.

``quantities`` (named inputs and results, the lab's structure), ``equations`` (the cost
equations), ``distributions`` and ``elicit`` (beliefs, and "90% between a and b"),
``beliefs`` (a prior with its source), ``claims`` (public statements and credibility
classes), ``likelihood`` (how a claim bears on its quantity), ``copula`` (correlated
inputs), ``questions`` (events on quantities). Nothing here reads a file or samples a
posterior.
"""
