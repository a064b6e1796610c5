"""Booking visits through the services: every refusal rule, the exemptions, the commander's
one-time override, in-cell visits and their authorisation, cancelling, and the calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.services import (
    group_member_add,
    protective_order_create,
    security_group_create,
    separation_order_create,
)
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.facilities.models import FacilityPolicy
from cellblock.people.services import person_create
from cellblock.visits.models import (
    Guardianship,
    ListEntryStatus,
    Visit,
    VisitingListEntry,
    VisitorBan,
    VisitOverride,
    VisitStatus,
    VisitSuspension,
)
from cellblock.visits.selectors.schedule import (
    room_day_slots,
    visits_for_booking,
    visits_for_day,
)
from cellblock.visits.services.scheduling import (
    OVERRIDE_NOT_ALLOWED,
    excused_codes,
    visit_authorise,
    visit_cancel,
    visit_check,
    visit_schedule,
    visit_violations_now,
)

from .conftest import NOW, TOMORROW_2PM

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def listed(booking, *visitors, relationship="friend"):
    for visitor in visitors:
        VisitingListEntry.objects.create(
            booking=booking, visitor=visitor, relationship=relationship,
            status=ListEntryStatus.APPROVED, added_at=core_clock.now(),
        )  # fmt: skip


def refused(call):
    """The violations of a refused visit (nothing stored), as dicts."""
    before = Visit.objects.count()
    with pytest.raises(Conflict) as caught:
        call()
    assert caught.value.code == "visit_refused"
    assert Visit.objects.count() == before
    return caught.value.extra["violations"]


def refused_codes(call):
    return [v["code"] for v in refused(call)]


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake")


@pytest.fixture
def naruto(clock, hold):
    return hold("Uzumaki", given_name="Naruto", born=dt.date(2004, 10, 10))


@pytest.fixture
def ino(kakashi, make_visitor):
    visitor = make_visitor("Ino", "Yamanaka")
    listed(kakashi, visitor)
    return visitor


@pytest.fixture
def book(visits_clerk, kakashi, ino, contact_room):
    """Book Kakashi a contact visit by Ino tomorrow at 14:00, unless told otherwise."""

    def make(**changes):
        given = {
            "actor": visits_clerk, "booking": kakashi, "kind": "contact", "visitors": [ino],
            "starts_at": TOMORROW_2PM, "room": contact_room,
        }  # fmt: skip
        return visit_schedule(**{**given, **changes})

    return make


# --- Booking --------------------------------------------------------------------------------


def test_a_visits_clerk_books_a_contact_visit_by_a_listed_approved_visitor(
    book, visits_clerk, ino, contact_room
):
    visit = book(notes="Bringing letters")

    visit.refresh_from_db()
    assert (visit.status, visit.kind, visit.room, visit.cell) == (
        VisitStatus.SCHEDULED, "contact", contact_room, None,
    )  # fmt: skip
    assert (visit.starts_at, visit.ends_at, visit.minutes) == (
        TOMORROW_2PM, TOMORROW_2PM + dt.timedelta(minutes=30), 30,
    )  # fmt: skip
    assert [p.visitor for p in visit.participants.all()] == [ino]
    assert (visit.requested_by, visit.requested_at, visit.notes) == (
        visits_clerk, NOW, "Bringing letters",
    )  # fmt: skip
    event = AuditEvent.objects.get(action="visit.schedule")
    assert event.actor == visits_clerk
    assert event.object_id == str(visit.public_id)
    assert event.changes["visitors"] == [str(ino.public_id)]


def test_the_length_comes_from_the_facilitys_policy(book, site):
    FacilityPolicy.objects.filter(facility=site.facility).update(visit_length_minutes=20)

    visit = book()

    assert visit.minutes == 20


def test_a_visit_that_breaks_no_rule_checks_clean_and_nothing_is_stored(
    visits_clerk, kakashi, ino, contact_room
):
    found = visit_check(
        actor=visits_clerk, booking=kakashi, kind="contact", visitors=[ino],
        starts_at=TOMORROW_2PM, room=contact_room,
    )  # fmt: skip

    assert found == []
    assert not Visit.objects.exists()


def test_checking_a_visit_needs_the_schedule_role(auditor, kakashi, ino, contact_room):
    with pytest.raises(PermissionDenied) as denied:
        visit_check(
            actor=auditor, booking=kakashi, kind="contact", visitors=[ino],
            starts_at=TOMORROW_2PM, room=contact_room,
        )  # fmt: skip
    assert denied.value.code == "missing_role"


def test_an_officer_cannot_book_a_visit(book, officer):
    with pytest.raises(PermissionDenied) as denied:
        book(actor=officer)
    assert denied.value.code == "missing_role"


def test_the_shape_of_a_visit_is_checked_naming_each_field(book, booths, other_site, ino):
    from cellblock.visits.models import RoomKind, VisitRoom

    elsewhere = VisitRoom.objects.create(
        facility=other_site.facility, code="X", name="Their room", kind=RoomKind.CONTACT
    )
    with pytest.raises(ValidationFailed) as invalid:
        book(kind="picnic", starts_at=TOMORROW_2PM.replace(tzinfo=None), minutes=0)
    assert set(invalid.value.extra["fields"]) == {"kind", "starts_at", "minutes"}
    with pytest.raises(ValidationFailed) as invalid:
        book(room=elsewhere, visitors=[ino, ino])
    assert invalid.value.extra["fields"] == {
        "room": ["Their room is not a visit room of Test Jail."],
        "visitors": ["Ino Yamanaka is named twice."],
    }
    with pytest.raises(ValidationFailed) as invalid:
        book(room=None)
    assert invalid.value.extra["fields"] == {
        "room": ["is required: a contact visit takes place in a visit room."]
    }


# --- Every refusal rule ------------------------------------------------------------------------


def test_a_protective_order_for_the_visitor_refuses_naming_the_order(
    book, commander, site, kakashi, ino
):
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=ino.person, protected_role="victim", source="court_order",
        scope="visits", issued_by="Konoha court", reference="KON-CR-2026-0001",
    )  # fmt: skip

    with pytest.raises(Conflict) as caught:
        book()

    assert caught.value.message == (
        "This visit is refused: Protective order: Ino Yamanaka is protected by a no-contact "
        "order against Kakashi Hatake (KON-CR-2026-0001)."
    )
    assert caught.value.extra["violations"] == [
        {
            "code": "protective_order",
            "message": "Protective order: Ino Yamanaka is protected by a no-contact order "
            "against Kakashi Hatake (KON-CR-2026-0001).",
            "overridable": True,
        }
    ]


def test_a_protective_order_refuses_a_visitor_registered_as_a_second_record_of_the_same_person(
    book, commander, site, kakashi, ino
):
    # The order was entered with its own record of Ino (the court's), not the desk's.
    protected = person_create(
        actor=None, facility=site.facility, given_name="INO", family_name="Yamanaka",
        date_of_birth=ino.person.date_of_birth,
    )  # fmt: skip
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=protected, protected_role="victim", source="court_order",
        scope="all_contact", issued_by="Konoha court", reference="KON-CR-2026-0002",
    )  # fmt: skip

    assert refused_codes(book) == ["protective_order"]


def test_a_namesake_born_on_another_day_is_not_taken_for_the_protected_person(
    book, commander, site, kakashi, ino
):
    namesake = person_create(
        actor=None, facility=site.facility, given_name="Ino", family_name="Yamanaka",
        date_of_birth=dt.date(1960, 1, 1),
    )  # fmt: skip
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=namesake, protected_role="victim", source="court_order",
        scope="all_contact", issued_by="Konoha court", reference="KON-CR-2026-0003",
    )  # fmt: skip

    assert book().status == VisitStatus.SCHEDULED


def test_a_protective_order_that_expires_before_the_visit_does_not_refuse(
    book, commander, site, kakashi, ino
):
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=ino.person, protected_role="witness", source="administrative",
        scope="all_contact", issued_by="The warden", expires_at=TOMORROW_2PM - HOUR,
    )  # fmt: skip

    assert book().status == VisitStatus.SCHEDULED


def test_a_banned_visitor_is_refused_with_the_reason(book, ino, supervisor):
    VisitorBan.objects.create(
        visitor=ino, reason="Smuggled a phone", starts_at=NOW, imposed_at=NOW,
        imposed_by=supervisor,
    )  # fmt: skip

    [violation] = refused(book)

    assert violation["code"] == "visitor_banned"
    assert violation["message"] == (
        "Visitor banned: Ino Yamanaka is banned from the facility until further notice: "
        "Smuggled a phone."
    )


def test_a_visitor_not_yet_approved_is_refused(book, kakashi, make_visitor):
    choji = make_visitor("Choji", "Akimichi", status="pending")
    listed(kakashi, choji)

    assert refused_codes(lambda: book(visitors=[choji])) == ["visitor_not_approved"]


def test_a_visitor_not_on_the_visiting_list_is_refused(book, make_visitor):
    stranger = make_visitor("Kabuto", "Yakushi")

    assert refused_codes(lambda: book(visitors=[stranger])) == ["not_on_visiting_list"]


def test_a_pending_list_entry_is_not_enough(book, kakashi, make_visitor):
    shikamaru = make_visitor("Shikamaru", "Nara")
    VisitingListEntry.objects.create(
        booking=kakashi, visitor=shikamaru, relationship="friend", added_at=NOW
    )

    assert refused_codes(lambda: book(visitors=[shikamaru])) == ["not_on_visiting_list"]


def test_a_keep_separate_order_refuses_two_people_in_the_same_room_at_the_same_time(
    book, site, kakashi, naruto, make_visitor, visits_clerk, contact_room, booths
):
    separation_order_create(
        actor=None, facility=site.facility, person=kakashi.person, other_person=naruto.person,
        scope="cell", reason="co-defendants",
    )  # fmt: skip
    iruka = make_visitor("Iruka", "Umino")
    listed(naruto, iruka)
    visit_schedule(
        actor=visits_clerk, booking=naruto, kind="contact", visitors=[iruka],
        starts_at=TOMORROW_2PM + dt.timedelta(minutes=10), room=contact_room,
    )  # fmt: skip

    [violation] = refused(book)

    assert violation == {
        "code": "keep_separate",
        "message": "Keep separate: Kakashi Hatake and Naruto Uzumaki are under a keep-separate "
        "order (co-defendants), and Naruto Uzumaki has a visit in Visit room 1 from 14:10 to "
        "14:40.",
        "overridable": True,
    }
    # Another room, or another time, keeps them apart.
    assert book(kind="non_contact", room=booths).room == booths


def test_a_group_keep_separate_order_refuses_meeting_a_member_of_the_group(
    book, site, commander, kakashi, naruto, make_visitor, visits_clerk, contact_room
):
    group = security_group_create(
        actor=commander, facility=site.facility, code="akatsuki", name="Akatsuki", kind="faction"
    )
    group_member_add(
        actor=commander, facility=site.facility, group=group, person=naruto.person,
        basis="intelligence report",
    )  # fmt: skip
    separation_order_create(
        actor=commander, facility=site.facility, person=kakashi.person, group=group,
        scope="unit", reason="hunted by the group",
    )  # fmt: skip
    iruka = make_visitor("Iruka", "Umino")
    listed(naruto, iruka)
    visit_schedule(
        actor=visits_clerk, booking=naruto, kind="contact", visitors=[iruka],
        starts_at=TOMORROW_2PM, room=contact_room,
    )  # fmt: skip

    [violation] = refused(book)

    assert violation["code"] == "keep_separate"
    assert (
        "(Kakashi Hatake from the members of Akatsuki: hunted by the group)"
        in (violation["message"])
    )


def test_suspended_visits_are_refused_naming_the_sanction(book, kakashi, supervisor):
    VisitSuspension.objects.create(
        booking=kakashi, reason="Fighting in the yard", starts_at=NOW, expires_at=NOW + 7 * DAY,
        imposed_at=NOW, imposed_by=supervisor,
    )  # fmt: skip

    [violation] = refused(book)

    assert violation["message"] == (
        "Visits suspended: the visits of Kakashi Hatake are suspended until 2026-03-21 12:00: "
        "Fighting in the yard."
    )


def test_a_visit_longer_than_the_policy_is_refused(book):
    assert refused_codes(lambda: book(minutes=45)) == ["visit_too_long"]


def test_a_second_visit_the_same_day_is_refused_naming_the_person_the_day_and_the_limit(book):
    book()

    [violation] = refused(lambda: book(starts_at=TOMORROW_2PM + 3 * HOUR))

    assert violation["message"] == (
        "Visits per day: Kakashi Hatake already has 1 visit on 2026-03-15; the limit is 1."
    )


def test_a_fourth_visit_in_the_same_week_is_refused(book):
    monday = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
    for n in range(3):
        book(starts_at=monday + n * DAY)

    [violation] = refused(lambda: book(starts_at=monday + 3 * DAY))

    assert violation["message"] == (
        "Visits per week: Kakashi Hatake already has 3 visits in the week of 2026-03-16 to "
        "2026-03-22; the limit is 3."
    )
    # The next week starts afresh.
    assert book(starts_at=monday + 7 * DAY).status == VisitStatus.SCHEDULED


def test_more_visitors_than_the_policy_allows_are_refused(book, kakashi, ino, make_visitor):
    more = [make_visitor("Choji", "Akimichi"), make_visitor("Shikamaru", "Nara")]
    listed(kakashi, *more)

    assert refused_codes(lambda: book(visitors=[ino, *more])) == ["too_many_visitors"]


def test_a_visit_booked_less_than_24_hours_ahead_is_refused(book):
    assert refused_codes(lambda: book(starts_at=NOW + 3 * HOUR)) == ["booked_too_soon"]


def test_a_visit_booked_more_than_14_days_ahead_is_refused(book):
    assert refused_codes(lambda: book(starts_at=TOMORROW_2PM + 14 * DAY)) == [
        "booked_too_far_ahead"
    ]


# --- Minors ----------------------------------------------------------------------------------


@pytest.fixture
def sakura(kakashi, make_visitor):
    """Sixteen on the day of the visit."""
    visitor = make_visitor("Sakura", "Haruno", born=dt.date(2009, 6, 1))
    listed(kakashi, visitor)
    return visitor


@pytest.fixture
def mebuki(kakashi, sakura, make_visitor):
    """Sakura's mother, registered as her parent."""
    mother = make_visitor("Mebuki", "Haruno", born=dt.date(1984, 5, 1))
    listed(kakashi, mother)
    Guardianship.objects.create(minor=sakura, guardian=mother, role="parent", recorded_at=NOW)
    return mother


