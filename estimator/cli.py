"""The ``estimator`` command line: a thin layer over the library.

Heavy libraries are imported inside the commands, so ``estimator --help`` starts fast.
Exit codes: 0 done; 1 a write failed (each file is either as it was or wholly new);
2 bad input (every problem listed, nothing written); 3 the sampler diagnostics failed for
the headline, so no headline interval is published (``history`` and ``update``: or for a
point or a quantity they report, which they mark).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from estimator.inference.methods import METHODS

if TYPE_CHECKING:
    from rich.console import Console

    from estimator.errors import SpecError
    from estimator.inference.draw_cache import DrawCache
    from estimator.inference.methods import Method
    from estimator.review.assessment import Assessment
    from estimator.spec.lab import LabSpec

EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS_FAILED = 3
EXIT_WRITE_FAILED = 1


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="estimator")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="estimator")
def cli() -> None:
    """An auditable Bayesian / Monte Carlo estimate of what an AI lab has really spent.

    Each lab is a folder of priors, claims and questions, e.g. priors/deepseek.
    """


def fail_on_bad_input(error: Exception) -> NoReturn:
    """Print every problem and exit with code 2."""
    click.echo(click.style("error: ", fg="red", bold=True) + str(error), err=True)
    sys.exit(EXIT_BAD_INPUT)


def load(folder: str, window: str | None = None, headline: str | None = None) -> LabSpec:
    """Load a lab folder (shown over ``window`` and leading with ``headline`` when given),
    or exit with code 2 listing its problems."""
    from estimator.errors import SpecError
    from estimator.spec.lab import with_headline, with_window
    from estimator.spec.parse import load_lab

    try:
        spec = load_lab(folder)
    except SpecError as error:
        fail_on_bad_input(error)
    for warning in spec.warnings:
        click.echo(click.style("warning: ", fg="yellow") + warning, err=True)
    if window is not None:
        try:
            spec = with_window(spec, window)
        except SpecError as error:
            fail_on_bad_input(as_option(error, "--window"))
    if headline is not None:
        try:
            spec = with_headline(spec, headline)
        except SpecError as error:
            fail_on_bad_input(as_option(error, "--quantity"))
    return spec


def report_folder(priors_dir: str, out: Path | None, spec: LabSpec) -> Path:
    """``--out``, or ``reports/<lab>`` (``reports/<lab>/windows/<window>`` for a window
    other than the lab's own)."""
    if out is not None:
        return out
    folder = output_folder(priors_dir, None)
    model = spec.model
    return folder if model.reporting == model.window else folder / "windows" / model.reporting.key


lab_argument = click.argument("priors_dir", type=click.Path(file_okay=False, path_type=str))
method_option = click.option(
    "--method",
    type=click.Choice(METHODS),
    default="auto",
    show_default=True,
    help="is: reweight prior draws (quick); nuts: sample with NUTS; "
    "auto: the quick path when its diagnostics allow, NUTS otherwise.",
)
seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; the same inputs and seed give the same numbers.",
)
draws_option = click.option(
    "--draws",
    type=click.IntRange(min=1000),
    default=None,
    help="Prior Monte Carlo draws [default: 524,288]; the first 524,288 at most are "
    "also the quick path's proposal.",
)
out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: reports/<lab>].",
)


def output_folder(priors_dir: str, out: Path | None) -> Path:
    """``--out``, or ``reports/<lab folder name>``."""
    return out if out is not None else Path("reports") / Path(priors_dir).resolve().name


cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Draw the prior afresh instead of reading the draws kept in "
    "<output folder>/.cache, and keep none (the numbers are the same either way).",
)


def draw_cache(priors_dir: str, out: Path | None, no_cache: bool) -> DrawCache | None:
    """The prior-draw cache beside the lab's reports (``<output folder>/.cache``), or
    ``None`` with ``--no-cache``."""
    from estimator.inference.draw_cache import DrawCache, default_limit

    if no_cache:
        return None
    return DrawCache(output_folder(priors_dir, out) / ".cache", default_limit())


def check_writable(folder: Path) -> None:
    """Exit with code 2, before any work is done, when the output folder can't be created
    or written (a file in the way, no permission, a name too long)."""
    from estimator.errors import Problem, SpecError

    reason = None
    try:
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            reason = f"the folder can't be created: {existing} is a file"
        elif not os.access(existing, os.W_OK | os.X_OK):
            reason = f"the folder can't be written: {existing} (permission denied)"
    except OSError as exc:
        reason = f"the folder can't be created ({exc.strerror})"
    if reason is not None:
        fail_on_bad_input(
            SpecError([Problem("--out", "", reason, str(folder), allowed="a writable folder")])
        )


