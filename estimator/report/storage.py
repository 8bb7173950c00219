"""Writing ``posterior.nc``: the estimate's DataTree (see
:mod:`estimator.inference.datatree`) as netCDF, atomically."""

from __future__ import annotations

from pathlib import Path

from estimator.atomic import atomic_write_bytes
from estimator.inference.estimation import Estimate


def write_posterior(result: Estimate, path: str | Path) -> Path:
    """Write ``posterior.nc`` atomically."""
    data = result.to_datatree().to_netcdf(engine="h5netcdf")
    return atomic_write_bytes(path, bytes(data))
