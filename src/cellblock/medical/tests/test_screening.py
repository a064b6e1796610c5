"""The receiving screening's rules, without a database: who is referred, what alerts follow."""

from __future__ import annotations

import pytest

from cellblock.classification.models import ObservationLevel
from cellblock.medical import screening
from cellblock.medical.models import CareAlertKind, RiskLevel, ScreeningOutcome
from cellblock.medical.screening import (
    CLEAR_ANSWERS,
    QUESTIONS,
    CareAlertSpec,
    ScreeningError,
    evaluate,
)


def answers(**changes: object) -> dict[str, object]:
    return {**CLEAR_ANSWERS, **changes}


def kinds(result: screening.ScreeningResult) -> list[str]:
    return [alert.kind for alert in result.care_alerts]


def errors_of(given: dict[str, object]) -> dict[str, list[str]]:
    with pytest.raises(ScreeningError) as caught:
        evaluate(given)
    return caught.value.fields


def test_the_clear_answers_clear_a_person_with_no_care_alerts():
    result = evaluate(CLEAR_ANSWERS)

    assert result.outcome == ScreeningOutcome.CLEARED
    assert result.refer_because == ()
    assert result.care_alerts == ()
    assert (result.withdrawal_risk, result.suicide_risk) == ("none", "none")


def test_every_question_is_asked_and_the_clear_answers_answer_each_once():
    assert [question.key for question in QUESTIONS] == list(CLEAR_ANSWERS)


def test_the_pure_constants_match_the_models_they_stand_for():
    assert tuple(ObservationLevel.values) == screening.OBSERVATION_LEVELS
    assert tuple(RiskLevel.values) == screening.RISK_LEVELS
    assert {screening.CLEARED, screening.REFERRED} == set(ScreeningOutcome.values)
    assert set(screening.DEFAULT_INSTRUCTIONS) | {"suicide_watch", "other"} == set(
        CareAlertKind.values
    )


@pytest.mark.parametrize(
    ("changes", "because"),
    [
        ({"conscious": False}, screening.REFER_UNCONSCIOUS),
        ({"bleeding": True}, screening.REFER_BLEEDING),
        ({"severely_intoxicated": True}, screening.REFER_INTOXICATED),
        ({"withdrawing": True}, screening.REFER_WITHDRAWING),
    ],
    ids=["unconscious", "bleeding", "severely_intoxicated", "withdrawing"],
)
def test_a_person_who_fails_a_clearance_question_is_referred(changes, because):
    result = evaluate(answers(**changes))

    assert result.outcome == ScreeningOutcome.REFERRED
    assert result.refer_because == (because,)


def test_every_reason_to_refer_is_given_at_once_in_question_order():
    result = evaluate(
        answers(conscious=False, bleeding=True, severely_intoxicated=True, withdrawing=True)
    )

    assert result.refer_because == (
        screening.REFER_UNCONSCIOUS,
        screening.REFER_BLEEDING,
        screening.REFER_INTOXICATED,
        screening.REFER_WITHDRAWING,
    )


def test_a_person_who_cannot_be_asked_is_referred_on_the_clearance_questions_alone():
    result = evaluate({"conscious": False, "bleeding": False, "severely_intoxicated": False,
                       "withdrawing": False})  # fmt: skip

    assert result.outcome == ScreeningOutcome.REFERRED
    # Not asked is not "none": the record says nothing about the risks.
    assert (result.withdrawal_risk, result.suicide_risk) == ("", "")


WATCH = screening.WATCH_INSTRUCTIONS
LOWER = CareAlertSpec("lower_bunk", "Lower bunk only.")
MONITOR = CareAlertSpec("medical_monitoring", screening.DEFAULT_INSTRUCTIONS["medical_monitoring"])
WHEELCHAIR = CareAlertSpec("wheelchair_cell", "House only in a wheelchair-accessible cell.")
NO_LEG_IRONS = CareAlertSpec("restraint_limit", "No leg irons or waist chains.")


