"""The registry pages: visitors, a visitor's record, a visiting list, suspensions and rooms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from cellblock.visits.models import (
    Guardianship,
    ListEntryStatus,
    RoomKind,
    VisitingListEntry,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitRoom,
    VisitSuspension,
)
from cellblock.visits.services.registry import IDENTITY_NOT_CHECKED
from cellblock.visits.tests.pages_support import (
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
)
from cellblock.visits.views.registry import (
    APPROVED,
    GUARDIAN_RECORDED,
    LIST_APPROVED,
    LISTED,
    REGISTERED,
    ROOM_SAVED,
    SUSPENDED,
)

pytestmark = pytest.mark.django_db
VISITORS = reverse("visits:visitors")


def visitor_url(visitor, name="visitor"):
    return reverse(f"visits:{name}", args=[visitor.public_id])


def list_url(booking, name="visiting_list"):
    return reverse(f"visits:{name}", args=[booking.booking_number])


# --- The visitors list ----------------------------------------------------------------------


def test_the_registry_finds_visitors_by_name_and_filters_by_status(
    clock, make_visitor, officer, client_for
):
    make_visitor("Ino", "Yamanaka")
    make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28), status=VisitorStatus.PENDING)
    client = client_for(officer)
    body = client.get(VISITORS, {"q": "haruno"}).content.decode()
    assert "Haruno, Sakura" in body
    assert "Yamanaka" not in body
    assert "Minor, 16" in body
    body = client.get(VISITORS, {"status": "approved"}).content.decode()
    assert "Yamanaka, Ino" in body
    assert "Haruno, Sakura" not in body


def test_an_outsider_sees_no_visitor_of_ours_and_an_administrator_is_refused(
    clock, make_visitor, outsider, admin_user, client_for
):
    ino = make_visitor("Ino", "Yamanaka")
    body = client_for(outsider).get(VISITORS).content.decode()
    assert "Yamanaka" not in body
    assert client_for(outsider).get(visitor_url(ino)).status_code == 404
    assert client_for(admin_user).get(VISITORS).status_code == 403


def test_the_name_field_offers_registered_visitors_to_pick(
    clock, make_visitor, officer, client_for
):
    ino = make_visitor("Ino", "Yamanaka")
    body = (
        client_for(officer)
        .get(reverse("visits:visitor_options"), {"q": "ino", "name": "guardian"})
        .content.decode()
    )
    assert f'name="guardian" value="{ino.public_id}"' in body


# --- Registering and deciding ----------------------------------------------------------------


def test_the_clerk_registers_a_visitor_who_then_waits_for_approval(
    clock, site, visits_clerk, client_for
):
    data = {
        "given_name": "Sakura", "family_name": "Haruno", "date_of_birth": "2009-03-28",
        "sex": "female", "id_kind": "village_registry", "id_number": "VR-316",
    }  # fmt: skip
    response = client_for(visits_clerk).post(reverse("visits:visitor_new"), data, follow=True)
    visitor = Visitor.objects.get()
    assert response.redirect_chain[-1][0] == visitor_url(visitor)
    body = response.content.decode()
    assert escape(REGISTERED.format(name="Sakura Haruno")) in body
    assert 'data-testid="visitor-status">Pending approval' in body
    assert 'data-testid="visitor-minor">Minor, 16' in body


def test_registering_the_same_visitor_twice_points_to_the_first_record(
    clock, make_visitor, visits_clerk, client_for
):
    ino = make_visitor("Ino", "Yamanaka")
    data = {"given_name": "Ino", "family_name": "Yamanaka", "date_of_birth": "1990-09-23"}
    response = client_for(visits_clerk).post(reverse("visits:visitor_new"), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "already registered as a visitor" in body
    assert visitor_url(ino) in body


def test_an_officer_may_not_register_visitors(clock, site, officer, client_for):
    assert client_for(officer).get(reverse("visits:visitor_new")).status_code == 403


def test_approving_needs_the_identity_check_first(clock, make_visitor, visits_clerk, client_for):
    sakura = make_visitor("Sakura", "Haruno", status=VisitorStatus.PENDING)
    client = client_for(visits_clerk)
    response = client.post(visitor_url(sakura, "visitor_decision"), {"status": "approved"})
    assert response.status_code == 409
    assert escape(IDENTITY_NOT_CHECKED.format(name="Sakura Haruno")) in response.content.decode()
    client.post(
        visitor_url(sakura, "visitor_identity"),
        {"id_kind": "village_registry", "id_number": "VR-316"},
    )
    response = client.post(
        visitor_url(sakura, "visitor_decision"), {"status": "approved"}, follow=True
    )
    assert escape(APPROVED.format(name="Sakura Haruno")) in response.content.decode()
    sakura.refresh_from_db()
    assert sakura.status == VisitorStatus.APPROVED
    assert sakura.id_checked_by == visits_clerk


def test_denying_needs_a_note(clock, make_visitor, visits_clerk, client_for):
    sakura = make_visitor("Sakura", "Haruno", status=VisitorStatus.PENDING)
    response = client_for(visits_clerk).post(
        visitor_url(sakura, "visitor_decision"), {"status": "denied"}
    )
    assert response.status_code == 400
    assert "Note is required when denying a visitor" in response.content.decode()


# --- Bans and guardians -----------------------------------------------------------------------


def test_a_supervisor_bans_a_visitor_and_lifts_the_ban(clock, make_visitor, supervisor, client_for):
    ino = make_visitor("Ino", "Yamanaka")
    client = client_for(supervisor)
    response = client.post(
        visitor_url(ino, "visitor_ban"),
        {"reason": "Brought a kunai.", "expires_at": "2026-04-14T12:00"},
        follow=True,
    )
    body = response.content.decode()
    assert "Ino Yamanaka is banned until 2026-04-14 12:00." in body
    assert 'data-testid="visitor-banned"' in body
    ban = VisitorBan.objects.get()
    assert ban.expires_at == dt.datetime(2026, 4, 14, 12, tzinfo=dt.UTC)
    response = client.post(
        reverse("visits:ban_lift", args=[ban.public_id]), {"reason": "Appeal granted."}
    )
    assert response.status_code == 302
    ban.refresh_from_db()
    assert ban.lifted_by == supervisor


def test_the_visits_clerk_may_not_ban(clock, make_visitor, visits_clerk, client_for):
    ino = make_visitor("Ino", "Yamanaka")
    body = client_for(visits_clerk).get(visitor_url(ino)).content.decode()
    assert 'data-testid="ban-form"' not in body
    response = client_for(visits_clerk).post(visitor_url(ino, "visitor_ban"), {"reason": "x"})
    assert response.status_code == 403
    assert not VisitorBan.objects.exists()


def test_a_minor_gets_a_guardian_from_the_registry(clock, make_visitor, visits_clerk, client_for):
    sakura = make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28))
    mebuki = make_visitor("Mebuki", "Haruno", born=dt.date(1980, 5, 1))
    client = client_for(visits_clerk)
    assert 'data-testid="no-guardian"' in client.get(visitor_url(sakura)).content.decode()
    response = client.post(
        visitor_url(sakura, "guardian_add"),
        {"guardian": str(mebuki.public_id), "role": "parent"},
        follow=True,
    )
    body = response.content.decode()
    note = GUARDIAN_RECORDED.format(guardian="Mebuki Haruno", role="parent", minor="Sakura Haruno")
    assert escape(note) in body
    assert Guardianship.objects.filter(minor=sakura, guardian=mebuki).exists()


def test_choosing_no_guardian_is_refused_by_name(clock, make_visitor, visits_clerk, client_for):
    sakura = make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28))
    response = client_for(visits_clerk).post(
        visitor_url(sakura, "guardian_add"), {"role": "parent"}
    )
    assert response.status_code == 400
    assert "Guardian: choose a visitor from the search results." in response.content.decode()


# --- A visiting list and suspensions ---------------------------------------------------------


def test_the_clerk_adds_a_visitor_to_the_list_and_approves_the_entry(
    kakashi, ino, visits_clerk, client_for
):
    client = client_for(visits_clerk)
    response = client.post(
        list_url(kakashi, "visiting_list_add"),
        {"add_visitor": str(ino.public_id), "relationship": "friend"},
        follow=True,
    )
    assert escape(LISTED.format(name="Ino Yamanaka", person="Kakashi Hatake")) in (
        response.content.decode()
    )
    entry = VisitingListEntry.objects.get()
    assert entry.status == ListEntryStatus.PENDING
    response = client.post(
        reverse("visits:list_entry_decide", args=[entry.public_id]),
        {"decision": "approve"},
        follow=True,
    )
    assert escape(LIST_APPROVED.format(name="Ino Yamanaka", person="Kakashi Hatake")) in (
        response.content.decode()
    )
    entry.refresh_from_db()
    assert entry.status == ListEntryStatus.APPROVED
    response = client.post(
        reverse("visits:list_entry_remove", args=[entry.public_id]), {"reason": "Asked to be."}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == ListEntryStatus.REMOVED


def test_refusing_an_entry_needs_a_note(kakashi, ino, visits_clerk, client_for):
    client = client_for(visits_clerk)
    client.post(
        list_url(kakashi, "visiting_list_add"),
        {"add_visitor": str(ino.public_id), "relationship": "friend"},
    )
    entry = VisitingListEntry.objects.get()
    response = client.post(
        reverse("visits:list_entry_decide", args=[entry.public_id]), {"decision": "refuse"}
    )
    assert response.status_code == 400
    assert "Note is required when refusing" in response.content.decode()


def test_a_supervisor_suspends_visits_and_lifts_the_suspension(kakashi, supervisor, client_for):
    client = client_for(supervisor)
    response = client.post(
        list_url(kakashi, "suspension_impose"),
        {"reason": "Dented a bar of his cell.", "expires_at": "2026-03-21T12:00"},
        follow=True,
    )
    note = SUSPENDED.format(person="Kakashi Hatake", until=" until 2026-03-21 12:00")
    assert escape(note) in response.content.decode()
    suspension = VisitSuspension.objects.get()
    response = client.post(
        reverse("visits:suspension_lift", args=[suspension.public_id]), {"reason": "Paid for it."}
    )
    assert response.status_code == 302
    suspension.refresh_from_db()
    assert suspension.lifted_by == supervisor


def test_the_visiting_list_page_of_another_facilitys_booking_is_not_found(
    kakashi, outsider, officer, client_for
):
    assert client_for(outsider).get(list_url(kakashi)).status_code == 404
    body = client_for(officer).get(list_url(kakashi)).content.decode()
    assert 'data-testid="add-entry-form"' not in body
    assert 'data-testid="suspend-form"' not in body


# --- Rooms ------------------------------------------------------------------------------------


def test_an_administrator_adds_a_room_and_changes_its_hours(clock, site, admin_user, client_for):
    client = client_for(admin_user)
    data = {
        "code": "vr2", "name": "Visit room 2", "kind": RoomKind.CONTACT, "capacity": "3",
        "opens_at": "09:00", "closes_at": "17:00", "active": "1",
    }  # fmt: skip
    response = client.post(reverse("visits:rooms"), data, follow=True)
    assert escape(ROOM_SAVED.format(name="Visit room 2")) in response.content.decode()
    room = VisitRoom.objects.get(code="VR2")
    assert room.capacity == 3
    assert room.opens_at == dt.time(9)
    data.update(closes_at="08:00")
    response = client.post(reverse("visits:room_edit", args=[room.public_id]), data)
    assert response.status_code == 400
    assert "Closes must be after opens_at" in response.content.decode()
    data.update(closes_at="18:00", active="")
    client.post(reverse("visits:room_edit", args=[room.public_id]), data)
    room.refresh_from_db()
    assert room.closes_at == dt.time(18)
    assert not room.active


def test_rooms_are_configuration_not_for_officers(clock, site, officer, contact_room, client_for):
    assert client_for(officer).get(reverse("visits:rooms")).status_code == 403
    assert (
        client_for(officer)
        .get(reverse("visits:room_edit", args=[contact_room.public_id]))
        .status_code
        == 403
    )
