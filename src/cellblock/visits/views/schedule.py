"""Pages: scheduling a visit.

The form names the person (booking number or name), the kind of visit, the
room, the visitors (from the person's visiting list, or found in the
registry), the start and the length.  As it is filled in, htmx asks the rule
book (``visit_check``) and shows every rule the visit would break, by name,
before anything is sent.  A refused submit comes back with the same rules.
The commander alone sees the override fields (reason and conditions), which
let this one visit go ahead despite the rules that may be overridden.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core.access import requires
from cellblock.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.housing.board import people_to_move
from cellblock.visits.models import (
    ListEntryStatus,
    VisitingListEntry,
    VisitKind,
    Visitor,
    VisitRoom,
    VisitStatus,
)
from cellblock.visits.selectors.registry import (
    rooms_for_facility,
    visiting_list,
    visitors_for_user,
)
from cellblock.visits.services.registry import ADULT_AGE, age_today
from cellblock.visits.services.scheduling import visit_check, visit_schedule
from cellblock.visits.views.common import (
    BAD_TIME,
    RuleLine,
    facility_for,
    field_errors,
    fragment,
    local_value,
    me,
    parse_local,
    problem_text,
    rule_lines,
)

SCHEDULED = "Visit scheduled: {person}, {when}."
SCHEDULED_OVERRIDE = "Visit scheduled with the commander's override: {person}, {when}."
REQUESTED = "Visit requested: {person}, {when}; it waits for a supervisor's authorisation."
CHOOSE_PERSON = "choose the person: type a booking number or a name and pick from the list."
NOT_HELD_HERE = "is not a booking held here; pick from the list."
NOT_A_VISITOR = "one of the visitors chosen is not registered here; search again."
BAD_MINUTES = "is not a whole number of minutes."
INCOMPLETE = (
    "Choose the person, the kind, the visitors and the start to see the rule book's verdict."
)
PAGE = "visits/new.html"
# The people offered as someone types in the person field.
PEOPLE_OFFERED = 20
FIELDS = (
    "booking", "kind", "room", "starts_at", "minutes", "notes", "override_reason",
    "override_conditions",
)  # fmt: skip


@dataclass
class Verdict:
    """What the rule book says about the visit as filled in so far."""

    lines: list[RuleLine]
    checked: bool = True
    problem: str = ""
    fields: dict[str, str] | None = None

    @property
    def allowed(self) -> bool:
        return self.checked and not self.problem and not self.lines

    @property
    def overridable(self) -> bool:
        return bool(self.lines) and all(line.overridable for line in self.lines)

    @property
    def blocking(self) -> list[RuleLine]:
        return [line for line in self.lines if not line.overridable]


@dataclass
class Choices:
    """What the form reads: the person, the room, the visitors and the times, or what is wrong."""

    form: dict[str, str]
    visitor_ids: list[str]
    booking: Booking | None = None
    room: VisitRoom | None = None
    visitors: list[Visitor] | None = None
    starts_at: dt.datetime | None = None
    minutes: int | None = None
    errors: dict[str, str] | None = None

    @property
    def complete(self) -> bool:
        form = self.form
        return bool(self.booking and form["kind"] and self.visitors and self.starts_at)


def _booking_here(request: HttpRequest, facility: Facility, text: str) -> Booking | None:
    # What the list offers is "Name · NUMBER": the number is the last word.
    number = text.strip().split(" ")[-1] if text.strip() else ""
    if not number:
        return None
    try:
        booking = booking_get_for_user(me(request), number)
    except NotFound:
        return None
    return booking if booking.facility_id == facility.pk else None


def _visitors_here(
    request: HttpRequest, facility: Facility, ids: list[str]
) -> list[Visitor] | None:
    """The visitors chosen, in the order chosen; None if one is not a visitor here."""
    keys = []
    for value in dict.fromkeys(ids):
        try:
            keys.append(uuid.UUID(value))
        except ValueError:
            return None
    found = {
        v.public_id: v
        for v in visitors_for_user(me(request))
        .filter(facility_id=facility.pk, public_id__in=keys)
        .select_related("person")
    }
    if len(found) != len(keys):
        return None
    return [found[key] for key in keys]


def _read(request: HttpRequest, facility: Facility, data: QueryDict) -> Choices:
    form = {name: data.get(name, "").strip() for name in FIELDS}
    chosen = Choices(form=form, visitor_ids=data.getlist("visitor"), errors={})
    errors: dict[str, str] = {}
    chosen.booking = _booking_here(request, facility, form["booking"])
    if form["booking"] and chosen.booking is None:
        errors["booking"] = f"Person {NOT_HELD_HERE}"
    if form["room"] and form["kind"] != VisitKind.IN_CELL:
        chosen.room = next(
            (r for r in rooms_for_facility(facility) if str(r.public_id) == form["room"]), None
        )
    if chosen.visitor_ids:
        chosen.visitors = _visitors_here(request, facility, chosen.visitor_ids)
        if chosen.visitors is None:
            errors["visitors"] = f"Visitors: {NOT_A_VISITOR}"
    try:
        chosen.starts_at = parse_local(form["starts_at"], facility)
    except ValueError:
        errors["starts_at"] = f"Start {BAD_TIME}"
    if form["minutes"]:
        try:
            chosen.minutes = int(form["minutes"])
        except ValueError:
            errors["minutes"] = f"Length {BAD_MINUTES}"
    chosen.errors = errors
    return chosen


def _verdict(request: HttpRequest, chosen: Choices) -> Verdict:
    """The rule book's answer for what is filled in (nothing is stored)."""
    if chosen.errors:
        return Verdict([], checked=False, fields=chosen.errors)
    if not chosen.complete or chosen.booking is None or chosen.starts_at is None:
        return Verdict([], checked=False)
    try:
        found = visit_check(
            actor=me(request), booking=chosen.booking, kind=chosen.form["kind"],
            visitors=chosen.visitors or [], starts_at=chosen.starts_at, minutes=chosen.minutes,
            room=chosen.room,
        )  # fmt: skip
    except DomainError as exc:
        return Verdict([], checked=False, problem=problem_text(exc), fields=field_errors(exc))
    return Verdict(rule_lines(found))


