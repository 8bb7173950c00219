"""Reading ``correlations.toml``: rank correlations between inputs, checked and turned into
the Gaussian copula of :mod:`estimator.model.copula`."""

from __future__ import annotations

from typing import Any

import numpy as np

from estimator.errors import did_you_mean, listing
from estimator.model.beliefs import Prior
from estimator.model.copula import Correlation
from estimator.model.distributions import Fixed
from estimator.spec.priors import read_source
from estimator.spec.tomlread import Reader

CORRELATION_KEYS = ("inputs", "rank", "source", "url", "date", "note")


def read_correlations(
    reader: Reader, doc: dict[str, Any], priors: dict[str, Prior], inputs: list[str]
) -> Correlation | None:
    """Read ``[[correlations]]`` tables; problems are recorded on ``reader``.

    ``priors`` are the beliefs that could be read, ``inputs`` every input of the model: an
    input whose belief could not be read (a problem reported in its own file) is skipped
    here without a word.
    """
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
            if name not in priors and name in inputs:
                bad = True
            elif name not in priors:
                reader.add_reference(
                    f"{key}.inputs",
                    "unknown input",
                    name,
                    allowed=listing(inputs),
                    hint=did_you_mean(name, inputs),
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