@pytest.mark.parametrize(
    ("changes", "alerts"),
    [
        ({"suicide_risk": "moderate", "suicide_observation": "at_risk"},
         [CareAlertSpec("suicide_watch", WATCH["at_risk"], "at_risk")]),
        ({"suicide_risk": "high", "suicide_observation": "suicide_watch"},
         [CareAlertSpec("suicide_watch", WATCH["suicide_watch"], "suicide_watch")]),
        ({"suicide_risk": "high", "suicide_observation": "constant"},
         [CareAlertSpec("suicide_watch", WATCH["constant"], "constant")]),
        # A low risk needs no watch, but the medic may still ask for one.
        ({"suicide_risk": "low"}, []),
        ({"suicide_risk": "low", "suicide_observation": "at_risk"},
         [CareAlertSpec("suicide_watch", WATCH["at_risk"], "at_risk")]),
        ({"withdrawal_risk": "low"}, []),
        ({"withdrawal_risk": "moderate"}, [MONITOR]),
        ({"withdrawal_risk": "high"}, [MONITOR]),
        ({"needs_monitoring": True}, [MONITOR]),
        ({"withdrawal_risk": "high", "needs_monitoring": True}, [MONITOR]),
        ({"needs_lower_bunk": True}, [LOWER]),
        ({"needs_wheelchair_cell": True}, [WHEELCHAIR]),
        ({"pregnant": "yes"}, [LOWER, NO_LEG_IRONS]),
        ({"pregnant": "yes", "needs_lower_bunk": True}, [LOWER, NO_LEG_IRONS]),
        ({"pregnant": "unknown"}, []),
        ({"pregnant": "no"}, []),
        ({"medications": "Methadone 60 mg daily", "mental_health": "Depression"}, []),
    ],
    ids=[
        "moderate-suicide-risk-at-risk", "high-suicide-risk-watch", "high-suicide-risk-constant",
        "low-suicide-risk", "low-suicide-risk-watched-anyway", "low-withdrawal-risk",
        "moderate-withdrawal-risk", "high-withdrawal-risk", "needs-monitoring",
        "monitoring-once", "lower-bunk", "wheelchair", "pregnant", "pregnant-lower-bunk-once",
        "pregnancy-unknown", "not-pregnant", "text-answers-alone",
    ],
)  # fmt: skip
def test_the_answers_give_the_care_alerts(changes, alerts):
    result = evaluate(answers(**changes))

    assert result.outcome == ScreeningOutcome.CLEARED
    assert list(result.care_alerts) == alerts


def test_every_need_at_once_gives_one_alert_of_each_kind():
    result = evaluate(answers(suicide_risk="high", suicide_observation="constant",
                              withdrawal_risk="high", needs_lower_bunk=True,
                              needs_wheelchair_cell=True, pregnant="yes"))  # fmt: skip

    assert kinds(result) == [
        "suicide_watch", "medical_monitoring", "lower_bunk", "wheelchair_cell", "restraint_limit",
    ]  # fmt: skip
    assert (result.withdrawal_risk, result.suicide_risk) == ("high", "high")


# Words that would tell custody staff why: never in an instruction.
CLINICAL_WORDS = ("pregnan", "drug", "alcohol", "withdraw", "suicid", "depress", "opiat", "risk")