@dataclass(frozen=True)
class VisitorChoice:
    visitor: Visitor
    entry: VisitingListEntry | None
    age: int | None
    checked: bool


def _visitor_choices(facility: Facility, chosen: Choices) -> list[VisitorChoice]:
    """The person's visiting list (approved first), then anyone else already chosen."""
    wanted = set(chosen.visitor_ids)
    entries = visiting_list(chosen.booking) if chosen.booking is not None else []
    entries.sort(key=lambda e: e.status != ListEntryStatus.APPROVED)
    listed = {e.visitor_id for e in entries}
    choices = [
        VisitorChoice(
            e.visitor, e, age_today(e.visitor.person, facility), str(e.visitor.public_id) in wanted
        )
        for e in entries
    ]
    for visitor in chosen.visitors or []:
        if visitor.pk not in listed:
            choices.append(VisitorChoice(visitor, None, age_today(visitor.person, facility), True))
    return choices


def _context(
    request: HttpRequest, facility: Facility, chosen: Choices, verdict: Verdict, **extra: Any
) -> dict[str, Any]:
    perms = me(request).perms_at(facility.pk)
    return {
        "facility": facility,
        "tz": facility.timezone,
        "form": chosen.form,
        "booking": chosen.booking,
        "errors": {**(verdict.fields or {}), **(chosen.errors or {})},
        "verdict": verdict,
        "incomplete": INCOMPLETE,
        "kinds": VisitKind.choices,
        "rooms": rooms_for_facility(facility),
        "choices": _visitor_choices(facility, chosen),
        "adult": ADULT_AGE,
        "policy": policy_of(facility),
        "can_override": Perm.VISIT_OVERRIDE in perms,
        **extra,
    }


def _initial(request: HttpRequest, facility: Facility) -> Choices:
    """The form as first drawn: what the calendar or the profile passed in the query."""
    data = request.GET.copy()
    if not data.get("minutes"):
        data["minutes"] = str(policy_of(facility).visit_length_minutes)
    if data.get("kind", "") not in VisitKind.values:
        data["kind"] = VisitKind.CONTACT
    return _read(request, facility, data)


