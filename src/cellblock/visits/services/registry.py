"""The visitor registry: visitors, their identity and approval, guardians, bans,
visiting lists, visit rooms and visit suspensions.

A visitor is a person (``people.Person``) registered at one facility.  Nobody
held in custody is registered or approved as a visitor.  Bans and suspensions
cancel the visits already booked inside their window, each cancellation audited
on its own visit, so the schedule never shows a visit that cannot happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record, model_changes
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.services.movements import require_perm
from cellblock.facilities.models import Facility, Zone
from cellblock.incidents.models import Incident
from cellblock.people.models import IdentifierKind, Person, Sex
from cellblock.people.names import name_key
from cellblock.people.services import person_create
from cellblock.visits.models import (
    UNLIMITED_KINDS,
    GuardianRole,
    Guardianship,
    ListEntryStatus,
    Relationship,
    RoomKind,
    Visit,
    VisitingListEntry,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitParticipant,
    VisitRoom,
    VisitStatus,
    VisitSuspension,
)

ADULT_AGE = 18

# --- Messages (tests assert on them) -------------------------------------------------

REQUIRED = "is required."
TOO_LONG = "is too long: at most {limit} characters."
NAME_REQUIRED = "a given name or a family name is required."
NOT_A_CHOICE = "'{value}' is not one of {choices}."
BORN_IN_FUTURE = "cannot be in the future."
NAIVE_TIME = "must say its time zone."
ID_PAIR = "is required with {other}: give the kind of document and its number together."
VISITOR_EXISTS = "{name} is already registered as a visitor at {facility}."
ID_TAKEN = "{kind} {number} is the document of {name}, already registered at {facility}."
VISITOR_IN_CUSTODY = "{name} is held in custody at {facility} and cannot be {what} as a visitor."
KEPT_BY_BOOKING = (
    "is kept on the booking record of {name}: the booking staff correct it there, not here."
)
NOT_CHANGEABLE = "cannot be changed here."
IDENTITY_NOT_CHECKED = (
    "{name} cannot be approved: no identity document has been checked. Record the check first."
)
DENIAL_NOTE_REQUIRED = "is required when denying a visitor: say why."
ALREADY_DECIDED = "{name} is already {status}."
GUARDIAN_MUST_BE_ADULT = "{name} is a guardian of {ward}: a guardian must be an adult."
BAN_REASON_REQUIRED = "is required: say why the visitor is barred."
EXPIRES_NOT_AFTER_START = "must be after starts_at ({starts_at})."
EXPIRES_IN_PAST = "is in the past: the {what} would never be in force."
BAN_LIFTED = "This ban was lifted at {when} by {who}."
BAN_EXPIRED = "This ban expired at {when}: there is nothing to lift."
LIFT_REASON_REQUIRED = "is required: say why it is lifted early."
NO_BIRTH_DATE = "{name} has no date of birth on record: record it to tell a minor from an adult."
MINOR_IS_ADULT = "{name} is {age} today: only visitors under {adult} need a guardian."
GUARDIAN_IS_MINOR = "{name} is {age} today: a guardian must be an adult ({adult} or over)."
GUARDIAN_SELF = "must be another visitor than the minor."
GUARDIAN_OTHER_FACILITY = (
    "{name} is registered at {other}, not at {facility}: register them here first."
)
GUARDIAN_EXISTS = "{guardian} is already recorded as a guardian of {minor}."
BOOKING_NOT_HELD = "{booking} is no longer held: there is no visiting list to keep."
VISITOR_OTHER_FACILITY = (
    "{name} is registered as a visitor at {other}, not at {facility} where {booking} is held."
)
VISITOR_IS_THE_PERSON = "{name} cannot be on their own visiting list."
ALREADY_LISTED = "{name} is already on the visiting list of {booking} ({status})."
ENTRY_DECIDED = "{name} on the list of {booking} was already decided ({status})."
ENTRY_REMOVED = "{name} was already removed from the list of {booking} on {when}."
REFUSAL_NOTE_REQUIRED = "is required when refusing: say why."
REMOVE_REASON_REQUIRED = "is required: say why the visitor comes off the list."
ROOM_CODE_TAKEN = "is taken by {name} at {facility}."
CAPACITY_TOO_LOW = "must be at least 1 (visits at once)."
CLOSES_NOT_AFTER_OPENS = "must be after opens_at ({opens_at:%H:%M})."
ZONE_OTHER_FACILITY = "{zone} is a zone of {other}, not of {facility}."
SUSPENSION_REASON_REQUIRED = "is required: say what the sanction is for."
INCIDENT_OTHER_FACILITY = "{number} is an incident of {other}, not of {facility}."
SUSPENSION_LIFTED = "This suspension was lifted at {when} by {who}."
SUSPENSION_EXPIRED = "This suspension expired at {when}: there is nothing to lift."


# --- Small helpers --------------------------------------------------------------------


def _local_text(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def today_at(facility: Facility) -> dt.date:
    """Today's date on the facility's wall clock."""
    return clock.local(clock.now(), facility.timezone).date()


def age_today(person: Person, facility: Facility) -> int | None:
    return person.age_on(today_at(facility))


def _text(value: str, field: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def _reason(value: str, required: str, errors: dict[str, list[str]]) -> str:
    """A reason, which must be given (``required`` says why it is needed)."""
    value = _text(value, "reason", 500, errors)
    if not value:
        errors.setdefault("reason", []).append(required)
    return value


def _choice(value: str, field: str, choices: Iterable[str], errors: dict[str, list[str]]) -> None:
    allowed = list(choices)
    if value not in allowed:
        errors.setdefault(field, []).append(
            NOT_A_CHOICE.format(value=value, choices=", ".join(allowed))
        )


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed.for_fields(errors)


def _window(
    starts_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    errors: dict[str, list[str]],
    *,
    facility: Facility,
    what: str,
) -> tuple[dt.datetime, dt.datetime | None]:
    """The ``[starts_at, expires_at)`` window of a ban or a suspension (start: now)."""
    now = clock.now()
    if starts_at is not None and timezone.is_naive(starts_at):
        errors.setdefault("starts_at", []).append(NAIVE_TIME)
        starts_at = None
    if expires_at is not None and timezone.is_naive(expires_at):
        errors.setdefault("expires_at", []).append(NAIVE_TIME)
        expires_at = None
    start = starts_at or now
    if expires_at is not None:
        if expires_at <= start:
            errors.setdefault("expires_at", []).append(
                EXPIRES_NOT_AFTER_START.format(starts_at=_local_text(start, facility))
            )
        elif expires_at <= now:
            errors.setdefault("expires_at", []).append(EXPIRES_IN_PAST.format(what=what))
    return start, expires_at


def _lock_held(booking: Booking) -> Booking:
    """``booking`` locked; 409 unless the person is still held."""
    held = Booking.objects.select_for_update().select_related("person").get(pk=booking.pk)
    if held.status not in OPEN_STATUSES:
        raise Conflict(BOOKING_NOT_HELD.format(booking=held.booking_number), code="not_in_custody")
    return held


def _open_booking_of(person: Person) -> Booking | None:
    return (
        Booking.objects.filter(person=person, status__in=OPEN_STATUSES)
        .select_related("facility")
        .first()
    )


def _refuse_if_in_custody(person: Person, what: str) -> None:
    held = _open_booking_of(person)
    if held is not None:
        raise Conflict(
            VISITOR_IN_CUSTODY.format(
                name=person.full_name, facility=held.facility.name, what=what
            ),
            code="visitor_in_custody",
            extra={"visitor": person.full_name},
        )


def _refuse_if_held_by_name(
    given_name: str, family_name: str, date_of_birth: dt.date | None
) -> None:
    """A new visitor whose name and date of birth match someone held is that person."""
    if date_of_birth is None:
        return
    held = (
        Booking.objects.filter(
            status__in=OPEN_STATUSES,
            person__given_key=name_key(given_name),
            person__family_key=name_key(family_name),
            person__date_of_birth=date_of_birth,
        )
        .select_related("person")
        .first()
    )
    if held is not None:
        _refuse_if_in_custody(held.person, "registered")


def _visitor_label(visitor: Visitor) -> str:
    return visitor.person.full_name


def _same_visitor_registered(
    facility: Facility,
    *,
    person: Person | None,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None,
    exclude: Visitor | None = None,
) -> Visitor | None:
    """A visitor of ``facility`` who is this person: the same record, or the same name and birth."""
    visitors = Visitor.objects.filter(facility=facility).select_related("person")
    if exclude is not None:
        visitors = visitors.exclude(pk=exclude.pk)
    same = Q(
        person__given_key=name_key(given_name),
        person__family_key=name_key(family_name),
        person__date_of_birth=date_of_birth,
    )
    if person is not None:
        same |= Q(person=person)
    return visitors.filter(same).first()


def _visitor_exists(existing: Visitor, facility: Facility) -> Conflict:
    return Conflict(
        VISITOR_EXISTS.format(name=_visitor_label(existing), facility=facility.name),
        code="visitor_exists",
        extra={"visitor_id": str(existing.public_id), "visitor": _visitor_label(existing)},
    )


def _identity_taken(
    facility: Facility, id_kind: str, id_number: str, exclude: Visitor | None = None
) -> Visitor | None:
    if not id_number:
        return None
    holders = Visitor.objects.filter(
        facility=facility, id_kind=id_kind, id_number__iexact=id_number
    ).select_related("person")
    if exclude is not None:
        holders = holders.exclude(pk=exclude.pk)
    return holders.first()


def _identity_conflict(holder: Visitor, id_kind: str, id_number: str) -> Conflict:
    return Conflict(
        ID_TAKEN.format(
            kind=IdentifierKind(id_kind).label, number=id_number, name=_visitor_label(holder),
            facility=holder.facility.name,
        ),
        code="visitor_exists",
        extra={"visitor_id": str(holder.public_id), "visitor": _visitor_label(holder)},
    )  # fmt: skip


def _identity_errors(id_kind: str, id_number: str, errors: dict[str, list[str]]) -> None:
    if id_kind and not id_number:
        errors.setdefault("id_number", []).append(ID_PAIR.format(other="id_kind"))
    if id_number and not id_kind:
        errors.setdefault("id_kind", []).append(ID_PAIR.format(other="id_number"))
    if id_kind:
        _choice(id_kind, "id_kind", IdentifierKind.values, errors)


def _lock_visitor(visitor: Visitor) -> Visitor:
    return (
        Visitor.objects.select_for_update(of=("self",))
        .select_related("person", "facility")
        .get(pk=visitor.pk)
    )


# --- Visitors ---------------------------------------------------------------------------


def visitor_register(
    *,
    actor: User | None,
    facility: Facility,
    given_name: str = "",
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    sex: str = Sex.UNKNOWN,
    phone: str = "",
    address: str = "",
    id_kind: str = "",
    id_number: str = "",
    person: Person | None = None,
) -> Visitor:
    """Register a visitor at ``facility``: a new person, or ``person`` already on record.

    With ``person`` the names, birth date and sex on record are used and the
    ones given are ignored.  The document given is recorded as stated; the
    identity check (who saw it, when) is ``visitor_identity_check``.
    """
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    phone = _text(phone, "phone", 40, errors)
    address = _text(address, "address", 300, errors)
    id_number = _text(id_number, "id_number", 64, errors)
    id_kind = id_kind.strip()
    _identity_errors(id_kind, id_number, errors)
    if person is None:
        given_name = _text(given_name, "given_name", 100, errors)
        family_name = _text(family_name, "family_name", 100, errors)
        if not given_name and not family_name:
            errors.setdefault("family_name", []).append(NAME_REQUIRED)
        _choice(sex, "sex", Sex.values, errors)
        if date_of_birth is not None and date_of_birth > today_at(facility):
            errors.setdefault("date_of_birth", []).append(BORN_IN_FUTURE)
    else:
        given_name, family_name = person.given_name, person.family_name
        date_of_birth = person.date_of_birth
    _fail(errors)

    if person is not None:
        _refuse_if_in_custody(person, "registered")
    else:
        _refuse_if_held_by_name(given_name, family_name, date_of_birth)
    with transaction.atomic():
        existing = _same_visitor_registered(
            facility, person=person, given_name=given_name, family_name=family_name,
            date_of_birth=date_of_birth,
        )  # fmt: skip
        if existing is not None:
            raise _visitor_exists(existing, facility)
        holder = _identity_taken(facility, id_kind, id_number)
        if holder is not None:
            raise _identity_conflict(holder, id_kind, id_number)
        if person is None:
            person = person_create(
                actor=actor, facility=facility, given_name=given_name, family_name=family_name,
                date_of_birth=date_of_birth, sex=sex,
            )  # fmt: skip
        try:
            with transaction.atomic():
                visitor = Visitor.objects.create(
                    facility=facility, person=person, phone=phone, address=address,
                    id_kind=id_kind, id_number=id_number, registered_at=clock.now(),
                    registered_by=actor,
                )  # fmt: skip
        except IntegrityError:
            # Registered by someone else a moment ago.
            raced = Visitor.objects.select_related("person").get(facility=facility, person=person)
            raise _visitor_exists(raced, facility) from None
        audit_record(
            actor=actor, action="visitor.register", obj=visitor, facility=facility,
            changes={
                "person": str(person.public_id), "name": person.full_name,
                "date_of_birth": person.date_of_birth, "phone": phone, "address": address,
                "id_kind": id_kind, "id_number": id_number,
            },
        )  # fmt: skip
    return visitor


VISITOR_FIELDS = ("phone", "address")
PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "sex")


def visitor_update(*, actor: User | None, visitor: Visitor, **fields: Any) -> Visitor:
    """Correct a visitor's contact details, or the name, birth date or sex of a visitor
    who has never been booked (a booked person's record belongs to the booking staff)."""
    facility = visitor.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    for name in sorted(set(fields) - set(VISITOR_FIELDS) - set(PERSON_FIELDS)):
        errors[name] = [NOT_CHANGEABLE]
    _fail(errors)
    with transaction.atomic():
        locked = _lock_visitor(visitor)
        person = Person.objects.select_for_update().get(pk=locked.person_id)
        before = {name: getattr(locked, name) for name in VISITOR_FIELDS}
        before |= {name: getattr(person, name) for name in PERSON_FIELDS}
        after = dict(before)
        for name, limit in (("phone", 40), ("address", 300)):
            if name in fields:
                after[name] = _text(str(fields[name] or ""), name, limit, errors)
        for name in ("given_name", "family_name"):
            if name in fields:
                after[name] = _text(str(fields[name] or ""), name, 100, errors)
        if "sex" in fields:
            after["sex"] = fields["sex"]
            _choice(str(fields["sex"]), "sex", Sex.values, errors)
        if "date_of_birth" in fields:
            after["date_of_birth"] = fields["date_of_birth"]
        diff = model_changes(before, after)
        person_diff = [name for name in diff if name in PERSON_FIELDS]
        if person_diff and person.bookings.exists():
            for name in person_diff:
                errors.setdefault(name, []).append(KEPT_BY_BOOKING.format(name=person.full_name))
        if not after["given_name"] and not after["family_name"]:
            errors.setdefault("family_name", []).append(NAME_REQUIRED)
        born = after["date_of_birth"]
        if "date_of_birth" in diff and born is not None:
            if born > today_at(facility):
                errors.setdefault("date_of_birth", []).append(BORN_IN_FUTURE)
            else:
                age = Person(date_of_birth=born).age_on(today_at(facility))
                ward = locked.wards.select_related("minor__person").first()
                if ward is not None and age is not None and age < ADULT_AGE:
                    errors.setdefault("date_of_birth", []).append(
                        GUARDIAN_MUST_BE_ADULT.format(
                            name=person.full_name, ward=_visitor_label(ward.minor)
                        )
                    )
        _fail(errors)
        if not diff:
            return locked
        if {"given_name", "family_name", "date_of_birth"} & set(diff):
            existing = _same_visitor_registered(
                facility, person=None, given_name=after["given_name"],
                family_name=after["family_name"], date_of_birth=after["date_of_birth"],
                exclude=locked,
            )  # fmt: skip
            if existing is not None:
                raise _visitor_exists(existing, facility)
        visitor_changes = [name for name in diff if name in VISITOR_FIELDS]
        for name in visitor_changes:
            setattr(locked, name, after[name])
        if visitor_changes:
            locked.save(update_fields=visitor_changes)
        if person_diff:
            for name in person_diff:
                setattr(person, name, after[name])
            person.given_key = name_key(person.given_name)
            person.family_key = name_key(person.family_name)
            person.save(update_fields=[*person_diff, "given_key", "family_key"])
            locked.person = person
        audit_record(
            actor=actor, action="visitor.update", obj=locked, facility=facility, changes=diff
        )
    return locked


def visitor_identity_check(
    *, actor: User | None, visitor: Visitor, id_kind: str, id_number: str
) -> Visitor:
    """Record the identity document seen for a visitor, by whom and when."""
    facility = visitor.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    id_kind = id_kind.strip()
    id_number = _text(id_number, "id_number", 64, errors)
    if not id_kind:
        errors.setdefault("id_kind", []).append(REQUIRED)
    else:
        _choice(id_kind, "id_kind", IdentifierKind.values, errors)
    if not id_number:
        errors.setdefault("id_number", []).append(REQUIRED)
    _fail(errors)
    with transaction.atomic():
        locked = _lock_visitor(visitor)
        holder = _identity_taken(facility, id_kind, id_number, exclude=locked)
        if holder is not None:
            raise _identity_conflict(holder, id_kind, id_number)
        before = {"id_kind": locked.id_kind, "id_number": locked.id_number}
        locked.id_kind, locked.id_number = id_kind, id_number
        locked.id_checked_at, locked.id_checked_by = clock.now(), actor
        locked.save(update_fields=["id_kind", "id_number", "id_checked_at", "id_checked_by"])
        audit_record(
            actor=actor, action="visitor.identity_check", obj=locked, facility=facility,
            changes={
                **model_changes(before, {"id_kind": id_kind, "id_number": id_number}),
                "checked_at": locked.id_checked_at,
            },
        )  # fmt: skip
    return locked


def visitor_decide(*, actor: User | None, visitor: Visitor, status: str, note: str = "") -> Visitor:
    """Approve or deny a visitor; approving needs an identity check on record."""
    facility = visitor.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 500, errors)
    _choice(status, "status", (VisitorStatus.APPROVED, VisitorStatus.DENIED), errors)
    if status == VisitorStatus.DENIED and not note:
        errors.setdefault("note", []).append(DENIAL_NOTE_REQUIRED)
    _fail(errors)
    with transaction.atomic():
        locked = _lock_visitor(visitor)
        name = _visitor_label(locked)
        if locked.status == status:
            raise Conflict(
                ALREADY_DECIDED.format(name=name, status=locked.get_status_display().lower()),
                code="already_decided",
            )
        if status == VisitorStatus.APPROVED:
            if locked.id_checked_at is None:
                raise Conflict(IDENTITY_NOT_CHECKED.format(name=name), code="identity_not_checked")
            _refuse_if_in_custody(locked.person, "approved")
        before = locked.status
        locked.status, locked.decision_note = status, note
        locked.decided_at, locked.decided_by = clock.now(), actor
        locked.save(update_fields=["status", "decision_note", "decided_at", "decided_by"])
        audit_record(
            actor=actor, action=f"visitor.{'approve' if status == 'approved' else 'deny'}",
            obj=locked, facility=facility, reason=note, changes={"status": [before, status]},
        )  # fmt: skip
    return locked


