"""Reading ``runs.toml``: the training runs, where and when each ran, and how its
accelerator-hours are stated.

A run names an accelerator type of the lab's own (``accelerator``) or a rental contract
(``rental``), optionally its ``dates``, and states its hours one way: ``gpu_hours``;
``accelerators`` and ``days``; ``flop`` and ``mfu``; or ``parameters`` (active ones, for a
mixture of experts), ``tokens`` and ``mfu`` (6 x parameters x tokens FLOP). A FLOP-defined
run needs its accelerators' peak FLOP/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estimator.errors import Problems, did_you_mean, listing
from estimator.model.beliefs import Prior
from estimator.model.distributions import Fixed
from estimator.model.parts import AcceleratorType, Rental, RunBasis, TrainingRun
from estimator.model.quantities import NAME_PATTERN, RUN_BASES, RUN_SLOTS, WORKLOAD_SLOTS
from estimator.spec.fleet import NAME_RULE, read_period
from estimator.spec.tomlread import Reader

RUN_META_KEYS = ("label", "accelerator", "rental", "dates", "note")
HOW = (
    "gpu_hours; accelerators and days; flop and mfu; or parameters, tokens and mfu "
    "(6 x parameters x tokens FLOP)"
)
#: How far into its belief a run's length is checked against its dates (the upper end
#: of the 90% interval).
LENGTH_QUANTILE = 0.95


def read_runs(
    reader: Reader,
    doc: dict[str, Any],
    types: list[AcceleratorType],
    rentals: list[Rental],
) -> list[TrainingRun]:
    """The training runs of ``runs.toml``, each on one of ``types`` or ``rentals``."""
    runs_table = doc.get("runs", {})
    if not isinstance(runs_table, dict):
        reader.add("runs", "a table of runs is needed here", runs_table)
        return []
    runs: list[TrainingRun] = []
    for name, table in runs_table.items():
        key = f"runs.{name}"
        if not isinstance(table, dict):
            reader.add(key, "a table is needed for each run", table)
            continue
        if not NAME_PATTERN.match(name) or name in ("gpu_hours", "share_of_compute"):
            reader.add(key, "invalid run name", name, allowed=NAME_RULE)
            continue
        reader.check_keys(table, key, (*RUN_META_KEYS, *RUN_SLOTS))
        run = _read_run(reader, name, table, key, types, rentals)
        if run is not None:
            runs.append(run)
    return runs


def _read_run(
    reader: Reader,
    name: str,
    table: dict[str, Any],
    key: str,
    types: list[AcceleratorType],
    rentals: list[Rental],
) -> TrainingRun | None:
    accelerator = _reference(reader, table, key, "accelerator", [t.name for t in types])
    rental_name = _reference(reader, table, key, "rental", [r.name for r in rentals])
    if accelerator is not None and rental_name is not None:
        reader.add(
            f"{key}.rental",
            "a run is on the lab's own accelerators or on a rental contract, not both",
            allowed="accelerator = <type> or rental = <contract>",
        )
        return None
    rental = next((r for r in rentals if r.name == rental_name), None)
    dates = read_period(reader, table, "dates", key) if "dates" in table else None
    if dates is not None and accelerator is None and rental is None and _unplaced(table):
        reader.add(
            f"{key}.dates",
            "a dated run draws on the hours of its accelerators: say which they are",
            allowed="accelerator = <type of fleet.toml> or rental = <contract of rentals.toml>",
        )
        dates = None
    if dates is not None and rental is not None and not rental.counted:
        reader.add(
            f"{key}.dates",
            f"contract {rental.name!r} does not say how many accelerators it rents, so its "
            "hours can't be checked against the run's",
            allowed=f"a count in [rent.{rental.name}.count], or a run without dates",
        )
        dates = None
    basis = _basis(reader, table, key)
    if basis is None:
        return None
    peak = _peak(types, rental, accelerator)
    if basis in ("flop", "parameters") and not peak:
        where = (
            f"fleet.{accelerator}.peak_flops"
            if accelerator
            else f"rent.{rental.name}.peak_flops"
            if rental
            else "an accelerator or rental for the run, with its peak_flops"
        )
        reader.add(
            key,
            "a FLOP-defined run needs the peak FLOP/s of its accelerators",
            allowed=f"state {where}, or give the run's gpu_hours",
        )
        return None
    hourly = rental is not None and rental.basis != "commitment"
    priced = "rental_price" in table
    if not priced and not hourly:
        reader.add(
            f"{key}.rental_price",
            "missing required key",
            allowed="a rental price per accelerator-hour (or run the run on a contract "
            "priced by the hour)",
        )
    label = table.get("label", "")
    return TrainingRun(
        name,
        label if isinstance(label, str) else "",
        accelerator,
        rental.name if rental is not None else None,
        dates,
        basis,
        priced or not hourly,
        "mfu" in table,
    )


def _unplaced(table: dict[str, Any]) -> bool:
    """Whether the run's accelerator or rental is not merely misspelled (those are
    reported already)."""
    return "accelerator" not in table and "rental" not in table


def _reference(
    reader: Reader, table: dict[str, Any], key: str, name: str, valid: list[str]
) -> str | None:
    value = table.get(name)
    if value is None:
        return None
    if value in valid:
        return str(value)
    record = reader.add_reference if isinstance(value, str) else reader.add
    where = "fleet.toml" if name == "accelerator" else "rentals.toml"
    record(
        f"{key}.{name}",
        f"unknown {'accelerator type' if name == 'accelerator' else 'rental contract'}",
        value,
        allowed=f"{listing(valid)} (of {where})" if valid else f"none is stated in {where}",
        hint=did_you_mean(str(value), valid),
    )
    return None


def _basis(reader: Reader, table: dict[str, Any], key: str) -> RunBasis | None:
    """How the run states its hours: exactly one complete way, and nothing of another."""
    complete = [b for b, keys in RUN_BASES.items() if all(k in table for k in keys)]
    started = sorted({k for keys in RUN_BASES.values() for k in keys if k in table} - {"mfu"})
    if len(complete) == 1:
        basis = complete[0]
        extra = [k for k in started if k not in RUN_BASES[basis]]
        if not extra:
            return basis  # type: ignore[return-value]
    if not complete:
        reader.add(
            key,
            "the run's accelerator-hours are not stated"
            + (f" (it has {', '.join(started)} only)" if started else ""),
            allowed=HOW,
        )
    else:
        reader.add(
            key,
            "the run's accelerator-hours are stated more than one way",
            ", ".join(started),
            allowed="one of: " + HOW,
        )
    return None


def _peak(types: list[AcceleratorType], rental: Rental | None, accelerator: str | None) -> bool:
    by_name = {t.name: t for t in types}
    if accelerator is not None:
        return by_name[accelerator].peak
    if rental is not None:
        if rental.accelerator is not None:
            return by_name[rental.accelerator].peak
        return rental.peak
    return False


def read_workload(reader: Reader, doc: dict[str, Any]) -> bool:
    """Whether ``runs.toml`` says how the lab's accelerator-hours are used
    (``[workload.training]`` and ``[workload.inference]``; research is the rest)."""
    table = doc.get("workload")
    if table is None:
        return False
    if not isinstance(table, dict):
        reader.add("workload", "a table is needed here", table)
        return False
    uses = [s.name.split(".")[1] for s in WORKLOAD_SLOTS]
    if "research" in table:
        reader.add(
            "workload.research",
            "research is what training and inference leave: it takes no belief",
            allowed="[workload.training] and [workload.inference]",
        )
        table = {k: v for k, v in table.items() if k != "research"}
    return reader.check_keys(table, "workload", (*uses, "note"), required=uses)


def check_runs(
    problems: Problems,
    where: str,
    runs: tuple[TrainingRun, ...],
    priors: Mapping[str, Prior],
) -> None:
    """What a run's beliefs must respect beyond their own domains: a run stated as
    accelerators x days can't take longer than its dates allow (the upper end of its
    days' 90% interval against the days its dates span), and a utilisation above 0."""
    for run in runs:
        mfu = priors.get(f"runs.{run.name}.mfu")
        if mfu is not None and isinstance(mfu.belief, Fixed) and mfu.belief.value <= 0.0:
            problems.add(
                where,
                f"runs.{run.name}.mfu",
                "a utilisation must be above 0 (no work is done at 0)",
                mfu.stated,
                allowed="a share in (0, 1]",
            )
        if run.dates is None or run.basis != "accelerators":
            continue
        prior = priors.get(f"runs.{run.name}.days")
        if prior is None:
            continue
        longest = float(prior.belief.ppf(LENGTH_QUANTILE))
        if longest > run.dates.days:
            problems.add(
                where,
                f"runs.{run.name}.days",
                f"the run is longer than its dates allow ({run.dates.days} days)",
                prior.stated,
                allowed=f"a length of at most {run.dates.days} days, or wider dates",
            )
