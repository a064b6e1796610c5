"""The sign-in page, lockout after repeated failures, release by an administrator, sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cellblock.accounts.models import User
from cellblock.accounts.services import ACCOUNT_LOCKED, account_unlock
from cellblock.audit.models import AuditEvent, Outcome
from cellblock.conftest import PASSWORD
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def sign_in(client: Client, username: str, password: str, url: str = LOGIN):
    return client.post(url, {"username": username, "password": password})


def fail(client: Client, user: User, times: int, url: str = LOGIN) -> None:
    for _ in range(times):
        response = sign_in(client, user.username, "wrong password", url)
        assert response.status_code == 200


def events(action: str, user: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(user.public_id)))


def reload(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def locked_officer(officer):
    fail(Client(), officer, 5)
    assert reload(officer).locked_at is not None
    return reload(officer)


def test_the_sign_in_page_signs_in_with_a_password_and_audits_it(officer):
    client = Client(REMOTE_ADDR="10.0.0.7")
    assert client.get(LOGIN).status_code == 200
    response = sign_in(client, officer.username, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200
    (event,) = events("auth.login", officer)
    assert event.actor == officer
    assert event.changes == {"ip": "10.0.0.7"}


def test_a_wrong_password_is_refused_and_audited_as_a_failure(officer):
    client = Client()
    response = sign_in(client, officer.username, "not the password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    (event,) = events("auth.login_failed", officer)
    assert event.outcome == Outcome.FAILED
    assert event.actor is None
    assert not events("auth.login", officer)


def test_an_unknown_username_is_audited_without_revealing_anything_on_the_page(officer):
    response = sign_in(Client(), "nobody_here", "whatever")
    assert response.status_code == 200
    assert ACCOUNT_LOCKED not in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == "nobody_here"


def test_five_failures_within_fifteen_minutes_lock_the_account(officer):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(4):
            fail(client, officer, 1)
            traveller.shift(dt.timedelta(minutes=3))
        assert reload(officer).locked_at is None
        fail(client, officer, 1)
    assert reload(officer).locked_at == START + dt.timedelta(minutes=12)
    (lock,) = events("user.lock", officer)
    assert "5 failed sign-ins within 15 minutes" in lock.reason


def test_a_locked_account_is_refused_even_with_the_right_password(locked_officer):
    client = Client()
    response = sign_in(client, locked_officer.username, PASSWORD)
    assert response.status_code == 200
    assert ACCOUNT_LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    (refused,) = events("auth.login_refused", locked_officer)
    assert refused.outcome == Outcome.DENIED
    assert not events("auth.login", locked_officer)


def test_the_fifth_failure_already_says_the_account_is_locked(officer):
    client = Client()
    fail(client, officer, 4)
    response = sign_in(client, officer.username, "wrong again")
    assert ACCOUNT_LOCKED in response.content.decode()


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(officer):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        fail(client, officer, 4)
        traveller.shift(dt.timedelta(minutes=16))
        fail(client, officer, 1)
        assert reload(officer).locked_at is None
        assert sign_in(client, officer.username, PASSWORD).status_code == 302
    assert not events("user.lock", officer)


def test_a_locked_account_loses_the_session_it_already_had(officer, client_for):
    client = client_for(officer)
    assert client.get(reverse("core:dashboard")).status_code == 200
    fail(Client(), officer, 5)
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_an_administrator_releases_a_locked_account_with_a_reason(locked_officer, admin_user):
    account_unlock(actor=admin_user, user=locked_officer, reason="Called the officer back")
    assert reload(locked_officer).locked_at is None
    (unlock,) = events("user.unlock", locked_officer)
    assert unlock.actor == admin_user
    assert unlock.reason == "Called the officer back"
    assert sign_in(Client(), locked_officer.username, PASSWORD).status_code == 302


def test_releasing_an_account_needs_a_reason(locked_officer, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        account_unlock(actor=admin_user, user=locked_officer, reason="  ")
    assert "reason" in refused.value.extra["fields"]


def test_an_officer_cannot_release_a_locked_account(locked_officer, supervisor):
    with pytest.raises(PermissionDenied):
        account_unlock(actor=supervisor, user=locked_officer, reason="I know him")
    assert reload(locked_officer).locked_at is not None


def test_an_administrator_of_another_facility_cannot_release_the_account(locked_officer, outsider):
    with pytest.raises(PermissionDenied):
        account_unlock(actor=outsider, user=locked_officer, reason="Not mine to release")


def test_releasing_an_account_that_is_not_locked_is_a_conflict(officer, admin_user):
    with pytest.raises(Conflict):
        account_unlock(actor=admin_user, user=officer, reason="Just in case")


def test_an_administrator_releases_a_locked_account_through_the_api(
    locked_officer, admin_user, client_for
):
    response = client_for(admin_user).post(
        f"/api/accounts/users/{locked_officer.public_id}/unlock",
        {"reason": "Identity confirmed by phone"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["username"] == locked_officer.username
    assert reload(locked_officer).locked_at is None
    assert events("user.unlock", locked_officer)[0].reason == "Identity confirmed by phone"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 403), ("officer", 403), ("outsider", 404)],
)
def test_only_an_administrator_of_the_account_releases_it_through_the_api(
    locked_officer, persona, status, request, client_for
):
    if persona == "officer":
        caller = request.getfixturevalue("staff_factory")("other_officer", "officer")
    else:
        caller = request.getfixturevalue(persona)
    response = client_for(caller).post(
        f"/api/accounts/users/{locked_officer.public_id}/unlock",
        {"reason": "Please"},
        content_type="application/json",
    )
    assert response.status_code == status
    assert set(response.json()) == {"message", "code", "extra"}
    assert reload(locked_officer).locked_at is not None


def test_failures_before_a_release_do_not_count_again(officer, admin_user):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        fail(client, officer, 5)
        traveller.shift(dt.timedelta(minutes=1))
        account_unlock(actor=admin_user, user=officer, reason="Forgot the new password")
        traveller.shift(dt.timedelta(minutes=1))
        fail(client, officer, 4)
        assert reload(officer).locked_at is None
        fail(client, officer, 1)
        assert reload(officer).locked_at is not None
    assert len(events("user.lock", officer)) == 2


def test_signing_out_needs_a_post_and_is_audited(officer):
    client = Client()
    sign_in(client, officer.username, PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("core:dashboard")).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    (event,) = events("auth.logout", officer)
    assert event.actor == officer
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_signing_out_refuses_a_post_without_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert not events("auth.logout", officer)


def test_failures_on_the_admin_sign_in_page_count_towards_the_lock(officer):
    client = Client()
    fail(client, officer, 3, url="/admin/login/")
    fail(client, officer, 2)
    assert reload(officer).locked_at is not None
    assert len(events("auth.login_failed", officer)) == 5


def test_a_superuser_signing_in_to_the_admin_is_audited():
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root")
    response = sign_in(Client(), "root", PASSWORD, url="/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert len(events("auth.login", root)) == 1
