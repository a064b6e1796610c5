"""The objective instrument as arithmetic: scoring, cut-points and definitions (no database)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cellblock.classification.instrument import (
    LEVELS,
    MAX_POINTS,
    MAXIMUM,
    MEDIUM,
    MINIMUM,
    NIC_CUSTODY_V1,
    SPECIAL,
    InstrumentError,
    as_definition,
    level_for_total,
    more_restrictive,
    parse_instrument,
    score,
)

PROPERTIES = settings(max_examples=120, deadline=None, database=None)

_code = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
# Names are stored stripped; labels as given.
_label = (
    st.text(alphabet="ABCDEFGHIJ abcdefghij-", min_size=1, max_size=20).map(str.strip).filter(bool)
)
_points = st.integers(min_value=0, max_value=MAX_POINTS)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid instrument definition: unique codes, two or more answers, ordered cut-points."""
    item_codes = draw(st.lists(_code, min_size=1, max_size=8, unique=True))
    items: list[dict[str, Any]] = []
    for code in item_codes:
        answer_codes = draw(st.lists(_code, min_size=2, max_size=5, unique=True))
        items.append(
            {
                "code": code,
                "label": draw(_label),
                "answers": [
                    {"code": answer, "label": draw(_label), "points": draw(_points)}
                    for answer in answer_codes
                ],
            }
        )
    minimum = draw(st.integers(min_value=0, max_value=400))
    medium = draw(st.integers(min_value=minimum + 1, max_value=801))
    special = draw(
        st.lists(
            st.sampled_from(
                [(item["code"], answer["code"]) for item in items for answer in item["answers"]]
            ),
            max_size=3,
            unique=True,
        )
    )
    return {
        "code": draw(_code),
        "version": draw(st.integers(min_value=1, max_value=500)),
        "name": draw(_label),
        "items": items,
        "cut_points": {"minimum": minimum, "medium": medium},
        "special_management": [{"item": item, "answer": answer} for item, answer in special],
    }


