"""The registry API: visitors, identity, approval, guardians, bans, visiting lists,
rooms and suspensions, with personas."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus
from cellblock.people.services import person_create
from cellblock.visits.models import (
    ListEntryStatus,
    Visit,
    VisitKind,
    Visitor,
    VisitParticipant,
    VisitRoom,
    VisitStatus,
)
from cellblock.visits.services import registry as svc
from cellblock.visits.tests.conftest import NOW, TOMORROW_2PM

pytestmark = pytest.mark.django_db

API = "/api/visits"


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


def _patch(client, path, payload):
    return client.patch(path, payload, content_type="application/json")


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake", given_name="Kakashi")


@pytest.fixture
def clerk(client_for, visits_clerk):
    return client_for(visits_clerk)


def _register(client, site, **more):
    payload = {
        "facility": str(site.facility.public_id), "given_name": "Ino",
        "family_name": "Yamanaka", "date_of_birth": "1990-09-23",
    }  # fmt: skip
    return _post(client, f"{API}/visitors", {**payload, **more})


def _approved_visitor(client, site, **more):
    visitor_id = _register(client, site, **more).json()["id"]
    number = f"KON-{visitor_id[:8]}"
    _post(
        client, f"{API}/visitors/{visitor_id}/identity",
        {"id_kind": "village_registry", "id_number": number},
    )  # fmt: skip
    _post(client, f"{API}/visitors/{visitor_id}/decision", {"status": "approved"})
    return visitor_id


def _book_visit(booking, visitor_id, starts_at, room, kind=VisitKind.CONTACT):
    visit = Visit.objects.create(
        facility=booking.facility, booking=booking, kind=kind, status=VisitStatus.SCHEDULED,
        room=room, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=30),
        requested_at=NOW,
    )  # fmt: skip
    VisitParticipant.objects.create(visit=visit, visitor=Visitor.objects.get(public_id=visitor_id))
    return visit


# --- Visitors -------------------------------------------------------------------------------


def test_the_clerk_registers_checks_and_approves_a_visitor(clock, site, clerk, visits_clerk):
    created = _register(clerk, site, phone="555-0101")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Ino Yamanaka"
    assert (body["status"], body["age"], body["is_minor"]) == ("pending", 35, False)
    assert (body["id_checked_at"], body["bans"], body["guardians"]) == (None, [], [])
    visitor_id = body["id"]

    unchecked = _post(clerk, f"{API}/visitors/{visitor_id}/decision", {"status": "approved"})
    assert unchecked.status_code == 409
    assert unchecked.json()["code"] == "identity_not_checked"

    checked = _post(
        clerk, f"{API}/visitors/{visitor_id}/identity",
        {"id_kind": "passport", "id_number": "P-77"},
    )  # fmt: skip
    assert checked.status_code == 200, checked.content
    assert checked.json()["id_checked_by"] == visits_clerk.username
    assert checked.json()["id_checked_at"] == "2026-03-14T12:00:00Z"

    decided = _post(clerk, f"{API}/visitors/{visitor_id}/decision", {"status": "approved"})
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["decided_by"]) == (
        "approved", visits_clerk.username,
    )  # fmt: skip


def test_registering_the_same_visitor_twice_is_a_409_naming_them(clock, site, clerk):
    first = _register(clerk, site).json()
    again = _register(clerk, site)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "visitor_exists"
    assert body["message"] == "Ino Yamanaka is already registered as a visitor at Test Jail."
    assert body["extra"]["visitor_id"] == first["id"]


def test_a_person_held_in_custody_is_refused_as_a_visitor(kakashi, site, clerk):
    response = _register(clerk, site, person_id=str(kakashi.person.public_id))
    assert response.status_code == 409
    assert response.json()["code"] == "visitor_in_custody"
    assert "Kakashi Hatake is held in custody" in response.json()["message"]


def test_a_person_once_released_is_registered_from_their_record(clock, hold, site, clerk):
    former = hold("Uchiha", given_name="Itachi")
    Booking.objects.filter(pk=former.pk).update(
        status=BookingStatus.RELEASED, released_at=NOW, release_type="time_served"
    )
    response = _register(
        clerk, site, person_id=str(former.person.public_id), given_name="", family_name=""
    )
    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["person_id"]) == (
        "Itachi Uchiha", str(former.person.public_id),
    )  # fmt: skip


def test_a_denial_without_a_note_names_the_field(clock, site, clerk):
    visitor_id = _register(clerk, site).json()["id"]
    bare = _post(clerk, f"{API}/visitors/{visitor_id}/decision", {"status": "denied"})
    assert bare.status_code == 400
    assert bare.json()["extra"]["fields"] == {"note": [svc.DENIAL_NOTE_REQUIRED]}
    denied = _post(
        clerk, f"{API}/visitors/{visitor_id}/decision",
        {"status": "denied", "note": "false address"},
    )  # fmt: skip
    assert (denied.json()["status"], denied.json()["decision_note"]) == ("denied", "false address")


def test_the_clerk_corrects_a_visitors_details(clock, site, clerk):
    visitor_id = _register(clerk, site).json()["id"]
    patched = _patch(clerk, f"{API}/visitors/{visitor_id}", {"phone": "555-0199"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["phone"] == "555-0199"
    nulled = _patch(clerk, f"{API}/visitors/{visitor_id}", {"family_name": None})
    assert nulled.status_code == 400
    assert "family_name" in nulled.json()["extra"]["fields"]


def test_an_officer_reads_but_cannot_write_the_registry(clock, site, clerk, officer, client_for):
    visitor_id = _register(clerk, site).json()["id"]
    client = client_for(officer)
    assert client.get(f"{API}/visitors/{visitor_id}").status_code == 200
    for response in (
        _register(client, site, given_name="Sai"),
        _patch(client, f"{API}/visitors/{visitor_id}", {"phone": "1"}),
        _post(client, f"{API}/visitors/{visitor_id}/identity",
              {"id_kind": "passport", "id_number": "1"}),
        _post(client, f"{API}/visitors/{visitor_id}/decision", {"status": "approved"}),
        _post(client, f"{API}/visitors/{visitor_id}/bans", {"reason": "x"}),
    ):  # fmt: skip
        assert response.status_code == 403
        assert response.json()["code"] == "missing_role"


def test_the_auditor_reads_visitors_and_cannot_change_them(clock, site, clerk, auditor, client_for):
    visitor_id = _register(clerk, site).json()["id"]
    client = client_for(auditor)
    assert client.get(f"{API}/visitors/{visitor_id}").json()["name"] == "Ino Yamanaka"
    assert [v["id"] for v in client.get(f"{API}/visitors").json()] == [visitor_id]
    assert _register(client, site, given_name="Sai").status_code == 403


def test_another_facilitys_visitors_are_not_found(clock, site, clerk, outsider, client_for):
    visitor_id = _register(clerk, site).json()["id"]
    client = client_for(outsider)
    assert client.get(f"{API}/visitors/{visitor_id}").status_code == 404
    assert _patch(client, f"{API}/visitors/{visitor_id}", {"phone": "1"}).status_code == 404
    assert _post(
        client, f"{API}/visitors/{visitor_id}/bans", {"reason": "x"}
    ).status_code == 404  # fmt: skip
    assert client.get(f"{API}/visitors").json() == []
    assert client.get(f"{API}/visitors/not-an-id").status_code == 404
    assert _register(client, site, given_name="Sai").status_code == 404
    assert Visitor.objects.count() == 1


def test_the_visitor_search_takes_a_fixed_number_of_queries(
    clock, site, clerk, kakashi, django_assert_num_queries
):
    def filled(name, born):
        visitor_id = _approved_visitor(clerk, site, given_name=name, date_of_birth=born)
        _post(
            clerk, f"{API}/bookings/{kakashi.booking_number}/visiting-list",
            {"visitor_id": visitor_id, "relationship": "friend"},
        )  # fmt: skip
        return visitor_id

    mother = filled("Mebuki", "1980-05-01")
    first = filled("Sakura", "2009-03-28")
    _post(clerk, f"{API}/visitors/{first}/guardians", {"guardian_id": mother, "role": "parent"})
    # Signed-in user and roles (3), the facilities (1), the visitors (1), then their bans,
    # guardians, wards and visiting-list entries (4), however many visitors there are.
    with django_assert_num_queries(9):
        found = clerk.get(f"{API}/visitors", {"q": "sakura"})
    assert [v["name"] for v in found.json()] == ["Sakura Yamanaka"]
    for n, born in enumerate(("1991-01-01", "1992-02-02", "2010-03-03")):
        child = filled(f"Moegi{n}", born)
        if born.startswith("2010"):
            _post(
                clerk, f"{API}/visitors/{child}/guardians",
                {"guardian_id": mother, "role": "parent"},
            )  # fmt: skip
    with django_assert_num_queries(9):
        many = clerk.get(f"{API}/visitors")
    assert len(many.json()) == 5


def test_the_search_finds_by_name_status_and_document(clock, site, clerk):
    ino = _approved_visitor(clerk, site)
    sai = _register(clerk, site, given_name="Sai", family_name="", id_kind="passport",
                    id_number="P-5").json()["id"]  # fmt: skip
    assert [v["id"] for v in clerk.get(f"{API}/visitors", {"q": "yaman"}).json()] == [ino]
    assert [v["id"] for v in clerk.get(f"{API}/visitors", {"q": "P-5"}).json()] == [sai]
    assert [v["id"] for v in clerk.get(f"{API}/visitors", {"status": "pending"}).json()] == [sai]
    assert clerk.get(f"{API}/visitors", {"status": "banished"}).status_code == 400


# --- Minors -------------------------------------------------------------------------------


def test_a_minor_is_shown_as_one_and_gets_a_guardian(clock, site, clerk):
    sakura = _register(clerk, site, given_name="Sakura", family_name="Haruno",
                       date_of_birth="2009-03-28").json()  # fmt: skip
    assert (sakura["age"], sakura["is_minor"]) == (16, True)
    mebuki = _register(clerk, site, given_name="Mebuki", family_name="Haruno",
                       date_of_birth="1980-05-01").json()["id"]  # fmt: skip
    recorded = _post(
        clerk, f"{API}/visitors/{sakura['id']}/guardians",
        {"guardian_id": mebuki, "role": "parent"},
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["guardians"] == [
        {"id": mebuki, "name": "Mebuki Haruno", "role": "parent"}
    ]
    mother = clerk.get(f"{API}/visitors/{mebuki}").json()
    assert mother["wards"] == [{"id": sakura["id"], "name": "Sakura Haruno", "role": "parent"}]
    backwards = _post(
        clerk, f"{API}/visitors/{mebuki}/guardians",
        {"guardian_id": sakura["id"], "role": "parent"},
    )  # fmt: skip
    assert backwards.status_code == 400
    assert set(backwards.json()["extra"]["fields"]) == {"guardian", "minor"}


# --- Bans -----------------------------------------------------------------------------------


def test_a_supervisor_bans_a_visitor_and_their_visits_are_cancelled(
    kakashi, site, clerk, supervisor, client_for, contact_room
):
    visitor_id = _approved_visitor(clerk, site)
    visit = _book_visit(kakashi, visitor_id, TOMORROW_2PM, contact_room)
    client = client_for(supervisor)
    banned = _post(
        client, f"{API}/visitors/{visitor_id}/bans",
        {"reason": "brought contraband", "expires_at": "2026-04-14T12:00:00Z"},
    )  # fmt: skip
    assert banned.status_code == 201, banned.content
    ban = banned.json()
    assert (ban["in_force"], ban["imposed_by"]) == (True, supervisor.username)
    assert ban["visits_cancelled"] == [str(visit.public_id)]
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == ("cancelled", "brought contraband")
    card = clerk.get(f"{API}/visitors/{visitor_id}").json()
    assert card["banned_now"] is True
    assert [b["id"] for b in card["bans"]] == [ban["id"]]

    lifted = _post(client, f"{API}/bans/{ban['id']}/lift", {"reason": "cleared by review"})
    assert lifted.status_code == 200, lifted.content
    assert (lifted.json()["in_force"], lifted.json()["lift_reason"]) == (
        False, "cleared by review",
    )  # fmt: skip
    assert _post(client, f"{API}/bans/{ban['id']}/lift", {"reason": "x"}).status_code == 409


def test_a_ban_without_a_reason_or_ending_before_it_starts_names_the_fields(
    clock, site, clerk, supervisor, client_for
):
    visitor_id = _register(clerk, site).json()["id"]
    response = _post(
        client_for(supervisor), f"{API}/visitors/{visitor_id}/bans",
        {"reason": "", "starts_at": "2026-03-20T10:00", "expires_at": "2026-03-19T10:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"reason", "expires_at"}


def test_the_clerk_cannot_ban_and_the_outsider_cannot_lift(
    clock, site, clerk, supervisor, outsider, client_for
):
    visitor_id = _register(clerk, site).json()["id"]
    refused = _post(clerk, f"{API}/visitors/{visitor_id}/bans", {"reason": "rude"})
    assert refused.status_code == 403
    ban_id = _post(
        client_for(supervisor), f"{API}/visitors/{visitor_id}/bans", {"reason": "rude"}
    ).json()["id"]
    stranger = _post(client_for(outsider), f"{API}/bans/{ban_id}/lift", {"reason": "x"})
    assert stranger.status_code == 404


# --- Visiting lists -------------------------------------------------------------------------


def test_the_visiting_list_is_kept_through_the_api(kakashi, site, clerk, visits_clerk):
    visitor_id = _approved_visitor(clerk, site)
    path = f"{API}/bookings/{kakashi.booking_number}/visiting-list"
    added = _post(clerk, path, {"visitor_id": visitor_id, "relationship": "colleague"})
    assert added.status_code == 201, added.content
    entry = added.json()
    assert (entry["status"], entry["person"], entry["visitor"]["name"]) == (
        "pending", "Kakashi Hatake", "Ino Yamanaka",
    )  # fmt: skip

    twice = _post(clerk, path, {"visitor_id": visitor_id, "relationship": "friend"})
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_listed"
    assert "Ino Yamanaka" in twice.json()["message"]

    approved = _post(clerk, f"{API}/visiting-list/{entry['id']}/decision", {"approve": True})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "approved", visits_clerk.username,
    )  # fmt: skip
    card = clerk.get(f"{API}/visitors/{visitor_id}").json()
    assert card["list_entries"] == [
        {"id": entry["id"], "booking_number": kakashi.booking_number, "person": "Kakashi Hatake",
         "relationship": "colleague", "status": "approved"}
    ]  # fmt: skip

    no_reason = _post(clerk, f"{API}/visiting-list/{entry['id']}/remove", {"reason": ""})
    assert no_reason.status_code == 400
    removed = _post(clerk, f"{API}/visiting-list/{entry['id']}/remove", {"reason": "asked to"})
    assert removed.json()["status"] == ListEntryStatus.REMOVED
    assert clerk.get(path).json() == []
    assert len(clerk.get(path, {"include_removed": True}).json()) == 1


def test_a_refused_entry_needs_a_note(kakashi, site, clerk):
    visitor_id = _register(clerk, site).json()["id"]
    path = f"{API}/bookings/{kakashi.booking_number}/visiting-list"
    entry_id = _post(clerk, path, {"visitor_id": visitor_id, "relationship": "friend"}).json()["id"]
    bare = _post(clerk, f"{API}/visiting-list/{entry_id}/decision", {"approve": False})
    assert bare.json()["extra"]["fields"] == {"note": [svc.REFUSAL_NOTE_REQUIRED]}
    refused = _post(
        clerk, f"{API}/visiting-list/{entry_id}/decision", {"approve": False, "note": "witness"}
    )
    assert (refused.json()["status"], refused.json()["remove_reason"]) == ("removed", "witness")


def test_the_visiting_list_takes_a_fixed_number_of_queries(
    kakashi, site, clerk, django_assert_num_queries
):
    path = f"{API}/bookings/{kakashi.booking_number}/visiting-list"

    def listed(name):
        visitor_id = _register(clerk, site, given_name=name).json()["id"]
        _post(clerk, path, {"visitor_id": visitor_id, "relationship": "friend"})

    listed("Ino")
    # Signed-in user and roles (3), the booking (1), the entries with their visitors (1).
    with django_assert_num_queries(5):
        clerk.get(path)
    for name in ("Sai", "Choji", "Shikamaru"):
        listed(name)
    with django_assert_num_queries(5):
        many = clerk.get(path)
    assert len(many.json()) == 4


def test_officers_read_lists_and_outsiders_see_nothing(
    kakashi, site, clerk, officer, outsider, client_for
):
    visitor_id = _register(clerk, site).json()["id"]
    path = f"{API}/bookings/{kakashi.booking_number}/visiting-list"
    entry_id = _post(clerk, path, {"visitor_id": visitor_id, "relationship": "friend"}).json()["id"]
    officer_client = client_for(officer)
    assert len(officer_client.get(path).json()) == 1
    refused = _post(officer_client, f"{API}/visiting-list/{entry_id}/decision", {"approve": True})
    assert refused.status_code == 403
    stranger = client_for(outsider)
    assert stranger.get(path).status_code == 404
    assert _post(
        stranger, f"{API}/visiting-list/{entry_id}/remove", {"reason": "x"}
    ).status_code == 404  # fmt: skip


# --- Rooms ----------------------------------------------------------------------------------


def test_the_commander_sets_up_and_changes_a_room(clock, site, commander, client_for):
    client = client_for(commander)
    created = _post(
        client, f"{API}/rooms",
        {"facility": str(site.facility.public_id), "code": "bth2", "name": "Booths 2",
         "kind": "non_contact", "capacity": 6, "opens_at": "09:00", "closes_at": "18:00",
         "zone_id": str(site.zone.public_id)},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    room = created.json()
    assert (room["code"], room["capacity"], room["zone"]) == ("BTH2", 6, "A")
    changed = _patch(client, f"{API}/rooms/{room['id']}", {"capacity": 4, "zone_id": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["capacity"], changed.json()["zone"]) == (4, None)
    listed = client.get(f"{API}/rooms").json()
    assert [r["code"] for r in listed] == ["BTH2"]


def test_a_room_without_capacity_or_closing_before_opening_names_the_fields(
    clock, site, admin_user, client_for
):
    client = client_for(admin_user)
    response = _post(
        client, f"{API}/rooms",
        {"facility": str(site.facility.public_id), "code": "X", "name": "X", "kind": "contact",
         "capacity": 0, "opens_at": "18:00", "closes_at": "09:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "capacity": ["must be at least 1 (visits at once)."],
        "closes_at": ["must be after opens_at (18:00)."],
    }


def test_rooms_are_changed_only_by_the_facilitys_configurers(
    clock, site, contact_room, visits_clerk, outsider, client_for
):
    path = f"{API}/rooms/{contact_room.public_id}"
    assert _patch(client_for(visits_clerk), path, {"capacity": 9}).status_code == 403
    assert _patch(client_for(outsider), path, {"capacity": 9}).status_code == 404
    assert client_for(visits_clerk).get(f"{API}/rooms").json()[0]["code"] == "VR1"
    assert client_for(outsider).get(f"{API}/rooms").json() == []
    assert VisitRoom.objects.get(pk=contact_room.pk).capacity == 2


# --- Suspensions ----------------------------------------------------------------------------


def test_a_supervisor_suspends_visits_and_lifts_the_suspension(
    kakashi, site, clerk, supervisor, client_for, contact_room, legal_room
):
    visitor_id = _approved_visitor(clerk, site)
    social = _book_visit(kakashi, visitor_id, TOMORROW_2PM, contact_room)
    legal = _book_visit(
        kakashi, visitor_id, TOMORROW_2PM + dt.timedelta(hours=3), legal_room, VisitKind.LEGAL
    )
    client = client_for(supervisor)
    path = f"{API}/bookings/{kakashi.booking_number}/suspensions"
    imposed = _post(
        client, path, {"reason": "fought in the yard", "expires_at": "2026-03-21T12:00"}
    )
    assert imposed.status_code == 201, imposed.content
    body = imposed.json()
    assert body["expires_at"] == "2026-03-21T12:00:00Z"
    assert body["visits_cancelled"] == [str(social.public_id)]
    assert (body["in_force"], body["includes_legal"]) == (True, False)
    legal.refresh_from_db()
    assert legal.status == VisitStatus.SCHEDULED
    assert [s["id"] for s in clerk.get(path).json()] == [body["id"]]

    lifted = _post(client, f"{API}/suspensions/{body['id']}/lift", {"reason": "apologised"})
    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["in_force"] is False
    assert AuditEvent.objects.filter(action="visit_suspension.lift").count() == 1


def test_suspensions_need_a_supervisor_and_stay_inside_the_facility(
    kakashi, clerk, supervisor, outsider, client_for
):
    path = f"{API}/bookings/{kakashi.booking_number}/suspensions"
    assert _post(clerk, path, {"reason": "fight"}).status_code == 403
    suspension_id = _post(client_for(supervisor), path, {"reason": "fight"}).json()["id"]
    stranger = client_for(outsider)
    assert stranger.get(path).status_code == 404
    assert _post(stranger, path, {"reason": "fight"}).status_code == 404
    lift = _post(stranger, f"{API}/suspensions/{suspension_id}/lift", {"reason": "x"})
    assert lift.status_code == 404


def test_a_suspension_for_an_incident_of_another_facility_is_not_found(
    kakashi, supervisor, client_for, other_site
):
    from cellblock.incidents.models import Incident

    incident = Incident.objects.create(
        facility=other_site.facility, number="OTH-INC-2026-0001", kind="assault",
        occurred_at=NOW, reported_at=NOW, narrative="elsewhere",
    )  # fmt: skip
    response = _post(
        client_for(supervisor), f"{API}/bookings/{kakashi.booking_number}/suspensions",
        {"reason": "fight", "incident_id": str(incident.public_id)},
    )  # fmt: skip
    assert response.status_code == 404


def test_people_on_record_elsewhere_are_not_offered_as_visitors(clock, site, other_site, clerk):
    stranger = person_create(
        actor=None, facility=other_site.facility, given_name="Kabuto", family_name="Yakushi"
    )
    response = _register(clerk, site, person_id=str(stranger.public_id))
    assert response.status_code == 404
