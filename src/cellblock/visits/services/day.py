"""Visit day: check the visitors in, screen what they bring, run the visit, see them out.

A booked visit goes scheduled -> checked in -> in progress -> ended ->
completed (``VISIT_TRANSITIONS``); a step out of that order answers 409
``visit_not_<status it needs>``.  At the desk each visitor present shows an
identity document, checked against the registry; the rules are checked again
for the visitors who came (a minor without their guardian is turned away and
the visit stays booked).  Starting takes the person to the visit room (a
custody movement, expected back at the visit's due end) or, for a visit in
their cell, opens and closes the cell door for the visitors; ending brings
them back (or opens the door again).  The length booked runs from when the
visit really started: past it the compliance board raises ``visit_overrun``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import Destination, DoorAction, Movement
from cellblock.custody.services.access import door_event_record
from cellblock.custody.services.movements import (
    fact_time,
    movement_return,
    movement_start,
    require_perm,
)
from cellblock.facilities.models import Facility
from cellblock.housing.models import BedAssignment
from cellblock.people.models import IdentifierKind
from cellblock.visits.models import (
    ItemOutcome,
    Visit,
    VisitItem,
    VisitKind,
    Visitor,
    VisitParticipant,
    VisitStatus,
)
from cellblock.visits.services.scheduling import VISIT_REFUSED, visit_violations_now

# The desk opens for a visit this long before it is due to start.
CHECK_IN_OPENS = dt.timedelta(minutes=60)

WRONG_STATUS = "This visit is {status}: {action} needs a visit that is {needed}."
CHECKING_IN = "checking in"
SCREENING = "screening items"
STARTING = "starting it"
ENDING = "ending it"
CHECKING_OUT = "checking out"
NO_SHOW = "recording a no-show"
TOO_EARLY = (
    "The desk opens for this visit at {opens:%H:%M} (an hour before it starts at "
    "{starts:%H:%M}): check the visitors in from then."
)
TOO_LATE = "This visit's time ended at {ends:%H:%M}: it can no longer be checked in."
NO_SHOW_TOO_EARLY = (
    "This visit starts at {starts:%H:%M}: the visitors cannot be a no-show before then."
)
NOBODY_PRESENT = "name at least one visitor present."
NOT_ON_VISIT = "{visitor} is not a visitor on this visit."
CHECKED_TWICE = "{visitor} is named twice."
UNKNOWN_ID_KIND = "must be one of {choices}."
ID_NUMBER_NEEDED = "is required: the number on {visitor}'s document."
ID_KIND_MISMATCH = "{visitor} is registered with a {registered}: check that document."
ID_NUMBER_MISMATCH = (
    "{visitor}'s document number does not match the registry: turn them away or have the "
    "registry corrected."
)
TOO_LONG = "is too long: at most {limit} characters."
DESCRIPTION_NEEDED = "is required: say what the visitor brought."
UNKNOWN_OUTCOME = "must be one of {choices}."
ITEM_REASON_NEEDED = "is required when an item is {outcome}: say why."
ITEM_VISITOR_NOT_IN = "{visitor} has not checked in for this visit."
ESCORT_NOT_HERE = "{escort} does not run visits at {facility}: choose an officer of the facility."
AT_BEFORE = "is before the visit was {what} ({at:%Y-%m-%d %H:%M})."
NOT_IN_THE_CELL = (
    "{person} is no longer in cell {cell}, where this in-cell visit was booked: cancel it and "
    "book again."
)

# Door notes for an in-cell visit: the visitors going in and coming out.
DOOR_IN = "In-cell visit: {visitors} go in to {person}; escort {escort}."
DOOR_IN_CLOSED = "In-cell visit under way: {visitors} with {person}."
DOOR_OUT = "In-cell visit over: {visitors} come out."
DOOR_OUT_CLOSED = "In-cell visit over: {person} alone in the cell."


@dataclass(frozen=True)
class IdentityCheck:
    """A visitor present at the desk and the identity document they showed."""

    visitor: Visitor
    id_kind: str
    id_number: str


# --- Helpers ---------------------------------------------------------------------------------


def _local(moment: dt.datetime, facility: Facility) -> dt.datetime:
    return clock.local(moment, facility.timezone)


def _locked(visit: Visit) -> Visit:
    """The visit row locked, with what the steps of the day read."""
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("booking__person", "booking__facility", "room", "cell", "escort")
        .get(pk=visit.pk)
    )


def _require_status(visit: Visit, needed: str, action: str) -> None:
    """409 ``visit_not_<needed>`` unless the visit is ``needed`` (the status ``action`` needs)."""
    if visit.status == needed:
        return
    raise Conflict(
        WRONG_STATUS.format(
            status=visit.get_status_display().lower(), action=action,
            needed=VisitStatus(needed).label.lower(),
        ),
        code=f"visit_not_{needed}",
        extra={"status": visit.status, "needed": needed},
    )  # fmt: skip


def _label(visit: Visit) -> str:
    start = _local(visit.starts_at, visit.booking.facility)
    return (
        f"{visit.booking.booking_number}: {visit.get_kind_display()} visit {start:%Y-%m-%d %H:%M}"
    )


def _names(visitors: Sequence[Visitor]) -> str:
    return ", ".join(visitor.person.full_name for visitor in visitors)


def _present(visit: Visit) -> list[Visitor]:
    """The visitors who checked in, in the order they were named."""
    return [
        participant.visitor
        for participant in VisitParticipant.objects.filter(
            visit_id=visit.pk, checked_in_at__isnull=False
        )
        .select_related("visitor__person")
        .order_by("id")
    ]


def _step_time(
    at: dt.datetime | None, visit: Visit, previous: dt.datetime | None, what: str
) -> dt.datetime:
    """When a step of the visit happened: ``at`` or now, and not before the visit was ``what``
    (at ``previous``); a bad time is a field error."""
    facility = visit.booking.facility
    errors: dict[str, list[str]] = {}
    moment = fact_time(
        at, errors, not_before=previous,
        not_before_message=AT_BEFORE.format(
            what=what, at=_local(previous or visit.starts_at, facility)
        ),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    return moment


def _same_number(seen: str, registered: str) -> bool:
    """Document numbers compare without spaces, dashes or case ("ab-12 3" is "AB123")."""

    def bare(number: str) -> str:
        return "".join(ch for ch in number if ch.isalnum()).upper()

    return bare(seen) == bare(registered)


# --- Check-in --------------------------------------------------------------------------------


def _identity_errors(visit: Visit, checks: Sequence[IdentityCheck]) -> dict[str, list[str]]:
    """Each visitor present is on the visit and shows the document the registry knows."""
    errors: dict[str, list[str]] = {}
    if not checks:
        errors["visitors"] = [NOBODY_PRESENT]
    on_visit = set(
        VisitParticipant.objects.filter(visit_id=visit.pk).values_list("visitor_id", flat=True)
    )
    kinds = dict(IdentifierKind.choices)
    seen: set[int] = set()
    for check in checks:
        visitor = check.visitor
        name = visitor.person.full_name
        if visitor.pk not in on_visit:
            errors.setdefault("visitors", []).append(NOT_ON_VISIT.format(visitor=name))
            continue
        if visitor.pk in seen:
            errors.setdefault("visitors", []).append(CHECKED_TWICE.format(visitor=name))
            continue
        seen.add(visitor.pk)
        if check.id_kind not in IdentifierKind.values:
            errors.setdefault("id_kind", []).append(
                UNKNOWN_ID_KIND.format(choices=", ".join(IdentifierKind.values))
            )
        number = check.id_number.strip()
        if not number:
            errors.setdefault("id_number", []).append(ID_NUMBER_NEEDED.format(visitor=name))
        elif len(number) > 64:
            errors.setdefault("id_number", []).append(TOO_LONG.format(limit=64))
        elif visitor.id_number:
            # The registry knows this visitor's document: the one shown must be it.
            if visitor.id_kind and check.id_kind != visitor.id_kind:
                errors.setdefault("id_kind", []).append(
                    ID_KIND_MISMATCH.format(
                        visitor=name, registered=str(kinds.get(visitor.id_kind, visitor.id_kind))
                    )
                )
            if not _same_number(number, visitor.id_number):
                errors.setdefault("id_number", []).append(ID_NUMBER_MISMATCH.format(visitor=name))
    return errors


def visit_check_in(
    *,
    actor: User,
    visit: Visit,
    checks: Sequence[IdentityCheck],
    at: dt.datetime | None = None,
) -> Visit:
    """Check in the visitors present, each with the identity document they showed.

    From an hour before the visit until its end.  The rules are checked again
    for the visitors present (a minor needs their guardian among them); a
    visit they break stays scheduled and answers 409 ``visit_refused``.
    Visitors who did not come are not checked in and do not take part.
    """
    facility = visit.booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    errors: dict[str, list[str]] = {}
    when = fact_time(at, errors)
    errors |= _identity_errors(visit, checks)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _locked(visit)
        _require_status(locked, VisitStatus.SCHEDULED, CHECKING_IN)
        opens = locked.starts_at - CHECK_IN_OPENS
        if when < opens:
            raise Conflict(
                TOO_EARLY.format(
                    opens=_local(opens, facility), starts=_local(locked.starts_at, facility)
                ),
                code="check_in_not_open",
            )
        if when >= locked.ends_at:
            raise Conflict(
                TOO_LATE.format(ends=_local(locked.ends_at, facility)), code="check_in_closed"
            )
        present = [check.visitor for check in checks]
        violations = visit_violations_now(visit=locked, visitors=present)
        if violations:
            raise Conflict(
                VISIT_REFUSED.format(rules="; ".join(v.message.rstrip(".") for v in violations)),
                code="visit_refused",
                extra={"violations": [v.as_dict() for v in violations]},
            )
        rows = VisitParticipant.objects.filter(visit_id=locked.pk).select_related("visitor")
        by_visitor = {p.visitor_id: p for p in rows}
        checked = []
        for check in checks:
            participant = by_visitor[check.visitor.pk]
            participant.checked_in_at = when
            participant.id_seen_kind = check.id_kind
            participant.id_seen_number = check.id_number.strip()
            participant.id_checked_by = actor
            checked.append(participant)
        VisitParticipant.objects.bulk_update(
            checked, ["checked_in_at", "id_seen_kind", "id_seen_number", "id_checked_by"]
        )
        locked.status = VisitStatus.CHECKED_IN
        locked.checked_in_at, locked.checked_in_by = when, actor
        locked.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        audit_record(
            actor=actor, action="visit.check_in", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "status": [VisitStatus.SCHEDULED, VisitStatus.CHECKED_IN], "at": when,
                "present": [
                    {"visitor": str(c.visitor.public_id), "name": c.visitor.person.full_name,
                     "id_kind": c.id_kind, "id_number": c.id_number.strip()}
                    for c in checks
                ],
                "absent": [
                    str(p.visitor.public_id) for p in by_visitor.values()
                    if p.checked_in_at is None
                ],
            },
        )  # fmt: skip
    return locked


# --- Items -----------------------------------------------------------------------------------


def visit_item_screen(
    *,
    actor: User,
    visit: Visit,
    description: str,
    outcome: str,
    reason: str = "",
    visitor: Visitor | None = None,
) -> VisitItem:
    """Log something a visitor brought and what became of it (refused or confiscated: why)."""
    facility = visit.booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    errors: dict[str, list[str]] = {}
    description, reason = description.strip(), reason.strip()
    if not description:
        errors["description"] = [DESCRIPTION_NEEDED]
    elif len(description) > 300:
        errors["description"] = [TOO_LONG.format(limit=300)]
    if outcome not in ItemOutcome.values:
        errors["outcome"] = [UNKNOWN_OUTCOME.format(choices=", ".join(ItemOutcome.values))]
    elif outcome != ItemOutcome.ALLOWED and not reason:
        errors["reason"] = [ITEM_REASON_NEEDED.format(outcome=outcome)]
    if len(reason) > 500:
        errors.setdefault("reason", []).append(TOO_LONG.format(limit=500))
    if (
        visitor is not None
        and not VisitParticipant.objects.filter(
            visit_id=visit.pk, visitor_id=visitor.pk, checked_in_at__isnull=False
        ).exists()
    ):
        errors["visitor"] = [ITEM_VISITOR_NOT_IN.format(visitor=visitor.person.full_name)]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _locked(visit)
        # At the desk: after check-in, before the visitors go through.
        _require_status(locked, VisitStatus.CHECKED_IN, SCREENING)
        item = VisitItem.objects.create(
            visit=locked, visitor=visitor, description=description, outcome=outcome,
            reason=reason, screened_at=clock.now(), screened_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="visit.item_screen", obj=locked, facility=facility,
            object_label=_label(locked), reason=reason,
            changes={
                "item": str(item.public_id), "description": description, "outcome": outcome,
                "visitor": str(visitor.public_id) if visitor else None,
            },
        )  # fmt: skip
    return item


# --- Start and end ---------------------------------------------------------------------------


def _escort_for(actor: User, escort: User | None, facility: Facility) -> User:
    chosen = escort or actor
    if not chosen.is_active or Perm.VISIT_OPERATE not in chosen.perms_at(facility.pk):
        raise ValidationFailed.for_fields(
            {"escort": [ESCORT_NOT_HERE.format(escort=chosen, facility=facility.name)]}
        )
    return chosen


def _still_in_cell(visit: Visit) -> None:
    """An in-cell visit goes ahead only in the cell it was booked for."""
    cell_id = visit.cell_id
    housed = (
        cell_id is not None
        and BedAssignment.objects.filter(
            booking_id=visit.booking_id, ended_at__isnull=True, bed__cell_id=cell_id
        ).exists()
    )
    if not housed:
        raise Conflict(
            NOT_IN_THE_CELL.format(
                person=visit.booking.person.full_name,
                cell=visit.cell.code if visit.cell else "",
            ),
            code="not_in_visit_cell",
        )


def _door(actor: User, visit: Visit, action: str, note: str, at: dt.datetime) -> None:
    event = door_event_record(actor=actor, action=action, cell=visit.cell, note=note, at=at)
    visit.door_events.add(event)


def visit_start(
    *,
    actor: User,
    visit: Visit,
    escort: User | None = None,
    at: dt.datetime | None = None,
) -> Visit:
    """The visit begins, supervised by ``escort`` (default: whoever starts it).

    In a visit room: the person is taken there (a custody movement, expected
    back at the due end; refused while a formal count is open).  In their cell:
    the door is opened for the visitors and closed behind them, both logged.
    """
    booking = visit.booking
    facility = booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    chosen = _escort_for(actor, escort, facility)
    started_at = _step_time(at, visit, visit.checked_in_at, "checked in")
    with transaction.atomic():
        locked = _locked(visit)
        _require_status(locked, VisitStatus.CHECKED_IN, STARTING)
        due_end = started_at + (locked.ends_at - locked.starts_at)
        present = _present(locked)
        fields = ["status", "started_at", "escort"]
        if locked.kind == VisitKind.IN_CELL:
            _still_in_cell(locked)
            values = {
                "visitors": _names(present), "person": booking.person.full_name, "escort": chosen,
            }  # fmt: skip
            _door(actor, locked, DoorAction.OPEN, DOOR_IN.format(**values), started_at)
            _door(actor, locked, DoorAction.CLOSE, DOOR_IN_CLOSED.format(**values), started_at)
        else:
            room = locked.room
            locked.movement = movement_start(
                actor=actor, booking=locked.booking, destination=Destination.VISIT_ROOM,
                destination_detail=room.name if room else "", escort=chosen,
                expected_return_at=due_end,
                reason=f"{locked.get_kind_display()} visit with {_names(present)}",
                at=started_at,
            )  # fmt: skip
            fields.append("movement")
        locked.status = VisitStatus.IN_PROGRESS
        locked.started_at, locked.escort = started_at, chosen
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action="visit.start", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "status": [VisitStatus.CHECKED_IN, VisitStatus.IN_PROGRESS],
                "started_at": started_at, "due_end_at": due_end,
                "escort": chosen.get_username(),
                "movement": str(locked.movement.public_id) if locked.movement else None,
            },
        )  # fmt: skip
    return locked


def visit_end(*, actor: User, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """The visit is over: the person goes back from the visit room, or the door is opened for
    the visitors to come out.  Ended past its due end, it keeps how long it overran."""
    booking = visit.booking
    facility = booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    ended_at = _step_time(at, visit, visit.started_at, "started")
    with transaction.atomic():
        locked = _locked(visit)
        _require_status(locked, VisitStatus.IN_PROGRESS, ENDING)
        if locked.kind == VisitKind.IN_CELL:
            values = {"visitors": _names(_present(locked)), "person": booking.person.full_name}
            _door(actor, locked, DoorAction.OPEN, DOOR_OUT.format(**values), ended_at)
            _door(actor, locked, DoorAction.CLOSE, DOOR_OUT_CLOSED.format(**values), ended_at)
        elif locked.movement_id is not None:
            movement = Movement.objects.select_related("booking__facility").get(
                pk=locked.movement_id
            )
            # Brought back already on the movements board: nothing more to record.
            if movement.returned_at is None:
                movement_return(actor=actor, movement=movement, at=ended_at)
        locked.status = VisitStatus.ENDED
        locked.ended_at, locked.ended_by = ended_at, actor
        locked.save(update_fields=["status", "ended_at", "ended_by"])
        due_end = locked.due_end_at
        over = int((ended_at - due_end).total_seconds() // 60) if due_end else 0
        audit_record(
            actor=actor, action="visit.end", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "status": [VisitStatus.IN_PROGRESS, VisitStatus.ENDED], "ended_at": ended_at,
                "due_end_at": due_end, **({"overran_minutes": over} if over >= 0 else {}),
            },
        )  # fmt: skip
    return locked


# --- Check-out and no-show ------------------------------------------------------------------


def visit_check_out(*, actor: User, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """The visitors have left: the visit is complete."""
    facility = visit.booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    when = _step_time(at, visit, visit.ended_at, "ended")
    with transaction.atomic():
        locked = _locked(visit)
        _require_status(locked, VisitStatus.ENDED, CHECKING_OUT)
        VisitParticipant.objects.filter(
            visit_id=locked.pk, checked_in_at__isnull=False, checked_out_at__isnull=True
        ).update(checked_out_at=when)
        locked.status = VisitStatus.COMPLETED
        locked.checked_out_at, locked.checked_out_by = when, actor
        locked.save(update_fields=["status", "checked_out_at", "checked_out_by"])
        audit_record(
            actor=actor, action="visit.check_out", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={"status": [VisitStatus.ENDED, VisitStatus.COMPLETED], "at": when},
        )  # fmt: skip
    return locked


def visit_no_show(*, actor: User, visit: Visit) -> Visit:
    """Nobody came: from the visit's start time a booked visit may be recorded as a no-show."""
    facility = visit.booking.facility
    require_perm(actor, Perm.VISIT_OPERATE, facility)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(visit)
        _require_status(locked, VisitStatus.SCHEDULED, NO_SHOW)
        if now < locked.starts_at:
            raise Conflict(
                NO_SHOW_TOO_EARLY.format(starts=_local(locked.starts_at, facility)),
                code="visit_not_started_yet",
            )
        locked.status = VisitStatus.NO_SHOW
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor, action="visit.no_show", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={"status": [VisitStatus.SCHEDULED, VisitStatus.NO_SHOW], "at": now},
        )  # fmt: skip
    return locked