def as_option(error: SpecError, option: str) -> SpecError:
    """The problems of a value given on the command line, reported against its option."""
    from estimator.errors import Problem, SpecError

    return SpecError(
        Problem(option, p.key, p.message, p.value, p.allowed, p.hint) for p in error.problems
    )


#: What the problems in a claim given as options are reported against.
OPTIONS_LABEL = "command-line options"


def claim_options_named(error: SpecError) -> SpecError:
    """Problems in a claim given as options, each keyed by the option (``--value``) rather
    than the ledger key (``claims[0] (id).value``)."""
    from estimator.errors import Problem, SpecError

    out = []
    for p in error.problems:
        key = p.key
        if p.file == OPTIONS_LABEL:
            field = re.sub(r"^claims\[\d+\]( \([^)]*\))?\.?", "", key)
            key = f"--{field}" if field else ""
        out.append(Problem(p.file, key, p.message, p.value, p.allowed, p.hint))
    return SpecError(out)


window_option = click.option(
    "--window",
    default=None,
    help="Show the lab over another window within its own: 2025, 2024-07..2025-06 or "
    "2023-07-17..2025-01-31 [default: lab.toml's window; output: reports/<lab>/windows/<window>].",
)
headline_option = click.option(
    "--quantity",
    "headline",
    default=None,
    help="Lead with this quantity and explain it (tornado, Sobol, delta, scenarios), e.g. "
    "cost.amortized [default: lab.toml's headline, else spend.total].",
)
skip_option = click.option(
    "--skip-sensitivity",
    is_flag=True,
    help="Leave out what drives the estimate (tornado, Sobol, delta, scenarios, prior "
    "sensitivity): a faster run.",
)


def assess_with_progress(
    spec: LabSpec,
    method: str,
    draws: int | None,
    seed: int,
    console: Console,
    history_of: tuple[str, ...] = (),
    with_drivers: bool = True,
    cache: DrawCache | None = None,
    brief: bool = False,
) -> Assessment:
    """Run :func:`estimator.review.assessment.assess` with a progress display."""
    from estimator.inference.estimation import POSTERIOR_DRAWS
    from estimator.review.assessment import assess

    with console.status("starting") as status, exit_on_nuts_unavailable():
        return assess(
            spec,
            cast("Method", method),
            draws or POSTERIOR_DRAWS,
            seed,
            step=status.update,
            history_of=history_of,
            with_drivers=with_drivers,
            cache=cache,
            brief=brief,
        )


@contextlib.contextmanager
def exit_on_nuts_unavailable() -> Iterator[None]:
    """Turn ``--method nuts`` on a lab NUTS can't sample into one message and exit 2."""
    from estimator.inference.pymc_model import NutsUnavailableError

    try:
        yield
    except NutsUnavailableError as error:
        click.echo(
            click.style("error: ", fg="red", bold=True)
            + str(error)
            + "\n(--method auto or --method is use the quick path for such a lab)",
            err=True,
        )
        sys.exit(EXIT_BAD_INPUT)


@contextlib.contextmanager
def exit_on_write_failure() -> Iterator[None]:
    """Turn a failed write (disk full, permission lost midway) into one clear message and
    exit code 1. Every write is atomic, so each file is either as it was or wholly new."""
    try:
        yield
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        click.echo(
            click.style("error: ", fg="red", bold=True)
            + f"could not write{where}: {error.strerror or error}. Each file written "
            "before it was replaced whole; the others are as they were.",
            err=True,
        )
        sys.exit(EXIT_WRITE_FAILED)


def write_outputs(assessment: Assessment, folder: Path, console: Console) -> None:
    """Write summary.json, posterior.nc and the report, atomically."""
    from estimator.report.document import write_report
    from estimator.report.storage import write_posterior
    from estimator.report.summary_json import write_summary

    with (
        exit_on_write_failure(),
        console.status("writing summary.json, posterior.nc and the report"),
    ):
        summary = write_summary(assessment, folder / "summary.json")
        posterior = write_posterior(assessment.estimate, folder / "posterior.nc")
        report = write_report(assessment, folder)
    console.print(f"wrote {summary}, {posterior}, {report.markdown} and {report.html}")


def exit_on_failed_diagnostics(assessment: Assessment) -> None:
    """Exit with code 3 when no headline interval may be published."""
    if not assessment.estimate.diagnostics.passed:
        sys.exit(EXIT_DIAGNOSTICS_FAILED)


