"""The ``estimator`` command line: a thin layer over the library.

Heavy libraries are imported inside the commands, so ``estimator --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from estimator.spec import LabSpec

EXIT_BAD_INPUT = 2


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="estimator")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="estimator")
def cli() -> None:
    """An auditable Bayesian / Monte Carlo estimate of what an AI lab has really spent.

    Each lab is a folder of priors and claims, e.g. priors/deepseek.
    """


def _fail_on_bad_input(error: Exception) -> NoReturn:
    click.echo(click.style("error: ", fg="red", bold=True) + str(error), err=True)
    sys.exit(EXIT_BAD_INPUT)


def _load(folder: str) -> LabSpec:
    from estimator.errors import SpecError
    from estimator.spec import load_lab

    try:
        spec = load_lab(folder)
    except SpecError as error:
        _fail_on_bad_input(error)
    for warning in spec.warnings:
        click.echo(click.style("warning: ", fg="yellow") + warning, err=True)
    return spec


@cli.command()
@click.argument("priors_dir", type=click.Path(file_okay=False, path_type=str))
def validate(priors_dir: str) -> None:
    """Check a lab folder's files and report every problem at once (exit 2 if any)."""
    spec = _load(priors_dir)
    click.echo(
        f"{priors_dir}: OK — {len(spec.priors)} inputs "
        f"({len(spec.stochastic_inputs)} uncertain), "
        f"{len(spec.model.quantities)} named quantities."
    )


@cli.command()
@click.argument("priors_dir", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--draws",
    type=click.IntRange(min=1000),
    default=None,
    help="Monte Carlo draws [default: 200,000].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; the same inputs and seed give the same numbers.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: reports/<lab>].",
)
def run(priors_dir: str, draws: int | None, seed: int, out: Path | None) -> None:
    """Estimate a lab's spend and write summary.json."""
    from estimator.atomic import atomic_write_text
    from estimator.forward import estimate_prior
    from estimator.simulate import DEFAULT_DRAWS
    from estimator.terminal import print_quantities

    spec = _load(priors_dir)
    result = estimate_prior(spec, draws or DEFAULT_DRAWS, seed)
    folder = out if out is not None else Path("reports") / Path(priors_dir).resolve().name
    path = atomic_write_text(folder / "summary.json", json.dumps(result.to_dict(), indent=2) + "\n")
    print_quantities(result)
    click.echo(f"wrote {path}")
