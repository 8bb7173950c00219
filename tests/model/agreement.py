"""One check the model tests share: numpy and PyTensor give the same quantities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from estimator.model.equations import LabModel


def assert_backends_agree(
    model: LabModel, draws: Mapping[str, np.ndarray], names: Sequence[str]
) -> None:
    """Evaluate ``names`` on ``draws`` with numpy and through a compiled PyTensor graph,
    and require the same values to 1e-10."""
    import pytensor
    import pytensor.tensor as pt

    symbols = {name: pt.vector(name.replace(".", "_")) for name in model.input_names}
    graph = model.evaluate(symbols, xp=pt)
    function = pytensor.function(
        list(symbols.values()), [graph[n] for n in names], on_unused_input="ignore"
    )
    compiled = function(*(draws[n] for n in model.input_names))
    expected = model.evaluate(draws)
    size = len(next(iter(draws.values())))
    for name, value in zip(names, compiled, strict=True):
        np.testing.assert_allclose(
            value, np.broadcast_to(expected[name], (size,)), rtol=1e-10, err_msg=name
        )
