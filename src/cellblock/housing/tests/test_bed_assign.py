"""Housing someone in a bed: the rule book refuses, the commander overrides, moves are audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification.prea import ABUSER_CRITERIA, VICTIM_CRITERIA
from cellblock.classification.services import (
    flag_set,
    prea_screening_record,
    separation_order_create,
)
from cellblock.conftest import screen_clear
from cellblock.core.errors import Conflict, PermissionDenied
from cellblock.facilities.models import Bed, Cell
from cellblock.facilities.selectors import facility_tree
from cellblock.facilities.services import (
    cell_create,
    cell_feature_set,
    cell_set_service,
    unit_create,
)
from cellblock.housing.models import BedAssignment, HousingReview
from cellblock.housing.rules import COST_MOVE, COST_PER_CELLMATE
from cellblock.housing.selectors import open_reviews
from cellblock.housing.services import MOVED_OR_CLEARED, bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
NO = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _booking(site, name="Hatake", *, given="K", sex="unknown", born=None, screened=True):
    """A booking, screened clear unless ``screened`` is off: the screening comes before a bed."""
    person = person_create(
        actor=None, facility=site.facility, given_name=given, family_name=name, sex=sex,
        date_of_birth=born,
    )  # fmt: skip
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking) if screened else booking


def _bed(cell: Cell, code: str = "B1") -> Bed:
    return cell.beds.get(code=code)


def _open_beds(booking: Booking) -> list[int]:
    return list(booking.bed_assignments.filter(ended_at__isnull=True).values_list("bed", flat=True))


def _alerts(booking: Booking) -> list[str]:
    return sorted(
        HousingReview.objects.filter(booking=booking, resolved_at__isnull=True).values_list(
            "code", flat=True
        )
    )


def _new_unit(site, code: str, **more) -> Cell:
    """A unit of one two-bed cell, ``<code>-1``, in the site's zone."""
    unit = unit_create(actor=None, zone=site.zone, code=code, name=f"Unit {code}", **more)
    return cell_create(actor=None, unit=unit, code=f"{code}-1", beds=2)


# --- Beds and occupancy -----------------------------------------------------------------


def test_housing_a_person_shows_in_the_occupancy_of_every_level(site, supervisor):
    bed = site.cells[0].beds.first()
    bed_assign(actor=supervisor, booking=_booking(site), bed=bed)
    tree = facility_tree(site.facility)
    assert tree.occupied == 1
    assert tree.zones[0].units[0].cells[0].occupied == 1


def test_a_move_ends_the_previous_assignment(site, supervisor):
    booking = _booking(site)
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[0].beds.first())
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[1].beds.first())
    assert booking.bed_assignments.filter(ended_at__isnull=True).count() == 1
    assert facility_tree(site.facility).occupied == 1


def test_an_occupied_bed_is_refused(site, supervisor):
    bed = site.cells[0].beds.first()
    bed_assign(actor=supervisor, booking=_booking(site), bed=bed)
    with pytest.raises(Conflict, match="occupied") as refused:
        bed_assign(actor=supervisor, booking=_booking(site, "Uchiha"), bed=bed)
    assert (refused.value.code, refused.value.status) == ("bed_occupied", 409)


def test_a_bed_in_a_cell_out_of_service_is_refused(site, supervisor, admin_user):
    cell_set_service(
        actor=admin_user, cell=site.cells[0], out_of_service=True, reason="bars dented"
    )
    with pytest.raises(Conflict, match="out of service") as refused:
        bed_assign(actor=supervisor, booking=_booking(site), bed=site.cells[0].beds.first())
    assert refused.value.code == "bed_out_of_service"


def test_a_person_not_screened_yet_is_refused_a_bed(site, supervisor):
    booking = _booking(site, screened=False)
    with pytest.raises(Conflict, match="Medical receiving screening") as refused:
        bed_assign(actor=supervisor, booking=booking, bed=site.cells[0].beds.first())
    assert (refused.value.code, refused.value.status) == ("intake_before_housing", 409)
    assert _open_beds(booking) == []
    assert not AuditEvent.objects.filter(action="housing.assign").exists()


def test_an_officer_cannot_assign_beds(site, officer):
    with pytest.raises(PermissionDenied):
        bed_assign(actor=officer, booking=_booking(site), bed=site.cells[0].beds.first())


