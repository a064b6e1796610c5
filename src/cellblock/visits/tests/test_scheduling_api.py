"""The schedule API: book, check, override, authorise, cancel, read; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.audit.models import AuditEvent
from cellblock.classification.services import protective_order_create
from cellblock.core import clock as core_clock
from cellblock.core.roles import Role
from cellblock.visits.models import (
    Guardianship,
    ListEntryStatus,
    Visit,
    VisitingListEntry,
    VisitOverride,
)
from cellblock.visits.services.scheduling import OVERRIDE_NOT_ALLOWED

from .conftest import NOW, TOMORROW_2PM

pytestmark = pytest.mark.django_db

API = "/api/visits"


def root():
    """The list and booking operations: ``/api/visits``, wherever the router mounts them."""
    return reverse("api:list_visits")


def _post(client, path, payload=None):
    url = f"{API}{path}" if path else root()
    return client.post(url, payload or {}, content_type="application/json")


def listed(booking, *visitors):
    for visitor in visitors:
        VisitingListEntry.objects.create(
            booking=booking, visitor=visitor, relationship="friend",
            status=ListEntryStatus.APPROVED, added_at=core_clock.now(),
        )  # fmt: skip


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake")


@pytest.fixture
def ino(kakashi, make_visitor):
    visitor = make_visitor("Ino", "Yamanaka")
    listed(kakashi, visitor)
    return visitor


@pytest.fixture
def sakura(kakashi, make_visitor):
    visitor = make_visitor("Sakura", "Haruno", born=dt.date(2009, 6, 1))
    listed(kakashi, visitor)
    return visitor


@pytest.fixture
def no_contact(commander, site, kakashi, sakura):
    return protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=sakura.person, protected_role="protected_party", source="court_order",
        scope="all_contact", issued_by="Tsunade, Konoha court", reference="KON-CR-2026-0001",
    )  # fmt: skip


def payload(booking, visitors, room=None, **more):
    return {
        "booking_number": booking.booking_number, "kind": "contact",
        "visitor_ids": [str(v.public_id) for v in visitors],
        "starts_at": TOMORROW_2PM.isoformat(),
        "room_id": str(room.public_id) if room is not None else None, **more,
    }  # fmt: skip


OVERRIDE = {
    "reason": "He accepted an assignment; one farewell visit.",
    "conditions": "An officer stays at the open door throughout.",
}


def test_a_visits_clerk_books_a_visit_and_reads_it_back(
    kakashi, ino, contact_room, visits_clerk, client_for
):
    client = client_for(visits_clerk)

    response = _post(client, "", payload(kakashi, [ino], contact_room, notes="Letters"))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["booking_number"] == kakashi.booking_number
    assert (body["person"], body["kind"], body["status"]) == (
        "Kakashi Hatake", "contact", "scheduled",
    )  # fmt: skip
    assert body["room"] == {
        "id": str(contact_room.public_id), "code": "VR1", "name": "Visit room 1"
    }  # fmt: skip
    assert body["cell"] is None
    assert (body["starts_at"], body["ends_at"], body["minutes"]) == (
        "2026-03-15T14:00:00Z", "2026-03-15T14:30:00Z", 30,
    )  # fmt: skip
    assert body["visitors"] == [
        {"id": str(ino.public_id), "name": "Ino Yamanaka", "minor": False,
         "checked_in_at": None, "checked_out_at": None},
    ]  # fmt: skip
    assert body["override"] is None
    assert (body["requested_by"], body["notes"]) == (visits_clerk.username, "Letters")
    assert (body["escort"], body["started_at"], body["due_end_at"], body["overran_minutes"]) == (
        None, None, None, None,
    )  # fmt: skip
    assert (body["items"], body["door_events"]) == ([], [])

    again = client.get(f"{API}/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_checking_a_visit_lists_the_rules_it_breaks_and_stores_nothing(
    kakashi, sakura, no_contact, contact_room, visits_clerk, client_for
):
    response = _post(client_for(visits_clerk), "/check", payload(kakashi, [sakura], contact_room))

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is False
    assert [(v["code"], v["overridable"]) for v in body["violations"]] == [
        ("protective_order", True), ("minor_without_guardian", True),
    ]  # fmt: skip
    assert not Visit.objects.exists()


def test_a_lawful_visit_checks_clean(kakashi, ino, contact_room, visits_clerk, client_for):
    response = _post(client_for(visits_clerk), "/check", payload(kakashi, [ino], contact_room))

    assert response.json() == {"allowed": True, "violations": []}


def test_a_refused_visit_answers_409_with_every_rule_named(
    kakashi, sakura, no_contact, contact_room, visits_clerk, client_for
):
    response = _post(client_for(visits_clerk), "", payload(kakashi, [sakura], contact_room))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "visit_refused"
    assert body["message"].startswith(
        "This visit is refused: Protective order: Sakura Haruno is protected by a no-contact "
        "order against Kakashi Hatake (KON-CR-2026-0001); Minor visitor:"
    )
    assert [v["code"] for v in body["extra"]["violations"]] == [
        "protective_order", "minor_without_guardian",
    ]  # fmt: skip
    assert not Visit.objects.exists()


@pytest.mark.parametrize("persona", ["supervisor", "officer"])
def test_a_supervisor_or_an_officer_giving_an_override_gets_403(
    request, persona, kakashi, sakura, no_contact, contact_room, client_for
):
    client = client_for(request.getfixturevalue(persona))

    response = _post(client, "", payload(kakashi, [sakura], contact_room, override=OVERRIDE))

    assert response.status_code == 403
    assert response.json()["code"] == "override_not_allowed"
    assert response.json()["message"] == OVERRIDE_NOT_ALLOWED
    assert not Visit.objects.exists()


def test_the_commanders_override_shows_on_the_visit_and_is_audited(
    kakashi, sakura, no_contact, commander, client_for
):
    client = client_for(commander)
    body = payload(kakashi, [sakura], kind="in_cell", minutes=20, override=OVERRIDE)

    response = _post(client, "", body)

    assert response.status_code == 201, response.json()
    visit = response.json()
    assert (visit["status"], visit["cell"], visit["room"], visit["minutes"]) == (
        "scheduled", "A1-1", None, 20,
    )  # fmt: skip
    assert visit["authorised_by"] == commander.username
    assert visit["visitors"][0]["minor"] is True
    override = visit["override"]
    assert override["rules"] == ["protective_order", "minor_without_guardian"]
    assert (override["reason"], override["conditions"]) == (
        OVERRIDE["reason"], OVERRIDE["conditions"],
    )  # fmt: skip
    assert override["authorised_by"] == commander.username
    assert override["authorised_at"] == "2026-03-14T12:00:00Z"
    assert override["messages"][1].startswith("Minor visitor: Sakura Haruno is 16")
    assert client.get(f"{API}/{visit['id']}").json()["override"] == override
    audited = AuditEvent.objects.get(action="visit.override")
    assert (audited.actor, audited.object_id, audited.reason) == (
        commander, visit["id"], OVERRIDE["reason"],
    )  # fmt: skip


def test_the_override_is_one_time_another_visit_by_the_same_visitor_is_refused(
    kakashi, sakura, no_contact, commander, client_for
):
    client = client_for(commander)
    first = payload(kakashi, [sakura], kind="in_cell", minutes=20, override=OVERRIDE)
    assert _post(client, "", first).status_code == 201

    second = payload(kakashi, [sakura], kind="in_cell", minutes=20)
    second["starts_at"] = (TOMORROW_2PM + dt.timedelta(days=1)).isoformat()
    response = _post(client, "", second)

    assert response.status_code == 409
    assert [v["code"] for v in response.json()["extra"]["violations"]] == [
        "protective_order", "minor_without_guardian",
    ]  # fmt: skip
    assert VisitOverride.objects.count() == 1


def test_a_minor_with_a_registered_parent_books_through_the_api(
    kakashi, sakura, make_visitor, contact_room, visits_clerk, client_for
):
    mebuki = make_visitor("Mebuki", "Haruno", born=dt.date(1984, 5, 1))
    listed(kakashi, mebuki)
    Guardianship.objects.create(minor=sakura, guardian=mebuki, role="parent", recorded_at=NOW)

    response = _post(client_for(visits_clerk), "", payload(kakashi, [sakura, mebuki], contact_room))

    assert response.status_code == 201
    assert [v["minor"] for v in response.json()["visitors"]] == [True, False]


def test_an_in_cell_visit_is_asked_for_by_a_clerk_and_authorised_by_a_supervisor(
    kakashi, ino, visits_clerk, supervisor, client_for
):
    asked = _post(client_for(visits_clerk), "", payload(kakashi, [ino], kind="in_cell"))
    assert asked.status_code == 201
    visit = asked.json()
    assert (visit["status"], visit["cell"], visit["authorised_by"]) == ("requested", "A1-1", None)

    refused = _post(client_for(visits_clerk), f"/{visit['id']}/authorise")
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"

    done = _post(client_for(supervisor), f"/{visit['id']}/authorise")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["authorised_by"]) == (
        "scheduled", supervisor.username,
    )  # fmt: skip


def test_a_visit_is_cancelled_with_a_reason(kakashi, ino, contact_room, visits_clerk, client_for):
    client = client_for(visits_clerk)
    visit = _post(client, "", payload(kakashi, [ino], contact_room)).json()

    missing = _post(client, f"/{visit['id']}/cancel", {"reason": ""})
    assert missing.status_code == 400
    assert missing.json()["extra"]["fields"] == {"reason": ["say why the visit is cancelled."]}

    done = _post(client, f"/{visit['id']}/cancel", {"reason": "The visitor is ill"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cancel_reason"]) == (
        "cancelled", "The visitor is ill",
    )  # fmt: skip


def test_unknown_visitors_and_rooms_are_refused_naming_the_field(
    kakashi, ino, other_site, visits_clerk, client_for
):
    from cellblock.visits.models import RoomKind, VisitRoom

    theirs = VisitRoom.objects.create(
        facility=other_site.facility, code="X", name="Their room", kind=RoomKind.CONTACT
    )
    client = client_for(visits_clerk)
    body = payload(kakashi, [ino], theirs)
    body["visitor_ids"].append("00000000-0000-0000-0000-000000000001")

    response = _post(client, "", body)

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert fields["visitor_ids"] == [
        "no visitor 00000000-0000-0000-0000-000000000001 is registered at Test Jail."
    ]
    body["visitor_ids"].pop()
    response = _post(client, "", body)
    assert response.json()["extra"]["fields"] == {
        "room_id": [f"no visit room {theirs.public_id} at Test Jail."]
    }


# --- Lists -------------------------------------------------------------------------------------


def _book_many(first, count, hold, make_visitor, contact_room, client):
    for n in range(first, first + count):
        booking = hold(f"Person{n}", given_name="Some")
        visitor = make_visitor(f"Visitor{n}", "Outside")
        listed(booking, visitor)
        body = payload(booking, [visitor], contact_room)
        body["starts_at"] = (TOMORROW_2PM + n * dt.timedelta(minutes=30)).isoformat()
        assert _post(client, "", body).status_code == 201


def test_the_days_list_takes_the_same_number_of_queries_for_one_visit_or_many(
    clock, hold, make_visitor, visits_clerk, contact_room, client_for
):
    client = client_for(visits_clerk)
    query = f"{root()}?day=2026-03-15&room={contact_room.public_id}"
    _book_many(0, 1, hold, make_visitor, contact_room, client)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(query).json()) == 1
    _book_many(1, 3, hold, make_visitor, contact_room, client)

    with CaptureQueriesContext(connection) as four:
        listed_now = client.get(query).json()

    assert len(listed_now) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    # The session, the user and their roles, the room, the visits and three prefetches.
    assert len(four.captured_queries) == 8


def test_the_list_shows_a_facilitys_day_or_a_bookings_visits(
    kakashi, ino, contact_room, visits_clerk, client_for, site
):
    client = client_for(visits_clerk)
    visit = _post(client, "", payload(kakashi, [ino], contact_room)).json()

    assert [v["id"] for v in client.get(f"{root()}?day=2026-03-15").json()] == [visit["id"]]
    assert client.get(f"{root()}?day=2026-03-16").json() == []
    by_booking = client.get(f"{root()}?booking={kakashi.booking_number}&upcoming=true")
    assert [v["id"] for v in by_booking.json()] == [visit["id"]]
    by_facility = client.get(f"{root()}?facility={site.facility.public_id}&day=2026-03-15")
    assert [v["id"] for v in by_facility.json()] == [visit["id"]]


def test_someone_working_at_two_facilities_says_which(
    kakashi, other_site, visits_clerk, client_for
):
    from cellblock.accounts.services import membership_grant

    membership_grant(actor=None, user=visits_clerk, facility=other_site.facility, role=Role.VISITS)

    response = client_for(visits_clerk).get(root())

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["facility"]


# --- Who may do what -------------------------------------------------------------------------


def test_an_outsider_finds_nothing(kakashi, ino, contact_room, visits_clerk, outsider, client_for):
    visit = _post(client_for(visits_clerk), "", payload(kakashi, [ino], contact_room)).json()
    client = client_for(outsider)

    assert client.get(f"{API}/{visit['id']}").status_code == 404
    assert _post(client, f"/{visit['id']}/authorise").status_code == 404
    assert _post(client, f"/{visit['id']}/cancel", {"reason": "x"}).status_code == 404
    assert _post(client, "", payload(kakashi, [ino], contact_room)).status_code == 404
    assert _post(client, "/check", payload(kakashi, [ino], contact_room)).status_code == 404
    assert client.get(f"{root()}?room={contact_room.public_id}").status_code == 404
    assert client.get(f"{root()}?booking={kakashi.booking_number}").status_code == 404
    assert client.get(f"{root()}?facility={kakashi.facility.public_id}").status_code == 404
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("persona", ["auditor", "officer", "medic", "booking_clerk"])
def test_staff_without_the_schedule_role_may_read_but_not_book(
    request, persona, kakashi, ino, contact_room, visits_clerk, client_for
):
    visit = _post(client_for(visits_clerk), "", payload(kakashi, [ino], contact_room)).json()
    client = client_for(request.getfixturevalue(persona))

    assert client.get(f"{API}/{visit['id']}").status_code == 200
    assert client.get(f"{root()}?day=2026-03-15").status_code == 200
    for response in (
        _post(client, "", payload(kakashi, [ino], contact_room)),
        _post(client, "/check", payload(kakashi, [ino], contact_room)),
        _post(client, f"/{visit['id']}/cancel", {"reason": "No"}),
        _post(client, f"/{visit['id']}/authorise"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "missing_role"


def test_an_administrator_sees_no_visits(admin_user, client_for):
    response = client_for(admin_user).get(f"{root()}?day=2026-03-15")

    assert response.status_code == 403
    assert response.json()["code"] == "missing_role"


def test_nobody_signed_in_gets_401(client):
    assert client.get(root()).status_code == 401