def test_a_minor_visiting_alone_is_refused(book, sakura, mebuki):
    [violation] = refused(lambda: book(visitors=[sakura]))

    assert violation["message"] == (
        "Minor visitor: Sakura Haruno is 16 and comes without a parent or guardian "
        "(registered: Mebuki Haruno)."
    )


def test_a_minor_with_a_registered_parent_may_visit(book, sakura, mebuki):
    visit = book(visitors=[sakura, mebuki])

    assert visit.status == VisitStatus.SCHEDULED


def test_a_minor_with_an_adult_who_is_not_their_guardian_is_refused(book, sakura, mebuki, ino):
    assert refused_codes(lambda: book(visitors=[sakura, ino])) == ["minor_without_guardian"]


# --- Rules that cannot be overridden ----------------------------------------------------------


@pytest.fixture
def others_in_the_room(clock, hold, make_visitor, visits_clerk, contact_room):
    """Two other people with visits in the contact room tomorrow at 14:00: it is full."""
    for family, given in (("Uchiha", "Sasuke"), ("Nara", "Shikaku")):
        booking = hold(family, given_name=given)
        visitor = make_visitor(given, f"{family} Senior")
        listed(booking, visitor)
        visit_schedule(
            actor=visits_clerk, booking=booking, kind="contact", visitors=[visitor],
            starts_at=TOMORROW_2PM, room=contact_room,
        )  # fmt: skip