def test_the_tree_costs_the_same_queries_however_big_the_facility(site, django_assert_num_queries):
    with django_assert_num_queries(7):
        facility_tree(site.facility)
    for n in range(10):
        cell_create(actor=None, unit=site.unit, code=f"X{n}", beds=3, features=["observation"])
    with django_assert_num_queries(7):
        facility_tree(site.facility)


# --- The rule book refuses ---------------------------------------------------------------

# Each case builds a situation and returns the booking, the bed it is moved to, and the rule.
Case = Callable[..., tuple[Booking, Bed, str]]


def _containment(site, commander):
    kakashi = _booking(site, "Hatake", given="Kakashi")
    flag_set(actor=commander, booking=kakashi, kind="containment", detail="chakra-suppression",
             reason="elite shinobi")  # fmt: skip
    return kakashi, _bed(site.cells[0]), "containment_missing"


def _compromised_feature(site, commander):
    cell_feature_set(actor=commander, cell=site.cells[0], tag="chakra-suppression",
                     status="compromised", note="seal cracked")  # fmt: skip
    return _containment(site, commander)


def _sex(site, commander):
    women = _new_unit(site, "W1", sex_served="female")
    return _booking(site, "Uchiha", sex="male"), _bed(women), "sex_mismatch"


def _unknown_sex_in_a_single_sex_unit(site, commander):
    men = _new_unit(site, "M1", sex_served="male")
    return _booking(site, "Nobody"), _bed(men), "sex_mismatch"


def _custody_rating(site, commander):
    booking = _booking(site, "Hoshigaki")
    Booking.objects.filter(pk=booking.pk).update(custody_level="maximum")
    return booking, _bed(site.cells[0]), "custody_above_rating"


def _unassessed_in_minimum(site, commander):
    minimum = _new_unit(site, "L1", security_rating="minimum")
    return _booking(site, "New"), _bed(minimum), "custody_above_rating"


def _keep_separate(site, commander):
    zabuza, haku = _booking(site, "Momochi", given="Zabuza"), _booking(site, "Yuki", given="Haku")
    bed_assign(actor=None, booking=zabuza, bed=_bed(site.cells[0], "B1"))
    separation_order_create(
        actor=commander, facility=site.facility, person=zabuza.person, other_person=haku.person,
        scope="cell", reason="threats",
    )  # fmt: skip
    return haku, _bed(site.cells[0], "B2"), "keep_separate"


def _juvenile(site, commander):
    sasuke = _booking(site, "Uchiha", given="Sasuke", born=dt.date(2011, 7, 23))
    return sasuke, _bed(site.cells[0]), "juvenile_in_adult_unit"


def _adult_in_juvenile_unit(site, commander):
    juveniles = _new_unit(site, "J1", age_group="juvenile")
    kakashi = _booking(site, "Hatake", born=dt.date(1990, 9, 15))
    return kakashi, _bed(juveniles), "adult_in_juvenile_unit"


def _juvenile_with_adults(site, commander):
    mixed = _new_unit(site, "X1", age_group="any")
    bed_assign(actor=None, booking=_booking(site, "Adult", born=dt.date(1990, 1, 1)),
               bed=_bed(mixed, "B1"))  # fmt: skip
    sasuke = _booking(site, "Uchiha", given="Sasuke", born=dt.date(2011, 7, 23))
    return sasuke, _bed(mixed, "B2"), "juvenile_with_adults"


def _prea_pairing(site, commander):
    abuser, victim = _booking(site, "Abuser"), _booking(site, "Victim")
    prea_screening_record(
        actor=commander, booking=abuser, answers={**NO, "prior_sexual_abuse": True}
    )
    prea_screening_record(
        actor=commander, booking=victim, answers={**NO, "prior_victimisation": True}
    )
    bed_assign(actor=None, booking=abuser, bed=_bed(site.cells[0], "B1"))
    return victim, _bed(site.cells[0], "B2"), "prea_pairing"


def _single_cell(site, commander):
    loner = _booking(site, "Loner")
    flag_set(actor=commander, booking=loner, kind="single_cell", reason="assaulted cellmates")
    bed_assign(actor=None, booking=loner, bed=_bed(site.cells[0], "B1"))
    return _booking(site, "Newcomer"), _bed(site.cells[0], "B2"), "single_cell"


def _restrictive_housing(site, commander):
    booking = _booking(site, "Segregated")
    flag_set(actor=commander, booking=booking, kind="restrictive_housing", reason="hearing")
    return booking, _bed(site.cells[0]), "restrictive_housing_required"


