"""Which inputs drive a quantity: variance-based (Sobol') indices under the prior, a
moment-independent (Borgonovo delta) index under the posterior, and a one-at-a-time
tornado.

* :func:`sobol_indices` samples the prior's inputs independently, as the prior states
  them, on a Saltelli design (:func:`SALib.sample.sobol.sample`) and estimates first- and
  total-order indices with :func:`SALib.analyze.sobol.analyze`. The core,
  :func:`sobol_analysis`, takes any vectorised function and the inputs' quantile
  functions, so it can be checked on functions whose indices are known in closed form.
* :func:`delta_indices` works on posterior draws, whose inputs are correlated by the
  claims; the delta index (:func:`SALib.analyze.delta.analyze`) does not assume
  independent inputs.
* :func:`tornado` moves one input at a time from its median to its 5% and 95% quantiles.

Every random step takes a seed. SALib's delta analysis draws from numpy's global
generator and changes the global warning filters; both are saved and restored around
the call, so nothing outside this module sees a change.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from estimator.distributions import Fixed
from estimator.importance import resample_indices
from estimator.model import HEADLINE

if TYPE_CHECKING:
    from estimator.posterior import Estimate
    from estimator.spec import LabSpec

#: Rows of the Saltelli design evaluated at once; memory for the model stays bounded.
CHUNK_ROWS = 2**16
#: Unit-hypercube coordinates are clipped into ``(U_EPSILON, 1 - U_EPSILON)`` before a
#: quantile function sees them, so unbounded beliefs never map to infinity.
U_EPSILON = 1e-12
CONF_LEVEL = 0.95
NUM_RESAMPLES = 100
#: The quantiles a tornado moves each input to.
TORNADO_QUANTILES = (0.05, 0.95)

#: A vectorised function of named input arrays, returning one output array.
Function = Callable[[Mapping[str, np.ndarray]], np.ndarray]
#: A vectorised quantile function (inverse CDF) of one input.
Ppf = Callable[[np.ndarray], np.ndarray]


def _plain(value: Any) -> float | None:
    """A JSON-ready float (``None`` for NaN or infinity)."""
    number = float(value)
    return number if math.isfinite(number) else None


def _derived_seed(seed: int, key: int) -> int:
    """A non-zero 32-bit seed derived from ``seed`` for step ``key``.

    SALib seeds its generators only when given a *truthy* seed (``if seed:``), so a
    seed of 0 would silently fall back to numpy's global generator; every seed handed
    to SALib is therefore derived here and never zero.
    """
    state = np.random.SeedSequence(seed, spawn_key=(key,)).generate_state(1, dtype=np.uint32)
    return int(state[0]) or 1


# ---------------------------------------------------------------------------------------
# Sobol' indices
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SobolRow:
    """First- and total-order Sobol' indices of one input, with 95% bootstrap half-widths."""

    input: str
    S1: float  # noqa: N815 - the conventional names of the indices
    S1_conf: float  # noqa: N815
    ST: float  # noqa: N815
    ST_conf: float  # noqa: N815

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "S1": _plain(self.S1),
            "S1_conf": _plain(self.S1_conf),
            "ST": _plain(self.ST),
            "ST_conf": _plain(self.ST_conf),
        }


@dataclass(frozen=True)
class SobolResult:
    """Sobol' indices of one quantity, one row per uncertain input, by ST descending.

    Attributes
    ----------
    quantity : str
        The quantity analysed.
    base_samples : int
        ``N`` of the Saltelli design; the model was evaluated ``N * (D + 2)`` times.
    seed : int
        Seed of the design's scrambling and of the bootstrap.
    rows : tuple of SobolRow
        Sorted by total-order index, largest first.
    evaluations : int
        Model evaluations made.
    conf_level : float
        Level of the bootstrap confidence half-widths ``S1_conf`` and ``ST_conf``.
    """

    quantity: str
    base_samples: int
    seed: int
    rows: tuple[SobolRow, ...]
    evaluations: int
    conf_level: float = CONF_LEVEL

    def row(self, name: str) -> SobolRow:
        """The row of an input by name."""
        for row in self.rows:
            if row.input == name:
                return row
        raise KeyError(f"no input {name!r}; inputs: {', '.join(r.input for r in self.rows)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "sobol",
            "quantity": self.quantity,
            "base_samples": self.base_samples,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "conf_level": self.conf_level,
            "rows": [row.to_dict() for row in self.rows],
        }