# --- Bans -------------------------------------------------------------------------------


def _booked_in_window(
    visits: QuerySet[Visit], starts_at: dt.datetime, expires_at: dt.datetime | None
) -> QuerySet[Visit]:
    """Booked visits (not yet at the desk) whose slot overlaps ``[starts_at, expires_at)``."""
    visits = visits.filter(
        status__in=(VisitStatus.REQUESTED, VisitStatus.SCHEDULED), ends_at__gt=starts_at
    )
    if expires_at is not None:
        visits = visits.filter(starts_at__lt=expires_at)
    return visits


def _cancel_visits(
    *,
    actor: User,
    visits: QuerySet[Visit],
    at: dt.datetime,
    reason: str,
    facility: Facility,
    cause: dict[str, str],
) -> list[Visit]:
    """Cancel ``visits`` (locked here) with ``reason``, one audit event per visit."""
    cancelled = list(
        visits.select_for_update(of=("self",)).select_related("booking").order_by("starts_at")
    )
    for visit in cancelled:
        before = visit.status
        visit.status = VisitStatus.CANCELLED
        visit.cancelled_at, visit.cancelled_by, visit.cancel_reason = at, actor, reason
        visit.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_record(
            actor=actor, action="visit.cancel", obj=visit, facility=facility, reason=reason,
            changes={
                "status": [before, VisitStatus.CANCELLED],
                "booking": visit.booking.booking_number, **cause,
            },
        )  # fmt: skip
    return cancelled


