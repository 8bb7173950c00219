"""``uv run python -m benchmarks.sbc_figure --out DIR [--power SEEDS]``: the
simulation-based calibration figure, ``DIR/sbc.png``, and optionally the band check's
power.

The slow SBC of ``tests/inference/test_calibration.py`` (same lab, seeds and replicates,
built by :mod:`tests.inference.sbc`), drawn with ArviZ's ``plot_ecdf_pit``: for each
target quantity, the ECDF of the PITs minus the uniform CDF, inside the simultaneous band
the test holds it to (same level, simulations and seed). The quick path's panels come
first, then NUTS's, then the quick path's fitted with the claims' noise x0.7 and x1.5:
wrong fits, which must leave the band.

With ``--power SEEDS``, the quick path's slow SBC is repeated for ``SEEDS`` other pairs of
seeds (fresh prior sample, truths and claims), fitted correctly and with each deliberate
error of the tests, and the share of runs failing the band check is printed: the false
alarm rate and the power.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from estimator.inference.forward import simulate
from estimator.spec.lab import LabSpec
from tests.inference import sbc
from tests.inference.sbc import (
    FIT_SEED,
    NUTS_REPLICATES,
    NUTS_SEED,
    SLOW_REPLICATES,
    TRUTH_SEED,
)


def panels(pits: dict[str, np.ndarray], title: str, path: Path) -> np.ndarray:
    """One row of Δ-ECDF panels, one per target, with the band the test holds them to,
    written to ``path``; its pixels.

    ``plot_ecdf_pit`` draws the Δ-ECDFs; the band is drawn on them as its "envelope"
    method would (that method fails in arviz-plots 1.3.2: it gives ``np.linspace`` a
    DataArray for the number of points), from :func:`tests.inference.sbc.band`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    import xarray as xr
    from arviz_base import from_dict
    from arviz_plots import plot_ecdf_pit
    from arviz_plots.visuals import fill_between_y

    tree = from_dict({"prior_sbc": {name: values[None, :] for name, values in pits.items()}})
    assert isinstance(tree, xr.DataTree)
    count = len(next(iter(pits.values())))
    edges = sbc.band(count, sbc.per_target())
    x = np.concatenate(([0.0], edges.x, [1.0]))
    collection = plot_ecdf_pit(
        tree,
        envelope_prob=sbc.per_target(),
        visuals={"suspicious_points": False, "p_value_text": False, "ylabel": {}},
        backend="matplotlib",
        col_wrap=len(pits),
        figure_kwargs={"figsize": (4.0 * len(pits), 3.4)},
    )
    collection.map(
        fill_between_y,
        "band",
        data=tree["prior_sbc"].to_dataset(),
        x=x,
        y_bottom=np.concatenate(([0.0], edges.lower, [1.0])) - x,
        y_top=np.concatenate(([0.0], edges.upper, [1.0])) - x,
        step=True,
        color="B1",
        alpha=0.15,
        ignore_aes=collection.aes_set,
    )
    collection.add_title(title, size=13, y=1.04)
    collection.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.15)
    plt.close("all")
    return np.asarray(mpimg.imread(path))


def stacked(images: list[np.ndarray]) -> np.ndarray:
    """Images one above the other, padded with white to the widest."""
    width = max(image.shape[1] for image in images)
    rows = []
    for image in images:
        pad = np.ones((image.shape[0], width - image.shape[1], image.shape[2]), image.dtype)
        rows.append(np.concatenate([image, pad], axis=1))
    return np.concatenate(rows, axis=0)


#: The fits of the power check: the correct one, then the deliberately wrong ones.
FITS: dict[str, sbc.Fit] = {
    "correct": sbc.correct,
    "noise x0.7": sbc.noise_times(0.7),
    "noise x1.5": sbc.noise_times(1.5),
    "mixture ignored": sbc.without_mixture,
}


