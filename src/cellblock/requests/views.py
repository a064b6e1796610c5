"""Request pages: the inbox, the filing form, one request's thread and its actions, the kiosk.

The inbox has two tabs: requests addressed to me (by name, or to a role I hold
here) and all of the facility's.  Due times are shown on the facility's clock;
a request waiting past its due time is red.  The kiosk is a large-type page on
a unit's tablet: the person names themself with their booking number and date
of birth and writes their request, filed under the signed-in staff member.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.accounts.models import Membership, User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import booking_get_for_user, search_q
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm, Role
from cellblock.custody.selectors.access import member_of
from cellblock.facilities.models import Facility
from cellblock.requests.forms import (
    STAFF_PREFIX,
    InboxFilterForm,
    KioskIdentifyForm,
    KioskRequestForm,
    NoteForm,
    ReasonForm,
    RequestForm,
    RouteForm,
    TextForm,
    split_addressee,
)
from cellblock.requests.models import (
    ADDRESSEE_ROLES,
    GRIEVANCE_LEVELS,
    WAITING_STATUSES,
    FiledVia,
    InmateRequest,
    RequestCategory,
    RequestKind,
    RequestStatus,
)
from cellblock.requests.selectors import (
    STATUS_TONES,
    VIEW,
    WAITING,
    Scope,
    addressee_text,
    inbox,
    inbox_counts,
    is_overdue,
    kiosk_identify,
    may_answer,
    request_get_for_user,
    requests_for_booking,
)
from cellblock.requests.services import (
    grievance_appeal,
    request_close,
    request_file,
    request_note,
    request_respond,
    request_route,
    request_take_up,
    request_withdraw,
)

NO_FACILITY = "You have no role at any facility."
FILED = "{number} filed: addressed to the {addressee}, answer due {due}."
TAKEN_UP = "{number} taken up."
NOTE_ADDED = "Note added to {number}."
ANSWERED = "{number} answered."
ROUTED = "{number} sent to the {addressee}."
CLOSED = "{number} closed."
WITHDRAWN = "{number} withdrawn."
APPEALED = "{number} appealed: {level}, addressed to the {addressee}, answer due {due}."
CHOOSE_PERSON = "choose the person the request is for."
NOT_HELD_HERE = "{number} is not held here."
NOT_STAFF = "{username} is not on the staff here."
KIOSK_BOTH_NEEDED = "Enter your booking number and your date of birth."
KIOSK_NOT_FOUND = (
    "We could not find you with this booking number and date of birth. Check both and try "
    "again, or ask an officer."
)
KIOSK_TOO_MANY = "Too many tries on this tablet. Ask an officer to help you."
# Wrong pairs on one tablet's session before it stops trying, and for how long.
KIOSK_TRIES = 5
KIOSK_PAUSE = dt.timedelta(minutes=15)
KIOSK_FAILURES = "requests_kiosk_failures"
SEARCH_LIMIT = 20
ANY = "any"
DUE_FORMAT = "%Y-%m-%d %H:%M"

# The roles offered on the kiosk, in the words people use.
KIOSK_ROLES: tuple[tuple[str, str], ...] = (
    (Role.COMMANDER, "The commander"),
    (Role.SUPERVISOR, "A supervisor"),
    (Role.OFFICER, "The officers of my unit"),
    (Role.MEDICAL, "Medical staff"),
    (Role.VISITS, "The visits desk"),
    (Role.CLASSIFICATION, "Classification"),
    (Role.COURT, "Court and legal matters"),
)


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _due(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):{DUE_FORMAT}} ({facility.timezone})"


def _fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass(frozen=True)
class Row:
    """A request as lists show it: its colour, whether it is overdue, whom it is for."""

    request: InmateRequest
    tone: str
    overdue: bool
    addressee: str


def rows(found: list[InmateRequest], now: dt.datetime) -> list[Row]:
    return [
        Row(r, "bad" if is_overdue(r, now) else STATUS_TONES[r.status], is_overdue(r, now),
            addressee_text(r))
        for r in found
    ]  # fmt: skip


def _role_choices() -> list[tuple[str, str]]:
    return [(role, Role(role).label) for role in ADDRESSEE_ROLES]


def staff_choices(facility: Facility) -> list[tuple[str, str]]:
    """Members of staff requests may name at ``facility``: (username, "Name · roles")."""
    found: dict[str, tuple[str, list[str]]] = {}
    for username, full_name, role in (
        Membership.objects.filter(
            facility=facility, active=True, role__in=ADDRESSEE_ROLES, user__is_active=True
        )
        .order_by("user__full_name", "user__username", "role")
        .values_list("user__username", "user__full_name", "role")
    ):
        found.setdefault(username, (full_name or username, []))[1].append(Role(role).label.lower())
    return [(name, f"{full} · {', '.join(roles)}") for name, (full, roles) in found.items()]


# --- Inbox --------------------------------------------------------------------------


def _query(params: QueryDict, **changes: str) -> str:
    query = params.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@require_GET
@requires(VIEW)
def inbox_page(request: HttpRequest) -> HttpResponse:
    """The facility's requests: addressed to me, or all; filter by status, kind, overdue."""
    facility = _facility(request, VIEW)
    user = _me(request)
    now = clock.now()
    form = InboxFilterForm(request.GET or None)
    form.is_valid()
    scope = Scope.ALL if form.typed("scope") == Scope.ALL else Scope.MINE
    status = form.typed("status") or WAITING
    if status not in (WAITING, ANY, *RequestStatus.values):
        status = WAITING
    kind = form.typed("kind") if form.typed("kind") in RequestKind.values else ""
    overdue = bool(form.is_bound and form.cleaned_data.get("overdue"))
    found = inbox(
        user, facility, scope=scope, status="" if status == ANY else status, kind=kind,
        overdue_only=overdue, now=now,
    )  # fmt: skip
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "rows": rows(found, now),
        "scope": scope,
        "status": status,
        "kind": kind,
        "overdue": overdue,
        "counts": inbox_counts(user, facility, now),
        "mine_query": _query(request.GET, scope=Scope.MINE),
        "all_query": _query(request.GET, scope=Scope.ALL),
        "statuses": [(WAITING, "Waiting (open or in progress)"), (ANY, "Any"),
                     *RequestStatus.choices],
        "kinds": RequestKind.choices,
        "can_file": user_has_perm(user, Perm.REQUEST_FILE, facility.pk),
    }  # fmt: skip
    return render(request, "requests/inbox.html", context)