def sobol_analysis(
    function: Function,
    ppfs: Mapping[str, Ppf],
    *,
    quantity: str = "y",
    base_samples: int = 2**14,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    num_resamples: int = NUM_RESAMPLES,
) -> SobolResult:
    """First- and total-order Sobol' indices of any vectorised function of independent
    inputs.

    A Saltelli design on the unit hypercube (:func:`SALib.sample.sobol.sample`, scrambled,
    without second-order columns) is mapped column by column through each input's quantile
    function, the function is evaluated on at most ``chunk_rows`` rows at a time, and
    :func:`SALib.analyze.sobol.analyze` estimates the indices with bootstrap confidence
    half-widths at level 0.95.

    Parameters
    ----------
    function : callable
        Takes a mapping of input name to a 1-d array (one value per row) and returns an
        array of outputs broadcastable to that length.
    ppfs : mapping of str to callable
        The quantile function of each input, vectorised over an array of probabilities.
        The inputs are taken as independent.
    quantity : str
        A label for the output, kept in the result.
    base_samples : int
        ``N``, a power of two; the design has ``N * (D + 2)`` rows for ``D`` inputs.
    seed : int
        Seed of the design's scrambling and of the bootstrap.
    chunk_rows : int
        Most rows evaluated at once.
    num_resamples : int
        Bootstrap resamples for the confidence half-widths.

    Returns
    -------
    SobolResult
        One row per input, by total-order index descending.

    Raises
    ------
    ValueError
        With no inputs, a base sample size that is not a power of two, non-finite
        outputs, or an output that does not vary (the indices are then undefined).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    names = list(ppfs)
    if not names:
        raise ValueError("no uncertain inputs: there is nothing to attribute variance to")
    if base_samples < 2 or base_samples & (base_samples - 1):
        raise ValueError(f"base_samples must be a power of two >= 2, not {base_samples}")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    design_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    units = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=design_rng)
    rows = units.shape[0]
    outputs = np.empty(rows)
    for start in range(0, rows, chunk_rows):
        stop = min(start + chunk_rows, rows)
        block = np.clip(units[start:stop], U_EPSILON, 1.0 - U_EPSILON)
        columns = {
            name: np.asarray(ppfs[name](block[:, j]), dtype=float) for j, name in enumerate(names)
        }
        value = np.asarray(function(columns), dtype=float)
        outputs[start:stop] = np.broadcast_to(value, (stop - start,))
    del units
    if not np.all(np.isfinite(outputs)):
        raise ValueError(f"{quantity}: the function gave non-finite values on the design")
    if np.ptp(outputs) == 0:
        raise ValueError(f"{quantity} does not vary with the inputs; its indices are undefined")
    indices = sobol_analyze.analyze(
        problem,
        outputs,
        calc_second_order=False,
        num_resamples=num_resamples,
        conf_level=CONF_LEVEL,
        seed=_derived_seed(seed, 1),
    )
    result_rows = [
        SobolRow(
            name,
            float(indices["S1"][j]),
            float(indices["S1_conf"][j]),
            float(indices["ST"][j]),
            float(indices["ST_conf"][j]),
        )
        for j, name in enumerate(names)
    ]
    result_rows.sort(key=lambda r: -r.ST)
    return SobolResult(quantity, base_samples, seed, tuple(result_rows), rows)


def sobol_indices(
    spec: LabSpec, quantity: str = HEADLINE, base_samples: int = 2**14, seed: int = 0
) -> SobolResult:
    """Sobol' indices of a quantity of a lab under its prior.

    The lab's stochastic inputs are independent under the prior, as the variance
    decomposition requires; fixed inputs are held at their values.

    Parameters
    ----------
    spec : LabSpec
        The lab.
    quantity : str
        Any named quantity (default ``spend.total``).
    base_samples : int
        ``N`` of the Saltelli design, a power of two; the model is evaluated
        ``N * (D + 2)`` times for ``D`` stochastic inputs.
    seed : int
        Seed of the design and the bootstrap.

    Returns
    -------
    SobolResult
        One row per stochastic input, by total-order index descending.

    Raises
    ------
    UnknownQuantityError
        For a name the model does not define.
    ValueError
        When the quantity does not vary under the prior.
    """
    spec.model.quantity(quantity)
    model = spec.model
    constants = _fixed_values(spec)
    ppfs = {name: spec.priors[name].belief.ppf for name in _stochastic(spec)}

    def function(columns: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(model.evaluate({**constants, **columns})[quantity], dtype=float)

    return sobol_analysis(
        function, ppfs, quantity=quantity, base_samples=base_samples, seed=seed
    )


def _stochastic(spec: LabSpec) -> list[str]:
    """Stochastic inputs in the model's order."""
    return [n for n in spec.model.input_names if not isinstance(spec.priors[n].belief, Fixed)]