def test_a_full_room_is_refused(book, others_in_the_room):
    [violation] = refused(book)

    assert violation == {
        "code": "room_full",
        "message": "Room capacity: Visit room 1 already holds 2 visits then (14:00 to 14:30); "
        "its capacity is 2.",
        "overridable": False,
    }
    # The next slot is free.
    assert book(starts_at=TOMORROW_2PM + dt.timedelta(minutes=30)).status == "scheduled"


def test_a_visit_outside_the_rooms_hours_is_refused(book):
    [violation] = refused(lambda: book(starts_at=TOMORROW_2PM.replace(hour=19, minute=45)))

    assert violation["message"] == (
        "Room hours: Visit room 1 is open from 08:00 to 20:00; the visit runs from "
        "2026-03-15 19:45 to 20:15."
    )
    assert violation["overridable"] is False


def test_a_room_out_of_use_is_refused(book, contact_room):
    contact_room.active = False
    contact_room.save(update_fields=["active"])

    assert refused_codes(book) == ["room_closed"]


def test_a_visit_in_the_wrong_kind_of_room_is_refused(book, booths, legal_room):
    assert refused_codes(lambda: book(room=booths)) == ["room_kind"]
    assert refused_codes(lambda: book(kind="non_contact", room=legal_room)) == ["room_kind"]


