"""The provenance stamp every result carries: what went in, with which software and seed."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from typing import Any

PACKAGES = (
    "estimator",
    "numpy",
    "scipy",
    "pint",
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "arviz-base",
    "arviz-stats",
    "xarray",
    "salib",
)


def versions() -> dict[str, str]:
    """Installed versions of Python and the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def stamp(inputs_sha256: str, seed: int, draws: int, **settings: Any) -> dict[str, Any]:
    """A provenance record: input hash, versions, seed, draws and any sampler settings.

    ``created`` is the only field that differs between two runs of the same inputs; set
    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention) to fix
    it too.
    """
    return {
        "inputs_sha256": inputs_sha256,
        "versions": versions(),
        "seed": seed,
        "draws": draws,
        **settings,
        "created": created().isoformat(timespec="seconds"),
    }


def created() -> dt.datetime:
    """Now, or the time in ``SOURCE_DATE_EPOCH`` when that holds a whole number."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed.isdigit():
        return dt.datetime.fromtimestamp(int(fixed), dt.UTC)
    return dt.datetime.now(dt.UTC)
