"""Restraints: applied with a reason, checked every 15 minutes, approved past 2 hours, removed.

Numbers come from the facility's policy (``restraint_check_minutes``,
``restraint_max_minutes_without_approval``; Texas 37 TAC 273.6).  A restraint
is never a punishment (Mandela Rule 43(2)): the purpose "discipline" is
refused, and the database refuses it too.  A removal without anyone's
authority is recorded as it happened, opens an incident by itself and stays
on the alert board until a supervisor reviews it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm, Role
from cellblock.custody.models import Restraint, RestraintCheck, RestraintKind, RestraintPurpose
from cellblock.facilities.models import Cell, Facility
from cellblock.housing.models import BedAssignment
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin

RESTRAINT_AS_PUNISHMENT = (
    "A restraint is never a disciplinary sanction (Mandela Rule 43(2)): apply one only to "
    "prevent harm, escape or for transport, and say why."
)
APPLY_DENIED = "Applying restraints at {facility} needs an officer, a supervisor or the commander."
CHECK_DENIED = (
    "Recording restraint checks at {facility} needs an officer, a supervisor or the commander."
)
REMOVE_DENIED = "Taking restraints off at {facility} needs an officer, a medic or a supervisor."
AUTHORISE_DENIED = (
    "Reviewing a restraint removal at {facility} needs a supervisor or the commander."
)
EXTENSION_DENIED = (
    "Approving a restraint past {minutes} minutes at {facility} needs a supervisor (custody "
    "side) or a medic (medical side)."
)
NOT_A_KIND = "'{value}' is not a restraint; choose one of {choices}."
NOT_A_PURPOSE = "'{value}' is not a purpose; choose one of {choices}."
REASON_REQUIRED = "is required: say why the restraint is needed."
CANNOT_AUTHORISE = (
    "{who} cannot authorise restraints at {facility} (a supervisor or the commander can)."
)
NOT_STAFF_HERE = "{who} holds no role at {facility}."
ASSISTED_BY_SELF = "must be a second member of staff, not the one applying."
BOOKING_CLOSED = "Booking {number} is closed: nobody is held to restrain."
ALREADY_RESTRAINED = "{person} is already in {kind} since {since}; record a check or remove them."
NOT_IN_FORCE = "This restraint was removed at {when}."
IN_THE_FUTURE = "cannot be in the future."
BEFORE = "cannot be before {what} ({when})."
POOR_CIRCULATION_NOTE = "is required when circulation is not fine: say what was done."
NOT_A_SIDE = "'{value}' is not a side; choose supervisor or medic."
SIDE_NOT_YOURS = (
    "The {side} side of an extension needs the {perm} permission, which you do not hold."
)
SIDE_TAKEN = "The {side} side was approved by {who} at {when}."
BOTH_APPROVED = "Both sides of the extension are approved already."
SAME_PERSON = (
    "The supervisor and the medic must be two different people: {who} approved the {other} "
    "side already."
)
NOT_REMOVED_WITHOUT_AUTHORITY = (
    "This restraint was not removed without authority: nothing to review."
)
ALREADY_REVIEWED = "The removal was reviewed by {who} at {when}."
REVIEW_NOTE_REQUIRED = "is required: say what was found and done."
REMOVED_WITHOUT_AUTHORITY = (
    "{remover} removed the {kind} of {person} ({number}) at {when} without the authority of a "
    "supervisor."
)

SUPERVISOR_SIDE = "supervisor"
MEDIC_SIDE = "medic"
SIDES = {SUPERVISOR_SIDE: Perm.RESTRAINT_AUTHORISE, MEDIC_SIDE: Perm.RESTRAINT_MEDICAL_APPROVE}


def _local(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def _moment(at: dt.datetime | None, *, field: str = "at") -> dt.datetime:
    """When the fact happened: now by default, never in the future."""
    now = clock.now()
    if at is None:
        return now
    if at > now:
        raise ValidationFailed.for_fields({field: [IN_THE_FUTURE]})
    return at


def _require(actor: User, facility: Facility, perm: Perm, message: str) -> frozenset[Perm]:
    perms = actor.perms_at(facility.pk)
    if perm not in perms:
        raise PermissionDenied(message.format(facility=facility.name), code="missing_role")
    return perms


def _in_force(restraint: Restraint) -> Restraint:
    """The restraint locked for the change, refused if it has come off."""
    locked = (
        Restraint.objects.select_for_update(of=("self",))
        .select_related("booking__facility", "booking__person")
        .get(pk=restraint.pk)
    )
    if locked.removed_at is not None:
        raise Conflict(
            NOT_IN_FORCE.format(when=_local(locked.removed_at, locked.booking.facility)),
            code="restraint_removed",
        )
    return locked


def current_cell(booking: Booking) -> Cell | None:
    """The cell the person sleeps in now, if housed."""
    assignment = (
        BedAssignment.objects.filter(booking=booking, ended_at__isnull=True)
        .select_related("bed__cell__unit__zone")
        .first()
    )
    return assignment.bed.cell if assignment else None


def restraint_apply(
    *,
    actor: User,
    booking: Booking,
    kind: str,
    purpose: str,
    reason: str,
    assisted_by: User | None = None,
    authorised_by: User | None = None,
    at: dt.datetime | None = None,
) -> Restraint:
    """Put a restraint on a person, with why, who helped and on whose authority.

    An officer may apply one in an emergency with ``authorised_by`` empty; the
    restraint board then shows it as unauthorised.  A supervisor or the
    commander applying one authorises it themselves.
    """
    facility = booking.facility
    perms = _require(actor, facility, Perm.RESTRAINT_APPLY, APPLY_DENIED)
    if purpose == RestraintPurpose.DISCIPLINE:
        raise Conflict(
            RESTRAINT_AS_PUNISHMENT, code="restraint_as_punishment",
            extra={"rule": "Mandela Rule 43(2)", "purpose": purpose},
        )  # fmt: skip
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if kind not in RestraintKind.values:
        errors["kind"] = [NOT_A_KIND.format(value=kind, choices=", ".join(RestraintKind.values))]
    if purpose not in RestraintPurpose.values:
        allowed = [p for p in RestraintPurpose.values if p != RestraintPurpose.DISCIPLINE]
        errors["purpose"] = [NOT_A_PURPOSE.format(value=purpose, choices=", ".join(allowed))]
    if not reason:
        errors["reason"] = [REASON_REQUIRED]
    if assisted_by is not None:
        if assisted_by.pk == actor.pk:
            errors["assisted_by"] = [ASSISTED_BY_SELF]
        elif not assisted_by.roles_at(facility.pk):
            errors["assisted_by"] = [NOT_STAFF_HERE.format(who=assisted_by, facility=facility.name)]
    if authorised_by is not None and Perm.RESTRAINT_AUTHORISE not in authorised_by.perms_at(
        facility.pk
    ):
        errors["authorised_by"] = [
            CANNOT_AUTHORISE.format(who=authorised_by, facility=facility.name)
        ]
    try:
        applied_at = _moment(at)
    except ValidationFailed as exc:
        errors.update(exc.extra["fields"])
        applied_at = clock.now()
    if "at" not in errors and applied_at < booking.booked_at:
        errors["at"] = [BEFORE.format(what="the booking", when=_local(booking.booked_at, facility))]
    if errors:
        raise ValidationFailed.for_fields(errors)
    if authorised_by is None and Perm.RESTRAINT_AUTHORISE in perms:
        authorised_by = actor
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("person").get(pk=booking.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(
                BOOKING_CLOSED.format(number=locked.booking_number), code="booking_closed"
            )
        same = Restraint.objects.filter(booking=locked, kind=kind, removed_at__isnull=True).first()
        if same is not None:
            raise Conflict(
                ALREADY_RESTRAINED.format(
                    person=locked.person.full_name, kind=same.get_kind_display().lower(),
                    since=_local(same.applied_at, facility),
                ),
                code="already_restrained", extra={"restraint": str(same.public_id)},
            )  # fmt: skip
        restraint = Restraint.objects.create(
            booking=locked, kind=kind, purpose=purpose, reason=reason, applied_at=applied_at,
            applied_by=actor, assisted_by=assisted_by, authorised_by=authorised_by,
        )  # fmt: skip
        audit_record(
            actor=actor, action="restraint.apply", obj=restraint, facility=facility, reason=reason,
            changes={
                "booking": locked.booking_number, "kind": kind, "purpose": purpose,
                "applied_at": applied_at,
                "assisted_by": assisted_by.get_username() if assisted_by else None,
                "authorised_by": authorised_by.get_username() if authorised_by else None,
            },
        )  # fmt: skip
    return restraint


def restraint_check_record(
    *,
    actor: User,
    restraint: Restraint,
    circulation_ok: bool = True,
    note: str = "",
    at: dt.datetime | None = None,
) -> RestraintCheck:
    """Record a check of a restrained person (circulation, breathing, position)."""
    facility = restraint.booking.facility
    _require(actor, facility, Perm.RESTRAINT_APPLY, CHECK_DENIED)
    note = note.strip()
    checked_at = _moment(at)
    if not circulation_ok and not note:
        raise ValidationFailed.for_fields({"note": [POOR_CIRCULATION_NOTE]})
    with transaction.atomic():
        locked = _in_force(restraint)
        if checked_at < locked.applied_at:
            raise ValidationFailed.for_fields(
                {
                    "at": [
                        BEFORE.format(
                            what="the application", when=_local(locked.applied_at, facility)
                        )
                    ]
                }
            )
        check = RestraintCheck.objects.create(
            restraint=locked, checked_at=checked_at, checked_by=actor,
            circulation_ok=circulation_ok, note=note,
        )  # fmt: skip
        audit_record(
            actor=actor, action="restraint.check", obj=locked, facility=facility, reason=note,
            changes={"checked_at": checked_at, "circulation_ok": circulation_ok},
        )  # fmt: skip
    return check


def _side_for(actor: User, facility: Facility, restraint: Restraint, side: str | None) -> str:
    """The side ``actor`` approves: the one asked for, else the only one open to them.

    A person holding both (a supervisor who is also a medic, the commander)
    approves one side only; without ``side`` they take their medical side if
    they hold the medical role and it is open, otherwise the supervisor side.
    """
    perms = actor.perms_at(facility.pk)
    open_sides = {
        SUPERVISOR_SIDE: restraint.extension_supervisor_id is None,
        MEDIC_SIDE: restraint.extension_medic_id is None,
    }
    if side is not None:
        if side not in SIDES:
            raise ValidationFailed.for_fields({"side": [NOT_A_SIDE.format(value=side)]})
        if SIDES[side] not in perms:
            raise PermissionDenied(
                SIDE_NOT_YOURS.format(side=side, perm=SIDES[side].value), code="missing_role"
            )
        return side
    mine = [name for name, perm in SIDES.items() if perm in perms]
    if not mine:
        raise PermissionDenied(
            EXTENSION_DENIED.format(minutes=_limit(facility), facility=facility.name),
            code="missing_role",
        )
    still_open = [name for name in mine if open_sides[name]]
    if len(still_open) == 1:
        return still_open[0]
    if len(still_open) > 1:
        return MEDIC_SIDE if Role.MEDICAL in actor.roles_at(facility.pk) else SUPERVISOR_SIDE
    # Nothing left for them: say why with the side they would have taken.
    return mine[0]


def _limit(facility: Facility) -> int:
    from cellblock.classification.selectors import policy_of

    return policy_of(facility).restraint_max_minutes_without_approval


def restraint_extension_approve(
    *,
    actor: User,
    restraint: Restraint,
    side: str | None = None,
    at: dt.datetime | None = None,
) -> Restraint:
    """Approve keeping a restraint on past the policy limit: one side, supervisor or medic.

    Both sides must be approved, by two different people, for a restraint to
    stay on past ``restraint_max_minutes_without_approval``.
    """
    facility = restraint.booking.facility
    approved_at = _moment(at)
    with transaction.atomic():
        locked = _in_force(restraint)
        chosen = _side_for(actor, facility, locked, side)
        if locked.extension_supervisor_id and locked.extension_medic_id:
            raise Conflict(BOTH_APPROVED, code="already_approved")
        mine = locked.extension_supervisor if chosen == SUPERVISOR_SIDE else locked.extension_medic
        when = (
            locked.extension_supervisor_at
            if chosen == SUPERVISOR_SIDE
            else locked.extension_medic_at
        )
        if mine is not None and when is not None:
            raise Conflict(
                SIDE_TAKEN.format(side=chosen, who=mine, when=_local(when, facility)),
                code="already_approved",
            )
        other_side = MEDIC_SIDE if chosen == SUPERVISOR_SIDE else SUPERVISOR_SIDE
        other_id = (
            locked.extension_medic_id
            if chosen == SUPERVISOR_SIDE
            else locked.extension_supervisor_id
        )
        if other_id == actor.pk:
            raise Conflict(
                SAME_PERSON.format(who=actor, other=other_side), code="two_different_people"
            )
        if approved_at < locked.applied_at:
            raise ValidationFailed.for_fields(
                {
                    "at": [
                        BEFORE.format(
                            what="the application", when=_local(locked.applied_at, facility)
                        )
                    ]
                }
            )
        if chosen == SUPERVISOR_SIDE:
            locked.extension_supervisor, locked.extension_supervisor_at = actor, approved_at
            fields = ["extension_supervisor", "extension_supervisor_at"]
        else:
            locked.extension_medic, locked.extension_medic_at = actor, approved_at
            fields = ["extension_medic", "extension_medic_at"]
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action="restraint.extension_approve", obj=locked, facility=facility,
            changes={"side": chosen, "at": approved_at},
        )  # fmt: skip
    return locked


def restraint_remove(
    *,
    actor: User,
    restraint: Restraint,
    authorised_by: User | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Restraint:
    """Take a restraint off, on a supervisor's authority (or the remover's own).

    Without authority the removal is still recorded as it happened (it has
    happened); an incident opens by itself and the removal stays on the alert
    board until a supervisor reviews it (``restraint_removal_review``).
    """
    facility = restraint.booking.facility
    perms = _require(actor, facility, Perm.RESTRAINT_REMOVE, REMOVE_DENIED)
    note = note.strip()
    removed_at = _moment(at)
    if authorised_by is not None and Perm.RESTRAINT_AUTHORISE not in authorised_by.perms_at(
        facility.pk
    ):
        raise ValidationFailed.for_fields(
            {"authorised_by": [CANNOT_AUTHORISE.format(who=authorised_by, facility=facility.name)]}
        )
    if authorised_by is None and Perm.RESTRAINT_AUTHORISE in perms:
        authorised_by = actor
    with transaction.atomic():
        locked = _in_force(restraint)
        last_check = locked.checks.aggregate(last=Max("checked_at"))["last"]
        floor, what = locked.applied_at, "the application"
        if last_check is not None and last_check > floor:
            floor, what = last_check, "the last check"
        if removed_at < floor:
            raise ValidationFailed.for_fields(
                {"at": [BEFORE.format(what=what, when=_local(floor, facility))]}
            )
        locked.removed_at, locked.removed_by = removed_at, actor
        locked.removal_authorised_by, locked.removal_note = authorised_by, note
        locked.save(
            update_fields=["removed_at", "removed_by", "removal_authorised_by", "removal_note"]
        )
        incident = None
        if authorised_by is None:
            incident = _removal_incident(actor=actor, restraint=locked, note=note)
        audit_record(
            actor=actor, action="restraint.remove", obj=locked, facility=facility, reason=note,
            changes={
                "removed_at": removed_at,
                "authorised_by": authorised_by.get_username() if authorised_by else None,
                **({"incident": incident.number} if incident else {}),
            },
        )  # fmt: skip
    return locked


def _removal_incident(*, actor: User, restraint: Restraint, note: str) -> Incident:
    from cellblock.incidents.services import incident_report

    booking = restraint.booking
    facility = booking.facility
    cell = current_cell(booking)
    narrative = REMOVED_WITHOUT_AUTHORITY.format(
        remover=actor, kind=restraint.get_kind_display().lower(), person=booking.person.full_name,
        number=booking.booking_number, when=_local(restraint.removed_at or clock.now(), facility),
    )  # fmt: skip
    return incident_report(
        actor=actor, facility=facility, kind=IncidentKind.UNAUTHORISED_RESTRAINT_REMOVAL,
        narrative=f"{narrative} {note}".strip(), occurred_at=restraint.removed_at, cell=cell,
        place="" if cell else "not housed", people=[booking], staff=[actor],
        origin=IncidentOrigin.AUTOMATIC,
    )  # fmt: skip


def removal_incidents(restraint: Restraint) -> list[Incident]:
    """The incidents opened by this restraint's removal without authority."""
    if restraint.removed_at is None or restraint.removal_authorised_by_id is not None:
        return []
    return list(
        Incident.objects.filter(
            kind=IncidentKind.UNAUTHORISED_RESTRAINT_REMOVAL, origin=IncidentOrigin.AUTOMATIC,
            people=restraint.booking_id, occurred_at=restraint.removed_at,
        ).select_related("facility")
    )  # fmt: skip


