"""Guard posts: assigning and relieving officers, the board staffed or short; case file 3 step 2."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.selectors.posts import current_shift, officers_on_duty_for, post_board
from cellblock.custody.services.posts import post_assign, post_relieve
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.services import post_create, zone_create

pytestmark = pytest.mark.django_db

DAY = NOW.date()


@pytest.fixture
def corridor_end(site):
    """The high-security cell at the end of the corridor, with its two-officer door post."""
    return post_create(
        actor=None, facility=site.facility, code="END", name="End-of-corridor door",
        required_officers=2, cell=site.cells[1],
    )  # fmt: skip


@pytest.fixture
def desk(site):
    return post_create(actor=None, facility=site.facility, code="DESK", name="Block A desk",
                       zone=site.zone)  # fmt: skip


@pytest.fixture
def officers(staff_factory):
    return [staff_factory(name, Role.OFFICER) for name in ("hiroki", "izumo", "kotetsu")]


def _row(site, post, at=NOW):
    return next(row for row in post_board(site.facility, at).rows if row.post == post)


# --- Shifts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "day", "shift"),
    [
        ((5, 59), DAY - dt.timedelta(days=1), 2),
        ((6, 0), DAY, 0),
        ((13, 59), DAY, 0),
        ((14, 0), DAY, 1),
        ((22, 0), DAY, 2),
    ],
)
def test_the_shift_on_duty_follows_the_policy_starts(site, time, day, shift):
    found = current_shift(site.facility, dt.datetime.combine(DAY, dt.time(*time), tzinfo=dt.UTC))
    assert (found.day, found.index) == (day, shift)


# --- Case file 3: the end-of-corridor post needs two officers ---------------------------


def test_the_corridor_end_post_is_short_until_two_officers_stand_it(
    clock, site, corridor_end, supervisor, officers
):
    hiroki, izumo, _ = officers
    row = _row(site, corridor_end)
    assert (row.staffed, row.short_by, row.officers) == (False, 2, [])
    post_assign(actor=supervisor, post=corridor_end, officer=hiroki, shift_date=DAY, shift=0)
    row = _row(site, corridor_end)
    assert (row.staffed, row.short_by) == (False, 1)
    post_assign(actor=supervisor, post=corridor_end, officer=izumo, shift_date=DAY, shift=0)
    row = _row(site, corridor_end)
    assert (row.staffed, row.short_by, row.officers) == (True, 0, [hiroki, izumo])


def test_relieving_an_officer_makes_the_post_short_again(
    clock, site, corridor_end, supervisor, officers
):
    hiroki, izumo, kotetsu = officers
    for officer in (hiroki, izumo):
        post_assign(actor=supervisor, post=corridor_end, officer=officer, shift_date=DAY, shift=0)
    first = _row(site, corridor_end).assignments[0]
    relieved = post_relieve(actor=supervisor, assignment=first)
    assert (relieved.relieved_at, relieved.relieved_by) == (NOW, supervisor)
    row = _row(site, corridor_end)
    assert (row.staffed, row.short_by, row.officers) == (False, 1, [izumo])
    assert [a.officer for a in row.relieved] == [hiroki]
    post_assign(actor=supervisor, post=corridor_end, officer=kotetsu, shift_date=DAY, shift=0)
    assert _row(site, corridor_end).staffed
    actions = list(
        AuditEvent.objects.filter(action__startswith="posts.").values_list("action", flat=True)
    )
    assert actions == ["posts.assign", "posts.assign", "posts.relieve", "posts.assign"]


def test_the_board_is_per_shift(clock, site, desk, supervisor, officers):
    post_assign(actor=supervisor, post=desk, officer=officers[0], shift_date=DAY, shift=1)
    assert not _row(site, desk).staffed  # noon: the early shift
    assert _row(site, desk, NOW + dt.timedelta(hours=2)).staffed  # 14:00: the late shift


# --- Refusals ---------------------------------------------------------------------------


def test_the_same_officer_twice_on_the_same_post_and_shift_is_a_conflict(
    clock, corridor_end, supervisor, officers
):
    post_assign(actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=0)
    with pytest.raises(Conflict) as refused:
        post_assign(
            actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=0
        )
    assert refused.value.code == "already_assigned"
    assert refused.value.message == (
        "Hiroki is already on End-of-corridor door for Early (06:00-14:00) of 2026-03-14."
    )


def test_an_officer_stands_one_post_at_a_time(clock, corridor_end, desk, supervisor, officers):
    post_assign(actor=supervisor, post=desk, officer=officers[0], shift_date=DAY, shift=0)
    with pytest.raises(Conflict) as refused:
        post_assign(
            actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=0
        )
    assert refused.value.code == "on_another_post"
    # The next shift is another matter.
    post_assign(actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=1)


def test_only_custody_staff_of_the_facility_stand_posts(
    clock, corridor_end, supervisor, medic, outsider
):
    for person in (medic, outsider):
        with pytest.raises(ValidationFailed) as refused:
            post_assign(
                actor=supervisor, post=corridor_end, officer=person, shift_date=DAY, shift=0
            )
        assert "officer" in refused.value.extra["fields"]


def test_a_shift_the_policy_does_not_have_is_refused(clock, corridor_end, supervisor, officers):
    with pytest.raises(ValidationFailed) as refused:
        post_assign(
            actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=3
        )
    assert refused.value.extra["fields"]["shift"] == [
        "must be from 0 to 2 (0: Early (06:00-14:00), 1: Late (14:00-22:00), "
        "2: Night (22:00-06:00))."
    ]


def test_an_officer_cannot_put_officers_on_posts(clock, corridor_end, officer, officers):
    with pytest.raises(PermissionDenied):
        post_assign(actor=officer, post=corridor_end, officer=officers[0], shift_date=DAY, shift=0)


def test_relieving_twice_is_a_conflict(clock, corridor_end, supervisor, officers):
    made = post_assign(
        actor=supervisor, post=corridor_end, officer=officers[0], shift_date=DAY, shift=0
    )
    post_relieve(actor=supervisor, assignment=made)
    with pytest.raises(Conflict) as refused:
        post_relieve(actor=supervisor, assignment=made)
    assert refused.value.code == "already_relieved"


# --- Who is on duty for a cell ----------------------------------------------------------


def test_officers_on_duty_for_a_cell_are_those_on_posts_covering_it_or_its_zone(
    clock, site, corridor_end, desk, supervisor, officers
):
    hiroki, izumo, kotetsu = officers
    lower = zone_create(actor=None, facility=site.facility, code="L", name="Lower level")
    gate = post_create(actor=None, facility=site.facility, code="GATE", name="Gate", zone=lower)
    post_assign(actor=supervisor, post=corridor_end, officer=hiroki, shift_date=DAY, shift=0)
    post_assign(actor=supervisor, post=desk, officer=izumo, shift_date=DAY, shift=0)
    post_assign(actor=supervisor, post=gate, officer=kotetsu, shift_date=DAY, shift=0)
    assert officers_on_duty_for(site.facility, NOW, cell=site.cells[1]) == [hiroki, izumo]
    assert officers_on_duty_for(site.facility, NOW, cell=site.cells[0]) == [izumo]
    assert officers_on_duty_for(site.facility, NOW, zone=lower) == [kotetsu]
    # At 14:00 the late shift has nobody on these posts.
    assert (
        officers_on_duty_for(site.facility, NOW + dt.timedelta(hours=2), cell=site.cells[1]) == []
    )


def test_the_board_costs_three_queries_however_many_posts(
    clock, site, corridor_end, desk, supervisor, officers, django_assert_num_queries
):
    post_assign(actor=supervisor, post=desk, officer=officers[0], shift_date=DAY, shift=0)
    with django_assert_num_queries(3):
        board = post_board(site.facility, NOW)
    for n in range(3):
        post_create(actor=None, facility=site.facility, code=f"P{n}", name=f"Post {n}")
    with django_assert_num_queries(3):
        board = post_board(site.facility, NOW)
    assert len(board.rows) == 5
    assert [row.post.code for row in board.short] == ["END", "P0", "P1", "P2"]