@pytest.mark.parametrize(
    "instruction",
    [*screening.WATCH_INSTRUCTIONS.values(), *screening.DEFAULT_INSTRUCTIONS.values(),
     screening.NO_LEG_RESTRAINTS],
)  # fmt: skip
def test_no_instruction_says_why(instruction):
    assert not [word for word in CLINICAL_WORDS if word in instruction.lower()]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"conscious": "yes"}, "conscious", screening.NOT_BOOL),
        ({"bleeding": None}, "bleeding", screening.NOT_BOOL),
        ({"severely_intoxicated": 1}, "severely_intoxicated", screening.NOT_BOOL),
        ({"withdrawing": "no"}, "withdrawing", screening.NOT_BOOL),
        ({"needs_lower_bunk": "true"}, "needs_lower_bunk", screening.NOT_BOOL),
        ({"needs_wheelchair_cell": 0}, "needs_wheelchair_cell", screening.NOT_BOOL),
        ({"needs_monitoring": "false"}, "needs_monitoring", screening.NOT_BOOL),
        ({"current_illness": None}, "current_illness", screening.NOT_TEXT),
        ({"injuries": ["arm"]}, "injuries", screening.NOT_TEXT),
        ({"medications": 3}, "medications", screening.NOT_TEXT),
        ({"mental_health": "x" * 2001}, "mental_health", screening.TOO_LONG),
        ({"disability_needs": False}, "disability_needs", screening.NOT_TEXT),
        ({"withdrawal_risk": "severe"}, "withdrawal_risk",
         "must be one of none, low, moderate, high."),
        ({"suicide_risk": ""}, "suicide_risk", "must be one of none, low, moderate, high."),
        ({"pregnant": True}, "pregnant", "must be one of yes, no, unknown, not_applicable."),
        ({"suicide_observation": "hourly"}, "suicide_observation",
         "must be one of at_risk, suicide_watch, constant."),
        ({"suicide_risk": "moderate"}, "suicide_observation", screening.OBSERVATION_NEEDED),
        ({"suicide_risk": "high", "suicide_observation": ""}, "suicide_observation",
         screening.OBSERVATION_NEEDED),
        ({"suicide_observation": "constant"}, "suicide_observation",
         screening.OBSERVATION_WITHOUT_RISK),
        ({"shoe_size": 44}, "shoe_size", screening.UNKNOWN_QUESTION),
    ],
)  # fmt: skip
def test_a_bad_answer_is_refused_naming_the_rule(changes, field, message):
    assert errors_of(answers(**changes)) == {field: [message]}


@pytest.mark.parametrize("missing", [q.key for q in QUESTIONS if q.key != "suicide_observation"])
def test_every_question_but_the_observation_level_must_be_answered(missing):
    given = answers()
    del given[missing]

    assert errors_of(given) == {missing: [screening.NOT_ANSWERED]}


def test_the_observation_level_may_be_left_out_when_no_watch_is_needed():
    given = answers()
    del given["suicide_observation"]

    assert evaluate(given).outcome == ScreeningOutcome.CLEARED


def test_every_bad_or_missing_answer_is_reported_at_once():
    given = answers(conscious="maybe", suicide_risk="high", pregnant="perhaps", extra="x")
    del given["medications"]

    assert errors_of(given) == {
        "extra": [screening.UNKNOWN_QUESTION],
        "conscious": [screening.NOT_BOOL],
        "medications": [screening.NOT_ANSWERED],
        "pregnant": ["must be one of yes, no, unknown, not_applicable."],
        "suicide_observation": [screening.OBSERVATION_NEEDED],
    }


def test_a_referred_person_still_has_the_answers_given_checked():
    fields = errors_of({"conscious": False, "bleeding": False, "severely_intoxicated": False,
                        "withdrawing": False, "suicide_risk": "very"})  # fmt: skip

    assert fields == {"suicide_risk": ["must be one of none, low, moderate, high."]}


def test_the_clearance_questions_are_required_even_for_a_referral():
    fields = errors_of({"conscious": False})

    assert fields == {key: [screening.NOT_ANSWERED]
                      for key in ("bleeding", "severely_intoxicated", "withdrawing")}  # fmt: skip


def test_the_error_message_names_each_field_and_its_rule():
    with pytest.raises(ScreeningError) as caught:
        evaluate(answers(bleeding="no"))

    assert str(caught.value) == f"bleeding: {screening.NOT_BOOL}"


@pytest.mark.parametrize(("kind", "level", "expected"), [
    ("lower_bunk", "", "Lower bunk only."),
    ("suicide_watch", "constant", WATCH["constant"]),
    ("suicide_watch", "", ""),
    ("other", "", ""),
])  # fmt: skip
def test_each_kind_has_a_default_instruction_but_other(kind, level, expected):
    assert screening.default_instruction(kind, level) == expected
