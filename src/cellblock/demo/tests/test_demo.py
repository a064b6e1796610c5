import io

import pytest
from django.core.management import call_command

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.audit.selectors import audit_chain_verify
from cellblock.demo.konoha import DEMO_PASSWORD, FACILITY_CODE, STAFF
from cellblock.facilities.models import Facility, FacilityPolicy, FeatureStatus
from cellblock.facilities.selectors import facility_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def konoha():
    call_command("demo", stdout=io.StringIO())
    return Facility.objects.get(code=FACILITY_CODE)


def test_the_demo_builds_konoha_prison_as_the_case_files_describe_it(konoha):
    tree = facility_tree(konoha)
    zones = {z.zone.code: z for z in tree.zones}
    assert not zones["MAIN"].zone.restricted
    assert zones["LOWER"].zone.restricted
    cells = {c.cell.code: c for z in tree.zones for u in z.units for c in u.cells}
    assert ("chakra-suppression", FeatureStatus.WORKING) in cells["MC-01"].features
    # The isolation cell has an iron door and no light.
    assert [tag for tag, _ in cells["ISO-1"].features] == ["iron-door"]
    # The end-of-corridor cell is watched by a post of two officers.
    assert [p.required_officers for p in cells["HS-01"].posts] == [2]


def test_konoha_visits_last_twenty_minutes(konoha):
    assert FacilityPolicy.objects.get(facility=konoha).visit_length_minutes == 20


