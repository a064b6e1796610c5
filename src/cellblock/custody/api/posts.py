"""API: guard posts.

The post board of a shift (each post staffed or short), putting an officer
on a post for a shift, and relieving them.  Posts and assignments are named
by public id, officers by username; shifts by local date and index in the
facility's ``shift_starts``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import PostAssignment
from cellblock.custody.selectors.posts import (
    PostBoard,
    PostRow,
    post_board,
    shift_slot,
)
from cellblock.custody.services.posts import post_assign, post_relieve
from cellblock.facilities.models import GuardPost
from cellblock.facilities.selectors import facility_get_for_user

router = Router()

SHIFT_WITH_DATE = "name the shift as well as the date."
NO_SUCH_SHIFT = "is not a shift of this facility."
NO_SUCH_OFFICER = "no member of staff is named {username}."


class OfficerOut(Schema):
    username: str
    full_name: str
    assignment: uuid.UUID
    assigned_at: dt.datetime
    assigned_by: str | None


class RelievedOut(OfficerOut):
    relieved_at: dt.datetime | None
    relieved_by: str | None


class PostOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    zone: str | None
    cell: str | None
    required: int
    officers: list[OfficerOut]
    relieved: list[RelievedOut]
    staffed: bool
    short_by: int


class PostBoardOut(Schema):
    facility: uuid.UUID
    shift_date: dt.date
    shift: int
    shift_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    staffed: bool = Field(description="Every post has its required officers")
    posts: list[PostOut]


class AssignIn(Schema):
    officer: str = Field(max_length=150, description="Username")
    shift_date: dt.date = Field(description="Local date the shift starts on")
    shift: int = Field(ge=0, description="Index in the facility's shift starts (0: the first)")


class AssignmentOut(Schema):
    id: uuid.UUID
    post: uuid.UUID
    post_code: str
    officer: str
    shift_date: dt.date
    shift: int
    assigned_at: dt.datetime
    assigned_by: str | None
    relieved_at: dt.datetime | None
    relieved_by: str | None


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _officer_out(a: PostAssignment) -> OfficerOut:
    return OfficerOut(
        username=a.officer.get_username(), full_name=a.officer.full_name, assignment=a.public_id,
        assigned_at=a.assigned_at, assigned_by=_username(a.assigned_by),
    )  # fmt: skip


def _relieved_out(a: PostAssignment) -> RelievedOut:
    return RelievedOut(
        **_officer_out(a).model_dump(), relieved_at=a.relieved_at,
        relieved_by=_username(a.relieved_by),
    )  # fmt: skip


def post_out(row: PostRow) -> PostOut:
    post = row.post
    return PostOut(
        id=post.public_id, code=post.code, name=post.name,
        zone=post.zone.code if post.zone else None, cell=post.cell.code if post.cell else None,
        required=row.required, officers=[_officer_out(a) for a in row.assignments],
        relieved=[_relieved_out(a) for a in row.relieved], staffed=row.staffed,
        short_by=row.short_by,
    )  # fmt: skip


def board_out(board: PostBoard) -> PostBoardOut:
    return PostBoardOut(
        facility=board.facility.public_id, shift_date=board.shift.day, shift=board.shift.index,
        shift_name=board.shift_name, starts_at=board.shift.starts_at,
        ends_at=board.shift.ends_at, staffed=not board.short,
        posts=[post_out(row) for row in board.rows],
    )  # fmt: skip


def assignment_out(a: PostAssignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.public_id, post=a.post.public_id, post_code=a.post.code,
        officer=a.officer.get_username(), shift_date=a.shift_date, shift=a.shift,
        assigned_at=a.assigned_at, assigned_by=_username(a.assigned_by),
        relieved_at=a.relieved_at, relieved_by=_username(a.relieved_by),
    )  # fmt: skip


def _post_for(user: User, post_id: uuid.UUID) -> GuardPost:
    post = (
        GuardPost.objects.select_related("facility")
        .filter(public_id=post_id, facility_id__in=user.facilities_with(Perm.POSTS_ASSIGN))
        .first()
    )
    if post is None:
        raise NotFound(f"No guard post with id {post_id}.")
    return post


def _assignment_for(user: User, assignment_id: uuid.UUID) -> PostAssignment:
    found = (
        PostAssignment.objects.select_related(
            "post__facility", "officer", "assigned_by", "relieved_by"
        )
        .filter(
            public_id=assignment_id,
            post__facility_id__in=user.facilities_with(Perm.POSTS_ASSIGN),
        )
        .first()
    )
    if found is None:
        raise NotFound(f"No post assignment with id {assignment_id}.")
    return found


@router.get("/posts", response=PostBoardOut, auth=api_requires(Perm.FACILITY_VIEW))
def posts(
    request: HttpRequest,
    facility: uuid.UUID,
    date: dt.date | None = None,
    shift: int | None = None,
) -> PostBoardOut:
    """The post board of a shift (the one on duty now unless ``date`` and ``shift`` name one)."""
    chosen = facility_get_for_user(acting_user(request), facility, Perm.FACILITY_VIEW)
    if date is None and shift is None:
        at = clock.now()
    elif date is None or shift is None:
        raise ValidationFailed.for_fields({"shift" if shift is None else "date": [SHIFT_WITH_DATE]})
    else:
        try:
            at = shift_slot(chosen, date, shift).starts_at
        except IndexError:
            raise ValidationFailed.for_fields({"shift": [NO_SUCH_SHIFT]}) from None
    return board_out(post_board(chosen, at))


@router.post(
    "/posts/{post_id}/assignments",
    response={201: AssignmentOut},
    auth=api_requires(Perm.POSTS_ASSIGN),
)
def assign(request: HttpRequest, post_id: uuid.UUID, payload: AssignIn) -> Status[AssignmentOut]:
    """Put an officer on the post for a shift (409 if already on it, or on another post)."""
    user = acting_user(request)
    post = _post_for(user, post_id)
    officer = User.objects.filter(username=payload.officer).first()
    if officer is None:
        raise ValidationFailed.for_fields(
            {"officer": [NO_SUCH_OFFICER.format(username=payload.officer)]}
        )
    made = post_assign(
        actor=user, post=post, officer=officer, shift_date=payload.shift_date,
        shift=payload.shift,
    )  # fmt: skip
    return Status(201, assignment_out(_assignment_for(user, made.public_id)))


@router.post(
    "/post-assignments/{assignment_id}/relieve",
    response=AssignmentOut,
    auth=api_requires(Perm.POSTS_ASSIGN),
)
def relieve(request: HttpRequest, assignment_id: uuid.UUID) -> AssignmentOut:
    """Take the officer off the post now."""
    user = acting_user(request)
    post_relieve(actor=user, assignment=_assignment_for(user, assignment_id))
    return assignment_out(_assignment_for(user, assignment_id))
