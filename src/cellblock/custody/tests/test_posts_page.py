"""The post board page: staffed green, short red; supervisors assign and relieve."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.core.roles import Role
from cellblock.custody.models import PostAssignment
from cellblock.custody.services.posts import post_assign
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.services import post_create

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def corridor_end(site):
    return post_create(
        actor=None, facility=site.facility, code="END", name="End-of-corridor door",
        required_officers=2, cell=site.cells[1],
    )  # fmt: skip


@pytest.fixture
def officers(staff_factory):
    return [staff_factory(name, Role.OFFICER) for name in ("hiroki", "izumo")]


def _state(html, code):
    found = re.search(rf'data-post="{code}" data-state="(\w+)"', html)
    assert found, f"no row for {code}"
    return found.group(1)


def test_the_board_shows_the_shift_on_duty_and_a_short_post_in_red(
    clock, corridor_end, supervisor, client_for
):
    html = client_for(supervisor).get(reverse("custody:posts")).content.decode()
    assert "Early (06:00-14:00) · Saturday 14 March 2026" in html
    assert _state(html, "END") == "short"
    assert "Short by 2" in html
    assert 'class="row-bad"' in html


def test_a_supervisor_assigns_two_officers_and_the_post_turns_green(
    clock, corridor_end, supervisor, officers, client_for
):
    client = client_for(supervisor)
    url = reverse("custody:posts_assign", args=[corridor_end.public_id])
    form = {"date": "2026-03-14", "shift": "0"}
    html = client.post(url, {**form, "officer": "hiroki"}, **HTMX).content.decode()
    assert "Hiroki is on End-of-corridor door for Early (06:00-14:00) of 2026-03-14." in html
    assert "Short by 1" in html
    html = client.post(url, {**form, "officer": "izumo"}, **HTMX).content.decode()
    assert _state(html, "END") == "staffed"
    assert "(on END)" in html


def test_assigning_the_same_officer_twice_shows_why_beside_the_post(
    clock, corridor_end, supervisor, officers, client_for
):
    post_assign(actor=supervisor, post=corridor_end, officer=officers[0], shift_date=NOW.date(),
                shift=0)  # fmt: skip
    url = reverse("custody:posts_assign", args=[corridor_end.public_id])
    response = client_for(supervisor).post(
        url, {"date": "2026-03-14", "shift": "0", "officer": "hiroki"}
    )
    assert response.status_code == 409
    assert "Hiroki is already on End-of-corridor door" in response.content.decode()


def test_choosing_nobody_is_refused(clock, corridor_end, supervisor, client_for):
    url = reverse("custody:posts_assign", args=[corridor_end.public_id])
    response = client_for(supervisor).post(url, {"date": "2026-03-14", "shift": "0"}, **HTMX)
    assert "Officer: choose an officer." in response.content.decode()


def test_relieving_from_the_board(clock, corridor_end, supervisor, officers, client_for):
    made = post_assign(
        actor=supervisor, post=corridor_end, officer=officers[0], shift_date=NOW.date(), shift=0
    )
    client = client_for(supervisor)
    response = client.post(reverse("custody:posts_relieve", args=[made.public_id]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Hiroki relieved from End-of-corridor door." in page
    assert PostAssignment.objects.get().relieved_by == supervisor


def test_an_officer_sees_the_board_without_the_forms(
    clock, corridor_end, officer, officers, client_for
):
    client = client_for(officer)
    html = client.get(reverse("custody:posts")).content.decode()
    assert "End-of-corridor door" in html
    assert "assign-form" not in html
    url = reverse("custody:posts_assign", args=[corridor_end.public_id])
    response = client.post(url, {"date": "2026-03-14", "shift": "0", "officer": "hiroki"})
    assert response.status_code == 403


def test_another_shift_can_be_chosen(clock, corridor_end, supervisor, client_for):
    html = (
        client_for(supervisor)
        .get(reverse("custody:posts"), {"date": "2026-03-14", "shift": "2"})
        .content.decode()
    )
    assert "Night (22:00-06:00) · Saturday 14 March 2026" in html
    assert "on duty now" not in html


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_board_costs_the_same_queries_for_more_posts(
    clock, site, corridor_end, supervisor, officers, client_for
):
    client = client_for(supervisor)
    url = reverse("custody:posts")
    _count(client, url)
    few = _count(client, url)
    for n in range(3):
        post = post_create(actor=None, facility=site.facility, code=f"P{n}", name=f"Post {n}")
        post_assign(actor=supervisor, post=post, officer=officers[n % 2], shift_date=NOW.date(),
                    shift=n)  # fmt: skip
    assert _count(client, url) == few
