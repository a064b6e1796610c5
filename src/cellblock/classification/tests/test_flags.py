"""Special-management flags: set and lifted by classification staff, always audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.models import Flag
from cellblock.classification.services import FLAG_ALREADY_SET, flag_lift, flag_set
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo", Role.CLASSIFICATION)


@pytest.fixture
def booking(site, clock):
    person = person_create(actor=None, facility=None, given_name="Rock", family_name="Lee")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _flags_url(booking, tail=""):
    return f"/api/classification/bookings/{booking.booking_number}/flags{tail}"


def _set(client, booking, **payload):
    return client.post(_flags_url(booking), payload, content_type="application/json")


def _lift(client, booking, flag_id, **payload):
    return client.post(
        _flags_url(booking, f"/{flag_id}/lift"), payload, content_type="application/json"
    )


def _fields(response):
    assert response.status_code == 400, response.content
    return response.json()["extra"]["fields"]


def test_classification_staff_set_a_flag_and_it_is_audited(booking, cleo, client_for):
    response = _set(
        client_for(cleo), booking, kind="suicide_risk", detail="suicide_watch",
        reason="statements at intake",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["detail"], body["set_by"]) == (
        "suicide_risk",
        "suicide_watch",
        "cleo",
    )
    assert body["set_at"].startswith("2026-03-14T12:00")
    assert body["lifted_at"] is None
    event = AuditEvent.objects.get(action="flag.set")
    assert event.actor_username == "cleo"
    assert event.reason == "statements at intake"
    assert event.changes["booking"] == booking.booking_number
    assert event.changes["kind"] == "suicide_risk"
    assert event.object_id == body["id"]


def test_a_commander_may_set_a_flag(booking, commander):
    flag = flag_set(actor=commander, booking=booking, kind="dangerous", reason="assault")
    assert flag.set_by == commander


def test_an_officer_may_not_set_a_flag(booking, officer, client_for):
    response = _set(client_for(officer), booking, kind="dangerous", reason="assault")
    assert response.status_code == 403
    assert not Flag.objects.exists()


def test_a_booking_clerk_may_not_set_a_flag_even_through_the_service(booking, booking_clerk):
    with pytest.raises(PermissionDenied):
        flag_set(actor=booking_clerk, booking=booking, kind="dangerous", reason="assault")


def test_the_same_flag_twice_is_refused_naming_the_first(booking, cleo, client_for):
    client = client_for(cleo)
    first = _set(client, booking, kind="escape_risk", reason="tunnel").json()
    before = AuditEvent.objects.count()
    response = _set(client, booking, kind="escape_risk", reason="another tunnel")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "flag_already_set"
    assert body["extra"] == {"flag_id": first["id"]}
    flag = Flag.objects.get()
    assert body["message"] == FLAG_ALREADY_SET.format(booking=booking, flag=flag, when=NOW.date())
    assert AuditEvent.objects.count() == before


def test_one_kind_of_flag_may_carry_several_details(booking, cleo):
    flag_set(actor=cleo, booking=booking, kind="diet", detail="halal", reason="religion")
    flag_set(actor=cleo, booking=booking, kind="diet", detail="no nuts", reason="allergy")
    assert Flag.objects.filter(kind="diet").count() == 2


def test_an_expired_flag_is_replaced_and_closed_when_it_ended(booking, cleo, clock, client_for):
    old = flag_set(
        actor=cleo,
        booking=booking,
        kind="medical_need",
        detail="lower-bunk",
        reason="crutches",
        until=NOW + 24 * HOUR,
    )
    clock.move_to(NOW + 30 * HOUR)
    response = _set(
        client_for(cleo), booking, kind="medical_need", detail="lower-bunk", reason="crutches again"
    )
    assert response.status_code == 201, response.content
    old.refresh_from_db()
    assert old.lifted_at == NOW + 24 * HOUR
    assert old.lift_reason == "expired"
    assert Flag.objects.filter(kind="medical_need", lifted_at__isnull=True).count() == 1


def test_a_flag_still_in_force_until_its_end_is_not_replaced(booking, cleo, clock):
    flag_set(
        actor=cleo,
        booking=booking,
        kind="medical_need",
        detail="lower-bunk",
        reason="cast",
        until=NOW + 2 * HOUR,
    )
    clock.move_to(NOW + HOUR)
    with pytest.raises(Conflict):
        flag_set(
            actor=cleo, booking=booking, kind="medical_need", detail="lower-bunk", reason="cast"
        )


def test_a_containment_flag_needs_the_cell_feature_it_requires(booking, cleo, client_for):
    fields = _fields(_set(client_for(cleo), booking, kind="containment", reason="chakra"))
    assert set(fields) == {"detail"}
    assert "chakra-suppression" in fields["detail"][0]
    response = _set(
        client_for(cleo), booking, kind="containment", detail="chakra-suppression", reason="chakra"
    )
    assert response.status_code == 201


def test_a_flag_needs_a_reason(booking, cleo, client_for):
    assert set(
        _fields(_set(client_for(cleo), booking, kind="diet", detail="rice", reason="  "))
    ) == {"reason"}


def test_a_flag_cannot_end_in_the_past(booking, cleo, client_for):
    until = (NOW - HOUR).isoformat()
    fields = _fields(
        _set(client_for(cleo), booking, kind="diet", detail="rice", reason="x", until=until)
    )
    assert fields == {"until": ["must be in the future."]}


def test_an_unknown_kind_of_flag_is_refused_naming_the_field(booking, cleo, client_for):
    assert "kind" in _fields(_set(client_for(cleo), booking, kind="grumpy", reason="x"))
    with pytest.raises(ValidationFailed) as refused:
        flag_set(actor=cleo, booking=booking, kind="grumpy", reason="x")
    assert "juvenile" in refused.value.extra["fields"]["kind"][0]


def test_bad_flags_write_nothing(booking, cleo):
    before = (Flag.objects.count(), AuditEvent.objects.count())
    for kind, reason in (("containment", "chakra"), ("diet", "")):
        with pytest.raises(ValidationFailed):
            flag_set(actor=cleo, booking=booking, kind=kind, reason=reason)
    assert (Flag.objects.count(), AuditEvent.objects.count()) == before


def test_a_closed_booking_takes_no_new_flags(booking, cleo, commander):
    booking_transition(actor=commander, booking=booking, to="cancelled", reason="error")
    with pytest.raises(Conflict) as refused:
        flag_set(actor=cleo, booking=booking, kind="diet", detail="rice", reason="x")
    assert refused.value.code == "booking_closed"


def test_classification_staff_lift_a_flag_with_a_reason(booking, cleo, clock, client_for):
    flag = flag_set(
        actor=cleo, booking=booking, kind="suicide_risk", detail="at_risk", reason="statements"
    )
    clock.move_to(NOW + 48 * HOUR)
    response = _lift(client_for(cleo), booking, flag.public_id, reason="cleared by psychiatrist")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lift_reason"] == "cleared by psychiatrist"
    assert body["lifted_at"].startswith("2026-03-16T12:00")
    event = AuditEvent.objects.get(action="flag.lift")
    assert (event.actor_username, event.reason) == ("cleo", "cleared by psychiatrist")
    assert event.changes == {
        "booking": booking.booking_number,
        "kind": "suicide_risk",
        "lifted_at": "2026-03-16T12:00:00Z",
    }


def test_lifting_needs_a_reason(booking, cleo, client_for):
    flag = flag_set(actor=cleo, booking=booking, kind="diet", detail="rice", reason="x")
    assert "reason" in _fields(_lift(client_for(cleo), booking, flag.public_id, reason=" "))


def test_a_flag_cannot_be_lifted_twice(booking, cleo):
    flag = flag_set(actor=cleo, booking=booking, kind="diet", detail="rice", reason="x")
    flag_lift(actor=cleo, flag=flag, reason="done")
    with pytest.raises(Conflict) as refused:
        flag_lift(actor=cleo, flag=flag, reason="again")
    assert refused.value.code == "flag_lifted"


def test_an_officer_may_not_lift_a_flag(booking, cleo, officer, client_for):
    flag = flag_set(actor=cleo, booking=booking, kind="diet", detail="rice", reason="x")
    response = _lift(client_for(officer), booking, flag.public_id, reason="done")
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.lifted_at is None


def test_a_lifted_flag_may_be_set_again(booking, cleo):
    flag = flag_set(actor=cleo, booking=booking, kind="escape_risk", reason="x")
    flag_lift(actor=cleo, flag=flag, reason="recaptured and assessed")
    flag_set(actor=cleo, booking=booking, kind="escape_risk", reason="new plan found")
    assert Flag.objects.filter(kind="escape_risk").count() == 2


def test_a_flag_of_another_booking_is_not_found_under_this_one(site, booking, cleo, client_for):
    person = person_create(actor=None, facility=None, given_name="Neji", family_name="Hyuga")
    other = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    flag = flag_set(actor=cleo, booking=other, kind="diet", detail="rice", reason="x")
    response = _lift(client_for(cleo), booking, flag.public_id, reason="done")
    assert response.status_code == 404


def test_everyone_at_the_facility_reads_the_flag_history(booking, cleo, officer, client_for):
    lifted = flag_set(actor=cleo, booking=booking, kind="diet", detail="rice", reason="x")
    flag_lift(actor=cleo, flag=lifted, reason="done")
    flag_set(actor=cleo, booking=booking, kind="juvenile", reason="17")
    response = client_for(officer).get(_flags_url(booking))
    assert response.status_code == 200
    assert [(row["kind"], row["lift_reason"]) for row in response.json()] == [
        ("diet", "done"),
        ("juvenile", ""),
    ]


def test_an_outsider_gets_not_found_for_our_flags(booking, cleo, outsider, client_for):
    client = client_for(outsider)
    assert client.get(_flags_url(booking)).status_code == 404
    assert _set(client, booking, kind="diet", detail="rice", reason="x").status_code == 404
    assert not Flag.objects.exists()
