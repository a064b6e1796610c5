"""The restraints page: the board's countdown, one-click checks, applying and removing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cellblock.core.roles import Role
from cellblock.custody.models import Restraint
from cellblock.custody.services.restraints import restraint_apply, restraint_remove
from cellblock.incidents.models import Incident

pytestmark = pytest.mark.django_db

PAGE = "/custody/restraints/"


@pytest.fixture
def sasuke(clock, hold):
    return hold("Uchiha", given_name="Sasuke", born=None)


def _bind(officer, booking, **more):
    values = {"kind": "wrist_bindings", "purpose": "safety", "reason": "attacked a medic"}
    return restraint_apply(actor=officer, booking=booking, **{**values, **more})


def _row(html, restraint):
    start = html.index(f'data-restraint="{restraint.public_id}"')
    return html[start : html.index("</tr>", start)]


def test_the_page_is_named_custody_restraints():
    assert reverse("custody:restraints") == PAGE


@pytest.mark.parametrize(
    ("minutes", "state", "shown"),
    [(14, "ok", "In 1 min"), (15, "due", "Due now"), (16, "overdue", "Overdue 1 min")],
)
def test_the_board_counts_down_to_the_next_check_and_turns_red_when_late(
    sasuke, officer, client_for, clock, minutes, state, shown
):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=minutes))
    html = client_for(officer).get(PAGE).content.decode()
    row = _row(html, bindings)
    assert f'data-state="{state}"' in row
    assert shown in row
    assert ("row-bad" in html[: html.index(f'data-restraint="{bindings.public_id}"')][-80:]) is (
        state == "overdue"
    )
    assert "no authority: emergency" in row


def test_restraints_left_on_for_days_read_in_days_with_the_day_they_were_applied(
    sasuke, officer, client_for, clock
):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(days=3, minutes=5))
    row = _row(client_for(officer).get(PAGE).content.decode(), bindings)
    assert "On for <strong>3 days</strong>" in row
    # The first check fell due 15 minutes after they were applied.
    assert "Overdue 2 days 23 h</span>" in row
    applied = bindings.applied_at.astimezone(dt.UTC)
    assert f"Applied {applied:%-d %b %H:%M} by" in row


def test_check_done_is_one_click_and_the_board_comes_back(sasuke, officer, client_for, clock):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=16))
    response = client_for(officer).post(
        reverse("custody:restraint_check", args=[bindings.public_id]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel restraint-board"')
    assert "In 15 min" in _row(html, bindings)
    assert bindings.checks.get().checked_by == officer


def test_without_scripts_a_check_redirects_with_the_next_time(sasuke, officer, client_for):
    bindings = _bind(officer, sasuke)
    client = client_for(officer)
    response = client.post(reverse("custody:restraint_check", args=[bindings.public_id]))
    assert response.status_code == 302
    assert "the next is due at 12:15" in client.get(PAGE).content.decode()


def test_an_officer_applies_a_restraint_from_the_form(
    sasuke, officer, supervisor, staff_factory, client_for
):
    staff_factory("hiroki", Role.OFFICER)
    client = client_for(officer)
    form = client.get(PAGE).content.decode()
    assert 'value="discipline"' not in form
    response = client.post(
        reverse("custody:restraint_apply"),
        {"booking": sasuke.booking_number, "kind": "handcuffs", "purpose": "transport",
         "reason": "escort to court", "assisted_by": "hiroki",
         "authorised_by": supervisor.username},
    )  # fmt: skip
    assert response.status_code == 302
    cuffs = Restraint.objects.get()
    assert cuffs.assisted_by is not None
    assert (cuffs.assisted_by.username, cuffs.authorised_by) == ("hiroki", supervisor)
    assert "Handcuffs on Sasuke Uchiha: the first check is due at 12:15." in (
        client.get(PAGE).content.decode()
    )


def test_a_punishment_sent_anyway_is_refused_with_the_rule(sasuke, officer, client_for):
    response = client_for(officer).post(
        reverse("custody:restraint_apply"),
        {"booking": sasuke.booking_number, "kind": "chains", "purpose": "discipline",
         "reason": "talked back"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "Mandela Rule 43(2)" in response.content.decode()
    assert not Restraint.objects.exists()


def test_the_form_names_what_is_wrong(sasuke, officer, client_for):
    unknown = client_for(officer).post(
        reverse("custody:restraint_apply"),
        {"booking": "TST-2026-424242", "kind": "chains", "purpose": "safety", "reason": "x"},
    )
    assert unknown.status_code == 400
    assert "is not a booking held here." in unknown.content.decode()
    no_reason = client_for(officer).post(
        reverse("custody:restraint_apply"),
        {"booking": sasuke.booking_number, "kind": "chains", "purpose": "safety", "reason": ""},
    )
    assert no_reason.status_code == 400
    assert "is required: say why the restraint is needed." in no_reason.content.decode()


def test_a_removal_without_authority_waits_for_a_supervisors_review(
    sasuke, officer, staff_factory, supervisor, client_for
):
    sakura = staff_factory("sakura", Role.MEDICAL)
    bindings = _bind(officer, sasuke)
    client = client_for(sakura)
    assert "No one: remove without authority" in client.get(PAGE).content.decode()
    response = client.post(
        reverse("custody:restraint_remove", args=[bindings.public_id]),
        {"authorised_by": "", "note": "to treat his wrists"},
    )
    assert response.status_code == 302
    html = client.get(PAGE).content.decode()
    assert "incident TST-INC-2026-0001 opened" in html
    assert 'data-testid="removals-awaiting-review"' in html
    assert "Reviewed</button>" not in html  # a medic cannot review
    boss = client_for(supervisor)
    assert "Reviewed</button>" in boss.get(PAGE).content.decode()
    boss.post(reverse("custody:restraint_review", args=[bindings.public_id]), {"note": "talked"})
    assert 'data-testid="removals-awaiting-review"' not in boss.get(PAGE).content.decode()
    assert Incident.objects.get().reviewed_by == supervisor


def test_supervisors_and_medics_see_their_own_side_of_the_extension(
    sasuke, officer, supervisor, medic, client_for
):
    _bind(officer, sasuke)
    boss = client_for(supervisor).get(PAGE).content.decode()
    assert 'value="supervisor"' in boss
    assert 'name="side" value="medic"' not in boss
    doctor = client_for(medic).get(PAGE).content.decode()
    assert 'name="side" value="medic"' in doctor
    assert "Check done" not in doctor


def test_a_visits_clerk_reads_the_board_and_an_administrator_cannot(
    sasuke, officer, visits_clerk, admin_user, client_for
):
    _bind(officer, sasuke)
    html = client_for(visits_clerk).get(PAGE).content.decode()
    assert "Sasuke Uchiha" in html
    assert "Check done" not in html
    assert "Apply a restraint" not in html
    assert client_for(admin_user).get(PAGE).status_code == 403


def test_the_page_reads_in_the_same_queries_for_one_or_many(
    hold, clock, officer, supervisor, client_for, django_assert_max_num_queries
):
    client = client_for(officer)
    first = hold("First", given_name="One")
    _bind(officer, first)
    client.get(PAGE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    for n in range(3):
        booking = hold(f"More{n}", given_name="Someone")
        restraint_remove(actor=supervisor, restraint=_bind(officer, booking, kind="chains"))
        _bind(officer, booking)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(PAGE).status_code == 200


def test_medicals_restraint_limit_shows_beside_the_person_bound(
    hold, clock, officer, medic, client_for
):
    from cellblock.medical.services.care_alerts import care_alert_set

    booking = hold("Uchiha", given_name="Sasuke")
    care_alert_set(
        actor=medic, booking=booking, kind="restraint_limit",
        instruction="No restraints on the left arm.",
    )  # fmt: skip
    _bind(officer, booking)
    page = client_for(officer).get(PAGE).content.decode()
    row = page[page.index(f'data-booking="{booking.booking_number}"') :].split("</tr>")[0]
    assert "No restraints on the left arm." in row
