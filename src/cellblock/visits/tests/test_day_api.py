"""The visit-day API: the desk, the escort and the board, with who may do what."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.compliance.models import AlertEpisode
from cellblock.compliance.services import compliance_sweep
from cellblock.visits.models import VisitStatus
from cellblock.visits.tests.conftest import NOW

from .day_support import booked, guardian_of, overridden

pytestmark = pytest.mark.django_db

API = "/api/visits"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", payload or {}, content_type="application/json")


def present(visitor, number="KON-4471", kind="village_registry"):
    return {"visitor_id": str(visitor.public_id), "id_kind": kind, "id_number": number}


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake", given_name="Kakashi")


@pytest.fixture
def ino(make_visitor):
    return make_visitor("Ino", "Yamanaka", id_number="KON-4471")


@pytest.fixture
def konoha_length(site):
    """Konoha keeps visits to twenty minutes."""
    policy = site.facility.policy
    policy.visit_length_minutes = 20
    policy.save(update_fields=["visit_length_minutes"])


def test_the_clerk_checks_in_and_the_officer_runs_the_visit_to_its_end(
    site, clock, kakashi, ino, contact_room, visits_clerk, officer, supervisor, client_for,
    konoha_length,
):  # fmt: skip
    visit = booked(kakashi, [ino], room=contact_room)
    desk, floor = client_for(visits_clerk), client_for(officer)

    checked = _post(desk, f"/{visit.public_id}/check-in", {"visitors": [present(ino)]})
    assert checked.status_code == 200, checked.json()
    body = checked.json()
    assert (body["status"], body["checked_in_at"]) == ("checked_in", "2026-03-14T12:00:00Z")
    assert body["visitors"][0]["checked_in_at"] == "2026-03-14T12:00:00Z"

    item = {"description": "Bento box", "outcome": "allowed", "visitor_id": str(ino.public_id)}
    screened = _post(desk, f"/{visit.public_id}/items", item)
    assert screened.status_code == 201
    assert [(i["description"], i["outcome"]) for i in screened.json()["items"]] == [
        ("Bento box", "allowed")
    ]

    started = _post(floor, f"/{visit.public_id}/start")
    assert started.status_code == 200, started.json()
    assert (started.json()["status"], started.json()["escort"]) == ("in_progress", officer.username)
    assert started.json()["due_end_at"] == "2026-03-14T12:20:00Z"

    clock.move_to(NOW + dt.timedelta(minutes=20))
    floor = client_for(officer)
    compliance_sweep(actor=None, facility=site.facility)
    episode = AlertEpisode.objects.get(rule="visit_overrun")
    assert episode.responsible == "Escort: Olly Officer; Supervisor: Sam Supervisor"

    clock.move_to(NOW + dt.timedelta(minutes=23))
    ended = _post(floor, f"/{visit.public_id}/end")
    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["overran_minutes"]) == ("ended", 3)
    compliance_sweep(actor=None, facility=site.facility)
    episode.refresh_from_db()
    assert episode.cleared_at == NOW + dt.timedelta(minutes=23)

    out = _post(client_for(visits_clerk), f"/{visit.public_id}/check-out")
    assert out.status_code == 200
    assert out.json()["status"] == "completed"
    assert out.json()["visitors"][0]["checked_out_at"] == "2026-03-14T12:23:00Z"


def test_an_in_cell_visit_shows_its_door_events(
    site, clock, kakashi, make_visitor, commander, officer, client_for
):
    sakura = make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28))
    visit = booked(kakashi, [sakura])
    overridden(visit, commander, "minor_without_guardian", "protective_order")
    floor = client_for(officer)
    checked = _post(floor, f"/{visit.public_id}/check-in", {"visitors": [present(sakura, "S")]})
    assert checked.status_code == 200, checked.json()
    started = _post(floor, f"/{visit.public_id}/start", {"escort": officer.username})
    assert [(e["action"], e["cell"]) for e in started.json()["door_events"]] == [
        ("open", "A1-1"), ("close", "A1-1")
    ]  # fmt: skip
    assert started.json()["override"]["rules"] == ["minor_without_guardian", "protective_order"]


def test_a_document_that_does_not_match_answers_400_naming_id_number(
    site, clock, kakashi, ino, contact_room, visits_clerk, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    response = _post(
        client_for(visits_clerk), f"/{visit.public_id}/check-in",
        {"visitors": [present(ino, "KON-0000")]},
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["id_number"]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_a_minor_without_her_guardian_answers_409_visit_refused(
    site, clock, kakashi, make_visitor, contact_room, visits_clerk, client_for
):
    sakura = make_visitor("Sakura", "Haruno", born=dt.date(2009, 3, 28))
    mebuki = make_visitor("Mebuki", "Haruno", born=dt.date(1980, 5, 1))
    guardian_of(sakura, mebuki)
    visit = booked(kakashi, [sakura, mebuki], room=contact_room)
    response = _post(
        client_for(visits_clerk), f"/{visit.public_id}/check-in",
        {"visitors": [present(sakura, "S")]},
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["code"] == "visit_refused"
    assert [v["code"] for v in response.json()["extra"]["violations"]] == ["minor_without_guardian"]


def test_a_visitor_not_on_the_visit_answers_400(
    site, clock, kakashi, ino, make_visitor, contact_room, visits_clerk, client_for
):
    other = make_visitor("Shikamaru", "Nara")
    visit = booked(kakashi, [ino], room=contact_room)
    response = _post(
        client_for(visits_clerk), f"/{visit.public_id}/check-in",
        {"visitors": [present(other, "N-1")]},
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["visitors"]


def test_a_refused_item_without_a_reason_answers_400_naming_reason(
    site, clock, kakashi, ino, contact_room, visits_clerk, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    desk = client_for(visits_clerk)
    _post(desk, f"/{visit.public_id}/check-in", {"visitors": [present(ino)]})
    refused = _post(
        desk, f"/{visit.public_id}/items", {"description": "Kunai", "outcome": "refused"}
    )
    assert refused.status_code == 400
    assert list(refused.json()["extra"]["fields"]) == ["reason"]
    kept = _post(
        desk, f"/{visit.public_id}/items",
        {"description": "Kunai", "outcome": "confiscated", "reason": "A weapon."},
    )  # fmt: skip
    assert kept.status_code == 201
    assert kept.json()["items"][0]["reason"] == "A weapon."


def test_steps_out_of_order_answer_409_with_the_status_needed(
    site, clock, kakashi, ino, contact_room, officer, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    floor = client_for(officer)
    for step, code in (
        ("start", "visit_not_checked_in"), ("end", "visit_not_in_progress"),
        ("check-out", "visit_not_ended"),
    ):  # fmt: skip
        response = _post(floor, f"/{visit.public_id}/{step}")
        assert response.status_code == 409
        assert response.json()["code"] == code
        assert response.json()["extra"]["status"] == "scheduled"


def test_an_unknown_escort_answers_400(
    site, clock, kakashi, ino, contact_room, officer, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    floor = client_for(officer)
    _post(floor, f"/{visit.public_id}/check-in", {"visitors": [present(ino)]})
    response = _post(floor, f"/{visit.public_id}/start", {"escort": "nobody"})
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["escort"]


def test_the_auditor_reads_but_may_not_write(
    site, clock, kakashi, ino, contact_room, auditor, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    reader = client_for(auditor)
    for step in ("check-in", "items", "start", "end", "check-out", "no-show"):
        response = _post(reader, f"/{visit.public_id}/{step}", {"visitors": [present(ino)]})
        assert response.status_code == 403, step
        assert response.json()["code"] == "missing_role"
    board = reader.get(f"{API}/board")
    assert board.status_code == 200
    assert [v["id"] for v in board.json()["upcoming"]] == [str(visit.public_id)]


def test_an_outsider_finds_neither_the_visit_nor_the_board(
    site, clock, kakashi, ino, contact_room, outsider, client_for
):
    visit = booked(kakashi, [ino], room=contact_room)
    stranger = client_for(outsider)
    for step in ("check-in", "start", "end", "check-out", "no-show"):
        response = _post(stranger, f"/{visit.public_id}/{step}", {"visitors": [present(ino)]})
        assert response.status_code == 404, step
    board = stranger.get(f"{API}/board", {"facility": str(site.facility.public_id)})
    assert board.status_code == 404


def test_a_no_show_through_the_api(site, clock, kakashi, ino, contact_room, officer, client_for):
    visit = booked(kakashi, [ino], room=contact_room, starts_at=NOW - dt.timedelta(minutes=5))
    response = _post(client_for(officer), f"/{visit.public_id}/no-show")
    assert response.status_code == 200
    assert response.json()["status"] == "no_show"


# --- The board --------------------------------------------------------------------------------


def test_the_board_shows_the_desk_the_timer_and_the_rest_of_the_day(
    site, clock, hold, make_visitor, contact_room, booths, visits_clerk, officer, client_for,
    konoha_length,
):  # fmt: skip
    clock.move_to(NOW - dt.timedelta(days=1))
    kakashi = hold("Hatake", given_name="Kakashi")
    naruto = hold("Uzumaki", given_name="Naruto")
    sasuke = hold("Uchiha", given_name="Sasuke")
    ino, hinata, sai = (
        make_visitor("Ino", "Yamanaka", id_number="I"),
        make_visitor("Hinata", "Hyuga", id_number="H"),
        make_visitor("Sai", "Yamanaka", id_number="S"),
    )
    running = booked(kakashi, [ino], room=contact_room, starts_at=NOW - dt.timedelta(minutes=25))
    waiting = booked(naruto, [hinata], room=contact_room, starts_at=NOW + dt.timedelta(minutes=30))
    later = booked(sasuke, [sai], room=booths, starts_at=NOW + dt.timedelta(hours=4))
    tomorrow = booked(
        sasuke, [sai], room=booths, starts_at=NOW + dt.timedelta(days=1), listed=False
    )
    clock.move_to(NOW - dt.timedelta(minutes=25))
    desk, floor = client_for(visits_clerk), client_for(officer)
    _post(desk, f"/{running.public_id}/check-in", {"visitors": [present(ino, "I")]})
    assert _post(floor, f"/{running.public_id}/start").status_code == 200
    clock.move_to(NOW)
    desk = client_for(visits_clerk)
    checked = _post(desk, f"/{waiting.public_id}/check-in", {"visitors": [present(hinata, "H")]})
    assert checked.status_code == 200, checked.json()

    board = desk.get(f"{API}/board").json()
    assert board["at"] == "2026-03-14T12:00:00Z"
    assert [v["id"] for v in board["checked_in"]] == [str(waiting.public_id)]
    (timer,) = board["in_progress"]
    assert timer["visit"]["id"] == str(running.public_id)
    # Twenty minutes from 11:35: over by five minutes.
    assert (timer["seconds_left"], timer["overrun"]) == (-300, True)
    assert timer["visit"]["overran_minutes"] == 5
    assert [v["id"] for v in board["upcoming"]] == [str(later.public_id)]
    assert str(tomorrow.public_id) not in str(board)
    assert board["ended"] == []


def test_the_board_reads_in_the_same_queries_for_one_visit_or_many(
    site, clock, hold, make_visitor, contact_room, booths, legal_room, visits_clerk,
    django_assert_num_queries,
):  # fmt: skip
    from cellblock.visits.selectors.day import visit_day_board

    kakashi = hold("Hatake")
    booked(kakashi, [make_visitor("Ino", "Yamanaka")], room=contact_room)
    with django_assert_num_queries(4):
        board = visit_day_board(site.facility, NOW)
    assert len(board.upcoming) == 1
    for n, room in enumerate((contact_room, booths, legal_room, booths)):
        person = hold(f"Genin{n}", given_name="Extra", housed=False)
        visit = booked(
            person, [make_visitor(f"Guest{n}", "Visitor")], room=room,
            starts_at=NOW + dt.timedelta(hours=n + 1),
        )  # fmt: skip
        if n == 0:
            visit.status, visit.started_at = VisitStatus.IN_PROGRESS, NOW
            visit.save(update_fields=["status", "started_at"])
    with django_assert_num_queries(4):
        board = visit_day_board(site.facility, NOW)
    assert (len(board.upcoming), len(board.in_progress)) == (4, 1)