def visitor_ban(
    *,
    actor: User,
    visitor: Visitor,
    reason: str,
    starts_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> VisitorBan:
    """Bar a visitor from ``starts_at`` (now) until ``expires_at`` (None: until lifted).

    Visits the visitor is booked on inside the window are cancelled with the
    ban's reason.
    """
    facility = visitor.facility
    require_perm(actor, Perm.VISITOR_BAN, facility)
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, BAN_REASON_REQUIRED, errors)
    start, expires_at = _window(starts_at, expires_at, errors, facility=facility, what="ban")
    _fail(errors)
    with transaction.atomic():
        locked = _lock_visitor(visitor)
        now = clock.now()
        ban = VisitorBan.objects.create(
            visitor=locked, reason=reason, starts_at=start, expires_at=expires_at,
            imposed_at=now, imposed_by=actor,
        )  # fmt: skip
        booked = _booked_in_window(
            Visit.objects.filter(
                pk__in=VisitParticipant.objects.filter(visitor=locked).values("visit_id")
            ),
            start,
            expires_at,
        )
        cancelled = _cancel_visits(
            actor=actor, visits=booked, at=now, reason=reason, facility=facility,
            cause={"because": "visitor_ban", "ban": str(ban.public_id),
                   "visitor": _visitor_label(locked)},
        )  # fmt: skip
        audit_record(
            actor=actor, action="visitor.ban", obj=locked, facility=facility, reason=reason,
            changes={
                "ban": str(ban.public_id), "starts_at": start, "expires_at": expires_at,
                "visits_cancelled": [str(visit.public_id) for visit in cancelled],
            },
        )  # fmt: skip
    return ban