def power(spec: LabSpec, seeds: int) -> dict[str, float]:
    """The share of ``seeds`` quick-path SBC runs (the slow test's size, other seeds) that
    fail the band check, for each fit of :data:`FITS`."""
    failed = dict.fromkeys(FITS, 0)
    for k in range(seeds):
        draws = simulate(spec, sbc.FIT_DRAWS, seed=10_000 + 2 * k)
        replicates = sbc.simulate_replicates(spec, SLOW_REPLICATES, 10_001 + 2 * k, draws.values)
        for name, fit in FITS.items():
            failed[name] += bool(sbc.outside(sbc.quick_path(spec, replicates, draws, fit).pits))
        print(f"  {k + 1}/{seeds} runs: " + ", ".join(f"{n} {f}" for n, f in failed.items()))
    return {name: count / seeds for name, count in failed.items()}


def figure(out: Path) -> Path:
    """Run the slow SBC on both paths and write its figure to ``out/sbc.png``: the quick
    path, NUTS, then the quick path fitted with each deliberately wrong noise."""
    import matplotlib.image as mpimg

    out.mkdir(parents=True, exist_ok=True)
    level = f"band {sbc.LEVEL:.0%} family-wise ({sbc.per_target():.2%} per quantity)"
    with tempfile.TemporaryDirectory() as folder:
        spec = sbc.sbc_lab(Path(folder) / "sbc")
        draws = simulate(spec, sbc.FIT_DRAWS, seed=FIT_SEED)
        replicates = sbc.simulate_replicates(spec, SLOW_REPLICATES, TRUTH_SEED, draws.values)
        start = time.perf_counter()
        quick = sbc.quick_path(spec, replicates, draws)
        seconds = time.perf_counter() - start
        assert quick.khat is not None
        assert quick.ess is not None
        print(
            f"quick path: {SLOW_REPLICATES} replicates in {seconds:.1f} s; Pareto k-hat > 0.7 "
            f"in {np.mean(quick.khat > 0.7):.1%}, median ESS {np.median(quick.ess):,.0f}"
        )
        start = time.perf_counter()
        nuts = sbc.nuts_path(spec, replicates, NUTS_REPLICATES, NUTS_SEED)
        seconds = time.perf_counter() - start
        assert nuts.divergences is not None
        print(
            f"NUTS: {NUTS_REPLICATES} replicates in {seconds:.1f} s; divergent transitions in "
            f"{np.count_nonzero(nuts.divergences)} fits ({nuts.divergences.sum()} in all)"
        )
        rows = [
            (
                "quick path",
                f"Quick path (importance sampling): {SLOW_REPLICATES} replicates",
                quick,
            ),
            ("NUTS", f"NUTS: {NUTS_REPLICATES} replicates", nuts),
        ]
        for factor in (0.7, 1.5):
            wrong = sbc.quick_path(spec, replicates, draws, sbc.noise_times(factor))
            title = (
                f"Quick path fitted with the claims' noise x{factor} (wrong: must leave the band)"
            )
            rows.append((f"quick path, noise x{factor}", title, wrong))
        images = []
        for index, (label, title, result) in enumerate(rows):
            found = sbc.outside(result.pits)
            verdict = "; ".join(f"{n} {d}" for n, d in found.items()) or "inside the band"
            print(f"{label}: {verdict}")
            image = panels(result.pits, f"{title}; {level}", Path(folder) / f"{index}.png")
            images.append(image)
    path = out / "sbc.png"
    mpimg.imsave(path, stacked(images))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="folder to write sbc.png in")
    parser.add_argument(
        "--power", type=int, default=0, metavar="SEEDS", help="measure power over SEEDS runs"
    )
    args = parser.parse_args()
    if args.out is None and not args.power:
        parser.error("nothing to do: give --out, --power or both")
    if args.out is not None:
        print(f"wrote {figure(args.out)}")
    if args.power:
        with tempfile.TemporaryDirectory() as folder:
            shares = power(sbc.sbc_lab(Path(folder) / "sbc"), args.power)
        print(f"share of {args.power} runs failing the band check ({sbc.LEVEL:.0%} family-wise):")
        for name, share in shares.items():
            print(f"  {name:16s} {share:.2f}")


if __name__ == "__main__":
    main()
