"""The prior's forward Monte Carlo: every named quantity drawn, held in memory or
summarised in streaming passes for any number of draws."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import estimator.model as model_package
from estimator.inference.chunks import (
    CHUNK_SIZE,
    chunk_sizes,
    draw_chunk,
    draw_description,
    drawn_names,
    evaluate_drawn,
)
from estimator.inference.draw_cache import VALUES_PREFIX, DrawCache, draws_key
from estimator.inference.lazy import LazyMapping
from estimator.inference.streaming import streaming_summaries
from estimator.inference.summaries import Summary, summarize
from estimator.inference.threads import thread_map
from estimator.model.evidence import measurement_latents
from estimator.spec.lab import LabSpec

DEFAULT_DRAWS = 200_000
IN_MEMORY_LIMIT = 2**19


@dataclass(frozen=True)
class Draws:
    """Forward Monte Carlo draws of every named quantity, held in memory."""

    values: Mapping[str, np.ndarray] = field(repr=False)
    seed: int
    draws: int
    chunk_size: int

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def simulate(
    spec: LabSpec,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    chunk_size: int = CHUNK_SIZE,
    cache: DrawCache | None = None,
) -> Draws:
    """Draw from the prior and evaluate every quantity, keeping all draws in memory.

    Parameters
    ----------
    spec : LabSpec
        The lab.
    draws : int
        Number of draws (at most :data:`IN_MEMORY_LIMIT`; use :func:`forward_summaries`
        for more).
    seed : int
        Seed of the run; the same seed gives the same draws.
    chunk_size : int
        Draws per chunk.
    cache : DrawCache, optional
        Where the random draws are looked up before they are made, and kept after; the
        numbers are the same with it or without it.
    """
    if draws > IN_MEMORY_LIMIT:
        raise ValueError(f"{draws} draws would not fit in memory; use forward_summaries")
    names = [*spec.model.quantities, *measurement_latents(spec.sources)]
    if cache is None:
        return Draws(
            _evaluated(spec, seed, draws, chunk_size, None, names), seed, draws, chunk_size
        )
    key = draws_key(evaluation_description(spec, seed, draws, chunk_size, names))

    def rebuild() -> dict[str, np.ndarray]:
        return _evaluated(spec, seed, draws, chunk_size, cache, names)

    mapped = cache.open(key, names, draws, rebuild)
    if mapped is not None:
        return Draws(mapped, seed, draws, chunk_size)
    store = rebuild()
    cache.store(key, store, VALUES_PREFIX)
    return Draws(store, seed, draws, chunk_size)


def _evaluated(
    spec: LabSpec,
    seed: int,
    draws: int,
    chunk_size: int,
    cache: DrawCache | None,
    names: list[str],
) -> dict[str, np.ndarray]:
    """Every quantity and measurement parameter, evaluated chunk by chunk on threads from
    the random draws (read from ``cache`` when it holds them)."""
    sizes = chunk_sizes(draws, chunk_size)
    drawn = _drawn(spec, seed, sizes, cache)
    starts = np.cumsum([0, *sizes])
    store = {name: np.empty(draws) for name in names}

    def fill(index: int) -> None:
        start, stop = int(starts[index]), int(starts[index + 1])
        chunk = evaluate_drawn(spec, {n: a[start:stop] for n, a in drawn.items()}, stop - start)
        for name in names:
            store[name][start:stop] = chunk[name]

    thread_map(fill, list(range(len(sizes))))
    return store


#: The files whose content does not change what the equations compute from the draws.
LEDGER_FILES = ("claims.toml", "questions.toml", "scenarios.toml", "sources.toml")


def evaluation_description(
    spec: LabSpec, seed: int, draws: int, chunk_size: int, names: list[str]
) -> dict[str, Any]:
    """Everything that decides every quantity's draws (what the cache of evaluated
    quantities is keyed by): the random draws, the files that define the model, the
    window shown, the quantities asked for, and the source of the model's code."""
    digest = hashlib.sha256()
    for name in sorted(spec.files):
        if name not in LEDGER_FILES:
            digest.update(name.encode() + b"\0" + spec.files[name] + b"\0")
    code = hashlib.sha256()
    for source in sorted(Path(model_package.__file__).parent.glob("*.py")):
        code.update(source.read_bytes())
    return {
        "draws": draw_description(spec, seed, draws, chunk_size),
        "files": digest.hexdigest(),
        "window": [str(spec.model.window), str(spec.model.reporting)],
        "names": names,
        "model_code": code.hexdigest(),
    }


def _drawn(
    spec: LabSpec, seed: int, sizes: list[int], cache: DrawCache | None
) -> dict[str, np.ndarray]:
    """The random draws of every chunk, joined: from ``cache`` when it holds them, made
    (on threads, each chunk with its own generator) and stored in it otherwise."""
    draws, chunk_size = sum(sizes), sizes[0]
    key = None
    if cache is not None:
        key = draws_key(draw_description(spec, seed, draws, chunk_size))
        found = cache.load(key, drawn_names(spec), draws)
        if found is not None:
            return found
    pieces = thread_map(lambda item: draw_chunk(spec, seed, *item), list(enumerate(sizes)))
    drawn = {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}
    if cache is not None and key is not None:
        cache.store(key, drawn)
    return drawn


def summarize_draws(spec: LabSpec, result: Draws) -> dict[str, Summary]:
    """Summaries of every quantity of in-memory draws."""
    return prior_summaries(spec, result).fill()


def prior_summaries(spec: LabSpec, result: Draws) -> LazyMapping[Summary]:
    """Summaries of every quantity of in-memory draws, each computed when first read."""
    quantities = spec.model.quantities

    def summary(name: str) -> Summary:
        unit = spec.converter.canonical(quantities[name].unit)
        return summarize(name, unit, result[name], result.draws)

    return LazyMapping(list(quantities), summary)


def forward_summaries(
    spec: LabSpec, draws: int = DEFAULT_DRAWS, seed: int = 0, chunk_size: int = CHUNK_SIZE
) -> dict[str, Summary]:
    """Summaries of every quantity under the prior, for any number of draws.

    Up to :data:`IN_MEMORY_LIMIT` draws are held in memory; beyond that the exact
    two-pass streaming summary of :mod:`estimator.inference.streaming` keeps memory bounded. Both
    give identical numbers for the same draws.
    """
    if draws <= IN_MEMORY_LIMIT:
        return summarize_draws(spec, simulate(spec, draws, seed, chunk_size))
    return streaming_summaries(spec, draws, seed, chunk_size)