def test_a_visitor_on_another_visit_at_the_time_is_refused(book, naruto, ino, visits_clerk, booths):
    listed(naruto, ino)
    visit_schedule(
        actor=visits_clerk, booking=naruto, kind="non_contact", visitors=[ino],
        starts_at=TOMORROW_2PM - dt.timedelta(minutes=15), room=booths,
    )  # fmt: skip

    [violation] = refused(book)

    assert violation["message"] == (
        "Visitor busy: Ino Yamanaka is on another visit then (Naruto Uzumaki, 13:45 to 14:15)."
    )


def test_a_person_on_another_visit_at_the_time_is_refused(book, kakashi, make_visitor, legal_room):
    counsel = make_visitor("Shikaku", "Nara")
    book(kind="legal", visitors=[counsel], room=legal_room)

    assert refused_codes(lambda: book(starts_at=TOMORROW_2PM + dt.timedelta(minutes=15))) == [
        "person_busy"
    ]


def test_a_person_no_longer_held_cannot_be_visited(book, kakashi):
    booking_transition(actor=None, booking=kakashi, to="cancelled", reason="entered in error")
    kakashi.refresh_from_db()

    assert refused_codes(lambda: book(booking=kakashi)) == ["not_in_custody"]


def test_a_visit_in_the_past_is_refused(book):
    assert refused_codes(lambda: book(starts_at=NOW - HOUR)) == ["in_the_past"]


