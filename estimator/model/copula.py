"""Correlated inputs as a Gaussian copula, the same way in the Monte Carlo (numpy) and in
the PyMC model (PyTensor).

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

from estimator.model.beliefs import Source
from estimator.model.distributions import (
    Beta,
    Distribution,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)


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