def test_every_demo_login_works_with_the_printed_password(konoha):
    for staff in STAFF:
        user = User.objects.get(username=staff.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.roles_at(konoha.pk) == frozenset(r.value for r in staff.roles)


def test_shizune_is_both_supervisor_and_medic(konoha):
    assert User.objects.get(username="shizune").roles_at(konoha.pk) == {"supervisor", "medical"}


def test_loading_twice_changes_nothing_and_the_audit_chain_verifies(konoha):
    events_before = AuditEvent.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert AuditEvent.objects.count() == events_before
    result = audit_chain_verify()
    assert result.ok, result.problem
    assert result.checked == events_before


def test_if_empty_leaves_a_database_with_other_facilities_alone(site, capsys):
    call_command("demo", "--if-empty")
    assert not Facility.objects.filter(code=FACILITY_CODE).exists()
    assert "not loaded" in capsys.readouterr().out


def test_the_demo_command_prints_the_logins(capsys):
    call_command("demo", "--if-empty")
    out = capsys.readouterr().out
    assert "tsunade" in out
    assert DEMO_PASSWORD in out


def test_the_demo_opens_with_naruto_in_isolation_and_sasuke_at_the_end_of_the_corridor(konoha):
    from cellblock.booking.models import OPEN_STATUSES, Booking
    from cellblock.housing.models import BedAssignment

    held = Booking.objects.filter(facility=konoha, status__in=OPEN_STATUSES)
    assert held.count() == 6
    cells = dict(
        BedAssignment.objects.filter(ended_at__isnull=True, booking__in=held).values_list(
            "booking__person__given_name", "bed__cell__code"
        )
    )
    assert cells["Naruto"] == "ISO-1"
    assert cells["Sasuke"] == "HS-01"


def test_the_demo_leaves_one_intake_unfinished_for_the_dashboard(konoha):
    from cellblock.booking.selectors import bookings_with_overdue_steps

    overdue = bookings_with_overdue_steps(konoha)
    assert [o.booking.person.given_name for o in overdue] == ["Kin"]
    assert {s.step for s in overdue[0].overdue_steps} == {"identity", "charges", "property"}


def _booking_of(konoha, given_name):
    from cellblock.booking.models import OPEN_STATUSES, Booking

    return Booking.objects.get(
        facility=konoha, status__in=OPEN_STATUSES, person__given_name=given_name
    )


def _flags(booking):
    from cellblock.classification.models import Flag

    return {(f.kind, f.detail, f.origin) for f in Flag.objects.filter(booking=booking)}


def test_juvenile_flags_come_from_the_dates_of_birth_not_from_the_demo(konoha):
    from cellblock.booking.models import OPEN_STATUSES
    from cellblock.classification.models import Flag, FlagKind, FlagOrigin

    juveniles = Flag.objects.filter(
        kind=FlagKind.JUVENILE, booking__facility=konoha, booking__status__in=OPEN_STATUSES
    )
    assert {f.booking.person.given_name for f in juveniles} == {"Naruto", "Sasuke", "Kin"}
    assert {f.origin for f in juveniles} == {FlagOrigin.DATE_OF_BIRTH}
    assert all(f.lifted_at is None and f.until is not None for f in juveniles)


def test_naruto_is_dangerous_to_others_and_at_high_risk_of_victimisation(konoha):
    flags = _flags(_booking_of(konoha, "Naruto"))
    assert ("dangerous", "", "staff") in flags
    assert ("prea_victim", "", "prea_screening") in flags


def test_sasuke_has_sakura_as_staff_victim_and_will_not_eat_sweets(konoha):
    from cellblock.classification.models import ConflictKind, StaffConflict

    sasuke = _booking_of(konoha, "Sasuke")
    assert ("diet", "no sweets", "staff") in _flags(sasuke)
    [conflict] = StaffConflict.objects.filter(person=sasuke.person)
    assert conflict.staff.username == "sakura"
    assert conflict.kind == ConflictKind.ALLEGED_VICTIM
    assert conflict.recorded_by == User.objects.get(username="ibiki")
    assert conflict.ended_at is None


def test_everyone_held_is_classified_by_the_classification_officer(konoha):
    from cellblock.classification.models import Assessment, AssessmentStatus

    levels = {}
    for assessment in Assessment.objects.filter(booking__facility=konoha):
        assert assessment.assessed_by == User.objects.get(username="ibiki")
        assert assessment.reason == "initial"
        levels[assessment.booking.person.given_name] = (
            assessment.scored_level, assessment.level, assessment.booking.custody_level,
        )  # fmt: skip
    assert levels == {
        "Naruto": ("special", "special", "special"),
        "Sasuke": ("special", "special", "special"),
        "Kin": ("special", "special", "special"),
        "Mizuki": ("medium", "medium", "medium"),
        "Gatō": ("minimum", "minimum", "minimum"),
        # Scored minimum; the override to maximum needed a second person: the commander.
        "Kabuto": ("minimum", "maximum", "maximum"),
    }
    kabuto = Assessment.objects.get(booking=_booking_of(konoha, "Kabuto"))
    assert kabuto.status == AssessmentStatus.OVERRIDE_APPROVED
    assert kabuto.decided_by == User.objects.get(username="tsunade")


def test_the_classification_queue_shows_narutos_late_prea_reassessment_and_kins_screening(
    konoha,
):
    from cellblock.classification.selectors import (
        DueKind,
        OverdueCounts,
        classification_queue,
        overdue_counts,
    )
    from cellblock.core import clock

    now = clock.now()
    queue = [
        (row.booking.person.given_name, row.kind, row.overdue)
        for row in classification_queue(konoha, now)
    ]
    assert queue == [
        # Three months held: the 30-day PREA reassessment never came (case file 2).
        ("Naruto", DueKind.PREA_REASSESSMENT, True),
        # Booked two days ago: screening due within 72 hours.
        ("Kin", DueKind.PREA_INITIAL, False),
    ]
    assert overdue_counts(konoha, now) == OverdueCounts(classification=0, prea=1)


def test_the_juveniles_in_konohas_adult_units_raise_housing_alerts(konoha):
    from cellblock.housing.rules import (
        JUVENILE_IN_ADULT_UNIT,
        JUVENILE_WITH_ADULTS,
        RESTRICTIVE_HOUSING_UNAUTHORISED,
    )
    from cellblock.housing.selectors import open_reviews

    alerts = {(r.booking.person.given_name, r.code) for r in open_reviews(konoha)}
    # At least these; the adults' side of Kin's alert shows once their own beds are rechecked.
    assert alerts >= {
        # Case file 2: a child of ten in the isolation cell of an adult prison.
        ("Naruto", JUVENILE_IN_ADULT_UNIT),
        ("Sasuke", JUVENILE_IN_ADULT_UNIT),
        ("Kin", JUVENILE_IN_ADULT_UNIT),
        # Kin shares the main corridor with Mizuki, Kabuto and Gatō.
        ("Kin", JUVENILE_WITH_ADULTS),
    }
    # And Naruto sits in restrictive housing that nobody authorised.
    assert ("Naruto", RESTRICTIVE_HOUSING_UNAUTHORISED) in alerts
    assert {code for _, code in alerts} == {
        JUVENILE_IN_ADULT_UNIT, JUVENILE_WITH_ADULTS, RESTRICTIVE_HOUSING_UNAUTHORISED
    }  # fmt: skip
