"""Releases: start one, complete it once the checklist is done, return, cancel.

A release is started (``release_start``), its checklist worked through
(``steps.py``), then completed (``release_complete``):

- a **final** release (time served, bail, acquittal, an assignment without
  return) closes the booking with the release's kind; booking's release hook
  gives up the bed in the same transaction, so the count and the bed boards
  change at once;
- a **temporary absence** (a furlough, an assignment with a return) keeps
  the booking open and the bed kept: the person goes out on a movement and
  the count shows them out of the facility until ``release_return``;
- a **transfer** closes the booking here and opens one at the receiving
  facility (``transfer.py``);
- an **escape** or a **death** is recorded at once, with a reason, and any
  release in hand gives way to it.

A release for time served before the computed date is refused unless the
commander overrides it with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking, BookingStatus
from cellblock.booking.services import booking_transition
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied
from cellblock.core.roles import Perm
from cellblock.court.models import SentenceStatus
from cellblock.court.selectors import active_sentences
from cellblock.court.services.release_dates import release_date_of
from cellblock.custody.models import Destination
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.models import Facility
from cellblock.release.models import (
    OPEN_RELEASE_STATUSES,
    Release,
    ReleaseKind,
    ReleaseStatus,
    ReleaseStepCode,
)
from cellblock.release.services.checklist import (
    StepState,
    local_today,
    missing_steps,
    release_steps,
    steps_of,
)
from cellblock.release.services.common import (
    fail,
    lock_release,
    require,
    require_preparing,
    step_record,
    text,
)
from cellblock.release.services.steps import VISITS_NOTE, visits_cancel
from cellblock.release.services.transfer import transfer_complete

# Recorded at once: nobody is left to work a checklist for.
AT_ONCE = frozenset({ReleaseKind.ESCAPE, ReleaseKind.DEATH})
# A release on these ends the sentences the person was serving.
DISCHARGES_SENTENCES = frozenset({ReleaseKind.TIME_SERVED, ReleaseKind.ASSIGNMENT})

UNKNOWN_KIND = "must be one of {choices}."
ONLY_FOR = "is only for {what}."
RANK_NEEDED = "is required for a release to an assignment: the mission's rank."
DESTINATION_NEEDED = "is required for a transfer: the receiving facility."
SAME_FACILITY = "is this facility: a transfer goes to another facility of the agency."
OTHER_AGENCY = "is not a facility of {agency}: transfers stay within the agency."
RETURN_NEEDED = "is required for a furlough: when the person is due back."
RETURN_NAIVE = "needs a time-zone offset, e.g. 2026-11-21T18:00:00+09:00."
RETURN_PAST = "must be in the future."
REASON_NEEDED = "is required: say what happened."
CANCEL_REASON_NEEDED = "is required: say why the release is called off."
NOT_IN_CUSTODY = (
    "{booking} is {status}: only a person in custody is released (complete intake first; "
    "a booking opened by mistake is cancelled instead)."
)
RELEASE_IN_PROGRESS = (
    "{booking} already has a release in hand ({kind}, {status}): complete or cancel it first."
)
CHECKLIST_INCOMPLETE = "The release checklist is not complete: {steps}."
NO_RELEASE_DATE = (
    "{person} ({booking}) has no computed release date: a release for time served needs the "
    "sentence on record."
)
EARLY_RELEASE = (
    "{person} ({booking}) is due for release on {release_on}: {days} day{s} early. "
    "Only the commander may release early, with a reason."
)
OVERRIDE_NOT_ALLOWED = (
    "Releasing before the computed date needs the {perm} permission: only the commander "
    "may override it."
)
NOT_AWAY = "This release is {status}: only a person away on a furlough or assignment returns."
HOLDS_CLEAR_NOTE = "Nothing held the person at release"
SUPERSEDED = "Superseded: {kind} recorded."
DISCHARGED = "Released: {kind} on {day}."
ASSIGNMENT_DETAIL = "{rank} assignment"


def _local(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def _kind_label(kind: str) -> str:
    return str(ReleaseKind(kind).label)


# --- Start ---------------------------------------------------------------------------------


def _start_errors(
    *,
    facility: Facility,
    kind: str,
    reason: str,
    assignment_rank: str,
    conditions: str,
    expected_return_at: dt.datetime | None,
    to_facility: Facility | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind == ReleaseKind.ASSIGNMENT:
        if not assignment_rank:
            errors["assignment_rank"] = [RANK_NEEDED]
    else:
        assignment = ONLY_FOR.format(what="a release to an assignment")
        if assignment_rank:
            errors["assignment_rank"] = [assignment]
        if conditions:
            errors["conditions"] = [assignment]
    if kind == ReleaseKind.TRANSFER:
        if to_facility is None:
            errors["to_facility"] = [DESTINATION_NEEDED]
        elif to_facility.pk == facility.pk:
            errors["to_facility"] = [SAME_FACILITY]
        elif to_facility.agency_id != facility.agency_id:
            errors["to_facility"] = [OTHER_AGENCY.format(agency=facility.agency.name)]
    elif to_facility is not None:
        errors["to_facility"] = [ONLY_FOR.format(what="a transfer")]
    if kind in (ReleaseKind.FURLOUGH, ReleaseKind.ASSIGNMENT):
        if expected_return_at is None and kind == ReleaseKind.FURLOUGH:
            errors["expected_return_at"] = [RETURN_NEEDED]
        elif expected_return_at is not None and timezone.is_naive(expected_return_at):
            errors["expected_return_at"] = [RETURN_NAIVE]
        elif expected_return_at is not None and expected_return_at <= clock.now():
            errors["expected_return_at"] = [RETURN_PAST]
    elif expected_return_at is not None:
        errors["expected_return_at"] = [
            ONLY_FOR.format(what="a furlough or an assignment with a return")
        ]
    if kind in AT_ONCE and not reason:
        errors["reason"] = [REASON_NEEDED]
    return errors


def _lock_in_custody(booking: Booking) -> Booking:
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("facility__agency", "person")
        .get(pk=booking.pk)
    )
    if locked.status != BookingStatus.IN_CUSTODY:
        closed = locked.status not in OPEN_STATUSES
        raise Conflict(
            NOT_IN_CUSTODY.format(
                booking=locked.booking_number, status=locked.get_status_display().lower()
            ),
            code="booking_closed" if closed else "booking_not_in_custody",
        )
    return locked


def release_start(
    *,
    actor: User,
    booking: Booking,
    kind: str,
    authority: str = "",
    reason: str = "",
    assignment_rank: str = "",
    conditions: str = "",
    expected_return_at: dt.datetime | None = None,
    to_facility: Facility | None = None,
) -> Release:
    """Open the release of a person in custody; an escape or a death is recorded at once."""
    facility = booking.facility
    require(actor, Perm.BOOKING_RELEASE, facility, "Releasing someone")
    if kind == ReleaseKind.ASSIGNMENT:
        require(actor, Perm.RELEASE_ASSIGNMENT, facility, "A release to an assignment")
    if kind not in ReleaseKind.values:
        fail({"kind": [UNKNOWN_KIND.format(choices=", ".join(ReleaseKind.values))]})
    errors: dict[str, list[str]] = {}
    authority = text(authority, 300, "authority", errors)
    reason = text(reason, 500, "reason", errors)
    assignment_rank = text(assignment_rank, 60, "assignment_rank", errors)
    conditions = text(conditions, 500, "conditions", errors)
    errors |= _start_errors(
        facility=facility, kind=kind, reason=reason, assignment_rank=assignment_rank,
        conditions=conditions, expected_return_at=expected_return_at, to_facility=to_facility,
    )  # fmt: skip
    fail(errors)
    with transaction.atomic():
        locked = _lock_in_custody(booking)
        current = (
            Release.objects.select_for_update()
            .filter(booking=locked, status__in=OPEN_RELEASE_STATUSES)
            .first()
        )
        if current is not None and kind in AT_ONCE:
            _give_way(actor=actor, release=current, booking=locked, kind=kind)
        elif current is not None:
            raise Conflict(
                RELEASE_IN_PROGRESS.format(
                    booking=locked.booking_number, kind=current.get_kind_display().lower(),
                    status=current.get_status_display().lower(),
                ),
                code="release_in_progress",
                extra={"release": str(current.public_id)},
            )  # fmt: skip
        release = Release.objects.create(
            booking=locked, kind=kind, authority=authority, reason=reason,
            requested_at=clock.now(), requested_by=actor, assignment_rank=assignment_rank,
            conditions=conditions,
            authorised_by=actor if kind == ReleaseKind.ASSIGNMENT else None,
            expected_return_at=expected_return_at, to_facility=to_facility,
        )  # fmt: skip
        audit_record(
            actor=actor, action="release.start", obj=release, facility=facility, reason=reason,
            object_label=f"{locked.booking_number}: {_kind_label(kind)}",
            changes={"booking": locked.booking_number, "kind": kind,
                     "authority": authority or None, "assignment_rank": assignment_rank or None,
                     "conditions": conditions or None, "expected_return_at": expected_return_at,
                     "to_facility": to_facility.code if to_facility else None,
                     "steps": list(steps_of(release))},
        )  # fmt: skip
        if kind in AT_ONCE:
            _record_at_once(actor=actor, release=release)
    return release


def _give_way(*, actor: User, release: Release, booking: Booking, kind: str) -> None:
    """A release in hand when the person escapes or dies: it ends, the new one says why."""
    now = clock.now()
    before = release.status
    why = SUPERSEDED.format(kind=_kind_label(kind).lower())
    if release.status == ReleaseStatus.AWAY:
        # They left on it and did not come back as planned: it happened, and it is over.
        release.status, release.completed_at, release.completed_by = (
            ReleaseStatus.COMPLETED, now, actor,
        )  # fmt: skip
        fields = ["status", "completed_at", "completed_by"]
        action = "release.complete"
    else:
        release.status, release.cancelled_at, release.cancelled_by = (
            ReleaseStatus.CANCELLED, now, actor,
        )  # fmt: skip
        release.cancel_reason = why
        fields = ["status", "cancelled_at", "cancelled_by", "cancel_reason"]
        action = "release.cancel"
    release.save(update_fields=fields)
    audit_record(
        actor=actor, action=action, obj=release, facility=booking.facility, reason=why,
        changes={"booking": booking.booking_number, "status": [before, release.status],
                 "superseded_by": kind},
    )  # fmt: skip


def _record_at_once(*, actor: User, release: Release) -> None:
    """An escape or a death: visits are called off and the booking closes now."""
    release_date = release_date_of(release.booking)
    release.release_date_then = release_date.release_on if release_date is not None else None
    cancelled = visits_cancel(actor=actor, release=release, refuse_running=False)
    step_record(
        actor=actor, release=release, code=ReleaseStepCode.VISITS_CANCELLED,
        note=VISITS_NOTE.format(count=len(cancelled), s="" if len(cancelled) == 1 else "s"),
        changes={"visits_cancelled": [str(visit.public_id) for visit in cancelled]},
    )  # fmt: skip
    _finish(actor=actor, release=release, changes={}, emergency_reason="")


# --- Complete ------------------------------------------------------------------------------


def checklist_message(missing: list[StepState]) -> str:
    """The refusal naming each open step, and beside the holds step what holds the person."""
    parts = [
        f"{state.label} ({'; '.join(state.blockers)})" if state.blockers else state.label
        for state in missing
    ]
    return CHECKLIST_INCOMPLETE.format(steps="; ".join(parts))


def _early_check(
    *, actor: User, release: Release, override_reason: str, changes: dict[str, Any]
) -> None:
    """Time served: the date must have come, or the commander overrides with a reason."""
    booking = release.booking
    facility = booking.facility
    release_on = release.release_date_then
    if release_on is None:
        raise Conflict(
            NO_RELEASE_DATE.format(person=booking.person.full_name, booking=booking.booking_number),
            code="no_release_date",
        )
    today = local_today(facility.timezone)
    if release_on <= today:
        return
    days = (release_on - today).days
    if not override_reason:
        raise Conflict(
            EARLY_RELEASE.format(
                person=booking.person.full_name, booking=booking.booking_number,
                release_on=release_on.isoformat(), days=days, s="" if days == 1 else "s",
            ),
            code="early_release",
            extra={"release_on": release_on.isoformat(), "days_early": days},
        )  # fmt: skip
    if Perm.RELEASE_OVERRIDE not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            OVERRIDE_NOT_ALLOWED.format(perm=Perm.RELEASE_OVERRIDE.value),
            code="override_not_allowed",
        )
    release.early_override_reason = override_reason
    release.early_override_by = actor
    changes["early_override"] = {"days_early": days, "reason": override_reason}


def release_complete(
    *, actor: User, release: Release, override_reason: str = "", emergency_reason: str = ""
) -> Release:
    """Complete a release whose checklist is done: the person leaves (for good or for a while).

    Refused (409 ``release_checklist_incomplete``) while a required step is
    open, naming each one and what holds the person; for time served, refused
    before the computed date (409 ``early_release``) unless the commander gives
    ``override_reason``.  ``emergency_reason`` lets the person out during a
    formal count.
    """
    facility = release.booking.facility
    require(actor, Perm.BOOKING_RELEASE, facility, "Completing a release")
    errors: dict[str, list[str]] = {}
    override_reason = text(override_reason, 500, "override_reason", errors)
    emergency_reason = text(emergency_reason, 500, "emergency_reason", errors)
    fail(errors)
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "it can be completed")
        missing = missing_steps(release_steps(locked))
        if missing:
            raise Conflict(
                checklist_message(missing),
                code="release_checklist_incomplete",
                extra={"steps": [state.code for state in missing],
                       "blockers": [blocker for state in missing for blocker in state.blockers]},
            )  # fmt: skip
        release_date = release_date_of(locked.booking)
        locked.release_date_then = release_date.release_on if release_date is not None else None
        changes: dict[str, Any] = {}
        if locked.kind == ReleaseKind.TIME_SERVED:
            _early_check(
                actor=actor, release=locked, override_reason=override_reason, changes=changes
            )
        if ReleaseStepCode.HOLDS_CLEAR in steps_of(locked):
            # The live check passed: keep it on the record as the other steps are.
            step_record(
                actor=actor, release=locked, code=ReleaseStepCode.HOLDS_CLEAR,
                note=HOLDS_CLEAR_NOTE,
            )  # fmt: skip
        _finish(actor=actor, release=locked, changes=changes, emergency_reason=emergency_reason)
    return locked


def _finish(
    *, actor: User, release: Release, changes: dict[str, Any], emergency_reason: str
) -> None:
    """The person leaves: the booking closes, or they go out for a while; audited."""
    booking = release.booking
    before = release.status
    now = clock.now()
    if release.is_temporary:
        movement = movement_start(
            actor=actor, booking=booking,
            destination=(
                Destination.FURLOUGH if release.kind == ReleaseKind.FURLOUGH
                else Destination.ASSIGNMENT
            ),
            destination_detail=(
                ASSIGNMENT_DETAIL.format(rank=release.assignment_rank)
                if release.kind == ReleaseKind.ASSIGNMENT else release.authority[:200]
            ),
            expected_return_at=release.expected_return_at, reason=release.reason,
            emergency_reason=emergency_reason,
        )  # fmt: skip
        release.movement = movement
        release.status = ReleaseStatus.AWAY
        changes["movement"] = str(movement.public_id)
    elif release.kind == ReleaseKind.TRANSFER:
        received = transfer_complete(
            actor=actor, release=release, emergency_reason=emergency_reason
        )
        release.new_booking = received
        release.status = ReleaseStatus.COMPLETED
        changes["new_booking"] = received.booking_number
    else:
        # An escape or a death cannot wait for a count to clear.
        if release.kind in AT_ONCE:
            emergency_reason = f"{_kind_label(release.kind)}: {release.reason}"
        booking_transition(
            actor=actor, booking=booking, to=BookingStatus.RELEASED, release_type=release.kind,
            reason=release.reason or _kind_label(release.kind), emergency_reason=emergency_reason,
        )  # fmt: skip
        if release.kind in DISCHARGES_SENTENCES:
            changes["sentences_discharged"] = _discharge_sentences(
                actor=actor, release=release, at=now
            )
        release.status = ReleaseStatus.COMPLETED
    if release.status == ReleaseStatus.COMPLETED:
        release.completed_at, release.completed_by = now, actor
    release.save(
        update_fields=[
            "status", "completed_at", "completed_by", "movement", "new_booking",
            "release_date_then", "early_override_reason", "early_override_by",
        ]
    )  # fmt: skip
    audit_record(
        actor=actor, action="release.complete", obj=release, facility=booking.facility,
        reason=release.reason,
        object_label=f"{booking.booking_number}: {_kind_label(release.kind)}",
        changes={"booking": booking.booking_number, "kind": release.kind,
                 "status": [before, release.status], "release_on": release.release_date_then,
                 **({"emergency": emergency_reason} if emergency_reason else {}), **changes},
    )  # fmt: skip


def _discharge_sentences(*, actor: User, release: Release, at: dt.datetime) -> list[str]:
    """The sentences the person was serving end with the release."""
    booking = release.booking
    day = local_today(booking.facility.timezone, at)
    why = DISCHARGED.format(kind=_kind_label(release.kind).lower(), day=day.isoformat())
    ended: list[str] = []
    for sentence in active_sentences(booking.person):
        sentence.status, sentence.ended_at, sentence.end_reason = (
            SentenceStatus.DISCHARGED, at, why,
        )  # fmt: skip
        sentence.save(update_fields=["status", "ended_at", "end_reason"])
        audit_record(
            actor=actor, action="sentence.discharge", obj=sentence, facility=booking.facility,
            reason=why,
            changes={"booking": booking.booking_number, "release": str(release.public_id)},
        )  # fmt: skip
        ended.append(str(sentence.public_id))
    return ended


# --- Return and cancel ---------------------------------------------------------------------


def release_return(*, actor: User, release: Release, at: dt.datetime | None = None) -> Release:
    """The person is back from a furlough or an assignment: the movement closes."""
    facility = release.booking.facility
    require(actor, Perm.MOVEMENT_RECORD, facility, "Recording a return")
    with transaction.atomic():
        locked = lock_release(release)
        if locked.status != ReleaseStatus.AWAY or locked.movement_id is None:
            raise Conflict(
                NOT_AWAY.format(status=locked.get_status_display().lower()),
                code="release_not_away",
                extra={"status": locked.status},
            )
        movement = locked.movement
        assert movement is not None  # noqa: S101 (checked above)
        movement.booking = locked.booking
        returned = movement_return(actor=actor, movement=movement, at=at)
        locked.status = ReleaseStatus.RETURNED
        locked.returned_at = returned.returned_at
        locked.save(update_fields=["status", "returned_at"])
        late = (
            locked.expected_return_at is not None
            and returned.returned_at is not None
            and returned.returned_at > locked.expected_return_at
        )
        audit_record(
            actor=actor, action="release.return", obj=locked, facility=facility,
            object_label=f"{locked.booking.booking_number}: back from {_kind_label(locked.kind)}",
            changes={"booking": locked.booking.booking_number,
                     "status": [ReleaseStatus.AWAY, ReleaseStatus.RETURNED],
                     "returned_at": locked.returned_at,
                     "expected_return_at": locked.expected_return_at,
                     **({"late": True} if late else {})},
        )  # fmt: skip
    return locked


def release_cancel(*, actor: User, release: Release, reason: str) -> Release:
    """Call off a release still in preparation; what its steps did stays on the record."""
    facility = release.booking.facility
    require(actor, Perm.BOOKING_RELEASE, facility, "Cancelling a release")
    errors: dict[str, list[str]] = {}
    reason = text(reason, 500, "reason", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = [CANCEL_REASON_NEEDED]
    fail(errors)
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "it can be cancelled")
        locked.status = ReleaseStatus.CANCELLED
        locked.cancelled_at, locked.cancelled_by, locked.cancel_reason = clock.now(), actor, reason
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        done = [
            state.code
            for state in release_steps(locked)
            if state.done and state.code != ReleaseStepCode.HOLDS_CLEAR
        ]
        audit_record(
            actor=actor, action="release.cancel", obj=locked, facility=facility, reason=reason,
            changes={"booking": locked.booking.booking_number,
                     "status": [ReleaseStatus.PREPARING, ReleaseStatus.CANCELLED],
                     "steps_done": done},
        )  # fmt: skip
    return locked
