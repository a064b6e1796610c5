"""The posts API: the board of a shift, assignments and reliefs."""

from __future__ import annotations

import pytest

from cellblock.core.roles import Role
from cellblock.facilities.services import post_create

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", payload or {}, content_type="application/json")


@pytest.fixture
def corridor_end(site):
    return post_create(
        actor=None, facility=site.facility, code="END", name="End-of-corridor door",
        required_officers=2, cell=site.cells[1],
    )  # fmt: skip


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


def test_a_supervisor_staffs_the_corridor_end_through_the_api(
    clock, site, corridor_end, supervisor, hiroki, staff_factory, client_for
):
    izumo = staff_factory("izumo", Role.OFFICER)
    client = client_for(supervisor)
    url = f"/posts/{corridor_end.public_id}/assignments"
    first = _post(client, url, {"officer": "hiroki", "shift_date": "2026-03-14", "shift": 0})
    assert first.status_code == 201, first.content
    assert first.json()["officer"] == "hiroki"
    assert first.json()["assigned_by"] == supervisor.username
    params = {"facility": site.facility.public_id}
    board = client.get(f"{API}/posts", params).json()
    assert (board["shift_date"], board["shift"], board["shift_name"]) == (
        "2026-03-14", 0, "Early (06:00-14:00)",
    )  # fmt: skip
    assert board["staffed"] is False
    assert (board["posts"][0]["staffed"], board["posts"][0]["short_by"]) == (False, 1)
    _post(client, url, {"officer": izumo.username, "shift_date": "2026-03-14", "shift": 0})
    board = client.get(f"{API}/posts", params).json()
    assert board["staffed"] is True
    assert [o["username"] for o in board["posts"][0]["officers"]] == ["hiroki", "izumo"]


def test_relieving_through_the_api(clock, site, corridor_end, supervisor, hiroki, client_for):
    client = client_for(supervisor)
    made = _post(
        client, f"/posts/{corridor_end.public_id}/assignments",
        {"officer": "hiroki", "shift_date": "2026-03-14", "shift": 0},
    ).json()  # fmt: skip
    relieved = _post(client, f"/post-assignments/{made['id']}/relieve")
    assert relieved.status_code == 200
    assert relieved.json()["relieved_by"] == supervisor.username
    again = _post(client, f"/post-assignments/{made['id']}/relieve")
    assert again.status_code == 409
    board = client.get(f"{API}/posts", {"facility": site.facility.public_id}).json()
    assert board["posts"][0]["officers"] == []
    assert [r["username"] for r in board["posts"][0]["relieved"]] == ["hiroki"]


def test_the_same_officer_twice_is_a_409(clock, corridor_end, supervisor, hiroki, client_for):
    client = client_for(supervisor)
    url = f"/posts/{corridor_end.public_id}/assignments"
    payload = {"officer": "hiroki", "shift_date": "2026-03-14", "shift": 0}
    _post(client, url, payload)
    again = _post(client, url, payload)
    assert again.status_code == 409
    assert again.json()["code"] == "already_assigned"


def test_an_unknown_officer_is_a_400(clock, corridor_end, supervisor, client_for):
    response = _post(
        client_for(supervisor), f"/posts/{corridor_end.public_id}/assignments",
        {"officer": "nobody", "shift_date": "2026-03-14", "shift": 0},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "officer": ["no member of staff is named nobody."]
    }


def test_an_officer_may_read_the_board_but_not_assign(
    clock, site, corridor_end, officer, hiroki, client_for
):
    client = client_for(officer)
    assert client.get(f"{API}/posts", {"facility": site.facility.public_id}).status_code == 200
    response = _post(
        client, f"/posts/{corridor_end.public_id}/assignments",
        {"officer": "hiroki", "shift_date": "2026-03-14", "shift": 0},
    )  # fmt: skip
    assert response.status_code == 403


def test_another_facilitys_posts_are_not_found(clock, site, corridor_end, outsider, client_for):
    client = client_for(outsider)
    assert client.get(f"{API}/posts", {"facility": site.facility.public_id}).status_code == 404
    response = _post(
        client, f"/posts/{corridor_end.public_id}/assignments",
        {"officer": "otto_outsider", "shift_date": "2026-03-14", "shift": 0},
    )  # fmt: skip
    assert response.status_code == 404


def test_a_chosen_shift_and_its_validation(clock, site, corridor_end, officer, client_for):
    client = client_for(officer)
    facility = site.facility.public_id
    night = client.get(f"{API}/posts", {"facility": facility, "date": "2026-03-13", "shift": 2})
    assert night.json()["starts_at"] == "2026-03-13T22:00:00Z"
    assert night.json()["ends_at"] == "2026-03-14T06:00:00Z"
    half = client.get(f"{API}/posts", {"facility": facility, "date": "2026-03-13"})
    assert half.status_code == 400
    assert half.json()["extra"]["fields"] == {"shift": ["name the shift as well as the date."]}
    wrong = client.get(f"{API}/posts", {"facility": facility, "date": "2026-03-13", "shift": 5})
    assert wrong.status_code == 400