def test_a_visit_needs_a_visitor(book):
    assert refused_codes(lambda: book(visitors=[])) == ["no_visitors"]


def test_a_visitor_held_in_custody_cannot_visit(book, site, ino):
    held = booking_open(actor=None, facility=site.facility, person=ino.person, source="arrest")

    [violation] = refused(book)

    assert violation == {
        "code": "visitor_in_custody",
        "message": f"Visitor in custody: Ino Yamanaka is in custody ({held.booking_number}).",
        "overridable": False,
    }


# --- Legal and official visits ---------------------------------------------------------------


def test_a_legal_visit_is_exempt_from_the_limits_the_list_and_the_notice(
    book, make_visitor, legal_room
):
    lawyers = [make_visitor("Shikaku", "Nara"), make_visitor("Inoichi", "Yamanaka"),
               make_visitor("Choza", "Akimichi")]  # fmt: skip

    visit = book(
        kind="legal", visitors=lawyers, room=legal_room, starts_at=NOW + 2 * HOUR, minutes=90
    )

    assert (visit.status, visit.minutes) == (VisitStatus.SCHEDULED, 90)


def test_legal_and_official_visits_do_not_count_against_social_visits(
    book, make_visitor, legal_room
):
    counsel = make_visitor("Shikaku", "Nara")
    book(kind="legal", visitors=[counsel], room=legal_room, starts_at=TOMORROW_2PM - 3 * HOUR)
    book(kind="official", visitors=[counsel], room=legal_room, starts_at=TOMORROW_2PM - 2 * HOUR)

    assert book().status == VisitStatus.SCHEDULED
    # And a legal visit is not held to the day's limit either.
    later = book(kind="legal", visitors=[counsel], room=legal_room, starts_at=TOMORROW_2PM + HOUR)
    assert later.status == VisitStatus.SCHEDULED


def test_a_suspension_stops_legal_visits_only_when_it_says_so(
    book, kakashi, supervisor, make_visitor, legal_room
):
    counsel = make_visitor("Shikaku", "Nara")
    suspension = VisitSuspension.objects.create(
        booking=kakashi, reason="Fighting", starts_at=NOW, imposed_at=NOW, imposed_by=supervisor
    )
    assert refused_codes(book) == ["visits_suspended"]
    assert book(kind="legal", visitors=[counsel], room=legal_room).status == "scheduled"

    suspension.includes_legal = True
    suspension.save(update_fields=["includes_legal"])

    assert refused_codes(
        lambda: book(
            kind="legal", visitors=[counsel], room=legal_room, starts_at=TOMORROW_2PM + HOUR
        )
    ) == ["visits_suspended"]


# --- The commander's override -------------------------------------------------------------------


@pytest.fixture
def no_contact(commander, site, kakashi, sakura):
    """The verdict's no-contact order protecting Sakura from Kakashi."""
    return protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=sakura.person, protected_role="protected_party", source="court_order",
        scope="all_contact", issued_by="Tsunade, Konoha court", reference="KON-CR-2026-0001",
    )  # fmt: skip


