"""An independent implementation of the DeepSeek lab model in squigglepy's vectorised style.

The benchmark uses it twice: as the speed reference the estimator must beat, and as a
correctness check, since its quantiles must agree with the estimator's own Monte Carlo
within Monte Carlo error. Only the distribution *parameters* come from the loaded lab;
the draws are squigglepy's (seeded with ``sq.set_seed``) and the cost equations are
written out again here, on numpy arrays, without
:meth:`estimator.model.equations.LabModel.evaluate`.

Correlations
------------
``sq.correlate`` (Iman-Conover) is documented as taking Spearman rank correlations, but
it enforces the given matrix as the *Pearson* correlation of the van der Waerden normal
scores ``Phi^-1(rank / (n + 1))``: that is the normal correlation of a Gaussian copula,
not its rank correlation. Given the lab's rank correlations directly it under-correlates
(rank 0.6 comes out as 0.582 at 2^20 draws). Given the copula's normal matrix
``2 sin(pi rho / 6)`` instead, it reproduces the Gaussian copula the estimator uses
(rank 0.600, and the normal scores' joint law is that copula's), so that is what it is
given. Its rank-and-sort machinery is slow (about 6 s of sorting for six inputs at 2^20
draws), so ``method="cholesky"`` offers the same copula drawn directly: squigglepy
standard normals times the Cholesky factor, mapped through each input's marginal.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import squigglepy as sq

from estimator.model.distributions import Beta, Fixed, LogNormal
from estimator.spec.lab import LabSpec

#: The structure this implementation is written for.
TYPES = ("h800", "h100", "h20", "a100")
HOPPER = ("h800", "h100", "h20")
RUNS = ("v3", "v2")
Method = Literal["iman-conover", "cholesky"]


def squiggle_distribution(belief: Any) -> Any:
    """The squigglepy distribution of a belief, or the plain float of a fixed one.

    Raises
    ------
    TypeError
        For a kind of belief the DeepSeek lab does not use.
    """
    if isinstance(belief, LogNormal):
        return sq.lognorm(norm_mean=belief.mu, norm_sd=belief.sigma)
    if isinstance(belief, Beta):
        return sq.beta(belief.alpha, belief.beta)
    if isinstance(belief, Fixed):
        return float(belief.value)
    raise TypeError(f"no squigglepy counterpart written for {type(belief).__name__}")


def normal_correlation(rank: np.ndarray) -> np.ndarray:
    """The Gaussian copula's normal correlation for a rank (Spearman) correlation matrix."""
    normal = 2.0 * np.sin(np.pi * np.asarray(rank, dtype=float) / 6.0)
    np.fill_diagonal(normal, 1.0)
    return normal


def draw_inputs(
    spec: LabSpec, draws: int, seed: int, method: Method = "iman-conover"
) -> dict[str, Any]:
    """Every input of the lab drawn with squigglepy (fixed inputs stay floats).

    Parameters
    ----------
    spec : LabSpec
        The lab; only its priors' parameters and its correlations are read.
    draws : int
        Draws per input.
    seed : int
        Seed of squigglepy's own generator.
    method : {"iman-conover", "cholesky"}
        How the correlated inputs are made: ``sq.correlate`` given the copula's normal
        matrix, or correlated squigglepy normals mapped through the (log-normal) marginals.
    """
    sq.set_seed(seed)
    dists = {
        name: squiggle_distribution(spec.priors[name].belief) for name in spec.model.input_names
    }
    out: dict[str, Any] = {}
    correlation = spec.correlation
    if correlation is not None:
        names = correlation.names
        normal = normal_correlation(correlation.rank)
        if method == "iman-conover":
            group = sq.correlate(tuple(dists[n] for n in names), normal, tolerance=None)
            dists.update(zip(names, group, strict=True))
        else:
            w = np.column_stack(
                [sq.sample(sq.norm(mean=0, sd=1), draws, verbose=False) for _ in names]
            )
            z = w @ np.linalg.cholesky(normal).T
            for column, name in enumerate(names):
                belief = spec.priors[name].belief
                if not isinstance(belief, LogNormal):
                    raise TypeError(f"method='cholesky' needs log-normal inputs; {name} is not")
                out[name] = np.exp(belief.mu + belief.sigma * z[:, column])
    for name, dist in dists.items():
        if name not in out:
            out[name] = dist if isinstance(dist, float) else sq.sample(dist, draws, verbose=False)
    return out


