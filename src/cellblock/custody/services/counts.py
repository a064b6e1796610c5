"""Formal counts: a supervisor starts one, officers count each unit, a supervisor clears it.

Starting a count snapshots, per unit, who should be in their cells
(``expected``) and who is out on a movement (``expected_out``), and freezes
movement (custody.freeze).  A figure that differs from what the unit should
hold forces a recount; a recount that still differs needs a supervisor's
written reconciliation; the count clears only when every sheet matches or is
reconciled (Fresno D-300, CDCR).

What a sheet should find is read when the figure is entered, not only at the
start: returns are accepted during a count (and emergencies may leave), so a
unit's people in their cells at that moment are what the officer should count.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import (
    COUNT_TRANSITIONS,
    CountMethod,
    CountSheet,
    CountStatus,
    FormalCount,
    SheetStatus,
)
from cellblock.custody.selectors.counts import (
    Figures,
    count_times,
    facility_units,
    figures_by_unit,
    slot_for,
    unit_in_cell,
)
from cellblock.custody.services.movements import (
    AT_NAIVE,
    fact_time,
    local,
    moves_lock,
    require_perm,
)
from cellblock.facilities.models import Facility

UNKNOWN_METHOD = "must be one of {choices}."
NOT_A_COUNT_TIME = "is not a count time of {facility} ({times} local)."
TOO_EARLY = "is more than {minutes} minutes ahead: start the count nearer its time."
COUNT_ALREADY_OPEN = (
    "A {method} is already open at {facility} since {since:%H:%M}: clear or cancel it first."
)
COUNT_ALREADY_DONE = "The {time:%H:%M} count of {facility} was already {status}."
AT_BEFORE_START = "is before the count started ({started_at:%Y-%m-%d %H:%M})."
COUNTED_NOT_A_NUMBER = "must be a whole number of people, 0 or more."
COUNT_CLOSED = "This count is {status}: figures can no longer change."
SHEET_DONE = "{unit} is already {status} on this count: nothing more to count."
SHEET_DISCREPANT = "{unit} was recounted and still differs: a supervisor must reconcile it."
NOT_DISCREPANT = "Only a recount that still differs is reconciled; {unit} is {status}."
EXPLANATION_NEEDED = "is required: say why the figures differ and where the difference is."
REASON_NEEDED = "is required to cancel a count."
NOT_BALANCED = "The count cannot clear: {units} {verb} not matched or reconciled."
BAD_TRANSITION = "This count is {current}: it cannot be {target}."

# A sheet that lets the count clear.
BALANCED = frozenset({SheetStatus.MATCHED, SheetStatus.RECONCILED})
# Counting beyond this many on one unit is a typing slip, not a figure.
MAX_COUNTED = 100_000


def _transition_check(count: FormalCount, to: str) -> None:
    if to not in COUNT_TRANSITIONS.get(count.status, frozenset()):
        raise Conflict(
            BAD_TRANSITION.format(
                current=count.get_status_display().lower(), target=CountStatus(to).label.lower()
            ),
            code="invalid_transition",
            extra={"from": count.status, "to": to},
        )


def count_start(
    *,
    actor: User,
    facility: Facility,
    method: str,
    scheduled_for: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> FormalCount:
    """Start a count: one sheet per unit with its people in cell and out, and movement frozen.

    ``scheduled_for`` is the policy's count time it answers (None: a count
    called outside the schedule).  A count may start up to the grace before
    its time and any time after (late).
    """
    require_perm(actor, Perm.COUNT_CLEAR, facility)
    errors: dict[str, list[str]] = {}
    if method not in CountMethod.values:
        errors["method"] = [UNKNOWN_METHOD.format(choices=", ".join(CountMethod.values))]
    started_at = fact_time(at, errors)
    if scheduled_for is not None and timezone.is_naive(scheduled_for):
        errors["scheduled_for"] = [AT_NAIVE]
    elif scheduled_for is not None:
        times, grace = count_times(facility)
        if slot_for(facility, scheduled_for, times) is None:
            errors["scheduled_for"] = [
                NOT_A_COUNT_TIME.format(
                    facility=facility.name, times=", ".join(t.strftime("%H:%M") for t in times)
                )
            ]
        elif scheduled_for - grace > started_at:
            minutes = int(grace.total_seconds() // 60)
            errors["scheduled_for"] = [TOO_EARLY.format(minutes=minutes)]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        # Moves and movements take this lock too: none is half-done while we snapshot.
        moves_lock(facility)
        current = FormalCount.objects.filter(
            facility_id=facility.pk, status=CountStatus.OPEN
        ).first()
        if current is not None:
            raise Conflict(
                COUNT_ALREADY_OPEN.format(
                    method=current.get_method_display().lower(), facility=facility.name,
                    since=local(current.started_at, facility),
                ),
                code="count_already_open",
                extra={"count": str(current.public_id)},
            )  # fmt: skip
        if scheduled_for is not None:
            done = (
                FormalCount.objects.filter(facility_id=facility.pk, scheduled_for=scheduled_for)
                .exclude(status=CountStatus.CANCELLED)
                .first()
            )
            if done is not None:
                raise Conflict(
                    COUNT_ALREADY_DONE.format(
                        time=local(scheduled_for, facility), facility=facility.name,
                        status=done.get_status_display().lower(),
                    ),
                    code="count_already_done",
                    extra={"count": str(done.public_id)},
                )  # fmt: skip
        units = facility_units(facility)
        # A late entry snapshots the facility as it was; a count now reads the open rows.
        by_unit = figures_by_unit(facility, at=at)
        try:
            with transaction.atomic():
                count = FormalCount.objects.create(
                    facility=facility, method=method, scheduled_for=scheduled_for,
                    started_at=started_at, started_by=actor,
                )  # fmt: skip
        except IntegrityError as error:
            raise Conflict(
                "A count was started at this facility a moment ago.", code="count_already_open"
            ) from error
        sheets = []
        for unit in units:
            figures = by_unit.get(unit.pk, Figures())
            sheets.append(
                CountSheet(count=count, unit=unit, expected=figures.in_place,
                           expected_out=figures.out)
            )  # fmt: skip
        CountSheet.objects.bulk_create(sheets)
        audit_record(
            actor=actor, action="count.start", obj=count, facility=facility,
            changes={
                "method": method, "scheduled_for": scheduled_for, "sheets": len(sheets),
                "expected": sum(s.expected for s in sheets),
                "expected_out": sum(s.expected_out for s in sheets),
            },
        )  # fmt: skip
    return count


def _locked_open(count: FormalCount) -> FormalCount:
    """The count, locked; refused unless it is still open."""
    locked = FormalCount.objects.select_for_update().select_related("facility").get(pk=count.pk)
    if locked.status != CountStatus.OPEN:
        raise Conflict(
            COUNT_CLOSED.format(status=locked.get_status_display().lower()),
            code="count_closed",
            extra={"status": locked.status},
        )
    return locked


def count_sheet_record(
    *, actor: User | None, sheet: CountSheet, counted: int, at: dt.datetime | None = None
) -> CountSheet:
    """Enter what was counted on a unit: first figure, then (if it differed) the recount.

    The figure is compared with the unit's people in their cells when it was
    counted.  A first figure that differs: status recount.  A recount: matched
    or discrepant (a supervisor then reconciles).
    """
    count = sheet.count
    facility = count.facility
    require_perm(actor, Perm.COUNT_RECORD, facility)
    errors: dict[str, list[str]] = {}
    if isinstance(counted, bool) or not isinstance(counted, int) or not 0 <= counted <= MAX_COUNTED:
        errors["counted"] = [COUNTED_NOT_A_NUMBER]
    when = fact_time(
        at, errors, not_before=count.started_at,
        not_before_message=AT_BEFORE_START.format(started_at=local(count.started_at, facility)),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        _locked_open(count)
        locked = CountSheet.objects.select_for_update().select_related("unit").get(pk=sheet.pk)
        unit = locked.unit.name
        if locked.status == SheetStatus.DISCREPANT:
            raise Conflict(SHEET_DISCREPANT.format(unit=unit), code="sheet_discrepant")
        if locked.status not in (SheetStatus.PENDING, SheetStatus.RECOUNT):
            raise Conflict(
                SHEET_DONE.format(unit=unit, status=locked.get_status_display().lower()),
                code="sheet_done",
                extra={"status": locked.status},
            )
        should_be = unit_in_cell(facility, locked.unit_id, at=at)
        first = locked.status == SheetStatus.PENDING
        if first:
            locked.counted, locked.counted_by, locked.counted_at = counted, actor, when
            locked.status = SheetStatus.MATCHED if counted == should_be else SheetStatus.RECOUNT
            fields = ["counted", "counted_by", "counted_at", "status"]
        else:
            locked.recounted, locked.recounted_by, locked.recounted_at = counted, actor, when
            locked.status = SheetStatus.MATCHED if counted == should_be else SheetStatus.DISCREPANT
            fields = ["recounted", "recounted_by", "recounted_at", "status"]
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action="count.figure" if first else "count.recount", obj=count,
            facility=facility, object_label=f"{count} · {unit}",
            changes={
                "unit": locked.unit.code, "counted": counted, "should_be": should_be,
                "expected_at_start": locked.expected, "status": locked.status,
            },
        )  # fmt: skip
    locked.count = count
    return locked


def sheet_should_find(sheet: CountSheet) -> int:
    """What the sheet's unit should count now (its people in their cells)."""
    return unit_in_cell(sheet.count.facility, sheet.unit_id)


