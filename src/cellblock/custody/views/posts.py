"""Pages: the guard post board.

Each post of the facility on one shift (the one on duty unless a date and
shift are chosen): its officers, staffed in green or short in red.
Supervisors put an officer on a post from a list of custody staff and relieve
them; htmx swaps the board, and without scripts the forms post and redirect.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import Membership, User
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.models import PostAssignment
from cellblock.custody.schedule import Slot, local_date
from cellblock.custody.selectors.posts import (
    CUSTODY_ROLES,
    current_shift,
    post_board,
    shift_name,
    shift_slot,
    shift_times,
)
from cellblock.custody.services.posts import post_assign, post_relieve
from cellblock.facilities.models import Facility, GuardPost

NO_FACILITY = "You have no role at any facility."
ASSIGNED = "{officer} is on {post} for {shift} of {day}."
RELIEVED = "{officer} relieved from {post}."
CHOOSE_OFFICER = "choose an officer."
NOT_ON_LIST = "is not on the list of custody staff here."


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _htmx(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


def _chosen_shift(facility: Facility, day_text: str, shift_text: str) -> Slot:
    """The shift asked for, or the one on duty now."""
    try:
        return shift_slot(facility, dt.date.fromisoformat(day_text), int(shift_text))
    except (ValueError, IndexError):
        return current_shift(facility, clock.now())


def _board_url(slot: Slot) -> str:
    query = {"date": slot.day.isoformat(), "shift": str(slot.index)}
    return f"{reverse('custody:posts')}?{urlencode(query)}"


def _custody_staff(facility: Facility) -> list[User]:
    """Active staff holding a custody role here: who may stand a post."""
    ids = Membership.objects.filter(facility=facility, active=True, role__in=CUSTODY_ROLES).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username"))


def _context(
    request: HttpRequest, facility: Facility, slot: Slot, problem: tuple[str, str] | None = None
) -> dict[str, Any]:
    board = post_board(facility, slot.starts_at)
    times = shift_times(policy_of(facility))
    on_duty = current_shift(facility, clock.now())
    busy = {a.officer_id: row.post for row in board.rows for a in row.assignments}
    can_assign = user_has_perm(request.user, Perm.POSTS_ASSIGN, facility.pk)
    staff = _custody_staff(facility) if can_assign else []
    return {
        "facility": facility,
        "board": board,
        "slot": slot,
        "shifts": [(i, shift_name(i, times)) for i in range(len(times))],
        "is_current": (slot.day, slot.index) == (on_duty.day, on_duty.index),
        "staff": [(user, busy.get(user.pk)) for user in staff],
        "can_assign": can_assign,
        "problem": problem,
        "staffed": sum(1 for row in board.rows if row.staffed),
        "short": len(board.short),
        "tz": facility.timezone,
        "today": local_date(clock.now(), facility.timezone),
    }


@require_GET
@requires(Perm.FACILITY_VIEW)
def posts_page(request: HttpRequest) -> HttpResponse:
    """The post board of a shift: each post staffed (green) or short (red)."""
    facility = _facility_for(request, Perm.FACILITY_VIEW)
    slot = _chosen_shift(facility, request.GET.get("date", ""), request.GET.get("shift", ""))
    return render(request, "custody/posts/page.html", _context(request, facility, slot))


def _answer(
    request: HttpRequest,
    facility: Facility,
    slot: Slot,
    *,
    note: str = "",
    problem: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board again: the fragment for htmx, else a redirect (or the page with the problem)."""
    if _htmx(request):
        context = {**_context(request, facility, slot, problem), "note": note}
        response = render(request, "custody/posts/page.html#board", context)
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["HX-Request"])
        return response
    if problem is not None:
        context = _context(request, facility, slot, problem)
        return render(request, "custody/posts/page.html", context, status=status)
    messages.success(request, note)
    return redirect(_board_url(slot))


def _post_here(facility: Facility, post_id: uuid.UUID) -> GuardPost:
    post = (
        GuardPost.objects.select_related("facility")
        .filter(public_id=post_id, facility=facility)
        .first()
    )
    if post is None:
        raise NotFound(f"No guard post with id {post_id} at {facility.name}.")
    return post


@require_POST
@requires(Perm.POSTS_ASSIGN)
def assign(request: HttpRequest, post_id: uuid.UUID) -> HttpResponse:
    """Put the chosen officer on the post for the board's shift."""
    facility = _facility_for(request, Perm.POSTS_ASSIGN)
    post = _post_here(facility, post_id)
    slot = _chosen_shift(facility, request.POST.get("date", ""), request.POST.get("shift", ""))
    username = request.POST.get("officer", "").strip()
    officer = next((u for u in _custody_staff(facility) if u.get_username() == username), None)
    try:
        if officer is None:
            raise ValidationFailed.for_fields(
                {"officer": [NOT_ON_LIST if username else CHOOSE_OFFICER]}
            )
        post_assign(
            actor=_me(request), post=post, officer=officer, shift_date=slot.day, shift=slot.index
        )
    except DomainError as exc:
        message = exc.message
        if isinstance(exc, ValidationFailed) and "officer" in exc.extra.get("fields", {}):
            message = "Officer: " + " ".join(exc.extra["fields"]["officer"])
        return _answer(
            request, facility, slot, problem=(str(post.public_id), message), status=exc.status
        )
    note = ASSIGNED.format(
        officer=(officer.full_name if officer else "") or username, post=post.name,
        shift=shift_name(slot.index, shift_times(policy_of(facility))), day=slot.day.isoformat(),
    )  # fmt: skip
    return _answer(request, facility, slot, note=note)


@require_POST
@requires(Perm.POSTS_ASSIGN)
def relieve(request: HttpRequest, assignment_id: uuid.UUID) -> HttpResponse:
    """Take an officer off their post now."""
    facility = _facility_for(request, Perm.POSTS_ASSIGN)
    assignment = (
        PostAssignment.objects.select_related("post__facility", "officer")
        .filter(public_id=assignment_id, post__facility=facility)
        .first()
    )
    if assignment is None:
        raise NotFound(f"No post assignment with id {assignment_id} at {facility.name}.")
    slot = shift_slot(facility, assignment.shift_date, assignment.shift)
    try:
        post_relieve(actor=_me(request), assignment=assignment)
    except DomainError as exc:
        return _answer(
            request, facility, slot, problem=(str(assignment.post.public_id), exc.message),
            status=exc.status,
        )  # fmt: skip
    officer = assignment.officer
    note = RELIEVED.format(officer=officer.full_name or officer.username, post=assignment.post.name)
    return _answer(request, facility, slot, note=note)


urlpatterns = [
    path("posts/", posts_page, name="posts"),
    path("posts/<uuid:post_id>/assign/", assign, name="posts_assign"),
    path("posts/assignments/<uuid:assignment_id>/relieve/", relieve, name="posts_relieve"),
]