OVERRIDE = {
    "override_reason": "He accepted an assignment; one farewell visit.",
    "override_conditions": "An officer stays at the open door throughout.",
}


def test_without_the_override_the_visit_is_refused_naming_each_rule(book, sakura, no_contact):
    with pytest.raises(Conflict) as caught:
        book(visitors=[sakura])

    assert caught.value.message == (
        "This visit is refused: Protective order: Sakura Haruno is protected by a no-contact "
        "order against Kakashi Hatake (KON-CR-2026-0001); Minor visitor: Sakura Haruno is 16 and "
        "comes without a parent or guardian (registered: none)."
    )


@pytest.mark.parametrize("persona", ["supervisor", "officer", "visits_clerk"])
def test_only_the_commander_may_override(request, persona, book, sakura, no_contact):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied) as denied:
        book(actor=actor, visitors=[sakura], **OVERRIDE)

    assert (denied.value.code, denied.value.message) == (
        "override_not_allowed",
        OVERRIDE_NOT_ALLOWED,
    )
    assert not Visit.objects.exists()
    assert not VisitOverride.objects.exists()


def test_the_commanders_override_is_stored_on_the_visit_and_audited(
    book, commander, sakura, no_contact
):
    visit = book(actor=commander, visitors=[sakura], **OVERRIDE)

    override = VisitOverride.objects.get(visit=visit)
    assert override.rules == ["protective_order", "minor_without_guardian"]
    assert override.messages[0].startswith("Protective order: Sakura Haruno is protected")
    assert (override.reason, override.conditions) == (
        OVERRIDE["override_reason"], OVERRIDE["override_conditions"],
    )  # fmt: skip
    assert (override.authorised_by, override.authorised_at) == (commander, NOW)
    assert excused_codes(visit) == {"protective_order", "minor_without_guardian"}
    schedule, audited = AuditEvent.objects.filter(object_id=str(visit.public_id)).order_by("seq")
    assert (schedule.action, audited.action) == ("visit.schedule", "visit.override")
    assert audited.actor == commander
    assert audited.reason == OVERRIDE["override_reason"]
    assert audited.changes["rules"] == ["protective_order", "minor_without_guardian"]
    assert audited.changes["conditions"] == OVERRIDE["override_conditions"]


def test_an_override_is_good_for_one_visit_only(book, commander, sakura, no_contact):
    book(actor=commander, visitors=[sakura], **OVERRIDE)

    again = refused_codes(
        lambda: book(actor=commander, visitors=[sakura], starts_at=TOMORROW_2PM + DAY)
    )

    assert again == ["protective_order", "minor_without_guardian"]


def test_an_override_needs_a_reason_and_conditions(book, commander, sakura, no_contact):
    with pytest.raises(ValidationFailed) as invalid:
        book(actor=commander, visitors=[sakura], override_reason="Farewell")

    assert set(invalid.value.extra["fields"]) == {"override_conditions"}
    with pytest.raises(ValidationFailed) as invalid:
        book(actor=commander, visitors=[sakura], override_conditions="An officer at the door")
    assert set(invalid.value.extra["fields"]) == {"override_reason"}


def test_there_is_nothing_to_override_on_a_lawful_visit(book, commander):
    with pytest.raises(ValidationFailed) as invalid:
        book(actor=commander, **OVERRIDE)

    assert invalid.value.extra["fields"] == {
        "override_reason": ["there is no rule to override: the visit is allowed as it is."]
    }
    assert not Visit.objects.exists()


def test_an_override_cannot_make_room_in_a_full_room(book, commander, others_in_the_room):
    with pytest.raises(Conflict) as caught:
        book(actor=commander, minutes=45, **OVERRIDE)

    assert caught.value.code == "visit_refused"
    assert caught.value.message.startswith("This visit is refused: Room capacity:")
    assert "Visit length" not in caught.value.message
    assert [v["code"] for v in caught.value.extra["violations"]] == ["room_full", "visit_too_long"]
    assert not VisitOverride.objects.exists()


# --- In-cell visits -------------------------------------------------------------------------------


def test_an_in_cell_visit_asked_for_by_a_clerk_waits_for_a_supervisor(
    book, supervisor, kakashi, site
):
    visit = book(kind="in_cell", room=None)

    assert (visit.status, visit.cell, visit.room) == (VisitStatus.REQUESTED, site.cells[0], None)
    assert visit.authorised_by is None

    authorised = visit_authorise(actor=supervisor, visit=visit)

    assert (authorised.status, authorised.authorised_by) == (VisitStatus.SCHEDULED, supervisor)
    assert AuditEvent.objects.filter(action="visit.authorise", actor=supervisor).exists()


