"""Pages: one visit.

Who, where, when and its status; the commander's override, shown to everyone
who sees the visit; the visitors with their identity checks, what they brought
and what became of it, the escort, the door events and the walk to the room.
Below, the actions the user may take now, by permission and by the visit's
state: authorise, cancel, check in, screen an item, start, end, check out,
no show.  Each action is a plain form posting to its own URL; a refusal comes
back on the same page with the service's message, and what was typed is kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.custody.selectors.movements import escorts_at
from cellblock.people.models import IdentifierKind
from cellblock.visits import rules
from cellblock.visits.models import (
    VISIT_TRANSITIONS,
    ItemOutcome,
    Visit,
    VisitItem,
    VisitParticipant,
    VisitStatus,
)
from cellblock.visits.selectors.day import overran_minutes, seconds_left
from cellblock.visits.selectors.schedule import visit_get_for_user
from cellblock.visits.services.day import (
    IdentityCheck,
    visit_check_in,
    visit_check_out,
    visit_end,
    visit_item_screen,
    visit_no_show,
    visit_start,
)
from cellblock.visits.services.registry import ADULT_AGE
from cellblock.visits.services.scheduling import visit_authorise, visit_cancel
from cellblock.visits.views.common import (
    STATUS_TONE,
    RuleLine,
    Timer,
    field_errors,
    fragment,
    me,
    posted,
    problem_text,
    require_perm_at,
    rule_lines,
    safe_next,
)

AUTHORISED = "Visit authorised: {person} on {when}."
CANCELLED = "Visit cancelled."
CHECKED_IN = "Checked in: {names}."
ITEM_SCREENED = "{description}: {outcome}."
STARTED = "Visit started: {minutes} minutes, until {until}."
ENDED = "Visit ended."
ENDED_LATE = "Visit ended {minutes} min late."
CHECKED_OUT = "Visitors checked out; the visit is completed."
NO_SHOW = "Recorded as a no show."
NO_SUCH_ESCORT = "is not an officer of this facility; choose from the list."
NO_SUCH_VISITOR = "is not a visitor on this visit; choose from the list."

ID_KINDS = IdentifierKind.choices
OUTCOMES = ItemOutcome.choices

_T = TypeVar("_T")


def _detail_url(visit: Visit) -> str:
    return reverse("visits:detail", args=[visit.public_id])


def _can_go(visit: Visit, status: str) -> bool:
    return status in VISIT_TRANSITIONS[visit.status]


def visit_timer(visit: Visit, now: dt.datetime) -> Timer | None:
    left = seconds_left(visit, now)
    if visit.status != VisitStatus.IN_PROGRESS or left is None:
        return None
    return Timer(left)


@dataclass(frozen=True)
class Line:
    """A visitor on the visit, with what the desk sees about them."""

    participant: VisitParticipant
    minor: bool


def _minor_on(participant: VisitParticipant, day: dt.date) -> bool:
    age = participant.visitor.person.age_on(day)
    return age is not None and age < ADULT_AGE


def _lines(visit: Visit) -> list[Line]:
    """The visitors on the visit; a minor is one under age on the visit's local day."""
    day = clock.local(visit.starts_at, visit.facility.timezone).date()
    participants = visit.participants.select_related("visitor__person", "id_checked_by")
    return [Line(p, _minor_on(p, day)) for p in participants]


def override_lines(visit: Visit) -> list[RuleLine]:
    """The rules the commander's override set aside, each message as it was given."""
    override = getattr(visit, "override", None)
    if override is None:
        return []
    codes = [str(code) for code in override.rules]
    found: list[dict[str, Any]] = []
    for text in override.messages:
        message = str(text)
        code = next((c for c in codes if message.startswith(f"{rules.TITLES.get(c, c)}:")), "")
        found.append({"code": code, "message": message})
    named = {item["code"] for item in found}
    found += [{"code": c, "message": rules.TITLES.get(c, c)} for c in codes if c not in named]
    return rule_lines(found)


