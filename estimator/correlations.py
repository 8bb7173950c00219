"""Correlated inputs: rank correlations stated in ``correlations.toml``, realised by a
Gaussian copula, the same way in the Monte Carlo and in the PyMC model.

A stated rank (Spearman) correlation ``r`` becomes the copula's normal correlation
``2 sin(pi r / 6)``; correlated normals ``z = L w`` (``L`` the Cholesky factor, ``w``
independent standard normals) are mapped to each input through its own quantile
function, ``x = F^-1(Phi(z))``, so every input keeps its stated distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from estimator.beliefs import Prior, Source, read_source
from estimator.distributions import (
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from estimator.errors import did_you_mean, listing
from estimator.tomlread import Reader

CORRELATION_KEYS = ("inputs", "rank", "source", "url", "date", "note")


@dataclass(frozen=True)
class Correlation:
    """The correlated inputs, their stated rank correlations and the copula."""

    names: tuple[str, ...]
    rank: np.ndarray
    normal: np.ndarray
    cholesky: np.ndarray
    sources: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        pairs = []
        for i in range(len(self.names)):
            for j in range(i + 1, len(self.names)):
                if self.rank[i, j]:
                    pairs.append(
                        {"inputs": [self.names[i], self.names[j]], "rank": float(self.rank[i, j])}
                    )
        return {"pairs": pairs}


def read_correlations(
    reader: Reader, doc: dict[str, Any], priors: dict[str, Prior]
) -> Correlation | None:
    """Read ``[[correlations]]`` tables; problems are recorded on ``reader``."""
    entries = doc.get("correlations", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.add("correlations", "correlations must be [[correlations]] tables", entries)
        return None
    pairs: dict[tuple[str, str], float] = {}
    sources = []
    uncertain = [n for n, p in priors.items() if not isinstance(p.belief, Fixed)]
    for index, entry in enumerate(entries):
        key = f"correlations[{index}]"
        reader.check_keys(entry, key, CORRELATION_KEYS, required=("inputs", "rank", "source"))
        source = read_source(reader, entry, key, required=True)
        names = entry.get("inputs")
        if not (
            isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) for n in names)
        ):
            reader.add(
                f"{key}.inputs",
                "a correlation needs exactly two input names",
                names,
                allowed='["fleet.h800.unit_price", "fleet.h100.unit_price"]',
            )
            continue
        bad = False
        for name in names:
            if name not in priors:
                reader.add(
                    f"{key}.inputs",
                    "unknown input",
                    name,
                    allowed=listing(priors),
                    hint=did_you_mean(name, priors),
                )
                bad = True
            elif name not in uncertain:
                reader.add(
                    f"{key}.inputs",
                    "a fixed input can't be correlated",
                    name,
                    allowed="inputs with an uncertain belief",
                )
                bad = True
        if names[0] == names[1]:
            reader.add(f"{key}.inputs", "an input can't be correlated with itself", names)
            bad = True
        rank = reader.number(entry, "rank", key) if "rank" in entry else None
        if rank is not None and not -1.0 < rank < 1.0:
            reader.add(
                f"{key}.rank",
                "a rank correlation must lie strictly between -1 and 1",
                entry["rank"],
                allowed="-1 < rank < 1",
            )
            rank = None
        if bad or rank is None:
            continue
        pair = (min(names), max(names))
        if pair in pairs:
            reader.add(f"{key}.inputs", "this pair is correlated twice", names)
            continue
        pairs[pair] = rank
        if source is not None:
            sources.append(source)
    if not pairs or reader.problems:
        return None
    names = tuple(sorted({n for pair in pairs for n in pair}, key=list(priors).index))
    position = {n: i for i, n in enumerate(names)}
    rank_matrix = np.eye(len(names))
    for (a, b), r in pairs.items():
        rank_matrix[position[a], position[b]] = rank_matrix[position[b], position[a]] = r
    normal = 2.0 * np.sin(np.pi * rank_matrix / 6.0)
    np.fill_diagonal(normal, 1.0)
    try:
        cholesky = np.linalg.cholesky(normal)
    except np.linalg.LinAlgError:
        reader.add(
            "correlations",
            "these correlations can't hold together (the matrix is not positive definite)",
            {f"{a} ~ {b}": r for (a, b), r in pairs.items()},
            allowed="correlations that a joint distribution can have",
        )
        return None
    return Correlation(names, rank_matrix, normal, cholesky, tuple(sources))


def correlated_normals(correlation: Correlation, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draws of the copula's normals, shape ``(size, len(names))``."""
    w = rng.standard_normal((size, len(correlation.names)))
    return np.asarray(w @ correlation.cholesky.T)


def from_normal(belief: Distribution, z: np.ndarray) -> np.ndarray:
    """Map copula normals to an input with the given belief (numpy)."""
    if isinstance(belief, LogNormal):
        return np.exp(belief.mu + belief.sigma * z)
    if isinstance(belief, Normal) and not belief.truncated:
        return belief.mu + belief.sigma * z
    u = np.clip(special.ndtr(z), 1e-15, 1 - 1e-15)
    return np.asarray(belief.ppf(u), dtype=float)


def from_normal_tensor(belief: Distribution, z: Any) -> Any:
    """Map a copula normal to an input with the given belief (PyTensor).

    Raises
    ------
    ValueError
        For a belief with no closed quantile function here (a mixture).
    """
    import pytensor.tensor as pt

    if isinstance(belief, LogNormal):
        return pt.exp(belief.mu + belief.sigma * z)
    if isinstance(belief, Normal) and not belief.truncated:
        return belief.mu + belief.sigma * z
    u = 0.5 * pt.erfc(-z * math.sqrt(0.5))
    u = pt.clip(u, 1e-15, 1 - 1e-15)
    if isinstance(belief, Normal):
        low = special.ndtr((belief.lower - belief.mu) / belief.sigma)
        high = special.ndtr((belief.upper - belief.mu) / belief.sigma)
        p = low + u * (high - low)
        return belief.mu + belief.sigma * math.sqrt(2.0) * pt.erfinv(2.0 * p - 1.0)
    if isinstance(belief, Beta):
        return pt.betaincinv(belief.alpha, belief.beta, u)
    if isinstance(belief, Gamma):
        return pt.gammaincinv(belief.alpha, u) / belief.beta
    if isinstance(belief, Uniform):
        return belief.lower + (belief.upper - belief.lower) * u
    if isinstance(belief, Triangular):
        a, c, b = belief.lower, belief.mode, belief.upper
        split = (c - a) / (b - a)
        return pt.switch(
            u < split, a + pt.sqrt(u * (b - a) * (c - a)), b - pt.sqrt((1 - u) * (b - a) * (b - c))
        )
    raise ValueError(f"a correlated {type(belief).__name__} belief is not supported by NUTS")
