"""Reading ``questions.toml`` into :class:`~estimator.model.questions.Question` events."""

from __future__ import annotations

from typing import Any

from estimator.errors import did_you_mean, listing
from estimator.model.equations import LabModel
from estimator.model.questions import Question
from estimator.spec.claims import read_during
from estimator.spec.tomlread import Reader
from estimator.spec.units import MAX_MAGNITUDE, Converter, UnitError

QUESTION_KEYS = ("id", "text", "quantity", "per", "during", "above", "below", "unit", "note")


def read_questions(
    reader: Reader, doc: dict[str, Any], model: LabModel, converter: Converter
) -> tuple[Question, ...]:
    """Read and validate ``questions.toml``; problems are recorded on ``reader``."""
    reader.check_keys(doc, "", ("questions",))
    entries = doc.get("questions", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.add(
            "questions",
            "questions must be [[questions]] tables",
            entries,
            allowed="one [[questions]] table per question (see priors/README.md)",
        )
        return ()
    out: list[Question] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        key = f"questions[{index}]"
        if isinstance(entry.get("id"), str) and entry["id"]:
            key += f" ({entry['id']})"
        question = _read_question(reader, entry, key, model, converter)
        if question is None:
            continue
        if question.id in seen:
            reader.add(f"{key}.id", "duplicate question id", question.id)
            continue
        seen.add(question.id)
        out.append(question)
    return tuple(out)


def _read_question(
    reader: Reader, entry: dict[str, Any], key: str, model: LabModel, converter: Converter
) -> Question | None:
    before = reader.count
    reader.check_keys(entry, key, QUESTION_KEYS, required=("id", "text", "quantity", "unit"))
    question_id = reader.string(entry, "id", key, required=True, max_length=200)
    text = reader.string(entry, "text", key, required=True)
    note = reader.string(entry, "note", key)
    names = list(model.plain)
    quantity = _quantity(reader, entry, "quantity", key, names)
    per = _quantity(reader, entry, "per", key, names) if "per" in entry else None
    during = read_during(reader, entry, key, model, quantity)
    unit = reader.string(entry, "unit", key)
    if "above" not in entry and "below" not in entry:
        reader.add(key, "a question needs a threshold", allowed="above, below, or both")
    factor = None
    if quantity is not None and unit is not None and ("per" not in entry or per is not None):
        target = model.quantity(quantity).unit
        if per is not None:
            target = f"({target})/({model.quantity(per).unit})"
        try:
            factor = converter.factor(unit, target)
        except UnitError as exc:
            reader.unit_problem(
                f"{key}.unit", exc, unit, allowed=f"a unit of {converter.canonical(target)!r}"
            )
    thresholds = {}
    for name in ("above", "below"):
        if name in entry:
            value = reader.number(entry, name, key)
            if value is not None and factor is not None:
                if not abs(value * factor) <= MAX_MAGNITUDE:
                    reader.add(
                        f"{key}.{name}",
                        "the threshold is out of range once converted to the canonical unit",
                        entry[name],
                        allowed=f"thresholds within ±{MAX_MAGNITUDE:.0e} in the canonical unit",
                    )
                    continue
                thresholds[name] = value * factor
    if (
        "above" in thresholds
        and "below" in thresholds
        and (thresholds["above"] >= thresholds["below"])
    ):
        reader.add(
            f"{key}.below",
            "the event is empty: below must exceed above",
            [entry["above"], entry["below"]],
        )
    if (
        reader.count > before
        or question_id is None
        or text is None
        or quantity is None
        or unit is None
    ):
        return None
    return Question(
        question_id,
        text,
        quantity,
        per,
        thresholds.get("above"),
        thresholds.get("below"),
        unit,
        note,
        subject=quantity,
        per_subject=per,
        during=during,
    )


def _quantity(
    reader: Reader, entry: dict[str, Any], name: str, key: str, names: list[str]
) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in names:
        record = reader.add_reference if isinstance(value, str) else reader.add
        record(
            f"{key}.{name}",
            "unknown quantity",
            value,
            allowed=listing(names, limit=80),
            hint=did_you_mean(str(value), names),
        )
        return None
    return value