def _refuse_unless_in_force(
    record: VisitorBan | VisitSuspension, facility: Facility, lifted: str, expired: str, code: str
) -> None:
    if record.lifted_at is not None:
        raise Conflict(
            lifted.format(when=_local_text(record.lifted_at, facility), who=record.lifted_by),
            code=f"{code}_lifted",
        )
    if record.expires_at is not None and record.expires_at <= clock.now():
        raise Conflict(
            expired.format(when=_local_text(record.expires_at, facility)), code=f"{code}_expired"
        )


def _lift(record: VisitorBan | VisitSuspension, actor: User, reason: str) -> None:
    record.lifted_at, record.lifted_by, record.lift_reason = clock.now(), actor, reason
    record.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])


def visitor_ban_lift(*, actor: User, ban: VisitorBan, reason: str) -> VisitorBan:
    """Lift a ban before it expires, with the reason (cancelled visits stay cancelled)."""
    facility = ban.visitor.facility
    require_perm(actor, Perm.VISITOR_BAN, facility)
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, LIFT_REASON_REQUIRED, errors)
    _fail(errors)
    with transaction.atomic():
        locked = (
            VisitorBan.objects.select_for_update(of=("self",))
            .select_related("visitor__person", "visitor__facility", "lifted_by", "imposed_by")
            .get(pk=ban.pk)
        )
        _refuse_unless_in_force(locked, facility, BAN_LIFTED, BAN_EXPIRED, "ban")
        _lift(locked, actor, reason)
        audit_record(
            actor=actor, action="visitor.ban_lift", obj=locked.visitor, facility=facility,
            reason=reason, changes={"ban": str(locked.public_id), "lifted_at": locked.lifted_at},
        )  # fmt: skip
    return locked