def _context(
    request: HttpRequest,
    visit: Visit,
    *,
    error: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    action: str = "",
    violations: list[RuleLine] | None = None,
) -> dict[str, Any]:
    facility = visit.facility
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    lines = _lines(visit)
    operate = Perm.VISIT_OPERATE in perms
    form = form or {}
    # After a refused check-in, the boxes stay as the officer left them.
    present = set(request.POST.getlist("present")) if action == "check_in" else None
    checks = [
        {
            "participant": line.participant,
            "minor": line.minor,
            "present": present is None or str(line.participant.visitor.public_id) in present,
            "kind": form.get(
                f"id_kind-{line.participant.visitor.public_id}", line.participant.visitor.id_kind
            ),
            # Typed from the document at the desk, never filled in from the registry.
            "number": form.get(f"id_number-{line.participant.visitor.public_id}", ""),
        }
        for line in lines
    ]
    at_the_desk = visit.status == VisitStatus.CHECKED_IN and operate
    can = {
        "authorise": Perm.VISIT_AUTHORISE in perms and visit.status == VisitStatus.REQUESTED,
        "cancel": (Perm.VISIT_SCHEDULE in perms or at_the_desk)
        and _can_go(visit, VisitStatus.CANCELLED),
        "check_in": operate and _can_go(visit, VisitStatus.CHECKED_IN),
        "screen": at_the_desk,
        "start": operate and _can_go(visit, VisitStatus.IN_PROGRESS),
        "end": operate and _can_go(visit, VisitStatus.ENDED),
        "check_out": operate and _can_go(visit, VisitStatus.COMPLETED),
        "no_show": operate and _can_go(visit, VisitStatus.NO_SHOW),
    }  # fmt: skip
    return {
        "visit": visit,
        "facility": facility,
        "tz": facility.timezone,
        "booking": visit.booking,
        "person": visit.booking.person,
        "override": getattr(visit, "override", None),
        "override_lines": override_lines(visit),
        "lines": lines,
        "checks": checks,
        "checked_in": [line.participant for line in lines if line.participant.checked_in_at],
        "items": list(visit.items.select_related("visitor__person", "screened_by")),
        "door_events": list(visit.door_events.all()),
        "movement": visit.movement,
        "timer": visit_timer(visit, now),
        "overran": overran_minutes(visit, now) if visit.ended_at else None,
        "tone": STATUS_TONE.get(visit.status, "muted"),
        "can": can,
        "any_action": any(can.values()),
        "escorts": escorts_at(facility) if can["start"] else [],
        "id_kinds": ID_KINDS,
        "outcomes": OUTCOMES,
        "error": error,
        "errors": {action: errors or {}},
        "violations": violations or [],
        "form": form,
        "action": action,
        "me": me(request),
    }


