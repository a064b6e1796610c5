"""The checklist steps someone records: property, money, the medical discharge note, visits.

Each step is done once, while the release is being prepared, and only on a
release of a kind that needs it (``checklist.REQUIRED_STEPS``).  The steps
record what was done, never clinical text: the discharge note itself lives in
the medical record, and the step only says that it was written, by whom, when.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet, Sum

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking, PropertyItem, PropertyKind
from cellblock.core import clock
from cellblock.core.errors import Conflict
from cellblock.core.roles import Perm
from cellblock.medical.services.discharge import discharge_note_record
from cellblock.release.models import Release, ReleaseKind, ReleaseStep, ReleaseStepCode
from cellblock.release.services.checklist import local_today
from cellblock.release.services.common import (
    fail,
    lock_release,
    require,
    require_preparing,
    require_step_open,
    step_record,
)
from cellblock.release.services.common import text as clean_text
from cellblock.visits.models import VISIT_TRANSITIONS, Visit, VisitStatus
from cellblock.visits.services.registry import _cancel_visits

NOT_SIGNED = "the person must sign for their property before it counts as returned."
NOT_SIGNED_TRANSFER = "the escort taking the person over must sign for the property."
PROPERTY_NOTE = "{count} item{s} returned, signed for by the person"
PROPERTY_NOTE_TRANSFER = "{count} item{s} handed over with the person, signed for by the escort"
NOT_AN_AMOUNT = "must be an amount such as 12.50."
AMOUNT_RANGE = "must be between 0 and 9,999,999,999.99."
AMOUNT_DIFFERS = (
    "the amount differs from the {cash} counted at intake: say why (spent, seized, paid out)."
)
MONEY_NOTE = "{amount} handed over"
DISCHARGE_NOTE = "Discharge note by {user}"
DISCHARGE_NOTE_TRANSFER = "Transfer summary by {user}"
VISITS_REASON = "Release on {day}"
VISITS_NOTE = "{count} visit{s} cancelled"
VISIT_UNDER_WAY = (
    "A visit is under way (since {since}): end it before the visits are cancelled for the release."
)

# Visits that can still be called off (``visits.models.VISIT_TRANSITIONS`` says which).
CANCELLABLE = frozenset(
    status for status, after in VISIT_TRANSITIONS.items() if VisitStatus.CANCELLED in after
)
AMOUNT_LIMIT = Decimal("10000000000")


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


# --- Property ------------------------------------------------------------------------------


def _return_items(*, actor: User | None, booking: Booking, note: str) -> int:
    """Hand back every item still held for ``booking``, each audited as booking does it.

    Not ``booking.services.property_return_all``: that asks for ``booking.release``,
    and the officers and clerks who work the checklist hold ``release.process``.
    """
    held = list(
        PropertyItem.objects.select_for_update().filter(booking=booking, returned_at__isnull=True)
    )
    now = clock.now()
    for item in held:
        item.returned_at, item.returned_by, item.return_note = now, actor, note[:300]
        item.save(update_fields=["returned_at", "returned_by", "return_note"])
        audit_record(
            actor=actor, action="property.return", obj=item, facility=booking.facility,
            changes={"booking": booking.booking_number, "note": note or None},
        )  # fmt: skip
    return len(held)


def release_property_return(
    *, actor: User | None, release: Release, signed: bool, note: str = ""
) -> ReleaseStep:
    """Return everything still held, signed for by the person (or, on a transfer, the escort)."""
    facility = release.booking.facility
    require(actor, Perm.RELEASE_PROCESS, facility, "Returning property")
    transfer = release.kind == ReleaseKind.TRANSFER
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 300, "note", errors)
    if not signed:
        errors["signed"] = [NOT_SIGNED_TRANSFER if transfer else NOT_SIGNED]
    fail(errors)
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "property is returned")
        require_step_open(locked, ReleaseStepCode.PROPERTY_RETURNED)
        count = _return_items(actor=actor, booking=locked.booking, note=note)
        summary = (PROPERTY_NOTE_TRANSFER if transfer else PROPERTY_NOTE).format(
            count=count, s=_plural(count)
        )
        return step_record(
            actor=actor, release=locked, code=ReleaseStepCode.PROPERTY_RETURNED,
            note=f"{summary}: {note}" if note else summary,
            changes={"items_returned": count, "signed": True},
        )  # fmt: skip


# --- Money ---------------------------------------------------------------------------------


def _amount(value: Decimal | str | int, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        errors["amount"] = [NOT_AN_AMOUNT]
        return Decimal(0)
    if not amount.is_finite() or not Decimal(0) <= amount < AMOUNT_LIMIT:
        errors["amount"] = [AMOUNT_RANGE]
    return amount


def cash_on_record(booking: Booking) -> Decimal:
    """The cash counted in front of the person at intake."""
    total = PropertyItem.objects.filter(booking=booking, kind=PropertyKind.TAKEN).aggregate(
        total=Sum("cash_amount")
    )["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def release_money_return(
    *, actor: User | None, release: Release, amount: Decimal | str | int, note: str = ""
) -> ReleaseStep:
    """Hand over the person's money; an amount other than the cash on record needs a reason."""
    facility = release.booking.facility
    require(actor, Perm.RELEASE_PROCESS, facility, "Returning money")
    errors: dict[str, list[str]] = {}
    handed = _amount(amount, errors)
    note = clean_text(note, 400, "note", errors)
    fail(errors)
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "money is returned")
        require_step_open(locked, ReleaseStepCode.MONEY_RETURNED)
        cash = cash_on_record(locked.booking)
        if handed != cash and not note:
            fail({"note": [AMOUNT_DIFFERS.format(cash=cash)]})
        summary = MONEY_NOTE.format(amount=handed)
        return step_record(
            actor=actor, release=locked, code=ReleaseStepCode.MONEY_RETURNED,
            note=f"{summary}: {note}" if note else summary, amount=handed,
            changes={"amount": handed, "cash_on_record": cash},
        )  # fmt: skip


