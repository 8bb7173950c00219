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

import datetime as dt
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


def _years(day: dt.date) -> float:
    """A day's start in years (365.25 days) since 2000: the estimator's own clock."""
    return (day - dt.date(2000, 1, 1)).days / 365.25


def _expected_service(a: float, b: float, life: Any, u: float, v: float) -> Any:
    """Expected years each unit of a tranche bought evenly over ``[a, b)`` serves within
    ``[u, v)`` when kept for ``life`` years: ``∫_u^v (F(t) - F(t - life)) dt`` with ``F``
    the purchase-time CDF, written out with its antiderivative ``R``."""

    def ramp(x: Any) -> Any:  # ∫_{-inf}^x F
        if b <= a:
            return np.maximum(x - a, 0.0)
        return (np.maximum(x - a, 0.0) ** 2 - np.maximum(x - b, 0.0) ** 2) / (2.0 * (b - a))

    return ramp(v) - ramp(u) - ramp(v - life) + ramp(u - life)


def _bought_share(a: float, b: float, u: float, v: float) -> float:
    """The share of a tranche bought evenly over ``[a, b)`` that is bought in ``[u, v)``."""
    if b <= a:
        return 1.0 if u < a <= v else 0.0
    return float(np.clip((v - a) / (b - a), 0, 1) - np.clip((u - a) / (b - a), 0, 1))


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
        If the lab's accelerator types, tranches, runs or data centres are not DeepSeek's.
    """
    model = spec.model
    types = tuple(t.name for t in model.types)
    runs = tuple(r.name for r in model.runs)
    dc = model.structure.datacentre
    if types != TYPES or runs != RUNS or dc is None or dc.mode != "mixed":
        raise ValueError(f"written for types {TYPES}, runs {RUNS} and mixed data centres")
    if model.structure.staff.dates or any(t.undated for t in model.types):
        raise ValueError("written for dated tranches and one headcount")
    v = draw_inputs(spec, draws, seed, method)
    window = model.window
    u, w = _years(window.start), _years(window.end + dt.timedelta(days=1))
    years = window.years
    life, share = v["hardware.useful_life"], v["share.attributable"]
    per_chip = v["server.overhead"] / (1.0 - v["network.share"])
    owned = v["datacentre.owned_share"]
    dc_per_kw = v["datacentre.capex"] / 1000.0 * owned

    gpu_spend = 0.0
    bought_hw = bought_dc = written_hw = written_dc = 0.0
    kw_years = hw_years = 0.0
    for acc in model.types:
        for tranche in acc.tranches:
            assert tranche.bought is not None
            prefix = f"fleet.{acc.name}" + (f".{tranche.name}" if tranche.name else "")
            a, b = _years(tranche.bought.start), _years(tranche.bought.end + dt.timedelta(days=1))
            chips = v[f"{prefix}.count"] * v[f"{prefix}.unit_price"]
            kw = v[f"{prefix}.count"] * v[f"fleet.{acc.name}.power"]
            gpu_spend = gpu_spend + chips
            share_bought = _bought_share(a, b, u, w)
            served = _expected_service(a, b, life, u, w)
            bought_hw = bought_hw + chips * per_chip * share_bought
            bought_dc = bought_dc + kw * dc_per_kw * share_bought
            written_hw = written_hw + chips * per_chip * served / life
            dc_life = v["datacentre.life"]
            written_dc = (
                written_dc + kw * dc_per_kw * _expected_service(a, b, dc_life, u, w) / dc_life
            )
            kw_years = kw_years + kw * served
            hw_years = hw_years + chips * per_chip * served
    energy = kw_years * 8766.0 * v["energy.load"] * v["energy.pue"] * v["energy.price"]
    lease = kw_years * (1.0 - owned) * v["datacentre.lease_price"] * 12.0
    facilities = lease + v["facilities.cost"] * years
    maintenance = hw_years * v["maintenance.rate"]
    staff = (
        v["staff.headcount"] * years * (v["staff.pay"] * v["staff.overhead"] + v["staff.equity"])
    )
    services = v["other.cost"] * years
    opex = (energy + maintenance + facilities) * share + staff + services

    results = {
        "fleet.hopper.count": sum(v[f"fleet.{t}.count"] for t in HOPPER),
        "gpu_spend": gpu_spend,
        "capex.hardware": gpu_spend * per_chip,
        "capex.attributable": gpu_spend * per_chip * share,
        "opex.energy": energy * share,
        "opex.staff": staff,
        "opex.total": opex,
        "spend.total": (bought_hw + bought_dc) * share + opex,
        "cost.amortized": (written_hw + written_dc) * share + opex,
    }
    for run in RUNS:
        results[f"runs.{run}.rental_cost"] = (
            v[f"runs.{run}.gpu_hours"] * v[f"runs.{run}.rental_price"]
        )
    return results