@st.composite
def instruments_with_answers(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    definition = draw(definitions())
    answers = {
        item["code"]: draw(st.sampled_from([a["code"] for a in item["answers"]]))
        for item in definition["items"]
    }
    return definition, answers


def _points_of(definition: dict[str, Any], answers: dict[str, str]) -> int:
    return sum(
        answer["points"]
        for item in definition["items"]
        for answer in item["answers"]
        if answers[item["code"]] == answer["code"]
    )


def _errors(definition: Any) -> dict[str, list[str]]:
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(definition)
    return raised.value.errors


NIC = parse_instrument(NIC_CUSTODY_V1)
# The first answer of every item is worth nothing ("none", or "low" for the offence).
NONE_AT_ALL = {item.code: item.answers[0].code for item in NIC.items}


# --- Scoring --------------------------------------------------------------------


@PROPERTIES
@given(instruments_with_answers())
def test_the_total_is_the_sum_of_the_points_of_the_chosen_answers(case):
    definition, answers = case
    result = score(parse_instrument(definition), answers)
    assert result.total == _points_of(definition, answers)
    assert result.total == sum(result.item_points.values())
    assert list(result.item_points) == [item["code"] for item in definition["items"]]


@PROPERTIES
@given(instruments_with_answers())
def test_the_level_from_the_total_follows_the_cut_points(case):
    definition, answers = case
    result = score(parse_instrument(definition), answers)
    cuts = definition["cut_points"]
    if result.total <= cuts["minimum"]:
        assert result.total_level == MINIMUM
    elif result.total <= cuts["medium"]:
        assert result.total_level == MEDIUM
    else:
        assert result.total_level == MAXIMUM


@PROPERTIES
@given(instruments_with_answers())
def test_a_special_management_answer_always_gives_special_whatever_the_total(case):
    definition, answers = case
    special = {(s["item"], s["answer"]) for s in definition["special_management"]}
    result = score(parse_instrument(definition), answers)
    chosen_special = [
        (code, answer) for code, answer in answers.items() if (code, answer) in special
    ]
    assert (result.level == SPECIAL) == bool(chosen_special)
    assert len(result.special_reasons) == len(chosen_special)
    if not chosen_special:
        assert result.level == result.total_level


@PROPERTIES
@given(
    minimum=st.integers(min_value=0, max_value=200),
    gap=st.integers(min_value=1, max_value=200),
    a=st.integers(min_value=0, max_value=600),
    b=st.integers(min_value=0, max_value=600),
)
def test_the_level_never_gets_less_restrictive_as_the_total_rises(minimum, gap, a, b):
    low, high = sorted((a, b))
    cuts = {"minimum_max": minimum, "medium_max": minimum + gap}
    assert not more_restrictive(level_for_total(low, **cuts), level_for_total(high, **cuts))


@PROPERTIES
@given(minimum=st.integers(min_value=0, max_value=200), gap=st.integers(min_value=1, max_value=200))
def test_each_cut_point_is_the_highest_total_of_its_level(minimum, gap):
    medium = minimum + gap
    cuts = {"minimum_max": minimum, "medium_max": medium}
    assert level_for_total(minimum, **cuts) == MINIMUM
    assert level_for_total(minimum + 1, **cuts) == MEDIUM
    assert level_for_total(medium, **cuts) == MEDIUM
    assert level_for_total(medium + 1, **cuts) == MAXIMUM
    assert level_for_total(0, **cuts) == MINIMUM


@pytest.mark.parametrize(
    ("answers", "total", "level"),
    [
        ({}, 0, MINIMUM),
        # 3 + 1 + 1 = 5: the minimum cut-point itself.
        ({"institutional_violence": "assault_no_weapon", "current_offence": "moderate",
          "prior_felonies": "one"}, 5, MINIMUM),
        # 6: one more.
        ({"current_offence": "highest"}, 6, MEDIUM),
        # 7 + 4 = 11: the medium cut-point itself.
        ({"institutional_violence": "assault_weapon_or_injury", "current_offence": "high"},
         11, MEDIUM),
        # 12: one more.
        ({"institutional_violence": "assault_weapon_or_injury", "prior_assaultive": "high"},
         12, MAXIMUM),
    ],
)  # fmt: skip
def test_the_shipped_instrument_at_its_cut_points(answers, total, level):
    result = score(NIC, {**NONE_AT_ALL, **answers})
    assert (result.total, result.level) == (total, level)


def test_the_shipped_instrument_puts_a_juvenile_under_special_management_with_no_points():
    result = score(NIC, {**NONE_AT_ALL, "special_needs": "juvenile_in_adult_system"})
    assert (result.total, result.total_level, result.level) == (0, MINIMUM, SPECIAL)
    assert result.special_reasons == ("Special management need: Juvenile held in the adult system",)


def test_the_levels_run_from_least_to_most_restrictive():
    assert LEVELS == (MINIMUM, MEDIUM, MAXIMUM, SPECIAL)
    assert more_restrictive(SPECIAL, MAXIMUM)
    assert not more_restrictive(MINIMUM, MEDIUM)


# --- Answers the instrument cannot score ---------------------------------------------


def test_a_missing_answer_names_the_item():
    answers = dict(NONE_AT_ALL)
    del answers["escape_history"]
    with pytest.raises(InstrumentError) as raised:
        score(NIC, answers)
    assert raised.value.errors == {"answers.escape_history": ["must be answered."]}


def test_an_answer_the_item_does_not_offer_names_the_item_and_its_choices():
    with pytest.raises(InstrumentError) as raised:
        score(NIC, {**NONE_AT_ALL, "prior_felonies": "dozens"})
    assert raised.value.errors == {
        "answers.prior_felonies": ["must be one of none, one, two_or_more."]
    }


def test_an_unknown_item_is_named_and_every_problem_is_reported_at_once():
    answers = {**NONE_AT_ALL, "shoe_size": "large"}
    del answers["detainers"]
    with pytest.raises(InstrumentError) as raised:
        score(NIC, answers)
    assert raised.value.errors == {
        "answers.shoe_size": ["is not an item of this instrument."],
        "answers.detainers": ["must be answered."],
    }


@PROPERTIES
@given(instruments_with_answers(), st.data())
def test_leaving_out_any_item_is_refused_naming_that_item(case, data):
    definition, answers = case
    left_out = data.draw(st.sampled_from(sorted(answers)))
    del answers[left_out]
    with pytest.raises(InstrumentError) as raised:
        score(parse_instrument(definition), answers)
    assert raised.value.errors == {f"answers.{left_out}": ["must be answered."]}


# --- Definitions -------------------------------------------------------------------


def _specials_sorted(definition: dict[str, Any]) -> dict[str, Any]:
    # Special management is a set: its order in the definition carries no meaning.
    pairs = sorted(definition["special_management"], key=lambda s: (s["item"], s["answer"]))
    return {**definition, "special_management": pairs}


@PROPERTIES
@given(definitions())
def test_any_valid_definition_round_trips(definition):
    parsed = parse_instrument(definition)
    assert as_definition(parsed) == _specials_sorted(definition)
    assert parse_instrument(as_definition(parsed)) == parsed


@PROPERTIES
@given(definitions())
def test_the_highest_possible_total_is_the_sum_of_each_items_best_answer(definition):
    parsed = parse_instrument(definition)
    assert parsed.max_total == sum(
        max(answer["points"] for answer in item["answers"]) for item in definition["items"]
    )


def test_the_shipped_default_is_valid_and_round_trips():
    assert as_definition(NIC) == _specials_sorted(NIC_CUSTODY_V1)
    assert (NIC.code, NIC.version, NIC.minimum_max, NIC.medium_max) == ("nic-custody", 1, 5, 11)
    assert len(NIC.items) == 8


def test_every_problem_of_a_definition_is_reported_with_its_field_path():
    broken = copy.deepcopy(NIC_CUSTODY_V1)
    broken["code"] = " "
    broken["version"] = 0
    broken["name"] = ""
    broken["items"][1]["code"] = "institutional_violence"
    broken["items"][2]["answers"] = [{"code": "only", "label": "Only", "points": 0}]
    broken["items"][3]["answers"][1]["points"] = 101
    broken["items"][3]["answers"][2]["points"] = True
    broken["items"][4]["answers"][1]["code"] = "none"
    broken["items"][5]["answers"][0] = "none"
    broken["cut_points"] = {"minimum": 11, "medium": 5}
    broken["special_management"].append({"item": "special_needs", "answer": "royalty"})
    broken["special_management"].append({"item": "no_such_item", "answer": "none"})

    assert _errors(broken) == {
        "code": ["must be a non-empty text code."],
        "version": ["must be a whole number from 1."],
        "name": ["must be a non-empty text."],
        "items[1].code": ["'institutional_violence' is used twice."],
        "items[2].answers": ["must list at least two answers."],
        "items[3].answers[1].points": ["must be a whole number from 0 to 100."],
        "items[3].answers[2].points": ["must be a whole number from 0 to 100."],
        "items[4].answers[1].code": ["'none' is used twice."],
        "items[5].answers[0]": ["must be an object with code, label and points."],
        "cut_points.medium": ["must be higher than the minimum cut-point."],
        "special_management[4]": ["must name an item and one of its answers."],
        "special_management[5]": ["must name an item and one of its answers."],
    }


@pytest.mark.parametrize(
    ("cut_points", "errors"),
    [
        (None, {"cut_points": ["must give the highest minimum and medium totals."]}),
        ({"minimum": -1, "medium": 4}, {"cut_points.minimum": ["must be a whole number from 0."]}),
        ({"minimum": 2}, {"cut_points.medium": ["must be a whole number from 0."]}),
        ({"minimum": 2.5, "medium": "9"}, {
            "cut_points.minimum": ["must be a whole number from 0."],
            "cut_points.medium": ["must be a whole number from 0."],
        }),
        ({"minimum": 4, "medium": 4}, {
            "cut_points.medium": ["must be higher than the minimum cut-point."]
        }),
    ],
)  # fmt: skip
def test_cut_points_must_be_two_ordered_whole_numbers(cut_points, errors):
    broken = {**NIC_CUSTODY_V1, "cut_points": cut_points}
    assert _errors(broken) == errors


@pytest.mark.parametrize("items", [None, [], "institutional_violence", {"code": "x"}])
def test_an_instrument_needs_a_list_of_items(items):
    assert _errors({**NIC_CUSTODY_V1, "items": items, "special_management": []}) == {
        "items": ["must list at least one item."]
    }


def test_an_item_that_is_not_an_object_is_named_by_its_position():
    broken = copy.deepcopy(NIC_CUSTODY_V1)
    broken["items"].append("escape_history")
    assert _errors(broken) == {"items[8]": ["must be an object with code, label and answers."]}


@pytest.mark.parametrize("definition", [[], "nic-custody", 7, None])
def test_a_definition_that_is_not_an_object_is_refused_as_a_whole(definition):
    assert _errors(definition) == {
        "definition": ["must be an object with code, items, cut_points."]
    }


def test_special_management_must_be_a_list_of_pairs():
    assert _errors({**NIC_CUSTODY_V1, "special_management": {"item": "special_needs"}}) == {
        "special_management": ["must list item and answer pairs."]
    }
    assert _errors({**NIC_CUSTODY_V1, "special_management": ["special_needs"]}) == {
        "special_management[0]": ["must name an item and one of its answers."]
    }


@PROPERTIES
@given(definitions(), st.data())
def test_breaking_one_answers_points_is_reported_at_that_answers_path(definition, data):
    i = data.draw(st.integers(min_value=0, max_value=len(definition["items"]) - 1))
    answers = definition["items"][i]["answers"]
    j = data.draw(st.integers(min_value=0, max_value=len(answers) - 1))
    bad = data.draw(st.sampled_from([-1, MAX_POINTS + 1, "3", None, 1.5, False]))
    assume(bad is not None or "points" in answers[j])
    answers[j]["points"] = bad
    assert _errors(definition) == {
        f"items[{i}].answers[{j}].points": [f"must be a whole number from 0 to {MAX_POINTS}."]
    }