# --- Guardians ----------------------------------------------------------------------------


def guardianship_record(
    *, actor: User | None, minor: Visitor, guardian: Visitor, role: str
) -> Guardianship:
    """Record that ``guardian`` (an adult) may bring ``minor`` (under 18 today) to visits."""
    facility = minor.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    _choice(role, "role", GuardianRole.values, errors)
    today = today_at(facility)
    if guardian.pk == minor.pk:
        errors.setdefault("guardian", []).append(GUARDIAN_SELF)
    else:
        if guardian.facility_id != minor.facility_id:
            errors.setdefault("guardian", []).append(
                GUARDIAN_OTHER_FACILITY.format(
                    name=_visitor_label(guardian), other=guardian.facility.name,
                    facility=facility.name,
                )
            )  # fmt: skip
        guardian_age = guardian.person.age_on(today)
        if guardian_age is None:
            errors.setdefault("guardian", []).append(
                NO_BIRTH_DATE.format(name=_visitor_label(guardian))
            )
        elif guardian_age < ADULT_AGE:
            errors.setdefault("guardian", []).append(
                GUARDIAN_IS_MINOR.format(
                    name=_visitor_label(guardian), age=guardian_age, adult=ADULT_AGE
                )
            )
    minor_age = minor.person.age_on(today)
    if minor_age is None:
        errors.setdefault("minor", []).append(NO_BIRTH_DATE.format(name=_visitor_label(minor)))
    elif minor_age >= ADULT_AGE:
        errors.setdefault("minor", []).append(
            MINOR_IS_ADULT.format(name=_visitor_label(minor), age=minor_age, adult=ADULT_AGE)
        )
    _fail(errors)
    with transaction.atomic():
        locked = _lock_visitor(minor)
        if Guardianship.objects.filter(minor=locked, guardian=guardian).exists():
            raise Conflict(
                GUARDIAN_EXISTS.format(
                    guardian=_visitor_label(guardian), minor=_visitor_label(locked)
                ),
                code="guardian_exists",
            )
        guardianship = Guardianship.objects.create(
            minor=locked, guardian=guardian, role=role, recorded_at=clock.now(),
            recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="visitor.guardian_record", obj=locked, facility=facility,
            changes={
                "guardian": str(guardian.public_id), "guardian_name": _visitor_label(guardian),
                "role": role,
            },
        )  # fmt: skip
    return guardianship


