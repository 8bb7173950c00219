"""The prior-draw cache: the same numbers with it and without it, a hit that draws
nothing, and a damaged, stale or oversized cache never trusted."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import estimator.inference.forward as forward
from estimator.inference.chunks import draw_description, drawn_names
from estimator.inference.draw_cache import MANIFEST, PREFIX, VALUES_PREFIX, DrawCache, draws_key
from estimator.inference.estimation import estimate
from estimator.inference.forward import simulate
from estimator.model.distributions import LogNormal
from estimator.spec.lab import LabSpec

DRAWS = 20_000
CHUNK = 4096


def _entries(cache: DrawCache, prefix: str = PREFIX) -> list[Path]:
    return sorted(p for p in cache.folder.iterdir() if p.name.startswith(prefix))


def _no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("drew afresh although the cache holds the draws")

    monkeypatch.setattr(forward, "draw_chunk", refuse)
    monkeypatch.setattr(forward, "_evaluated", refuse)


def test_the_same_draws_with_and_without_the_cache(
    toy_spec: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DrawCache(tmp_path / ".cache")
    plain = simulate(toy_spec, DRAWS, 4, CHUNK)
    stored = simulate(toy_spec, DRAWS, 4, CHUNK, cache=cache)
    assert len(_entries(cache)) == 1
    _no_drawing(monkeypatch)
    read = simulate(toy_spec, DRAWS, 4, CHUNK, cache=cache)
    assert plain.values.keys() == read.values.keys()
    for name, values in plain.values.items():
        np.testing.assert_array_equal(values, stored[name], err_msg=name)
        np.testing.assert_array_equal(values, read[name], err_msg=name)


def test_an_estimate_is_identical_from_the_cache(toy_spec: LabSpec, tmp_path: Path) -> None:
    cache = DrawCache(tmp_path / ".cache")
    plain = estimate(toy_spec, "is", draws=DRAWS, seed=2)
    estimate(toy_spec, "is", draws=DRAWS, seed=2, cache=cache)
    cached = estimate(toy_spec, "is", draws=DRAWS, seed=2, cache=cache)
    assert cached.posterior == plain.posterior
    assert cached.reliability == plain.reliability
    assert cached.diagnostics.details == plain.diagnostics.details


def test_the_key_follows_the_prior_and_not_the_ledger(toy_spec: LabSpec) -> None:
    def key(spec: LabSpec, seed: int = 0, draws: int = DRAWS) -> str:
        return draws_key(draw_description(spec, seed, draws, CHUNK))

    base = key(toy_spec)
    assert key(toy_spec) == base
    assert key(dataclasses.replace(toy_spec, claims=toy_spec.claims[:1])) == base
    assert key(dataclasses.replace(toy_spec, questions=())) == base
    assert key(toy_spec, seed=1) != base
    assert key(toy_spec, draws=DRAWS + 1) != base
    name = next(n for n in toy_spec.stochastic_inputs if n in toy_spec.model.input_names)
    changed = dict(toy_spec.priors)
    changed[name] = dataclasses.replace(toy_spec.priors[name], belief=LogNormal(0.0, 0.5))
    assert key(dataclasses.replace(toy_spec, priors=changed)) != base


@pytest.mark.parametrize("kind", [PREFIX, VALUES_PREFIX])
@pytest.mark.parametrize("damage", ["bytes", "truncated", "manifest", "key", "names", "format"])
def test_a_damaged_entry_is_drawn_afresh(
    toy_spec: LabSpec, tmp_path: Path, damage: str, kind: str
) -> None:
    """Either kind of entry (the random draws, or the quantities evaluated from them),
    damaged in any way: the numbers are those drawn afresh, and the damage is gone."""
    cache = DrawCache(tmp_path / ".cache")
    plain = simulate(toy_spec, DRAWS, 5, CHUNK, cache=cache)
    (entry,) = _entries(cache, kind)
    if kind == PREFIX:  # so that the draws are read: the evaluated quantities are gone
        shutil.rmtree(_entries(cache, VALUES_PREFIX)[0])
    manifest = json.loads((entry / MANIFEST).read_text())
    first = entry / next(iter(manifest["arrays"].values()))["file"]
    if damage == "bytes":
        raw = bytearray(first.read_bytes())
        raw[-8:] = b"\x00\x01\x02\x03\x04\x05\x06\x07"
        first.write_bytes(bytes(raw))
    elif damage == "truncated":
        first.write_bytes(first.read_bytes()[:-800])
    elif damage == "manifest":
        (entry / MANIFEST).write_text("{not json")
    else:
        if damage == "key":
            manifest["key"] = "0" * 64
        elif damage == "names":
            manifest["arrays"]["an.unknown.input"] = manifest["arrays"].popitem()[1]
        else:
            manifest["format"] = -1
        (entry / MANIFEST).write_text(json.dumps(manifest))
    for attempt in range(2):  # the damage found, then the cache as it is left
        again = simulate(toy_spec, DRAWS, 5, CHUNK, cache=cache)
        for name, values in plain.values.items():
            np.testing.assert_array_equal(values, again[name], err_msg=f"{attempt} {name}")
    key = draws_key(draw_description(toy_spec, 5, DRAWS, CHUNK))
    assert cache.load(key, drawn_names(toy_spec), DRAWS) is not None
    assert len(_entries(cache, PREFIX)) == len(_entries(cache, VALUES_PREFIX)) == 1


def test_evaluated_quantities_are_read_as_they_are_used(
    toy_spec: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm run evaluates nothing and reads only the quantities it asks for."""
    cache = DrawCache(tmp_path / ".cache")
    plain = simulate(toy_spec, DRAWS, 9, CHUNK, cache=cache)
    monkeypatch.setattr(forward, "_evaluated", _refuse)
    warm = simulate(toy_spec, DRAWS, 9, CHUNK, cache=cache)
    np.testing.assert_array_equal(plain["spend.total"], warm["spend.total"])
    assert len(warm.values) == len(plain.values)
    assert len(warm.values._found) == 1  # type: ignore[attr-defined]
    assert not warm["spend.total"].flags.writeable


