"""Inmate requests and grievances: filed, routed, taken up, answered, closed, appealed, escalated.

A request is filed for a person in custody by a member of staff (on paper,
through an officer, or at the unit's kiosk, whose session is the staff
member's).  It is addressed to a role at the facility or to a named member of
staff; that addressee, or a manager (a supervisor, the commander), takes it up,
routes it elsewhere and answers it.  The answer is due within the policy's
days (LASD: 15); an unanswered request past that goes up to the commander
(``requests_escalate_overdue``, run by the compliance sweep and by
``cellblock requests escalate``).  A grievance has levels: the first answered
by a supervisor, an appeal to the commander, a final appeal to the agency
whose answer the commander records.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.numbers import save_numbered
from cellblock.core.roles import Perm, Role
from cellblock.facilities.models import Facility
from cellblock.requests.models import (
    ADDRESSEE_ROLES,
    GRIEVANCE_ADDRESSEES,
    GRIEVANCE_LEVELS,
    REQUEST_TRANSITIONS,
    WAITING_STATUSES,
    EntryKind,
    FiledVia,
    InmateRequest,
    RequestCategory,
    RequestEntry,
    RequestKind,
    RequestStatus,
)
from cellblock.requests.selectors import addressee_roles_of, addressee_text, may_answer

FILE_DENIED = (
    "Filing a request for someone held at {facility} needs an officer, a supervisor, the visits "
    "desk, a medic or the commander."
)
NOT_ADDRESSEE = (
    "{number} is addressed to the {addressee}: only they, a supervisor or the commander may "
    "{action} it."
)
ON_BEHALF_DENIED = (
    "Only staff who file requests at {facility} (officers, supervisors, the visits desk, medics, "
    "the commander) may {action} on the person's behalf."
)
NOTE_DENIED = (
    "Adding to {number} needs its addressee, a supervisor, the commander or staff who file "
    "requests at {facility}."
)
NOT_IN_CUSTODY = "{number} is not in custody at {facility}: a request is filed for someone held."
NOT_A_KIND = "'{value}' is not a kind; choose one of {choices}."
NOT_A_CATEGORY = "'{value}' is not a category; choose one of {choices}."
NOT_A_WAY = "'{value}' is not a way of filing; choose one of {choices}."
NOT_A_ROLE = "'{value}' is not a role requests go to; choose one of {choices}."
REQUIRED = "is required."
SUBJECT_REQUIRED = "is required: say in a few words what it is about."
TEXT_REQUIRED = "is required: write what the person asks."
ANSWER_REQUIRED = "is required: write the answer the person will read."
REASON_REQUIRED = "is required: say why the request is withdrawn."
APPEAL_REQUIRED = "is required: say why the person appeals the answer."
TOO_LONG = "is too long: at most {limit} characters."
ADDRESSEE_NEEDED = "is required: address the request to a role or to a named member of staff."
ADDRESSEE_TWICE = "address the request to a role or to a named member of staff, not both."
STAFF_NOT_HERE = "{name} does not answer requests at {facility}: choose a member of its staff."
ALREADY_ADDRESSED = "{number} is already addressed to the {addressee}."
BAD_TRANSITION = "{number} is {current}: it cannot be {action}."
NOT_A_GRIEVANCE = "{number} is a request, not a grievance: only grievances are appealed."
NO_FURTHER_APPEAL = (
    "{number} has had its final appeal (to the agency, level {level}): it cannot be appealed again."
)
APPEAL_ONLY_ANSWERED = "{number} is {current}: only an answered grievance can be appealed."
HANDED_IN_PAPER_ONLY = "is for paper forms typed in later (filed_via=paper)."
HANDED_IN_NOT_PAST = "must be a past moment with its time zone."
HANDED_IN_BEFORE_BOOKING = "is before {number} was booked."
NUMBER_TAKEN = "Request numbers were taken by requests filed at the same moment; try again."
ESCALATED_NOTE = "Not answered by {due} ({zone}): sent up to the commander."
ESCALATED_KEPT_NOTE = "Not answered by {due} ({zone}): already with the commander."

SUBJECT_LIMIT = 200
TEXT_LIMIT = 10_000

_NUMBER_KINDS = {RequestKind.REQUEST: "REQ", RequestKind.GRIEVANCE: "GRV"}


def _choices(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(values)


def _facility_local(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def _text(value: str, field: str, required: str, limit: int, errors: dict[str, list[str]]) -> str:
    """``value`` trimmed; too long is an error, and so is empty unless ``required`` is ""."""
    value = value.strip()
    if not value:
        if required:
            errors.setdefault(field, []).append(required)
    elif len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def _checked_text(value: str, field: str, required: str = "") -> str:
    """One text field alone, trimmed; 422 when it is empty (and ``required``) or too long."""
    errors: dict[str, list[str]] = {}
    value = _text(value, field, required, TEXT_LIMIT, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    return value


def _check_addressee(
    facility: Facility,
    addressee_role: str,
    addressee: User | None,
    errors: dict[str, list[str]],
    *,
    required: bool = True,
) -> None:
    if addressee_role and addressee is not None:
        errors.setdefault("addressee", []).append(ADDRESSEE_TWICE)
    elif addressee_role and addressee_role not in ADDRESSEE_ROLES:
        errors.setdefault("addressee_role", []).append(
            NOT_A_ROLE.format(value=addressee_role, choices=_choices(ADDRESSEE_ROLES))
        )
    elif addressee is not None and not (
        addressee.is_active and addressee_roles_of(addressee, facility.pk)
    ):
        errors.setdefault("addressee", []).append(
            STAFF_NOT_HERE.format(name=addressee, facility=facility.name)
        )
    elif required and not addressee_role and addressee is None:
        errors.setdefault("addressee_role", []).append(ADDRESSEE_NEEDED)


def _addressee_changes(request: InmateRequest) -> dict[str, object]:
    return {
        "addressee_role": request.addressee_role,
        "addressee": request.addressee.get_username() if request.addressee else None,
    }


def _locked(request: InmateRequest) -> InmateRequest:
    # Lock the request's row only: its addressee is an outer join PostgreSQL cannot lock.
    return (
        InmateRequest.objects.select_for_update(of=("self",))
        .select_related("facility", "addressee")
        .get(pk=request.pk)
    )


def _require_answerer(actor: User, request: InmateRequest, action: str) -> None:
    if not may_answer(actor, request):
        raise PermissionDenied(
            NOT_ADDRESSEE.format(
                number=request.number, addressee=addressee_text(request), action=action
            ),
            code="not_addressee",
        )


def _require_on_behalf(actor: User, request: InmateRequest, action: str) -> None:
    if Perm.REQUEST_FILE not in actor.perms_at(request.facility_id):
        raise PermissionDenied(
            ON_BEHALF_DENIED.format(facility=request.facility.name, action=action),
            code="missing_role",
        )


def _invalid(request: InmateRequest, message: str, action: str = "") -> Conflict:
    """The request's status forbids the step: 409, with what it may still become."""
    return Conflict(
        message.format(
            number=request.number, current=request.get_status_display().lower(), action=action
        ),
        code="invalid_transition",
        extra={"status": request.status, "allowed": sorted(REQUEST_TRANSITIONS[request.status])},
    )


