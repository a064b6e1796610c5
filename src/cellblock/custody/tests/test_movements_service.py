"""Movements through the services: out of cell or out of the facility, and back."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import BookingStatus
from cellblock.booking.services import booking_transition
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.models import Movement, MovementKind
from cellblock.custody.selectors.movements import open_movements, time_out_of_cell
from cellblock.custody.services import movements as service
from cellblock.custody.services.movements import movement_return, movement_start

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake")


@pytest.mark.parametrize(
    ("destination", "kind", "contact"),
    [
        ("exercise_yard", MovementKind.OUT_OF_CELL, False),
        ("visit_room", MovementKind.OUT_OF_CELL, True),
        ("medical", MovementKind.OUT_OF_CELL, True),
        ("programme", MovementKind.OUT_OF_CELL, True),
        ("court", MovementKind.OUT_OF_FACILITY, True),
        ("hospital", MovementKind.OUT_OF_FACILITY, False),
        ("assignment", MovementKind.OUT_OF_FACILITY, False),
    ],
)
def test_the_destination_decides_the_kind_and_whether_it_is_meaningful_contact(
    kakashi, officer, destination, kind, contact
):
    movement = movement_start(actor=officer, booking=kakashi, destination=destination)

    assert (movement.kind, movement.meaningful_contact) == (kind, contact)
    assert movement.left_at == NOW
    assert movement.recorded_by == officer


def test_an_officer_sends_someone_to_court_with_an_escort_and_an_expected_return(
    kakashi, officer, staff_factory
):
    escort = staff_factory("hiroki", Role.OFFICER)
    back = NOW + dt.timedelta(hours=3)

    movement = movement_start(
        actor=officer, booking=kakashi, destination="court", destination_detail="Village hall",
        escort=escort, expected_return_at=back, reason="Hearing",
    )  # fmt: skip

    assert (movement.escort, movement.expected_return_at) == (escort, back)
    event = AuditEvent.objects.get(action="movement.start")
    assert event.actor == officer
    assert event.reason == "Hearing"
    assert event.changes["escort"] == "hiroki"
    assert event.changes["detail"] == "Village hall"


def test_the_return_is_recorded_and_audited_with_the_minutes_out(kakashi, officer, clock):
    movement = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    clock.shift(dt.timedelta(minutes=60))

    back = movement_return(actor=officer, movement=movement)

    assert back.returned_at == NOW + dt.timedelta(minutes=60)
    assert back.returned_recorded_by == officer
    event = AuditEvent.objects.get(action="movement.return")
    assert event.changes["minutes_out"] == 60
    assert open_movements(kakashi.facility) == []


def test_one_movement_at_a_time(kakashi, officer):
    first = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")

    with pytest.raises(Conflict) as refused:
        movement_start(actor=officer, booking=kakashi, destination="medical")

    assert refused.value.code == "already_out"
    assert refused.value.extra["movement"] == str(first.public_id)


def test_a_return_is_recorded_once(kakashi, officer):
    movement = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    movement_return(actor=officer, movement=movement)

    with pytest.raises(Conflict) as refused:
        movement_return(actor=officer, movement=movement)

    assert refused.value.code == "already_returned"


def test_only_custody_staff_take_people_out(kakashi, booking_clerk, medic):
    for actor in (booking_clerk, medic):
        with pytest.raises(PermissionDenied):
            movement_start(actor=actor, booking=kakashi, destination="exercise_yard")


def test_staff_of_another_facility_cannot_take_people_out_here(kakashi, outsider):
    with pytest.raises(PermissionDenied):
        movement_start(actor=outsider, booking=kakashi, destination="exercise_yard")


def test_the_escort_must_be_an_officer_of_the_facility(kakashi, officer, medic, outsider):
    for escort in (medic, outsider):
        with pytest.raises(ValidationFailed) as refused:
            movement_start(actor=officer, booking=kakashi, destination="court", escort=escort)
        assert refused.value.extra["fields"]["escort"] == [
            service.ESCORT_NOT_HERE.format(escort=escort.username, facility="Test Jail")
        ]


def test_the_destination_is_one_of_the_list_and_other_says_where(kakashi, officer):
    with pytest.raises(ValidationFailed) as unknown:
        movement_start(actor=officer, booking=kakashi, destination="beach")
    with pytest.raises(ValidationFailed) as vague:
        movement_start(actor=officer, booking=kakashi, destination="other")

    assert "destination" in unknown.value.extra["fields"]
    assert vague.value.extra["fields"]["destination_detail"] == [service.DETAIL_NEEDED]


def test_the_expected_return_comes_after_leaving(kakashi, officer):
    with pytest.raises(ValidationFailed) as refused:
        movement_start(actor=officer, booking=kakashi, destination="court", expected_return_at=NOW)

    assert refused.value.extra["fields"]["expected_return_at"] == [
        service.RETURN_NOT_AFTER.format(left_at=NOW)
    ]


def test_times_are_never_in_the_future_nor_before_the_booking(kakashi, officer):
    with pytest.raises(ValidationFailed) as future:
        movement_start(
            actor=officer, booking=kakashi, destination="court",
            at=NOW + dt.timedelta(minutes=1),
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as early:
        movement_start(
            actor=officer, booking=kakashi, destination="court",
            at=kakashi.booked_at - dt.timedelta(minutes=1),
        )  # fmt: skip

    assert future.value.extra["fields"]["at"] == [service.AT_IN_FUTURE]
    assert "before" in early.value.extra["fields"]["at"][0]


def test_a_return_is_not_before_leaving(kakashi, officer, clock):
    clock.shift(dt.timedelta(hours=1))
    movement = movement_start(actor=officer, booking=kakashi, destination="court")

    with pytest.raises(ValidationFailed) as refused:
        movement_return(
            actor=officer, movement=movement, at=movement.left_at - dt.timedelta(minutes=1)
        )

    assert refused.value.extra["fields"]["at"] == [
        service.AT_BEFORE_LEFT.format(left_at=movement.left_at)
    ]


def test_a_late_entry_records_when_it_happened_and_may_not_overlap_another(kakashi, officer, clock):
    clock.shift(dt.timedelta(hours=3))
    late = movement_start(
        actor=officer, booking=kakashi, destination="visit_room",
        at=NOW + dt.timedelta(hours=1),
    )  # fmt: skip
    movement_return(actor=officer, movement=late, at=NOW + dt.timedelta(hours=2))

    with pytest.raises(Conflict) as overlap:
        movement_start(
            actor=officer, booking=kakashi, destination="exercise_yard",
            at=NOW + dt.timedelta(minutes=90),
        )  # fmt: skip

    assert late.left_at == NOW + dt.timedelta(hours=1)
    assert overlap.value.code == "already_out"


def test_nobody_is_taken_out_of_a_closed_booking(kakashi, officer, supervisor):
    booking_transition(actor=None, booking=kakashi, to=BookingStatus.IN_CUSTODY)
    booking_transition(
        actor=supervisor, booking=kakashi, to=BookingStatus.RELEASED, release_type="bail"
    )

    with pytest.raises(Conflict) as refused:
        movement_start(actor=officer, booking=kakashi, destination="court")

    assert refused.value.code == "booking_closed"
    assert not Movement.objects.exists()


def test_minutes_out_of_cell_are_clipped_to_the_day_and_split_by_purpose(hold, officer, clock):
    clock.move_to(NOW - dt.timedelta(hours=12, minutes=30))  # 23:30 the day before
    kakashi = hold("Hatake")
    night = movement_start(actor=officer, booking=kakashi, destination="medical")
    clock.move_to(NOW - dt.timedelta(hours=11))  # 01:00
    movement_return(actor=officer, movement=night)
    clock.move_to(NOW)
    yard = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    clock.shift(dt.timedelta(minutes=45))
    movement_return(actor=officer, movement=yard)
    movement_start(actor=officer, booking=kakashi, destination="visit_room")
    day = dt.datetime(2026, 3, 14, tzinfo=dt.UTC)

    found = time_out_of_cell([kakashi.pk], day, NOW + dt.timedelta(hours=1))

    out = found[kakashi.pk]
    assert (out.minutes, out.contact_minutes, out.exercise_minutes) == (60 + 45 + 15, 75, 45)
