"""Pages: the visitor registry, a person's visiting list, suspensions and visit rooms.

The visitors list searches by name or document number and filters by status;
a visitor's page holds the identity check, the decision, bans and guardians
and the visiting lists they are on.  A booking's visiting-list page is where
the front desk adds visitors and supervisors approve them, and where visits
are suspended as a sanction.  Rooms are facility configuration.  Every write
goes through the registry services; a refusal comes back on the same page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility, Zone
from cellblock.people.models import IdentifierKind, Sex
from cellblock.visits.models import (
    GuardianRole,
    ListEntryStatus,
    Relationship,
    RoomKind,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitRoom,
    VisitSuspension,
)
from cellblock.visits.selectors.registry import (
    SEARCH_LIMIT,
    ban_get_for_user,
    list_entry_get_for_user,
    room_get_for_user,
    rooms_for_facility,
    suspension_get_for_user,
    suspensions_for_booking,
    visiting_list,
    visitor_get_for_user,
    visitors_search,
)
from cellblock.visits.services.registry import (
    ADULT_AGE,
    age_today,
    guardianship_record,
    visit_room_save,
    visit_suspension_impose,
    visit_suspension_lift,
    visiting_list_add,
    visiting_list_decide,
    visiting_list_remove,
    visitor_ban,
    visitor_ban_lift,
    visitor_decide,
    visitor_identity_check,
    visitor_register,
)
from cellblock.visits.views.common import (
    facility_for,
    field_errors,
    fragment,
    me,
    parse_date,
    parse_local,
    posted,
    problem_text,
    require_perm_at,
)

REGISTERED = "{name} registered as a visitor (pending approval)."
IDENTITY_RECORDED = "Identity document of {name} recorded as checked."
APPROVED = "{name} is approved to visit."
DENIED = "{name} is denied."
BANNED = "{name} is banned{until}."
BAN_CANCELLED = " {count} booked visit{s} cancelled."
BAN_LIFTED = "The ban of {name} is lifted."
GUARDIAN_RECORDED = "{guardian} recorded as {role} of {minor}."
LISTED = "{name} added to the visiting list of {person} (pending approval)."
LIST_APPROVED = "{name} approved on the visiting list of {person}."
LIST_REFUSED = "{name} refused for the visiting list of {person}."
LIST_REMOVED = "{name} removed from the visiting list of {person}."
SUSPENDED = "Visits of {person} suspended{until}."
SUSPENSION_LIFTED = "The suspension of visits of {person} is lifted."
ROOM_SAVED = "{name} saved."
CHOOSE_VISITOR = "choose a visitor from the search results."
BAD_DATE = "is not a date (YYYY-MM-DD)."
BAD_TIME_OF_DAY = "is not a time (HH:MM)."
BAD_NUMBER = "is not a whole number."
BAD_MOMENT = "is not a date and time (YYYY-MM-DD HH:MM)."
# The people offered as someone types a visitor's name.
OPTIONS_SHOWN = 12

STATUS_TONE = {
    VisitorStatus.PENDING: "warn",
    VisitorStatus.APPROVED: "ok",
    VisitorStatus.DENIED: "bad",
}
ENTRY_TONE = {
    ListEntryStatus.PENDING: "warn",
    ListEntryStatus.APPROVED: "ok",
    ListEntryStatus.REMOVED: "muted",
}


IN_FORCE, UPCOMING, LIFTED, OVER = "in_force", "upcoming", "lifted", "over"


def _window_state(record: VisitorBan | VisitSuspension, now: dt.datetime) -> str:
    """Where a ban or a suspension stands now, in one word for the page."""
    if record.lifted_at is not None and record.lifted_at <= now:
        return LIFTED
    if record.in_force_at(now):
        return IN_FORCE
    return UPCOMING if record.starts_at > now else OVER


def _form(request: HttpRequest) -> dict[str, str]:
    return posted(request)


def _refusal(request: HttpRequest, action: str, exc: DomainError | None) -> dict[str, Any]:
    """What a page shows of a refused form: the form as typed and what was wrong with it."""
    if exc is None:
        return {"action": action, "form": {}, "errors": {action: {}}, "error": ""}
    return {
        "action": action,
        "form": _form(request),
        "errors": {action: field_errors(exc)},
        "error": problem_text(exc),
    }


def _status(exc: DomainError | None) -> int:
    return exc.status if exc is not None else 200


def _until(moment: dt.datetime | None, facility: Facility) -> str:
    if moment is None:
        return " until lifted"
    return f" until {clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def _moments(
    form: dict[str, str], facility: Facility, names: tuple[str, ...]
) -> dict[str, dt.datetime | None]:
    """Datetime-local fields as aware moments; unreadable ones are refused by field name."""
    found: dict[str, dt.datetime | None] = {}
    problems: dict[str, list[str]] = {}
    for name in names:
        try:
            found[name] = parse_local(form.get(name, ""), facility)
        except ValueError:
            problems[name] = [BAD_MOMENT]
    if problems:
        raise ValidationFailed.for_fields(problems)
    return found


# --- The visitors list -------------------------------------------------------------------


@require_GET
@requires(Perm.VISIT_VIEW)
def visitors_page(request: HttpRequest) -> HttpResponse:
    """The registry: search by name or document number, filter by status."""
    facility = facility_for(request, Perm.VISIT_VIEW)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in VisitorStatus.values else ""
    found = visitors_search(facility, q, status or None)
    now = clock.now()
    rows = [
        (
            v, STATUS_TONE[VisitorStatus(v.status)], age_today(v.person, facility),
            any(ban.in_force_at(now) for ban in v.bans.all()),
        )
        for v in found
    ]  # fmt: skip
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "rows": rows,
        "q": q,
        "status": status,
        "statuses": VisitorStatus.choices,
        "limit": SEARCH_LIMIT,
        "adult": ADULT_AGE,
        "can_manage": Perm.VISITOR_MANAGE in me(request).perms_at(facility.pk),
    }
    return render(request, "visits/visitors.html", context)


@require_GET
@requires(Perm.VISIT_VIEW)
def visitor_options(request: HttpRequest) -> HttpResponse:
    """The visitors offered as someone types a name (htmx): radio buttons to pick one."""
    facility = facility_for(request, Perm.VISIT_VIEW)
    q = request.GET.get("q", request.GET.get("visitor_q", "")).strip()
    name = request.GET.get("name", "visitor")
    name = name if name in ("visitor", "guardian", "add_visitor") else "visitor"
    found = visitors_search(facility, q, limit=OPTIONS_SHOWN) if q else []
    context = {
        "options": [(v, age_today(v.person, facility)) for v in found],
        "q": q,
        "field": name,
        "adult": ADULT_AGE,
        "multiple": request.GET.get("multiple") == "1",
    }
    return fragment(render(request, "visits/_visitor_options.html", context))


# --- Registering a visitor ---------------------------------------------------------------

VISITOR_FIELDS = (
    "given_name", "family_name", "date_of_birth", "sex", "phone", "address", "id_kind",
    "id_number",
)  # fmt: skip


def _visitor_new_page(
    request: HttpRequest, facility: Facility, form: dict[str, str], errors: dict[str, str],
    error: str = "", existing: str = "", status: int = 200,
) -> HttpResponse:  # fmt: skip
    context = {
        "facility": facility,
        "form": form,
        "errors": errors,
        "error": error,
        "existing": existing,
        "sexes": Sex.choices,
        "id_kinds": IdentifierKind.choices,
    }
    return render(request, "visits/visitor_new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Perm.VISITOR_MANAGE)
def visitor_new(request: HttpRequest) -> HttpResponse:
    """Register a visitor: who they are, how to reach them, the document they carry."""
    facility = facility_for(request, Perm.VISITOR_MANAGE)
    if request.method != "POST":
        return _visitor_new_page(request, facility, {"sex": Sex.UNKNOWN}, {})
    form = {name: request.POST.get(name, "").strip() for name in VISITOR_FIELDS}
    born = parse_date(form["date_of_birth"])
    try:
        if form["date_of_birth"] and born is None:
            raise ValidationFailed.for_fields({"date_of_birth": [BAD_DATE]})
        visitor = visitor_register(
            actor=me(request), facility=facility, given_name=form["given_name"],
            family_name=form["family_name"], date_of_birth=born, sex=form["sex"] or Sex.UNKNOWN,
            phone=form["phone"], address=form["address"], id_kind=form["id_kind"],
            id_number=form["id_number"],
        )  # fmt: skip
    except DomainError as exc:
        existing = str(exc.extra.get("visitor_id", "")) if exc.code == "visitor_exists" else ""
        return _visitor_new_page(
            request, facility, form, field_errors(exc), problem_text(exc), existing, exc.status
        )
    messages.success(request, REGISTERED.format(name=visitor.person.full_name))
    return redirect("visits:visitor", visitor_id=visitor.public_id)


# --- One visitor --------------------------------------------------------------------------


def _visitor_page(
    request: HttpRequest,
    visitor: Visitor,
    *,
    action: str = "",
    refused: DomainError | None = None,
) -> HttpResponse:
    facility = visitor.facility
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    bans = [(ban, _window_state(ban, now)) for ban in visitor.bans.all()]
    context = {
        "visitor": visitor,
        "person": visitor.person,
        "facility": facility,
        "tz": facility.timezone,
        "age": age_today(visitor.person, facility),
        "adult": ADULT_AGE,
        "tone": STATUS_TONE[VisitorStatus(visitor.status)],
        "bans": bans,
        "banned_now": any(state == IN_FORCE for _, state in bans),
        "guardians": list(visitor.guardianships.all()),
        "wards": list(visitor.wards.all()),
        "entries": [(e, ENTRY_TONE[ListEntryStatus(e.status)]) for e in visitor.list_entries.all()],
        "can_manage": Perm.VISITOR_MANAGE in perms,
        "can_ban": Perm.VISITOR_BAN in perms,
        "id_kinds": IdentifierKind.choices,
        "guardian_roles": GuardianRole.choices,
        **_refusal(request, action, refused),
    }
    return render(request, "visits/visitor.html", context, status=_status(refused))


@require_GET
@requires(Perm.VISIT_VIEW)
def visitor_page(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """A visitor: identity, decision, bans, guardians and the visiting lists they are on."""
    return _visitor_page(request, visitor_get_for_user(me(request), visitor_id))


def _visitor_refused(
    request: HttpRequest, visitor_id: uuid.UUID, action: str, exc: DomainError
) -> HttpResponse:
    fresh = visitor_get_for_user(me(request), visitor_id)
    return _visitor_page(request, fresh, action=action, refused=exc)


@require_POST
@requires(Perm.VISITOR_MANAGE)
def visitor_identity(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """Record the identity document seen, by whom and when."""
    visitor = visitor_get_for_user(me(request), visitor_id)
    form = _form(request)
    try:
        visitor_identity_check(
            actor=me(request), visitor=visitor, id_kind=form.get("id_kind", ""),
            id_number=form.get("id_number", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _visitor_refused(request, visitor_id, "identity", exc)
    messages.success(request, IDENTITY_RECORDED.format(name=visitor.person.full_name))
    return redirect("visits:visitor", visitor_id=visitor.public_id)


@require_POST
@requires(Perm.VISITOR_MANAGE)
def visitor_decision(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """Approve or deny a visitor (a denial says why)."""
    visitor = visitor_get_for_user(me(request), visitor_id)
    form = _form(request)
    try:
        decided = visitor_decide(
            actor=me(request), visitor=visitor, status=form.get("status", ""),
            note=form.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _visitor_refused(request, visitor_id, "decision", exc)
    note = APPROVED if decided.status == VisitorStatus.APPROVED else DENIED
    messages.success(request, note.format(name=visitor.person.full_name))
    return redirect("visits:visitor", visitor_id=visitor.public_id)


@require_POST
@requires(Perm.VISITOR_BAN)
def visitor_ban_page(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """Bar a visitor, with the reason, until a date or until lifted."""
    user = me(request)
    visitor = visitor_get_for_user(user, visitor_id)
    require_perm_at(request, Perm.VISITOR_BAN, visitor.facility_id)
    form = _form(request)
    try:
        window = _moments(form, visitor.facility, ("starts_at", "expires_at"))
        ban = visitor_ban(
            actor=user, visitor=visitor, reason=form.get("reason", ""),
            starts_at=window["starts_at"], expires_at=window["expires_at"],
        )  # fmt: skip
    except DomainError as exc:
        return _visitor_refused(request, visitor_id, "ban", exc)
    note = BANNED.format(
        name=visitor.person.full_name, until=_until(ban.expires_at, visitor.facility)
    )
    messages.success(request, note)
    return redirect("visits:visitor", visitor_id=visitor.public_id)


@require_POST
@requires(Perm.VISITOR_BAN)
def ban_lift(request: HttpRequest, ban_id: uuid.UUID) -> HttpResponse:
    """Lift a ban early, with the reason."""
    user = me(request)
    ban = ban_get_for_user(user, ban_id)
    require_perm_at(request, Perm.VISITOR_BAN, ban.visitor.facility_id)
    try:
        visitor_ban_lift(actor=user, ban=ban, reason=request.POST.get("reason", "").strip())
    except DomainError as exc:
        return _visitor_refused(request, ban.visitor.public_id, f"lift-{ban.public_id}", exc)
    messages.success(request, BAN_LIFTED.format(name=ban.visitor.person.full_name))
    return redirect("visits:visitor", visitor_id=ban.visitor.public_id)


@require_POST
@requires(Perm.VISITOR_MANAGE)
def guardian_add(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """Record a parent or legal guardian who may bring this minor to visits."""
    user = me(request)
    minor = visitor_get_for_user(user, visitor_id)
    form = _form(request)
    try:
        if not form.get("guardian"):
            raise ValidationFailed.for_fields({"guardian": [CHOOSE_VISITOR]})
        guardian = visitor_get_for_user(user, form["guardian"])
        record = guardianship_record(
            actor=user, minor=minor, guardian=guardian, role=form.get("role", "")
        )
    except DomainError as exc:
        return _visitor_refused(request, visitor_id, "guardian", exc)
    messages.success(
        request,
        GUARDIAN_RECORDED.format(
            guardian=guardian.person.full_name, role=record.get_role_display().lower(),
            minor=minor.person.full_name,
        ),
    )  # fmt: skip
    return redirect("visits:visitor", visitor_id=minor.public_id)


# --- A booking's visiting list and suspensions ---------------------------------------------


def _list_page(
    request: HttpRequest,
    booking: Booking,
    *,
    action: str = "",
    refused: DomainError | None = None,
) -> HttpResponse:
    facility = booking.facility
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    suspensions = suspensions_for_booking(booking)
    context = {
        "booking": booking,
        "person": booking.person,
        "facility": facility,
        "tz": facility.timezone,
        "entries": [
            (e, ENTRY_TONE[ListEntryStatus(e.status)], age_today(e.visitor.person, facility))
            for e in visiting_list(booking, include_removed=True)
        ],
        "suspensions": [(s, _window_state(s, now)) for s in suspensions],
        "adult": ADULT_AGE,
        "relationships": Relationship.choices,
        "can_manage": Perm.VISITOR_MANAGE in perms,
        "can_suspend": Perm.VISIT_SUSPEND in perms,
        "can_schedule": Perm.VISIT_SCHEDULE in perms,
        **_refusal(request, action, refused),
    }
    return render(request, "visits/visiting_list.html", context, status=_status(refused))


def _list_url(booking: Booking) -> str:
    return reverse("visits:visiting_list", args=[booking.booking_number])


def _booking_here(request: HttpRequest, booking_number: str) -> Booking:
    booking = booking_get_for_user(me(request), booking_number)
    require_perm_at(request, Perm.VISIT_VIEW, booking.facility_id)
    return booking


@require_GET
@requires(Perm.VISIT_VIEW)
def visiting_list_page(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Who may visit this person; suspensions of their visits."""
    return _list_page(request, _booking_here(request, booking_number))