# --- Visiting lists ----------------------------------------------------------------------


def _entry_names(entry: VisitingListEntry) -> dict[str, str]:
    return {
        "name": _visitor_label(entry.visitor),
        "booking": entry.booking.booking_number,
        "status": entry.get_status_display().lower(),
    }


def _entry_label(entry: VisitingListEntry) -> str:
    return f"{_visitor_label(entry.visitor)} on the list of {entry.booking.booking_number}"


def _listed(booking: Booking, visitor: Visitor) -> QuerySet[VisitingListEntry]:
    """The visitor's entry on the booking's list, unless it was removed."""
    return (
        VisitingListEntry.objects.filter(booking=booking, visitor=visitor)
        .exclude(status=ListEntryStatus.REMOVED)
        .select_related("visitor__person", "booking")
    )


def _lock_entry(entry: VisitingListEntry) -> VisitingListEntry:
    return (
        VisitingListEntry.objects.select_for_update(of=("self",))
        .select_related("visitor__person", "booking__person", "booking__facility")
        .get(pk=entry.pk)
    )


def visiting_list_add(
    *, actor: User | None, booking: Booking, visitor: Visitor, relationship: str
) -> VisitingListEntry:
    """Put a visitor on the visiting list of a person held at the visitor's facility (pending)."""
    facility = booking.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    _choice(relationship, "relationship", Relationship.values, errors)
    if visitor.facility_id != booking.facility_id:
        errors.setdefault("visitor", []).append(
            VISITOR_OTHER_FACILITY.format(
                name=_visitor_label(visitor), other=visitor.facility.name,
                facility=facility.name, booking=booking.booking_number,
            )
        )  # fmt: skip
    elif visitor.person_id == booking.person_id:
        errors.setdefault("visitor", []).append(
            VISITOR_IS_THE_PERSON.format(name=_visitor_label(visitor))
        )
    _fail(errors)
    with transaction.atomic():
        held = _lock_held(booking)
        listed = _listed(held, visitor).first()
        if listed is not None:
            raise _already_listed(listed)
        try:
            with transaction.atomic():
                entry = VisitingListEntry.objects.create(
                    booking=held, visitor=visitor, relationship=relationship,
                    added_at=clock.now(), added_by=actor,
                )  # fmt: skip
        except IntegrityError:
            raced = _listed(held, visitor).get()
            raise _already_listed(raced) from None
        audit_record(
            actor=actor, action="visiting_list.add", obj=entry, facility=facility,
            object_label=_entry_label(entry),
            changes={
                "booking": held.booking_number, "visitor": str(visitor.public_id),
                "visitor_name": _visitor_label(visitor), "relationship": relationship,
            },
        )  # fmt: skip
    return entry