def _restrictive_unit_unauthorised(site, commander):
    segregation = _new_unit(site, "S1", restrictive_housing=True)
    return _booking(site, "General"), _bed(segregation), "restrictive_housing_unauthorised"


def _lower_bunk(site, commander):
    booking = _booking(site, "Knee")
    flag_set(actor=commander, booking=booking, kind="medical_need", detail="lower-bunk",
             reason="knee surgery")  # fmt: skip
    return booking, _bed(site.cells[0], "B2"), "care_need_unmet"


def _wheelchair(site, commander):
    booking = _booking(site, "Wheels")
    flag_set(actor=commander, booking=booking, kind="disability_need", detail="wheelchair-cell",
             reason="uses a wheelchair")  # fmt: skip
    return booking, _bed(site.cells[0], "B1"), "care_need_unmet"


CASES: dict[str, Case] = {
    "containment": _containment,
    "compromised_feature": _compromised_feature,
    "sex": _sex,
    "unknown_sex": _unknown_sex_in_a_single_sex_unit,
    "custody_rating": _custody_rating,
    "unassessed_in_minimum": _unassessed_in_minimum,
    "keep_separate": _keep_separate,
    "juvenile": _juvenile,
    "adult_in_juvenile_unit": _adult_in_juvenile_unit,
    "juvenile_with_adults": _juvenile_with_adults,
    "prea_pairing": _prea_pairing,
    "single_cell": _single_cell,
    "restrictive_housing": _restrictive_housing,
    "restrictive_unit": _restrictive_unit_unauthorised,
    "lower_bunk": _lower_bunk,
    "wheelchair": _wheelchair,
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_move_that_breaks_a_hard_rule_is_refused_with_every_violation(
    site, supervisor, commander, case
):
    booking, bed, rule = case(site, commander)
    before = AuditEvent.objects.filter(action="housing.assign").count()

    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=bed)

    error = refused.value
    assert (error.status, error.code) == (409, "housing_rule")
    hard = [v for v in error.extra["violations"] if v["hard"]]
    assert rule in [v["code"] for v in hard]
    assert all(set(v) == {"code", "message", "hard", "cost"} for v in error.extra["violations"])
    # The message names the person, the bed and every reason.
    label = f"{booking.booking_number} {booking.person.given_name} {booking.person.family_name}"
    assert error.message.startswith(f"{label} cannot be housed in {bed.cell.unit.name} / ")
    assert all(v["message"] in error.message for v in hard)
    # Nothing was written.
    assert _open_beds(booking) == []
    assert AuditEvent.objects.filter(action="housing.assign").count() == before


def test_the_refusal_lists_the_soft_violations_too(site, supervisor, commander):
    kakashi, bed, _ = _containment(site, commander)
    bed_assign(actor=supervisor, booking=_booking(site, "Cellmate"), bed=_bed(site.cells[0], "B2"))
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=kakashi, bed=bed)
    assert [(v["code"], v["hard"], v["cost"]) for v in refused.value.extra["violations"]] == [
        ("containment_missing", True, 0),
        ("crowding", False, COST_PER_CELLMATE),
    ]


def test_a_lawful_bed_for_the_same_person_is_accepted(site, supervisor, commander):
    cell_feature_set(actor=commander, cell=site.cells[1], tag="chakra-suppression")
    kakashi, _, _ = _containment(site, commander)
    assignment = bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[1]))
    assert (assignment.override_reason, assignment.overridden_rules) == ("", [])
    assert _alerts(kakashi) == []


# --- The commander's override ----------------------------------------------------------------


def test_the_commander_houses_against_the_rules_with_a_reason_and_the_alert_stays_open(
    site, commander
):
    kakashi, bed, _ = _containment(site, commander)

    assignment = bed_assign(
        actor=commander, booking=kakashi, bed=bed, reason="intake overflow",
        override_reason="  only free bed tonight; guard posted  ",
    )  # fmt: skip

    assignment.refresh_from_db()
    assert assignment.override_reason == "only free bed tonight; guard posted"
    assert assignment.overridden_rules == ["containment_missing"]
    assert assignment.assigned_by == commander
    event = AuditEvent.objects.get(action="housing.assign", object_id=str(kakashi.public_id))
    assert event.actor == commander
    assert event.reason == "intake overflow"
    assert event.changes["override"] == "only free bed tonight; guard posted"
    assert event.changes["rules"] == ["containment_missing"]
    # The placement stays on the alert board until it is lawful.
    [alert] = open_reviews(site.facility)
    assert (alert.booking, alert.code) == (kakashi, "containment_missing")


