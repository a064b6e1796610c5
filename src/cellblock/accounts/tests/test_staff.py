import pytest

from cellblock.accounts.models import User
from cellblock.accounts.services import api_token_create
from cellblock.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_STAFF = {
    "username": "new_officer",
    "full_name": "New Officer",
    "password": "a long enough passphrase 42",
    "roles": ["officer"],
}


def _post(client, url, payload):
    return client.post(url, payload, content_type="application/json")


def test_an_administrator_adds_a_member_of_staff_with_their_roles(site, admin_user, client_for):
    response = _post(
        client_for(admin_user),
        "/api/accounts/staff",
        {**NEW_STAFF, "facility": str(site.facility.public_id)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "active"
    assert [r["role"] for r in body["roles"]] == ["officer"]
    created = User.objects.get(username="new_officer")
    assert created.roles_at(site.facility.pk) == {"officer"}
    actions = set(
        AuditEvent.objects.filter(object_id=str(created.public_id)).values_list("action", flat=True)
    )
    assert actions == {"user.create", "membership.grant"}


def test_a_weak_password_is_refused_naming_the_field_and_nothing_is_created(
    site, admin_user, client_for
):
    response = _post(
        client_for(admin_user),
        "/api/accounts/staff",
        {**NEW_STAFF, "password": "short", "facility": str(site.facility.public_id)},
    )
    assert response.status_code == 400
    assert "password" in response.json()["extra"]["fields"]
    assert not User.objects.filter(username="new_officer").exists()


def test_a_supervisor_sees_the_staff_list_but_cannot_add_staff(
    site, supervisor, officer, client_for
):
    client = client_for(supervisor)
    listed = client.get("/api/accounts/staff").json()
    assert {s["username"] for s in listed} >= {"sam_supervisor", "olly_officer"}
    refused = _post(
        client, "/api/accounts/staff", {**NEW_STAFF, "facility": str(site.facility.public_id)}
    )
    assert refused.status_code == 403


def test_an_administrator_of_another_facility_cannot_touch_our_staff(
    site, officer, outsider, client_for
):
    client = client_for(outsider)
    assert officer.username not in {s["username"] for s in client.get("/api/accounts/staff").json()}
    response = _post(
        client,
        f"/api/accounts/staff/{officer.public_id}/roles",
        {"facility": str(site.facility.public_id), "role": "commander"},
    )
    assert response.status_code == 404


def test_granting_and_revoking_a_role_changes_what_the_person_may_do(
    site, admin_user, officer, client_for
):
    client = client_for(admin_user)
    url = f"/api/accounts/staff/{officer.public_id}/roles"
    granted = _post(client, url, {"facility": str(site.facility.public_id), "role": "supervisor"})
    assert granted.status_code == 200
    assert {r["role"] for r in granted.json()["roles"]} == {"officer", "supervisor"}
    revoked = _post(
        client, url + "/revoke", {"facility": str(site.facility.public_id), "role": "officer"}
    )
    assert {r["role"] for r in revoked.json()["roles"]} == {"supervisor"}


def test_a_deactivated_member_of_staff_loses_api_access_at_once(
    site, admin_user, officer, client_for
):
    raw = api_token_create(actor=officer, name="tablet").raw
    response = _post(
        client_for(admin_user),
        f"/api/accounts/staff/{officer.public_id}/active",
        {"active": False, "reason": "left the service"},
    )
    assert response.json()["state"] == "inactive"
    from django.test import Client

    me = Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 401
    event = AuditEvent.objects.filter(action="user.deactivate").get()
    assert event.reason == "left the service"


def test_an_administrator_cannot_deactivate_their_own_account(admin_user, client_for):
    response = _post(
        client_for(admin_user),
        f"/api/accounts/staff/{admin_user.public_id}/active",
        {"active": False, "reason": "oops"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "self_deactivation"


def test_the_staff_page_lists_people_and_offers_release_of_locked_accounts(
    site, admin_user, officer, client_for
):
    from cellblock.core import clock

    User.objects.filter(pk=officer.pk).update(locked_at=clock.now())
    client = client_for(admin_user)
    page = client.get("/accounts/staff/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "olly_officer" in text
    assert "Locked" in text
    released = client.post(
        f"/accounts/staff/{officer.public_id}/unlock/", {"reason": "identity checked"}
    )
    assert released.status_code == 302
    officer.refresh_from_db()
    assert officer.locked_at is None


def test_the_staff_page_adds_a_member_of_staff_from_the_form(site, admin_user, client_for):
    response = client_for(admin_user).post("/accounts/staff/", NEW_STAFF)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert User.objects.get(username="new_officer").roles_at(site.facility.pk) == {"officer"}


def test_the_staff_page_costs_the_same_queries_for_more_staff(
    site, admin_user, staff_factory, client_for, django_assert_max_num_queries
):
    client = client_for(admin_user)
    client.get("/accounts/staff/")
    with django_assert_max_num_queries(12) as few:
        client.get("/accounts/staff/")
    for n in range(8):
        staff_factory(f"extra_{n}", "officer")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/accounts/staff/")
