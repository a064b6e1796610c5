"""The housing rule book on plain data: who may not sleep where, and why (no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellblock.housing.rules import (
    ADULT_IN_JUVENILE_UNIT,
    BED_OCCUPIED,
    CARE_NEED_UNMET,
    CONTAINMENT_MISSING,
    COST_MOVE,
    COST_PER_CELLMATE,
    COST_PER_MINUTE_TO_MEDICAL,
    CROWDING,
    CUSTODY_ABOVE_RATING,
    JUVENILE_IN_ADULT_UNIT,
    JUVENILE_WITH_ADULTS,
    KEEP_SEPARATE,
    MEDICAL_DISTANCE,
    MOVE,
    OUT_OF_SERVICE,
    PREA_PAIRING,
    RATING_ORDER,
    RESTRICTIVE_HOUSING_REQUIRED,
    RESTRICTIVE_HOUSING_UNAUTHORISED,
    SEX_MISMATCH,
    SINGLE_CELL,
    Place,
    Resident,
    Separation,
    Violation,
    age_group_violations,
    company_violations,
    containment_violations,
    is_lawful,
    juvenile_company_violations,
    place_violations,
    placement_violations,
    prea_pairing_violations,
    price,
    separation_violations,
    shares_scope,
)


def _place(cell: str, unit: str = "u1", facility: str = "f1", **more) -> Place:
    return Place(
        facility=facility, unit=unit, cell=cell, unit_label=f"Unit {unit}",
        cell_label=f"Unit {unit} / {cell}", facility_label=f"Facility {facility}", **more,
    )  # fmt: skip


def _resident(key: str, person: str | None = None, **more) -> Resident:
    return Resident(key=key, person=person or f"p-{key}", label=f"{key} Name", **more)


def _bed(cell: str, bed: str, **more) -> Place:
    """A bed of ``cell`` in unit u1: its key is ``<cell>-<bed>``, staff call it ``bed``."""
    return _place(cell, bed=f"{cell}-{bed}", bed_label=bed, **more)


KAKASHI = _resident("K-1", "kakashi")
SASUKE = _resident("S-1", "sasuke")
NARUTO = _resident("N-1", "naruto")
C1 = _place("c1")
C1_AGAIN = _place("c1")
C2 = _place("c2")
OTHER_UNIT = _place("c9", unit="u2")
OTHER_FACILITY = _place("c1", unit="u1", facility="f2")
MIXED_AGES = replace(C1, unit_age_group="any")


def _order(scope: str, *, other: str | None = "sasuke", group: str | None = None) -> Separation:
    return Separation(key="order-1", person="kakashi", scope=scope, other_person=other, group=group)


def _hard(violations: list[Violation]) -> list[str]:
    return sorted(v.code for v in violations if v.hard)


def _alone(resident: Resident, place: Place) -> list[Violation]:
    """Every rule for ``resident`` in ``place`` with nobody else housed anywhere."""
    return placement_violations(resident, place, housed=[], separations=[])


# --- Scopes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "there", "too_close"),
    [
        ("cell", C1_AGAIN, True),
        ("cell", C2, False),
        ("unit", C2, True),
        ("unit", OTHER_UNIT, False),
        ("facility", OTHER_UNIT, True),
        ("facility", OTHER_FACILITY, False),
        ("total", OTHER_UNIT, True),
        ("total", OTHER_FACILITY, False),
    ],
)
def test_each_scope_includes_the_narrower_ones(scope, there, too_close):
    assert shares_scope(scope, C1, there) is too_close


def test_cells_with_the_same_key_in_two_facilities_are_not_the_same_cell():
    assert shares_scope("cell", C1, OTHER_FACILITY) is False
    assert shares_scope("unit", C1, OTHER_FACILITY) is False


# --- Out of service and taken beds ---------------------------------------------------


def test_a_bed_or_cell_out_of_service_is_refused_naming_the_person_and_the_cell():
    [violation] = _alone(KAKASHI, replace(C1, out_of_service=True))
    assert violation.code == OUT_OF_SERVICE
    assert violation.hard
    assert violation.subject == "out_of_service:c1"
    assert violation.message == "K-1 Name is in Unit u1 / c1, which is out of service."


def test_a_bed_in_service_raises_nothing():
    assert _alone(KAKASHI, _bed("c1", "B1")) == []


def test_a_bed_someone_else_sleeps_in_is_refused_naming_them():
    housed = [(SASUKE, _bed("c1", "B1"))]
    found = company_violations(KAKASHI, _bed("c1", "B1"), housed=housed, separations=[])
    [taken] = [v for v in found if v.code == BED_OCCUPIED]
    assert taken.hard
    assert taken.message == "Unit u1 / c1 bed B1 is taken by S-1 Name."
    assert taken.subject == "bed_occupied:c1-B1"
    assert taken.others == ("S-1",)


def test_the_bed_a_person_sleeps_in_now_is_not_taken_from_them():
    me = replace(KAKASHI, current_bed="c1-B1")
    assert _hard(placement_violations(me, _bed("c1", "B1"), housed=[(me, _bed("c1", "B1"))],
                                      separations=[])) == []  # fmt: skip


def test_the_other_bed_of_a_shared_cell_is_free():
    housed = [(SASUKE, _bed("c1", "B1"))]
    found = placement_violations(KAKASHI, _bed("c1", "B2"), housed=housed, separations=[])
    assert _hard(found) == []


def test_a_rule_about_the_whole_cell_never_calls_a_bed_taken():
    # Alerts are about cells and units; a place without a bed is not a bed to take.
    assert company_violations(KAKASHI, C1, housed=[(SASUKE, C1_AGAIN)], separations=[]) != []
    found = company_violations(KAKASHI, C1, housed=[(SASUKE, C1_AGAIN)], separations=[])
    assert BED_OCCUPIED not in [v.code for v in found]


# --- Sex ------------------------------------------------------------------------------


def test_a_man_in_a_womens_unit_is_refused():
    [violation] = _alone(replace(KAKASHI, sex="male"), replace(C1, sex_served="female"))
    assert violation.code == SEX_MISMATCH
    assert violation.hard
    assert violation.subject == "sex_mismatch:u1"
    assert violation.message == "K-1 Name is male; Unit u1 houses female only."


def test_a_woman_in_a_mens_unit_is_refused():
    [violation] = _alone(replace(KAKASHI, sex="female"), replace(C1, sex_served="male"))
    assert violation.message == "K-1 Name is female; Unit u1 houses male only."


@pytest.mark.parametrize("served", ["male", "female"])
def test_a_person_of_unrecorded_sex_needs_a_unit_serving_any_sex(served):
    [violation] = _alone(KAKASHI, replace(C1, sex_served=served))
    assert violation.code == SEX_MISMATCH
    assert violation.message == f"K-1 Name is of unrecorded sex; Unit u1 houses {served} only."


@pytest.mark.parametrize("served", ["male", "female"])
def test_an_intersex_person_is_refused_a_single_sex_unit(served):
    [violation] = _alone(replace(KAKASHI, sex="intersex"), replace(C1, sex_served=served))
    assert violation.message == f"K-1 Name is intersex; Unit u1 houses {served} only."


@pytest.mark.parametrize("sex", ["male", "female", "intersex", "unknown"])
def test_a_unit_serving_any_sex_houses_everyone(sex):
    assert _alone(replace(KAKASHI, sex=sex), replace(C1, sex_served="any")) == []


@pytest.mark.parametrize("sex", ["male", "female"])
def test_a_single_sex_unit_houses_its_own_sex(sex):
    assert _alone(replace(KAKASHI, sex=sex), replace(C1, sex_served=sex)) == []


# --- Age groups -------------------------------------------------------------------------


def test_a_juvenile_in_an_adult_unit_alone_breaks_sight_and_sound_separation():
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = age_group_violations(juvenile, C1)
    assert violation.code == JUVENILE_IN_ADULT_UNIT
    assert violation.subject == "juvenile_in_adult_unit:u1"
    assert violation.message.startswith("S-1 Name is under 18 and housed in Unit u1, an adult unit")


def test_an_adult_in_a_juvenile_unit_is_refused():
    [violation] = _alone(KAKASHI, replace(C1, unit_age_group="juvenile"))
    assert violation.code == ADULT_IN_JUVENILE_UNIT
    assert violation.hard
    assert violation.subject == "adult_in_juvenile_unit:u1"
    assert violation.message == "K-1 Name is an adult; Unit u1 houses people under 18 only."


def test_a_juvenile_in_a_juvenile_unit_and_anyone_alone_in_a_mixed_unit_are_fine():
    juvenile = replace(SASUKE, juvenile=True)
    assert _alone(juvenile, replace(C1, unit_age_group="juvenile")) == []
    assert _alone(juvenile, MIXED_AGES) == []
    assert _alone(KAKASHI, MIXED_AGES) == []


def test_a_juvenile_in_a_juvenile_unit_with_juveniles_is_lawful():
    unit = replace(C1, unit_age_group="juvenile")
    juvenile, other = replace(SASUKE, juvenile=True), replace(NARUTO, juvenile=True)
    assert juvenile_company_violations(juvenile, unit, [juvenile, other]) == []


def test_a_juvenile_sharing_a_unit_with_adults_gets_one_alert_naming_them_all():
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = juvenile_company_violations(juvenile, MIXED_AGES, [juvenile, KAKASHI, NARUTO])
    assert violation.code == JUVENILE_WITH_ADULTS
    assert "K-1 Name, N-1 Name" in violation.message
    # The remedy is to move the juvenile: the adults are not alerted one by one.
    assert violation.others == ()


def test_an_adult_moved_in_beside_a_juvenile_carries_the_violation_naming_the_juvenile():
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = juvenile_company_violations(KAKASHI, MIXED_AGES, [juvenile, KAKASHI])
    assert violation.subject == "juvenile_with_adults:u1:S-1"
    assert violation.others == ("S-1",)


def test_adults_among_adults_are_fine():
    assert juvenile_company_violations(KAKASHI, C1, [SASUKE, NARUTO]) == []


def test_a_juvenile_moving_into_a_mixed_unit_that_holds_adults_is_refused():
    juvenile = replace(SASUKE, juvenile=True)
    # An adult in the next cell is still in sight and sound.
    found = placement_violations(
        juvenile, MIXED_AGES, housed=[(KAKASHI, replace(C2, unit_age_group="any"))],
        separations=[],
    )  # fmt: skip
    [violation] = [v for v in found if v.hard]
    assert violation.code == JUVENILE_WITH_ADULTS
    assert violation.message == (
        "S-1 Name is under 18 and shares Unit u1 with adults: K-1 Name (PREA 115.14)."
    )


def test_an_adult_moving_into_a_mixed_unit_that_holds_a_juvenile_is_refused():
    juvenile = replace(SASUKE, juvenile=True)
    found = placement_violations(
        KAKASHI, MIXED_AGES, housed=[(juvenile, replace(C2, unit_age_group="any"))],
        separations=[],
    )  # fmt: skip
    [violation] = [v for v in found if v.hard]
    assert violation.code == JUVENILE_WITH_ADULTS
    assert violation.message == (
        "S-1 Name is under 18 and shares Unit u1 with adults: K-1 Name (PREA 115.14)."
    )


def test_adults_in_another_unit_of_the_facility_do_not_count():
    juvenile = replace(SASUKE, juvenile=True)
    found = placement_violations(
        juvenile, MIXED_AGES, housed=[(KAKASHI, replace(OTHER_UNIT, unit_age_group="any"))],
        separations=[],
    )  # fmt: skip
    assert found == []


# --- Custody level and the unit's rating -------------------------------------------------


@pytest.mark.parametrize("level", RATING_ORDER)
@pytest.mark.parametrize("rating", RATING_ORDER)
def test_a_level_sleeps_in_a_unit_rated_at_or_above_it(level, rating):
    found = _alone(replace(KAKASHI, custody_level=level), replace(C1, security_rating=rating))
    refused = RATING_ORDER.index(level) > RATING_ORDER.index(rating)
    assert _hard(found) == ([CUSTODY_ABOVE_RATING] if refused else [])


def test_maximum_custody_in_a_medium_unit_is_refused_naming_both():
    [violation] = _alone(replace(KAKASHI, custody_level="maximum"), C1)
    assert violation.code == CUSTODY_ABOVE_RATING
    assert violation.subject == "custody_above_rating:u1"
    assert violation.message == "K-1 Name is maximum custody; Unit u1 is rated medium."


def test_special_management_sleeps_only_in_a_special_unit():
    special = replace(KAKASHI, custody_level="special")
    for rating in ("minimum", "medium", "maximum"):
        assert _hard(_alone(special, replace(C1, security_rating=rating))) == [CUSTODY_ABOVE_RATING]
    assert _alone(special, replace(C1, security_rating="special")) == []


def test_someone_not_yet_assessed_is_housed_as_medium_custody():
    unassessed = replace(KAKASHI, custody_level="")
    [violation] = _alone(unassessed, replace(C1, security_rating="minimum"))
    assert violation.code == CUSTODY_ABOVE_RATING
    assert violation.message == (
        "K-1 Name is not yet assessed (housed as medium) custody; Unit u1 is rated minimum."
    )
    assert _alone(unassessed, replace(C1, security_rating="medium")) == []
    assert _alone(unassessed, replace(C1, security_rating="maximum")) == []


# --- Containment ----------------------------------------------------------------------


def test_a_containment_need_the_cell_lacks_is_a_violation_per_missing_feature():
    needs = replace(KAKASHI, containment=frozenset({"chakra-suppression", "sharingan-shield"}))
    cell = replace(C1, working_features=frozenset({"sharingan-shield", "lighting"}))
    [violation] = containment_violations(needs, cell)
    assert violation.code == CONTAINMENT_MISSING
    assert violation.subject == "containment_missing:chakra-suppression"
    assert violation.message == (
        "K-1 Name needs a cell with working chakra-suppression; Unit u1 / c1 has none."
    )


def test_each_missing_feature_is_its_own_violation_in_a_stable_order():
    needs = replace(KAKASHI, containment=frozenset({"sharingan-shield", "chakra-suppression"}))
    assert [v.subject for v in containment_violations(needs, C1)] == [
        "containment_missing:chakra-suppression",
        "containment_missing:sharingan-shield",
    ]


def test_a_cell_with_the_feature_working_meets_the_need():
    needs = replace(KAKASHI, containment=frozenset({"chakra-suppression"}))
    assert containment_violations(needs, replace(C1, working_features=frozenset({
        "chakra-suppression"}))) == []  # fmt: skip


def test_a_compromised_feature_is_not_a_working_one():
    # The selectors list only working features: a compromised seal is as good as none.
    needs = replace(KAKASHI, containment=frozenset({"chakra-suppression"}))
    compromised = replace(C1, working_features=frozenset({"lighting"}))
    assert _hard(_alone(needs, compromised)) == [CONTAINMENT_MISSING]


def test_working_features_nobody_needs_are_no_reason_to_refuse():
    extra = replace(C1, working_features=frozenset({"chakra-suppression", "lighting"}))
    assert _alone(KAKASHI, extra) == []


# --- Keep-separate ------------------------------------------------------------------


def test_cellmates_under_a_cell_order_break_it_and_the_alert_names_the_other_side():
    [violation] = separation_violations(KAKASHI, C1, [(SASUKE, C1_AGAIN)], [_order("cell")])
    assert violation.code == KEEP_SEPARATE
    assert violation.subject == "keep_separate:order-1:S-1"
    assert violation.others == ("S-1",)
    assert violation.hard
    assert violation.message == (
        "K-1 Name and S-1 Name are under a keep-separate order (cell) and both in Unit u1 / c1."
    )


def test_an_order_binds_in_both_directions():
    found = separation_violations(SASUKE, C1, [(KAKASHI, C1_AGAIN)], [_order("cell")])
    assert [v.subject for v in found] == ["keep_separate:order-1:K-1"]


def test_neighbours_in_the_next_cell_break_a_unit_order_but_not_a_cell_order():
    assert separation_violations(KAKASHI, C1, [(SASUKE, C2)], [_order("cell")]) == []
    [violation] = separation_violations(KAKASHI, C1, [(SASUKE, C2)], [_order("unit")])
    assert violation.message.endswith("both in Unit u1.")


def test_a_facility_order_names_the_facility_when_they_are_in_different_units():
    [violation] = separation_violations(KAKASHI, C1, [(SASUKE, OTHER_UNIT)], [_order("facility")])
    assert violation.message.endswith("both in Facility f1.")


def test_a_wide_order_says_the_cell_when_they_share_one():
    [violation] = separation_violations(KAKASHI, C1, [(SASUKE, C1_AGAIN)], [_order("total")])
    assert violation.message.endswith("both in Unit u1 / c1.")


@pytest.mark.parametrize(
    ("scope", "there", "broken"),
    [
        ("cell", C1_AGAIN, True),
        ("cell", C2, False),
        ("unit", C2, True),
        ("unit", OTHER_UNIT, False),
        ("facility", OTHER_UNIT, True),
        ("facility", OTHER_FACILITY, False),
        ("total", C1_AGAIN, True),
        ("total", C2, True),
        ("total", OTHER_UNIT, True),
        ("total", OTHER_FACILITY, False),
    ],
)
def test_an_order_refuses_a_bed_within_its_scope_of_the_other_party(scope, there, broken):
    found = placement_violations(KAKASHI, C1, housed=[(SASUKE, there)], separations=[_order(scope)])
    assert (KEEP_SEPARATE in _hard(found)) is broken


def test_people_in_different_facilities_never_break_an_order():
    assert separation_violations(KAKASHI, C1, [(SASUKE, OTHER_FACILITY)], [_order("total")]) == []


def test_an_order_about_other_people_does_not_bind():
    assert separation_violations(KAKASHI, C1, [(NARUTO, C1_AGAIN)], [_order("cell")]) == []


def test_a_group_order_binds_every_member_of_the_group_and_only_them():
    member = replace(NARUTO, groups=frozenset({"akatsuki"}))
    order = _order("unit", other=None, group="akatsuki")
    assert [v.subject for v in separation_violations(KAKASHI, C1, [(member, C2)], [order])] == [
        "keep_separate:order-1:N-1"
    ]
    # And the member sees it from their side.
    assert len(separation_violations(member, C2, [(KAKASHI, C1)], [order])) == 1
    assert separation_violations(KAKASHI, C1, [(NARUTO, C2)], [order]) == []


def test_a_group_order_raises_one_violation_per_member_within_scope():
    itachi = replace(NARUTO, groups=frozenset({"akatsuki"}))
    kisame = _resident("Ki-1", "kisame", groups=frozenset({"akatsuki"}))
    order = _order("facility", other=None, group="akatsuki")
    housed = [(itachi, OTHER_UNIT), (kisame, C2), (SASUKE, C2)]
    found = placement_violations(KAKASHI, C1, housed=housed, separations=[order])
    assert sorted(v.subject for v in found if v.hard) == [
        "keep_separate:order-1:Ki-1",
        "keep_separate:order-1:N-1",
    ]


def test_members_of_the_same_group_are_not_kept_from_each_other_by_the_groups_order():
    # The order keeps Kakashi from Akatsuki, not Akatsuki's members from one another.
    itachi = replace(NARUTO, groups=frozenset({"akatsuki"}))
    kisame = _resident("Ki-1", "kisame", groups=frozenset({"akatsuki"}))
    order = _order("cell", other=None, group="akatsuki")
    assert separation_violations(itachi, C1, [(kisame, C1_AGAIN)], [order]) == []


def test_a_resident_is_never_kept_from_themselves():
    assert separation_violations(KAKASHI, C1, [(KAKASHI, C1)], [_order("cell")]) == []


# --- PREA pairing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("me", "mate", "broken"),
    [
        ({"prea_abuser": True}, {"prea_victim": True}, True),
        ({"prea_victim": True}, {"prea_abuser": True}, True),
        ({"prea_victim": True}, {"prea_victim": True}, False),
        ({"prea_abuser": True}, {"prea_abuser": True}, False),
        ({}, {"prea_victim": True}, False),
    ],
)
def test_a_high_abuser_risk_never_shares_a_cell_with_a_high_victim_risk(me, mate, broken):
    found = prea_pairing_violations(replace(KAKASHI, **me), C1, [replace(SASUKE, **mate)])
    assert bool(found) is broken
    if broken:
        assert found[0].code == PREA_PAIRING
        assert found[0].subject == "prea_pairing:S-1"
        assert found[0].others == ("S-1",)


def test_a_prea_pairing_message_names_both_and_the_cell():
    [violation] = prea_pairing_violations(
        replace(KAKASHI, prea_abuser=True), C1, [replace(SASUKE, prea_victim=True)]
    )
    assert violation.message == (
        "K-1 Name shares cell Unit u1 / c1 with S-1 Name: a high abuser risk and a high victim "
        "risk never share a cell (PREA 115.42)."
    )


@pytest.mark.parametrize(("there", "broken"), [(C1_AGAIN, True), (C2, False), (OTHER_UNIT, False)])
def test_a_victim_and_an_abuser_may_share_a_unit_but_not_a_cell(there, broken):
    abuser, victim = replace(KAKASHI, prea_abuser=True), replace(SASUKE, prea_victim=True)
    found = placement_violations(abuser, C1, housed=[(victim, there)], separations=[])
    assert (PREA_PAIRING in _hard(found)) is broken
    found = placement_violations(victim, C1, housed=[(abuser, there)], separations=[])
    assert (PREA_PAIRING in _hard(found)) is broken


# --- Single cells ----------------------------------------------------------------------


def test_a_single_celled_person_moving_in_with_someone_is_refused():
    single = replace(KAKASHI, single_cell=True)
    found = placement_violations(single, C1, housed=[(SASUKE, C1_AGAIN)], separations=[])
    [violation] = [v for v in found if v.hard]
    assert violation.code == SINGLE_CELL
    assert violation.subject == "single_cell:S-1"
    assert violation.others == ("S-1",)
    assert violation.message == "K-1 Name must be single-celled; Unit u1 / c1 also holds S-1 Name."


def test_moving_in_with_a_single_celled_person_is_refused_naming_them():
    single = replace(SASUKE, single_cell=True)
    found = placement_violations(KAKASHI, C1, housed=[(single, C1_AGAIN)], separations=[])
    [violation] = [v for v in found if v.hard]
    assert violation.code == SINGLE_CELL
    assert violation.subject == "single_cell:S-1"
    assert violation.message == "S-1 Name must be single-celled; Unit u1 / c1 also holds K-1 Name."


def test_a_single_celled_person_alone_in_a_cell_is_fine_whoever_is_next_door():
    single = replace(KAKASHI, single_cell=True)
    assert _hard(placement_violations(single, C1, housed=[(SASUKE, C2)], separations=[])) == []


def test_two_single_celled_people_in_one_cell_break_the_rule():
    found = placement_violations(
        replace(KAKASHI, single_cell=True), C1,
        housed=[(replace(SASUKE, single_cell=True), C1_AGAIN)], separations=[],
    )  # fmt: skip
    assert _hard(found) == [SINGLE_CELL]


# --- Restrictive housing -------------------------------------------------------------------


def test_a_restrictive_housing_placement_outside_a_restrictive_unit_is_refused():
    [violation] = _alone(replace(KAKASHI, restrictive_housing=True), C1)
    assert violation.code == RESTRICTIVE_HOUSING_REQUIRED
    assert violation.hard
    assert violation.message == (
        "K-1 Name is placed in restrictive housing; Unit u1 is not a restrictive housing unit."
    )


def test_a_restrictive_unit_refuses_someone_without_an_authorised_placement():
    [violation] = _alone(KAKASHI, replace(C1, restrictive_housing=True))
    assert violation.code == RESTRICTIVE_HOUSING_UNAUTHORISED
    assert violation.message == (
        "Unit u1 is restrictive housing; K-1 Name has no authorised restrictive housing placement."
    )


def test_an_authorised_placement_in_a_restrictive_unit_is_fine():
    assert _alone(
        replace(KAKASHI, restrictive_housing=True), replace(C1, restrictive_housing=True)
    ) == []  # fmt: skip


# --- Care needs ------------------------------------------------------------------------------


def test_a_lower_bunk_need_refuses_a_top_bunk():
    needs = replace(KAKASHI, care_needs=frozenset({"lower-bunk"}))
    [violation] = _alone(needs, _bed("c1", "B2", lower_bunk=False))
    assert violation.code == CARE_NEED_UNMET
    assert violation.hard
    assert violation.subject == "care_need_unmet:lower-bunk"
    assert (
        violation.message == "K-1 Name needs a lower bunk; Unit u1 / c1 bed B2 does not offer it."
    )


def test_a_lower_bunk_meets_the_need():
    needs = replace(KAKASHI, care_needs=frozenset({"lower-bunk"}))
    assert _alone(needs, _bed("c1", "B1", lower_bunk=True)) == []


def test_a_lower_bunk_need_is_judged_per_bed_not_per_cell():
    needs = replace(KAKASHI, care_needs=frozenset({"lower-bunk"}))
    assert _alone(needs, C1) == []


def test_a_wheelchair_user_needs_a_wheelchair_accessible_cell():
    needs = replace(KAKASHI, care_needs=frozenset({"wheelchair-cell"}))
    [violation] = _alone(needs, C1)
    assert violation.code == CARE_NEED_UNMET
    assert violation.subject == "care_need_unmet:wheelchair-cell"
    assert violation.message == (
        "K-1 Name needs a wheelchair-accessible cell; Unit u1 / c1 does not offer it."
    )
    accessible = replace(C1, working_features=frozenset({"wheelchair-accessible"}))
    assert _alone(needs, accessible) == []


def test_both_care_needs_unmet_are_two_violations():
    needs = replace(KAKASHI, care_needs=frozenset({"lower-bunk", "wheelchair-cell"}))
    found = _alone(needs, _bed("c1", "B2"))
    assert sorted(v.subject for v in found) == [
        "care_need_unmet:lower-bunk",
        "care_need_unmet:wheelchair-cell",
    ]


# --- Soft rules: priced, never refused ---------------------------------------------------------


def test_moving_someone_out_of_the_bed_they_sleep_in_is_priced():
    housed_now = replace(KAKASHI, current_bed="c1-B1")
    [violation] = _alone(housed_now, _bed("c2", "B1"))
    assert violation.code == MOVE
    assert not violation.hard
    assert violation.cost == COST_MOVE == 100
    assert violation.subject == "move:c1-B1"
    assert violation.message == "K-1 Name would move from the bed they sleep in now."


def test_staying_in_the_same_bed_or_arriving_unhoused_costs_no_move():
    assert _alone(replace(KAKASHI, current_bed="c1-B1"), _bed("c1", "B1")) == []
    assert _alone(KAKASHI, _bed("c2", "B1")) == []


def test_each_cellmate_is_priced():
    found = placement_violations(
        KAKASHI, _bed("c1", "B3"),
        housed=[(SASUKE, _bed("c1", "B1")), (NARUTO, _bed("c1", "B2"))], separations=[],
    )  # fmt: skip
    [violation] = found
    assert violation.code == CROWDING
    assert not violation.hard
    assert violation.cost == 2 * COST_PER_CELLMATE == 20
    assert violation.subject == "crowding:c1"
    assert violation.message == "Unit u1 / c1 would hold 3 people."


def test_an_empty_cell_and_neighbours_next_door_cost_nothing():
    assert _alone(KAKASHI, C1) == []
    assert placement_violations(KAKASHI, C1, housed=[(SASUKE, C2)], separations=[]) == []


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_a_cell_of_n_people_costs_ten_times_n_times_n_minus_one(size):
    people = [_resident(f"R-{n}") for n in range(size)]
    housed = [(person, _bed("c1", f"B{n}")) for n, person in enumerate(people)]
    total = sum(
        price(placement_violations(person, place, housed=housed, separations=[]))
        for person, place in housed
    )
    assert total == COST_PER_CELLMATE * size * (size - 1)


@pytest.mark.parametrize("need", ["near-medical", "medical-monitoring"])
def test_a_person_who_must_be_near_medical_is_priced_per_minute_of_walk(need):
    needs = replace(KAKASHI, care_needs=frozenset({need}))
    [violation] = _alone(needs, replace(C1, minutes_to_medical=7))
    assert violation.code == MEDICAL_DISTANCE
    assert not violation.hard
    assert violation.cost == 7 * COST_PER_MINUTE_TO_MEDICAL == 35
    assert violation.subject == "medical_distance:u1"
    assert violation.message == "K-1 Name needs to be near medical; Unit u1 is 7 min away."


def test_the_medical_unit_itself_costs_nothing_and_nobody_else_pays_for_the_walk():
    needs = replace(KAKASHI, care_needs=frozenset({"near-medical", "medical-monitoring"}))
    assert _alone(needs, replace(C1, minutes_to_medical=0)) == []
    assert _alone(KAKASHI, replace(C1, minutes_to_medical=30)) == []


def test_both_medical_needs_are_priced_once():
    needs = replace(KAKASHI, care_needs=frozenset({"near-medical", "medical-monitoring"}))
    assert price(_alone(needs, replace(C1, minutes_to_medical=4))) == 4 * COST_PER_MINUTE_TO_MEDICAL


def test_soft_rules_add_up_and_leave_a_placement_lawful():
    mover = replace(KAKASHI, current_bed="c9-B1", care_needs=frozenset({"near-medical"}))
    place = _bed("c1", "B2", minutes_to_medical=3)
    found = placement_violations(mover, place, housed=[(SASUKE, _bed("c1", "B1"))],
                                 separations=[])  # fmt: skip
    assert sorted(v.code for v in found) == [CROWDING, MEDICAL_DISTANCE, MOVE]
    assert is_lawful(found)
    assert price(found) == COST_MOVE + COST_PER_CELLMATE + 3 * COST_PER_MINUTE_TO_MEDICAL


# --- Verdicts --------------------------------------------------------------------------------


def test_no_violations_is_lawful_and_free():
    assert is_lawful([])
    assert price([]) == 0


def test_one_hard_violation_makes_a_placement_unlawful_whatever_else_is_soft():
    hard = Violation("x", "x", hard=True)
    soft = Violation("y", "y", hard=False, cost=5)
    assert not is_lawful([soft, hard])
    assert is_lawful([soft])


def test_price_counts_only_soft_violations():
    found = [
        Violation("x", "x", hard=True, cost=1_000),
        Violation("y", "y", hard=False, cost=5),
        Violation("z", "z", hard=False, cost=7),
    ]
    assert price(found) == 12


def test_price_accepts_any_iterable_once():
    assert price(v for v in [Violation("y", "y", hard=False, cost=5)]) == 5
    assert is_lawful(v for v in [Violation("y", "y", hard=False)])


def test_hard_violations_cost_nothing_in_themselves():
    everything_wrong = replace(
        KAKASHI, sex="male", juvenile=True, custody_level="special",
        containment=frozenset({"chakra-suppression"}), restrictive_housing=True,
        care_needs=frozenset({"lower-bunk", "wheelchair-cell"}),
    )  # fmt: skip
    place = _bed("c1", "B2", sex_served="female", out_of_service=True)
    found = _alone(everything_wrong, place)
    assert _hard(found) == sorted(
        [OUT_OF_SERVICE, SEX_MISMATCH, JUVENILE_IN_ADULT_UNIT, CUSTODY_ABOVE_RATING,
         CONTAINMENT_MISSING, RESTRICTIVE_HOUSING_REQUIRED, CARE_NEED_UNMET, CARE_NEED_UNMET]
    )  # fmt: skip
    assert all(v.cost == 0 for v in found if v.hard)
    # Every message names the person or their bed.
    assert all("K-1 Name" in v.message for v in found)


# --- Everything together ----------------------------------------------------------------


def test_placement_violations_looks_at_unit_mates_cellmates_and_orders_together():
    kakashi = replace(KAKASHI, containment=frozenset({"chakra-suppression"}), prea_abuser=True)
    sasuke = replace(SASUKE, prea_victim=True)
    juvenile = replace(NARUTO, juvenile=True)
    housed = [(kakashi, C1), (sasuke, C1_AGAIN), (juvenile, C2)]
    found = placement_violations(kakashi, C1, housed=housed, separations=[_order("cell")])
    assert sorted(v.subject for v in found if v.hard) == [
        "containment_missing:chakra-suppression",
        "juvenile_with_adults:u1:N-1",
        "keep_separate:order-1:S-1",
        "prea_pairing:S-1",
    ]
    # Sasuke is a cellmate: sharing is lawful here, and priced.
    assert [(v.code, v.cost) for v in found if not v.hard] == [(CROWDING, COST_PER_CELLMATE)]


def test_placement_violations_is_the_place_rules_and_the_company_rules():
    mover = replace(KAKASHI, current_bed="c9-B1", custody_level="maximum")
    housed = [(replace(SASUKE, single_cell=True), C1_AGAIN)]
    assert placement_violations(mover, C1, housed=housed, separations=[]) == [
        *place_violations(mover, C1),
        *company_violations(mover, C1, housed=housed, separations=[]),
    ]


def test_people_elsewhere_in_the_facility_are_not_cellmates_or_unit_mates():
    juvenile = replace(NARUTO, juvenile=True)
    sasuke = replace(SASUKE, prea_victim=True)
    housed = [(KAKASHI, C1), (juvenile, OTHER_UNIT), (sasuke, OTHER_FACILITY)]
    abuser = replace(KAKASHI, prea_abuser=True)
    assert placement_violations(abuser, C1, housed=housed, separations=[]) == []


# --- Properties ------------------------------------------------------------------------------

SEXES = st.sampled_from(["male", "female", "intersex", "unknown"])
KEYS = st.text(alphabet="ABCXYZ0123456789-", min_size=1, max_size=6)
GROUPS = st.frozensets(st.sampled_from(["akatsuki", "sound", "mist"]), max_size=2)
SCOPES = st.sampled_from(["cell", "unit", "facility", "total"])
NEEDS = st.frozensets(
    st.sampled_from(["lower-bunk", "wheelchair-cell", "near-medical", "medical-monitoring"])
)
FEATURES = st.frozensets(
    st.sampled_from(["chakra-suppression", "wheelchair-accessible", "lighting"])
)
LEVELS = st.sampled_from(["", *RATING_ORDER])

# A resident with no needs: no containment, care needs, restrictive housing or juvenile
# flag, at a custody level a medium unit takes.  Anything else may vary.
UNDEMANDING = st.builds(
    Resident,
    key=st.just("ME-1"),
    person=st.just("me"),
    label=st.just("ME-1 Name"),
    sex=SEXES,
    custody_level=st.sampled_from(["", "minimum", "medium"]),
    prea_victim=st.booleans(),
    prea_abuser=st.booleans(),
    single_cell=st.booleans(),
    groups=GROUPS,
    current_bed=st.sampled_from(["", "elsewhere-B1", "empty-B1"]),
)
ANYONE = st.builds(
    Resident,
    key=KEYS.map(lambda key: f"O-{key}"),
    person=KEYS.map(lambda key: f"o-{key}"),
    label=KEYS,
    juvenile=st.booleans(),
    containment=st.frozensets(st.just("chakra-suppression")),
    prea_victim=st.booleans(),
    prea_abuser=st.booleans(),
    groups=GROUPS,
    sex=SEXES,
    custody_level=LEVELS,
    single_cell=st.booleans(),
    restrictive_housing=st.booleans(),
    care_needs=NEEDS,
)
EMPTY_UNIT = Place(
    facility="f1", unit="empty", cell="empty-c1", unit_label="Empty unit",
    cell_label="Empty unit / c1", bed="empty-B1", bed_label="B1", sex_served="any",
    unit_age_group="adult", security_rating="medium",
)  # fmt: skip
# Another unit of the same facility, and another facility: the only places others may be.
NEXT_UNIT = Place(facility="f1", unit="next", cell="next-c1", unit_label="Next unit",
                  cell_label="Next unit / c1", bed="next-B1")  # fmt: skip
# Unit and cell keys are the facility's own; bed keys are unique everywhere.
AWAY = Place(facility="f2", unit="empty", cell="empty-c1", unit_label="Away unit",
             cell_label="Away unit / c1", bed="away-B1")  # fmt: skip


def _orders_between(
    people: list[Resident], me: Resident, scopes: st.SearchStrategy[str], *, groups: bool
) -> st.SearchStrategy[list[Separation]]:
    parties = st.sampled_from([me.person, *(p.person for p in people)])
    group = st.sampled_from(["akatsuki", "sound", "mist"]) if groups else st.nothing()
    return st.lists(
        st.builds(
            Separation, key=KEYS, person=parties, scope=scopes,
            other_person=st.one_of(st.none(), parties), group=st.one_of(st.none(), group),
        ),
        max_size=4,
    )  # fmt: skip


@st.composite
def _world_around_an_empty_unit(draw):
    """Others housed in the next unit or in another facility, under orders that allow it.

    Orders narrower than the facility may name anyone, groups included; wider ones
    only the people in the other facility (a group order would reach next door).
    """
    me = draw(UNDEMANDING)
    # Each person once: the same person cannot be next door and away.
    next_door = [
        replace(r, key=f"N-{n}", person=f"next-{n}")
        for n, r in enumerate(draw(st.lists(ANYONE, max_size=4)))
    ]
    away = [
        replace(r, key=f"A-{n}", person=f"away-{n}")
        for n, r in enumerate(draw(st.lists(ANYONE, max_size=4)))
    ]
    orders = draw(
        _orders_between([*next_door, *away], me, st.sampled_from(["cell", "unit"]), groups=True)
    )
    orders += draw(_orders_between(away, me, SCOPES, groups=False))
    housed = [(person, NEXT_UNIT) for person in next_door] + [(person, AWAY) for person in away]
    return me, housed, orders


@settings(max_examples=150, deadline=None, database=None)
@given(_world_around_an_empty_unit())
def test_a_resident_with_no_needs_is_always_lawful_in_an_empty_plain_unit(world):
    me, housed, orders = world
    found = placement_violations(me, EMPTY_UNIT, housed=housed, separations=orders)
    assert [v for v in found if v.hard] == []
    # Only the move out of another bed may be priced; the walk to medical is nil here.
    assert {v.code for v in found} <= {MOVE}


PLACES = st.builds(
    Place,
    facility=st.sampled_from(["f1", "f2"]),
    unit=st.sampled_from(["u1", "u2"]),
    cell=st.sampled_from(["c1", "c2"]),
    unit_label=st.just("Unit"),
    cell_label=st.just("Unit / cell"),
    unit_age_group=st.sampled_from(["adult", "juvenile", "any"]),
    working_features=FEATURES,
    out_of_service=st.booleans(),
    bed=st.sampled_from(["", "B1", "B2", "B3"]),
    lower_bunk=st.booleans(),
    sex_served=st.sampled_from(["male", "female", "any"]),
    security_rating=st.sampled_from(RATING_ORDER),
    restrictive_housing=st.booleans(),
    minutes_to_medical=st.integers(min_value=0, max_value=120),
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    ANYONE.map(lambda r: replace(r, current_bed="B1")) | ANYONE,
    PLACES,
    st.lists(st.tuples(ANYONE, PLACES), max_size=6),
    st.lists(
        st.builds(
            Separation, key=KEYS, person=KEYS.map(lambda key: f"o-{key}"), scope=SCOPES,
            other_person=st.one_of(st.none(), KEYS.map(lambda key: f"o-{key}")),
            group=st.one_of(st.none(), st.sampled_from(["akatsuki", "sound"])),
        ),
        max_size=4,
    ),
)  # fmt: skip
def test_a_price_is_never_negative_and_only_soft_violations_carry_one(me, place, housed, orders):
    found = placement_violations(me, place, housed=housed, separations=orders)
    assert price(found) >= 0
    assert all(v.cost >= 0 for v in found)
    assert all(v.cost == 0 for v in found if v.hard)
    assert is_lawful(found) == (not any(v.hard for v in found))