def _already_listed(entry: VisitingListEntry) -> Conflict:
    return Conflict(
        ALREADY_LISTED.format(**_entry_names(entry)),
        code="already_listed",
        extra={"entry_id": str(entry.public_id), "visitor": _visitor_label(entry.visitor)},
    )


def visiting_list_decide(
    *, actor: User | None, entry: VisitingListEntry, approve: bool, note: str = ""
) -> VisitingListEntry:
    """Approve a pending entry, or refuse it (it comes off the list with the note as reason)."""
    facility = entry.booking.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 500, errors)
    if not approve and not note:
        errors.setdefault("note", []).append(REFUSAL_NOTE_REQUIRED)
    _fail(errors)
    with transaction.atomic():
        locked = _lock_entry(entry)
        if locked.status != ListEntryStatus.PENDING:
            raise Conflict(ENTRY_DECIDED.format(**_entry_names(locked)), code="entry_decided")
        if approve and locked.booking.status not in OPEN_STATUSES:
            raise Conflict(
                BOOKING_NOT_HELD.format(booking=locked.booking.booking_number),
                code="not_in_custody",
            )
        now = clock.now()
        locked.decided_at, locked.decided_by = now, actor
        if approve:
            locked.status = ListEntryStatus.APPROVED
            fields = ["status", "decided_at", "decided_by"]
        else:
            locked.status = ListEntryStatus.REMOVED
            locked.removed_at, locked.removed_by, locked.remove_reason = now, actor, note
            fields = ["status", "decided_at", "decided_by", "removed_at", "removed_by"]
            fields.append("remove_reason")
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action=f"visiting_list.{'approve' if approve else 'refuse'}",
            obj=locked, facility=facility, reason=note,
            object_label=_entry_label(locked),
            changes={"status": [ListEntryStatus.PENDING, locked.status]},
        )  # fmt: skip
    return locked


def visiting_list_remove(
    *, actor: User | None, entry: VisitingListEntry, reason: str
) -> VisitingListEntry:
    """Take a visitor off a visiting list, with the reason."""
    facility = entry.booking.facility
    require_perm(actor, Perm.VISITOR_MANAGE, facility)
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, REMOVE_REASON_REQUIRED, errors)
    _fail(errors)
    with transaction.atomic():
        locked = _lock_entry(entry)
        if locked.status == ListEntryStatus.REMOVED:
            when = _local_text(locked.removed_at or clock.now(), facility)
            raise Conflict(
                ENTRY_REMOVED.format(**_entry_names(locked), when=when), code="entry_removed"
            )
        before = locked.status
        locked.status = ListEntryStatus.REMOVED
        locked.removed_at, locked.removed_by, locked.remove_reason = clock.now(), actor, reason
        locked.save(update_fields=["status", "removed_at", "removed_by", "remove_reason"])
        audit_record(
            actor=actor, action="visiting_list.remove", obj=locked, facility=facility,
            reason=reason,
            object_label=_entry_label(locked),
            changes={"status": [before, ListEntryStatus.REMOVED]},
        )  # fmt: skip
    return locked


# --- Rooms --------------------------------------------------------------------------------