@cli.command()
@lab_argument
def validate(priors_dir: str) -> None:
    """Check a lab folder's files and report every problem at once (exit 2 if any)."""
    spec = load(priors_dir)
    click.echo(
        f"{priors_dir}: OK — {len(spec.priors)} inputs "
        f"({len(spec.stochastic_inputs)} uncertain), "
        f"{len(spec.model.quantities)} named quantities, {len(spec.claims)} claims, "
        f"{len(spec.questions)} questions."
    )


@cli.command()
@lab_argument
@method_option
@draws_option
@seed_option
@out_option
@click.option(
    "--scenario",
    default=None,
    help="Run the lab under one of its scenarios (scenarios.toml) "
    "[default output: reports/<lab>/scenarios/<name>].",
)
@window_option
@headline_option
@skip_option
@cache_option
def run(
    priors_dir: str,
    method: str,
    draws: int | None,
    seed: int,
    out: Path | None,
    scenario: str | None,
    window: str | None,
    headline: str | None,
    skip_sensitivity: bool,
    no_cache: bool,
) -> None:
    """Estimate a lab's spend; print it, then write summary.json, posterior.nc and the report.

    Exits with 3 when the diagnostics the headline rests on fail (no headline interval is
    published); other quantities that fail them are marked.
    """
    from rich.console import Console

    from estimator.report.terminal import print_assessment

    spec = load(priors_dir, window, headline)
    folder = report_folder(priors_dir, out, spec)
    if scenario is not None:
        spec = with_scenario(spec, scenario)
        folder = out if out is not None else folder / "scenarios" / scenario
    check_writable(folder)
    console = Console()
    assessment = assess_with_progress(
        spec,
        method,
        draws,
        seed,
        console,
        with_drivers=not skip_sensitivity,
        cache=draw_cache(priors_dir, out, no_cache),
    )
    print_assessment(assessment, console)
    write_outputs(assessment, folder, console)
    exit_on_failed_diagnostics(assessment)


def with_scenario(spec: LabSpec, name: str) -> LabSpec:
    """The lab under a named scenario, or exit with code 2 naming the valid ones."""
    from estimator.errors import SpecError
    from estimator.spec.lab import apply_scenario

    try:
        return apply_scenario(spec, name)
    except SpecError as error:
        fail_on_bad_input(as_option(error, "--scenario"))


@cli.command()
@lab_argument
@method_option
@draws_option
@seed_option
@out_option
@window_option
@headline_option
@skip_option
@cache_option
def update(
    priors_dir: str,
    method: str,
    draws: int | None,
    seed: int,
    out: Path | None,
    window: str | None,
    headline: str | None,
    skip_sensitivity: bool,
    no_cache: bool,
) -> None:
    """Re-estimate and show what moved since the last saved run (its summary.json).

    Lists the claims that are new or changed since then, with each new claim's verdict
    before it was counted and its influence, and every quantity's old and new median and
    90% interval; the comparison is printed first, then goes into the report and
    summary.json ("update").
    New values that fail the diagnostics are marked, and the command then exits 3.
    """
    import dataclasses

    from rich.console import Console

    from estimator.report.terminal import print_assessment, print_comparison
    from estimator.review.assessment import compare
    from estimator.review.update import PreviousRunError, read_previous

    spec = load(priors_dir, window, headline)
    folder = report_folder(priors_dir, out, spec)
    check_writable(folder)
    console = Console()
    try:
        previous = read_previous(folder / "summary.json")
    except PreviousRunError as error:
        fail_on_bad_input(error)
    assessment = assess_with_progress(
        spec,
        method,
        draws,
        seed,
        console,
        with_drivers=not skip_sensitivity,
        cache=draw_cache(priors_dir, out, no_cache),
    )
    if previous is None:
        console.print(f"no previous run in {folder}: this run is the baseline")
    else:
        assessment = dataclasses.replace(assessment, comparison=compare(previous, assessment))
    print_assessment(assessment, console, quantities=False)
    if assessment.comparison is not None:
        print_comparison(assessment, console)
    write_outputs(assessment, folder, console)
    if assessment.comparison is not None and assessment.comparison.unconverged:
        sys.exit(EXIT_DIAGNOSTICS_FAILED)
    exit_on_failed_diagnostics(assessment)


