"""The methods a posterior can be drawn by, as the API and the command line name them.

``is``: the quick path (Pareto-smoothed importance reweighting of the prior's draws);
``nuts``: NUTS on the PyMC model; ``auto``: the quick path when its diagnostics allow,
NUTS otherwise.
"""

from __future__ import annotations

from typing import Literal, get_args

Method = Literal["auto", "nuts", "is"]
METHODS: tuple[str, ...] = get_args(Method)
