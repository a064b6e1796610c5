"""Receiving screening at intake: the questions, and what the answers decide.

Pure data, no Django.  Four clearance questions decide whether a person can
be admitted at all (the unconscious, the bleeding, the severely intoxicated
and those in withdrawal go to hospital first); the rest decide the care
alerts custody staff follow.  A care alert's instruction is what custody must
do, in plain words: never the reason (no diagnosis, no risk, no drugs), since
officers, the bed board and the rounds page show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CLEARED = "cleared"
REFERRED = "referred"

RISK_LEVELS = ("none", "low", "moderate", "high")
# A moderate or high risk needs more than a note in the record.
RAISED_RISKS = frozenset({"moderate", "high"})
# classification.ObservationLevel values, closest watch last.
OBSERVATION_LEVELS = ("at_risk", "suicide_watch", "constant")
PREGNANT_ANSWERS = ("yes", "no", "unknown", "not_applicable")
# Long enough for a list of medications; the record is not a place for essays.
TEXT_MAX = 2000

BOOL = "bool"
TEXT = "text"
CHOICE = "choice"


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    type: str
    choices: tuple[str, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    # Clearance: a "no" to the first or a "yes" to any other sends the person to hospital.
    Question("conscious", "Conscious and responsive?", BOOL),
    Question("bleeding", "Bleeding that will not stop?", BOOL),
    Question("severely_intoxicated", "Severely intoxicated (cannot stand, talk or follow)?", BOOL),
    Question("withdrawing", "Showing signs of withdrawal now?", BOOL),
    Question("current_illness", "Current illness or symptoms", TEXT),
    Question("injuries", "Injuries (where and what)", TEXT),
    Question("medications", "Medications taken now", TEXT),
    Question("withdrawal_risk", "Risk of withdrawal", CHOICE, RISK_LEVELS),
    Question("mental_health", "Mental health history and state now", TEXT),
    Question("suicide_risk", "Risk of suicide or self-harm", CHOICE, RISK_LEVELS),
    Question(
        "suicide_observation", "Observation level (needed when the risk is moderate or high)",
        CHOICE, ("", *OBSERVATION_LEVELS),
    ),
    Question("pregnant", "Pregnant?", CHOICE, PREGNANT_ANSWERS),
    Question("disability_needs", "Disability and what it needs", TEXT),
    Question("needs_lower_bunk", "Needs a lower bunk?", BOOL),
    Question("needs_wheelchair_cell", "Needs a wheelchair-accessible cell?", BOOL),
    Question("needs_monitoring", "Needs medical monitoring on rounds?", BOOL),
)  # fmt: skip
QUESTION_BY_KEY: dict[str, Question] = {question.key: question for question in QUESTIONS}
CLEARANCE_KEYS = ("conscious", "bleeding", "severely_intoxicated", "withdrawing")

# A person fit for housing with no needs (tests and the demo use it).
CLEAR_ANSWERS: dict[str, object] = {
    "conscious": True,
    "bleeding": False,
    "severely_intoxicated": False,
    "withdrawing": False,
    "current_illness": "",
    "injuries": "",
    "medications": "",
    "withdrawal_risk": "none",
    "mental_health": "",
    "suicide_risk": "none",
    "suicide_observation": "",
    "pregnant": "not_applicable",
    "disability_needs": "",
    "needs_lower_bunk": False,
    "needs_wheelchair_cell": False,
    "needs_monitoring": False,
}

# Why a person is referred, in the words the medic and the transport officer read.
REFER_UNCONSCIOUS = "Not conscious and responsive."
REFER_BLEEDING = "Bleeding that will not stop."
REFER_INTOXICATED = "Severely intoxicated."
REFER_WITHDRAWING = "Showing signs of withdrawal."

# Validation messages (the field names the question; the message names the rule).
UNKNOWN_QUESTION = "is not a receiving screening question."
NOT_ANSWERED = "must be answered: every question is asked before a person is cleared for housing."
NOT_BOOL = "must be answered yes (true) or no (false)."
NOT_TEXT = "must be text (blank when there is nothing to record)."
TOO_LONG = f"must be at most {TEXT_MAX} characters."
NOT_A_CHOICE = "must be one of {choices}."
OBSERVATION_NEEDED = (
    "must be set when the suicide risk is moderate or high: choose at_risk, suicide_watch "
    "or constant."
)
OBSERVATION_WITHOUT_RISK = "must be blank when the suicide risk is none."

# Care alert kinds (medical.CareAlertKind values) and what custody is told to do.
SUICIDE_WATCH = "suicide_watch"
LOWER_BUNK = "lower_bunk"
MEDICAL_MONITORING = "medical_monitoring"
WHEELCHAIR_CELL = "wheelchair_cell"
NEAR_MEDICAL = "near_medical"
MONITOR_MEALS = "monitor_meals"
RESTRAINT_LIMIT = "restraint_limit"
OTHER = "other"

WATCH_INSTRUCTIONS: dict[str, str] = {
    "at_risk": (
        "Look in at least every 30 minutes; nothing in the cell that can serve as a ligature."
    ),
    "suicide_watch": (
        "Look in at irregular times, 15 minutes apart at most; nothing in the cell that can "
        "serve as a ligature."
    ),
    "constant": "Keep in sight of an officer at all times, without a break.",
}  # fmt: skip
DEFAULT_INSTRUCTIONS: dict[str, str] = {
    LOWER_BUNK: "Lower bunk only.",
    MEDICAL_MONITORING: "Look in at every round; call medical at once if unwell or hard to wake.",
    WHEELCHAIR_CELL: "House only in a wheelchair-accessible cell.",
    NEAR_MEDICAL: "House near the medical unit.",
    MONITOR_MEALS: "Note whether each meal is eaten; tell medical of any missed.",
    RESTRAINT_LIMIT: "Ask medical before using restraints.",
}
NO_LEG_RESTRAINTS = "No leg irons or waist chains."


class ScreeningError(ValueError):
    """Answers that break the rules; ``fields`` names every bad or missing one at once."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))