@cli.command()
@lab_argument
@method_option
@seed_option
@window_option
@headline_option
@cache_option
def check(
    priors_dir: str,
    method: str,
    seed: int,
    window: str | None,
    headline: str | None,
    no_cache: bool,
) -> None:
    """Judge every claim against the rest of the evidence, and answer the questions.

    Prints each claim's verdict (consistent, in tension, contradicted), its tail
    probability and reliability, each source's, and the lab's questions; writes no
    report (only the prior-draw cache, unless --no-cache). `estimator run` adds the
    robustness readings, the dated history and what drives the estimate.
    """
    from rich.console import Console

    from estimator.report.terminal import print_assessment

    spec = load(priors_dir, window, headline)
    console = Console()
    cache = draw_cache(priors_dir, None, no_cache)
    assessment = assess_with_progress(
        spec, method, None, seed, console, with_drivers=False, cache=cache, brief=True
    )
    print_assessment(assessment, console, quantities=False)
    exit_on_failed_diagnostics(assessment)


@cli.command()
@lab_argument
@click.option(
    "--quantity",
    "quantities",
    multiple=True,
    help="Also follow this quantity (repeatable); the headline always.",
)
@method_option
@seed_option
@out_option
@window_option
@cache_option
def history(
    priors_dir: str,
    quantities: tuple[str, ...],
    method: str,
    seed: int,
    out: Path | None,
    window: str | None,
    no_cache: bool,
) -> None:
    """Replay the ledger in date order: the posterior as of each date a claim appeared.

    Prints a table per quantity and writes figures/history*.png|svg to the output folder.
    Points whose draws fail the diagnostics are marked in both, and the command then
    exits 3.
    """
    from rich.console import Console

    from estimator.atomic import atomic_write_bytes, atomic_write_text
    from estimator.errors import Problem, SpecError
    from estimator.report.figures import history_figure, render
    from estimator.report.terminal import print_history

    spec = load(priors_dir, window)
    unknown = [q for q in quantities if q not in spec.model.quantities]
    if unknown:
        from estimator.errors import did_you_mean, listing

        fail_on_bad_input(
            SpecError(
                Problem(
                    "--quantity",
                    "",
                    "unknown quantity",
                    q,
                    listing(spec.model.quantities),
                    did_you_mean(q, spec.model.quantities),
                )
                for q in unknown
            )
        )
    folder = report_folder(priors_dir, out, spec) / "figures"
    check_writable(folder)
    console = Console()
    assessment = assess_with_progress(
        spec,
        method,
        None,
        seed,
        console,
        quantities,
        with_drivers=False,
        cache=draw_cache(priors_dir, out, no_cache),
    )
    for name in dict.fromkeys((spec.headline, *quantities)):
        print_history(assessment, name, console)
        stem = "history" if name == spec.headline else f"history_{name}"
        figure = render(stem, f"{name} over time", history_figure(assessment.history, name))
        with exit_on_write_failure():
            atomic_write_text(folder / f"{stem}.svg", figure.svg)
            atomic_write_bytes(folder / f"{stem}.png", figure.png)
        console.print(f"wrote {folder / stem}.png and .svg")
    failing = [p for p in assessment.history if p.problems]
    if failing:
        dates = ", ".join(str(p.date) for p in failing)
        console.print(
            f"[bold red]{len(failing)} point(s) failed the diagnostics ({dates}): marked "
            "in the table and the figure, not publishable[/bold red]"
        )
        sys.exit(EXIT_DIAGNOSTICS_FAILED)


@cli.command()
@lab_argument
@method_option
@seed_option
@click.option(
    "--samples",
    type=click.IntRange(min=64),
    default=2**14,
    show_default=True,
    help="Sobol base samples (the model runs samples x (inputs + 2) times).",
)
@click.option(
    "--delta-draws",
    type=click.IntRange(min=200),
    default=2000,
    show_default=True,
    help="Posterior draws for the delta index.",
)
@window_option
@headline_option
@cache_option
def sensitivity(
    priors_dir: str,
    method: str,
    seed: int,
    samples: int,
    delta_draws: int,
    window: str | None,
    headline: str | None,
    no_cache: bool,
) -> None:
    """What drives the estimate: tornado, Sobol indices over the prior, a moment-independent
    index over the posterior, the scenarios side by side, and prior sensitivity."""
    from rich.console import Console

    from estimator.drivers.collect import drivers
    from estimator.inference.estimation import estimate
    from estimator.report.terminal import print_drivers
    from estimator.review.verdicts import verdicts

    spec = load(priors_dir, window, headline)
    console = Console()
    with console.status("sampling the posterior") as status, exit_on_nuts_unavailable():
        cache = draw_cache(priors_dir, None, no_cache)
        result = estimate(spec, cast("Method", method), seed=seed, cache=cache)
        status.update("judging the claims")
        judged = verdicts(result)
        out_of_line = {v.claim.id for v in judged if v.trusted and v.verdict != "consistent"}
        status.update("sensitivity: tornado, Sobol, delta, scenarios, power-scaling")
        found = drivers(
            result, seed, samples, delta_draws, delta_resamples=30, out_of_line=out_of_line
        )
    print_drivers(result, found, console)


