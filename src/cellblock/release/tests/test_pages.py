"""The release pages: the board with its alerts (time travel), a booking's release page, returns.

The board shows who is due today, this week, overdue (red) and early, and
who is away; a booking's release page starts a release with the fields its
kind needs, works through the checklist step by step, refuses to complete
while a step is open (naming it) or before the date without the commander's
override, and brings back someone away.  Query counts stay fixed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.models import BookingStatus
from cellblock.core import clock as core_clock
from cellblock.housing.models import BedAssignment
from cellblock.medical.models import DischargeNote
from cellblock.release.models import Release, ReleaseKind, ReleaseStatus, ReleaseStepCode
from cellblock.release.services import releases

from .conftest import (
    DISCHARGE_TEXT,
    NOW,
    TODAY,
    dated,
    gear,
    in_custody,
    pending,
    sentenced,
    warrant,
    work_checklist,
)

pytestmark = pytest.mark.django_db

BOARD = reverse("release:board")


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


def page_url(booking) -> str:
    return reverse("release:booking", args=[booking.booking_number])


def section(body: str, testid: str) -> str:
    return body[body.index(f'data-testid="{testid}"') :].split("</section>")[0]


def start(booking, actor, kind=ReleaseKind.TIME_SERVED, **more) -> Release:
    return releases.release_start(actor=actor, booking=booking, kind=kind, **more)


# --- The board ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["officer", "supervisor", "booking_clerk", "court_clerk", "auditor", "commander"]
)
def test_the_board_opens_for_every_custody_role(persona, request, clock, kakashi, client_for):
    dated(kakashi, TODAY)
    response = client_for(request.getfixturevalue(persona)).get(BOARD)
    assert response.status_code == 200
    assert "Kakashi Hatake" in section(response.content.decode(), "board-due-today")


def test_the_administrator_gets_no_board(clock, admin_user, client_for):
    assert client_for(admin_user).get(BOARD).status_code == 403


def test_a_release_date_passes_from_this_week_to_today_to_overdue_in_red(
    clock, kakashi, commander, client_for
):
    dated(kakashi, TODAY + dt.timedelta(days=1))
    body = client_for(commander).get(BOARD).content.decode()
    assert "Kakashi Hatake" in section(body, "board-due-soon")
    assert 'data-testid="overdue-alert"' not in body

    clock.move_to(NOW + dt.timedelta(days=1))
    body = client_for(commander).get(BOARD).content.decode()
    assert "Kakashi Hatake" in section(body, "board-due-today")

    clock.move_to(NOW + dt.timedelta(days=3))
    response = client_for(commander).get(BOARD)
    body = response.content.decode()
    overdue = section(body, "board-overdue")
    assert f'class="row-bad" data-booking="{kakashi.booking_number}"' in overdue
    assert "2 days past" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", overdue))
    assert 'data-testid="overdue-alert"' in overdue
    assert '<span class="num" data-testid="overdue-count">1</span>' in body


def test_someone_held_on_a_warrant_past_the_date_is_not_overdue(
    clock, kakashi, commander, client_for
):
    dated(kakashi, TODAY - dt.timedelta(days=1))
    warrant(kakashi)
    body = client_for(commander).get(BOARD).content.decode()
    assert "Kakashi Hatake" not in section(body, "board-overdue")


def test_a_release_for_time_served_prepared_before_the_date_is_early(
    clock, kakashi, supervisor, client_for
):
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=3))
    start(kakashi, supervisor)
    body = client_for(supervisor).get(BOARD).content.decode()
    early = section(body, "board-early")
    assert kakashi.booking_number in early
    assert "3 days early" in early


def test_the_board_polls_for_its_part_only(clock, kakashi, officer, client_for):
    dated(kakashi, TODAY)
    response = client_for(officer).get(f"{BOARD}?poll=1", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="release-board"')
    assert "<html" not in body


def test_the_board_costs_the_same_queries_for_one_person_or_many(
    clock, kakashi, hold, supervisor, client_for
):
    dated(kakashi, TODAY)
    client = client_for(supervisor)
    client.get(BOARD)
    one = queries(client, BOARD)
    naruto = in_custody(hold("Uzumaki", given_name="Naruto"))
    sasuke = in_custody(hold("Uchiha", given_name="Sasuke"))
    sentenced(naruto, release_on=TODAY + dt.timedelta(days=2), docket="CR-2")
    start(naruto, supervisor)
    dated(sasuke, TODAY - dt.timedelta(days=4))
    pending(sasuke)
    assert queries(client, BOARD) == one


# --- Starting a release ---------------------------------------------------------------------


def test_the_start_form_offers_an_assignment_to_the_commander_only(
    clock, kakashi, commander, supervisor, client_for
):
    assert 'value="assignment"' in client_for(commander).get(page_url(kakashi)).content.decode()
    assert (
        'value="assignment"' not in client_for(supervisor).get(page_url(kakashi)).content.decode()
    )


def test_the_kind_select_asks_for_its_own_fields(clock, kakashi, commander, client_for):
    response = client_for(commander).get(
        f"{page_url(kakashi)}?part=start&kind=furlough", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="start-fields"')
    assert 'data-for="furlough"' in body
    assert 'data-for="assignment"' not in body
    assert "The checklist: No open holds" in text(response)


def test_the_commander_starts_a_release_to_an_assignment(clock, kakashi, commander, client_for):
    response = client_for(commander).post(
        reverse("release:start", args=[kakashi.booking_number]),
        {
            "kind": "assignment", "assignment_rank": "Beyond S-rank",
            "conditions": "Report to the Hokage on return", "authority": "Hokage's order",
        },
    )  # fmt: skip
    assert response.status_code == 302
    release = Release.objects.get(booking=kakashi)
    assert (release.kind, release.assignment_rank, release.authorised_by) == (
        "assignment", "Beyond S-rank", commander,
    )  # fmt: skip
    assert release.expected_return_at is None


def test_an_assignment_without_its_rank_is_refused_beside_the_field(
    clock, kakashi, commander, client_for
):
    response = client_for(commander).post(
        reverse("release:start", args=[kakashi.booking_number]), {"kind": "assignment"}
    )
    assert response.status_code == 400
    assert 'data-testid="error-assignment_rank"' in response.content.decode()
    assert not Release.objects.exists()


def test_a_supervisor_may_not_release_to_an_assignment(clock, kakashi, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("release:start", args=[kakashi.booking_number]),
        {"kind": "assignment", "assignment_rank": "S-rank"},
    )
    assert response.status_code == 403
    assert not Release.objects.exists()


def test_an_officer_sees_the_page_but_starts_nothing(clock, kakashi, officer, client_for):
    body = client_for(officer).get(page_url(kakashi)).content.decode()
    assert 'data-testid="start-form"' not in body
    response = client_for(officer).post(
        reverse("release:start", args=[kakashi.booking_number]), {"kind": "bail"}
    )
    assert response.status_code == 403


def test_a_furlough_takes_its_return_time_in_the_facility_clock(
    clock, kakashi, supervisor, client_for
):
    client_for(supervisor).post(
        reverse("release:start", args=[kakashi.booking_number]),
        {"kind": "furlough", "furlough_return_at": "2026-03-16T18:00", "reason": "Funeral"},
    )
    release = Release.objects.get(booking=kakashi)
    assert release.expected_return_at == dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC)


# --- The checklist ------------------------------------------------------------------------------


def test_completing_with_open_steps_is_refused_naming_each_step(
    clock, kakashi, supervisor, client_for
):
    sentenced(kakashi, release_on=TODAY)
    release = start(kakashi, supervisor)
    response = client_for(supervisor).post(reverse("release:complete", args=[release.public_id]))
    assert response.status_code == 409
    body = response.content.decode()
    refusal = text(response)
    assert "The release checklist is not complete: Property returned and signed for" in refusal
    for label in ("Money returned", "Medical discharge note", "Upcoming visits cancelled"):
        assert label in refusal
    assert 'data-code="release_checklist_incomplete"' in body
    assert 'data-step="property_returned" data-done="no"' in body
    assert "is-refused" in body
    kakashi.refresh_from_db()
    assert kakashi.status == BookingStatus.IN_CUSTODY


def test_a_hold_names_itself_in_the_refusal_and_on_its_step(
    clock, kakashi, supervisor, medic, client_for
):
    sentenced(kakashi, release_on=TODAY)
    warrant(kakashi, reference="W-4471")
    release = work_checklist(start(kakashi, supervisor), by=supervisor, medic=medic)
    response = client_for(supervisor).post(reverse("release:complete", args=[release.public_id]))
    assert response.status_code == 409
    assert "W-4471" in text(response)
    holds_step = response.content.decode().split('data-step="holds_clear"')[1].split("</li>")[0]
    assert "W-4471" in holds_step


def test_the_steps_are_worked_through_the_page_and_the_release_completes(
    clock, kakashi, supervisor, officer, medic, client_for
):
    gear(kakashi, cash="120.00")
    sentenced(kakashi, release_on=TODAY)
    release = start(kakashi, supervisor)
    desk = client_for(officer)
    body = desk.get(page_url(kakashi)).content.decode()
    assert 'data-testid="needs-medic"' in body  # the discharge note is a medic's
    assert 'value="120.00"' in body  # the cash on record

    refused = desk.post(reverse("release:step_property", args=[release.public_id]), {})
    assert refused.status_code == 400
    assert 'data-testid="error-signed"' in refused.content.decode()
    desk.post(reverse("release:step_property", args=[release.public_id]), {"signed": "1"})
    desk.post(reverse("release:step_money", args=[release.public_id]), {"amount": "120.00"})
    desk.post(reverse("release:step_visits", args=[release.public_id]))
    assert desk.post(reverse("release:step_medical", args=[release.public_id])).status_code == 403
    client_for(medic).post(
        reverse("release:step_medical", args=[release.public_id]), {"text": DISCHARGE_TEXT}
    )
    assert DischargeNote.objects.get(booking=kakashi).text == DISCHARGE_TEXT
    page = desk.get(page_url(kakashi))
    assert 'data-testid="checklist-count">5 of 5 done' in page.content.decode()
    assert DISCHARGE_TEXT not in page.content.decode()  # clinical text stays with medical

    desk_of_supervisor = client_for(supervisor)
    response = desk_of_supervisor.post(reverse("release:complete", args=[release.public_id]))
    assert response.status_code == 302
    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == (BookingStatus.RELEASED, "time_served")
    assert not BedAssignment.objects.filter(booking=kakashi, ended_at__isnull=True).exists()
    after = desk_of_supervisor.get(page_url(kakashi))
    assert "released: time served" in text(after)
    assert 'data-testid="completed"' in after.content.decode()


def test_an_early_release_is_refused_and_only_the_commander_overrides_it(
    clock, kakashi, supervisor, commander, medic, client_for
):
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=5))
    release = work_checklist(start(kakashi, supervisor), by=supervisor, medic=medic)
    url = reverse("release:complete", args=[release.public_id])

    refused = client_for(supervisor).post(url)
    assert refused.status_code == 409
    assert "5 days early. Only the commander may release early, with a reason." in text(refused)
    assert 'data-testid="override-reason"' not in refused.content.decode()
    forbidden = client_for(supervisor).post(url, {"override_reason": "Good conduct"})
    assert forbidden.status_code == 403

    page = client_for(commander).get(page_url(kakashi)).content.decode()
    assert 'data-testid="early-warning"' in page
    assert 'data-testid="override-reason"' in page
    done = client_for(commander).post(url, {"override_reason": "Pardon by the Hokage"})
    assert done.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.early_override_by) == (ReleaseStatus.COMPLETED, commander)


def test_a_release_is_called_off_with_a_reason(clock, kakashi, supervisor, client_for):
    release = start(kakashi, supervisor, kind=ReleaseKind.BAIL)
    client = client_for(supervisor)
    refused = client.post(reverse("release:cancel", args=[release.public_id]), {"reason": ""})
    assert refused.status_code == 400
    client.post(reverse("release:cancel", args=[release.public_id]), {"reason": "Bond bounced"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.CANCELLED
    assert 'data-testid="start-form"' in client.get(page_url(kakashi)).content.decode()


# --- Away and back ------------------------------------------------------------------------------


def test_someone_on_furlough_is_away_on_the_board_and_comes_back_from_it(
    clock, kakashi, supervisor, officer, medic, client_for
):
    release = start(
        kakashi, supervisor, kind=ReleaseKind.FURLOUGH, reason="Funeral",
        expected_return_at=NOW + dt.timedelta(hours=8),
    )  # fmt: skip
    work_checklist(release, by=supervisor, medic=medic)
    client_for(supervisor).post(reverse("release:complete", args=[release.public_id]))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.AWAY
    assert BedAssignment.objects.filter(booking=kakashi, ended_at__isnull=True).exists()

    body = client_for(officer).get(BOARD).content.decode()
    away = section(body, "board-away")
    assert kakashi.booking_number in away
    assert 'data-testid="return-form"' in away

    response = client_for(officer).post(
        reverse("release:return", args=[release.public_id]), {"next": BOARD}
    )
    assert response.status_code == 302
    assert response.url == BOARD
    release.refresh_from_db()
    assert release.status == ReleaseStatus.RETURNED
    movement = release.movement
    assert movement is not None
    movement.refresh_from_db()
    assert movement.returned_at is not None


def test_someone_late_back_is_red_among_the_away(clock, kakashi, supervisor, medic, client_for):
    release = start(
        kakashi,
        supervisor,
        kind=ReleaseKind.FURLOUGH,
        expected_return_at=NOW + dt.timedelta(hours=2),
    )
    work_checklist(release, by=supervisor, medic=medic)
    releases.release_complete(actor=supervisor, release=release)
    clock.move_to(NOW + dt.timedelta(days=1, hours=3))
    away = section(client_for(supervisor).get(BOARD).content.decode(), "board-away")
    assert f'class="row-bad" data-booking="{kakashi.booking_number}"' in away


# --- The profile ---------------------------------------------------------------------------------


def test_the_profile_shows_the_release_after_custody_with_its_checklist(
    clock, kakashi, supervisor, officer, client_for
):
    warrant(kakashi, reference="W-4471")
    start(kakashi, supervisor, kind=ReleaseKind.BAIL)
    body = client_for(officer).get(reverse("booking:profile", args=[kakashi.booking_number]))
    html = body.content.decode()
    keys = re.findall(r'data-section="(\w+)"', html)
    assert keys[keys.index("custody") + 1] == "release"
    part = html[html.index('data-section="release"') :].split("</section>")[0]
    assert "Bail or bond" in part
    assert f'data-step="{ReleaseStepCode.HOLDS_CLEAR}"' in part
    assert "W-4471" in part


def test_the_release_page_costs_the_same_queries_with_more_done(
    clock, kakashi, supervisor, make_visitor, client_for
):
    gear(kakashi)
    sentenced(kakashi, release_on=TODAY)
    release = start(kakashi, supervisor)
    client = client_for(supervisor)
    client.get(page_url(kakashi))
    one = queries(client, page_url(kakashi))
    gear(kakashi, cash="5.00")
    warrant(kakashi)
    pending(kakashi)
    client.post(reverse("release:step_visits", args=[release.public_id]))
    client.get(page_url(kakashi))  # shows the step's message once
    assert queries(client, page_url(kakashi)) == one


def test_a_booking_of_another_facility_is_not_found(clock, kakashi, outsider, client_for):
    assert client_for(outsider).get(page_url(kakashi)).status_code == 404
    assert core_clock.now() == NOW


def test_an_escape_is_recorded_at_once_with_its_reason(clock, kakashi, supervisor, client_for):
    client = client_for(supervisor)
    refused = client.post(
        reverse("release:start", args=[kakashi.booking_number]), {"kind": "escape"}
    )
    assert refused.status_code == 400
    assert "Reason" in text(refused)
    done = client.post(
        reverse("release:start", args=[kakashi.booking_number]),
        {"kind": "escape", "reason": "Substitution jutsu at the evening count"},
    )
    assert done.status_code == 302
    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == (BookingStatus.RELEASED, "escape")
    page = client.get(page_url(kakashi))
    assert "Escape of Kakashi Hatake recorded; the booking is closed." in text(page)
    assert 'data-testid="start-form"' not in page.content.decode()
