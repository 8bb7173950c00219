"""Reading one input's belief from its TOML table: interval, fixed value, named
distribution or mixture, in the stated unit, converted to the canonical unit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.errors import did_you_mean, listing
from estimator.model import elicit
from estimator.model.beliefs import Prior, Source
from estimator.model.distributions import (
    DISTRIBUTIONS,
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Triangular,
    Uniform,
)
from estimator.model.quantities import Domain, Slot
from estimator.spec.tomlread import Reader, date_text
from estimator.spec.units import MAX_MAGNITUDE, Converter, UnitError

SHAPE_KEYS = ("between", "value", "dist", "mixture")
PARAM_KEYS = ("mu", "sigma", "alpha", "beta", "lower", "upper", "mode")
SOURCE_KEYS = ("source", "url", "date", "note")
INPUT_KEYS = (*SHAPE_KEYS, "level", *PARAM_KEYS, "unit", *SOURCE_KEYS, "independent_of")
COMPONENT_KEYS = ("weight", "between", "value", "dist", "level", *PARAM_KEYS, *SOURCE_KEYS)
BETWEEN_SHAPES = {"positive": ("lognormal", "normal", "gamma"), "share": ("beta", "normal")}
NORMAL_TRUNCATION_WARN = 0.01
#: Inputs the cost equations divide by, with the one value a fixed belief can't take
#: (it would make every cost downstream infinite or NaN) and what is allowed instead.
DIVISORS: dict[str, tuple[float, str]] = {
    "network.share": (
        1.0,
        "a share below 1: capex.network = servers x share / (1 - share), "
        "so the network can't be all of the hardware cost",
    ),
    "hardware.useful_life": (0.0, "a positive life: capex is amortized over it"),
}


def read_source(
    reader: Reader, table: dict[str, Any], key: str, required: bool, with_date: bool = True
) -> Source | None:
    """The ``source``/``url``/``date``/``note`` keys of a table (``date`` only when
    ``with_date``: the caller may read it itself). A source's date can't be in the
    future: it is when the source said it."""
    text = reader.string(table, "source", key, required=required)
    url = reader.string(table, "url", key)
    note = reader.string(table, "note", key)
    date = None
    if with_date and "date" in table and reader.date(table, "date", key, True, reader.today):
        date = date_text(table["date"])
    if text is None:
        return None
    return Source(text, url, date, note)


def read_prior(
    reader: Reader,
    table: dict[str, Any],
    slot: Slot,
    key: str,
    converter: Converter,
    warnings: list[str],
) -> Prior | None:
    """Read the belief for ``slot`` from ``table`` (at ``key`` in ``reader.file``).

    Records every problem on ``reader`` and returns ``None`` when there was one.
    """
    before = len(reader.problems.items)
    reader.check_keys(table, key, INPUT_KEYS, required=("unit", "source"))
    unit = reader.string(table, "unit", key)
    source = read_source(reader, table, key, required=True)
    factor = None
    if unit is not None:
        try:
            factor = converter.factor(unit, slot.unit)
        except UnitError as exc:
            reader.unit_problem(
                f"{key}.unit",
                exc,
                unit,
                allowed=f"a unit of {converter.canonical(slot.unit)!r} "
                f"(e.g. {_example_units(slot.unit)})",
            )
    belief = _read_shape(reader, table, key, slot.domain, factor or 1.0, warnings, top=True)
    if belief is not None and (not _all_finite(belief.to_dict()) or _too_large(belief)):
        stated = {k: table[k] for k in (*SHAPE_KEYS, *PARAM_KEYS) if k in table}
        reader.add(
            key,
            "the value is out of range once converted to the canonical unit",
            stated,
            allowed=f"amounts within ±{MAX_MAGNITUDE:.0e} {converter.canonical(slot.unit)!r}",
        )
        return None
    if belief is not None and slot.name in DIVISORS:
        _check_divisor(reader, table, key, slot.name, belief)
    if len(reader.problems.items) > before or belief is None or source is None or unit is None:
        return None
    independent = _independent_of(reader, table, key)
    if len(reader.problems.items) > before:
        return None
    return Prior(
        slot.name,
        belief,
        describe(table, unit),
        unit,
        source,
        reader.file,
        key=key,
        independent_of=independent,
    )


def _independent_of(reader: Reader, table: dict[str, Any], key: str) -> tuple[str, ...]:
    """The ``independent_of`` list: ids of the ledger's claims or sources."""
    value = table.get("independent_of", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        reader.add(
            f"{key}.independent_of",
            "a list of claim or source ids is needed here",
            value,
            allowed='e.g. independent_of = ["sa_h100"], with the reason in note',
        )
        return ()
    return tuple(value)


def _check_divisor(
    reader: Reader, table: dict[str, Any], key: str, name: str, belief: Distribution
) -> None:
    """Refuse a fixed value (alone or in a mixture) that the equations would divide by 0."""
    forbidden, allowed = DIVISORS[name]
    if isinstance(belief, Mixture):
        parts = [
            (f"{key}.mixture[{i}].value", p, table["mixture"][i])
            for i, p in enumerate(belief.components)
        ]
    else:
        parts = [(f"{key}.value", belief, table)]
    for where, part, stated in parts:
        if isinstance(part, Fixed) and part.value == forbidden:
            reader.add(
                where,
                f"{name} can't be {forbidden:g}: the cost equations divide by "
                + ("1 - " if forbidden else "")
                + name,
                stated.get("value"),
                allowed=allowed,
            )


def _read_shape(
    reader: Reader,
    table: dict[str, Any],
    key: str,
    domain: Domain,
    factor: float,
    warnings: list[str],
    top: bool,
) -> Distribution | None:
    given: list[str] = [k for k in ("between", "value", "mixture") if k in table]
    if "dist" in table and "between" not in table:
        given.append("dist")
    if not top and "mixture" in given:
        reader.add(f"{key}.mixture", "a mixture component can't itself be a mixture")
        return None
    if len(given) != 1:
        choices = SHAPE_KEYS if top else SHAPE_KEYS[:3]
        message = "no belief given" if not given else f"give only one of {', '.join(given)}"
        reader.add(key, message, allowed="exactly one of " + ", ".join(choices))
        return None
    stray = [k for k in ("level", *PARAM_KEYS) if k in table and k not in _extras(given[0], table)]
    for name in stray:
        reader.add(
            f"{key}.{name}",
            f"not used by a '{given[0]}' belief",
            table[name],
            allowed=", ".join(_extras(given[0], table)) or "no extra keys",
        )
    if stray:
        return None
    shape = given[0]
    if shape == "value":
        return _read_fixed(reader, table, key, domain, factor)
    if shape == "between":
        return _read_between(reader, table, key, domain, factor)
    if shape == "dist":
        return _read_named(reader, table, key, domain, factor, warnings)
    return _read_mixture(reader, table, key, domain, factor, warnings)


def _extras(shape: str, table: dict[str, Any]) -> tuple[str, ...]:
    """Keys that refine a belief of the given shape."""
    if shape == "between":
        return ("level", "dist")
    if shape == "dist":
        name = table.get("dist")
        return DISTRIBUTIONS[name][1] if isinstance(name, str) and _known_dist(name) else PARAM_KEYS
    return ()


def _known_dist(name: object) -> bool:
    return isinstance(name, str) and name in DISTRIBUTIONS


def _read_fixed(
    reader: Reader, table: dict[str, Any], key: str, domain: Domain, factor: float
) -> Distribution | None:
    value = reader.number(table, "value", key)
    if value is None:
        return None
    value *= factor
    if not _in_domain(value, domain, closed=True):
        reader.add(
            f"{key}.value",
            f"impossible value for a {_domain_text(domain)}",
            table["value"],
            allowed=_domain_allowed(domain),
        )
        return None
    return Fixed(value)


def _read_between(
    reader: Reader, table: dict[str, Any], key: str, domain: Domain, factor: float
) -> Distribution | None:
    raw = table["between"]
    if not isinstance(raw, list) or len(raw) != 2:
        reader.add(
            f"{key}.between",
            "an interval needs exactly two numbers",
            raw,
            allowed='[low, high], e.g. [10000, 50000] or ["10k", "50k"]',
        )
        return None
    low, high = (reader.value(v, f"{key}.between[{i}]") for i, v in enumerate(raw))
    level = elicit.DEFAULT_LEVEL
    if "level" in table:
        got = reader.number(table, "level", key)
        if got is None:
            return None
        if not 0.5 <= got <= 0.999:
            reader.add(
                f"{key}.level",
                "the interval's credibility level is out of range",
                table["level"],
                allowed="from 0.5 to 0.999, e.g. 0.9 for a 90% interval",
            )
            return None
        level = got
    if low is None or high is None:
        return None
    low, high = low * factor, high * factor
    default = "beta" if domain == "share" else "lognormal"
    shape = table.get("dist", default)
    allowed_shapes = BETWEEN_SHAPES[domain]
    if shape not in allowed_shapes:
        reader.add(
            f"{key}.dist",
            f"an interval can't be read as {shape!r} for a {_domain_text(domain)}",
            shape,
            allowed=listing(allowed_shapes),
        )
        return None
    if low >= high:
        reader.add(
            f"{key}.between",
            "the interval's low end must be below its high end",
            raw,
            allowed="[low, high] with low < high",
        )
        return None
    if domain == "share" and not 0.0 < low < high < 1.0:
        reader.add(
            f"{key}.between",
            "a share's interval must lie strictly inside (0, 1)",
            raw,
            allowed='e.g. [0.3, 0.8] (or in % with unit = "%")',
        )
        return None
    if shape in ("lognormal", "gamma") and low <= 0:
        reader.add(
            f"{key}.between",
            "a lognormal interval needs a positive low end",
            raw,
            allowed='0 < low < high; use dist = "normal" for quantities that can be 0',
        )
        return None
    try:
        if shape == "beta":
            return elicit.beta_between(low, high, level)
        if shape == "normal":
            return _truncate(elicit.normal_between(low, high, level), domain)
        if shape == "gamma":
            return elicit.gamma_between(low, high, level)
        return elicit.lognormal_between(low, high, level)
    except ValueError as exc:
        reader.add(f"{key}.between", str(exc), raw)
        return None


def _read_named(
    reader: Reader,
    table: dict[str, Any],
    key: str,
    domain: Domain,
    factor: float,
    warnings: list[str],
) -> Distribution | None:
    name = table["dist"]
    if not _known_dist(name):
        reader.add(
            f"{key}.dist",
            "unknown distribution",
            name,
            allowed=listing(DISTRIBUTIONS),
            hint=did_you_mean(str(name), DISTRIBUTIONS),
        )
        return None
    _cls, params = DISTRIBUTIONS[name]
    values = {p: reader.number(table, p, key) if p in table else None for p in params}
    missing = [p for p in params if p not in table]
    for p in missing:
        reader.add(f"{key}.{p}", f"missing parameter of {name}", allowed=", ".join(params))
    if any(v is None for v in values.values()):
        return None
    v = {p: float(x) for p, x in values.items() if x is not None}
    problem = _parameter_problem(name, v)
    if problem:
        reader.add(key, problem, {p: table[p] for p in params})
        return None
    belief: Distribution
    if name == "lognormal":
        belief = LogNormal(v["mu"], v["sigma"]).scaled(factor)
    elif name == "normal":
        belief = Normal(v["mu"], v["sigma"]).scaled(factor)
    elif name == "gamma":
        belief = Gamma(v["alpha"], v["beta"]).scaled(factor)
    elif name == "uniform":
        belief = Uniform(v["lower"], v["upper"]).scaled(factor)
    elif name == "triangular":
        belief = Triangular(v["lower"], v["mode"], v["upper"]).scaled(factor)
    else:
        if not math.isclose(factor, 1.0):
            reader.add(
                f"{key}.dist",
                "a beta belief must be stated as a fraction",
                name,
                allowed='unit = "fraction" with alpha and beta',
            )
            return None
        belief = Beta(v["alpha"], v["beta"])
    if isinstance(belief, Normal):
        belief = _truncate(belief, domain)
        mass = belief.truncated_mass()
        if mass > 0.5:
            reader.add(
                key,
                f"this normal puts {mass:.0%} of its mass outside the possible "
                f"range of a {_domain_text(domain)}",
                {p: table[p] for p in params},
                allowed="a belief mostly inside " + _domain_allowed(domain),
            )
            return None
        if mass > NORMAL_TRUNCATION_WARN:
            warnings.append(
                f"{reader.file}: {key}: the normal puts {mass:.1%} of its mass "
                f"outside {_domain_allowed(domain)}; it is truncated there"
            )
        return belief
    low, high = belief.support()
    if not (_in_domain(low, domain, closed=True) and _in_domain(high, domain, closed=True)):
        reader.add(
            key,
            f"{name} gives values impossible for a {_domain_text(domain)}",
            {p: table[p] for p in params},
            allowed=_domain_allowed(domain),
        )
        return None
    return belief


def _read_mixture(
    reader: Reader,
    table: dict[str, Any],
    key: str,
    domain: Domain,
    factor: float,
    warnings: list[str],
) -> Distribution | None:
    parts = table["mixture"]
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
        reader.add(
            f"{key}.mixture",
            "a mixture needs a list of component tables",
            parts,
            allowed="[{weight = 0.5, between = [8e3, 12e3]}, {weight = 0.5, value = 5e4}]",
        )
        return None
    components, weights = [], []
    for index, part in enumerate(parts):
        where = f"{key}.mixture[{index}]"
        reader.check_keys(part, where, COMPONENT_KEYS, required=("weight",))
        weight = reader.number(part, "weight", where) if "weight" in part else None
        if weight is not None and weight <= 0:
            reader.add(f"{where}.weight", "weights must be positive", part["weight"])
            weight = None
        read_source(reader, part, where, required=False)
        component = _read_shape(reader, part, where, domain, factor, warnings, top=False)
        if component is not None and weight is not None:
            components.append(component)
            weights.append(weight)
    if len(components) != len(parts):
        return None
    return Mixture(tuple(components), tuple(weights))


def _all_finite(data: Any) -> bool:
    if isinstance(data, dict):
        return all(_all_finite(v) for v in data.values())
    if isinstance(data, list):
        return all(_all_finite(v) for v in data)
    if isinstance(data, float):
        return math.isfinite(data)
    return True


def _too_large(belief: Distribution) -> bool:
    """Whether a belief reaches amounts beyond :data:`MAX_MAGNITUDE` (or overflows) within
    its central 1 - 2e-15: where no sampler's draws ever go, but a huge stated value or
    an interval reaching 1e308 does."""
    parts = belief.components if isinstance(belief, Mixture) else (belief,)
    with np.errstate(over="ignore", invalid="ignore"):
        ends = [np.asarray(p.ppf(np.array([1e-15, 1 - 1e-15])), dtype=float) for p in parts]
    return any(not np.all(np.abs(e) <= MAX_MAGNITUDE) for e in ends)


def _parameter_problem(name: str, v: dict[str, float]) -> str | None:
    if "sigma" in v and v["sigma"] <= 0:
        return "sigma must be positive"
    if name in ("beta", "gamma") and (v["alpha"] <= 0 or v["beta"] <= 0):
        return "alpha and beta must be positive"
    if "lower" in v and "upper" in v and v["lower"] >= v["upper"]:
        return "lower must be below upper"
    if name == "triangular" and not v["lower"] <= v["mode"] <= v["upper"]:
        return "the mode must lie between lower and upper"
    return None


def _truncate(belief: Normal, domain: Domain) -> Normal:
    upper = 1.0 if domain == "share" else math.inf
    return Normal(belief.mu, belief.sigma, 0.0, upper)


def _in_domain(value: float, domain: Domain, closed: bool) -> bool:
    if domain == "share":
        return 0.0 <= value <= 1.0 if closed else 0.0 < value < 1.0
    return value >= 0.0 if closed else value > 0.0


def _domain_text(domain: Domain) -> str:
    return "share (between 0 and 1)" if domain == "share" else "quantity that can't be negative"


def _domain_allowed(domain: Domain) -> str:
    return "values in [0, 1]" if domain == "share" else "values >= 0"


def _example_units(canonical: str) -> str:
    examples = {
        "fraction": "'fraction' or '%'",
        "ratio": "'ratio'",
        "GPU": "'GPU'",
        "USD/GPU": "'USD/GPU', 'CNY/GPU'",
        "kW/GPU": "'W/GPU', 'kW/GPU'",
        "GPU*hour": "'GPU-hours', 'million GPU*hour'",
        "USD/(GPU*hour)": "'USD/GPU-hour'",
        "USD/kWh": "'USD/kWh', 'CNY/kWh'",
        "person": "'person'",
        "USD/person/year": "'USD/person/year', 'CNY/person/month'",
        "1/year": "'1/year', '%/year'",
        "USD/year": "'USD/year', 'million USD/year'",
        "year": "'year', 'month'",
        "USD": "'USD', 'million USD', 'CNY'",
    }
    return examples.get(canonical, repr(canonical))


def describe(table: dict[str, Any], unit: str) -> str:
    """The belief as the file states it, in words (for reports)."""

    def show(x: Any) -> str:
        return x if isinstance(x, str) else f"{x:,.6g}"

    if "value" in table:
        return f"{show(table['value'])} {unit} (fixed)"
    if "between" in table and isinstance(table["between"], list) and len(table["between"]) == 2:
        level = table.get("level", elicit.DEFAULT_LEVEL)
        low, high = table["between"]
        shape = table.get("dist")
        suffix = f", {shape}" if shape else ""
        return f"{float(level):.0%} between {show(low)} and {show(high)} {unit}{suffix}"
    if "dist" in table:
        name = table["dist"]
        params = ", ".join(f"{p}={show(table[p])}" for p in PARAM_KEYS if p in table)
        return f"{name}({params}) {unit}"
    if "mixture" in table and isinstance(table["mixture"], list):
        parts = [
            f"{show(p.get('weight', '?'))} x {describe(p, unit)}"
            for p in table["mixture"]
            if isinstance(p, dict)
        ]
        return "mixture: " + "; ".join(parts)
    return "?"
