"""What the release services share: who may, which release, and the step record."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.release.models import Release, ReleaseStatus, ReleaseStep, ReleaseStepCode
from cellblock.release.services.checklist import step_label, steps_of

MISSING_ROLE = "{what} at {facility} needs the {perm} permission, which your roles there lack."
NOT_PREPARING = "This release is {status}: {what} only while it is being prepared."
BOOKING_CLOSED = "Booking {booking} is {status}: there is nobody left to release."
STEP_DONE = "{label} was already recorded ({when} by {who})."
STEP_NOT_NEEDED = "A release of this kind ({kind}) has no step \u201c{label}\u201d."
TOO_LONG = "is too long: at most {limit} characters."


def require(actor: User | None, perm: Perm, facility: Facility, what: str) -> None:
    """403 ``missing_role`` unless ``actor`` (None: the system) holds ``perm`` at ``facility``."""
    if actor is not None and perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            MISSING_ROLE.format(what=what, facility=facility.name, perm=perm.value),
            code="missing_role",
        )


def text(value: str, limit: int, field: str, errors: dict[str, list[str]]) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed.for_fields(errors)


def _locked(releases: QuerySet[Release], pk: int) -> Release:
    # Only the release's row: its booking is locked by the service that changes it.
    return releases.select_for_update(of=("self",)).get(pk=pk)


def lock_release(release: Release) -> Release:
    """The release row locked (two clerks on one release queue up), with its booking."""
    return _locked(
        Release.objects.select_related("booking__facility__agency", "booking__person"),
        release.pk,
    )


def require_preparing(release: Release, what: str) -> None:
    if release.status != ReleaseStatus.PREPARING:
        raise Conflict(
            NOT_PREPARING.format(status=release.get_status_display().lower(), what=what),
            code="release_not_preparing",
            extra={"status": release.status},
        )
    booking = release.booking
    if booking.status not in OPEN_STATUSES:
        raise Conflict(
            BOOKING_CLOSED.format(
                booking=booking.booking_number, status=booking.get_status_display().lower()
            ),
            code="booking_closed",
        )


def require_step_open(release: Release, code: str) -> None:
    """The step belongs to this kind of release and nobody has recorded it yet."""
    label = step_label(code, release.kind)
    if code not in steps_of(release):
        raise Conflict(
            STEP_NOT_NEEDED.format(kind=release.get_kind_display().lower(), label=label),
            code="release_step_not_needed",
        )
    done = (
        ReleaseStep.objects.filter(release=release, step=code, completed_at__isnull=False)
        .select_related("completed_by")
        .first()
    )
    if done is not None and done.completed_at is not None:
        who = done.completed_by.get_username() if done.completed_by else "the system"
        when = f"{clock.local(done.completed_at, release.booking.facility.timezone):%Y-%m-%d %H:%M}"
        raise Conflict(STEP_DONE.format(label=label, when=when, who=who), code="release_step_done")


def step_record(
    *,
    actor: User | None,
    release: Release,
    code: str,
    note: str,
    amount: Decimal | None = None,
    changes: dict[str, object] | None = None,
) -> ReleaseStep:
    """Write a step as done now by ``actor``, with the ``release.step`` audit event."""
    step, _ = ReleaseStep.objects.update_or_create(
        release=release, step=code,
        defaults={"completed_at": clock.now(), "completed_by": actor, "note": note[:500],
                  "amount": amount},
    )  # fmt: skip
    booking = release.booking
    audit_record(
        actor=actor, action="release.step", obj=release, facility=booking.facility,
        object_label=f"{booking.booking_number}: {ReleaseStepCode(code).label}",
        changes={"booking": booking.booking_number, "step": code, "note": note or None,
                 **(changes or {})},
    )  # fmt: skip
    return step
