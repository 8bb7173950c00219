"""Exact summaries of any number of draws in bounded memory.

Two passes over the same seeded chunks, each on several threads (see
:func:`~estimator.inference.chunks.map_chunks`). The first counts draws into bins laid over the
first chunk's range (on a log-like scale) and accumulates the mean and variance. The
second regenerates the chunks and keeps only the draws that fall in the few bins holding
the order statistics a summary needs (stored as distinct values with counts, so point
masses stay small). The result equals the in-memory summary of the same draws exactly;
memory is a few chunks plus a few bins, whatever the number of draws.
"""

from __future__ import annotations

import math

import numpy as np

from estimator.inference.chunks import chunk_sizes, evaluate_chunk, map_chunks
from estimator.inference.summaries import Binning, Summary, from_order_statistics, needed_ranks
from estimator.spec.lab import LabSpec

#: Draws per bin, on average, that the first pass aims for: the second pass keeps the
#: draws of about twenty bins per quantity, so memory stays flat as draws grow.
DRAWS_PER_BIN = 4096


def bins_for(draws: int) -> int:
    """Bins of the first pass: 2048, or more for runs so long that the second pass would
    otherwise keep millions of draws per quantity."""
    return int(min(max(2048, draws // DRAWS_PER_BIN), 2**20))


class _Pass1:
    def __init__(self, first: np.ndarray, bins: int):
        self.binning = Binning(first, bins)
        self.counts = np.zeros(self.binning.bins + 2, dtype=np.int64)
        self.shift = float(np.mean(first))
        self.total = 0.0
        self.total_sq = 0.0
        self.n = 0

    def reduce(self, x: np.ndarray) -> tuple[np.ndarray, float, float, int]:
        """What a chunk adds (computed on the chunk's own thread)."""
        d = x - self.shift
        counts = np.bincount(self.binning.index(x), minlength=len(self.counts))
        return counts, float(d.sum()), float(np.dot(d, d)), len(x)

    def add(self, part: tuple[np.ndarray, float, float, int]) -> None:
        counts, total, total_sq, n = part
        self.counts += counts
        self.total += total
        self.total_sq += total_sq
        self.n += n

    def bins_for(self, ranks: list[int]) -> dict[int, int]:
        """The bin that holds each needed rank."""
        cumulative = np.cumsum(self.counts)
        return {r: int(np.searchsorted(cumulative, r, side="right")) for r in ranks}


Kept = dict[int, tuple[np.ndarray, np.ndarray]]


class _Pass2:
    def __init__(self, binning: Binning, bins: set[int]):
        self.binning = binning
        self.bins = np.array(sorted(bins))
        self.values: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {
            int(b): [] for b in self.bins
        }
        self.wanted = np.zeros(binning.bins + 2, dtype=bool)
        self.wanted[self.bins] = True
        # Value ranges around each run of consecutive bins: a cheap first sieve.
        runs: list[list[int]] = []
        for b in self.bins:
            if runs and b == runs[-1][-1] + 1:
                runs[-1].append(int(b))
            else:
                runs.append([int(b)])
        self.ranges = [binning.value_range(run[0], run[-1]) for run in runs]

    def reduce(self, x: np.ndarray) -> Kept:
        """The distinct values of a chunk, with counts, in each bin of interest."""
        near = np.zeros(len(x), dtype=bool)
        for low, high in self.ranges:
            near |= (x >= low) & (x <= high)
        x = x[near]
        index = self.binning.index(x)
        keep = self.wanted[index]
        x, index = x[keep], index[keep]
        kept = {}
        for b in self.values:
            picked = x[index == b]
            if picked.size:
                kept[b] = np.unique(picked, return_counts=True)
        return kept

    def add(self, kept: Kept) -> None:
        for b, values in kept.items():
            self.values[b].append(values)

    def order_statistic(self, b: int, rank_in_bin: int) -> float:
        parts = self.values[b]
        values = np.concatenate([v for v, _ in parts])
        counts = np.concatenate([c for _, c in parts])
        distinct, inverse = np.unique(values, return_inverse=True)
        merged = np.bincount(inverse, weights=counts).astype(np.int64)
        return float(distinct[np.searchsorted(np.cumsum(merged), rank_in_bin, side="right")])


def streaming_summaries(
    spec: LabSpec, draws: int, seed: int, chunk_size: int
) -> dict[str, Summary]:
    """Summaries of every quantity over ``draws`` draws, in two passes of bounded memory."""
    names = list(spec.model.quantities)
    first = evaluate_chunk(spec, seed, 0, chunk_sizes(draws, chunk_size)[0])
    pass1 = {name: _Pass1(first[name], bins_for(draws)) for name in names}
    del first
    for parts in map_chunks(
        spec, draws, seed, lambda c: {n: pass1[n].reduce(c[n]) for n in names}, chunk_size
    ):
        for name, part in parts.items():
            pass1[name].add(part)

    ranks = needed_ranks(draws)
    where = {name: pass1[name].bins_for(ranks) for name in names}
    pass2 = {name: _Pass2(pass1[name].binning, set(where[name].values())) for name in names}
    for kept in map_chunks(
        spec, draws, seed, lambda c: {n: pass2[n].reduce(c[n]) for n in names}, chunk_size
    ):
        for name, values in kept.items():
            pass2[name].add(values)

    out = {}
    for name, q in spec.model.quantities.items():
        acc = pass1[name]
        starts = np.concatenate([[0], np.cumsum(acc.counts)])
        order_stats = {
            r: pass2[name].order_statistic(b, r - int(starts[b])) for r, b in where[name].items()
        }
        mean_shifted = acc.total / acc.n
        variance = max(acc.total_sq / acc.n - mean_shifted**2, 0.0)
        out[name] = from_order_statistics(
            name,
            spec.converter.canonical(q.unit),
            draws,
            order_stats,
            acc.shift + mean_shifted,
            math.sqrt(variance),
        )
    return out
