"""Visit day through the services: the desk, the items, the escort, the doors, the timer."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.compliance import rules as compliance_rules
from cellblock.compliance.selectors import alerts
from cellblock.conftest import ready_for_bed
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.custody.models import Destination, DoorAction, Movement
from cellblock.custody.services.counts import count_start
from cellblock.housing.services import bed_assign
from cellblock.visits.models import ItemOutcome, VisitStatus
from cellblock.visits.selectors.day import overran_minutes, overrunning_visits
from cellblock.visits.services import day
from cellblock.visits.services.day import IdentityCheck
from cellblock.visits.tests.conftest import NOW

from .day_support import booked, guardian_of, overridden

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
KONOHA_ID = "village_registry"


@pytest.fixture
def kakashi(hold):
    return hold("Hatake", given_name="Kakashi")


@pytest.fixture
def ino(make_visitor):
    return make_visitor("Ino", "Yamanaka", id_number="KON-4471")


@pytest.fixture
def sakura(make_visitor):
    return make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28))


@pytest.fixture
def mebuki(make_visitor):
    return make_visitor("Mebuki", "Haruno", born=dt.date(1980, 5, 1))


def shown(visitor, number="KON-4471", kind=KONOHA_ID) -> IdentityCheck:
    return IdentityCheck(visitor=visitor, id_kind=kind, id_number=number)


def checked_in(visit, by, *checks):
    return day.visit_check_in(actor=by, visit=visit, checks=list(checks))


def under_way(visit, desk, officer, *checks):
    checked_in(visit, desk, *checks)
    return day.visit_start(actor=officer, visit=visit)


def overrun_alerts(site):
    return [
        a
        for a in alerts(site.facility, core_clock.now())
        if a.rule == compliance_rules.VISIT_OVERRUN
    ]


# --- Check-in -----------------------------------------------------------------------------


def test_the_desk_checks_in_the_visitors_present_with_the_document_they_show(
    site, clock, kakashi, ino, make_visitor, contact_room, visits_clerk
):
    choji = make_visitor("Choji", "Akimichi")
    visit = booked(kakashi, [ino, choji], room=contact_room)
    # Spaces, dashes and case aside, the number is the one on record.
    done = checked_in(visit, visits_clerk, shown(ino, "kon 4471"))
    assert (done.status, done.checked_in_at, done.checked_in_by) == (
        VisitStatus.CHECKED_IN, NOW, visits_clerk
    )  # fmt: skip
    present, absent = visit.participants.order_by("id")
    assert (present.checked_in_at, present.id_seen_kind, present.id_seen_number) == (
        NOW, KONOHA_ID, "kon 4471"
    )  # fmt: skip
    assert present.id_checked_by == visits_clerk
    # Choji did not come: he is not checked in and takes no part.
    assert absent.checked_in_at is None
    event = AuditEvent.objects.get(action="visit.check_in")
    assert event.actor_username == visits_clerk.username
    assert event.changes["absent"] == [str(choji.public_id)]


def test_a_document_that_does_not_match_the_registry_is_refused_naming_id_number(
    site, clock, kakashi, ino, contact_room, visits_clerk
):
    visit = booked(kakashi, [ino], room=contact_room)
    with pytest.raises(ValidationFailed) as refused:
        checked_in(visit, visits_clerk, shown(ino, "KON-9999"))
    assert refused.value.extra["fields"] == {
        "id_number": [day.ID_NUMBER_MISMATCH.format(visitor="Ino Yamanaka")]
    }
    with pytest.raises(ValidationFailed) as other_document:
        checked_in(visit, visits_clerk, shown(ino, "P123", kind="passport"))
    assert set(other_document.value.extra["fields"]) == {"id_kind", "id_number"}
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_a_visitor_without_a_number_on_record_is_checked_in_with_the_one_shown(
    site, clock, kakashi, sakura, mebuki, contact_room, visits_clerk
):
    guardian_of(sakura, mebuki)
    visit = booked(kakashi, [sakura, mebuki], room=contact_room)
    with pytest.raises(ValidationFailed) as blank:
        checked_in(visit, visits_clerk, shown(sakura, " "), shown(mebuki, "M-1"))
    assert blank.value.extra["fields"] == {
        "id_number": [day.ID_NUMBER_NEEDED.format(visitor="Sakura Haruno")]
    }
    checked_in(visit, visits_clerk, shown(sakura, "S-16"), shown(mebuki, "M-1"))
    assert sorted(visit.participants.values_list("id_seen_number", flat=True)) == ["M-1", "S-16"]


def test_nobody_present_or_someone_not_on_the_visit_is_refused(
    site, clock, kakashi, ino, make_visitor, contact_room, visits_clerk
):
    stranger = make_visitor("Kabuto", "Yakushi", id_number="X-1")
    visit = booked(kakashi, [ino], room=contact_room)
    with pytest.raises(ValidationFailed) as nobody:
        checked_in(visit, visits_clerk)
    assert nobody.value.extra["fields"] == {"visitors": [day.NOBODY_PRESENT]}
    with pytest.raises(ValidationFailed) as not_on:
        checked_in(visit, visits_clerk, shown(ino), shown(stranger, "X-1"))
    assert not_on.value.extra["fields"] == {
        "visitors": [day.NOT_ON_VISIT.format(visitor="Kabuto Yakushi")]
    }


@pytest.mark.parametrize(
    ("starts_in", "code"),
    [
        (dt.timedelta(minutes=61), "check_in_not_open"),
        (dt.timedelta(minutes=60), None),
        (dt.timedelta(0), None),
        (-dt.timedelta(minutes=29), None),
        (-dt.timedelta(minutes=30), "check_in_closed"),
    ],
)
def test_the_desk_opens_an_hour_before_the_visit_and_closes_at_its_end(
    site, clock, kakashi, ino, contact_room, visits_clerk, starts_in, code
):
    visit = booked(kakashi, [ino], room=contact_room, starts_at=NOW + starts_in, minutes=30)
    if code is None:
        assert checked_in(visit, visits_clerk, shown(ino)).status == VisitStatus.CHECKED_IN
        return
    with pytest.raises(Conflict) as refused:
        checked_in(visit, visits_clerk, shown(ino))
    assert refused.value.code == code


def test_a_minor_without_their_guardian_present_is_turned_away_and_the_visit_stays_booked(
    site, clock, kakashi, sakura, mebuki, contact_room, visits_clerk
):
    guardian_of(sakura, mebuki)
    visit = booked(kakashi, [sakura, mebuki], room=contact_room)
    # Her mother is on the booking but did not come.
    with pytest.raises(Conflict) as refused:
        checked_in(visit, visits_clerk, shown(sakura, "S-16"))
    assert refused.value.code == "visit_refused"
    assert [v["code"] for v in refused.value.extra["violations"]] == ["minor_without_guardian"]
    assert refused.value.message.startswith("This visit is refused: ")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert not visit.participants.filter(checked_in_at__isnull=False).exists()
    checked_in(visit, visits_clerk, shown(sakura, "S-16"), shown(mebuki, "M-1"))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_IN


def test_the_commanders_override_lets_the_minor_in_alone(
    site, clock, kakashi, sakura, commander, visits_clerk
):
    visit = booked(kakashi, [sakura])
    overridden(visit, commander, "minor_without_guardian")
    assert checked_in(visit, visits_clerk, shown(sakura, "S-16")).status == VisitStatus.CHECKED_IN


# --- Items --------------------------------------------------------------------------------


def test_items_are_screened_at_the_desk_and_refusals_need_a_reason(
    site, clock, kakashi, ino, make_visitor, contact_room, visits_clerk
):
    choji = make_visitor("Choji", "Akimichi")
    visit = booked(kakashi, [ino, choji], room=contact_room)
    with pytest.raises(Conflict) as too_soon:
        day.visit_item_screen(
            actor=visits_clerk, visit=visit, description="Bento box", outcome="allowed"
        )
    assert too_soon.value.code == "visit_not_checked_in"
    assert too_soon.value.message == (
        "This visit is scheduled: screening items needs a visit that is checked in."
    )
    checked_in(visit, visits_clerk, shown(ino))
    bento = day.visit_item_screen(
        actor=visits_clerk, visit=visit, description=" Bento box ", outcome=ItemOutcome.ALLOWED,
        visitor=ino,
    )  # fmt: skip
    assert (bento.description, bento.outcome, bento.screened_by) == (
        "Bento box", "allowed", visits_clerk
    )  # fmt: skip
    for outcome in (ItemOutcome.REFUSED, ItemOutcome.CONFISCATED):
        with pytest.raises(ValidationFailed) as no_reason:
            day.visit_item_screen(
                actor=visits_clerk, visit=visit, description="Kunai", outcome=outcome
            )
        assert no_reason.value.extra["fields"] == {
            "reason": [day.ITEM_REASON_NEEDED.format(outcome=outcome)]
        }
    kunai = day.visit_item_screen(
        actor=visits_clerk, visit=visit, description="Kunai", outcome=ItemOutcome.CONFISCATED,
        reason="A weapon.", visitor=ino,
    )  # fmt: skip
    assert kunai.reason == "A weapon."
    with pytest.raises(ValidationFailed) as absent:
        day.visit_item_screen(
            actor=visits_clerk, visit=visit, description="Chips", outcome="allowed", visitor=choji
        )
    assert absent.value.extra["fields"] == {
        "visitor": [day.ITEM_VISITOR_NOT_IN.format(visitor="Choji Akimichi")]
    }
    with pytest.raises(ValidationFailed) as nonsense:
        day.visit_item_screen(actor=visits_clerk, visit=visit, description="", outcome="eaten")
    assert set(nonsense.value.extra["fields"]) == {"description", "outcome"}
    assert [i.description for i in visit.items.order_by("id")] == ["Bento box", "Kunai"]
    assert AuditEvent.objects.filter(action="visit.item_screen").count() == 2


# --- Start and end --------------------------------------------------------------------------


def test_a_room_visit_takes_the_person_to_the_visit_room_and_back(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer
):
    visit = booked(kakashi, [ino], room=contact_room, minutes=30)
    checked_in(visit, visits_clerk, shown(ino))
    clock.move_to(NOW + dt.timedelta(minutes=5))
    started = day.visit_start(actor=officer, visit=visit)
    assert (started.status, started.started_at, started.escort) == (
        VisitStatus.IN_PROGRESS, NOW + dt.timedelta(minutes=5), officer
    )  # fmt: skip
    movement = started.movement
    assert movement is not None
    assert (movement.destination, movement.destination_detail, movement.escort) == (
        Destination.VISIT_ROOM, "Visit room 1", officer
    )  # fmt: skip
    # Expected back when the length booked runs out, counted from the real start.
    assert movement.expected_return_at == NOW + dt.timedelta(minutes=35)
    assert movement.left_at == NOW + dt.timedelta(minutes=5)
    clock.move_to(NOW + dt.timedelta(minutes=30))
    ended = day.visit_end(actor=officer, visit=visit)
    movement.refresh_from_db()
    assert movement.returned_at == ended.ended_at == NOW + dt.timedelta(minutes=30)
    assert overran_minutes(ended) == 0
    assert list(ended.door_events.all()) == []


def test_an_in_cell_visit_logs_the_cell_door_for_the_visitors_with_their_names(
    site, clock, kakashi, sakura, mebuki, commander, visits_clerk, officer
):
    guardian_of(sakura, mebuki)
    visit = booked(kakashi, [sakura, mebuki])
    checked_in(visit, visits_clerk, shown(sakura, "S-16"), shown(mebuki, "M-1"))
    started = day.visit_start(actor=officer, visit=visit)
    assert started.movement is None
    events = list(started.door_events.order_by("at", "id"))
    assert [(e.action, e.cell, e.operated_by) for e in events] == [
        (DoorAction.OPEN, visit.cell, officer), (DoorAction.CLOSE, visit.cell, officer)
    ]  # fmt: skip
    assert events[0].note == (
        "In-cell visit: Sakura Haruno, Mebuki Haruno go in to Kakashi Hatake; escort Olly Officer."
    )
    clock.move_to(NOW + dt.timedelta(minutes=10))
    day.visit_end(actor=officer, visit=visit)
    events = list(visit.door_events.order_by("at", "id"))
    assert [e.action for e in events] == ["open", "close", "open", "close"]
    assert events[2].note == "In-cell visit over: Sakura Haruno, Mebuki Haruno come out."
    assert events[2].at == NOW + dt.timedelta(minutes=10)
    assert not Movement.objects.filter(booking=kakashi).exists()


def test_the_escort_defaults_to_whoever_starts_and_must_run_visits_at_the_facility(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer, supervisor, auditor, outsider
):
    visit = booked(kakashi, [ino], room=contact_room)
    checked_in(visit, visits_clerk, shown(ino))
    for stranger in (auditor, outsider):
        with pytest.raises(ValidationFailed) as refused:
            day.visit_start(actor=officer, visit=visit, escort=stranger)
        assert list(refused.value.extra["fields"]) == ["escort"]
    started = day.visit_start(actor=officer, visit=visit, escort=supervisor)
    assert started.escort == supervisor
    assert started.movement is not None
    assert started.movement.escort == supervisor


def test_the_visits_clerk_runs_the_desk_but_does_not_take_people_out(
    site, clock, kakashi, ino, contact_room, visits_clerk
):
    visit = booked(kakashi, [ino], room=contact_room)
    checked_in(visit, visits_clerk, shown(ino))
    with pytest.raises(PermissionDenied) as refused:
        day.visit_start(actor=visits_clerk, visit=visit, escort=visits_clerk)
    assert refused.value.code == "missing_role"
    visit.refresh_from_db()
    assert (visit.status, visit.movement_id) == (VisitStatus.CHECKED_IN, None)


def test_nobody_goes_to_the_visit_room_during_a_formal_count(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer, supervisor
):
    visit = booked(kakashi, [ino], room=contact_room)
    checked_in(visit, visits_clerk, shown(ino))
    count_start(actor=supervisor, facility=site.facility, method="head")
    with pytest.raises(Conflict) as frozen:
        day.visit_start(actor=officer, visit=visit)
    assert frozen.value.code == "count_in_progress"
    visit.refresh_from_db()
    assert (visit.status, visit.started_at) == (VisitStatus.CHECKED_IN, None)


def test_an_in_cell_visit_does_not_start_once_the_person_has_moved(
    site, clock, kakashi, ino, visits_clerk, officer
):
    visit = booked(kakashi, [ino])
    checked_in(visit, visits_clerk, shown(ino))
    free = site.cells[1].beds.order_by("code").first()
    ready_for_bed(kakashi)
    bed_assign(actor=None, booking=kakashi, bed=free)
    with pytest.raises(Conflict) as moved:
        day.visit_start(actor=officer, visit=visit)
    assert moved.value.code == "not_in_visit_cell"
    assert moved.value.message == day.NOT_IN_THE_CELL.format(person="Kakashi Hatake", cell="A1-1")


# --- The timer and the overrun alert ---------------------------------------------------------


def test_the_overrun_alert_fires_at_twenty_minutes_under_the_konoha_policy(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer, supervisor
):
    policy = site.facility.policy
    policy.visit_length_minutes = 20
    policy.save(update_fields=["visit_length_minutes"])
    visit = booked(kakashi, [ino], room=contact_room)
    assert visit.minutes == 20
    under_way(visit, visits_clerk, officer, shown(ino))
    clock.move_to(NOW + dt.timedelta(minutes=20) - SECOND)
    assert overrun_alerts(site) == []
    assert overrunning_visits(site.facility, core_clock.now()) == []
    clock.move_to(NOW + dt.timedelta(minutes=20))
    assert overrunning_visits(site.facility, core_clock.now()) == [visit]
    (alert,) = overrun_alerts(site)
    assert (alert.number, alert.limit, alert.since, alert.booking) == (
        0, 20, NOW + dt.timedelta(minutes=20), kakashi.booking_number
    )  # fmt: skip
    assert [(r.label, r.names) for r in alert.responsible] == [
        ("Escort", ("Olly Officer",)), ("Supervisor", ("Sam Supervisor",))
    ]  # fmt: skip
    clock.move_to(NOW + dt.timedelta(minutes=21))
    assert [a.number for a in overrun_alerts(site)] == [1]
    clock.move_to(NOW + dt.timedelta(minutes=22, seconds=30))
    assert [a.number for a in overrun_alerts(site)] == [2]
    ended = day.visit_end(actor=officer, visit=visit)
    assert overrun_alerts(site) == []
    # Ended late, it keeps how long it overran.
    assert overran_minutes(ended) == 2
    clock.move_to(NOW + dt.timedelta(hours=3))
    ended.refresh_from_db()
    assert overran_minutes(ended) == 2
    assert AuditEvent.objects.get(action="visit.end").changes["overran_minutes"] == 2


def test_the_timer_counts_from_the_real_start(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer
):
    visit = booked(kakashi, [ino], room=contact_room, minutes=30)
    checked_in(visit, visits_clerk, shown(ino))
    clock.move_to(NOW + dt.timedelta(minutes=10))
    started = day.visit_start(actor=officer, visit=visit)
    assert started.due_end_at == NOW + dt.timedelta(minutes=40)
    assert overran_minutes(started, NOW + dt.timedelta(minutes=39)) == 0
    assert overran_minutes(started, NOW + dt.timedelta(minutes=45)) == 5
    clock.move_to(NOW + dt.timedelta(minutes=39))
    assert overrun_alerts(site) == []


# --- Check-out, no-show, order -----------------------------------------------------------------


def test_check_out_completes_the_visit_and_sees_the_visitors_out(
    site, clock, kakashi, ino, make_visitor, contact_room, visits_clerk, officer
):
    choji = make_visitor("Choji", "Akimichi")
    visit = booked(kakashi, [ino, choji], room=contact_room)
    under_way(visit, visits_clerk, officer, shown(ino))
    clock.move_to(NOW + dt.timedelta(minutes=15))
    day.visit_end(actor=officer, visit=visit)
    clock.move_to(NOW + dt.timedelta(minutes=18))
    done = day.visit_check_out(actor=visits_clerk, visit=visit)
    assert (done.status, done.checked_out_at, done.checked_out_by) == (
        VisitStatus.COMPLETED, NOW + dt.timedelta(minutes=18), visits_clerk
    )  # fmt: skip
    rows = dict(visit.participants.values_list("visitor_id", "checked_out_at"))
    assert rows == {ino.pk: NOW + dt.timedelta(minutes=18), choji.pk: None}
    assert list(
        AuditEvent.objects.filter(object_id=str(visit.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["visit.check_in", "visit.start", "visit.end", "visit.check_out"]


def test_a_no_show_is_recorded_from_the_visits_start_time(
    site, clock, kakashi, ino, contact_room, officer
):
    visit = booked(kakashi, [ino], room=contact_room, starts_at=NOW + MINUTE)
    with pytest.raises(Conflict) as early:
        day.visit_no_show(actor=officer, visit=visit)
    assert early.value.code == "visit_not_started_yet"
    clock.move_to(NOW + MINUTE)
    assert day.visit_no_show(actor=officer, visit=visit).status == VisitStatus.NO_SHOW
    assert AuditEvent.objects.filter(action="visit.no_show").count() == 1


def test_steps_out_of_order_answer_409_naming_the_status_they_need(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer
):
    visit = booked(kakashi, [ino], room=contact_room)

    def code_of(step, **kwargs) -> str:
        with pytest.raises(Conflict) as refused:
            step(visit=visit, **kwargs)
        return refused.value.code

    assert code_of(day.visit_start, actor=officer) == "visit_not_checked_in"
    assert code_of(day.visit_end, actor=officer) == "visit_not_in_progress"
    assert code_of(day.visit_check_out, actor=officer) == "visit_not_ended"
    checked_in(visit, visits_clerk, shown(ino))
    assert code_of(day.visit_check_in, actor=visits_clerk, checks=[shown(ino)]) == (
        "visit_not_scheduled"
    )
    assert code_of(day.visit_no_show, actor=officer) == "visit_not_scheduled"
    day.visit_start(actor=officer, visit=visit)
    assert code_of(day.visit_start, actor=officer) == "visit_not_checked_in"
    with pytest.raises(Conflict) as refused:
        day.visit_check_out(actor=officer, visit=visit)
    assert refused.value.message == day.WRONG_STATUS.format(
        status="in progress", action="checking out", needed="ended"
    )


def test_times_given_must_not_be_in_the_future_nor_before_the_step_before(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer
):
    visit = booked(kakashi, [ino], room=contact_room)
    checked_in(visit, visits_clerk, shown(ino))
    with pytest.raises(ValidationFailed) as future:
        day.visit_start(actor=officer, visit=visit, at=NOW + MINUTE)
    assert list(future.value.extra["fields"]) == ["at"]
    with pytest.raises(ValidationFailed) as before:
        day.visit_start(actor=officer, visit=visit, at=NOW - MINUTE)
    assert list(before.value.extra["fields"]) == ["at"]


def test_only_staff_who_run_visits_here_take_the_steps(
    site, clock, kakashi, ino, contact_room, auditor, outsider, booking_clerk
):
    visit = booked(kakashi, [ino], room=contact_room)
    for stranger in (auditor, outsider, booking_clerk):
        with pytest.raises(PermissionDenied) as refused:
            checked_in(visit, stranger, shown(ino))
        assert refused.value.code == "missing_role"
        with pytest.raises(PermissionDenied):
            day.visit_no_show(actor=stranger, visit=visit)
