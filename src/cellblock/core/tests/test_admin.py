import pytest

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.facilities.models import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return User.objects.create_superuser(
        "root_admin", "root@example.org", "x" * 16, full_name="Root"
    )


def test_a_zone_changed_in_the_admin_is_audited_with_the_changed_fields(site, superuser, client):
    client.force_login(superuser)
    zone = site.zone
    response = client.post(
        f"/admin/facilities/zone/{zone.pk}/change/",
        {"facility": site.facility.pk, "code": "A", "name": "Block A (renamed)", "description": ""},
    )
    assert response.status_code == 302, response.content
    assert Zone.objects.get(pk=zone.pk).name == "Block A (renamed)"
    event = AuditEvent.objects.order_by("-seq")[0]
    assert event.action == "admin.zone.change"
    assert event.actor == superuser
    assert event.changes == {"name": "Block A (renamed)"}


def test_staff_roles_do_not_open_the_admin(site, commander, client_for):
    response = client_for(commander).get("/admin/facilities/zone/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
