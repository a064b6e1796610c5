"""The housing rule book on plain data: who may not sleep where, and why (no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cellblock.housing.rules import (
    CONTAINMENT_MISSING,
    JUVENILE_IN_ADULT_UNIT,
    JUVENILE_WITH_ADULTS,
    KEEP_SEPARATE,
    PREA_PAIRING,
    Place,
    Resident,
    Separation,
    containment_violations,
    juvenile_violations,
    placement_violations,
    prea_pairing_violations,
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


KAKASHI = _resident("K-1", "kakashi")
SASUKE = _resident("S-1", "sasuke")
NARUTO = _resident("N-1", "naruto")
C1 = _place("c1")
C1_AGAIN = _place("c1")
C2 = _place("c2")
OTHER_UNIT = _place("c9", unit="u2")
OTHER_FACILITY = _place("c1", unit="u1", facility="f2")


def _order(scope: str, *, other: str | None = "sasuke", group: str | None = None) -> Separation:
    return Separation(key="order-1", person="kakashi", scope=scope, other_person=other, group=group)


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


def test_a_resident_is_never_kept_from_themselves():
    assert separation_violations(KAKASHI, C1, [(KAKASHI, C1)], [_order("cell")]) == []


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


def test_a_cell_with_the_feature_working_meets_the_need():
    needs = replace(KAKASHI, containment=frozenset({"chakra-suppression"}))
    assert containment_violations(needs, replace(C1, working_features=frozenset({
        "chakra-suppression"}))) == []  # fmt: skip


# --- Juveniles ------------------------------------------------------------------------


def test_a_juvenile_in_an_adult_unit_alone_breaks_sight_and_sound_separation():
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = juvenile_violations(juvenile, C1, [])
    assert violation.code == JUVENILE_IN_ADULT_UNIT
    assert violation.subject == "juvenile_in_adult_unit:u1"


def test_a_juvenile_in_a_juvenile_unit_with_juveniles_is_lawful():
    unit = replace(C1, unit_age_group="juvenile")
    juvenile, other = replace(SASUKE, juvenile=True), replace(NARUTO, juvenile=True)
    assert juvenile_violations(juvenile, unit, [juvenile, other]) == []


def test_a_juvenile_sharing_a_unit_with_adults_gets_one_alert_naming_them_all():
    unit = replace(C1, unit_age_group="any")
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = juvenile_violations(juvenile, unit, [juvenile, KAKASHI, NARUTO])
    assert violation.code == JUVENILE_WITH_ADULTS
    assert "K-1 Name, N-1 Name" in violation.message
    # The remedy is to move the juvenile: the adults are not alerted one by one.
    assert violation.others == ()


def test_an_adult_moved_in_beside_a_juvenile_carries_the_violation_naming_the_juvenile():
    unit = replace(C1, unit_age_group="any")
    juvenile = replace(SASUKE, juvenile=True)
    [violation] = juvenile_violations(KAKASHI, unit, [juvenile, KAKASHI])
    assert violation.subject == "juvenile_with_adults:u1:S-1"
    assert violation.others == ("S-1",)


def test_adults_among_adults_are_fine():
    assert juvenile_violations(KAKASHI, C1, [SASUKE, NARUTO]) == []


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


# --- Everything together ----------------------------------------------------------------


def test_placement_violations_looks_at_unit_mates_cellmates_and_orders_together():
    kakashi = replace(KAKASHI, containment=frozenset({"chakra-suppression"}), prea_abuser=True)
    sasuke = replace(SASUKE, prea_victim=True)
    juvenile = replace(NARUTO, juvenile=True)
    housed = [(kakashi, C1), (sasuke, C1_AGAIN), (juvenile, C2)]
    found = placement_violations(kakashi, C1, housed=housed, separations=[_order("cell")])
    assert sorted(v.subject for v in found) == [
        "containment_missing:chakra-suppression",
        "juvenile_with_adults:u1:N-1",
        "keep_separate:order-1:S-1",
        "prea_pairing:S-1",
    ]


def test_people_elsewhere_in_the_facility_are_not_cellmates_or_unit_mates():
    juvenile = replace(NARUTO, juvenile=True)
    sasuke = replace(SASUKE, prea_victim=True)
    housed = [(KAKASHI, C1), (juvenile, OTHER_UNIT), (sasuke, OTHER_FACILITY)]
    abuser = replace(KAKASHI, prea_abuser=True)
    assert placement_violations(abuser, C1, housed=housed, separations=[]) == []
