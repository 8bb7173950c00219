"""The ``estimator`` command line: a thin layer over the library.

Heavy libraries are imported inside the commands, so ``estimator --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

import click

if TYPE_CHECKING:
    from estimator.posterior import Method
    from estimator.spec import LabSpec

EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS_FAILED = 3


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
    "--method",
    type=click.Choice(["auto", "nuts", "is"]),
    default="auto",
    show_default=True,
    help="is: reweight prior draws (quick); nuts: sample with NUTS; "
    "auto: the quick path when its diagnostics allow, NUTS otherwise.",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1000),
    default=None,
    help="Prior Monte Carlo draws [default: 524,288]; the first 524,288 at most are "
    "also the quick path's proposal.",
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
def run(priors_dir: str, method: str, draws: int | None, seed: int, out: Path | None) -> None:
    """Estimate a lab's spend; write summary.json and posterior.nc.

    Exits with 3 when the sampler diagnostics fail (no headline interval is published).
    """
    from rich.console import Console

    from estimator.assess import assess
    from estimator.posterior import POSTERIOR_DRAWS
    from estimator.report import write_report
    from estimator.storage import write_posterior
    from estimator.summary_json import write_summary
    from estimator.terminal import print_assessment

    spec = _load(priors_dir)
    console = Console()
    folder = out if out is not None else Path("reports") / Path(priors_dir).resolve().name
    with console.status("starting") as status:
        assessment = assess(
            spec, cast("Method", method), draws or POSTERIOR_DRAWS, seed, step=status.update
        )
        status.update("writing summary.json, posterior.nc and the report")
        summary = write_summary(assessment, folder / "summary.json")
        posterior = write_posterior(assessment.estimate, folder / "posterior.nc")
        report = write_report(assessment.estimate, assessment.verdicts, assessment.answers, folder)
    print_assessment(assessment, console)
    console.print(f"wrote {summary}, {posterior}, {report.markdown} and {report.html}")
    if not assessment.estimate.diagnostics.passed:
        sys.exit(EXIT_DIAGNOSTICS_FAILED)


@cli.command()
@click.argument("priors_dir", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--method",
    type=click.Choice(["auto", "nuts", "is"]),
    default="auto",
    show_default=True,
    help="How to compute the posterior (see `run`).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed."
)
def check(priors_dir: str, method: str, seed: int) -> None:
    """Judge every claim against the rest of the evidence, and answer the questions.

    Prints each claim's verdict (consistent, in tension, contradicted), its tail
    probability and reliability, and the lab's questions; writes nothing.
    """
    from rich.console import Console

    from estimator.assess import assess
    from estimator.terminal import print_assessment

    spec = _load(priors_dir)
    console = Console()
    with console.status("starting") as status:
        assessment = assess(spec, cast("Method", method), seed=seed, step=status.update)
    print_assessment(assessment, console, quantities=False)
    if not assessment.estimate.diagnostics.passed:
        sys.exit(EXIT_DIAGNOSTICS_FAILED)
