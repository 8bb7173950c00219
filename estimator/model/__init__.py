"""The model: what a lab is made of, written once for numpy and PyTensor.

``quantities`` (named inputs and results, their kinds and scopes), ``parts`` (the lab's
structure: accelerator types and their tranches, runs, staff, data centres, accounting),
``periods`` (windows and calendar years), ``catalogue`` (one lab's named quantities),
``equations`` (the cost equations), ``schedule`` (purchase, service and depreciation in
closed form), ``books`` (the inputs accumulated through time), ``accumulate`` (sums over
tranches and their change over a period), ``flows`` (flows over a period in both scopes),
``distributions`` and ``elicit`` (beliefs, and "90% between a and b"), ``beliefs`` (a
prior with its source), ``claims`` (public statements and credibility classes),
``likelihood`` (how a claim bears on its quantity), ``copula`` (correlated inputs),
``questions`` (events on quantities). Nothing here reads a file or samples a posterior.
"""
