"""Releasing people: every kind, the early-release override, temporary absences and returns."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import BookingStatus
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court.models import Sentence, SentenceStatus
from cellblock.custody.models import Movement
from cellblock.custody.selectors.counts import live_count
from cellblock.custody.services.counts import count_start
from cellblock.housing.board import facility_board
from cellblock.housing.models import BedAssignment
from cellblock.release.models import Release, ReleaseStatus
from cellblock.release.services import releases
from cellblock.visits.tests.day_support import booked

from .conftest import NOW, TODAY, dated, gear, sentenced, work_checklist

pytestmark = pytest.mark.django_db

MISSION = "Escort the bridge builder to the Land of Waves"


def _occupied(site):
    return facility_board(site.facility).total("occupied")


def _ready(release, officer, medic):
    return work_checklist(release, by=officer, medic=medic)


# --- A final release: the bed, the count and the booking at once --------------------------


def test_a_bailed_person_leaves_and_the_count_and_beds_drop_at_once(
    site, kakashi, hold, supervisor, officer, medic
):
    hold("Uzumaki", given_name="Naruto")
    gear(kakashi)
    assert (live_count(site.facility).held, _occupied(site)) == (2, 2)
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="bail", authority="Bond receipt 88"
    )
    _ready(release, officer, medic)

    done = releases.release_complete(actor=supervisor, release=release)

    assert (done.status, done.completed_by, done.completed_at) == ("completed", supervisor, NOW)
    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == (BookingStatus.RELEASED, "bail")
    assert (live_count(site.facility).held, _occupied(site)) == (1, 1)
    assert not BedAssignment.objects.filter(booking=kakashi, ended_at__isnull=True).exists()
    actions = list(
        AuditEvent.objects.filter(seq__gt=0)
        .filter(action__in=["release.start", "release.step", "release.complete",
                            "booking.released", "housing.vacate"])
        .values_list("action", flat=True)
    )  # fmt: skip
    assert actions == [
        "release.start", "release.step", "release.step", "release.step", "release.step",
        "release.step", "booking.released", "housing.vacate", "release.complete",
    ]  # fmt: skip
    complete = AuditEvent.objects.get(action="release.complete")
    assert (complete.actor, complete.changes["status"]) == (supervisor, ["preparing", "completed"])


def test_only_someone_who_may_release_starts_a_release(kakashi, officer, booking_clerk, medic):
    for staff in (officer, booking_clerk, medic):
        with pytest.raises(PermissionDenied):
            releases.release_start(actor=staff, booking=kakashi, kind="bail")


def test_one_release_at_a_time(kakashi, supervisor, court_clerk):
    first = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(Conflict) as refused:
        releases.release_start(actor=court_clerk, booking=kakashi, kind="acquittal")

    assert refused.value.code == "release_in_progress"
    assert refused.value.extra == {"release": str(first.public_id)}


def test_a_release_is_cancelled_with_a_reason_and_the_booking_stays_open(kakashi, supervisor):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(ValidationFailed):
        releases.release_cancel(actor=supervisor, release=release, reason=" ")
    cancelled = releases.release_cancel(actor=supervisor, release=release, reason="Bond bounced")

    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Bond bounced")
    kakashi.refresh_from_db()
    assert kakashi.status == BookingStatus.IN_CUSTODY
    assert AuditEvent.objects.get(action="release.cancel").reason == "Bond bounced"


def test_an_acquitted_person_is_released_by_the_court_clerk(kakashi, court_clerk, officer, medic):
    release = releases.release_start(
        actor=court_clerk, booking=kakashi, kind="acquittal", authority="Verdict CR-2026-001"
    )
    _ready(release, officer, medic)

    releases.release_complete(actor=court_clerk, release=release)

    kakashi.refresh_from_db()
    assert kakashi.release_type == "acquittal"


# --- Time served: the date, and the commander's override ----------------------------------


def test_time_served_needs_a_computed_release_date(kakashi, supervisor, officer, medic):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")
    _ready(release, officer, medic)

    with pytest.raises(Conflict) as refused:
        releases.release_complete(actor=supervisor, release=release)

    assert refused.value.code == "no_release_date"


def test_time_served_on_the_date_discharges_the_sentence(kakashi, supervisor, officer, medic):
    sentence = sentenced(kakashi, release_on=TODAY)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")
    _ready(release, officer, medic)

    done = releases.release_complete(actor=supervisor, release=release)

    assert (done.release_date_then, done.early_override_reason) == (TODAY, "")
    sentence.refresh_from_db()
    assert (sentence.status, sentence.end_reason) == (
        SentenceStatus.DISCHARGED,
        "Released: time served on 2026-03-14.",
    )
    assert AuditEvent.objects.get(action="sentence.discharge").actor == supervisor


def test_an_early_release_is_refused_with_the_date_and_the_days(
    kakashi, supervisor, officer, medic
):
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=3))
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")
    _ready(release, officer, medic)

    with pytest.raises(Conflict) as refused:
        releases.release_complete(actor=supervisor, release=release)

    assert refused.value.code == "early_release"
    assert refused.value.message == (
        f"Kakashi Hatake ({kakashi.booking_number}) is due for release on 2026-03-17: "
        "3 days early. Only the commander may release early, with a reason."
    )
    assert refused.value.extra == {"release_on": "2026-03-17", "days_early": 3}


def test_a_supervisor_cannot_override_an_early_release(kakashi, supervisor, officer, medic):
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=3))
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")
    _ready(release, officer, medic)

    with pytest.raises(PermissionDenied) as refused:
        releases.release_complete(
            actor=supervisor, release=release, override_reason="Good behaviour"
        )

    assert refused.value.code == "override_not_allowed"
    kakashi.refresh_from_db()
    assert kakashi.status == BookingStatus.IN_CUSTODY


def test_the_commander_releases_early_with_a_reason(kakashi, commander, officer, medic):
    sentence = sentenced(kakashi, release_on=TODAY + dt.timedelta(days=3))
    release = releases.release_start(actor=commander, booking=kakashi, kind="time_served")
    _ready(release, officer, medic)

    done = releases.release_complete(
        actor=commander, release=release, override_reason="Needed for the chunin exams"
    )

    assert (done.early_override_reason, done.early_override_by) == (
        "Needed for the chunin exams", commander,
    )  # fmt: skip
    sentence.refresh_from_db()
    assert sentence.status == SentenceStatus.DISCHARGED
    changes = AuditEvent.objects.get(action="release.complete").changes
    assert changes["early_override"] == {"days_early": 3, "reason": "Needed for the chunin exams"}
    assert changes["release_on"] == "2026-03-17"


# --- Release to an assignment -------------------------------------------------------------


def test_only_the_commander_releases_to_an_assignment(kakashi, supervisor, court_clerk):
    for staff in (supervisor, court_clerk):
        with pytest.raises(PermissionDenied):
            releases.release_start(
                actor=staff, booking=kakashi, kind="assignment", assignment_rank="S"
            )


def test_an_assignment_names_its_rank(kakashi, commander):
    with pytest.raises(ValidationFailed) as refused:
        releases.release_start(actor=commander, booking=kakashi, kind="assignment")

    assert list(refused.value.extra["fields"]) == ["assignment_rank"]


def test_an_assignment_without_return_closes_the_booking_and_frees_the_bed(
    site, kakashi, commander, officer, medic
):
    sentence = sentenced(kakashi, release_on=TODAY + dt.timedelta(days=120))
    release = releases.release_start(
        actor=commander, booking=kakashi, kind="assignment", assignment_rank="Beyond S",
        conditions="Reports to the Hokage on return", reason=MISSION,
    )  # fmt: skip
    _ready(release, officer, medic)

    done = releases.release_complete(actor=commander, release=release)

    assert (done.authorised_by, done.assignment_rank, done.status) == (
        commander, "Beyond S", "completed",
    )  # fmt: skip
    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == ("released", "assignment")
    assert (live_count(site.facility).held, _occupied(site)) == (0, 0)
    sentence.refresh_from_db()
    assert sentence.status == SentenceStatus.DISCHARGED


# --- Temporary absences: the booking stays open, the bed is kept -------------------------


def test_a_furlough_keeps_the_bed_and_the_count_shows_the_person_out(
    site, kakashi, supervisor, officer, medic
):
    due_back = NOW + dt.timedelta(days=2)
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="furlough", expected_return_at=due_back,
        reason="Mother's funeral",
    )  # fmt: skip
    _ready(release, officer, medic)

    away = releases.release_complete(actor=supervisor, release=release)

    assert away.status == ReleaseStatus.AWAY
    kakashi.refresh_from_db()
    assert kakashi.status == BookingStatus.IN_CUSTODY
    assert BedAssignment.objects.filter(booking=kakashi, ended_at__isnull=True).exists()
    count = live_count(site.facility)
    assert (count.held, count.housed, count.in_cell, count.out_of_facility) == (1, 1, 0, 1)
    assert _occupied(site) == 1
    movement = Movement.objects.get(booking=kakashi)
    assert (movement.destination, movement.expected_return_at, movement.escort) == (
        "furlough", due_back, None,
    )  # fmt: skip


def test_the_return_from_a_furlough_puts_the_person_back_in_the_count(
    site, clock, kakashi, supervisor, officer, medic
):
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="furlough",
        expected_return_at=NOW + dt.timedelta(days=2),
    )  # fmt: skip
    _ready(release, officer, medic)
    releases.release_complete(actor=supervisor, release=release)
    clock.move_to(NOW + dt.timedelta(days=2, hours=1))

    back = releases.release_return(actor=officer, release=release)

    assert (back.status, back.returned_at) == ("returned", NOW + dt.timedelta(days=2, hours=1))
    assert live_count(site.facility).in_cell == 1
    assert AuditEvent.objects.get(action="release.return").changes["late"] is True
    with pytest.raises(Conflict) as again:
        releases.release_return(actor=officer, release=release)
    assert again.value.code == "release_not_away"


def test_an_assignment_with_a_return_is_a_temporary_absence(
    site, kakashi, commander, officer, medic
):
    release = releases.release_start(
        actor=commander, booking=kakashi, kind="assignment", assignment_rank="A",
        expected_return_at=NOW + dt.timedelta(days=5),
    )  # fmt: skip
    _ready(release, officer, medic)

    releases.release_complete(actor=commander, release=release)

    movement = Movement.objects.get(booking=kakashi)
    assert (movement.destination, movement.destination_detail) == ("assignment", "A assignment")
    assert live_count(site.facility).out_of_facility == 1


def test_a_furlough_needs_a_return_time_in_the_future(kakashi, supervisor):
    for expected, message in (
        (None, "is required for a furlough: when the person is due back."),
        (NOW - dt.timedelta(hours=1), "must be in the future."),
    ):
        with pytest.raises(ValidationFailed) as refused:
            releases.release_start(
                actor=supervisor, booking=kakashi, kind="furlough", expected_return_at=expected
            )
        assert refused.value.extra["fields"] == {"expected_return_at": [message]}


def test_a_furlough_is_let_out_by_someone_who_records_movements(
    kakashi, court_clerk, officer, medic
):
    release = releases.release_start(
        actor=court_clerk, booking=kakashi, kind="furlough",
        expected_return_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    _ready(release, officer, medic)

    with pytest.raises(PermissionDenied):
        releases.release_complete(actor=court_clerk, release=release)

    assert Release.objects.get(pk=release.pk).status == ReleaseStatus.PREPARING


# --- Escape and death: recorded at once ---------------------------------------------------


def test_an_escape_is_recorded_at_once_and_calls_off_his_visits(
    site, kakashi, supervisor, contact_room, make_visitor
):
    visit = booked(kakashi, [make_visitor()], room=contact_room, starts_at=NOW + dt.timedelta(1))

    escaped = releases.release_start(
        actor=supervisor, booking=kakashi, kind="escape", reason="Missing at the 14:00 count"
    )

    assert escaped.status == ReleaseStatus.COMPLETED
    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == ("released", "escape")
    assert (live_count(site.facility).held, _occupied(site)) == (0, 0)
    visit.refresh_from_db()
    assert visit.status == "cancelled"


def test_an_escape_or_a_death_needs_a_reason(kakashi, supervisor):
    for kind in ("escape", "death"):
        with pytest.raises(ValidationFailed) as refused:
            releases.release_start(actor=supervisor, booking=kakashi, kind=kind)
        assert list(refused.value.extra["fields"]) == ["reason"]


def test_a_death_during_a_count_is_recorded_without_waiting(site, kakashi, supervisor):
    count_start(actor=supervisor, facility=site.facility, method="head")

    releases.release_start(
        actor=supervisor, booking=kakashi, kind="death", reason="Found unresponsive at 11:50"
    )

    released = AuditEvent.objects.get(action="booking.released")
    assert released.changes["emergency"] == "Death: Found unresponsive at 11:50"


def test_someone_who_does_not_come_back_from_a_furlough_is_recorded_as_escaped(
    site, clock, kakashi, supervisor, officer, medic
):
    furlough = releases.release_start(
        actor=supervisor, booking=kakashi, kind="furlough",
        expected_return_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    _ready(furlough, officer, medic)
    releases.release_complete(actor=supervisor, release=furlough)
    clock.move_to(NOW + dt.timedelta(days=3))

    releases.release_start(
        actor=supervisor, booking=kakashi, kind="escape", reason="Did not return from furlough"
    )

    furlough.refresh_from_db()
    assert furlough.status == ReleaseStatus.COMPLETED
    kakashi.refresh_from_db()
    assert kakashi.release_type == "escape"
    assert live_count(site.facility).held == 0


# --- A count in progress ------------------------------------------------------------------


def test_a_release_waits_for_the_count_unless_it_is_an_emergency(
    site, kakashi, supervisor, officer, medic
):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    _ready(release, officer, medic)
    count_start(actor=supervisor, facility=site.facility, method="head")

    with pytest.raises(Conflict) as refused:
        releases.release_complete(actor=supervisor, release=release)
    assert refused.value.code == "count_in_progress"

    releases.release_complete(
        actor=supervisor, release=release, emergency_reason="Court order: release now"
    )
    assert AuditEvent.objects.get(action="release.complete").changes["emergency"] == (
        "Court order: release now"
    )


def test_a_completed_release_is_not_completed_again(kakashi, supervisor, officer, medic):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    _ready(release, officer, medic)
    releases.release_complete(actor=supervisor, release=release)

    with pytest.raises(Conflict) as again:
        releases.release_complete(actor=supervisor, release=release)

    assert again.value.code == "release_not_preparing"


def test_a_release_date_is_kept_on_a_release_that_was_not_for_time_served(
    kakashi, court_clerk, officer, medic
):
    dated(kakashi, TODAY + dt.timedelta(days=9))
    release = releases.release_start(actor=court_clerk, booking=kakashi, kind="acquittal")
    _ready(release, officer, medic)

    done = releases.release_complete(actor=court_clerk, release=release)

    assert done.release_date_then == TODAY + dt.timedelta(days=9)
    assert not Sentence.objects.exists()
