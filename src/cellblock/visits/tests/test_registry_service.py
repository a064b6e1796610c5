"""The visitor registry services: visitors, identity, approval, guardians, bans,
visiting lists, rooms and suspensions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus
from cellblock.conftest import make_staff
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.incidents.models import Incident
from cellblock.people.models import Person
from cellblock.people.services import person_create
from cellblock.visits.models import (
    GuardianRole,
    ListEntryStatus,
    RoomKind,
    Visit,
    VisitingListEntry,
    VisitKind,
    Visitor,
    VisitorStatus,
    VisitParticipant,
    VisitStatus,
)
from cellblock.visits.selectors.registry import (
    active_bans,
    guardians_of,
    rooms_for_facility,
    suspension_in_force,
    visiting_list,
    visitors_search,
    visits_cancelled_by,
)
from cellblock.visits.services import registry as svc
from cellblock.visits.tests.conftest import NOW, TOMORROW_2PM

pytestmark = pytest.mark.django_db


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake", given_name="Kakashi")


def register(actor, site, given="Ino", family="Yamanaka", born=dt.date(1990, 9, 23), **more):
    return svc.visitor_register(
        actor=actor, facility=site.facility, given_name=given, family_name=family,
        date_of_birth=born, **more,
    )  # fmt: skip


def approved(actor, visitor, number="KON-1"):
    svc.visitor_identity_check(
        actor=actor, visitor=visitor, id_kind="village_registry", id_number=number
    )
    return svc.visitor_decide(actor=actor, visitor=visitor, status="approved")


def book_visit(booking, visitors, starts_at, *, room, kind=VisitKind.CONTACT, status=None):
    visit = Visit.objects.create(
        facility=booking.facility, booking=booking, kind=kind,
        status=status or VisitStatus.SCHEDULED, room=room, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30), requested_at=NOW,
    )  # fmt: skip
    for visitor in visitors:
        VisitParticipant.objects.create(visit=visit, visitor=visitor)
    return visit


def actions(obj=None):
    events = AuditEvent.objects.order_by("seq")
    if obj is not None:
        events = events.filter(object_id=str(obj.public_id))
    return list(events.values_list("action", flat=True))


# --- Registering ----------------------------------------------------------------------------


def test_a_clerk_registers_a_new_person_as_a_visitor_pending_approval(clock, site, visits_clerk):
    ino = register(visits_clerk, site, phone=" 555-0101 ", id_kind="passport", id_number="P-9")
    assert ino.status == VisitorStatus.PENDING
    assert ino.person.full_name == "Ino Yamanaka"
    assert (ino.phone, ino.id_kind, ino.id_number) == ("555-0101", "passport", "P-9")
    # The document is stated, not yet checked by anyone.
    assert ino.id_checked_at is None
    assert (ino.registered_by, ino.registered_at) == (visits_clerk, NOW)
    assert actions()[-2:] == ["person.create", "visitor.register"]


def test_registering_a_person_on_record_reuses_their_record(clock, site, visits_clerk):
    shikamaru = person_create(
        actor=None, facility=site.facility, given_name="Shikamaru", family_name="Nara",
        date_of_birth=dt.date(1996, 9, 22),
    )  # fmt: skip
    people = Person.objects.count()
    visitor = svc.visitor_register(
        actor=visits_clerk, facility=site.facility, given_name="ignored", family_name="",
        date_of_birth=None, person=shikamaru,
    )  # fmt: skip
    assert visitor.person == shikamaru
    assert Person.objects.count() == people


def test_the_same_visitor_registered_twice_is_a_409_naming_them(clock, site, visits_clerk):
    ino = register(visits_clerk, site)
    with pytest.raises(Conflict) as again:
        register(visits_clerk, site, given="INO", family="yamanaka")
    assert again.value.code == "visitor_exists"
    assert again.value.message == svc.VISITOR_EXISTS.format(
        name="Ino Yamanaka", facility="Test Jail"
    )
    assert again.value.extra["visitor_id"] == str(ino.public_id)
    with pytest.raises(Conflict) as same_person:
        svc.visitor_register(actor=visits_clerk, facility=site.facility, person=ino.person)
    assert same_person.value.code == "visitor_exists"
    assert Visitor.objects.count() == 1


def test_the_same_name_born_another_day_is_another_visitor(clock, site, visits_clerk):
    register(visits_clerk, site)
    register(visits_clerk, site, born=dt.date(1970, 1, 1))
    assert Visitor.objects.count() == 2


def test_a_document_already_registered_to_another_visitor_is_a_409(clock, site, visits_clerk):
    register(visits_clerk, site, id_kind="passport", id_number="P-9")
    with pytest.raises(Conflict) as taken:
        register(visits_clerk, site, given="Sai", family="", id_kind="passport", id_number="p-9")
    assert taken.value.code == "visitor_exists"
    assert "Ino Yamanaka" in taken.value.message


def test_a_person_held_in_custody_cannot_be_registered_as_a_visitor(kakashi, site, visits_clerk):
    with pytest.raises(Conflict) as held:
        svc.visitor_register(actor=visits_clerk, facility=site.facility, person=kakashi.person)
    assert held.value.code == "visitor_in_custody"
    assert held.value.message == svc.VISITOR_IN_CUSTODY.format(
        name="Kakashi Hatake", facility="Test Jail", what="registered"
    )
    # The same name and date of birth as someone held is that person.
    with pytest.raises(Conflict) as by_name:
        register(visits_clerk, site, given="kakashi", family="HATAKE", born=dt.date(1996, 9, 15))
    assert by_name.value.code == "visitor_in_custody"
    assert not Visitor.objects.exists()


def test_registration_refuses_bad_input_naming_the_fields(clock, site, visits_clerk):
    with pytest.raises(ValidationFailed) as bad:
        svc.visitor_register(
            actor=visits_clerk, facility=site.facility, given_name=" ", family_name="",
            date_of_birth=dt.date(2026, 3, 15), sex="robot", id_kind="passport",
        )  # fmt: skip
    fields = bad.value.extra["fields"]
    assert fields["family_name"] == [svc.NAME_REQUIRED]
    assert fields["date_of_birth"] == [svc.BORN_IN_FUTURE]
    assert fields["id_number"] == [svc.ID_PAIR.format(other="id_kind")]
    assert "sex" in fields


def test_an_officer_cannot_register_visitors(clock, site, officer):
    with pytest.raises(PermissionDenied) as refused:
        register(officer, site)
    assert refused.value.code == "missing_role"


# --- Updating -------------------------------------------------------------------------------


def test_a_clerk_corrects_contact_details_and_the_name_of_a_visitor_never_booked(
    clock, site, visits_clerk
):
    ino = register(visits_clerk, site)
    svc.visitor_update(
        actor=visits_clerk, visitor=ino, phone="555-0199", family_name="Yamanaka-Nara"
    )
    ino.refresh_from_db()
    ino.person.refresh_from_db()
    assert (ino.phone, ino.person.family_name, ino.person.family_key) == (
        "555-0199", "Yamanaka-Nara", "yamanaka nara",
    )  # fmt: skip
    event = AuditEvent.objects.filter(action="visitor.update").get()
    assert event.changes == {
        "phone": ["", "555-0199"], "family_name": ["Yamanaka", "Yamanaka-Nara"],
    }  # fmt: skip


def test_the_name_of_a_person_once_booked_is_corrected_by_the_booking_staff(
    clock, site, visits_clerk, hold
):
    former = hold("Uchiha", given_name="Itachi")
    Booking.objects.filter(pk=former.pk).update(
        status=BookingStatus.RELEASED, released_at=NOW, release_type="time_served"
    )
    itachi = svc.visitor_register(actor=visits_clerk, facility=site.facility, person=former.person)
    with pytest.raises(ValidationFailed) as kept:
        svc.visitor_update(actor=visits_clerk, visitor=itachi, given_name="Sasuke", colour="red")
    fields = kept.value.extra["fields"]
    assert fields == {"colour": [svc.NOT_CHANGEABLE]}
    with pytest.raises(ValidationFailed) as kept:
        svc.visitor_update(actor=visits_clerk, visitor=itachi, given_name="Sasuke")
    assert kept.value.extra["fields"] == {
        "given_name": [svc.KEPT_BY_BOOKING.format(name="Itachi Uchiha")]
    }


# --- Identity and approval ----------------------------------------------------------------


def test_the_identity_check_records_the_document_who_checked_it_and_when(clock, site, visits_clerk):
    ino = register(visits_clerk, site)
    clock.shift(dt.timedelta(minutes=5))
    svc.visitor_identity_check(
        actor=visits_clerk, visitor=ino, id_kind="driving_licence", id_number=" DL 42 "
    )
    ino.refresh_from_db()
    assert (ino.id_kind, ino.id_number) == ("driving_licence", "DL 42")
    assert (ino.id_checked_by, ino.id_checked_at) == (visits_clerk, NOW + dt.timedelta(minutes=5))
    assert actions(ino)[-1] == "visitor.identity_check"


def test_approval_needs_an_identity_check_on_record(clock, site, visits_clerk):
    ino = register(visits_clerk, site, id_kind="passport", id_number="P-9")
    with pytest.raises(Conflict) as unchecked:
        svc.visitor_decide(actor=visits_clerk, visitor=ino, status="approved")
    assert unchecked.value.code == "identity_not_checked"
    assert unchecked.value.message == svc.IDENTITY_NOT_CHECKED.format(name="Ino Yamanaka")
    ino = approved(visits_clerk, ino)
    assert (ino.status, ino.decided_by, ino.decided_at) == ("approved", visits_clerk, NOW)
    assert actions(ino)[-1] == "visitor.approve"
    with pytest.raises(Conflict) as twice:
        svc.visitor_decide(actor=visits_clerk, visitor=ino, status="approved")
    assert twice.value.code == "already_decided"


def test_a_denial_needs_a_note(clock, site, visits_clerk):
    ino = register(visits_clerk, site)
    with pytest.raises(ValidationFailed) as bare:
        svc.visitor_decide(actor=visits_clerk, visitor=ino, status="denied")
    assert bare.value.extra["fields"] == {"note": [svc.DENIAL_NOTE_REQUIRED]}
    ino = svc.visitor_decide(
        actor=visits_clerk, visitor=ino, status="denied", note="gave a false address"
    )
    assert (ino.status, ino.decision_note) == ("denied", "gave a false address")
    event = AuditEvent.objects.filter(action="visitor.deny").get()
    assert event.reason == "gave a false address"


def test_a_visitor_booked_into_custody_since_registering_cannot_be_approved(
    clock, site, visits_clerk
):
    ino = register(visits_clerk, site, id_kind="passport", id_number="P-9")
    svc.visitor_identity_check(actor=visits_clerk, visitor=ino, id_kind="passport", id_number="P-9")
    from cellblock.booking.services import booking_open

    booking_open(actor=None, facility=site.facility, person=ino.person, source="arrest")
    with pytest.raises(Conflict) as held:
        svc.visitor_decide(actor=visits_clerk, visitor=ino, status="approved")
    assert held.value.code == "visitor_in_custody"
    assert held.value.message == svc.VISITOR_IN_CUSTODY.format(
        name="Ino Yamanaka", facility="Test Jail", what="approved"
    )


# --- Minors and guardians --------------------------------------------------------------------


def test_a_minor_is_under_eighteen_on_the_facility_calendar(clock, site, visits_clerk):
    # NOW is 2026-03-14: born 2008-03-14 turns 18 today, born a day later is still 17.
    adult = register(visits_clerk, site, given="Today", born=dt.date(2008, 3, 14))
    minor = register(visits_clerk, site, given="Tomorrow", born=dt.date(2008, 3, 15))
    assert svc.age_today(adult.person, site.facility) == 18
    assert svc.age_today(minor.person, site.facility) == 17


def test_a_parent_is_recorded_as_the_guardian_of_a_minor(clock, site, visits_clerk):
    sakura = register(
        visits_clerk, site, given="Sakura", family="Haruno", born=dt.date(2009, 3, 28)
    )
    mebuki = register(visits_clerk, site, given="Mebuki", family="Haruno", born=dt.date(1980, 5, 1))
    svc.guardianship_record(actor=visits_clerk, minor=sakura, guardian=mebuki, role="parent")
    [guardianship] = guardians_of(sakura)
    assert (guardianship.guardian, guardianship.role) == (mebuki, GuardianRole.PARENT)
    assert guardianship.recorded_by == visits_clerk
    assert actions(sakura)[-1] == "visitor.guardian_record"
    with pytest.raises(Conflict) as twice:
        svc.guardianship_record(actor=visits_clerk, minor=sakura, guardian=mebuki, role="parent")
    assert twice.value.code == "guardian_exists"


def test_the_guardian_must_be_an_adult_and_the_ward_a_minor(clock, site, visits_clerk):
    sakura = register(
        visits_clerk, site, given="Sakura", family="Haruno", born=dt.date(2009, 3, 28)
    )
    konohamaru = register(
        visits_clerk, site, given="Konohamaru", family="Sarutobi", born=dt.date(2014, 1, 1)
    )
    ino = register(visits_clerk, site)
    with pytest.raises(ValidationFailed) as child_guardian:
        svc.guardianship_record(
            actor=visits_clerk, minor=konohamaru, guardian=sakura, role="legal_guardian"
        )
    assert child_guardian.value.extra["fields"] == {
        "guardian": [svc.GUARDIAN_IS_MINOR.format(name="Sakura Haruno", age=16, adult=18)]
    }
    with pytest.raises(ValidationFailed) as adult_ward:
        svc.guardianship_record(actor=visits_clerk, minor=ino, guardian=ino, role="parent")
    fields = adult_ward.value.extra["fields"]
    assert fields["guardian"] == [svc.GUARDIAN_SELF]
    assert fields["minor"] == [svc.MINOR_IS_ADULT.format(name="Ino Yamanaka", age=35, adult=18)]
    unknown = register(visits_clerk, site, given="Nameless", family="", born=None)
    with pytest.raises(ValidationFailed) as no_birth:
        svc.guardianship_record(actor=visits_clerk, minor=sakura, guardian=unknown, role="parent")
    assert no_birth.value.extra["fields"]["guardian"] == [svc.NO_BIRTH_DATE.format(name="Nameless")]


def test_the_guardian_must_be_registered_at_the_same_facility(
    clock, site, other_site, visits_clerk
):
    sakura = register(
        visits_clerk, site, given="Sakura", family="Haruno", born=dt.date(2009, 3, 28)
    )
    elsewhere = Visitor.objects.create(
        facility=other_site.facility, registered_at=NOW,
        person=person_create(
            actor=None, facility=other_site.facility, given_name="Kizashi", family_name="Haruno",
            date_of_birth=dt.date(1978, 2, 2),
        ),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as apart:
        svc.guardianship_record(actor=visits_clerk, minor=sakura, guardian=elsewhere, role="parent")
    assert apart.value.extra["fields"]["guardian"] == [
        svc.GUARDIAN_OTHER_FACILITY.format(
            name="Kizashi Haruno", other="Other Jail", facility="Test Jail"
        )
    ]


def test_a_guardians_birth_date_cannot_be_changed_to_make_them_a_minor(clock, site, visits_clerk):
    sakura = register(
        visits_clerk, site, given="Sakura", family="Haruno", born=dt.date(2009, 3, 28)
    )
    mebuki = register(visits_clerk, site, given="Mebuki", family="Haruno", born=dt.date(1980, 5, 1))
    svc.guardianship_record(actor=visits_clerk, minor=sakura, guardian=mebuki, role="parent")
    with pytest.raises(ValidationFailed) as young:
        svc.visitor_update(actor=visits_clerk, visitor=mebuki, date_of_birth=dt.date(2010, 1, 1))
    assert young.value.extra["fields"]["date_of_birth"] == [
        svc.GUARDIAN_MUST_BE_ADULT.format(name="Mebuki Haruno", ward="Sakura Haruno")
    ]


# --- Bans ------------------------------------------------------------------------------------


def test_a_ban_needs_a_reason_and_ends_after_it_starts(clock, site, visits_clerk, supervisor):
    ino = register(visits_clerk, site)
    with pytest.raises(ValidationFailed) as bad:
        svc.visitor_ban(
            actor=supervisor, visitor=ino, reason=" ", starts_at=NOW + dt.timedelta(days=2),
            expires_at=NOW + dt.timedelta(days=1),
        )  # fmt: skip
    assert bad.value.extra["fields"] == {
        "reason": [svc.BAN_REASON_REQUIRED],
        "expires_at": [svc.EXPIRES_NOT_AFTER_START.format(starts_at="2026-03-16 12:00")],
    }
    naive = dt.datetime(2026, 4, 1)  # noqa: DTZ001  (a time without its zone is refused)
    with pytest.raises(ValidationFailed) as no_zone:
        svc.visitor_ban(actor=supervisor, visitor=ino, reason="smuggling", starts_at=naive)
    assert no_zone.value.extra["fields"] == {"starts_at": [svc.NAIVE_TIME]}


def test_only_supervisors_and_the_commander_ban_visitors(clock, site, visits_clerk):
    ino = register(visits_clerk, site)
    with pytest.raises(PermissionDenied) as refused:
        svc.visitor_ban(actor=visits_clerk, visitor=ino, reason="smuggling")
    assert refused.value.code == "missing_role"


def test_a_ban_cancels_the_visitors_booked_visits_inside_its_window(
    kakashi, hold, site, visits_clerk, supervisor, contact_room, legal_room
):
    ino = approved(visits_clerk, register(visits_clerk, site))
    sai = approved(visits_clerk, register(visits_clerk, site, given="Sai", family=""), "KON-2")
    guy = hold("Maito", given_name="Guy")
    inside = book_visit(kakashi, [ino, sai], TOMORROW_2PM, room=contact_room)
    requested = book_visit(
        guy, [ino], TOMORROW_2PM + dt.timedelta(days=1), room=legal_room, kind=VisitKind.LEGAL,
        status=VisitStatus.REQUESTED,
    )  # fmt: skip
    after = book_visit(kakashi, [ino], NOW + dt.timedelta(days=10), room=contact_room)
    others = book_visit(kakashi, [sai], TOMORROW_2PM + dt.timedelta(hours=1), room=contact_room)
    at_the_desk = book_visit(
        guy, [ino], NOW + dt.timedelta(minutes=30), room=contact_room,
        status=VisitStatus.CHECKED_IN,
    )  # fmt: skip

    ban = svc.visitor_ban(
        actor=supervisor, visitor=ino, reason="passed a blade at the last visit",
        expires_at=NOW + dt.timedelta(days=7),
    )  # fmt: skip

    assert [ban] == active_bans(ino, NOW)
    for visit in (inside, requested):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CANCELLED
        assert (visit.cancelled_by, visit.cancelled_at) == (supervisor, NOW)
        assert visit.cancel_reason == "passed a blade at the last visit"
        event = AuditEvent.objects.get(action="visit.cancel", object_id=str(visit.public_id))
        assert event.reason == "passed a blade at the last visit"
        assert event.changes["because"] == "visitor_ban"
    for visit in (after, others, at_the_desk):
        visit.refresh_from_db()
        assert visit.status != VisitStatus.CANCELLED
    assert visits_cancelled_by(ban) == [inside, requested]
    ban_event = AuditEvent.objects.get(action="visitor.ban")
    assert ban_event.changes["visits_cancelled"] == [
        str(inside.public_id), str(requested.public_id),
    ]  # fmt: skip


def test_a_ban_is_lifted_with_a_reason_once(clock, site, visits_clerk, supervisor):
    ino = register(visits_clerk, site)
    ban = svc.visitor_ban(actor=supervisor, visitor=ino, reason="abusive to staff")
    with pytest.raises(ValidationFailed):
        svc.visitor_ban_lift(actor=supervisor, ban=ban, reason="")
    clock.shift(dt.timedelta(hours=1))
    lifted = svc.visitor_ban_lift(actor=supervisor, ban=ban, reason="apologised in writing")
    assert (lifted.lifted_by, lifted.lift_reason) == (supervisor, "apologised in writing")
    assert active_bans(ino, NOW + dt.timedelta(hours=2)) == []
    with pytest.raises(Conflict) as again:
        svc.visitor_ban_lift(actor=supervisor, ban=ban, reason="again")
    assert again.value.code == "ban_lifted"


def test_an_expired_ban_has_nothing_to_lift(clock, site, visits_clerk, supervisor):
    ino = register(visits_clerk, site)
    ban = svc.visitor_ban(
        actor=supervisor, visitor=ino, reason="late twice", expires_at=NOW + dt.timedelta(days=1)
    )
    clock.shift(dt.timedelta(days=2))
    with pytest.raises(Conflict) as expired:
        svc.visitor_ban_lift(actor=supervisor, ban=ban, reason="no longer needed")
    assert expired.value.code == "ban_expired"


# --- Visiting lists --------------------------------------------------------------------------


def test_a_visitor_goes_on_the_list_pending_and_is_approved(kakashi, site, visits_clerk):
    ino = register(visits_clerk, site)
    entry = svc.visiting_list_add(
        actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
    )
    assert entry.status == ListEntryStatus.PENDING
    entry = svc.visiting_list_decide(actor=visits_clerk, entry=entry, approve=True)
    assert (entry.status, entry.decided_by) == (ListEntryStatus.APPROVED, visits_clerk)
    assert visiting_list(kakashi) == [entry]
    assert actions(entry) == ["visiting_list.add", "visiting_list.approve"]
    with pytest.raises(Conflict) as decided:
        svc.visiting_list_decide(actor=visits_clerk, entry=entry, approve=False, note="no")
    assert decided.value.code == "entry_decided"


def test_a_visitor_is_on_a_list_at_most_once_while_listed(kakashi, site, visits_clerk):
    ino = register(visits_clerk, site)
    entry = svc.visiting_list_add(
        actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
    )
    with pytest.raises(Conflict) as twice:
        svc.visiting_list_add(
            actor=visits_clerk, booking=kakashi, visitor=ino, relationship="colleague"
        )
    assert twice.value.code == "already_listed"
    assert twice.value.message == svc.ALREADY_LISTED.format(
        name="Ino Yamanaka", booking=kakashi.booking_number, status="pending"
    )
    # The database holds the line too.
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitingListEntry.objects.create(
            booking=kakashi, visitor=ino, relationship="friend", added_at=NOW
        )
    svc.visiting_list_remove(actor=visits_clerk, entry=entry, reason="asked to be taken off")
    again = svc.visiting_list_add(
        actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
    )
    assert visiting_list(kakashi) == [again]
    assert visiting_list(kakashi, include_removed=True) == [entry, again]


def test_refusing_an_entry_needs_a_note_and_takes_it_off_the_list(kakashi, site, visits_clerk):
    ino = register(visits_clerk, site)
    entry = svc.visiting_list_add(
        actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
    )
    with pytest.raises(ValidationFailed) as bare:
        svc.visiting_list_decide(actor=visits_clerk, entry=entry, approve=False)
    assert bare.value.extra["fields"] == {"note": [svc.REFUSAL_NOTE_REQUIRED]}
    refused = svc.visiting_list_decide(
        actor=visits_clerk, entry=entry, approve=False, note="co-defendant in the case"
    )
    assert refused.status == ListEntryStatus.REMOVED
    assert refused.remove_reason == "co-defendant in the case"
    assert visiting_list(kakashi) == []


def test_removing_from_the_list_needs_a_reason_and_happens_once(kakashi, site, visits_clerk):
    ino = register(visits_clerk, site)
    entry = svc.visiting_list_add(
        actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
    )
    with pytest.raises(ValidationFailed) as bare:
        svc.visiting_list_remove(actor=visits_clerk, entry=entry, reason="")
    assert bare.value.extra["fields"] == {"reason": [svc.REMOVE_REASON_REQUIRED]}
    removed = svc.visiting_list_remove(actor=visits_clerk, entry=entry, reason="moved away")
    assert (removed.removed_by, removed.remove_reason) == (visits_clerk, "moved away")
    with pytest.raises(Conflict) as twice:
        svc.visiting_list_remove(actor=visits_clerk, entry=entry, reason="moved away")
    assert twice.value.code == "entry_removed"


def test_the_person_must_be_held_at_the_visitors_facility(kakashi, site, other_site, visits_clerk):
    ino = register(visits_clerk, site)
    Booking.objects.filter(pk=kakashi.pk).update(
        status=BookingStatus.RELEASED, released_at=NOW, release_type="time_served"
    )
    kakashi.refresh_from_db()
    with pytest.raises(Conflict) as released:
        svc.visiting_list_add(
            actor=visits_clerk, booking=kakashi, visitor=ino, relationship="friend"
        )
    assert released.value.code == "not_in_custody"
    elsewhere = Visitor.objects.create(
        facility=other_site.facility, registered_at=NOW,
        person=person_create(
            actor=None, facility=other_site.facility, given_name="Tenten", family_name="",
        ),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as apart:
        svc.visiting_list_add(
            actor=visits_clerk, booking=kakashi, visitor=elsewhere, relationship="friend"
        )
    assert apart.value.extra["fields"]["visitor"] == [
        svc.VISITOR_OTHER_FACILITY.format(
            name="Tenten", other="Other Jail", facility="Test Jail",
            booking=kakashi.booking_number,
        )
    ]  # fmt: skip


def test_an_officer_cannot_keep_visiting_lists(kakashi, site, visits_clerk, officer):
    ino = register(visits_clerk, site)
    with pytest.raises(PermissionDenied):
        svc.visiting_list_add(actor=officer, booking=kakashi, visitor=ino, relationship="friend")


# --- Rooms -----------------------------------------------------------------------------------


def _room(actor, site, **more):
    values = {
        "code": "vr2", "name": "Visit room 2", "kind": RoomKind.CONTACT, "capacity": 3,
        "opens_at": dt.time(9, 0), "closes_at": dt.time(17, 0),
    }  # fmt: skip
    return svc.visit_room_save(actor=actor, facility=site.facility, **{**values, **more})


def test_the_commander_sets_up_a_room_and_changes_its_hours(clock, site, commander):
    room = _room(commander, site, zone=site.zone)
    assert (room.code, room.capacity, room.zone) == ("VR2", 3, site.zone)
    assert rooms_for_facility(site.facility) == [room]
    svc.visit_room_save(
        actor=commander, facility=site.facility, room=room, code="VR2", name="Visit room 2",
        kind=RoomKind.CONTACT, capacity=3, opens_at=dt.time(9, 0), closes_at=dt.time(19, 0),
        zone=site.zone, active=False,
    )  # fmt: skip
    room.refresh_from_db()
    assert (room.closes_at, room.active) == (dt.time(19, 0), False)
    assert rooms_for_facility(site.facility) == []
    assert rooms_for_facility(site.facility, active_only=False) == [room]
    event = AuditEvent.objects.get(action="visit_room.update")
    assert event.changes == {"closes_at": ["17:00:00", "19:00:00"], "active": [True, False]}


def test_a_room_needs_capacity_and_closes_after_it_opens(clock, site, commander):
    with pytest.raises(ValidationFailed) as bad:
        _room(commander, site, capacity=0, opens_at=dt.time(18, 0), closes_at=dt.time(9, 0))
    assert bad.value.extra["fields"] == {
        "capacity": [svc.CAPACITY_TOO_LOW],
        "closes_at": [svc.CLOSES_NOT_AFTER_OPENS.format(opens_at=dt.time(18, 0))],
    }
    _room(commander, site)
    with pytest.raises(ValidationFailed) as taken:
        _room(commander, site, name="Another")
    assert taken.value.extra["fields"] == {
        "code": [svc.ROOM_CODE_TAKEN.format(name="Visit room 2", facility="Test Jail")]
    }


def test_rooms_are_configuration_the_visits_clerk_does_not_change(clock, site, visits_clerk):
    with pytest.raises(PermissionDenied):
        _room(visits_clerk, site)


# --- Suspensions -----------------------------------------------------------------------------


def test_a_suspension_cancels_social_visits_in_its_window_but_not_legal_ones(
    kakashi, site, visits_clerk, supervisor, contact_room, legal_room
):
    ino = approved(visits_clerk, register(visits_clerk, site))
    social = book_visit(kakashi, [ino], TOMORROW_2PM, room=contact_room)
    legal = book_visit(
        kakashi, [ino], TOMORROW_2PM + dt.timedelta(hours=2), room=legal_room,
        kind=VisitKind.LEGAL,
    )  # fmt: skip
    later = book_visit(kakashi, [ino], NOW + dt.timedelta(days=12), room=contact_room)
    incident = Incident.objects.create(
        facility=site.facility, number="TST-INC-2026-0001", kind="property_damage",
        occurred_at=NOW, reported_at=NOW, narrative="dented a bar",
    )  # fmt: skip

    suspension = svc.visit_suspension_impose(
        actor=supervisor, booking=kakashi, reason="damaged his cell",
        expires_at=NOW + dt.timedelta(days=7), incident=incident,
    )  # fmt: skip

    assert suspension_in_force(kakashi, NOW) == suspension
    social.refresh_from_db()
    assert (social.status, social.cancel_reason) == (VisitStatus.CANCELLED, "damaged his cell")
    for visit in (legal, later):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.SCHEDULED
    assert visits_cancelled_by(suspension) == [social]
    assert AuditEvent.objects.filter(action="visit.cancel").count() == 1
    assert actions(suspension) == ["visit_suspension.impose"]


def test_a_suspension_including_legal_visits_cancels_them_too(
    kakashi, site, visits_clerk, supervisor, legal_room
):
    ino = approved(visits_clerk, register(visits_clerk, site))
    legal = book_visit(kakashi, [ino], TOMORROW_2PM, room=legal_room, kind=VisitKind.OFFICIAL)
    svc.visit_suspension_impose(
        actor=supervisor, booking=kakashi, reason="threatened counsel", includes_legal=True
    )
    legal.refresh_from_db()
    assert legal.status == VisitStatus.CANCELLED


def test_a_suspension_needs_a_reason_a_held_person_and_a_supervisor(
    kakashi, site, visits_clerk, supervisor
):
    with pytest.raises(PermissionDenied):
        svc.visit_suspension_impose(actor=visits_clerk, booking=kakashi, reason="fight")
    with pytest.raises(ValidationFailed) as bare:
        svc.visit_suspension_impose(
            actor=supervisor, booking=kakashi, reason="",
            expires_at=NOW - dt.timedelta(hours=1), starts_at=NOW - dt.timedelta(days=1),
        )  # fmt: skip
    assert bare.value.extra["fields"] == {
        "reason": [svc.SUSPENSION_REASON_REQUIRED],
        "expires_at": [svc.EXPIRES_IN_PAST.format(what="suspension")],
    }
    Booking.objects.filter(pk=kakashi.pk).update(
        status=BookingStatus.RELEASED, released_at=NOW, release_type="time_served"
    )
    kakashi.refresh_from_db()
    with pytest.raises(Conflict) as released:
        svc.visit_suspension_impose(actor=supervisor, booking=kakashi, reason="fight")
    assert released.value.code == "not_in_custody"


def test_a_suspension_is_lifted_early_with_a_reason(kakashi, supervisor, clock):
    suspension = svc.visit_suspension_impose(actor=supervisor, booking=kakashi, reason="fight")
    clock.shift(dt.timedelta(days=1))
    svc.visit_suspension_lift(actor=supervisor, suspension=suspension, reason="good conduct")
    assert suspension_in_force(kakashi, NOW + dt.timedelta(days=2)) is None
    with pytest.raises(Conflict) as twice:
        svc.visit_suspension_lift(actor=supervisor, suspension=suspension, reason="again")
    assert twice.value.code == "suspension_lifted"


# --- Search ----------------------------------------------------------------------------------


def test_visitors_are_found_by_any_part_of_their_name_or_their_document(
    clock, site, other_site, visits_clerk
):
    ino = register(visits_clerk, site, id_kind="passport", id_number="P-9")
    sai = approved(visits_clerk, register(visits_clerk, site, given="Sai", family=""), "KON-2")
    make_staff("oth_clerk", other_site.facility, Role.VISITS)
    assert visitors_search(site.facility) == [sai, ino]
    assert visitors_search(site.facility, q="yama") == [ino]
    assert visitors_search(site.facility, q="p-9") == [ino]
    assert visitors_search(site.facility, status="approved") == [sai]
    assert visitors_search(other_site.facility) == []
