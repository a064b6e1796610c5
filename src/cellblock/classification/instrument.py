"""The objective classification instrument: pure data and arithmetic, no Django.

An instrument is additive: each item has answers worth points, the points
add up to a total, and cut-points turn the total into a custody level.  Some
answers put the person under *special management* whatever the total (a
protective-custody need, a juvenile held in an adult system ...).

An instrument is stored as a versioned JSON definition (``Instrument`` in
models.py); ``parse_instrument`` checks a definition and ``score`` applies
it.  A published version is never edited: a change is a new version, and
every assessment keeps the version it was scored on.

Definition shape::

    {
      "code": "nic-custody", "version": 1, "name": "...",
      "items": [
        {"code": "institutional_violence", "label": "...",
         "answers": [{"code": "none", "label": "...", "points": 0}, ...]},
        ...
      ],
      "cut_points": {"minimum": 5, "medium": 11},  # <= 5 minimum, <= 11 medium, else maximum
      "special_management": [{"item": "special_needs", "answer": "protective_custody"}, ...]
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MINIMUM = "minimum"
MEDIUM = "medium"
MAXIMUM = "maximum"
SPECIAL = "special"
# From least to most restrictive.
LEVELS = (MINIMUM, MEDIUM, MAXIMUM, SPECIAL)

MAX_POINTS = 100


class InstrumentError(ValueError):
    """A definition or a set of answers that the instrument cannot use.

    ``errors`` maps a field path (``items[2].answers[0].points``, ``answers.escape_history``)
    to its messages, so callers can name the field and the rule.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class Answer:
    code: str
    label: str
    points: int


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    answers: tuple[Answer, ...]

    def answer(self, code: str) -> Answer | None:
        return next((a for a in self.answers if a.code == code), None)


@dataclass(frozen=True)
class Instrument:
    code: str
    version: int
    name: str
    items: tuple[Item, ...]
    # Highest total that still scores minimum, and medium.
    minimum_max: int
    medium_max: int
    # (item code, answer code) pairs that mean special management.
    special_management: frozenset[tuple[str, str]]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def max_total(self) -> int:
        return sum(max(a.points for a in item.answers) for item in self.items)


@dataclass(frozen=True)
class Score:
    total: int
    # Points per item code, in the instrument's order.
    item_points: dict[str, int]
    # The level the total alone gives.
    total_level: str
    # The answers that require special management (item code, answer label).
    special_reasons: tuple[str, ...]

    @property
    def level(self) -> str:
        """The scored level: special management when any answer calls for it."""
        return SPECIAL if self.special_reasons else self.total_level


def level_for_total(total: int, *, minimum_max: int, medium_max: int) -> str:
    if total <= minimum_max:
        return MINIMUM
    if total <= medium_max:
        return MEDIUM
    return MAXIMUM


def more_restrictive(a: str, b: str) -> bool:
    """True when level ``a`` is stricter than level ``b``."""
    return LEVELS.index(a) > LEVELS.index(b)