def _fixed_values(spec: LabSpec) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in spec.model.input_names:
        belief = spec.priors[name].belief
        if isinstance(belief, Fixed):
            out[name] = float(belief.value)
    return out


# ---------------------------------------------------------------------------------------
# Delta indices on the posterior
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeltaRow:
    """Borgonovo's delta of one input (and SALib's first-order index from the same draws),
    with 95% bootstrap half-widths; ``note`` carries SALib's remarks, if any."""

    input: str
    delta: float
    delta_conf: float
    S1: float  # noqa: N815 - the conventional name of the index
    S1_conf: float  # noqa: N815
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "delta": _plain(self.delta),
            "delta_conf": _plain(self.delta_conf),
            "S1": _plain(self.S1),
            "S1_conf": _plain(self.S1_conf),
            "note": self.note,
        }


@dataclass(frozen=True)
class DeltaResult:
    """Delta indices of one quantity under the posterior, by delta descending.

    Attributes
    ----------
    quantity : str
        The quantity analysed.
    draws : int
        Size of the equally weighted posterior sample analysed.
    seed : int
        Seed of the resampling and the bootstrap.
    method : str
        The estimate's method (``is``, ``nuts`` or ``forward``).
    rows : tuple of DeltaRow
        One per stochastic input that varies in the sample, largest delta first.
    conf_level : float
        Level of the bootstrap half-widths.
    """

    quantity: str
    draws: int
    seed: int
    method: str
    rows: tuple[DeltaRow, ...]
    conf_level: float = CONF_LEVEL

    def row(self, name: str) -> DeltaRow:
        """The row of an input by name."""
        for row in self.rows:
            if row.input == name:
                return row
        raise KeyError(f"no input {name!r}; inputs: {', '.join(r.input for r in self.rows)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "delta",
            "quantity": self.quantity,
            "draws": self.draws,
            "seed": self.seed,
            "posterior_method": self.method,
            "conf_level": self.conf_level,
            "rows": [row.to_dict() for row in self.rows],
        }


def posterior_sample(estimate: Estimate, draws: int, seed: int) -> np.ndarray:
    """Indices into :meth:`Estimate.values` forming an equally weighted posterior sample.

    Weighted draws (the quick path) are resampled in proportion to their weights
    (systematic resampling, seeded); equally weighted draws (NUTS, or no evidence) are
    thinned to ``draws`` evenly spaced ones (all of them when there are fewer).
    """
    if draws < 1:
        raise ValueError(f"draws must be positive, not {draws}")
    weights = estimate.sample_weights
    if weights is not None:
        return resample_indices(np.asarray(weights, dtype=float), draws, seed)
    total = len(estimate.values(HEADLINE))
    if draws >= total:
        return np.arange(total)
    return np.linspace(0, total - 1, draws).round().astype(np.int64)


def delta_indices(
    estimate: Estimate,
    quantity: str = HEADLINE,
    draws: int = 4000,
    seed: int = 0,
    num_resamples: int = NUM_RESAMPLES,
) -> DeltaResult:
    """Borgonovo's moment-independent delta index of every uncertain input, under the
    posterior.

    The claims correlate the inputs a posteriori, so variance decompositions that assume
    independent inputs don't apply; delta measures the expected shift of the quantity's
    whole distribution when one input is learned, and needs no independence. It is
    estimated from given data (Plischke, Borgonovo and Smith 2013) by
    :func:`SALib.analyze.delta.analyze` on an equally weighted posterior sample (see
    :func:`posterior_sample`). SALib's ``delta_raw`` is reported: it bootstraps the draws
    as they are, so it measures importance under the posterior itself (``delta_balanced``
    re-weights each input's bins evenly, which would undo the posterior's shape).

    Parameters
    ----------
    estimate : Estimate
        A posterior from :func:`estimator.posterior.estimate`.
    quantity : str
        Any named quantity (default ``spend.total``).
    draws : int
        Size of the posterior sample analysed.
    seed : int
        Seed of the resampling and of SALib's bootstrap.
    num_resamples : int
        Bootstrap resamples for the confidence half-widths.

    Returns
    -------
    DeltaResult
        One row per stochastic input that varies in the sample, by delta descending.

    Raises
    ------
    UnknownQuantityError
        For a name the model does not define.
    ValueError
        When the quantity or every input is constant in the sample.
    """
    from SALib.analyze import delta as delta_analyze

    spec = estimate.spec
    spec.model.quantity(quantity)
    index = posterior_sample(estimate, draws, seed)
    output = np.asarray(estimate.values(quantity), dtype=float)[index]
    if np.ptp(output) == 0:
        raise ValueError(f"{quantity} does not vary in the posterior sample")
    names: list[str] = []
    columns: list[np.ndarray] = []
    for name in _stochastic(spec):
        column = np.asarray(estimate.values(name), dtype=float)[index]
        if np.ptp(column) > 0:
            names.append(name)
            columns.append(column)
    if not names:
        raise ValueError("no input varies in the posterior sample")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    global_state = np.random.get_state()
    format_warning = warnings.formatwarning
    try:
        with warnings.catch_warnings(record=True) as caught:
            indices = delta_analyze.analyze(
                problem,
                np.column_stack(columns),
                output,
                num_resamples=num_resamples,
                conf_level=CONF_LEVEL,
                seed=_derived_seed(seed, 3),
            )
        del caught
    finally:
        np.random.set_state(global_state)
        warnings.formatwarning = format_warning
    notes = list(indices.get("notes", [""] * len(names)))
    notes += [""] * (len(names) - len(notes))
    rows = [
        DeltaRow(
            name,
            float(indices["delta_raw"][j]),
            float(indices["delta_raw_conf"][j]),
            float(indices["S1"][j]),
            float(indices["S1_conf"][j]),
            str(notes[j]),
        )
        for j, name in enumerate(names)
    ]
    rows.sort(key=lambda r: -r.delta if math.isfinite(r.delta) else math.inf)
    return DeltaResult(quantity, len(index), seed, estimate.diagnostics.method, tuple(rows))