def test_an_override_records_every_rule_it_overrides(site, commander):
    booking, bed, _ = _prea_pairing(site, commander)
    flag_set(actor=commander, booking=booking, kind="containment", detail="chakra-suppression",
             reason="elite")  # fmt: skip
    assignment = bed_assign(actor=commander, booking=booking, bed=bed, override_reason="riot")
    assert sorted(assignment.overridden_rules) == ["containment_missing", "prea_pairing"]
    assert _alerts(booking) == ["containment_missing", "prea_pairing"]


def test_the_commander_without_a_reason_is_refused_like_anyone(site, commander):
    kakashi, bed, _ = _containment(site, commander)
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=commander, booking=kakashi, bed=bed, override_reason="   ")
    assert refused.value.code == "housing_rule"
    assert _open_beds(kakashi) == []


def test_a_supervisor_cannot_override_the_rule_book(site, supervisor, commander):
    kakashi, bed, _ = _containment(site, commander)
    with pytest.raises(PermissionDenied) as refused:
        bed_assign(actor=supervisor, booking=kakashi, bed=bed, override_reason="I say so")
    assert refused.value.status == 403
    assert _open_beds(kakashi) == []
    assert not HousingReview.objects.exists()


def test_an_override_never_takes_a_bed_someone_sleeps_in(site, supervisor, commander):
    bed = _bed(site.cells[0])
    bed_assign(actor=supervisor, booking=_booking(site, "First"), bed=bed)
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=commander, booking=_booking(site), bed=bed, override_reason="urgent")
    assert refused.value.code == "bed_occupied"


def test_a_lawful_move_by_the_commander_records_no_override(site, commander):
    assignment = bed_assign(actor=commander, booking=_booking(site), bed=_bed(site.cells[0]),
                            override_reason="not needed")  # fmt: skip
    assert (assignment.override_reason, assignment.overridden_rules) == ("", [])
    event = AuditEvent.objects.get(action="housing.assign")
    assert "override" not in event.changes


# --- Moves that changed meanwhile -------------------------------------------------------------


def test_a_move_from_a_bed_the_person_no_longer_sleeps_in_is_refused(site, supervisor):
    booking = _booking(site)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[0], "B1"))
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[1], "B1"),
                   expect_from=_bed(site.cells[0], "B2"))  # fmt: skip
    assert (refused.value.status, refused.value.code) == (409, "moved_meanwhile")
    assert "now in A1-1/B1" in refused.value.message
    assert _open_beds(booking) == [_bed(site.cells[0], "B1").pk]


def test_housing_someone_seen_unhoused_who_was_housed_meanwhile_is_refused(site, supervisor):
    booking = _booking(site)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[0], "B1"))
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[1]), expect_from=None)
    assert refused.value.code == "moved_meanwhile"


def test_a_move_from_the_bed_the_caller_saw_goes_ahead(site, supervisor):
    booking = _booking(site)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[0]), expect_from=None)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[1]),
               expect_from=_bed(site.cells[0]))  # fmt: skip
    assert _open_beds(booking) == [_bed(site.cells[1]).pk]


def test_a_move_to_the_bed_the_person_sleeps_in_is_refused(site, supervisor):
    booking = _booking(site)
    bed = _bed(site.cells[0])
    bed_assign(actor=supervisor, booking=booking, bed=bed)
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=bed)
    assert (refused.value.status, refused.value.code) == (409, "same_bed")
    assert booking.bed_assignments.count() == 1


# --- Alerts and the audit trail ---------------------------------------------------------------


def test_a_lawful_move_clears_the_persons_alerts(site, supervisor, commander):
    kakashi = _booking(site, "Hatake", given="Kakashi")
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    flag_set(actor=commander, booking=kakashi, kind="containment", detail="chakra-suppression",
             reason="elite shinobi")  # fmt: skip
    assert _alerts(kakashi) == ["containment_missing"]
    cell_feature_set(actor=commander, cell=site.cells[1], tag="chakra-suppression")

    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[1]))

    assert _alerts(kakashi) == []
    alert = HousingReview.objects.get(booking=kakashi)
    assert (alert.resolved_by, alert.resolved_at) == (supervisor, NOW)
    assert alert.resolution == MOVED_OR_CLEARED.format(cause="moved to A1-2/B1")
    assert AuditEvent.objects.filter(action="housing.alert_cleared", actor=supervisor).exists()