def test_a_clerk_cannot_authorise_an_in_cell_visit(book, visits_clerk):
    visit = book(kind="in_cell", room=None)

    with pytest.raises(PermissionDenied) as denied:
        visit_authorise(actor=visits_clerk, visit=visit)
    assert denied.value.code == "missing_role"


def test_the_commander_schedules_an_in_cell_visit_at_once(book, commander):
    visit = book(actor=commander, kind="in_cell", room=None)

    assert (visit.status, visit.authorised_by, visit.authorised_at) == (
        VisitStatus.SCHEDULED, commander, NOW,
    )  # fmt: skip


def test_authorising_checks_the_rules_again(book, supervisor, commander, site, kakashi, ino):
    visit = book(kind="in_cell", room=None)
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=ino.person, protected_role="victim", source="administrative",
        scope="visits", issued_by="The warden",
    )  # fmt: skip

    assert refused_codes(lambda: visit_authorise(actor=supervisor, visit=visit)) == [
        "protective_order"
    ]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED


def test_authorising_judges_the_notice_from_the_request_but_not_a_passed_time(
    book, supervisor, clock
):
    visit = book(kind="in_cell", room=None)

    clock.shift(20 * HOUR)  # four hours before the visit: still fine, it was asked in time
    assert visit_authorise(actor=supervisor, visit=visit).status == VisitStatus.SCHEDULED

    late = book(kind="in_cell", room=None, starts_at=TOMORROW_2PM + 2 * DAY)
    clock.shift(3 * DAY)
    assert refused_codes(lambda: visit_authorise(actor=supervisor, visit=late)) == ["in_the_past"]


def test_only_a_visit_awaiting_authorisation_is_authorised(book, supervisor):
    visit = book()

    with pytest.raises(Conflict) as caught:
        visit_authorise(actor=supervisor, visit=visit)
    assert caught.value.code == "visit_not_requested"


def test_an_in_cell_visit_takes_no_room_and_needs_a_cell(book, hold, contact_room, ino):
    with pytest.raises(ValidationFailed) as invalid:
        book(kind="in_cell")
    assert invalid.value.extra["fields"] == {
        "room": ["must be empty: an in-cell visit takes place in the person's own cell."]
    }
    unhoused = hold("Jiraiya", given_name="Toad", housed=False)
    listed(unhoused, ino)
    with pytest.raises(ValidationFailed) as invalid:
        book(booking=unhoused, kind="in_cell", room=None)
    assert invalid.value.extra["fields"] == {
        "kind": ["Toad Jiraiya has no cell now: an in-cell visit needs one."]
    }


# --- Cancelling ---------------------------------------------------------------------------------


def test_a_clerk_cancels_a_visit_with_a_reason_and_frees_the_slot(book, visits_clerk):
    visit = book()

    cancelled = visit_cancel(actor=visits_clerk, visit=visit, reason="The visitor is ill")

    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        VisitStatus.CANCELLED, "The visitor is ill", visits_clerk,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="visit.cancel")
    assert event.reason == "The visitor is ill"
    assert book().status == VisitStatus.SCHEDULED


def test_cancelling_needs_a_reason_and_a_visit_not_yet_under_way(book, visits_clerk):
    visit = book()
    with pytest.raises(ValidationFailed) as invalid:
        visit_cancel(actor=visits_clerk, visit=visit, reason="  ")
    assert invalid.value.extra["fields"] == {"reason": ["say why the visit is cancelled."]}

    visit_cancel(actor=visits_clerk, visit=visit, reason="Moved")
    with pytest.raises(Conflict) as caught:
        visit_cancel(actor=visits_clerk, visit=visit, reason="Again")
    assert caught.value.code == "visit_not_cancellable"


def test_an_officer_cancels_only_a_visit_refused_at_the_desk(book, officer):
    visit = book()
    with pytest.raises(PermissionDenied):
        visit_cancel(actor=officer, visit=visit, reason="No")

    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.CHECKED_IN)
    visit.refresh_from_db()

    assert visit_cancel(actor=officer, visit=visit, reason="Contraband found").status == (
        VisitStatus.CANCELLED
    )


# --- Checking a booked visit again (the desk) ---------------------------------------------------


