"""Personal API tokens: issued once, stored as a digest, limited to their owner's roles."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.accounts.models import ApiToken
from cellblock.accounts.services import api_token_create, api_token_revoke
from cellblock.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKENS_PAGE = reverse("accounts:tokens")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def issue(user, name="count tablet") -> str:
    return api_token_create(actor=user, name=name).raw


def me(raw: str, client: Client | None = None):
    return (client or Client()).get("/api/accounts/me", **bearer(raw))


def assert_refused(response) -> None:
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "extra"}
    assert response.json()["code"] == "not_authenticated"


def assert_not_stored(raw: str, token: ApiToken) -> None:
    for field in ApiToken._meta.concrete_fields:
        assert raw not in str(getattr(token, field.attname)), field.name
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()


def test_a_token_made_on_the_page_is_shown_once_and_stored_only_as_a_digest(officer, client_for):
    client = client_for(officer)
    response = client.post(TOKENS_PAGE, {"name": "count tablet 3"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    shown = re.search(r'data-testid="new-token">([^<]+)<', response.content.decode())
    assert shown is not None
    raw = shown[1]
    token = ApiToken.objects.get(user=officer)
    assert token.name == "count tablet 3"
    assert_not_stored(raw, token)
    assert raw not in client.get(TOKENS_PAGE).content.decode()
    (event,) = AuditEvent.objects.filter(action="apitoken.create")
    assert event.actor == officer
    assert raw not in str(event.changes) + event.object_label


def test_a_token_made_through_the_api_is_returned_once(officer, client_for):
    client = client_for(officer)
    response = client.post(
        "/api/accounts/tokens", {"name": "scanner"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    raw = response.json()["token"]
    assert raw.startswith("cbk_")
    assert_not_stored(raw, ApiToken.objects.get(public_id=response.json()["id"]))
    listed = client.get("/api/accounts/tokens").json()
    assert [t["name"] for t in listed] == ["scanner"]
    assert raw not in str(listed)


def test_a_token_with_an_expiry_in_the_past_is_refused_on_the_page(officer, client_for):
    response = client_for(officer).post(
        TOKENS_PAGE, {"name": "old", "expires_at": "2000-01-01T00:00"}
    )
    assert response.status_code == 200
    assert "must be in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_expiry_without_a_time_zone_is_refused_naming_the_field(officer, client_for):
    response = client_for(officer).post(
        "/api/accounts/tokens",
        {"name": "night shift", "expires_at": "2030-01-01T06:00:00"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["expires_at"]
    assert not ApiToken.objects.exists()


def test_a_bearer_token_signs_in_to_the_api(officer):
    raw = issue(officer)
    response = me(raw)
    assert response.status_code == 200
    assert response.json()["username"] == officer.username
    facilities = Client().get("/api/facilities/", **bearer(raw))
    assert facilities.status_code == 200
    assert len(facilities.json()) == 1


@pytest.mark.parametrize(
    "header",
    ["Bearer cbk_not-a-real-token", "Bearer ", "Basic b2xseTpwYXNz", "cbk_without_scheme"],
)
def test_a_malformed_or_unknown_token_is_refused(officer, header):
    issue(officer)
    assert_refused(Client().get("/api/accounts/me", HTTP_AUTHORIZATION=header))


def test_a_bad_token_is_refused_even_with_a_signed_in_session(officer, client_for):
    response = client_for(officer).get("/api/accounts/me", **bearer("cbk_forged"))
    assert_refused(response)


def test_a_revoked_token_is_refused(officer):
    issued = api_token_create(actor=officer, name="lost tablet")
    api_token_revoke(actor=officer, token=issued.token)
    assert_refused(me(issued.raw))
    (event,) = AuditEvent.objects.filter(action="apitoken.revoke")
    assert event.actor == officer


def test_an_expired_token_is_refused(officer):
    with time_machine.travel(START, tick=False) as clock:
        issued = api_token_create(
            actor=officer, name="day pass", expires_at=START + dt.timedelta(hours=8)
        )
        assert me(issued.raw).status_code == 200
        clock.shift(dt.timedelta(hours=8))
        assert_refused(me(issued.raw))


def test_a_locked_account_cannot_use_its_token(officer):
    raw = issue(officer)
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": officer.username, "password": "x"})
    assert_refused(me(raw))


def test_an_inactive_account_cannot_use_its_token(officer):
    raw = issue(officer)
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert_refused(me(raw))


def test_a_token_carries_only_its_owners_roles(site, officer, admin_user):
    body = {"code": "B", "name": "Block B"}
    url = f"/api/facilities/{site.facility.public_id}/zones"
    officer_call = Client().post(
        url, body, content_type="application/json", **bearer(issue(officer))
    )
    assert officer_call.status_code == 403
    assert officer_call.json()["code"] == "missing_role"
    admin_call = Client().post(
        url, body, content_type="application/json", **bearer(issue(admin_user))
    )
    assert admin_call.status_code == 201, admin_call.content


def test_bearer_requests_need_no_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/accounts/tokens",
        {"name": "second device"},
        content_type="application/json",
        **bearer(issue(officer)),
    )
    assert response.status_code == 201, response.content


def test_session_posts_to_the_api_need_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    refused = client.post("/api/accounts/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    client.get(TOKENS_PAGE)  # sets the CSRF cookie, as any page does
    accepted = client.post(
        "/api/accounts/tokens",
        {"name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201, accepted.content


def test_session_posts_to_the_tokens_page_need_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(TOKENS_PAGE, {"name": "no csrf"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(officer, django_assert_num_queries):
    issued = api_token_create(actor=officer, name="busy client")
    with time_machine.travel(START, tick=False) as clock:
        with CaptureQueriesContext(connection) as first:
            assert me(issued.raw).status_code == 200
        assert any(q["sql"].startswith("UPDATE") for q in first.captured_queries)
        issued.token.refresh_from_db()
        assert issued.token.last_used_at == START
        clock.shift(dt.timedelta(seconds=59))
        # The token (with its user) and the roles: nothing written.
        with django_assert_num_queries(len(first.captured_queries) - 1):
            assert me(issued.raw).status_code == 200
        clock.shift(dt.timedelta(seconds=2))
        me(issued.raw)
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == START + dt.timedelta(seconds=61)


def test_revoking_a_token_on_the_page_is_audited(officer, client_for):
    issued = api_token_create(actor=officer, name="old phone")
    response = client_for(officer).post(
        reverse("accounts:token_revoke", args=[issued.token.public_id])
    )
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert AuditEvent.objects.filter(action="apitoken.revoke", actor=officer).count() == 1
    assert_refused(me(issued.raw))


def test_revoking_a_token_through_the_api_needs_no_session(officer):
    issued = api_token_create(actor=officer, name="tablet")
    response = Client().post(
        f"/api/accounts/tokens/{issued.token.public_id}/revoke", **bearer(issued.raw)
    )
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    assert_refused(me(issued.raw))


def test_nobody_revokes_someone_elses_token_through_their_own_pages(
    officer, supervisor, client_for
):
    issued = api_token_create(actor=officer, name="mine")
    client = client_for(supervisor)
    page = client.post(reverse("accounts:token_revoke", args=[issued.token.public_id]))
    api = client.post(f"/api/accounts/tokens/{issued.token.public_id}/revoke")
    assert (page.status_code, api.status_code) == (404, 404)
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_the_tokens_page_shows_an_expired_token_as_expired(officer, client_for):
    import datetime as dt

    import time_machine

    from cellblock.accounts.services import api_token_create
    from cellblock.core import clock

    api_token_create(
        actor=officer, name="night tablet", expires_at=clock.now() + dt.timedelta(hours=1)
    )
    with time_machine.travel(clock.now() + dt.timedelta(hours=2)):
        page = client_for(officer).get("/accounts/tokens/")
    assert "Expired" in page.content.decode()
