import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.audit.selectors import audit_chain_verify
from cellblock.audit.tests.support import flushable_audit_trail
from cellblock.demo.konoha import DEMO_PASSWORD, FACILITY_CODE, STAFF
from cellblock.facilities.models import Facility, FacilityPolicy, FeatureStatus
from cellblock.facilities.selectors import facility_tree

pytestmark = pytest.mark.django_db

# As the suite's own fixture does for each test: Argon2 is slow on purpose.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def konoha(django_db_setup, django_db_blocker):
    """Konoha loaded once for the module: every test reads it inside its own transaction.

    Loading the demo is the slowest fixture of the suite; each test's changes
    roll back as usual, and the module ends with the flush a transactional
    test ends with.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("demo", stdout=io.StringIO())
        yield Facility.objects.get(code=FACILITY_CODE)
        flushable_audit_trail()
        call_command("flush", interactive=False, verbosity=0)


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


def test_the_demo_opens_with_naruto_in_isolation_and_sasuke_at_the_end_of_the_corridor(konoha):
    from cellblock.booking.models import OPEN_STATUSES, Booking
    from cellblock.housing.models import BedAssignment

    held = Booking.objects.filter(facility=konoha, status__in=OPEN_STATUSES)
    assert held.count() == 7
    cells = dict(
        BedAssignment.objects.filter(ended_at__isnull=True, booking__in=held).values_list(
            "booking__person__given_name", "bed__cell__code"
        )
    )
    assert cells["Naruto"] == "ISO-1"
    assert cells["Sasuke"] == "HS-01"
    # Case file 1: remanded by the verdict into a cell with chakra-suppression bars.
    assert cells["Kakashi"] == "MC-05"


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
        # Case file 1: an elite shinobi with a recent escape from a secure facility.
        "Kakashi": ("maximum", "maximum", "maximum"),
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
        CONTAINMENT_MISSING,
        CUSTODY_ABOVE_RATING,
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
    # Kakashi's dented bars rechecked the corridor: his cell no longer contains him, and
    # Kin, classified after she was housed, is above the corridor's rating.
    assert ("Kakashi", CONTAINMENT_MISSING) in alerts
    assert ("Kin", CUSTODY_ABOVE_RATING) in alerts
    assert {code for _, code in alerts} == {
        JUVENILE_IN_ADULT_UNIT, JUVENILE_WITH_ADULTS, RESTRICTIVE_HOUSING_UNAUTHORISED,
        CONTAINMENT_MISSING, CUSTODY_ABOVE_RATING,
    }  # fmt: skip


def test_kakashi_dented_a_bar_and_the_bed_board_proposes_the_west_corridor(konoha):
    from cellblock.booking.models import Booking
    from cellblock.housing.recommend import bed_recommendations
    from cellblock.incidents.models import Incident, IncidentKind

    kakashi = Booking.objects.get(facility=konoha, person__given_name="Kakashi")
    incident = Incident.objects.get(people=kakashi)
    assert incident.kind == IncidentKind.PROPERTY_DAMAGE
    assert incident.reported_by is not None
    assert incident.reported_by.username == "tsunade"
    cell = kakashi.bed_assignments.get(ended_at__isnull=True).bed.cell
    assert cell.features.get(tag="chakra-suppression").status == FeatureStatus.COMPROMISED
    proposed = bed_recommendations(kakashi, limit=3)
    assert proposed
    assert {bed.bed.cell.unit.code for bed in proposed} == {"MW"}
    assert "Working chakra-suppression, as the containment need asks." in proposed[0].reasons


def test_the_ages_are_those_of_the_case_files_whenever_the_demo_loads(konoha):
    from cellblock.booking.models import Booking
    from cellblock.core import clock

    today = clock.now().date()
    ages = {}
    for booking in Booking.objects.filter(facility=konoha).select_related("person"):
        born = booking.person.date_of_birth
        assert born is not None
        ages[booking.person.given_name] = (
            today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        )
        # Booked at the same age: no birthday fell between the booking and today.
        booked = booking.booked_at.date()
        assert ages[booking.person.given_name] == booked.year - born.year - (
            (booked.month, booked.day) < (born.month, born.day)
        )
    assert (ages["Naruto"], ages["Sasuke"], ages["Kakashi"]) == (10, 16, 30)


# --- The shift in progress: case files 2 and 3 as the demo opens ------------------------


def test_naruto_is_chained_since_his_booking_and_nobody_has_looked_at_him_since(konoha):
    from cellblock.custody.models import Movement, Restraint, RestraintCheck, RoundCheck

    naruto = _booking_of(konoha, "Naruto")
    [chains] = Restraint.objects.filter(booking=naruto)
    assert chains.kind == "chains"
    assert chains.removed_at is None
    assert chains.applied_at - naruto.booked_at == dt.timedelta(minutes=30)
    assert chains.authorised_by == User.objects.get(username="tsunade")
    assert not RestraintCheck.objects.filter(restraint=chains).exists()
    assert not RoundCheck.objects.filter(booking=naruto).exists()
    assert not Movement.objects.filter(booking=naruto).exists()


def test_the_end_of_corridor_post_and_the_main_desk_are_staffed_this_shift(konoha):
    from cellblock.core import clock
    from cellblock.custody.selectors.posts import post_board

    rows = {row.post.code: row for row in post_board(konoha, clock.now()).rows}
    assert sorted(o.username for o in rows["END"].officers) == ["izumo", "kotetsu"]
    assert rows["END"].staffed
    assert [o.username for o in rows["MAIN-DESK"].officers] == ["hiroki"]
    # Nobody stands at the gate of the lower level.
    assert rows["LOWER-GATE"].short_by == 1


def test_sasukes_wrists_are_bound_and_were_checked_ten_minutes_ago(konoha):
    from cellblock.core import clock
    from cellblock.custody.selectors.restraints import restraints_of

    now = clock.now()
    [bindings] = restraints_of(_booking_of(konoha, "Sasuke"), now)
    assert bindings.restraint.kind == "wrist_bindings"
    assert bindings.restraint.authorised_by == User.objects.get(username="shizune")
    assert bindings.last_check_at is not None
    assert dt.timedelta(minutes=10) <= now - bindings.last_check_at < dt.timedelta(minutes=11)


def test_sasuke_missed_his_lunch(konoha):
    from cellblock.custody.models import MealOutcome, MealRecord

    [lunch] = MealRecord.objects.filter(booking=_booking_of(konoha, "Sasuke"))
    assert (lunch.meal, lunch.outcome) == (1, MealOutcome.MISSED)


def test_everyone_in_the_main_block_was_seen_on_rounds_and_nobody_is_overdue(konoha):
    from cellblock.core import clock
    from cellblock.custody.selectors.rounds import observation_board

    now = clock.now()
    rows = {row.booking.person.given_name: row for row in observation_board(konoha, now)}
    main_block = {name for name in rows if name != "Naruto"}
    assert main_block == {"Sasuke", "Mizuki", "Kabuto", "Gatō", "Kin", "Kakashi"}
    for name in main_block:
        seen = rows[name].last_seen_at
        assert seen is not None, name
        assert now - seen <= dt.timedelta(hours=1), name
        assert not rows[name].overdue, name
    assert rows["Naruto"].last_seen_at is None


def test_the_formal_counts_of_the_last_day_are_cleared_and_none_is_missed(konoha):
    from cellblock.core import clock
    from cellblock.custody.models import CountStatus, FormalCount
    from cellblock.custody.selectors.counts import missed_counts

    counts = FormalCount.objects.filter(facility=konoha)
    assert counts.exists()
    assert set(counts.values_list("status", flat=True)) == {CountStatus.CLEARED}
    assert missed_counts(konoha, clock.now()) == []


def test_the_compliance_board_shows_naruto_forgotten_in_the_dark(konoha):
    from cellblock.compliance.selectors import alerts
    from cellblock.core import clock

    number = _booking_of(konoha, "Naruto").booking_number
    board = alerts(konoha, clock.now())
    his = {a.rule: a for a in board if a.booking == number}
    breaches = {
        "juvenile_in_adult_facility", "child_in_solitary", "prolonged_solitary", "dark_cell",
        "restraint_checks_overdue", "restraint_over_limit", "exercise_missed", "no_visits",
    }  # fmt: skip
    assert set(his) >= breaches, sorted(his)
    assert all(his[rule].severity == "breach" for rule in breaches)
    for rule in ("prolonged_solitary", "exercise_missed", "no_visits"):
        assert (his[rule].unit, 88 <= his[rule].number <= 90) == ("days", True), his[rule]
    # The main block goes to the yard and to work every day: he is the one forgotten.
    alone = {a.booking for a in board if a.rule in {"child_in_solitary", "prolonged_solitary"}}
    assert alone == {number}
    assert {a.booking for a in board if a.rule == "exercise_missed"} == {number}


def test_the_main_block_had_its_yard_and_work_and_naruto_never_left_his_cell(konoha):
    from cellblock.custody.models import Movement

    outings = Movement.objects.filter(booking__facility=konoha)
    assert not outings.filter(booking=_booking_of(konoha, "Naruto")).exists()
    assert not outings.filter(returned_at__isnull=True).exists()
    assert {"Mizuki", "Kabuto", "Gatō", "Kin", "Sasuke", "Kakashi"} == set(
        outings.values_list("booking__person__given_name", flat=True)
    )


def test_half_an_hour_on_nobody_has_looked_at_naruto_and_the_others_are_still_fine(konoha):
    from cellblock.compliance.selectors import alerts
    from cellblock.core import clock

    later = clock.now() + dt.timedelta(minutes=31)
    overdue = {
        a.person.split()[0] for a in alerts(konoha, later) if a.rule == "observation_overdue"
    }
    assert "Naruto" in overdue
    assert "Mizuki" not in overdue


def test_kakashi_has_asked_for_the_hokage_and_sakura_may_visit_him_once_by_her_leave(konoha):
    from cellblock.requests.models import InmateRequest
    from cellblock.visits.models import Visit

    [request] = InmateRequest.objects.filter(booking__person__given_name="Kakashi")
    assert (request.addressee_role, request.status) == ("commander", "open")
    [visit] = Visit.objects.filter(booking__person__given_name="Kakashi")
    assert (visit.kind, visit.status, visit.minutes) == ("in_cell", "scheduled", 20)
    assert [p.visitor.person.given_name for p in visit.participants.all()] == ["Sakura"]
    assert visit.cell is not None
    assert visit.cell.code == "MC-05"
    # Sakura is sixteen and protected by the verdict's order: the commander's leave covers both.
    assert {"protective_order", "minor_without_guardian"} <= set(visit.override.rules)
    assert visit.override.authorised_by.username == "tsunade"


def test_ino_visits_sasuke_with_her_father_and_orochimaru_is_barred(konoha):
    from cellblock.visits.models import Visit, Visitor, VisitOverride

    [visit] = Visit.objects.filter(booking__person__given_name="Sasuke")
    names = sorted(p.visitor.person.given_name for p in visit.participants.all())
    assert (visit.kind, visit.status, names) == ("contact", "scheduled", ["Ino", "Inoichi"])
    assert not VisitOverride.objects.filter(visit=visit).exists()
    orochimaru = Visitor.objects.get(person__given_name="Orochimaru")
    assert orochimaru.bans.filter(lifted_at__isnull=True).exists()


def test_mizukis_paper_grievance_is_overdue_on_the_board_and_the_sweep_escalates_it(konoha):
    from cellblock.compliance.selectors import alerts
    from cellblock.compliance.services import compliance_sweep
    from cellblock.core import clock

    [overdue] = [alert for alert in alerts(konoha, clock.now()) if alert.rule == "request_overdue"]
    assert (overdue.person, overdue.number) == ("Mizuki", 2)
    from cellblock.requests.models import InmateRequest

    [number] = compliance_sweep(actor=None, facility=konoha).escalated
    escalated = InmateRequest.objects.get(number=number)
    assert (escalated.booking.person.given_name, escalated.addressee_role) == (
        "Mizuki", "commander",
    )  # fmt: skip


# --- Medical: case file 3, step 4 done; step 5 is tonight ------------------------------


def test_everyone_held_was_screened_before_a_bed(konoha):
    from cellblock.booking.models import IntakeStep
    from cellblock.medical.models import ReceivingScreening

    screened = ReceivingScreening.objects.filter(booking__facility=konoha, outcome="cleared")
    assert screened.count() == 7
    assert not IntakeStep.objects.filter(
        booking__facility=konoha, step="medical_screening", completed_at__isnull=True
    ).exists()
    assert konoha.medical_lead.username == "shizune"


def test_sasuke_refuses_all_but_sakura_and_her_night_visit_is_acknowledged(konoha):
    from cellblock.medical.models import ConsentRecord, Encounter, Injury

    sasuke = _booking_of(konoha, "Sasuke")
    [refusal] = ConsentRecord.objects.filter(booking=sasuke)
    assert (refusal.decision, refusal.scope) == ("refusal", "general")
    assert refusal.except_provider is not None
    assert refusal.except_provider.username == "sakura"
    assert refusal.witness is not None
    assert (refusal.recorded_by.username, refusal.witness.username) == ("shizune", "hiroki")
    [injury] = Injury.objects.filter(booking=sasuke)
    assert (injury.location, injury.status) == ("face", "untreated")
    [visit] = Encounter.objects.filter(booking=sasuke)
    assert (visit.provider.username, visit.place, visit.status) == ("sakura", "cell", "scheduled")
    assert visit.acknowledged_by is not None
    assert visit.acknowledged_by.username == "shizune"
    assert [w["code"] for w in visit.warnings] == ["staff_victim_conflict"]
    # Custody sees what to do about his meals, not why.
    assert [a.kind for a in sasuke.care_alerts.filter(ended_at__isnull=True)] == ["monitor_meals"]


def test_narutos_health_assessment_is_overdue_and_mizuki_waits_on_sick_call(konoha):
    from cellblock.compliance.selectors import alerts
    from cellblock.core import clock
    from cellblock.medical.models import SickCall

    overdue = {
        a.person for a in alerts(konoha, clock.now()) if a.rule == "health_assessment_overdue"
    }
    assert "Naruto Uzumaki" in overdue
    assert "Mizuki" not in overdue
    [call] = SickCall.objects.filter(booking__facility=konoha)
    assert (call.booking.person.given_name, call.status) == ("Mizuki", "waiting")


def test_gato_sleeps_on_a_lower_bunk_by_medical_order(konoha):
    gato = _booking_of(konoha, "Gatō")
    assert [a.kind for a in gato.care_alerts.filter(ended_at__isnull=True)] == ["lower_bunk"]
    assert gato.flags.filter(
        kind="medical_need", detail="lower-bunk", lifted_at__isnull=True
    ).exists()


def test_kakashi_is_sentenced_and_his_release_date_was_reviewed(konoha):
    from cellblock.court.models import Case, ReleaseDateChange

    kakashi = _booking_of(konoha, "Kakashi")
    case = Case.objects.get(docket_number="KON-CR-2026-0042")
    assert (case.person_id, case.presiding_authority) == (
        kakashi.person_id,
        "Tsunade, Fifth Hokage",
    )
    assert [p.person.full_name for p in case.parties.all()] == ["Sakura Haruno"]
    kakashi.refresh_from_db()
    assert kakashi.legal_status == "sentenced"
    assert kakashi.release_date.release_on is not None
    assert not ReleaseDateChange.objects.filter(booking=kakashi, reviewed_at__isnull=True)


def test_the_release_board_shows_gato_due_today_and_kabuto_held_for_otogakure(konoha):
    from cellblock.core import clock
    from cellblock.release.models import ReleaseStepCode
    from cellblock.release.selectors import release_board

    board = release_board(konoha, clock.now())
    [gato] = board.due_today
    assert gato.name.startswith("Gatō")
    # His checklist is under way: the property is back, the rest to do.
    assert gato.release is not None
    done = {s.step for s in gato.release.steps.all() if s.completed_at is not None}
    assert done == {ReleaseStepCode.PROPERTY_RETURNED}
    [kabuto] = board.due_soon
    assert kabuto.name.startswith("Kabuto")
    assert any("Otogakure" in blocker for blocker in kabuto.blockers)
    assert not board.overdue
    # Gatō's corrected sentence moved his date by a day: waiting for the court's review.
    assert board.changes_unreviewed == 1


def test_nobody_brought_naruto_to_his_review_hearing(konoha):
    from cellblock.compliance.selectors import alerts
    from cellblock.core import clock

    number = _booking_of(konoha, "Naruto").booking_number
    missed = [a for a in alerts(konoha, clock.now()) if a.rule == "court_production_missed"]
    assert [a.booking for a in missed] == [number]
    assert missed[0].severity == "breach"