def visit_room_save(
    *,
    actor: User | None,
    facility: Facility,
    code: str,
    name: str,
    kind: str,
    capacity: int,
    opens_at: dt.time,
    closes_at: dt.time,
    zone: Zone | None = None,
    active: bool = True,
    room: VisitRoom | None = None,
) -> VisitRoom:
    """Create a visit room (``room`` None) or change one: its kind, capacity and hours."""
    require_perm(actor, Perm.FACILITY_CONFIGURE, facility)
    errors: dict[str, list[str]] = {}
    code = _text(code, "code", 20, errors).upper()
    name = _text(name, "name", 200, errors)
    if not code:
        errors.setdefault("code", []).append(REQUIRED)
    if not name:
        errors.setdefault("name", []).append(REQUIRED)
    _choice(kind, "kind", RoomKind.values, errors)
    if capacity < 1:
        errors.setdefault("capacity", []).append(CAPACITY_TOO_LOW)
    if closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(CLOSES_NOT_AFTER_OPENS.format(opens_at=opens_at))
    if zone is not None and zone.facility_id != facility.pk:
        errors.setdefault("zone", []).append(
            ZONE_OTHER_FACILITY.format(zone=zone.name, other=zone.facility, facility=facility.name)
        )
    if room is not None and room.facility_id != facility.pk:
        raise ValidationFailed.for_fields({"room": [f"{room} is not a room of {facility.name}."]})
    taken = VisitRoom.objects.filter(facility=facility, code=code)
    if room is not None:
        taken = taken.exclude(pk=room.pk)
    holder = taken.first()
    if code and holder is not None:
        errors.setdefault("code", []).append(
            ROOM_CODE_TAKEN.format(name=holder.name, facility=facility.name)
        )
    _fail(errors)
    values: dict[str, Any] = {
        "code": code, "name": name, "kind": kind, "capacity": capacity, "opens_at": opens_at,
        "closes_at": closes_at, "zone": zone, "active": active,
    }  # fmt: skip
    with transaction.atomic():
        if room is None:
            saved = VisitRoom.objects.create(facility=facility, **values)
            audit_record(
                actor=actor,
                action="visit_room.create",
                obj=saved,
                facility=facility,
                changes={**values, "zone": zone.code if zone else None},
            )
            return saved
        locked = VisitRoom.objects.select_for_update(of=("self",)).get(pk=room.pk)
        before = {field: getattr(locked, field) for field in values}
        diff = model_changes(before, values)
        if not diff:
            return locked
        for field in diff:
            setattr(locked, field, values[field])
        locked.save(update_fields=list(diff))
        if "zone" in diff:
            diff["zone"] = [
                getattr(before["zone"], "code", None),
                zone.code if zone is not None else None,
            ]
        audit_record(
            actor=actor, action="visit_room.update", obj=locked, facility=facility, changes=diff
        )
    return locked


# --- Suspensions -------------------------------------------------------------------------


def visit_suspension_impose(
    *,
    actor: User,
    booking: Booking,
    reason: str,
    starts_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    incident: Incident | None = None,
    includes_legal: bool = False,
) -> VisitSuspension:
    """Suspend a person's visits as a sanction; booked visits in the window are cancelled.

    Legal and official visits go ahead unless ``includes_legal``.
    """
    facility = booking.facility
    require_perm(actor, Perm.VISIT_SUSPEND, facility)
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, SUSPENSION_REASON_REQUIRED, errors)
    if incident is not None and incident.facility_id != facility.pk:
        errors.setdefault("incident", []).append(
            INCIDENT_OTHER_FACILITY.format(
                number=incident.number, other=incident.facility, facility=facility.name
            )
        )
    start, expires_at = _window(starts_at, expires_at, errors, facility=facility, what="suspension")
    _fail(errors)
    with transaction.atomic():
        held = _lock_held(booking)
        now = clock.now()
        suspension = VisitSuspension.objects.create(
            booking=held, reason=reason, incident=incident, starts_at=start,
            expires_at=expires_at, includes_legal=includes_legal, imposed_at=now,
            imposed_by=actor,
        )  # fmt: skip
        visits = Visit.objects.filter(booking=held)
        if not includes_legal:
            visits = visits.exclude(kind__in=UNLIMITED_KINDS)
        cancelled = _cancel_visits(
            actor=actor, visits=_booked_in_window(visits, start, expires_at), at=now,
            reason=reason, facility=facility,
            cause={"because": "visit_suspension", "suspension": str(suspension.public_id)},
        )  # fmt: skip
        audit_record(
            actor=actor, action="visit_suspension.impose", obj=suspension, facility=facility,
            reason=reason,
            changes={
                "booking": held.booking_number, "starts_at": start, "expires_at": expires_at,
                "includes_legal": includes_legal,
                "incident": incident.number if incident is not None else None,
                "visits_cancelled": [str(visit.public_id) for visit in cancelled],
            },
        )  # fmt: skip
    return suspension


def visit_suspension_lift(
    *, actor: User, suspension: VisitSuspension, reason: str
) -> VisitSuspension:
    """End a suspension early, with the reason (cancelled visits stay cancelled)."""
    facility = suspension.booking.facility
    require_perm(actor, Perm.VISIT_SUSPEND, facility)
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, LIFT_REASON_REQUIRED, errors)
    _fail(errors)
    with transaction.atomic():
        locked = (
            VisitSuspension.objects.select_for_update(of=("self",))
            .select_related("booking__facility", "booking__person", "lifted_by")
            .get(pk=suspension.pk)
        )
        _refuse_unless_in_force(
            locked, facility, SUSPENSION_LIFTED, SUSPENSION_EXPIRED, "suspension"
        )
        _lift(locked, actor, reason)
        audit_record(
            actor=actor, action="visit_suspension.lift", obj=locked, facility=facility,
            reason=reason,
            changes={"booking": locked.booking.booking_number, "lifted_at": locked.lifted_at},
        )  # fmt: skip
    return locked
