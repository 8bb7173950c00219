"""Forward Monte Carlo in chunks: seeded, vectorised, on threads.

Draws are made in fixed-size chunks. Chunk ``i`` has its own generator spawned from the
run's seed (``SeedSequence(seed, spawn_key=(i,))``), so any chunk can be regenerated on
its own and the draws don't depend on how many chunks are made, in what order, or on how
many threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.inference.threads import ordered_map
from estimator.model.copula import correlated_normals, from_normal
from estimator.model.distributions import Beta, Fixed, LogNormal, Normal
from estimator.model.evidence import measurement_latents
from estimator.spec.lab import LabSpec

CHUNK_SIZE = 2**16


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    """The generator for chunk ``index`` of a run seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def chunk_sizes(draws: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
    """Sizes of the chunks that make up ``draws`` draws."""
    full, rest = divmod(draws, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def sample_inputs(spec: LabSpec, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """Draw every input once per draw, in canonical units (a fixed input is one number,
    which numpy broadcasts).

    Correlated inputs come first, through the Gaussian copula of
    :mod:`estimator.model.copula`. Then every independent lognormal, normal and beta
    input comes from one call for standard normals, transformed in place (scaled,
    shifted, exponentiated, or mapped through a beta's tabulated quantile function);
    any other belief draws itself.
    """
    out: dict[str, np.ndarray] = {}
    correlation = spec.correlation
    if correlation is not None:
        z = correlated_normals(correlation, rng, size)
        for column, name in enumerate(correlation.names):
            out[name] = from_normal(spec.priors[name].belief, z[:, column])
    plan = _normal_block(spec)
    if plan.names:
        block = rng.standard_normal((len(plan.names), size))
        block *= plan.scale[:, None]
        block += plan.shift[:, None]
        np.exp(block[: plan.lognormal], out=block[: plan.lognormal])
        for row, share in plan.tabulated.items():
            block[row] = share.from_normal(block[row])
        out.update(zip(plan.names, block, strict=True))
    for name in spec.model.input_names:
        if name in out:
            continue
        belief = spec.priors[name].belief
        if isinstance(belief, Fixed):
            out[name] = np.asarray(belief.value, dtype=float)  # numpy broadcasts it
        else:
            out[name] = belief.sample(rng, size)
    return out


@dataclass(frozen=True)
class _NormalBlock:
    """Independent inputs drawn from one block of standard normals: ``exp(shift + scale z)``
    for the first ``lognormal`` names, ``shift + scale z`` for the normals, and
    :meth:`Beta.from_normal` for the rows in ``tabulated``."""

    names: tuple[str, ...]
    shift: np.ndarray
    scale: np.ndarray
    lognormal: int
    tabulated: dict[int, Beta]


def _normal_block(spec: LabSpec) -> _NormalBlock:
    correlated = set(spec.correlation.names) if spec.correlation is not None else set()
    beliefs = [(n, spec.priors[n].belief) for n in spec.model.input_names if n not in correlated]
    lognormal = [(n, b) for n, b in beliefs if isinstance(b, LogNormal)]
    normal = [(n, b) for n, b in beliefs if isinstance(b, Normal) and not b.truncated]
    beta = [(n, b) for n, b in beliefs if isinstance(b, Beta)]
    chosen = lognormal + normal
    return _NormalBlock(
        names=tuple(n for n, _ in chosen + beta),
        shift=np.array([b.mu for _, b in chosen] + [0.0] * len(beta)),
        scale=np.array([b.sigma for _, b in chosen] + [1.0] * len(beta)),
        lognormal=len(lognormal),
        tabulated={len(chosen) + i: b for i, (_, b) in enumerate(beta)},
    )


#: The spawn key that sets the measurement parameters' generators apart from the model's.
MEASUREMENT_STREAM = 1


def evaluate_chunk(spec: LabSpec, seed: int, index: int, size: int) -> dict[str, np.ndarray]:
    """Inputs and every derived quantity for one chunk, as float64 arrays of ``size``,
    and the claims' measurement parameters (:func:`sample_measurement`)."""
    return evaluate_drawn(spec, draw_chunk(spec, seed, index, size), size)


def draw_chunk(spec: LabSpec, seed: int, index: int, size: int) -> dict[str, np.ndarray]:
    """What the generators produce for one chunk: every uncertain input, and the claims'
    measurement parameters (what :mod:`estimator.inference.draw_cache` keeps)."""
    inputs = sample_inputs(spec, chunk_generator(seed, index), size)
    out = {name: value for name, value in inputs.items() if np.ndim(value)}
    out.update(sample_measurement(spec, seed, index, size))
    return out


def evaluate_drawn(
    spec: LabSpec, drawn: Mapping[str, np.ndarray], size: int
) -> dict[str, np.ndarray]:
    """Every quantity of one chunk from its :func:`draw_chunk` (fixed inputs are their
    values), with the measurement parameters passed through."""
    inputs: dict[str, Any] = {}
    for name in spec.model.input_names:
        if name in drawn:
            inputs[name] = drawn[name]
        else:
            belief = spec.priors[name].belief
            assert isinstance(belief, Fixed), name
            inputs[name] = np.asarray(belief.value, dtype=float)
    values = spec.model.evaluate(inputs)
    out = {k: np.broadcast_to(np.asarray(v, dtype=float), (size,)) for k, v in values.items()}
    out.update({name: drawn[name] for name in measurement_latents(spec.sources)})
    return out


def drawn_names(spec: LabSpec) -> list[str]:
    """The names :func:`draw_chunk` returns: the uncertain inputs and the measurement
    parameters."""
    fixed = {n for n in spec.model.input_names if isinstance(spec.priors[n].belief, Fixed)}
    correlated = set(spec.correlation.names) if spec.correlation is not None else set()
    inputs = [n for n in spec.model.input_names if n not in fixed or n in correlated]
    return [*inputs, *measurement_latents(spec.sources)]


def draw_description(spec: LabSpec, seed: int, draws: int, chunk_size: int) -> dict[str, Any]:
    """Everything that decides :func:`draw_chunk`'s output for a run, as JSON-able data
    (what :func:`estimator.inference.draw_cache.draws_key` hashes)."""
    correlation = spec.correlation
    return {
        "inputs": [[n, spec.priors[n].belief.to_dict()] for n in spec.model.input_names],
        "correlation": None
        if correlation is None
        else {"names": list(correlation.names), "cholesky": correlation.cholesky.tolist()},
        "latents": [[n, b.to_dict()] for n, b in measurement_latents(spec.sources).items()],
        "seed": seed,
        "draws": draws,
        "chunk_size": chunk_size,
    }


def sample_measurement(spec: LabSpec, seed: int, index: int, size: int) -> dict[str, np.ndarray]:
    """The measurement parameters of the lab's claims (:mod:`estimator.model.evidence`)
    for one chunk, from a generator of their own: the model's draws are the same whatever
    the ledger says."""
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index, MEASUREMENT_STREAM)))
    )
    latents = measurement_latents(spec.sources)
    block = rng.standard_normal((len(latents), size))
    out = {}
    for z, (name, belief) in zip(block, latents.items(), strict=True):
        if isinstance(belief, Beta):
            out[name] = belief.from_normal(z)
        elif isinstance(belief, LogNormal):
            out[name] = np.exp(belief.mu + belief.sigma * z)
        else:
            assert isinstance(belief, Normal)
            out[name] = belief.mu + belief.sigma * z
    return out


def map_chunks[T](
    spec: LabSpec,
    draws: int,
    seed: int,
    function: Callable[[dict[str, np.ndarray]], T],
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> Iterator[T]:
    """Evaluate the model chunk by chunk and yield ``function(chunk)``, in chunk order.

    Chunks are computed on ``workers`` threads (numpy releases the GIL while it draws
    and computes), at most two per thread at a time, so memory stays bounded by a few
    chunks whatever the number of draws. Each chunk has its own generator, so the
    results are the same for any number of workers.
    """

    def job(item: tuple[int, int]) -> T:
        return function(evaluate_chunk(spec, seed, item[0], item[1]))

    items = list(enumerate(chunk_sizes(draws, chunk_size)))
    return ordered_map(job, items, workers if len(items) > 1 else 1)


def iter_chunks(
    spec: LabSpec, draws: int, seed: int, chunk_size: int = CHUNK_SIZE
) -> Iterator[dict[str, np.ndarray]]:
    """Evaluate the model chunk by chunk; memory stays bounded by a few chunks."""
    return map_chunks(spec, draws, seed, _identity, chunk_size)


def _identity(chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return chunk
