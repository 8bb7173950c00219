"""The prior's forward Monte Carlo: every named quantity drawn, held in memory or
summarised in streaming passes for any number of draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from estimator.inference.chunks import (
    CHUNK_SIZE,
    chunk_sizes,
    draw_chunk,
    draw_description,
    drawn_names,
    evaluate_drawn,
)
from estimator.inference.draw_cache import DrawCache, draws_key
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

    values: dict[str, np.ndarray] = field(repr=False)
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
    sizes = chunk_sizes(draws, chunk_size)
    drawn = _drawn(spec, seed, sizes, cache)
    starts = np.cumsum([0, *sizes])
    names = [*spec.model.quantities, *measurement_latents(spec.sources)]
    store = {name: np.empty(draws) for name in names}

    def fill(index: int) -> None:
        start, stop = int(starts[index]), int(starts[index + 1])
        chunk = evaluate_drawn(spec, {n: a[start:stop] for n, a in drawn.items()}, stop - start)
        for name in names:
            store[name][start:stop] = chunk[name]

    thread_map(fill, list(range(len(sizes))))
    return Draws(store, seed, draws, chunk_size)


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
