"""Which inputs a quantity is a function of, traced through the equations: the same inputs
PyTensor's graph of the same equations has among the quantity's ancestors."""

from __future__ import annotations

import pytest

from estimator.model.dependencies import Traced
from estimator.spec.lab import LabSpec


def _ancestors(spec: LabSpec) -> dict[str, set[str]]:
    """Each quantity's inputs, read off PyTensor's graph of the equations."""
    import pytensor.tensor as pt
    from pytensor.graph.traversal import ancestors

    inputs = {n: pt.scalar(n) for n in spec.model.input_names}
    values = spec.model.evaluate(inputs, xp=pt)
    names = {id(v): n for n, v in inputs.items()}
    out = {}
    for name, value in values.items():
        found = ancestors([value]) if isinstance(value, pt.TensorVariable) else []
        out[name] = {names[id(a)] for a in found if id(a) in names}
    return out


@pytest.mark.parametrize("lab", ["toy_spec", "deepseek"])
def test_the_traced_inputs_are_pytensors_ancestors(
    lab: str, request: pytest.FixtureRequest
) -> None:
    spec: LabSpec = request.getfixturevalue(lab)
    expected = _ancestors(spec)
    for name in spec.model.quantities:
        assert set(spec.model.inputs_of(name)) == expected[name], name


def test_an_input_is_a_function_of_itself_alone(toy_spec: LabSpec) -> None:
    for name in toy_spec.model.input_names:
        assert toy_spec.model.inputs_of(name) == (name,)


def test_a_traced_value_refuses_to_be_branched_on() -> None:
    with pytest.raises(TypeError):
        bool(Traced(frozenset({"a"})) > 1.0)
