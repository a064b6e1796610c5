"""The access page: grants issued and revoked, a door refused then recorded as forced."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cellblock.core.roles import Role
from cellblock.custody.models import DoorEvent, EntryGrant
from cellblock.facilities import services as fs
from cellblock.facilities.models import CellFeature

pytestmark = pytest.mark.django_db

PAGE = "/custody/access/"


@pytest.fixture
def lower(site):
    zone = fs.zone_create(
        actor=None, facility=site.facility, code="LOW", name="Lower level", restricted=True
    )
    unit = fs.unit_create(actor=None, zone=zone, code="ISO", name="Isolation")
    return fs.cell_create(actor=None, unit=unit, code="ISO-1", beds=1)


@pytest.fixture
def captain(staff_factory):
    return staff_factory("anbu_captain", Role.OFFICER)


def test_the_page_is_named_custody_access():
    assert reverse("custody:access") == PAGE


def test_a_refusal_is_shown_and_only_then_can_the_entry_be_recorded_as_forced(
    clock, lower, officer, captain, client_for
):
    client = client_for(officer)
    page = client.get(PAGE).content.decode()
    assert 'data-testid="forced"' not in page
    door = {"place": f"cell:{lower.public_id}", "action": "open", "staff_passed": ["anbu_captain"]}
    refused = client.post(reverse("custody:door_record"), door)
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "Entry refused." in html
    assert "Anbu Captain may not enter cell ISO-1 (Lower level)" in html
    assert 'data-testid="forced"' in html
    assert DoorEvent.objects.get().outcome == "denied"

    no_note = client.post(reverse("custody:door_record"), {**door, "forced": "on"})
    assert no_note.status_code == 400
    assert "required for a forced entry" in no_note.content.decode()

    forced = client.post(
        reverse("custody:door_record"), {**door, "forced": "on", "note": "over my protest"}
    )
    assert forced.status_code == 302
    after = client.get(PAGE).content.decode()
    assert "forced entry logged; incident TST-INC-2026-0001 opened" in after
    assert 'data-outcome="forced"' in after
    assert 'data-outcome="denied"' in after


def test_a_supervisor_issues_and_revokes_a_grant_from_the_page(
    clock, site, supervisor, staff_factory, client_for
):
    staff_factory("sakura", Role.MEDICAL)
    client = client_for(supervisor)
    response = client.post(
        reverse("custody:grant_issue"),
        {"staff": "sakura", "place": f"cell:{site.cells[0].public_id}",
         "valid_from": "2026-03-14T12:00", "valid_until": "2026-03-14T13:30",
         "reason": "treat his wounds"},
    )  # fmt: skip
    assert response.status_code == 302
    grant = EntryGrant.objects.get()
    assert grant.valid_until.isoformat() == "2026-03-14T13:30:00+00:00"
    html = client.get(PAGE).content.decode()
    assert "Sakura may enter cell A1-1 until 13:30." in html
    assert f'data-grant="{grant.public_id}"' in html
    client.post(reverse("custody:grant_revoke", args=[grant.public_id]))
    grant.refresh_from_db()
    assert grant.revoked_by == supervisor


def test_a_grant_form_with_problems_says_which(clock, site, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("custody:grant_issue"),
        {"staff": "", "place": "", "valid_until": "tomorrow", "reason": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "choose a cell or a zone." in html
    assert "enter a date and time." in html


def test_an_officer_reports_a_light_fitted(clock, lower, captain, client_for):
    response = client_for(captain).post(
        reverse("custody:cell_condition"),
        {"cell": str(lower.public_id), "tag": "lighting", "status": "working", "note": "lamp"},
    )
    assert response.status_code == 302
    assert CellFeature.objects.get(cell=lower, tag="lighting").status == "working"


def test_who_sees_which_forms(clock, site, officer, visits_clerk, supervisor, client_for):
    officer_page = client_for(officer).get(PAGE).content.decode()
    assert 'data-testid="door-form"' in officer_page
    assert 'data-testid="grant-form"' not in officer_page
    assert 'data-testid="grant-form"' in client_for(supervisor).get(PAGE).content.decode()
    clerk_page = client_for(visits_clerk).get(PAGE).content.decode()
    assert 'data-testid="door-form"' not in clerk_page
    assert 'data-testid="condition-form"' not in clerk_page
    assert 'data-testid="door-log"' in clerk_page
