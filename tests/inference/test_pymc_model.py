"""The PyMC model: inputs of one belief family share a vector variable and claims of one
kind a vectorised likelihood term, and neither changes the density: each family is the
product of its members' priors, the claims' term is the sum of
:func:`estimator.model.likelihood.claim_loglik`, and the quantities computed from the free
variables with numpy are the model's own ``Deterministic`` variables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from estimator.inference.pymc_model import (
    ACTIVE,
    BOUNDS,
    FAMILY_PREFIX,
    build_model,
    claim_bounds,
    layout,
    quantity_draws,
)
from estimator.model import likelihood
from estimator.model.claims import WRONG_CLAIM_SIGMA
from estimator.model.evidence import Evidence
from estimator.model.likelihood import NUMPY_OPS, component, position
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import TOY_LAB, claims_toml, write_lab


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    """The toy lab (lognormal, beta, gamma, uniform, triangular and truncated normal
    beliefs), with a mixture NUTS can sample, and claims of every kind."""
    files = dict(TOY_LAB)
    files["costs.toml"] = TOY_LAB["costs.toml"].replace(
        "{ weight = 0.5, value = 200 }", "{ weight = 0.5, between = [150, 250] }"
    )
    files["claims.toml"] = claims_toml(
        {"id": "p", "quantity": "gpu_spend", "value": 1.2e8, "noise": 0.3, "reliability": 0.8},
        {"id": "c", "quantity": "fleet.gpu_a.count", "value": 2500, "unit": "GPU", "noise": 0.2},
        {
            "id": "lo",
            "quantity": "capex.hardware",
            "kind": "lower_bound",
            "value": 1e8,
            "noise": 0.2,
            "reliability": 1.0,
        },
        {
            "id": "hi",
            "quantity": "opex.per_year",
            "kind": "upper_bound",
            "value": 5e7,
            "unit": "USD/year",
            "noise": 0.3,
            "reliability": 0.7,
        },
        {
            "id": "r",
            "quantity": "runs.big.rental_cost",
            "kind": "range",
            "low": 2e6,
            "high": 8e6,
            "noise": 0.25,
            "reliability": 0.9,
        },
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "mixed", files))


@pytest.fixture(params=["mixed", "deepseek"])
def lab(request: pytest.FixtureRequest, mixed: LabSpec, deepseek: LabSpec) -> LabSpec:
    return mixed if request.param == "mixed" else deepseek


def test_the_layout_places_every_uncertain_input_once(lab: LabSpec) -> None:
    where = layout(lab)
    placed = [n for names in where.families.values() for n in names]
    placed += [*where.correlated, *where.scalars, *where.fixed]
    assert sorted(placed) == sorted(lab.model.input_names)
    assert len(where.families) < len(placed) - len(where.fixed)
    assert all(name.startswith(FAMILY_PREFIX) for name in where.families)


@pytest.mark.slow
def test_a_family_vector_is_the_product_of_its_members_priors(lab: LabSpec) -> None:
    import pymc as pm

    model = build_model(lab, lab.evidence)
    for family, names in layout(lab).families.items():
        values = np.asarray(pm.draw(model[family], random_seed=1))
        density = float(pm.logp(model[family], values).sum().eval())
        expected = sum(
            float(lab.priors[n].belief.frozen().logpdf(v))  # type: ignore[attr-defined]
            for n, v in zip(names, values, strict=True)
        )
        assert density == pytest.approx(expected, rel=1e-10), family


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Numba will use object mode:UserWarning")
def test_claims_term_and_quantities_match_the_reference_code(lab: LabSpec) -> None:
    """The vectorised claims term equals the numpy likelihood of the claims read by
    source (:mod:`estimator.model.evidence`), with claims switched off as data (and, for
    claims that are each a source of their own, moved as data); the numpy quantities
    equal the Deterministics."""
    import pymc as pm

    claims = lab.evidence
    evidence = Evidence.of(claims, lab.sources)
    model = build_model(lab, claims)
    rng = np.random.default_rng(2)
    active = (rng.random(len(claims)) < 0.7).astype(float)
    alone = all(s.implicit for s in evidence.sources)
    bounds = claim_bounds(claims)
    if alone:
        bounds = bounds + rng.normal(0.0, 0.3, (len(claims), 2))
    with model:
        pm.set_data({ACTIVE: active, BOUNDS: bounds})
    free = layout(lab).free
    names = list(lab.model.quantities)
    latents = list(evidence.latents())
    drawn = pm.draw(
        [
            model["claims"],
            *(model[n] for n in free),
            *(model[n] for n in names),
            *(model[n] for n in latents),
        ],
        draws=40,
        random_seed=3,
    )
    term, free_draws = drawn[0], drawn[1 : 1 + len(free)]
    quantity = drawn[1 + len(free) : 1 + len(free) + len(names)]
    measured = dict(zip(latents, drawn[1 + len(free) + len(names) :], strict=True))
    computed = quantity_draws(lab, dict(zip(free, free_draws, strict=True)))
    for name, value in zip(names, quantity, strict=True):
        np.testing.assert_allclose(computed[name], value, rtol=1e-9, err_msg=name)
    if alone:
        values = {**computed, **measured}
        expected: Any = 0.0
        for i, (a, c, b) in enumerate(zip(active, claims, bounds, strict=True)):
            at, sigma = evidence.reading(i, i, values, NUMPY_OPS)
            plain = position(c, computed[c.quantity], NUMPY_OPS)
            reliable = component(c.kind, at, (b[0], b[1]), sigma, NUMPY_OPS)
            wrong = component(c.kind, plain, (b[0], b[1]), WRONG_CLAIM_SIGMA, NUMPY_OPS)
            r = evidence.reliability(i, values)
            certain = np.all(np.asarray(r) >= 1)
            term_i = reliable if certain else likelihood.mixed(reliable, wrong, r, NUMPY_OPS)
            expected = expected + a * term_i
    else:
        expected = evidence.loglik({**computed, **measured}, active.astype(bool))
    np.testing.assert_allclose(term, expected, rtol=1e-9, atol=1e-9)


def test_quantity_draws_keep_the_sample_shape(mixed: LabSpec) -> None:
    where = layout(mixed)
    shape = (2, 3)
    free = {
        name: np.full((*shape, len(where.families[name])), 0.5)
        if name in where.families
        else np.full(shape, 1.5)
        for name in where.free
    }
    values = quantity_draws(mixed, free)
    assert set(values) == set(mixed.model.quantities)
    assert all(v.shape == shape for v in values.values())
    assert np.all(values["staff.overhead"] == 1.3)