def test_the_least_recently_used_entries_go_past_the_limit(tmp_path: Path) -> None:
    roomy = DrawCache(tmp_path / ".cache")
    arrays = {"x": np.arange(10_000.0), "y": np.ones(10_000)}
    keys = {name: draws_key({"entry": name}) for name in ("a", "b", "c", "d")}
    for name in "abc":
        roomy.store(keys[name], arrays)
    one = sum(f.stat().st_size for f in _entries(roomy)[0].iterdir())
    now = time.time()
    for age, name in enumerate("bac"):  # c used longest ago, then a, then b
        stamp = now - 100 * (age + 1)
        os.utime(roomy.folder / f"{PREFIX}{keys[name][:32]}" / MANIFEST, (stamp, stamp))
    DrawCache(roomy.folder, limit=int(2.5 * one)).store(keys["d"], arrays)
    kept = {p.name for p in _entries(roomy)}
    assert kept == {f"{PREFIX}{keys[name][:32]}" for name in "bd"}


def _refuse(*_: object) -> None:
    raise AssertionError("evaluated afresh although the cache holds the quantities")


def test_a_cache_that_cannot_be_written_changes_nothing(toy_spec: LabSpec, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = DrawCache(blocker / ".cache")
    plain = simulate(toy_spec, DRAWS, 6, CHUNK)
    written = simulate(toy_spec, DRAWS, 6, CHUNK, cache=cache)
    np.testing.assert_array_equal(plain["spend.total"], written["spend.total"])


def test_leftover_staging_folders_are_cleared(toy_spec: LabSpec, tmp_path: Path) -> None:
    cache = DrawCache(tmp_path / ".cache")
    cache.folder.mkdir()
    stale = cache.folder / ".staging-old"
    stale.mkdir()
    (stale / "0000.npy").write_bytes(b"half written")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = cache.folder / ".staging-running"
    fresh.mkdir()
    simulate(toy_spec, DRAWS, 7, CHUNK, cache=cache)
    assert not stale.exists()
    assert fresh.exists()  # another run may be writing it
    cache.clear()
    assert list(cache.folder.iterdir()) == []


def test_a_write_that_fails_midway_leaves_no_entry(
    toy_spec: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk filling up while an entry is written: the run goes on with the same
    numbers, and no partial entry is left to be read later."""
    cache = DrawCache(tmp_path / ".cache")
    real_save = np.save
    saved = []

    def failing_save(path: object, data: np.ndarray, **kwargs: object) -> None:
        saved.append(path)
        if len(saved) >= 3:  # the disk is full from the third array on
            raise OSError(28, "No space left on device", str(path))
        real_save(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", failing_save)
    plain = simulate(toy_spec, DRAWS, 8, CHUNK)
    written = simulate(toy_spec, DRAWS, 8, CHUNK, cache=cache)
    np.testing.assert_array_equal(plain["spend.total"], written["spend.total"])
    assert list(cache.folder.iterdir()) == []


def test_another_window_evaluates_the_same_cached_draws(
    toy_spec: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the equations compute changes with the window (and with the periods new
    claims ask about); the random draws do not, and are read back, not redrawn."""
    from estimator.spec.lab import with_window

    cache = DrawCache(tmp_path / ".cache")
    simulate(toy_spec, DRAWS, 10, CHUNK, cache=cache)
    window = toy_spec.model.window
    narrower = with_window(toy_spec, f"{window.start}..{window.start.replace(day=28)}")
    plain = simulate(narrower, DRAWS, 10, CHUNK)
    monkeypatch.setattr(forward, "draw_chunk", _refuse)
    cached = simulate(narrower, DRAWS, 10, CHUNK, cache=cache)
    for name, values in plain.values.items():
        np.testing.assert_array_equal(values, cached[name], err_msg=name)
    assert len(_entries(cache, VALUES_PREFIX)) == 2
