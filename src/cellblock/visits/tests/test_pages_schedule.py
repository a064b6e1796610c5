"""Scheduling a visit on the page: the live verdict, refusals, the commander's override."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from cellblock.classification.services import protective_order_create
from cellblock.visits.models import Visit, VisitKind, VisitOverride, VisitStatus
from cellblock.visits.services.scheduling import OVERRIDE_NOT_ALLOWED
from cellblock.visits.tests.conftest import TOMORROW_2PM
from cellblock.visits.tests.pages_support import (
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
    listed,
)
from cellblock.visits.views.schedule import INCOMPLETE, SCHEDULED, SCHEDULED_OVERRIDE

pytestmark = pytest.mark.django_db
NEW = reverse("visits:new")
CHECK = reverse("visits:new_check")
START = "2026-03-15T14:00"  # TOMORROW_2PM in the test jail's zone (UTC)


@pytest.fixture
def sakura(make_visitor):
    """Sakura Haruno, 16, protected by a no-contact order against Kakashi."""
    return make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28), id_number="VR-316")


@pytest.fixture
def no_contact(commander, site, kakashi, sakura):
    return protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=sakura.person, protected_role="protected_party", source="court_order",
        scope="all_contact", issued_by="Tsunade, Hokage", reference="KON-CR-2026-0001",
    )  # fmt: skip


def form(booking, visitors, *, kind=VisitKind.CONTACT, room=None, **more):
    data = {
        "booking": booking.booking_number, "kind": kind,
        "room": str(room.public_id) if room else "", "starts_at": START, "minutes": "30",
        "visitor": [str(v.public_id) for v in visitors],
    }  # fmt: skip
    data.update(more)
    return data


def test_the_form_offers_the_persons_visiting_list_and_the_policy(
    kakashi, ino, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    response = client_for(visits_clerk).get(NEW, {"booking": kakashi.booking_number})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="visitor-list"' in body
    assert "Ino Yamanaka" in body
    assert "visits last 30 minutes, 1 a day and 3 a week" in body
    assert escape(INCOMPLETE) in body


def test_only_the_commander_sees_the_override_fields(
    kakashi, visits_clerk, supervisor, commander, client_for
):
    assert 'data-testid="override-fields"' in client_for(commander).get(NEW).content.decode()
    for user in (visits_clerk, supervisor):
        assert 'data-testid="override-fields"' not in client_for(user).get(NEW).content.decode()


def test_an_officer_may_not_schedule(officer, client_for):
    assert client_for(officer).get(NEW).status_code == 403


def test_the_live_verdict_allows_a_visit_that_breaks_no_rule(
    kakashi, ino, contact_room, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    response = client_for(visits_clerk).get(
        CHECK, form(kakashi, [ino], room=contact_room), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-allowed="yes"' in body
    assert "<html" not in body


def test_the_live_verdict_names_every_rule_the_visit_breaks_before_submitting(
    kakashi, sakura, no_contact, visits_clerk, client_for
):
    data = form(kakashi, [sakura], kind=VisitKind.IN_CELL, minutes="20")
    body = client_for(visits_clerk).get(CHECK, data).content.decode()
    assert 'data-allowed="no"' in body
    for code in ("protective_order", "minor_without_guardian", "not_on_visiting_list"):
        assert f'data-code="{code}"' in body, code
    assert "Protective order" in body
    assert "Minor visitor" in body
    assert "Sakura Haruno is protected by a no-contact order against Kakashi Hatake" in body
    assert "only the commander can override these rules" in body
    assert not Visit.objects.exists()


def test_a_refused_submit_shows_the_rules_and_stores_nothing(
    kakashi, sakura, no_contact, visits_clerk, client_for
):
    response = client_for(visits_clerk).post(NEW, form(kakashi, [sakura], kind=VisitKind.IN_CELL))
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="refused"' in body
    assert "This visit is refused" in body
    assert 'data-code="protective_order"' in body
    assert 'data-code="minor_without_guardian"' in body
    assert 'value="Sakura' not in body  # the visitor stays chosen by id, not retyped
    assert not Visit.objects.exists()


def test_a_supervisor_cannot_give_the_override(kakashi, sakura, no_contact, supervisor, client_for):
    data = form(
        kakashi, [sakura], kind=VisitKind.IN_CELL, override_reason="He accepted an assignment.",
        override_conditions="An officer at the door.",
    )  # fmt: skip
    response = client_for(supervisor).post(NEW, data)
    assert response.status_code == 403
    assert OVERRIDE_NOT_ALLOWED in response.content.decode()
    assert not Visit.objects.exists()


def test_the_commander_overrides_with_a_reason_and_conditions_and_the_visit_shows_it(
    kakashi, sakura, no_contact, commander, officer, client_for
):
    data = form(
        kakashi, [sakura], kind=VisitKind.IN_CELL, minutes="20",
        override_reason="He accepted an assignment.",
        override_conditions="One visit, 20 minutes, an officer at the door.",
    )  # fmt: skip
    response = client_for(commander).post(NEW, data, follow=True)
    visit = Visit.objects.get()
    assert response.redirect_chain[-1][0] == reverse("visits:detail", args=[visit.public_id])
    assert visit.status == VisitStatus.SCHEDULED
    assert visit.cell is not None
    override = VisitOverride.objects.get(visit=visit)
    assert {"protective_order", "minor_without_guardian"} <= set(override.rules)
    body = response.content.decode()
    note = SCHEDULED_OVERRIDE.format(person="Kakashi Hatake", when="2026-03-15 14:00")
    assert escape(note) in body
    # Everyone who sees the visit sees the override.
    seen = client_for(officer).get(reverse("visits:detail", args=[visit.public_id]))
    banner = seen.content.decode()
    assert 'data-testid="override-banner"' in banner
    assert "He accepted an assignment." in banner
    assert "One visit, 20 minutes, an officer at the door." in banner
    assert 'data-code="protective_order"' in banner


def test_an_override_needs_both_a_reason_and_conditions(
    kakashi, sakura, no_contact, commander, client_for
):
    data = form(kakashi, [sakura], kind=VisitKind.IN_CELL, override_reason="He asked nicely.")
    response = client_for(commander).post(NEW, data)
    assert response.status_code == 400
    assert "Conditions: say on what conditions" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_clerk_books_a_visit_that_breaks_no_rule(
    kakashi, ino, contact_room, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    response = client_for(visits_clerk).post(NEW, form(kakashi, [ino], room=contact_room))
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("visits:detail", args=[visit.public_id])
    assert visit.starts_at == TOMORROW_2PM
    assert visit.room == contact_room
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [SCHEDULED.format(person="Kakashi Hatake", when="2026-03-15 14:00")]


def test_an_in_cell_visit_booked_by_the_clerk_waits_for_authorisation(
    kakashi, ino, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    response = client_for(visits_clerk).post(NEW, form(kakashi, [ino], kind=VisitKind.IN_CELL))
    assert response.status_code == 302
    assert Visit.objects.get().status == VisitStatus.REQUESTED


def test_a_person_not_held_here_is_refused_by_name(visits_clerk, client_for, outsider, ino):
    data = {"booking": "OTH-2026-000001", "kind": VisitKind.CONTACT, "starts_at": START,
            "visitor": [str(ino.public_id)]}  # fmt: skip
    response = client_for(visits_clerk).post(NEW, data)
    assert response.status_code == 400
    assert "Person is not a booking held here" in response.content.decode()


def test_the_person_field_offers_matching_people_and_their_visiting_list(
    kakashi, ino, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    client = client_for(visits_clerk)
    people = client.get(reverse("visits:new_people"), {"booking": "hatake"}).content.decode()
    assert kakashi.booking_number in people
    choices = client.get(
        reverse("visits:new_visitors"), {"booking": kakashi.booking_number}
    ).content.decode()
    assert 'name="visitor"' in choices
    assert str(ino.public_id) in choices