def test_a_booked_visit_checked_again_sees_a_ban_imposed_since(book, ino, supervisor):
    visit = book()
    assert visit_violations_now(visit=visit) == []

    VisitorBan.objects.create(
        visitor=ino, reason="Threatened staff", starts_at=NOW, imposed_at=NOW,
        imposed_by=supervisor,
    )  # fmt: skip

    assert [v.code for v in visit_violations_now(visit=visit)] == ["visitor_banned"]


def test_the_override_excuses_its_rules_when_checked_again_but_not_new_ones(
    book, commander, sakura, mebuki, no_contact, supervisor
):
    visit = book(actor=commander, visitors=[sakura], **OVERRIDE)
    assert visit_violations_now(visit=visit) == []

    VisitorBan.objects.create(
        visitor=sakura, reason="Forged pass", starts_at=NOW, imposed_at=NOW, imposed_by=supervisor
    )
    assert [v.code for v in visit_violations_now(visit=visit)] == ["visitor_banned"]


def test_at_the_desk_only_the_visitors_present_count(book, sakura, mebuki):
    visit = book(visitors=[sakura, mebuki])

    assert [v.code for v in visit_violations_now(visit=visit, visitors=[sakura])] == [
        "minor_without_guardian"
    ]


def test_a_later_visit_let_through_by_an_override_does_not_refuse_the_earlier_one(book, commander):
    first = book()
    second = book(actor=commander, starts_at=TOMORROW_2PM + 3 * HOUR, **OVERRIDE)

    assert VisitOverride.objects.get(visit=second).rules == ["visits_per_day"]
    assert visit_violations_now(visit=first) == []
    assert visit_violations_now(visit=second) == []


# --- The calendar -------------------------------------------------------------------------------


def test_a_days_visits_are_read_in_a_fixed_number_of_queries(
    book, site, kakashi, contact_room, django_assert_num_queries, others_in_the_room
):
    book(starts_at=TOMORROW_2PM + HOUR)
    day = TOMORROW_2PM.date()

    with django_assert_num_queries(4):
        visits = visits_for_day(site.facility, day)
        for visit in visits:
            _ = [p.visitor.person.full_name for p in visit.participants.all()]
            _ = (visit.booking.person.full_name, visit.room, list(visit.items.all()))

    assert len(visits) == 3
    assert visits_for_day(site.facility, day - DAY) == []
    assert len(visits_for_day(site.facility, day, contact_room)) == 3


def test_cancelled_visits_leave_the_calendar_unless_asked_for(book, site, visits_clerk):
    visit = book()
    visit_cancel(actor=visits_clerk, visit=visit, reason="Ill")
    day = TOMORROW_2PM.date()

    assert visits_for_day(site.facility, day) == []
    assert [v.pk for v in visits_for_day(site.facility, day, include_cancelled=True)] == [visit.pk]


def test_a_bookings_visits_split_into_upcoming_and_past(book, kakashi, visits_clerk):
    soon = book()
    later = book(starts_at=TOMORROW_2PM + 2 * DAY)
    gone = book(starts_at=TOMORROW_2PM + 3 * DAY)
    visit_cancel(actor=visits_clerk, visit=gone, reason="Moved")

    assert [v.pk for v in visits_for_booking(kakashi, upcoming=True)] == [soon.pk, later.pk]
    assert [v.pk for v in visits_for_booking(kakashi, upcoming=False)] == [gone.pk]
    assert [v.pk for v in visits_for_booking(kakashi)] == [gone.pk, later.pk, soon.pk]


def test_a_rooms_day_is_cut_into_slots_with_the_places_left(
    book, site, contact_room, others_in_the_room
):
    FacilityPolicy.objects.filter(facility=site.facility).update(visit_length_minutes=20)
    book(starts_at=TOMORROW_2PM + HOUR)

    slots = room_day_slots(contact_room, TOMORROW_2PM.date())

    assert len(slots) == 36  # 08:00 to 20:00 in 20 minutes
    by_start = {f"{s.starts_at:%H:%M}": s for s in slots}
    # The two 30-minute visits at 14:00 take both places until 14:30.
    assert (by_start["14:00"].free, len(by_start["14:00"].visits)) == (0, 2)
    assert (by_start["14:20"].free, len(by_start["14:20"].visits)) == (0, 2)
    assert (by_start["14:40"].free, by_start["15:00"].free) == (2, 1)
    assert by_start["08:00"].free == 2