def count_sheet_reconcile(
    *, actor: User | None, sheet: CountSheet, explanation: str, at: dt.datetime | None = None
) -> CountSheet:
    """A supervisor explains a recount that still differs, so the count can clear."""
    count = sheet.count
    facility = count.facility
    require_perm(actor, Perm.COUNT_CLEAR, facility)
    errors: dict[str, list[str]] = {}
    explanation = explanation.strip()
    if not explanation:
        errors["explanation"] = [EXPLANATION_NEEDED]
    elif len(explanation) > 1000:
        errors["explanation"] = ["is too long: at most 1000 characters."]
    when = fact_time(
        at, errors, not_before=count.started_at,
        not_before_message=AT_BEFORE_START.format(started_at=local(count.started_at, facility)),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        _locked_open(count)
        locked = CountSheet.objects.select_for_update().select_related("unit").get(pk=sheet.pk)
        if locked.status != SheetStatus.DISCREPANT:
            raise Conflict(
                NOT_DISCREPANT.format(
                    unit=locked.unit.name, status=locked.get_status_display().lower()
                ),
                code="not_discrepant",
                extra={"status": locked.status},
            )
        locked.status = SheetStatus.RECONCILED
        locked.reconciliation = explanation
        locked.reconciled_by, locked.reconciled_at = actor, when
        locked.save(update_fields=["status", "reconciliation", "reconciled_by", "reconciled_at"])
        audit_record(
            actor=actor, action="count.reconcile", obj=count, facility=facility,
            object_label=f"{count} · {locked.unit.name}", reason=explanation,
            changes={
                "unit": locked.unit.code, "expected": locked.expected,
                "counted": locked.counted, "recounted": locked.recounted,
            },
        )  # fmt: skip
    locked.count = count
    return locked


def count_clear(
    *, actor: User | None, count: FormalCount, at: dt.datetime | None = None
) -> FormalCount:
    """Clear the count (movement resumes); refused while a sheet is not matched or reconciled."""
    facility = count.facility
    require_perm(actor, Perm.COUNT_CLEAR, facility)
    errors: dict[str, list[str]] = {}
    when = fact_time(
        at, errors, not_before=count.started_at,
        not_before_message=AT_BEFORE_START.format(started_at=local(count.started_at, facility)),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = FormalCount.objects.select_for_update().get(pk=count.pk)
        _transition_check(locked, CountStatus.CLEARED)
        sheets = list(
            CountSheet.objects.filter(count=locked)
            .select_related("unit")
            .order_by("unit__zone__code", "unit__code")
        )
        waiting = [sheet for sheet in sheets if sheet.status not in BALANCED]
        if waiting:
            names = [sheet.unit.name for sheet in waiting]
            raise Conflict(
                NOT_BALANCED.format(
                    units=", ".join(names), verb="is" if len(names) == 1 else "are"
                ),
                code="count_not_balanced",
                extra={
                    "units": [
                        {"unit": s.unit.code, "name": s.unit.name, "status": s.status}
                        for s in waiting
                    ]
                },
            )
        locked.status = CountStatus.CLEARED
        locked.cleared_at, locked.cleared_by = when, actor
        locked.save(update_fields=["status", "cleared_at", "cleared_by"])
        audit_record(
            actor=actor, action="count.clear", obj=locked, facility=facility,
            changes={
                "sheets": len(sheets),
                "reconciled": [s.unit.code for s in sheets if s.status == SheetStatus.RECONCILED],
                "minutes": int((when - locked.started_at).total_seconds() // 60),
            },
        )  # fmt: skip
    locked.facility = facility
    return locked


def count_cancel(
    *, actor: User | None, count: FormalCount, reason: str, at: dt.datetime | None = None
) -> FormalCount:
    """Abandon an open count with a reason (an emergency lockdown took over, say)."""
    facility = count.facility
    require_perm(actor, Perm.COUNT_CLEAR, facility)
    errors: dict[str, list[str]] = {}
    reason = reason.strip()
    if not reason:
        errors["reason"] = [REASON_NEEDED]
    elif len(reason) > 500:
        errors["reason"] = ["is too long: at most 500 characters."]
    when = fact_time(
        at, errors, not_before=count.started_at,
        not_before_message=AT_BEFORE_START.format(started_at=local(count.started_at, facility)),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = FormalCount.objects.select_for_update().get(pk=count.pk)
        _transition_check(locked, CountStatus.CANCELLED)
        locked.status = CountStatus.CANCELLED
        locked.cancelled_at, locked.cancel_reason = when, reason
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=actor, action="count.cancel", obj=locked, facility=facility, reason=reason,
            changes={"status": [CountStatus.OPEN, CountStatus.CANCELLED]},
        )  # fmt: skip
    locked.facility = facility
    return locked