@dataclass(frozen=True)
class CareAlertSpec:
    kind: str
    instruction: str
    # Suicide watch only: the observation level.
    level: str = ""


@dataclass(frozen=True)
class ScreeningResult:
    outcome: str
    refer_because: tuple[str, ...]
    # "" when the person could not be asked (referred before the question came up).
    withdrawal_risk: str
    suicide_risk: str
    care_alerts: tuple[CareAlertSpec, ...]


def default_instruction(kind: str, level: str = "") -> str:
    """What custody is told when the medic writes nothing more precise ("" for "other")."""
    if kind == SUICIDE_WATCH:
        return WATCH_INSTRUCTIONS.get(level, "")
    return DEFAULT_INSTRUCTIONS.get(kind, "")


def _answer_errors(question: Question, value: object) -> list[str]:
    if question.type == BOOL and not isinstance(value, bool):
        return [NOT_BOOL]
    if question.type == TEXT and not isinstance(value, str):
        return [NOT_TEXT]
    if question.type == TEXT and isinstance(value, str) and len(value.strip()) > TEXT_MAX:
        return [TOO_LONG]
    if question.type == CHOICE and value not in question.choices:
        shown = [choice for choice in question.choices if choice] or ["blank"]
        return [NOT_A_CHOICE.format(choices=", ".join(shown))]
    return []


def _refer_because(answers: Mapping[str, object]) -> tuple[str, ...]:
    reasons = [
        (answers.get("conscious") is False, REFER_UNCONSCIOUS),
        (answers.get("bleeding") is True, REFER_BLEEDING),
        (answers.get("severely_intoxicated") is True, REFER_INTOXICATED),
        (answers.get("withdrawing") is True, REFER_WITHDRAWING),
    ]
    return tuple(reason for refers, reason in reasons if refers)


def _care_alerts(answers: Mapping[str, object]) -> tuple[CareAlertSpec, ...]:
    alerts: list[CareAlertSpec] = []
    level = str(answers.get("suicide_observation") or "")
    if level:
        alerts.append(CareAlertSpec(SUICIDE_WATCH, WATCH_INSTRUCTIONS[level], level))
    if answers.get("withdrawal_risk") in RAISED_RISKS or answers.get("needs_monitoring") is True:
        alerts.append(CareAlertSpec(MEDICAL_MONITORING, DEFAULT_INSTRUCTIONS[MEDICAL_MONITORING]))
    pregnant = answers.get("pregnant") == "yes"
    if answers.get("needs_lower_bunk") is True or pregnant:
        alerts.append(CareAlertSpec(LOWER_BUNK, DEFAULT_INSTRUCTIONS[LOWER_BUNK]))
    if answers.get("needs_wheelchair_cell") is True:
        alerts.append(CareAlertSpec(WHEELCHAIR_CELL, DEFAULT_INSTRUCTIONS[WHEELCHAIR_CELL]))
    if pregnant:
        # The instruction says what not to do, never why.
        alerts.append(CareAlertSpec(RESTRAINT_LIMIT, NO_LEG_RESTRAINTS))
    return tuple(alerts)


def evaluate(answers: Mapping[str, object]) -> ScreeningResult:
    """Check every answer, then decide: cleared or referred, and the care alerts.

    The clearance questions are always required.  A person referred to hospital
    may not be able to answer the rest, so those may be left out then; whatever
    is given is still checked.
    """
    errors: dict[str, list[str]] = {}
    for key in sorted(set(answers) - QUESTION_BY_KEY.keys()):
        errors[key] = [UNKNOWN_QUESTION]
    for key in CLEARANCE_KEYS:
        if key not in answers:
            errors[key] = [NOT_ANSWERED]
        elif messages := _answer_errors(QUESTION_BY_KEY[key], answers[key]):
            errors[key] = messages
    refer_because = _refer_because(answers)
    for question in QUESTIONS:
        if question.key in CLEARANCE_KEYS or question.key == "suicide_observation":
            continue
        if question.key not in answers:
            if not refer_because:
                errors[question.key] = [NOT_ANSWERED]
        elif messages := _answer_errors(question, answers[question.key]):
            errors[question.key] = messages
    observation = answers.get("suicide_observation", "")
    suicide_risk = answers.get("suicide_risk")
    if observation_errors := _answer_errors(QUESTION_BY_KEY["suicide_observation"], observation):
        errors["suicide_observation"] = observation_errors
    elif suicide_risk in RAISED_RISKS and not observation:
        errors["suicide_observation"] = [OBSERVATION_NEEDED]
    elif suicide_risk == "none" and observation:
        errors["suicide_observation"] = [OBSERVATION_WITHOUT_RISK]
    if errors:
        raise ScreeningError(errors)
    return ScreeningResult(
        outcome=REFERRED if refer_because else CLEARED,
        refer_because=refer_because,
        withdrawal_risk=str(answers.get("withdrawal_risk", "")),
        suicide_risk=str(answers.get("suicide_risk", "")),
        care_alerts=_care_alerts(answers),
    )
