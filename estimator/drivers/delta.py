"""Which inputs drive a quantity under the posterior, whose inputs the claims correlate:
Borgonovo's moment-independent delta index (:func:`SALib.analyze.delta.analyze`), which
does not assume independent inputs, measured against the noise floor of an unrelated
dummy input. SALib's delta analysis draws from numpy's global generator and changes the
global warning filters; both are saved and restored around the call.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.drivers.common import (
    CONF_LEVEL,
    DUMMY_INPUT,
    NUM_RESAMPLES,
    derived_seed,
    descending,
    plain,
    stochastic_inputs,
)
from estimator.inference.estimation import Estimate
from estimator.inference.threads import single_threaded_blas


@dataclass(frozen=True)
class DeltaRow:
    """Borgonovo's delta of one input (and SALib's first-order index from the same draws),
    with 95% bootstrap half-widths; ``note`` carries SALib's remarks, if any."""

    input: str
    delta: float
    delta_conf: float
    S1: float
    S1_conf: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "delta": plain(self.delta),
            "delta_conf": plain(self.delta_conf),
            "S1": plain(self.S1),
            "S1_conf": plain(self.S1_conf),
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
        Seed of the resampling, the dummy column and the bootstrap.
    method : str
        The estimate's method (``is``, ``nuts`` or ``forward``).
    rows : tuple of DeltaRow
        One per stochastic input that varies in the sample, largest delta first.
    floor : DeltaRow
        The same estimator on a dummy column drawn independently of everything (true
        delta 0): its value is the estimator's noise floor at this sample size. An input
        whose delta is within the floor (allowing both half-widths) can't be told apart
        from one with no influence.
    conf_level : float
        Level of the bootstrap half-widths.
    """

    quantity: str
    draws: int
    seed: int
    method: str
    rows: tuple[DeltaRow, ...]
    floor: DeltaRow
    conf_level: float = CONF_LEVEL

    def row(self, name: str) -> DeltaRow:
        """The row of an input by name."""
        for row in self.rows:
            if row.input == name:
                return row
        raise KeyError(f"no input {name!r}; inputs: {', '.join(r.input for r in self.rows)}")

    def above_floor(self, row: DeltaRow) -> bool:
        """Whether an input's delta is distinguishable from the noise floor."""
        return row.delta - row.delta_conf > self.floor.delta + self.floor.delta_conf

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "delta",
            "quantity": self.quantity,
            "draws": self.draws,
            "seed": self.seed,
            "posterior_method": self.method,
            "conf_level": self.conf_level,
            "floor": self.floor.to_dict(),
            "rows": [{**row.to_dict(), "above_floor": self.above_floor(row)} for row in self.rows],
        }


def delta_indices(
    estimate: Estimate,
    quantity: str | None = None,
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
    :meth:`~estimator.inference.posterior.Posterior.sample`). SALib's ``delta_raw`` is
    reported: it bootstraps the draws as they are, so it measures importance under the
    posterior itself (``delta_balanced`` re-weights each input's bins evenly, which would
    undo the posterior's shape). The
    estimator is biased upwards at finite sample sizes, so a dummy column independent of
    everything is analysed alongside as the noise floor (:attr:`DeltaResult.floor`).

    Parameters
    ----------
    estimate : Estimate
        A posterior from :func:`estimator.inference.estimation.estimate`.
    quantity : str
        Any named quantity (default: the lab's headline).
    draws : int
        Size of the posterior sample analysed.
    seed : int
        Seed of the resampling, the dummy column and SALib's bootstrap.
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
    quantity = quantity or spec.headline
    spec.model.quantity(quantity)
    index = estimate.fit.sample(draws, seed)
    output = np.asarray(estimate.values(quantity), dtype=float)[index]
    if np.ptp(output) == 0:
        raise ValueError(f"{quantity} does not vary in the posterior sample")
    names: list[str] = []
    columns: list[np.ndarray] = []
    for name in stochastic_inputs(spec):
        column = np.asarray(estimate.values(name), dtype=float)[index]
        if np.ptp(column) > 0:
            names.append(name)
            columns.append(column)
    if not names:
        raise ValueError("no input varies in the posterior sample")
    dummy_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(4,)))
    columns.append(dummy_rng.random(len(index)))
    analysed = [*names, DUMMY_INPUT]
    problem = {"num_vars": len(analysed), "names": analysed, "bounds": [[0.0, 1.0]] * len(analysed)}
    # SALib's delta seeds and draws from numpy's global generator; put it back after.
    global_state = np.random.get_state()  # noqa: NPY002
    format_warning = warnings.formatwarning
    try:
        with warnings.catch_warnings(record=True), single_threaded_blas():
            indices = delta_analyze.analyze(
                problem,
                np.column_stack(columns),
                output,
                num_resamples=num_resamples,
                conf_level=CONF_LEVEL,
                seed=derived_seed(seed, 3),
            )
    finally:
        np.random.set_state(global_state)  # noqa: NPY002
        warnings.formatwarning = format_warning
    notes = [str(n) for n in indices.get("notes", [])]
    notes += [""] * (len(analysed) - len(notes))
    rows = [
        DeltaRow(
            name,
            float(indices["delta_raw"][j]),
            float(indices["delta_raw_conf"][j]),
            float(indices["S1"][j]),
            float(indices["S1_conf"][j]),
            notes[j],
        )
        for j, name in enumerate(analysed)
    ]
    floor = rows.pop()
    rows.sort(key=lambda r: descending(r.delta))
    return DeltaResult(quantity, len(index), seed, estimate.diagnostics.method, tuple(rows), floor)