# --- Filing ------------------------------------------------------------------------


def _people(facility: Facility, text: str) -> list[Booking]:
    """People held at ``facility`` matching a name, booking number or date of birth."""
    if not text.strip():
        return []
    return list(
        Booking.objects.filter(search_q(text), facility=facility, status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "booking_number")[:SEARCH_LIMIT]
    )


def _held_here(user: User, facility: Facility, number: str) -> Booking | None:
    try:
        booking = booking_get_for_user(user, number)
    except NotFound:
        return None
    return booking if booking.facility_id == facility.pk else None


def _render_new(
    request: HttpRequest,
    facility: Facility,
    form: RequestForm,
    *,
    chosen: Booking | None = None,
    status: int = 200,
) -> HttpResponse:
    searched = request.GET.get("q", "").strip()
    people = _people(facility, searched)
    if chosen is not None and chosen not in people:
        people.insert(0, chosen)
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "form": form,
        "people": people,
        "chosen": chosen.booking_number if chosen else "",
        "searched": searched,
        "kinds": RequestKind.choices,
        "categories": RequestCategory.choices,
        "roles": _role_choices(),
        "staff": staff_choices(facility),
        "staff_prefix": STAFF_PREFIX,
        "answer_days": facility.policy.request_answer_days,
    }
    return render(request, "requests/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Perm.REQUEST_FILE)
def request_new(request: HttpRequest) -> HttpResponse:
    """File a request or grievance for a person held here."""
    facility = _facility(request, Perm.REQUEST_FILE)
    user = _me(request)
    if request.method != "POST":
        number = request.GET.get("booking", "").strip()
        chosen = _held_here(user, facility, number) if number else None
        initial = {"kind": RequestKind.REQUEST, "category": RequestCategory.GENERAL}
        return _render_new(request, facility, RequestForm(initial=initial), chosen=chosen)
    form = RequestForm(request.POST)
    form.is_valid()
    problems: dict[str, list[str]] = {}
    number = form.typed("booking")
    booking = _held_here(user, facility, number) if number else None
    if not number:
        problems["booking"] = [CHOOSE_PERSON]
    elif booking is None:
        problems["booking"] = [NOT_HELD_HERE.format(number=number)]
    role, username = split_addressee(form.typed("addressee"))
    addressee = member_of(facility, username) if username else None
    if username and addressee is None:
        problems["addressee"] = [NOT_STAFF.format(username=username)]
    try:
        if problems or booking is None:
            raise ValidationFailed.for_fields(problems)
        filed = request_file(
            actor=user, booking=booking, kind=form.typed("kind"), subject=form.typed("subject"),
            text=form.typed("text"), category=form.typed("category") or RequestCategory.GENERAL,
            addressee_role=role, addressee=addressee, filed_via=FiledVia.OFFICER,
        )  # fmt: skip
    except DomainError as exc:
        _form_errors(form, exc)
        return _render_new(request, facility, form, chosen=booking, status=exc.status)
    messages.success(
        request,
        FILED.format(
            number=filed.number, addressee=addressee_text(filed), due=_due(filed.due_at, facility)
        ),
    )
    return redirect(reverse("requests:detail", args=[filed.public_id]))


@require_GET
@requires(Perm.REQUEST_FILE)
def people(request: HttpRequest) -> HttpResponse:
    """The people offered on the filing form, narrowed to what was typed (htmx)."""
    facility = _facility(request, Perm.REQUEST_FILE)
    searched = request.GET.get("q", "").strip()
    context = {"people": _people(facility, searched), "chosen": "", "searched": searched}
    return _fragment(render(request, "requests/new.html#people", context))


# --- One request -------------------------------------------------------------------


def _form_errors(form: Any, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
        form.add_service_errors(exc.extra["fields"])
    else:
        form.add_error(None, exc.message)


def _render_detail(
    request: HttpRequest,
    found: InmateRequest,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    now = clock.now()
    facility = found.facility
    perms = user.perms_at(facility.pk)
    answerer = may_answer(user, found)
    files = Perm.REQUEST_FILE in perms
    waiting = found.status in WAITING_STATUSES
    finished = found.status in (RequestStatus.CLOSED, RequestStatus.WITHDRAWN)
    grievance = found.kind == RequestKind.GRIEVANCE
    forms = forms or {}
    context = {
        "r": found,
        "facility": facility,
        "tz": facility.timezone,
        "tone": "bad" if is_overdue(found, now) else STATUS_TONES[found.status],
        "overdue": is_overdue(found, now),
        "addressee": addressee_text(found),
        "level_label": GRIEVANCE_LEVELS[found.level] if grievance else "",
        "entries": list(found.entries.all()),
        "can_take_up": answerer and found.status == RequestStatus.OPEN,
        "can_respond": answerer and waiting,
        "can_route": answerer and waiting,
        "can_close": answerer and found.status == RequestStatus.ANSWERED,
        "can_note": (answerer or files) and not finished,
        "can_withdraw": files and waiting,
        "can_appeal": files and grievance and found.status == RequestStatus.ANSWERED
        and found.level < max(GRIEVANCE_LEVELS),
        "next_level": GRIEVANCE_LEVELS.get(found.level + 1, ""),
        "final_level": grievance and found.level == max(GRIEVANCE_LEVELS),
        "roles": _role_choices(),
        "staff": staff_choices(facility) if answerer and waiting else [],
        "staff_prefix": STAFF_PREFIX,
        "respond_form": forms.get("respond") or TextForm(prefix="respond"),
        "take_up_form": forms.get("take_up") or NoteForm(prefix="take_up"),
        "route_form": forms.get("route") or RouteForm(prefix="route"),
        "note_form": forms.get("note") or TextForm(prefix="note"),
        "close_form": forms.get("close") or NoteForm(prefix="close"),
        "withdraw_form": forms.get("withdraw") or ReasonForm(prefix="withdraw"),
        "appeal_form": forms.get("appeal") or TextForm(prefix="appeal"),
        "error": next((f.non_field_errors()[0] for f in forms.values() if f.non_field_errors()),
                      ""),
    }  # fmt: skip
    return render(request, "requests/detail.html", context, status=status)


@require_GET
@requires(VIEW)
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """One request: what was asked, its thread, and what the reader may do next."""
    return _render_detail(request, request_get_for_user(_me(request), request_id))


def _act(
    request: HttpRequest,
    request_id: uuid.UUID,
    key: str,
    form_class: type[Any],
    act: Callable[[User, InmateRequest, Any], InmateRequest],
    message: Callable[[InmateRequest], str],
    anchor: str = "",
) -> HttpResponse:
    """Run one action of the detail page; errors come back on the page beside its form."""
    user = _me(request)
    found = request_get_for_user(user, request_id)
    form = form_class(request.POST, prefix=key)
    form.is_valid()
    try:
        done = act(user, found, form)
    except DomainError as exc:
        _form_errors(form, exc)
        fresh = request_get_for_user(user, request_id)
        return _render_detail(request, fresh, forms={key: form}, status=exc.status)
    messages.success(request, message(done))
    return redirect(reverse("requests:detail", args=[found.public_id]) + anchor)


@require_POST
@requires(VIEW)
def take_up(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "take_up", NoteForm,
        lambda user, found, form: request_take_up(
            actor=user, request=found, note=form.typed("note")
        ),
        lambda done: TAKEN_UP.format(number=done.number),
    )  # fmt: skip


def _note(user: User, found: InmateRequest, form: TextForm) -> InmateRequest:
    request_note(actor=user, request=found, text=form.typed("text"))
    return found


@require_POST
@requires(VIEW)
def note(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "note", TextForm, _note,
        lambda done: NOTE_ADDED.format(number=done.number), "#thread",
    )  # fmt: skip


@require_POST
@requires(VIEW)
def respond(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "respond", TextForm,
        lambda user, found, form: request_respond(
            actor=user, request=found, text=form.typed("text")
        ),
        lambda done: ANSWERED.format(number=done.number), "#thread",
    )  # fmt: skip


def _route(user: User, found: InmateRequest, form: RouteForm) -> InmateRequest:
    role, username = split_addressee(form.typed("addressee"))
    addressee = member_of(found.facility, username) if username else None
    if username and addressee is None:
        raise ValidationFailed.for_fields({"addressee": [NOT_STAFF.format(username=username)]})
    return request_route(
        actor=user, request=found, addressee_role=role, addressee=addressee,
        note=form.typed("note"),
    )  # fmt: skip


@require_POST
@requires(VIEW)
def route(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "route", RouteForm, _route,
        lambda done: ROUTED.format(number=done.number, addressee=addressee_text(done)),
    )  # fmt: skip


@require_POST
@requires(VIEW)
def close(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "close", NoteForm,
        lambda user, found, form: request_close(
            actor=user, request=found, note=form.typed("note")
        ),
        lambda done: CLOSED.format(number=done.number),
    )  # fmt: skip


@require_POST
@requires(Perm.REQUEST_FILE)
def withdraw(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "withdraw", ReasonForm,
        lambda user, found, form: request_withdraw(
            actor=user, request=found, reason=form.typed("reason")
        ),
        lambda done: WITHDRAWN.format(number=done.number),
    )  # fmt: skip


@require_POST
@requires(Perm.REQUEST_FILE)
def appeal(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, request_id, "appeal", TextForm,
        lambda user, found, form: grievance_appeal(
            actor=user, request=found, text=form.typed("text")
        ),
        lambda done: APPEALED.format(
            number=done.number, level=GRIEVANCE_LEVELS[done.level].lower(),
            addressee=addressee_text(done), due=_due(done.due_at, done.facility),
        ),
    )  # fmt: skip


# --- Kiosk -------------------------------------------------------------------------


def _kiosk_paused(request: HttpRequest, now: dt.datetime) -> bool:
    recent = [
        moment
        for moment in request.session.get(KIOSK_FAILURES, [])
        if dt.datetime.fromisoformat(moment) > now - KIOSK_PAUSE
    ]
    request.session[KIOSK_FAILURES] = recent
    return len(recent) >= KIOSK_TRIES


def _kiosk_failed(request: HttpRequest, now: dt.datetime) -> None:
    request.session[KIOSK_FAILURES] = [
        *request.session.get(KIOSK_FAILURES, []),
        now.isoformat(),
    ]


def _kiosk_person(
    request: HttpRequest, facility: Facility, form: KioskIdentifyForm
) -> Booking | None:
    """The person the form names, or None with the form's error set (never saying which part)."""
    now = clock.now()
    if _kiosk_paused(request, now):
        form.add_error(None, KIOSK_TOO_MANY)
        return None
    number = form.typed("booking_number")
    born = form.cleaned_data.get("date_of_birth") if not form.errors else None
    if not number or not born:
        form.add_error(None, KIOSK_BOTH_NEEDED)
        return None
    booking = kiosk_identify(facility, number, born)
    if booking is None:
        _kiosk_failed(request, now)
        form.add_error(None, KIOSK_NOT_FOUND)
        return None
    request.session.pop(KIOSK_FAILURES, None)
    return booking


def _render_kiosk(
    request: HttpRequest,
    facility: Facility,
    step: str,
    form: Any,
    *,
    booking: Booking | None = None,
    filed: InmateRequest | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "step": step,
        "form": form,
        "booking": booking,
        "filed": filed,
        "kiosk_roles": KIOSK_ROLES,
        "kinds": RequestKind.choices,
        "answer_days": facility.policy.request_answer_days,
    }
    return render(request, "requests/kiosk.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Perm.REQUEST_FILE)
def kiosk(request: HttpRequest) -> HttpResponse:
    """The unit tablet's page: the person identifies, writes, and gets their number."""
    facility = _facility(request, Perm.REQUEST_FILE)
    user = _me(request)
    if request.method != "POST":
        filed_id = request.GET.get("filed", "")
        if filed_id:
            filed = request_get_for_user(user, filed_id)
            return _render_kiosk(request, facility, "done", KioskIdentifyForm(), filed=filed)
        return _render_kiosk(request, facility, "identify", KioskIdentifyForm())
    if request.POST.get("step") != "write":
        form: KioskIdentifyForm = KioskIdentifyForm(request.POST)
        form.is_valid()
        booking = _kiosk_person(request, facility, form)
        if booking is None:
            return _render_kiosk(request, facility, "identify", form, status=400)
        write = KioskRequestForm(
            initial={
                "booking_number": booking.booking_number,
                "date_of_birth": form.cleaned_data["date_of_birth"].isoformat(),
                "kind": RequestKind.REQUEST,
            }
        )
        return _render_kiosk(request, facility, "write", write, booking=booking)
    form = KioskRequestForm(request.POST)
    form.is_valid()
    booking = _kiosk_person(request, facility, form)
    if booking is None:
        return _render_kiosk(request, facility, "identify", form, status=400)
    try:
        filed = request_file(
            actor=user, booking=booking, kind=form.typed("kind") or RequestKind.REQUEST,
            subject=form.typed("subject"), text=form.typed("text"),
            addressee_role=form.typed("addressee_role"), filed_via=FiledVia.KIOSK,
        )  # fmt: skip
    except DomainError as exc:
        _form_errors(form, exc)
        return _render_kiosk(request, facility, "write", form, booking=booking, status=exc.status)
    return redirect(reverse("requests:kiosk") + f"?filed={filed.public_id}")


# --- The profile's section ---------------------------------------------------------


def requests_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """The booking's requests not yet closed, soonest due first, with overdue ones marked."""
    now = clock.now()
    return {
        "rows": rows(requests_for_booking(booking), now),
        "can_file": booking.is_open
        and user_has_perm(request.user, Perm.REQUEST_FILE, booking.facility_id),
    }