@require_http_methods(["GET", "POST"])
@requires(Perm.VISIT_SCHEDULE)
def new_visit(request: HttpRequest) -> HttpResponse:
    """Schedule a visit, with the rule book's verdict shown as the form is filled in."""
    facility = facility_for(request, Perm.VISIT_SCHEDULE)
    if request.method != "POST":
        chosen = _initial(request, facility)
        verdict = _verdict(request, chosen) if chosen.complete else Verdict([], checked=False)
        return render(request, PAGE, _context(request, facility, chosen, verdict))
    chosen = _read(request, facility, request.POST)
    errors = dict(chosen.errors or {})
    if chosen.booking is None and "booking" not in errors:
        errors["booking"] = f"Person {CHOOSE_PERSON}"
    if errors or chosen.booking is None or chosen.starts_at is None:
        if chosen.starts_at is None and "starts_at" not in errors:
            errors["starts_at"] = "Start is required."
        chosen.errors = errors
        verdict = Verdict([], checked=False)
        return render(request, PAGE, _context(request, facility, chosen, verdict), status=400)
    form = chosen.form
    try:
        visit = visit_schedule(
            actor=me(request), booking=chosen.booking, kind=form["kind"],
            visitors=chosen.visitors or [], starts_at=chosen.starts_at, minutes=chosen.minutes,
            room=chosen.room, notes=form["notes"], override_reason=form["override_reason"],
            override_conditions=form["override_conditions"],
        )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, Conflict) and exc.code == "visit_refused":
            verdict = Verdict(rule_lines(exc.extra.get("violations", [])))
        elif isinstance(exc, ValidationFailed):
            verdict = Verdict([], checked=False, fields=field_errors(exc))
        else:
            verdict = _verdict(request, chosen)
        context = _context(request, facility, chosen, verdict, refused=problem_text(exc))
        return render(request, PAGE, context, status=exc.status)
    when = local_value(visit.starts_at, facility).replace("T", " ")
    person = chosen.booking.person.full_name
    if form["override_reason"]:
        note = SCHEDULED_OVERRIDE
    elif visit.status == VisitStatus.REQUESTED:
        note = REQUESTED
    else:
        note = SCHEDULED
    messages.success(request, note.format(person=person, when=when))
    return redirect("visits:detail", visit_id=visit.public_id)


@require_GET
@requires(Perm.VISIT_SCHEDULE)
def check(request: HttpRequest) -> HttpResponse:
    """The rule book's verdict on the form as it stands (htmx; nothing is stored)."""
    facility = facility_for(request, Perm.VISIT_SCHEDULE)
    chosen = _read(request, facility, request.GET)
    context = _context(request, facility, chosen, _verdict(request, chosen))
    return fragment(render(request, f"{PAGE}#verdict", context))


@require_GET
@requires(Perm.VISIT_SCHEDULE)
def visitor_choices(request: HttpRequest) -> HttpResponse:
    """The chosen person's visiting list as checkboxes (htmx, when the person changes)."""
    facility = facility_for(request, Perm.VISIT_SCHEDULE)
    chosen = _read(request, facility, request.GET)
    context = _context(request, facility, chosen, Verdict([], checked=False))
    return fragment(render(request, f"{PAGE}#choices", context))


@require_GET
@requires(Perm.VISIT_SCHEDULE)
def people(request: HttpRequest) -> HttpResponse:
    """The people offered in the person field as someone types (htmx)."""
    facility = facility_for(request, Perm.VISIT_SCHEDULE)
    text = request.GET.get("booking", request.GET.get("q", "")).strip()
    found = people_to_move(facility, text=text, limit=PEOPLE_OFFERED) if text else []
    return fragment(render(request, f"{PAGE}#people", {"people": found}))


urlpatterns = [
    path("new/", new_visit, name="new"),
    path("new/check/", check, name="new_check"),
    path("new/visitors/", visitor_choices, name="new_visitors"),
    path("new/people/", people, name="new_people"),
]