def _require_move(request: InmateRequest, to: str, action: str) -> None:
    if to not in REQUEST_TRANSITIONS[request.status]:
        raise _invalid(request, BAD_TRANSITION, action)


def _entry(
    request: InmateRequest,
    kind: str,
    actor: User | None,
    at: dt.datetime,
    text: str = "",
    *,
    to_role: str = "",
    to_user: User | None = None,
) -> RequestEntry:
    return RequestEntry.objects.create(
        request=request, kind=kind, text=text, at=at, actor=actor, level=request.level,
        to_role=to_role, to_user=to_user,
    )  # fmt: skip


# --- Filing ------------------------------------------------------------------------


def request_file(
    *,
    actor: User,
    booking: Booking,
    kind: str,
    subject: str,
    text: str,
    category: str = RequestCategory.GENERAL,
    addressee_role: str = "",
    addressee: User | None = None,
    filed_via: str = FiledVia.OFFICER,
    handed_in_at: dt.datetime | None = None,
) -> InmateRequest:
    """File a request or grievance for ``booking``'s person, numbered and due in policy days.

    ``actor`` wrote it down for the person, or is the staff member whose kiosk
    session the person used (``filed_via="kiosk"``).  A grievance with no
    addressee goes to the supervisors.  A paper form typed in later keeps the
    day it was handed in (``handed_in_at``): its deadline runs from then.
    """
    facility = booking.facility
    if Perm.REQUEST_FILE not in actor.perms_at(facility.pk):
        raise PermissionDenied(FILE_DENIED.format(facility=facility.name), code="missing_role")
    errors: dict[str, list[str]] = {}
    if kind not in RequestKind.values:
        errors["kind"] = [NOT_A_KIND.format(value=kind, choices=_choices(RequestKind.values))]
    if category not in RequestCategory.values:
        errors["category"] = [
            NOT_A_CATEGORY.format(value=category, choices=_choices(RequestCategory.values))
        ]
    if filed_via not in FiledVia.values:
        errors["filed_via"] = [NOT_A_WAY.format(value=filed_via, choices=_choices(FiledVia.values))]
    subject = _text(subject, "subject", SUBJECT_REQUIRED, SUBJECT_LIMIT, errors)
    text = _text(text, "text", TEXT_REQUIRED, TEXT_LIMIT, errors)
    if kind == RequestKind.GRIEVANCE and not addressee_role and addressee is None:
        addressee_role = GRIEVANCE_ADDRESSEES[1]
    _check_addressee(facility, addressee_role, addressee, errors)
    now = clock.now()
    if handed_in_at is not None:
        if filed_via != FiledVia.PAPER:
            errors.setdefault("handed_in_at", []).append(HANDED_IN_PAPER_ONLY)
        elif timezone.is_naive(handed_in_at) or handed_in_at > now:
            errors.setdefault("handed_in_at", []).append(HANDED_IN_NOT_PAST)
        elif handed_in_at < booking.booked_at:
            errors.setdefault("handed_in_at", []).append(
                HANDED_IN_BEFORE_BOOKING.format(number=booking.booking_number)
            )
    if errors:
        raise ValidationFailed.for_fields(errors)
    if not booking.is_open:
        raise Conflict(
            NOT_IN_CUSTODY.format(number=booking.booking_number, facility=facility.name),
            code="not_in_custody",
        )
    filed_at = handed_in_at or now
    year = clock.local(filed_at, facility.timezone).year
    request = InmateRequest(
        facility=facility, booking=booking, kind=kind, category=category, subject=subject,
        text=text, addressee_role=addressee_role, addressee=addressee,
        status=RequestStatus.OPEN, level=1, filed_via=filed_via, filed_at=filed_at,
        filed_by=actor, due_at=filed_at + dt.timedelta(days=facility.policy.request_answer_days),
    )  # fmt: skip
    with transaction.atomic():
        save_numbered(
            request, numbered=InmateRequest.objects.filter(facility=facility),
            prefix=f"{facility.code}-{_NUMBER_KINDS[RequestKind(kind)]}-{year}-",
            taken_message=NUMBER_TAKEN, taken_code="request_number_taken",
        )  # fmt: skip
        _entry(request, EntryKind.FILED, actor, filed_at, to_role=addressee_role, to_user=addressee)
        audit_record(
            actor=actor, action="request.file", obj=request, facility=facility,
            changes={
                "number": request.number, "booking": booking.booking_number, "kind": kind,
                "category": category, "subject": subject, "filed_via": filed_via,
                "due_at": request.due_at, **_addressee_changes(request),
            },
        )  # fmt: skip
    return request


