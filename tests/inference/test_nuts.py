"""The NUTS path: the trace holds every named quantity (computed from the draws of the
free variables), and the batched diagnostics and Monte Carlo standard errors are
ArviZ's own."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest

from estimator.inference.nuts import NutsFit, NutsSettings, sample, summarize_fit
from estimator.inference.pymc_model import FAMILY_PREFIX
from estimator.inference.summaries import PROBS
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

from ..conftest import REDUCED_LAB, claims_toml, write_lab


def _value(result: Any, name: str) -> float:
    """One variable's value in an ArviZ result (a DataTree rooted at the posterior)."""
    node = result["posterior"] if "posterior" in getattr(result, "children", {}) else result
    return float(np.asarray(node[name].values))


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    files = dict(REDUCED_LAB)
    files["claims.toml"] = claims_toml(
        {"id": "chips", "quantity": "gpu_spend", "value": 1.2e8, "noise": 0.2},
        {"id": "n", "quantity": "fleet.x.count", "value": 4000, "unit": "GPU", "noise": 0.3},
    )
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "nuts", files))


@pytest.fixture(scope="module")
def fit(reduced: LabSpec) -> NutsFit:
    return sample(reduced, reduced.evidence, seed=4, settings=NutsSettings(2, 300, 300))


@pytest.mark.slow
def test_the_trace_holds_every_quantity(reduced: LabSpec, fit: NutsFit) -> None:
    posterior = fit.trace.posterior
    assert set(reduced.model.quantities) <= set(posterior.data_vars)
    assert not any(name.startswith(FAMILY_PREFIX) for name in posterior.data_vars)
    for name in reduced.model.quantities:
        assert posterior[name].dims == ("chain", "draw"), name
    spend = fit.values("fleet.x.count") * fit.values("fleet.x.unit_price")
    np.testing.assert_allclose(fit.values("fleet.x.gpu_spend"), spend, rtol=1e-12)
    assert np.all(fit.values("server.overhead") == 1.5)
    assert set(fit.rhat) == {"fleet.x.count", "fleet.x.unit_price"} | {
        n for n in reduced.model.derived_names if np.ptp(fit.values(n)) > 0
    }


@pytest.mark.slow
def test_batched_mcse_is_arviz_per_quantity(fit: NutsFit) -> None:
    import arviz_stats as azs

    for name in ("gpu_spend", "fleet.x.count"):
        summary = summarize_fit(fit, name, "USD")
        for p in PROBS:
            one = azs.mcse(fit.trace, var_names=[name], method="quantile", prob=p)
            assert summary.quantile_mcse[p] == _value(one, name)
        mean = azs.mcse(fit.trace, var_names=[name])
        assert summary.mean_mcse == _value(mean, name)
    constant = summarize_fit(fit, "server.overhead", "ratio")
    assert constant.mean_mcse == 0.0
    assert set(constant.quantile_mcse.values()) == {0.0}


@pytest.mark.slow
def test_diagnostics_are_arvizs_defaults(fit: NutsFit) -> None:
    import arviz_stats as azs

    names = list(fit.rhat)
    rhat = azs.rhat(fit.trace, var_names=names)
    bulk = azs.ess(fit.trace, var_names=names, method="bulk")
    tail = azs.ess(fit.trace, var_names=names, method="tail")
    for name in names:
        assert fit.rhat[name] == _value(rhat, name)
        assert fit.ess_bulk[name] == _value(bulk, name)
        assert fit.ess_tail[name] == _value(tail, name)


class _Sampler:
    """nutpie's ``sample`` stood in for: records each call's target acceptance and
    returns a trace whose only content is that rate; ``diverging`` says how many
    divergent transitions each rate gives."""

    def __init__(self, diverging: dict[float, int]) -> None:
        self.diverging = diverging
        self.rates: list[float] = []

    def __call__(self, compiled: Any, **options: Any) -> Any:
        self.rates.append(options["target_accept"])
        return options["target_accept"]


@pytest.mark.parametrize(
    ("diverging", "rates", "replaced"),
    [
        ({0.8: 0, 0.95: 0}, [0.8], 0),
        ({0.8: 3, 0.95: 0}, [0.8, 0.95], 3),
        ({0.8: 2, 0.95: 1}, [0.8, 0.95], 2),  # drawn again once only, and judged as it is
    ],
)
def test_divergences_are_answered_by_one_sample_with_a_smaller_step(
    monkeypatch: pytest.MonkeyPatch,
    diverging: dict[float, int],
    rates: list[float],
    replaced: int,
) -> None:
    import nutpie

    from estimator.inference import nuts

    sampler = _Sampler(diverging)
    monkeypatch.setattr(nutpie, "sample", sampler)
    monkeypatch.setattr(nuts, "compiled_model", lambda spec, claims: object())
    monkeypatch.setattr(nuts, "_with_quantities", lambda spec, trace: trace)
    monkeypatch.setattr(
        nuts,
        "from_trace",
        lambda spec, trace, settings: NutsFit(trace, settings, diverging[trace], {}, {}, {}),
    )
    fit = sample(cast("LabSpec", None), (), seed=1)
    assert sampler.rates == rates
    assert fit.settings.target_accept == rates[-1]
    assert fit.settings.replaced_divergences == replaced
    assert fit.divergences == diverging[rates[-1]]
    assert fit.settings.to_dict()["replaced_divergences"] == replaced
