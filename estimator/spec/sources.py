"""Reading ``sources.toml``: who makes the ledger's claims, as entities the claims name.

Each ``[sources.<id>]`` is one analysis, publication or party: its ``name``, its
credibility ``class``, optionally its own ``reliability`` (otherwise its class's, learned
from the ledger) and ``bias``, the log-scale sd of the bias its claims share (otherwise
its class's default noise; see :mod:`estimator.model.evidence`). A claim names its
source with ``by = "<id>"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.claims import CREDIBILITY, MAX_NOISE
from estimator.model.evidence import SourceEntity
from estimator.spec.claims import ID_PATTERN, misspelt
from estimator.spec.tomlread import Reader

SOURCE_KEYS = ("name", "credibility", "reliability", "bias", "url", "note")
#: What each required key of a source holds, as a message says what is allowed.
REQUIRED_SOURCE_KEYS = {
    "name": "who published what, as text, e.g. 'SemiAnalysis, DeepSeek Debates'",
    "credibility": f"one of {listing(CREDIBILITY)}",
}


def read_sources(reader: Reader, doc: dict[str, Any]) -> dict[str, SourceEntity]:
    """Read and validate every source of a ``sources.toml`` document.

    Records every problem on ``reader``; returns the sources that were valid, by id.
    """
    reader.check_keys(doc, "", ("sources",))
    table = doc.get("sources", {})
    if not isinstance(table, dict):
        reader.add(
            "sources",
            "sources must be [sources.<id>] tables",
            table,
            allowed="one [sources.<id>] table per source, with name and credibility",
        )
        return {}
    out: dict[str, SourceEntity] = {}
    for source_id, entry in table.items():
        key = f"sources.{source_id}"
        if not ID_PATTERN.match(source_id):
            reader.add(
                key,
                "invalid source id",
                source_id,
                allowed="letters, digits, '_', '-' and '.', starting with a letter or digit",
            )
            continue
        if not isinstance(entry, dict):
            reader.add(
                key,
                "a source must be a table",
                entry,
                allowed=f"a [{key}] table with name and credibility (keys: {listing(SOURCE_KEYS)})",
            )
            continue
        source = _read_source(reader, entry, key, source_id)
        if source is not None:
            out[source_id] = source
    return out


def _read_source(
    reader: Reader, entry: dict[str, Any], key: str, source_id: str
) -> SourceEntity | None:
    before = reader.count
    reader.check_keys(entry, key, SOURCE_KEYS)
    meant = misspelt(entry, SOURCE_KEYS)
    for required, allowed in REQUIRED_SOURCE_KEYS.items():
        if required not in entry and required not in meant:
            reader.add(f"{key}.{required}", "missing required key", allowed=allowed)
    name = reader.string(entry, "name", key, required=True, max_length=500)
    credibility = entry.get("credibility")
    if credibility is not None and (
        not isinstance(credibility, str) or credibility not in CREDIBILITY
    ):
        reader.add(
            f"{key}.credibility",
            "unknown credibility class",
            credibility,
            allowed=listing(CREDIBILITY),
            hint=did_you_mean(str(credibility), list(CREDIBILITY)),
        )
    reliability = _reliability(reader, entry, key)
    bias = _bias(reader, entry, key)
    url = reader.string(entry, "url", key)
    note = reader.string(entry, "note", key)
    if reader.count > before or name is None or not isinstance(credibility, str):
        return None
    return SourceEntity(
        id=source_id,
        name=name,
        credibility=credibility,
        reliability=reliability,
        bias=bias,
        url=url,
        note=note,
    )


def _bias(reader: Reader, entry: dict[str, Any], key: str) -> float | None:
    """The log-scale sd of a source's shared bias, in [0, 3], or ``None`` when absent."""
    allowed = f"a log-scale sd in [0, {MAX_NOISE:g}] (0: no shared bias)"
    return _bounded(reader, entry, "bias", key, lambda x: 0.0 <= x <= MAX_NOISE, allowed)


def _reliability(reader: Reader, entry: dict[str, Any], key: str) -> float | None:
    """A source's prior reliability, in (0, 1], or ``None`` when absent (its class's)."""
    allowed = "a probability in (0, 1] (without it: the class's, learned from the ledger)"
    return _bounded(reader, entry, "reliability", key, lambda x: 0.0 < x <= 1.0, allowed)


def _bounded(
    reader: Reader,
    entry: dict[str, Any],
    name: str,
    key: str,
    inside: Callable[[float], bool],
    allowed: str,
) -> float | None:
    """The number at ``name`` when it is ``inside`` its range; ``None`` when absent or
    not (recorded)."""
    if name not in entry:
        return None
    value = reader.number(entry, name, key, allowed)
    if value is not None and not inside(value):
        reader.add(f"{key}.{name}", f"{name} out of range", entry[name], allowed=allowed)
        return None
    return value
