"""The audit trail in the Django admin: superusers read it; nobody changes it there."""

from __future__ import annotations

import pytest

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def root(site):
    return User.objects.create_superuser("root_admin", "root@example.org", "x" * 16, full_name="R")


def test_a_superuser_lists_and_opens_events_read_only(root, client):
    client.force_login(root)
    event = AuditEvent.objects.latest("seq")

    listing = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{event.pk}/change/")

    assert listing.status_code == 200
    assert event.action.encode() in listing.content
    assert b"delete_selected" not in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content


def test_the_admin_offers_no_add_change_or_delete(root, client):
    client.force_login(root)
    event = AuditEvent.objects.latest("seq")

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{event.pk}/delete/").status_code == 403
    response = client.post(f"{CHANGELIST}{event.pk}/change/", {"reason": "edited"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason


def test_staff_roles_do_not_see_the_trail_in_the_admin(auditor, client_for):
    response = client_for(auditor).get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