@cli.group()
def claims() -> None:
    """Work with a lab's claims ledger (claims.toml)."""


CLAIM_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--id", "id_", help="Unique id of the claim."),
    click.option("--source", help="Who said it, where."),
    click.option("--date", help="When: 2025-01-31, 2025-01 or 2025."),
    click.option("--url", help="Where it can be read."),
    click.option("--note", help="Anything a reader should know."),
    click.option("--quantity", help="The named quantity it is about, e.g. spend.total."),
    click.option("--kind", help="point, lower_bound, upper_bound or range."),
    click.option("--value", help="The value (point and bounds), e.g. 1.6B."),
    click.option("--low", help="Low end of a range."),
    click.option("--high", help="High end of a range."),
    click.option("--unit", help="Unit of the value(s), e.g. USD, GPU, CNY/person/year."),
    click.option("--period", help="Span a total covers, for per-year quantities ('4 years')."),
    click.option(
        "--during",
        help="The period the claim speaks about: 2025, 2025-03, 2024-07..2025-06 "
        "[default: the lab's window].",
    ),
    click.option("--scope", help="lab or fleet: whose costs the figure counts."),
    click.option(
        "--by",
        help="Id of its source in sources.toml; the claim takes the source's credibility "
        "and reliability.",
    ),
    click.option(
        "--credibility",
        help="first_hand, first_hand_reported, analyst_estimate, anonymous_press or hearsay "
        "[default with --by: the source's].",
    ),
    click.option("--use", help="evidence or check."),
    click.option("--noise", help="Log-scale noise (overrides the class default)."),
    click.option("--reliability", help="Prior reliability (overrides the class default)."),
    click.option("--repeats", help="Id of the claim this one relays."),
]


def claim_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Attach an option for every claim field."""
    for option in reversed(CLAIM_OPTIONS):
        function = option(function)
    return function


@claims.command("add")
@lab_argument
@claim_options
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file with one or more [[claims]] tables, instead of options.",
)
@click.option("--dry-run", is_flag=True, help="Show the verdict but write nothing.")
@method_option
@seed_option
@cache_option
def claims_add(
    priors_dir: str,
    from_file: Path | None,
    dry_run: bool,
    method: str,
    seed: int,
    no_cache: bool,
    id_: str | None,
    **fields: str | None,
) -> None:
    """Add a claim (or the claims of --from FILE) to the ledger.

    The claim is validated against the ledger and the model first (exit 2, nothing written,
    when anything is wrong); its verdict under the current posterior is printed — was this
    news expected? — and then it is appended to claims.toml, keeping every other byte of
    the file as it was. Run `estimator update` next to see what it moved.
    """
    from rich.console import Console

    from estimator.errors import SpecError
    from estimator.inference.estimation import estimate
    from estimator.report.terminal import print_new_claims
    from estimator.review.verdicts import judge_new
    from estimator.spec.claims import CLAIM_KEYS
    from estimator.spec.ledger import claims_from_file, prepare

    given = {"id": id_, **fields}
    if from_file is not None and any(v is not None for v in given.values()):
        raise click.UsageError("give the claim either as options or with --from, not both")
    try:
        if from_file is not None:
            addition = prepare(priors_dir, claims_from_file(from_file), str(from_file))
        else:
            claim = {k: v for k, v in given.items() if k in CLAIM_KEYS and v is not None}
            addition = prepare(priors_dir, [claim], OPTIONS_LABEL)
    except SpecError as error:
        fail_on_bad_input(claim_options_named(error))
    console = Console()
    with console.status("computing the current posterior"), exit_on_nuts_unavailable():
        current = estimate(
            addition.before,
            cast("Method", method),
            seed=seed,
            cache=draw_cache(priors_dir, None, no_cache),
        )
        judged = tuple(judge_new(current, claim) for claim in addition.new_claims)
    print_new_claims(judged, current, console)
    if dry_run:
        console.print("dry run: nothing written")
        return
    with exit_on_write_failure():
        path = addition.write()
    ids = ", ".join(c.id for c in addition.new_claims)
    console.print(
        f"added {ids} to {path}; run `estimator update {priors_dir}` to see what it moved"
    )