# --- The addressee's work ---------------------------------------------------------


def request_route(
    *,
    actor: User,
    request: InmateRequest,
    addressee_role: str = "",
    addressee: User | None = None,
    note: str = "",
) -> InmateRequest:
    """Send a waiting request to another role or named member of staff; its due time stays."""
    _require_answerer(actor, request, "route")
    errors: dict[str, list[str]] = {}
    _check_addressee(request.facility, addressee_role, addressee, errors)
    note = _text(note, "note", "", TEXT_LIMIT, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        if locked.status not in WAITING_STATUSES:
            raise _invalid(locked, BAD_TRANSITION, "routed")
        if locked.addressee_role == addressee_role and locked.addressee == addressee:
            raise ValidationFailed.for_fields(
                {
                    "addressee" if addressee else "addressee_role": [
                        ALREADY_ADDRESSED.format(
                            number=locked.number, addressee=addressee_text(locked)
                        )
                    ]
                }
            )
        before = _addressee_changes(locked)
        locked.addressee_role, locked.addressee = addressee_role, addressee
        fields = ["addressee_role", "addressee"]
        # Taken up by the previous addressee: it waits for the new one.
        if locked.status == RequestStatus.IN_PROGRESS:
            locked.status = RequestStatus.OPEN
            fields.append("status")
        locked.save(update_fields=fields)
        _entry(
            locked, EntryKind.ROUTED, actor, now, note, to_role=addressee_role, to_user=addressee
        )
        after = _addressee_changes(locked)
        audit_record(
            actor=actor, action="request.route", obj=locked, facility=locked.facility,
            reason=note, changes={name: [before[name], after[name]] for name in before},
        )  # fmt: skip
    return locked


def request_take_up(*, actor: User, request: InmateRequest, note: str = "") -> InmateRequest:
    """The addressee (or a manager) starts on it: open → in progress."""
    _require_answerer(actor, request, "take up")
    note = _checked_text(note, "note")
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        _require_move(locked, RequestStatus.IN_PROGRESS, "taken up")
        locked.status = RequestStatus.IN_PROGRESS
        locked.save(update_fields=["status"])
        _entry(locked, EntryKind.TAKEN_UP, actor, now, note)
        audit_record(
            actor=actor, action="request.take_up", obj=locked, facility=locked.facility,
            reason=note, changes={"status": [RequestStatus.OPEN, RequestStatus.IN_PROGRESS]},
        )  # fmt: skip
    return locked


def request_note(*, actor: User, request: InmateRequest, text: str) -> RequestEntry:
    """Add to the thread (what was done, what the person added); the status stays."""
    perms = actor.perms_at(request.facility_id)
    if not (may_answer(actor, request) or Perm.REQUEST_FILE in perms):
        raise PermissionDenied(
            NOTE_DENIED.format(number=request.number, facility=request.facility.name),
            code="not_addressee",
        )
    text = _checked_text(text, "text", REQUIRED)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        if locked.status in (RequestStatus.CLOSED, RequestStatus.WITHDRAWN):
            raise Conflict(
                BAD_TRANSITION.format(
                    number=locked.number, current=locked.get_status_display().lower(),
                    action="added to",
                ),
                code="request_finished",
            )  # fmt: skip
        entry = _entry(locked, EntryKind.NOTE, actor, now, text)
        audit_record(
            actor=actor, action="request.note", obj=locked, facility=locked.facility,
            changes={"text": text},
        )  # fmt: skip
    return entry


def request_respond(*, actor: User, request: InmateRequest, text: str) -> InmateRequest:
    """Answer it: the addressee (role held at the facility, or the named user) or a manager.

    At a grievance's final level the answer recorded is the agency's.
    """
    _require_answerer(actor, request, "answer")
    text = _checked_text(text, "text", ANSWER_REQUIRED)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        _require_move(locked, RequestStatus.ANSWERED, "answered")
        before = locked.status
        locked.status, locked.answered_at, locked.answered_by = RequestStatus.ANSWERED, now, actor
        locked.save(update_fields=["status", "answered_at", "answered_by"])
        _entry(locked, EntryKind.RESPONSE, actor, now, text)
        audit_record(
            actor=actor, action="request.respond", obj=locked, facility=locked.facility,
            changes={
                "status": [before, RequestStatus.ANSWERED], "level": locked.level,
                "late": now > locked.due_at,
            },
        )  # fmt: skip
    return locked


def request_close(*, actor: User, request: InmateRequest, note: str = "") -> InmateRequest:
    """Close an answered request (or a grievance the person does not appeal)."""
    _require_answerer(actor, request, "close")
    note = _checked_text(note, "note")
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        _require_move(locked, RequestStatus.CLOSED, "closed")
        locked.status, locked.closed_at = RequestStatus.CLOSED, now
        locked.save(update_fields=["status", "closed_at"])
        _entry(locked, EntryKind.CLOSED, actor, now, note)
        audit_record(
            actor=actor, action="request.close", obj=locked, facility=locked.facility,
            reason=note, changes={"status": [RequestStatus.ANSWERED, RequestStatus.CLOSED]},
        )  # fmt: skip
    return locked


# --- On the person's behalf ------------------------------------------------------


def request_withdraw(*, actor: User, request: InmateRequest, reason: str) -> InmateRequest:
    """The person takes it back before it is answered (staff record it for them)."""
    _require_on_behalf(actor, request, "withdraw a request")
    reason = _checked_text(reason, "reason", REASON_REQUIRED)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        _require_move(locked, RequestStatus.WITHDRAWN, "withdrawn")
        before = locked.status
        locked.status, locked.closed_at = RequestStatus.WITHDRAWN, now
        locked.save(update_fields=["status", "closed_at"])
        _entry(locked, EntryKind.WITHDRAWN, actor, now, reason)
        audit_record(
            actor=actor, action="request.withdraw", obj=locked, facility=locked.facility,
            reason=reason, changes={"status": [before, RequestStatus.WITHDRAWN]},
        )  # fmt: skip
    return locked


def grievance_appeal(*, actor: User, request: InmateRequest, text: str) -> InmateRequest:
    """Appeal an answered grievance to the next level, addressed as GRIEVANCE_ADDRESSEES says.

    Level 2 goes to the commander; level 3 is the final appeal to the agency,
    whose answer the commander records.  The new level is due in policy days.
    """
    _require_on_behalf(actor, request, "appeal a grievance")
    text = _checked_text(text, "text", APPEAL_REQUIRED)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(request)
        if locked.kind != RequestKind.GRIEVANCE:
            raise Conflict(NOT_A_GRIEVANCE.format(number=locked.number), code="not_a_grievance")
        final = max(GRIEVANCE_LEVELS)
        if locked.level >= final:
            raise Conflict(
                NO_FURTHER_APPEAL.format(number=locked.number, level=locked.level),
                code="no_further_appeal",
            )
        if locked.status != RequestStatus.ANSWERED:
            raise _invalid(locked, APPEAL_ONLY_ANSWERED)
        before = {"level": locked.level, **_addressee_changes(locked)}
        locked.level += 1
        locked.status = RequestStatus.OPEN
        locked.addressee_role, locked.addressee = GRIEVANCE_ADDRESSEES[locked.level], None
        locked.due_at = now + dt.timedelta(days=locked.facility.policy.request_answer_days)
        locked.answered_at, locked.answered_by, locked.escalated_at = None, None, None
        locked.save(
            update_fields=[
                "level", "status", "addressee_role", "addressee", "due_at", "answered_at",
                "answered_by", "escalated_at",
            ]
        )  # fmt: skip
        _entry(locked, EntryKind.APPEALED, actor, now, text, to_role=locked.addressee_role)
        audit_record(
            actor=actor, action="request.appeal", obj=locked, facility=locked.facility,
            reason=text,
            changes={
                "level": [before["level"], locked.level], "status": [RequestStatus.ANSWERED,
                RequestStatus.OPEN], "addressee_role": [before["addressee_role"],
                locked.addressee_role], "due_at": locked.due_at,
            },
        )  # fmt: skip
    return locked


# --- Deadlines ----------------------------------------------------------------------


def requests_escalate_overdue(*, facility: Facility, now: dt.datetime) -> list[InmateRequest]:
    """Send every request waiting past its due time up to the commander, once.

    Run by the system (no actor): the compliance sweep and ``cellblock requests
    escalate``.  A request already with the commander (the role, or a
    commander by name) keeps its addressee; it is marked escalated all the same,
    so the board knows the commander must act.  Returns the requests escalated.
    """
    zone = facility.timezone
    with transaction.atomic():
        due = list(
            InmateRequest.objects.select_for_update(of=("self",))
            .filter(
                facility=facility, status__in=sorted(WAITING_STATUSES), due_at__lte=now,
                escalated_at__isnull=True,
            )
            .select_related("addressee")
            .order_by("due_at", "pk")
        )  # fmt: skip
        if not due:
            return []
        commanders = set(
            facility.memberships.filter(role=Role.COMMANDER, active=True).values_list(
                "user_id", flat=True
            )
        )
        for request in due:
            before = _addressee_changes(request)
            kept = request.addressee_role == Role.COMMANDER or request.addressee_id in commanders
            if not kept:
                request.addressee_role, request.addressee = Role.COMMANDER, None
            request.escalated_at = now
            template = ESCALATED_KEPT_NOTE if kept else ESCALATED_NOTE
            _entry(
                request, EntryKind.ESCALATED, None, now,
                template.format(due=_facility_local(request.due_at, facility), zone=zone),
                to_role=request.addressee_role, to_user=request.addressee,
            )  # fmt: skip
            after = _addressee_changes(request)
            audit_record(
                actor=None, action="request.escalate", obj=request, facility=facility,
                reason="overdue",
                changes={
                    "due_at": request.due_at,
                    **{name: [before[name], after[name]] for name in before if not kept},
                },
            )  # fmt: skip
        InmateRequest.objects.bulk_update(due, ["addressee_role", "addressee", "escalated_at"])
    return due