def test_moving_one_of_two_kept_apart_clears_the_alert_on_both(site, supervisor, commander):
    zabuza, haku = _booking(site, "Momochi"), _booking(site, "Yuki")
    bed_assign(actor=supervisor, booking=zabuza, bed=_bed(site.cells[0], "B1"))
    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[0], "B2"))
    separation_order_create(
        actor=commander, facility=site.facility, person=zabuza.person, other_person=haku.person,
        scope="cell", reason="threats",
    )  # fmt: skip
    assert (_alerts(zabuza), _alerts(haku)) == (["keep_separate"], ["keep_separate"])

    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[1]))

    assert (_alerts(zabuza), _alerts(haku)) == ([], [])


def test_every_move_is_audited_with_its_actor_beds_and_price(site, supervisor, commander):
    booking = _booking(site)
    first, second = _bed(site.cells[0]), _bed(site.cells[1], "B2")
    bed_assign(actor=supervisor, booking=booking, bed=first, reason="intake")
    bed_assign(actor=commander, booking=_booking(site, "Mate"), bed=_bed(site.cells[1], "B1"))
    bed_assign(actor=supervisor, booking=booking, bed=second, reason="closer to the door")

    events = list(
        AuditEvent.objects.filter(action="housing.assign", object_id=str(booking.public_id))
        .order_by("seq")
    )  # fmt: skip
    assert [(e.actor, e.reason) for e in events] == [
        (supervisor, "intake"),
        (supervisor, "closer to the door"),
    ]
    assert events[0].changes == {
        "from": None, "to": str(first.public_id), "cell": "A1-1", "cost": 0,
    }  # fmt: skip
    # A move out of a bed and into a cell with someone in it: both priced.
    assert events[1].changes == {
        "from": str(first.public_id), "to": str(second.public_id), "cell": "A1-2",
        "cost": COST_MOVE + COST_PER_CELLMATE,
    }  # fmt: skip
    assert BedAssignment.objects.get(booking=booking, bed=second).assigned_by == supervisor


def test_an_overridden_pairing_alerts_both_sides(site, commander):
    victim, bed, _ = _prea_pairing(site, commander)
    [abuser] = Booking.objects.filter(person__family_name="Abuser")
    bed_assign(actor=commander, booking=victim, bed=bed, override_reason="riot in block B")
    assert (_alerts(victim), _alerts(abuser)) == (["prea_pairing"], ["prea_pairing"])


def test_moving_the_cellmate_of_a_single_celled_person_away_clears_both_alerts(
    site, supervisor, commander
):
    newcomer, bed, _ = _single_cell(site, commander)
    [loner] = Booking.objects.filter(person__family_name="Loner")
    bed_assign(actor=commander, booking=newcomer, bed=bed, override_reason="no other bed")
    assert (_alerts(newcomer), _alerts(loner)) == (["single_cell"], ["single_cell"])

    bed_assign(actor=supervisor, booking=newcomer, bed=_bed(site.cells[1]))

    assert (_alerts(newcomer), _alerts(loner)) == ([], [])


def test_a_placement_recorded_afterwards_keeps_its_moment_and_completes_the_intake_step_then(
    site, supervisor, clock
):
    from cellblock.booking.models import IntakeStep, IntakeStepCode

    booking = _booking(site)
    clock.move_to(NOW + dt.timedelta(hours=3))
    housed_at = NOW + dt.timedelta(minutes=20)
    placed = bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[0]), at=housed_at)
    assert placed.started_at == housed_at
    step = IntakeStep.objects.get(booking=booking, step=IntakeStepCode.HOUSING)
    assert step.completed_at == housed_at


@pytest.mark.parametrize(
    ("moment", "rule"),
    [
        (NOW + dt.timedelta(minutes=1), "must not be in the future."),
        (NOW - dt.timedelta(days=1), "must not be before the booking."),
    ],
)
def test_a_placement_cannot_be_dated_in_the_future_or_before_the_booking(
    site, supervisor, moment, rule
):
    from cellblock.core.errors import ValidationFailed

    booking = _booking(site)
    with pytest.raises(ValidationFailed) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=_bed(site.cells[0]), at=moment)
    assert refused.value.extra["fields"] == {"at": [rule]}
    assert not BedAssignment.objects.filter(booking=booking).exists()
