"""Review: what the posterior says about the claims and the questions, over time.

``verdicts`` (each claim left out and judged), ``answers`` (the lab's questions),
``replay`` (the ledger replayed by date), ``update`` (what moved since the last run),
``assessment`` (all of it, as ``estimator run`` computes it).
"""