def _mark_reviewed(*, actor: User, restraint: Restraint, note: str, now: dt.datetime) -> None:
    restraint.removal_reviewed_by, restraint.removal_reviewed_at = actor, now
    restraint.save(update_fields=["removal_reviewed_by", "removal_reviewed_at"])
    audit_record(
        actor=actor, action="restraint.removal_review", obj=restraint,
        facility=restraint.booking.facility, reason=note,
    )  # fmt: skip


def restraint_removal_review(*, actor: User, restraint: Restraint, note: str) -> Restraint:
    """A supervisor reviews a removal made without authority; its alert and incident clear."""
    from cellblock.incidents.services import incident_review

    facility = restraint.booking.facility
    _require(actor, facility, Perm.RESTRAINT_AUTHORISE, AUTHORISE_DENIED)
    note = note.strip()
    if not note:
        raise ValidationFailed.for_fields({"note": [REVIEW_NOTE_REQUIRED]})
    with transaction.atomic():
        locked = (
            Restraint.objects.select_for_update(of=("self",))
            .select_related("booking__facility", "booking__person", "removal_reviewed_by")
            .get(pk=restraint.pk)
        )
        if locked.removed_at is None or locked.removal_authorised_by_id is not None:
            raise Conflict(NOT_REMOVED_WITHOUT_AUTHORITY, code="nothing_to_review")
        if locked.removal_reviewed_at is not None:
            raise Conflict(
                ALREADY_REVIEWED.format(
                    who=locked.removal_reviewed_by,
                    when=_local(locked.removal_reviewed_at, facility),
                ),
                code="already_reviewed",
            )
        _mark_reviewed(actor=actor, restraint=locked, note=note, now=clock.now())
        # Its incident is reviewed with it, by whoever may review incidents.
        if Perm.INCIDENT_REVIEW in actor.perms_at(facility.pk):
            for incident in removal_incidents(locked):
                if incident.reviewed_at is None:
                    incident_review(actor=actor, incident=incident, note=note)
    return locked


def removal_reviewed_with_incident(*, actor: User, incident: Incident, note: str) -> None:
    """The incident of a removal without authority was reviewed: the removal is reviewed too."""
    now = clock.now()
    for restraint in (
        Restraint.objects.select_for_update(of=("self",))
        .select_related("booking__facility")
        .filter(
            booking__in=incident.people.all(), removed_at=incident.occurred_at,
            removal_authorised_by__isnull=True, removal_reviewed_at__isnull=True,
        )
    ):  # fmt: skip
        _mark_reviewed(actor=actor, restraint=restraint, note=note or "Incident reviewed.", now=now)
