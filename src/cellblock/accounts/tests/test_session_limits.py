"""CJIS session limits: locked after 30 minutes idle, ended after 12 hours regardless."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cellblock.accounts.middleware import IDLE_LOCKED, TOO_OLD
from cellblock.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("core:dashboard")
LOGIN = reverse("accounts:login")
START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
IDLE_MESSAGE = IDLE_LOCKED.format(minutes=30)
TOO_OLD_MESSAGE = TOO_OLD.format(hours=12)


def logouts(user):
    return list(AuditEvent.objects.filter(action="auth.logout", object_id=str(user.public_id)))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_page_request_after_31_idle_minutes_goes_back_to_sign_in(officer, client_for, clock):
    client = client_for(officer)
    assert client.get(DASHBOARD).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={DASHBOARD}"
    login_page = client.get(response.url)
    assert IDLE_MESSAGE in login_page.content.decode()
    (event,) = logouts(officer)
    assert event.reason == IDLE_MESSAGE
    assert event.actor == officer
    # Signed out for good, not only for one request.
    assert client.get(DASHBOARD).status_code == 302


def test_29_idle_minutes_do_not_end_the_session(officer, client_for, clock):
    client = client_for(officer)
    client.get(DASHBOARD)
    clock.shift(dt.timedelta(minutes=29))
    assert client.get(DASHBOARD).status_code == 200
    assert not logouts(officer)


def test_activity_every_20_minutes_keeps_the_session_until_12_hours(officer, client_for, clock):
    client = client_for(officer)
    for _ in range(12 * 3):  # 11 h 40 min of regular activity (API calls count), then 12 h
        assert client.get("/api/accounts/me").status_code == 200
        clock.shift(dt.timedelta(minutes=20))
    assert client.get(DASHBOARD).status_code == 200
    clock.shift(dt.timedelta(minutes=1))
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert TOO_OLD_MESSAGE in client.get(response.url).content.decode()
    (event,) = logouts(officer)
    assert event.reason == TOO_OLD_MESSAGE


def test_an_api_call_on_an_idle_session_gets_401(officer, client_for, clock):
    client = client_for(officer)
    assert client.get("/api/accounts/me").status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/api/accounts/me")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "extra"}
    assert logouts(officer)[0].reason == IDLE_MESSAGE


def test_api_calls_count_as_activity(officer, client_for, clock):
    client = client_for(officer)
    for _ in range(3):
        clock.shift(dt.timedelta(minutes=25))
        assert client.get("/api/accounts/me").status_code == 200
    assert client.get(DASHBOARD).status_code == 200


def test_a_fresh_sign_in_restarts_both_clocks(officer, client_for, clock):
    client = client_for(officer)
    clock.shift(dt.timedelta(hours=11, minutes=50))
    client = client_for(officer)
    clock.shift(dt.timedelta(minutes=20))
    assert client.get(DASHBOARD).status_code == 200


def test_a_board_refreshing_itself_does_not_keep_an_unattended_screen_open(
    officer, client_for, clock
):
    client = client_for(officer)
    assert client.get(DASHBOARD).status_code == 200
    for _ in range(6):  # a board polling every 5 minutes while nobody is at the screen
        clock.shift(dt.timedelta(minutes=5))
        assert client.get(reverse("compliance:board"), {"poll": "1"}).status_code == 200
    clock.shift(dt.timedelta(minutes=1))
    response = client.get(
        reverse("compliance:board"), {"poll": "1"}, HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/compliance/?severity=breach",
    )  # fmt: skip
    # htmx loads the sign-in page whole, coming back to the board page afterwards.
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN}?next=/compliance/%3Fseverity%3Dbreach"
    assert client.get(response["HX-Redirect"]).context["messages"]
    assert len(logouts(officer)) == 1


def test_a_person_at_the_keyboard_keeps_the_session_open(officer, client_for, clock):
    client = client_for(officer)
    for _ in range(8):
        clock.shift(dt.timedelta(minutes=5))
        assert client.get(reverse("compliance:board")).status_code == 200
    assert logouts(officer) == []
