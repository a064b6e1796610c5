"""Putting officers on guard posts for a shift, and taking them off.

A supervisor (``posts.assign``) names an officer who holds a custody role at
the facility, the local date and the shift (its index in ``shift_starts``).
An officer stands one post at a time: the same post twice, or a second post
on the same shift, is refused until they are relieved.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import PostAssignment
from cellblock.custody.selectors.posts import CUSTODY_ROLES, shift_name, shift_times
from cellblock.facilities.models import Facility, GuardPost

NEEDS_POSTS = "Putting officers on posts at {facility} needs the posts.assign permission."
NOT_CUSTODY_STAFF = (
    "{officer} holds no custody role (officer, supervisor, commander) at {facility}."
)
NO_SUCH_SHIFT = "must be from 0 to {last} ({names})."
ALREADY_ON_POST = "{officer} is already on {post} for {shift} of {day}."
ON_ANOTHER_POST = "{officer} is already on {other} for {shift} of {day}: relieve them there first."
ALREADY_RELIEVED = "{officer} was already relieved from {post} at {when}."


def _require_posts(actor: User, facility: Facility) -> None:
    if Perm.POSTS_ASSIGN not in actor.perms_at(facility.pk):
        raise PermissionDenied(NEEDS_POSTS.format(facility=facility.name), code="missing_role")


def _name(user: User) -> str:
    return user.full_name or user.get_username()


def post_assign(
    *, actor: User, post: GuardPost, officer: User, shift_date: dt.date, shift: int
) -> PostAssignment:
    """Put ``officer`` on ``post`` for shift ``shift`` of local ``shift_date``."""
    facility = post.facility
    _require_posts(actor, facility)
    times = shift_times(policy_of(facility))
    errors: dict[str, list[str]] = {}
    if not 0 <= shift < len(times):
        names = ", ".join(f"{i}: {shift_name(i, times)}" for i in range(len(times)))
        errors["shift"] = [NO_SUCH_SHIFT.format(last=len(times) - 1, names=names)]
    if not officer.is_active or not (CUSTODY_ROLES & officer.roles_at(facility.pk)):
        errors["officer"] = [
            NOT_CUSTODY_STAFF.format(officer=_name(officer), facility=facility.name)
        ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    label = shift_name(shift, times)
    with transaction.atomic():
        # One assignment of a post at a time, so two supervisors never both fill the last place.
        GuardPost.objects.select_for_update().filter(pk=post.pk).first()
        current = (
            PostAssignment.objects.filter(
                officer=officer, shift_date=shift_date, shift=shift, relieved_at__isnull=True
            )
            .select_related("post")
            .first()
        )
        if current is not None:
            same = current.post_id == post.pk
            message = ALREADY_ON_POST if same else ON_ANOTHER_POST
            raise Conflict(
                message.format(
                    officer=_name(officer), post=post.name, other=current.post.name,
                    shift=label, day=shift_date.isoformat(),
                ),
                code="already_assigned" if same else "on_another_post",
                extra={"assignment": str(current.public_id), "post": current.post.code},
            )  # fmt: skip
        try:
            with transaction.atomic():
                assignment = PostAssignment.objects.create(
                    post=post, officer=officer, shift_date=shift_date, shift=shift,
                    assigned_by=actor, assigned_at=clock.now(),
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(
                ALREADY_ON_POST.format(
                    officer=_name(officer), post=post.name, shift=label,
                    day=shift_date.isoformat(),
                ),
                code="already_assigned",
            ) from None  # fmt: skip
        audit_record(
            actor=actor, action="posts.assign", obj=post, facility=facility,
            changes={
                "officer": officer.get_username(), "shift_date": shift_date, "shift": shift,
                "assignment": str(assignment.public_id),
            },
        )  # fmt: skip
    return assignment


def post_relieve(*, actor: User, assignment: PostAssignment) -> PostAssignment:
    """Take the officer of ``assignment`` off their post now."""
    post = assignment.post
    facility = post.facility
    _require_posts(actor, facility)
    with transaction.atomic():
        locked = (
            PostAssignment.objects.select_for_update()
            .select_related("officer")
            .get(pk=assignment.pk)
        )
        if locked.relieved_at is not None:
            when = clock.local(locked.relieved_at, facility.timezone).strftime("%Y-%m-%d %H:%M")
            raise Conflict(
                ALREADY_RELIEVED.format(officer=_name(locked.officer), post=post.name, when=when),
                code="already_relieved",
            )
        locked.relieved_at = clock.now()
        locked.relieved_by = actor
        locked.save(update_fields=["relieved_at", "relieved_by"])
        audit_record(
            actor=actor, action="posts.relieve", obj=post, facility=facility,
            changes={
                "officer": locked.officer.get_username(), "shift_date": locked.shift_date,
                "shift": locked.shift, "assignment": str(locked.public_id),
            },
        )  # fmt: skip
    return locked