def _list_refused(
    request: HttpRequest, booking: Booking, action: str, exc: DomainError
) -> HttpResponse:
    return _list_page(request, booking, action=action, refused=exc)


@require_POST
@requires(Perm.VISITOR_MANAGE)
def visiting_list_add_page(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Put a registered visitor on the list (pending until approved)."""
    user = me(request)
    booking = _booking_here(request, booking_number)
    form = _form(request)
    try:
        if not form.get("add_visitor"):
            raise ValidationFailed.for_fields({"visitor": [CHOOSE_VISITOR]})
        visitor = visitor_get_for_user(user, form["add_visitor"])
        entry = visiting_list_add(
            actor=user, booking=booking, visitor=visitor,
            relationship=form.get("relationship", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _list_refused(request, booking, "add", exc)
    messages.success(
        request,
        LISTED.format(name=entry.visitor.person.full_name, person=booking.person.full_name),
    )
    return redirect(_list_url(booking))


@require_POST
@requires(Perm.VISITOR_MANAGE)
def list_entry_decide(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    """Approve a pending entry, or refuse it with a note."""
    user = me(request)
    entry = list_entry_get_for_user(user, entry_id)
    form = _form(request)
    approve = form.get("decision") == "approve"
    try:
        visiting_list_decide(actor=user, entry=entry, approve=approve, note=form.get("note", ""))
    except DomainError as exc:
        return _list_refused(request, entry.booking, f"decide-{entry.public_id}", exc)
    note = LIST_APPROVED if approve else LIST_REFUSED
    messages.success(
        request,
        note.format(name=entry.visitor.person.full_name, person=entry.booking.person.full_name),
    )
    return redirect(_list_url(entry.booking))


@require_POST
@requires(Perm.VISITOR_MANAGE)
def list_entry_remove(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    """Take a visitor off the list, with the reason."""
    user = me(request)
    entry = list_entry_get_for_user(user, entry_id)
    try:
        visiting_list_remove(actor=user, entry=entry, reason=request.POST.get("reason", "").strip())
    except DomainError as exc:
        return _list_refused(request, entry.booking, f"remove-{entry.public_id}", exc)
    messages.success(
        request,
        LIST_REMOVED.format(
            name=entry.visitor.person.full_name, person=entry.booking.person.full_name
        ),
    )
    return redirect(_list_url(entry.booking))


@require_POST
@requires(Perm.VISIT_SUSPEND)
def suspension_impose(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Suspend this person's visits as a sanction; booked visits in the window are cancelled."""
    user = me(request)
    booking = _booking_here(request, booking_number)
    require_perm_at(request, Perm.VISIT_SUSPEND, booking.facility_id)
    form = _form(request)
    try:
        window = _moments(form, booking.facility, ("starts_at", "expires_at"))
        suspension = visit_suspension_impose(
            actor=user, booking=booking, reason=form.get("reason", ""),
            starts_at=window["starts_at"], expires_at=window["expires_at"],
            includes_legal=form.get("includes_legal") == "1",
        )  # fmt: skip
    except DomainError as exc:
        return _list_refused(request, booking, "suspend", exc)
    messages.success(
        request,
        SUSPENDED.format(
            person=booking.person.full_name, until=_until(suspension.expires_at, booking.facility)
        ),
    )
    return redirect(_list_url(booking))


@require_POST
@requires(Perm.VISIT_SUSPEND)
def suspension_lift(request: HttpRequest, suspension_id: uuid.UUID) -> HttpResponse:
    """End a suspension early, with the reason."""
    user = me(request)
    suspension = suspension_get_for_user(user, suspension_id)
    booking = suspension.booking
    require_perm_at(request, Perm.VISIT_SUSPEND, booking.facility_id)
    try:
        visit_suspension_lift(
            actor=user, suspension=suspension, reason=request.POST.get("reason", "").strip()
        )
    except DomainError as exc:
        return _list_refused(request, booking, f"lift-{suspension.public_id}", exc)
    messages.success(request, SUSPENSION_LIFTED.format(person=booking.person.full_name))
    return redirect(_list_url(booking))


# --- Rooms ---------------------------------------------------------------------------------

ROOM_FIELDS = ("code", "name", "kind", "capacity", "opens_at", "closes_at", "zone", "active")


def _room_form(room: VisitRoom | None) -> dict[str, str]:
    if room is None:
        return {
            "kind": RoomKind.CONTACT,
            "capacity": "1",
            "opens_at": "08:00",
            "closes_at": "20:00",
            "active": "1",
        }
    return {
        "code": room.code,
        "name": room.name,
        "kind": room.kind,
        "capacity": str(room.capacity),
        "opens_at": f"{room.opens_at:%H:%M}",
        "closes_at": f"{room.closes_at:%H:%M}",
        "zone": str(room.zone.public_id) if room.zone else "",
        "active": "1" if room.active else "",
    }


def _rooms_page(
    request: HttpRequest, facility: Facility, *, room: VisitRoom | None = None,
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None, error: str = "",
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    context = {
        "facility": facility,
        "rooms": rooms_for_facility(facility, active_only=False),
        "room": room,
        "form": form if form is not None else _room_form(room),
        "errors": errors or {},
        "error": error,
        "kinds": RoomKind.choices,
        "zones": list(Zone.objects.filter(facility=facility).order_by("code")),
    }
    return render(request, "visits/rooms.html", context, status=status)


def _save_room(request: HttpRequest, facility: Facility, room: VisitRoom | None) -> HttpResponse:
    form = {name: request.POST.get(name, "").strip() for name in ROOM_FIELDS}
    problems: dict[str, list[str]] = {}
    times: dict[str, dt.time] = {}
    for name in ("opens_at", "closes_at"):
        try:
            times[name] = dt.time.fromisoformat(form[name])
        except ValueError:
            problems[name] = [BAD_TIME_OF_DAY]
    try:
        capacity = int(form["capacity"])
    except ValueError:
        problems["capacity"] = [BAD_NUMBER]
        capacity = 0
    zone = None
    if form["zone"]:
        key = _uuid_or_none(form["zone"])
        zone = Zone.objects.filter(facility=facility, public_id=key).first() if key else None
        if zone is None:
            problems["zone"] = ["choose one of this facility's zones."]
    try:
        if problems:
            raise ValidationFailed.for_fields(problems)
        saved = visit_room_save(
            actor=me(request), facility=facility, code=form["code"], name=form["name"],
            kind=form["kind"], capacity=capacity, opens_at=times["opens_at"],
            closes_at=times["closes_at"], zone=zone, active=form["active"] == "1", room=room,
        )  # fmt: skip
    except DomainError as exc:
        return _rooms_page(
            request, facility, room=room, form=form, errors=field_errors(exc),
            error=problem_text(exc), status=exc.status,
        )  # fmt: skip
    messages.success(request, ROOM_SAVED.format(name=saved.name))
    return redirect("visits:rooms")


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@requires(Perm.FACILITY_CONFIGURE)
def rooms_page(request: HttpRequest) -> HttpResponse:
    """The facility's visit rooms and booths; a form to add one."""
    facility = facility_for(request, Perm.FACILITY_CONFIGURE)
    if request.method == "POST":
        return _save_room(request, facility, None)
    return _rooms_page(request, facility)


@require_http_methods(["GET", "POST"])
@requires(Perm.FACILITY_CONFIGURE)
def room_edit(request: HttpRequest, room_id: uuid.UUID) -> HttpResponse:
    """Change a room: its kind, capacity, hours, or take it out of use."""
    room = room_get_for_user(me(request), room_id, Perm.FACILITY_CONFIGURE)
    if request.method == "POST":
        return _save_room(request, room.facility, room)
    return _rooms_page(request, room.facility, room=room)


_VISITOR = "visitors/<uuid:visitor_id>/"
_BOOKING = "bookings/<str:booking_number>/"

urlpatterns = [
    path("visitors/", visitors_page, name="visitors"),
    path("visitors/new/", visitor_new, name="visitor_new"),
    path("visitors/options/", visitor_options, name="visitor_options"),
    path(_VISITOR, visitor_page, name="visitor"),
    path(f"{_VISITOR}identity/", visitor_identity, name="visitor_identity"),
    path(f"{_VISITOR}decision/", visitor_decision, name="visitor_decision"),
    path(f"{_VISITOR}bans/", visitor_ban_page, name="visitor_ban"),
    path(f"{_VISITOR}guardians/", guardian_add, name="guardian_add"),
    path("bans/<uuid:ban_id>/lift/", ban_lift, name="ban_lift"),
    path(f"{_BOOKING}visiting-list/", visiting_list_page, name="visiting_list"),
    path(f"{_BOOKING}visiting-list/add/", visiting_list_add_page, name="visiting_list_add"),
    path("visiting-list/<uuid:entry_id>/decision/", list_entry_decide, name="list_entry_decide"),
    path("visiting-list/<uuid:entry_id>/remove/", list_entry_remove, name="list_entry_remove"),
    path(f"{_BOOKING}suspensions/", suspension_impose, name="suspension_impose"),
    path("suspensions/<uuid:suspension_id>/lift/", suspension_lift, name="suspension_lift"),
    path("rooms/", rooms_page, name="rooms"),
    path("rooms/<uuid:room_id>/", room_edit, name="room_edit"),
]