def _code_errors(value: Any, path: str, errors: dict[str, list[str]]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault(path, []).append("must be a non-empty text code.")
        return ""
    return value.strip()


def _cut_points(raw: Any, errors: dict[str, list[str]]) -> tuple[int, int]:
    """The highest minimum and medium totals; (0, 0) with errors when they are unusable."""
    if not isinstance(raw, Mapping):
        errors["cut_points"] = ["must give the highest minimum and medium totals."]
        return 0, 0
    values: list[int] = []
    for key in ("minimum", "medium"):
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[f"cut_points.{key}"] = ["must be a whole number from 0."]
        else:
            values.append(value)
    if len(values) != 2:
        return 0, 0
    if values[0] >= values[1]:
        errors["cut_points.medium"] = ["must be higher than the minimum cut-point."]
    return values[0], values[1]


def parse_instrument(definition: Mapping[str, Any]) -> Instrument:
    """Check a JSON definition and build the instrument; every problem is reported at once."""
    errors: dict[str, list[str]] = {}
    if not isinstance(definition, Mapping):
        # JSON from outside may be a list or a scalar: say so rather than fail on .get().
        raise InstrumentError({"definition": ["must be an object with code, items, cut_points."]})
    code = _code_errors(definition.get("code"), "code", errors)
    name = definition.get("name") or ""
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["must be a non-empty text."]
    version = definition.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors["version"] = ["must be a whole number from 1."]
    raw_items = definition.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = ["must list at least one item."]
        raw_items = []
    seen_items: set[str] = set()
    for i, raw in enumerate(raw_items):
        where = f"items[{i}]"
        if not isinstance(raw, Mapping):
            errors[where] = ["must be an object with code, label and answers."]
            continue
        item_code = _code_errors(raw.get("code"), f"{where}.code", errors)
        if item_code in seen_items:
            errors.setdefault(f"{where}.code", []).append(f"'{item_code}' is used twice.")
        seen_items.add(item_code)
        raw_answers = raw.get("answers")
        if not isinstance(raw_answers, list) or len(raw_answers) < 2:
            errors[f"{where}.answers"] = ["must list at least two answers."]
            raw_answers = []
        answers: list[Answer] = []
        seen_answers: set[str] = set()
        for j, raw_answer in enumerate(raw_answers):
            at = f"{where}.answers[{j}]"
            if not isinstance(raw_answer, Mapping):
                errors[at] = ["must be an object with code, label and points."]
                continue
            answer_code = _code_errors(raw_answer.get("code"), f"{at}.code", errors)
            if answer_code in seen_answers:
                errors.setdefault(f"{at}.code", []).append(f"'{answer_code}' is used twice.")
            seen_answers.add(answer_code)
            points = raw_answer.get("points")
            if (
                not isinstance(points, int)
                or isinstance(points, bool)
                or not (0 <= points <= MAX_POINTS)
            ):
                errors[f"{at}.points"] = [f"must be a whole number from 0 to {MAX_POINTS}."]
                points = 0
            answers.append(Answer(answer_code, str(raw_answer.get("label") or answer_code), points))
        items.append(Item(item_code, str(raw.get("label") or item_code), tuple(answers)))
    minimum_max, medium_max = _cut_points(definition.get("cut_points"), errors)
    special: set[tuple[str, str]] = set()
    raw_specials = definition.get("special_management") or []
    if not isinstance(raw_specials, list):
        errors["special_management"] = ["must list item and answer pairs."]
        raw_specials = []
    for k, raw_special in enumerate(raw_specials):
        at = f"special_management[{k}]"
        wanted = raw_special if isinstance(raw_special, Mapping) else {}
        # Codes are compared as parse stores them: stripped.
        item_code, answer_code = (str(wanted.get(key) or "").strip() for key in ("item", "answer"))
        item = next((it for it in items if it.code == item_code), None)
        if item is None or item.answer(answer_code) is None:
            errors[at] = ["must name an item and one of its answers."]
            continue
        special.add((item.code, answer_code))
    if errors:
        raise InstrumentError(errors)
    return Instrument(
        code=code, version=version if isinstance(version, int) else 0, name=name.strip(),
        items=tuple(items),
        minimum_max=minimum_max, medium_max=medium_max, special_management=frozenset(special),
    )  # fmt: skip


def as_definition(instrument: Instrument) -> dict[str, Any]:
    """The JSON definition of a parsed instrument: ``parse_instrument`` gives it back unchanged."""
    return {
        "code": instrument.code,
        "version": instrument.version,
        "name": instrument.name,
        "items": [
            {"code": item.code, "label": item.label,
             "answers": [{"code": a.code, "label": a.label, "points": a.points}
                         for a in item.answers]}
            for item in instrument.items
        ],
        "cut_points": {"minimum": instrument.minimum_max, "medium": instrument.medium_max},
        "special_management": [
            {"item": item, "answer": answer}
            for item, answer in sorted(instrument.special_management)
        ],
    }  # fmt: skip


def score(instrument: Instrument, answers: Mapping[str, str]) -> Score:
    """Add up the points of ``answers`` (item code -> answer code); every item must be answered."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(answers) - {item.code for item in instrument.items})
    for code in unknown:
        errors[f"answers.{code}"] = ["is not an item of this instrument."]
    item_points: dict[str, int] = {}
    special: list[str] = []
    for item in instrument.items:
        chosen = answers.get(item.code)
        if chosen is None:
            errors[f"answers.{item.code}"] = ["must be answered."]
            continue
        answer = item.answer(chosen)
        if answer is None:
            choices = ", ".join(a.code for a in item.answers)
            errors[f"answers.{item.code}"] = [f"must be one of {choices}."]
            continue
        item_points[item.code] = answer.points
        if (item.code, answer.code) in instrument.special_management:
            special.append(f"{item.label}: {answer.label}")
    if errors:
        raise InstrumentError(errors)
    total = sum(item_points.values())
    level = level_for_total(
        total, minimum_max=instrument.minimum_max, medium_max=instrument.medium_max
    )
    return Score(total, item_points, level, tuple(special))


def _answers(*rows: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [{"code": code, "label": label, "points": points} for code, label, points in rows]


# The default instrument, modelled on the NIC objective prison custody scales
# (Austin & Hardyman, "Objective Prison Classification", NIC 2004).  The weights
# are published in docs/classification.md; never edit this version in place:
# publish a new one.
NIC_CUSTODY_V1: dict[str, Any] = {
    "code": "nic-custody",
    "version": 1,
    "name": "Objective custody instrument (NIC model)",
    "items": [
        {"code": "institutional_violence",
         "label": "History of institutional violence (last 5 years)",
         "answers": _answers(
             ("none", "None", 0),
             ("assault_no_weapon", "Assault without a weapon or serious injury", 3),
             ("assault_weapon_or_injury", "Assault with a weapon or causing serious injury", 7),
         )},
        {"code": "current_offence", "label": "Severity of the current offence",
         "answers": _answers(
             ("low", "Low (property, public order)", 0),
             ("moderate", "Moderate (non-violent felony, drugs for sale)", 1),
             ("high", "High (violence, weapons)", 4),
             ("highest", "Highest (homicide, attempted homicide, kidnapping, sexual violence)", 6),
         )},
        {"code": "prior_assaultive", "label": "Prior assaultive offence history",
         "answers": _answers(
             ("none", "None", 0),
             ("low", "Low severity", 1),
             ("moderate", "Moderate severity", 3),
             ("high", "High severity", 5),
         )},
        {"code": "escape_history", "label": "Escape history",
         "answers": _answers(
             ("none", "No escapes or attempts", 0),
             ("minimum_old", "Walk-away or escape from minimum custody, over 1 year ago", 1),
             ("minimum_recent", "Walk-away or escape from minimum custody, within 1 year", 3),
             ("secure_old", "Escape from secure custody or with force, over 1 year ago", 5),
             ("secure_recent", "Escape from secure custody or with force, within 1 year", 7),
         )},
        {"code": "disciplinary", "label": "Disciplinary reports (last 12 months of custody)",
         "answers": _answers(
             ("none", "None", 0),
             ("minor", "Minor reports only", 1),
             ("one_major", "One major report", 3),
             ("several_major", "Two or more major reports", 5),
         )},
        {"code": "detainers", "label": "Detainers or pending charges",
         "answers": _answers(
             ("none", "None", 0),
             ("misdemeanour", "Misdemeanour", 1),
             ("felony", "Felony", 3),
             ("violent_felony", "Violent felony", 6),
         )},
        {"code": "prior_felonies", "label": "Prior felony convictions",
         "answers": _answers(
             ("none", "None", 0),
             ("one", "One", 1),
             ("two_or_more", "Two or more", 3),
         )},
        {"code": "special_needs", "label": "Special management need",
         "answers": _answers(
             ("none", "None", 0),
             ("protective_custody", "Needs protective custody", 0),
             ("serious_mental_illness", "Serious mental illness, under treatment", 0),
             ("juvenile_in_adult_system", "Juvenile held in the adult system", 0),
             ("high_notoriety", "High notoriety or elite combat training", 0),
         )},
    ],
    "cut_points": {"minimum": 5, "medium": 11},
    "special_management": [
        {"item": "special_needs", "answer": "protective_custody"},
        {"item": "special_needs", "answer": "serious_mental_illness"},
        {"item": "special_needs", "answer": "juvenile_in_adult_system"},
        {"item": "special_needs", "answer": "high_notoriety"},
    ],
}  # fmt: skip
