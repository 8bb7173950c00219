"""A cache on disk of the prior's random draws, so that the daily loop (add a claim, see
what it moves) does not redraw a prior that has not changed.

What is cached is what the random number generators produce: every uncertain input and
every measurement parameter of the claims, for a seed and a number of draws. The cost
equations are evaluated from them on each run (they are cheap, and they depend on the
window and on the periods the claims and questions ask about), so the draws of every
quantity are exactly those of a run without the cache.

An entry's key is the hash of everything that decides those draws: each input's belief,
the rank correlations, the measurement parameters' priors, seed, draws and chunk size,
the versions of numpy and scipy, and the source of the code that draws them. The claims,
the questions and the window are not in it: a new claim finds its prior's draws.

Each entry is a folder of ``.npy`` files (read without pickle) and a manifest holding the
format version, the key, and each file's name, length and CRC-32. It is written under a
temporary name and renamed into place, so a reader sees a whole entry or none. An entry
whose manifest, key, names, lengths or checksums disagree is removed and drawn afresh,
never trusted. Past :attr:`DrawCache.limit` bytes the least recently used entries go.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from estimator.atomic import atomic_write_text

#: Bumped whenever the layout of an entry changes; entries of another format are drawn
#: afresh.
FORMAT = 1
#: The cache's size limit unless ``ESTIMATOR_CACHE_BYTES`` says otherwise: a DeepSeek-sized
#: lab takes about 180 MB an entry.
DEFAULT_LIMIT = 2 * 2**30
LIMIT_VARIABLE = "ESTIMATOR_CACHE_BYTES"
#: The modules whose code decides the draws: a change to any of them is a new key.
DRAWING_CODE = (
    "estimator.inference.chunks",
    "estimator.model.distributions",
    "estimator.model.copula",
    "estimator.model.evidence",
    "estimator.model.claims",
)
MANIFEST = "manifest.json"
PREFIX = "draws-"
#: Entries of evaluated quantities (:meth:`DrawCache.open`), beside those of draws.
VALUES_PREFIX = "values-"
PREFIXES = (PREFIX, VALUES_PREFIX)


def default_limit() -> int:
    """The size limit in bytes: ``ESTIMATOR_CACHE_BYTES`` if set to a whole number, else
    :data:`DEFAULT_LIMIT`."""
    text = os.environ.get(LIMIT_VARIABLE, "")
    return int(text) if text.isdigit() else DEFAULT_LIMIT


def draws_key(description: Mapping[str, Any]) -> str:
    """The key of the draws that ``description`` decides (a JSON-able mapping), with the
    format, the library versions and the drawing code folded in."""
    import importlib

    import scipy

    digest = hashlib.sha256()
    for module in DRAWING_CODE:
        source = importlib.import_module(module).__file__
        assert source is not None
        digest.update(Path(source).read_bytes())
    payload = {
        "format": FORMAT,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "code": digest.hexdigest(),
        **description,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class DrawCache:
    """The prior-draw cache in one folder (e.g. ``reports/<lab>/.cache``).

    Attributes
    ----------
    folder : Path
        Where the entries live; made when the first one is stored.
    limit : int
        Bytes the entries may take together; the least recently used go first.
    """

    folder: Path
    limit: int = DEFAULT_LIMIT

    def load(
        self, key: str, names: Iterable[str], size: int, prefix: str = PREFIX
    ) -> dict[str, np.ndarray] | None:
        """The cached arrays of ``names`` for ``key``, each of ``size`` draws; ``None``
        when there is no whole, valid entry (a damaged or stale one is removed)."""
        entry = self.folder / f"{prefix}{key[:32]}"
        records = _records(entry, key, names)
        arrays = None
        if records is not None:
            found = {n: _array(entry, r, size, mapped=False) for n, r in records.items()}
            if all(a is not None for a in found.values()):
                arrays = {n: a for n, a in found.items() if a is not None}
        if arrays is None:
            if entry.exists():  # damaged or stale
                shutil.rmtree(entry, ignore_errors=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(entry / MANIFEST)  # recently used: evicted last
        return arrays

    def open(
        self,
        key: str,
        names: Iterable[str],
        size: int,
        rebuild: Callable[[], Mapping[str, np.ndarray]],
    ) -> MappedArrays | None:
        """The evaluated arrays stored under ``key`` (:data:`VALUES_PREFIX`), each read
        from disk when first used and checked against its checksum then; ``None`` when
        there is no entry with exactly ``names``. Should an array turn out damaged, the
        entry is removed and every array comes from ``rebuild()`` instead."""
        entry = self.folder / f"{VALUES_PREFIX}{key[:32]}"
        records = _records(entry, key, names)
        if records is None:
            if entry.exists():  # damaged or stale
                shutil.rmtree(entry, ignore_errors=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(entry / MANIFEST)
        return MappedArrays(entry, records, size, rebuild)

    def store(self, key: str, arrays: Mapping[str, np.ndarray], prefix: str = PREFIX) -> None:
        """Store ``arrays`` under ``key`` atomically, then keep the cache within its
        limit. A failure to write leaves the cache as it was (the run goes on)."""
        entry = self.folder / f"{prefix}{key[:32]}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.folder))
        except OSError:
            return
        try:
            files = {}
            for number, name in enumerate(sorted(arrays)):
                data = np.ascontiguousarray(arrays[name], dtype=np.float64)
                file = f"{number:04d}.npy"
                np.save(staging / file, data, allow_pickle=False)
                files[name] = {"file": file, "length": len(data), "crc32": _crc(data)}
            manifest = {"format": FORMAT, "key": key, "created": time.time(), "arrays": files}
            atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=1))
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)
            staging.rename(entry)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            return
        self.evict(keep=entry)

    def evict(self, keep: Path | None = None) -> None:
        """Remove the least recently used entries until the rest fit in :attr:`limit`
        (never ``keep``, the entry just written), and any staging folder left by a run
        that was stopped."""
        if not self.folder.is_dir():
            return
        entries = []
        for path in self.folder.iterdir():
            if path.name.startswith(".staging-") and _older_than(path, 3600):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith(PREFIXES) and path.is_dir():
                entries.append((_last_used(path), _size(path), path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.limit:
                break
            if path != keep:
                shutil.rmtree(path, ignore_errors=True)
                total -= size

    def clear(self) -> None:
        """Remove every entry."""
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.name.startswith((*PREFIXES, ".staging-")):
                    shutil.rmtree(path, ignore_errors=True)


class MappedArrays(Mapping[str, np.ndarray]):
    """An entry's arrays, memory-mapped read-only as each is first asked for, after its
    length and checksum are checked; if one fails, ``rebuild()`` gives them all."""

    def __init__(
        self,
        entry: Path,
        records: Mapping[str, Any],
        size: int,
        rebuild: Callable[[], Mapping[str, np.ndarray]],
    ) -> None:
        self._entry = entry
        self._records = dict(records)
        self._size = size
        self._rebuild = rebuild
        self._found: dict[str, np.ndarray] = {}
        self._rebuilt: Mapping[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> np.ndarray:
        if self._rebuilt is not None:
            return self._rebuilt[name]
        if name in self._found:
            return self._found[name]
        data = _array(self._entry, self._records[name], self._size, mapped=True)
        if data is None:
            with self._lock:
                if self._rebuilt is None:
                    shutil.rmtree(self._entry, ignore_errors=True)
                    self._rebuilt = self._rebuild()
            return self._rebuilt[name]
        self._found[name] = data
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


def _records(entry: Path, key: str, names: Iterable[str]) -> dict[str, Any] | None:
    """The manifest's record of each array of an entry, when the entry is of this format,
    for ``key`` and holds exactly ``names``; ``None`` otherwise (or when there is none)."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        if manifest.get("format") != FORMAT or manifest.get("key") != key:
            return None
        records = dict(manifest["arrays"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return records if sorted(records) == sorted(names) else None


def _array(entry: Path, record: Mapping[str, Any], size: int, mapped: bool) -> np.ndarray | None:
    """One stored array (memory-mapped read-only when ``mapped``), or ``None`` when it
    can't be read or its type, length or checksum is not the manifest's."""
    try:
        path = entry / str(record["file"])
        if mapped:
            data = np.load(path, mmap_mode="r", allow_pickle=False)
        else:
            data = np.load(path, allow_pickle=False)
        whole = data.dtype == np.float64 and data.shape == (size,) == (record["length"],)
        return data if whole and _crc(data) == record["crc32"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _crc(data: np.ndarray) -> int:
    return zlib.crc32(memoryview(data).cast("B"))


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def _last_used(path: Path) -> float:
    try:
        return (path / MANIFEST).stat().st_mtime
    except OSError:
        return 0.0


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False