# ---------------------------------------------------------------------------------------
# Tornado
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TornadoBar:
    """One input moved from its median to a low and a high quantile, the others held at
    their medians.

    Attributes
    ----------
    input : str
        The input moved.
    low_value, high_value : float
        The input at its low and high quantile (5% and 95%).
    output_low, output_high : float
        The quantity with the input at ``low_value`` and at ``high_value``.
    base : float
        The quantity with every input at its median.
    swing : float
        ``|output_high - output_low|``.
    """

    input: str
    low_value: float
    high_value: float
    output_low: float
    output_high: float
    base: float
    swing: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "low_value": _plain(self.low_value),
            "high_value": _plain(self.high_value),
            "output_low": _plain(self.output_low),
            "output_high": _plain(self.output_high),
            "base": _plain(self.base),
            "swing": _plain(self.swing),
        }


def tornado(
    spec: LabSpec,
    quantity: str = HEADLINE,
    quantiles: tuple[float, float] = TORNADO_QUANTILES,
) -> tuple[TornadoBar, ...]:
    """One-at-a-time sensitivity of a quantity to each stochastic input.

    The base case has every stochastic input at its median (fixed inputs at their
    values); each input in turn is moved to its low and then its high quantile with the
    others at their medians. Deterministic: no sampling.

    Parameters
    ----------
    spec : LabSpec
        The lab.
    quantity : str
        Any named quantity (default ``spend.total``).
    quantiles : (float, float)
        The low and high probabilities each input is moved to (default 5% and 95%).

    Returns
    -------
    tuple of TornadoBar
        One bar per stochastic input, by swing descending (ties in the model's order).
    """
    spec.model.quantity(quantity)
    low_q, high_q = quantiles
    if not 0.0 < low_q < 0.5 < high_q < 1.0:
        raise ValueError(f"quantiles must satisfy 0 < low < 0.5 < high < 1, not {quantiles}")
    names = _stochastic(spec)
    rows = 1 + 2 * len(names)
    inputs: dict[str, np.ndarray | float] = dict(_fixed_values(spec))
    moved: dict[str, tuple[float, float]] = {}
    for k, name in enumerate(names):
        ppf = spec.priors[name].belief.ppf
        median, low, high = (float(np.asarray(ppf(q)).reshape(-1)[0]) for q in (0.5, low_q, high_q))
        column = np.full(rows, median)
        column[1 + 2 * k] = low
        column[2 + 2 * k] = high
        inputs[name] = column
        moved[name] = (low, high)
    value = np.asarray(spec.model.evaluate(inputs)[quantity], dtype=float)
    output = np.broadcast_to(value, (rows,))
    base = float(output[0])
    bars = [
        TornadoBar(
            name,
            moved[name][0],
            moved[name][1],
            float(output[1 + 2 * k]),
            float(output[2 + 2 * k]),
            base,
            abs(float(output[2 + 2 * k]) - float(output[1 + 2 * k])),
        )
        for k, name in enumerate(names)
    ]
    bars.sort(key=lambda b: -b.swing)
    return tuple(bars)
