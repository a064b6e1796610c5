"""The best free beds for one person, cheapest first, with reasons (housing/recommend.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.booking.services import booking_open
from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set, separation_order_create
from cellblock.conftest import screen_clear
from cellblock.core.roles import Role
from cellblock.facilities.services import cell_create, cell_feature_set, unit_create
from cellblock.housing import rules
from cellblock.housing.recommend import CONTAINMENT_MET, EMPTY_CELL, bed_recommendations
from cellblock.housing.selectors import placement_verdict
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
# The person's flags, groups and bed; the free beds; their cells' features; the people in
# the candidate cells and in each unit; the flags that decide company; the keep-separate
# orders; the cellmates of the beds returned; the beds returned.
QUERIES = 11


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(site, given, family="Test"):
    """A booking screened clear at intake, so it may be given the bed recommended."""
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking)


def _labels(found):
    return [(r.bed.cell.code, r.bed.code) for r in found]


def _agrees_with_the_rule_book(booking, found):
    for recommendation in found:
        verdict = placement_verdict(booking, recommendation.bed, NOW)
        assert verdict.lawful
        assert verdict.cost == recommendation.cost


def test_empty_cells_come_first_then_the_least_crowded(site, supervisor):
    guy = _book(site, "Guy")
    bed_assign(actor=supervisor, booking=guy, bed=site.cells[0].beds.get(code="B1"))
    kakashi = _book(site, "Kakashi")
    found = bed_recommendations(kakashi, limit=3)
    assert _labels(found) == [("A1-2", "B1"), ("A1-2", "B2"), ("A1-1", "B2")]
    assert [r.cost for r in found] == [0, 0, rules.COST_PER_CELLMATE]
    assert EMPTY_CELL in found[0].reasons
    assert any("would hold 2 people" in reason for reason in found[2].reasons)
    _agrees_with_the_rule_book(kakashi, found)


def test_only_cells_with_the_working_containment_feature_are_offered(
    site, supervisor, admin_user, cleo
):
    guarded = cell_create(
        actor=None, unit=site.unit, code="C-1", beds=1, features=["chakra-suppression"]
    )
    broken = cell_create(
        actor=None, unit=site.unit, code="C-2", beds=1, features=["chakra-suppression"]
    )
    cell_feature_set(actor=admin_user, cell=broken, tag="chakra-suppression", status="compromised")
    kakashi = _book(site, "Kakashi")
    flag_set(
        actor=cleo, booking=kakashi, kind=FlagKind.CONTAINMENT, detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    found = bed_recommendations(kakashi)
    assert _labels(found) == [(guarded.code, "B1")]
    assert CONTAINMENT_MET.format(feature="chakra-suppression") in found[0].reasons


@pytest.fixture
def zabuza_and_haku(site, supervisor):
    zabuza, haku = _book(site, "Zabuza"), _book(site, "Haku")
    bed_assign(actor=supervisor, booking=zabuza, bed=site.cells[0].beds.get(code="B1"))
    other_unit = unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    cell_create(actor=None, unit=other_unit, code="B1-1", beds=1)
    return zabuza, haku


def test_a_cell_keep_separate_order_keeps_them_out_of_the_others_cell(zabuza_and_haku, cleo, site):
    zabuza, haku = zabuza_and_haku
    separation_order_create(
        actor=cleo, facility=site.facility, person=haku.person, other_person=zabuza.person,
        scope="cell", reason="threats",
    )  # fmt: skip
    found = bed_recommendations(haku, limit=10)
    assert ("A1-1", "B2") not in _labels(found)
    assert ("A1-2", "B1") in _labels(found)
    _agrees_with_the_rule_book(haku, found)


def test_a_unit_keep_separate_order_keeps_them_out_of_the_others_unit(zabuza_and_haku, cleo, site):
    zabuza, haku = zabuza_and_haku
    separation_order_create(
        actor=cleo, facility=site.facility, person=zabuza.person, other_person=haku.person,
        scope="unit", reason="threats",
    )  # fmt: skip
    found = bed_recommendations(haku, limit=10)
    assert _labels(found) == [("B1-1", "B1")]
    _agrees_with_the_rule_book(haku, found)


def test_a_facility_keep_separate_order_leaves_no_bed_here(zabuza_and_haku, cleo, site):
    zabuza, haku = zabuza_and_haku
    separation_order_create(
        actor=cleo, facility=site.facility, person=zabuza.person, other_person=haku.person,
        scope="facility", reason="threats",
    )  # fmt: skip
    assert bed_recommendations(haku, limit=10) == []


def test_a_single_celled_person_gets_an_empty_cell_and_nobody_joins_one(
    site, supervisor, commander
):
    loner = _book(site, "Gaara")
    flag_set(actor=commander, booking=loner, kind=FlagKind.SINGLE_CELL, reason="violent")
    bed_assign(actor=supervisor, booking=_book(site, "Guy"), bed=site.cells[0].beds.get(code="B1"))
    assert {cell for cell, _ in _labels(bed_recommendations(loner, limit=10))} == {"A1-2"}
    bed_assign(actor=supervisor, booking=loner, bed=site.cells[1].beds.get(code="B1"))
    newcomer = _book(site, "Lee")
    assert _labels(bed_recommendations(newcomer, limit=10)) == [("A1-1", "B2")]


def test_a_juvenile_is_offered_a_juvenile_unit_only_while_no_adult_sleeps_there(
    site, commander, cleo
):
    juveniles = unit_create(
        actor=None, zone=site.zone, code="J1", name="Juveniles", age_group="juvenile"
    )
    first = cell_create(actor=None, unit=juveniles, code="J1-1", beds=1)
    cell_create(actor=None, unit=juveniles, code="J1-2", beds=1)
    sasuke = _book(site, "Sasuke", "Uchiha")
    flag_set(actor=cleo, booking=sasuke, kind=FlagKind.JUVENILE, reason="16 years old")
    found = bed_recommendations(sasuke, limit=10)
    assert _labels(found) == [("J1-1", "B1"), ("J1-2", "B1")]
    _agrees_with_the_rule_book(sasuke, found)
    adult = _book(site, "Orochimaru")
    bed_assign(actor=commander, booking=adult, bed=first.beds.get(), override_reason="nowhere else")
    assert bed_recommendations(sasuke, limit=10) == []


def test_a_unit_for_the_other_sex_or_a_higher_rating_is_not_offered(site):
    women = unit_create(actor=None, zone=site.zone, code="W1", name="Women", sex_served="female")
    cell_create(actor=None, unit=women, code="W1-1", beds=1)
    person = person_create(
        actor=None, facility=None, given_name="Naruto", family_name="Uzumaki", sex="male"
    )
    naruto = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    assert "W1-1" not in {cell for cell, _ in _labels(bed_recommendations(naruto, limit=10))}


def test_the_walk_to_medical_is_priced_for_those_who_need_to_be_near(site, cleo):
    near = unit_create(actor=None, zone=site.zone, code="M1", name="Infirmary wing")
    cell_create(actor=None, unit=near, code="M1-1", beds=1)
    far_unit = site.unit
    far_unit.minutes_to_medical = 6
    far_unit.save(update_fields=["minutes_to_medical"])
    patient = _book(site, "Rin")
    flag_set(
        actor=cleo, booking=patient, kind=FlagKind.MEDICAL_NEED, detail="near-medical",
        reason="heart condition",
    )  # fmt: skip
    found = bed_recommendations(patient, limit=2)
    assert _labels(found)[0] == ("M1-1", "B1")
    assert found[1].cost == rules.COST_PER_MINUTE_TO_MEDICAL * 6
    _agrees_with_the_rule_book(patient, found)


def test_a_housed_person_pays_for_the_move_and_is_not_offered_their_own_bed(site, supervisor):
    kakashi = _book(site, "Kakashi")
    bed = site.cells[0].beds.get(code="B1")
    bed_assign(actor=supervisor, booking=kakashi, bed=bed)
    found = bed_recommendations(kakashi, limit=10)
    assert bed.pk not in {r.bed.pk for r in found}
    # Staying in the same cell costs the move; A1-1 B2 is no more crowded than B1 was.
    assert all(r.cost >= rules.COST_MOVE for r in found)
    assert found[0].cost == rules.COST_MOVE
    _agrees_with_the_rule_book(kakashi, found)


def test_nothing_free_means_no_recommendation(site, supervisor):
    for n, bed in enumerate(bed for cell in site.cells for bed in cell.beds.all()):
        bed_assign(actor=supervisor, booking=_book(site, f"P{n}"), bed=bed)
    assert bed_recommendations(_book(site, "Late")) == []


def _house(site, supervisor, count):
    for n in range(count):
        cell = cell_create(actor=None, unit=site.unit, code=f"X{n}", beds=2)
        bed_assign(actor=supervisor, booking=_book(site, f"P{n}"), bed=cell.beds.get(code="B2"))


@pytest.mark.parametrize("population", [5, 50])
def test_the_queries_stay_the_same_whatever_the_population(site, supervisor, cleo, population):
    _house(site, supervisor, population)
    zabuza = _book(site, "Zabuza")
    bed_assign(actor=supervisor, booking=zabuza, bed=site.cells[0].beds.get(code="B2"))
    kakashi = _book(site, "Kakashi")
    flag_set(
        actor=cleo, booking=kakashi, kind=FlagKind.MEDICAL_NEED, detail="lower-bunk",
        reason="knee",
    )  # fmt: skip
    separation_order_create(
        actor=cleo, facility=site.facility, person=kakashi.person, other_person=zabuza.person,
        scope="cell", reason="threats",
    )  # fmt: skip
    kakashi = type(kakashi).objects.select_related("person", "facility").get(pk=kakashi.pk)
    with CaptureQueriesContext(connection) as queries:
        found = bed_recommendations(kakashi)
    assert _labels(found) == [("A1-2", "B1"), ("X0", "B1"), ("X1", "B1")]
    assert len(queries) == QUERIES + 1  # where the other party of the order sleeps