def _render(
    request: HttpRequest, visit: Visit, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    context = _context(request, visit, **kwargs)
    return fragment(render(request, "visits/detail.html", context, status=status))


@require_GET
@requires(Perm.VISIT_VIEW)
def visit_detail(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """One visit, its override, its people and items, and what may be done with it now."""
    visit = visit_get_for_user(me(request), visit_id)
    return _render(request, visit)


def _when(visit: Visit) -> str:
    return clock.local(visit.starts_at, visit.facility.timezone).strftime("%Y-%m-%d %H:%M")


def _refused(
    request: HttpRequest, visit: Visit, exc: DomainError, action: str, form: dict[str, str]
) -> HttpResponse:
    fresh = visit_get_for_user(me(request), visit.public_id)
    found = exc.extra.get("violations", []) if exc.code == "visit_refused" else []
    return _render(
        request, fresh, status=exc.status, error=problem_text(exc), errors=field_errors(exc),
        form=form, action=action, violations=rule_lines(found),
    )  # fmt: skip


def _form(request: HttpRequest) -> dict[str, str]:
    return posted(request)


def _done(request: HttpRequest, visit: Visit, note: str) -> HttpResponse:
    messages.success(request, note)
    return redirect(safe_next(request, _detail_url(visit)))


def _act(
    request: HttpRequest,
    visit: Visit,
    action: str,
    form: dict[str, str],
    run: Callable[[], _T],
    note: Callable[[_T], str],
) -> HttpResponse:
    """Run the service's step: refused, the page comes back with the form as typed; done,
    back to where the form was posted from with ``note`` on what was done."""
    try:
        done = run()
    except DomainError as exc:
        return _refused(request, visit, exc, action, form)
    return _done(request, visit, note(done))


def _operated(request: HttpRequest, visit_id: uuid.UUID) -> tuple[User, Visit]:
    """The user and the visit, for a step at the desk: they must operate visits at its facility."""
    user = me(request)
    visit = visit_get_for_user(user, visit_id)
    require_perm_at(request, Perm.VISIT_OPERATE, visit.facility_id)
    return user, visit


def _authorised(done: Visit) -> str:
    return AUTHORISED.format(person=done.booking.person.full_name, when=_when(done))


def _screened(item: VisitItem) -> str:
    return ITEM_SCREENED.format(
        description=item.description, outcome=item.get_outcome_display().lower()
    )


def _started(done: Visit) -> str:
    until = done.due_end_at or done.ends_at
    local_until = clock.local(until, done.facility.timezone).strftime("%H:%M")
    return STARTED.format(minutes=done.minutes, until=local_until)


def _ended(done: Visit) -> str:
    late = overran_minutes(done, clock.now())
    return ENDED_LATE.format(minutes=late) if late else ENDED


@require_POST
@requires(Perm.VISIT_AUTHORISE)
def authorise(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """A supervisor or the commander lets a requested in-cell visit go ahead."""
    visit = visit_get_for_user(me(request), visit_id)
    require_perm_at(request, Perm.VISIT_AUTHORISE, visit.facility_id)
    return _act(
        request, visit, "authorise", _form(request),
        lambda: visit_authorise(actor=me(request), visit=visit), _authorised,
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def cancel(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """Cancel a visit, with the reason (the service decides who may)."""
    visit = visit_get_for_user(me(request), visit_id)
    form = _form(request)
    return _act(
        request, visit, "cancel", form,
        lambda: visit_cancel(actor=me(request), visit=visit, reason=form.get("reason", "")),
        lambda _: CANCELLED,
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def check_in(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """Check the visitors in at the desk: the identity document seen for each."""
    user, visit = _operated(request, visit_id)
    form = _form(request)
    present = set(request.POST.getlist("present"))
    checks = [
        IdentityCheck(
            visitor=line.participant.visitor,
            id_kind=form.get(f"id_kind-{line.participant.visitor.public_id}", ""),
            id_number=form.get(f"id_number-{line.participant.visitor.public_id}", ""),
        )
        for line in _lines(visit)
        if str(line.participant.visitor.public_id) in present
    ]
    names = ", ".join(check.visitor.person.full_name for check in checks)
    return _act(
        request, visit, "check_in", form,
        lambda: visit_check_in(actor=user, visit=visit, checks=checks),
        lambda _: CHECKED_IN.format(names=names),
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def screen_item(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """Log something a visitor brought and what became of it."""
    user, visit = _operated(request, visit_id)
    form = _form(request)
    visitor = None
    if form.get("visitor"):
        visitor = next(
            (
                line.participant.visitor
                for line in _lines(visit)
                if str(line.participant.visitor.public_id) == form["visitor"]
            ),
            None,
        )
        if visitor is None:
            exc = DomainError(
                f"Visitor {NO_SUCH_VISITOR}", extra={"fields": {"visitor": [NO_SUCH_VISITOR]}}
            )
            return _refused(request, visit, exc, "screen", form)
    return _act(
        request, visit, "screen", form,
        lambda: visit_item_screen(
            actor=user, visit=visit, description=form.get("description", ""),
            outcome=form.get("outcome", ""), reason=form.get("reason", ""), visitor=visitor,
        ),
        _screened,
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def start(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """Start the visit: the escort brings the person (or opens the cell door)."""
    user, visit = _operated(request, visit_id)
    form = _form(request)
    escort: User | None = None
    if form.get("escort"):
        escort = next((u for u in escorts_at(visit.facility) if u.username == form["escort"]), None)
        if escort is None:
            exc = DomainError(
                f"Escort {NO_SUCH_ESCORT}", extra={"fields": {"escort": [NO_SUCH_ESCORT]}}
            )
            return _refused(request, visit, exc, "start", form)
    return _act(
        request, visit, "start", form,
        lambda: visit_start(actor=user, visit=visit, escort=escort), _started,
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def end(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """End the visit (the person goes back; the cell door is closed)."""
    user, visit = _operated(request, visit_id)
    return _act(
        request, visit, "end", _form(request), lambda: visit_end(actor=user, visit=visit), _ended
    )


@require_POST
@requires(Perm.VISIT_OPERATE)
def check_out(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """The visitors leave: the visit is completed."""
    user, visit = _operated(request, visit_id)
    return _act(
        request, visit, "check_out", _form(request),
        lambda: visit_check_out(actor=user, visit=visit), lambda _: CHECKED_OUT,
    )  # fmt: skip


@require_POST
@requires(Perm.VISIT_OPERATE)
def no_show(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    """Nobody came."""
    user, visit = _operated(request, visit_id)
    return _act(
        request, visit, "no_show", _form(request),
        lambda: visit_no_show(actor=user, visit=visit), lambda _: NO_SHOW,
    )  # fmt: skip


_ONE = "<uuid:visit_id>/"

urlpatterns = [
    path(_ONE, visit_detail, name="detail"),
    path(f"{_ONE}authorise/", authorise, name="authorise"),
    path(f"{_ONE}cancel/", cancel, name="cancel"),
    path(f"{_ONE}check-in/", check_in, name="check_in"),
    path(f"{_ONE}items/", screen_item, name="screen_item"),
    path(f"{_ONE}start/", start, name="start"),
    path(f"{_ONE}end/", end, name="end"),
    path(f"{_ONE}check-out/", check_out, name="check_out"),
    path(f"{_ONE}no-show/", no_show, name="no_show"),
]