def squigglepy_quantities(
    spec: LabSpec, draws: int, seed: int, method: Method = "iman-conover"
) -> dict[str, np.ndarray]:
    """The DeepSeek model's main results, drawn and computed in squigglepy's style.

    Parameters
    ----------
    spec : LabSpec
        The DeepSeek lab (``load_lab("priors/deepseek")``) or one of the same structure.
    draws : int
        Number of draws.
    seed : int
        Seed of squigglepy's generator.
    method : {"iman-conover", "cholesky"}
        How the correlations are induced; see :func:`draw_inputs`.

    Returns
    -------
    dict
        Arrays of ``draws`` values in canonical units, keyed by the estimator's quantity
        names: ``spend.total``, ``cost.amortized``, ``opex.total``, ``capex.hardware``,
        ``gpu_spend``, ``runs.v3.rental_cost`` and a few intermediate terms.

    Raises
    ------
    ValueError
        If the lab's accelerator types or runs are not DeepSeek's.
    """
    types = tuple(t.name for t in spec.model.types)
    runs = tuple(r.name for r in spec.model.runs)
    if types != TYPES or runs != RUNS:
        raise ValueError(f"written for types {TYPES} and runs {RUNS}, not {types} and {runs}")
    v = draw_inputs(spec, draws, seed, method)
    years, hours = spec.model.window.years, spec.model.window.hours

    spend = {t: v[f"fleet.{t}.count"] * v[f"fleet.{t}.unit_price"] for t in TYPES}
    gpu_spend = sum(spend.values())
    hardware_per_chip = v["server.overhead"] / (1.0 - v["network.share"])
    hardware = gpu_spend * hardware_per_chip
    share = v["share.attributable"]
    attributable_per_chip = hardware_per_chip * share

    in_service_spend = sum(spend[t] * v[f"fleet.{t}.in_service"] for t in TYPES)
    amortized_spend = sum(
        spend[t] * np.minimum(v[f"fleet.{t}.in_service"] * years / v["hardware.useful_life"], 1.0)
        for t in TYPES
    )
    rated_kw = sum(
        v[f"fleet.{t}.count"] * v[f"fleet.{t}.power"] * v[f"fleet.{t}.in_service"] for t in TYPES
    )
    energy = rated_kw * (hours * v["energy.load"] * v["energy.pue"] * v["energy.price"] * share)
    staff = v["staff.headcount"] * v["staff.pay"] * v["staff.overhead"] * years
    maintenance = in_service_spend * attributable_per_chip * v["maintenance.rate"] * years
    other = maintenance + (v["facilities.cost"] + v["other.cost"]) * years
    opex = energy + staff + other

    results = {
        "fleet.hopper.count": sum(v[f"fleet.{t}.count"] for t in HOPPER),
        "gpu_spend": gpu_spend,
        "capex.hardware": hardware,
        "capex.attributable": hardware * share,
        "opex.energy": energy,
        "opex.staff": staff,
        "opex.other": other,
        "opex.total": opex,
        "spend.total": hardware * share + opex,
        "cost.amortized": amortized_spend * attributable_per_chip + opex,
    }
    for run in RUNS:
        results[f"runs.{run}.rental_cost"] = (
            v[f"runs.{run}.gpu_hours"] * v[f"runs.{run}.rental_price"]
        )
    return {name: np.asarray(value, dtype=float) for name, value in results.items()}