# --- Medical discharge ---------------------------------------------------------------------


def release_medical_discharge(
    *, actor: User, release: Release, text: str, medication: str = "", follow_up: str = ""
) -> ReleaseStep:
    """Medical writes the discharge note (clinical); the step records only that it exists."""
    facility = release.booking.facility
    require(actor, Perm.CLINICAL_RECORD, facility, "Writing a medical discharge note")
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "the discharge note is written")
        require_step_open(locked, ReleaseStepCode.MEDICAL_DISCHARGE)
        note = discharge_note_record(
            actor=actor, booking=locked.booking, text=text, medication=medication,
            follow_up=follow_up,
        )  # fmt: skip
        summary = DISCHARGE_NOTE_TRANSFER if locked.kind == ReleaseKind.TRANSFER else DISCHARGE_NOTE
        return step_record(
            actor=actor, release=locked, code=ReleaseStepCode.MEDICAL_DISCHARGE,
            note=summary.format(user=actor.get_username()),
            changes={"discharge_note": str(note.public_id)},
        )  # fmt: skip


# --- Visits --------------------------------------------------------------------------------


def visits_to_cancel(release: Release) -> QuerySet[Visit]:
    """The person's visits still to come (a temporary absence: only those before the return)."""
    visits = Visit.objects.filter(
        booking_id=release.booking_id, status__in=CANCELLABLE, ends_at__gt=clock.now()
    )
    if release.is_temporary and release.expected_return_at is not None:
        visits = visits.filter(starts_at__lt=release.expected_return_at)
    return visits


def visits_cancel(*, actor: User, release: Release, refuse_running: bool = True) -> list[Visit]:
    """Cancel the visits of ``release`` (the caller holds its lock).

    Refused while a visit is under way, unless ``refuse_running`` is off (an
    escape or a death is recorded whatever was going on).
    """
    booking = release.booking
    facility = booking.facility
    running = Visit.objects.filter(booking=booking, status=VisitStatus.IN_PROGRESS).first()
    if refuse_running and running is not None and running.started_at is not None:
        raise Conflict(
            VISIT_UNDER_WAY.format(
                since=f"{clock.local(running.started_at, facility.timezone):%H:%M}"
            ),
            code="visit_in_progress",
            extra={"visit": str(running.public_id)},
        )
    return _cancel_visits(
        actor=actor, visits=visits_to_cancel(release), at=clock.now(),
        reason=VISITS_REASON.format(day=local_today(facility.timezone).isoformat()),
        facility=facility,
        cause={"because": "release", "release": str(release.public_id), "kind": release.kind},
    )  # fmt: skip


def release_visits_cancel(*, actor: User, release: Release) -> ReleaseStep:
    """Call off every visit still to come (for a temporary absence: those while away)."""
    require(actor, Perm.RELEASE_PROCESS, release.booking.facility, "Cancelling visits")
    with transaction.atomic():
        locked = lock_release(release)
        require_preparing(locked, "visits are cancelled")
        require_step_open(locked, ReleaseStepCode.VISITS_CANCELLED)
        cancelled = visits_cancel(actor=actor, release=locked)
        return step_record(
            actor=actor, release=locked, code=ReleaseStepCode.VISITS_CANCELLED,
            note=VISITS_NOTE.format(count=len(cancelled), s=_plural(len(cancelled))),
            changes={"visits_cancelled": [str(visit.public_id) for visit in cancelled]},
        )  # fmt: skip
