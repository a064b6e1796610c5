"""Who may read clinical text, the audit of every read, and break-glass.

Clinical text is for the staff who hold ``clinical.read`` at the person's
facility (the medical role).  Nobody else reads it, not even the commander,
except by **break-glass**: a commander without clinical access opens one
person's record, with a reason, for ``policy.break_glass_minutes``.  The
opening stays on the alert board (``compliance`` rule ``break_glass_access``)
until the medical lead, or another reviewer who is not the opener, reviews it.

Every answer that carries clinical text calls ``clinical_access`` first and
``clinical_read_audit`` with it: the audit trail says who read whose record,
which part, and (by break-glass) why, never what was read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import models, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record, audit_record_read
from cellblock.booking.models import Booking
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.facilities.models import Facility
from cellblock.medical.models import BreakGlass
from cellblock.medical.services.recording import local

# The roles whose holders read clinical text (the medical role, as core/roles.py says).
CLINICAL_ROLES = tuple(
    role.value for role, perms in ROLE_PERMS.items() if Perm.CLINICAL_READ in perms
)
REASON_MAX = 500

CLINICAL_ONLY = (
    "{user} may not read clinical records at {facility}: they are for medical staff only. "
    "In an emergency a commander may open one person's record by break-glass, with a reason."
)
CLINICAL_ACCESS_HELD = (
    "{user} already reads clinical records at {facility} as medical staff: break-glass is for "
    "a commander who does not."
)
BREAK_GLASS_DENIED = "Opening a medical record by break-glass at {facility} needs the commander."
BREAK_GLASS_OPEN = (
    "{user} already has {person}'s medical record open by break-glass until {until}; "
    "close it before opening it again."
)
REASON_REQUIRED = "is required: say what emergency needs the medical record."
REASON_TOO_LONG = f"must be at most {REASON_MAX} characters."
NOT_OPENER = "Only {opener}, who opened it, may close this break-glass access."
ALREADY_ENDED = "This break-glass access ended at {when}: there is nothing to close."
REVIEW_DENIED = "Reviewing break-glass access at {facility} needs the medical lead or the auditor."
OWN_ACCESS = "{user} opened this break-glass access and may not review it: someone else must."
ALREADY_REVIEWED = "This break-glass access was reviewed by {who} at {when}."
NOTE_REQUIRED = "is required: say whether the access was justified."
LEAD_NOT_MEDICAL = "{user} does not read clinical records at {facility}: the medical lead must."
LEAD_DENIED = "Naming the medical lead of {facility} needs the administrator or commander."


def reads_clinical(user: User, facility_id: int) -> bool:
    """Does ``user`` hold ``clinical.read`` at the facility (the medical role)?"""
    return Perm.CLINICAL_READ in user.perms_at(facility_id)


def break_glass_in_force(user: User, booking: Booking, at: dt.datetime) -> BreakGlass | None:
    """The break-glass of ``user`` for ``booking`` open at ``at``, if any."""
    return (
        BreakGlass.objects.filter(
            opened_by=user, booking=booking, closed_at__isnull=True, opened_at__lte=at,
            expires_at__gt=at,
        )
        .order_by("-opened_at")
        .first()
    )  # fmt: skip


def clinical_access(*, user: User, booking: Booking) -> BreakGlass | None:
    """None for medical staff of the booking's facility; the open break-glass of anyone else.

    Everyone else is refused (403 ``clinical_only``).  A break-glass counts
    only while it is open and unexpired and its opener still holds the
    break-glass permission there.
    """
    facility = booking.facility
    if reads_clinical(user, facility.pk):
        return None
    if Perm.BREAK_GLASS in user.perms_at(facility.pk):
        access = break_glass_in_force(user, booking, clock.now())
        if access is not None:
            return access
    raise PermissionDenied(
        CLINICAL_ONLY.format(user=user, facility=facility.name), code="clinical_only"
    )


def clinical_access_or_none(*, user: User, booking: Booking) -> tuple[bool, BreakGlass | None]:
    """``clinical_access`` for an answer or a page that shows custody's part to anyone else:
    (may read, by which break-glass) instead of a 403."""
    try:
        return True, clinical_access(user=user, booking=booking)
    except PermissionDenied:
        return False, None


def clinical_read_audit(
    *,
    user: User,
    booking: Booking,
    section: str,
    access: BreakGlass | None,
    obj: models.Model | None = None,
) -> None:
    """Record that ``user`` read ``section`` of ``booking``'s medical record (never its text).

    ``obj`` is the record read (an encounter, say); the booking when it is the whole record.
    """
    audit_record_read(
        actor=user, obj=obj if obj is not None else booking, facility=booking.facility,
        what=section,
        reason=f"break-glass: {access.reason}" if access is not None else "",
        label=f"medical {section} of {booking.booking_number}",
    )  # fmt: skip


def clinical_list_read_audit(
    *, user: User, facility: Facility, section: str, bookings: Sequence[Booking]
) -> None:
    """One audited read for a list that shows clinical text of several people (the queue).

    The event names whose text was shown (booking numbers), never the text.
    """
    if not bookings:
        return
    numbers = sorted({booking.booking_number for booking in bookings})
    with transaction.atomic():
        audit_record(
            actor=user, action="medical.read", obj=facility, facility=facility,
            object_label=f"medical {section} of {facility.code}",
            changes={"section": section, "bookings": numbers},
        )  # fmt: skip


# --- Break-glass ------------------------------------------------------------------------------


def break_glass_open(*, actor: User, booking: Booking, reason: str) -> BreakGlass:
    """A commander without clinical access opens ``booking``'s record for the policy minutes."""
    facility = booking.facility
    if reads_clinical(actor, facility.pk):
        # Medical staff read the record anyway: an opening would only blur the audit trail.
        raise Conflict(
            CLINICAL_ACCESS_HELD.format(user=actor, facility=facility.name),
            code="clinical_access_held",
        )
    if Perm.BREAK_GLASS not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            BREAK_GLASS_DENIED.format(facility=facility.name), code="missing_role"
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.for_fields({"reason": [REASON_REQUIRED]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed.for_fields({"reason": [REASON_TOO_LONG]})
    minutes = policy_of(facility).break_glass_minutes
    with transaction.atomic():
        # One opening at a time per commander and person: the booking row serialises them.
        Booking.objects.select_for_update().filter(pk=booking.pk).first()
        now = clock.now()
        current = break_glass_in_force(actor, booking, now)
        if current is not None:
            raise Conflict(
                BREAK_GLASS_OPEN.format(
                    user=actor, person=booking.person.full_name,
                    until=local(current.expires_at, facility),
                ),
                code="break_glass_open",
                extra={"id": str(current.public_id), "expires_at": current.expires_at.isoformat()},
            )  # fmt: skip
        access = BreakGlass.objects.create(
            facility=facility, booking=booking, opened_by=actor, reason=reason, opened_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )  # fmt: skip
        # The reason is the commander's, not clinical: the auditor and the reviewer need it.
        audit_record(
            actor=actor, action="breakglass.open", obj=access, facility=facility, reason=reason,
            changes={"booking": booking.booking_number, "minutes": minutes,
                     "expires_at": access.expires_at},
        )  # fmt: skip
    return access


def break_glass_close(*, actor: User, access: BreakGlass) -> BreakGlass:
    """The opener closes the access before it expires."""
    facility = access.facility
    if access.opened_by_id != actor.pk:
        raise PermissionDenied(NOT_OPENER.format(opener=access.opened_by), code="not_opener")
    with transaction.atomic():
        locked = BreakGlass.objects.select_for_update().get(pk=access.pk)
        now = clock.now()
        ended = locked.closed_at or (locked.expires_at if locked.expires_at <= now else None)
        if ended is not None:
            raise Conflict(
                ALREADY_ENDED.format(when=local(ended, facility)), code="break_glass_ended"
            )
        locked.closed_at = now
        locked.save(update_fields=["closed_at"])
        audit_record(
            actor=actor, action="breakglass.close", obj=locked, facility=facility,
            changes={"booking": access.booking.booking_number, "closed_at": now},
        )  # fmt: skip
    access.closed_at = locked.closed_at
    return access


def break_glass_review(*, actor: User, access: BreakGlass, note: str) -> BreakGlass:
    """The medical lead (or the auditor) says whether the opening was justified; once."""
    facility = access.facility
    if Perm.BREAK_GLASS_REVIEW not in actor.perms_at(facility.pk):
        raise PermissionDenied(REVIEW_DENIED.format(facility=facility.name), code="missing_role")
    if access.opened_by_id == actor.pk:
        raise PermissionDenied(OWN_ACCESS.format(user=actor), code="own_access")
    note = note.strip()
    if not note:
        raise ValidationFailed.for_fields({"note": [NOTE_REQUIRED]})
    if len(note) > REASON_MAX:
        raise ValidationFailed.for_fields({"note": [REASON_TOO_LONG]})
    with transaction.atomic():
        # Only the row itself is locked: PostgreSQL refuses FOR UPDATE on an outer join.
        locked = (
            BreakGlass.objects.select_for_update(of=("self",))
            .select_related("reviewed_by")
            .get(pk=access.pk)
        )
        if locked.reviewed_at is not None:
            raise Conflict(
                ALREADY_REVIEWED.format(
                    who=locked.reviewed_by, when=local(locked.reviewed_at, facility)
                ),
                code="already_reviewed",
            )
        locked.reviewed_at = clock.now()
        locked.reviewed_by = actor
        locked.review_note = note
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(
            actor=actor, action="breakglass.review", obj=locked, facility=facility, reason=note,
            changes={"booking": access.booking.booking_number,
                     "opened_by": access.opened_by.get_username()},
        )  # fmt: skip
    access.reviewed_at, access.reviewed_by = locked.reviewed_at, actor
    access.review_note = note
    return access


# --- The medical lead -------------------------------------------------------------------------


def medical_lead_set(*, actor: User | None, facility: Facility, lead: User | None) -> Facility:
    """Name the medic told of break-glass openings (None: every medic of the facility)."""
    if actor is not None and Perm.FACILITY_CONFIGURE not in actor.perms_at(facility.pk):
        raise PermissionDenied(LEAD_DENIED.format(facility=facility.name), code="missing_role")
    if lead is not None and not reads_clinical(lead, facility.pk):
        raise ValidationFailed.for_fields(
            {"lead": [LEAD_NOT_MEDICAL.format(user=lead, facility=facility.name)]}
        )
    with transaction.atomic():
        locked = (
            Facility.objects.select_for_update(of=("self",))
            .select_related("medical_lead")
            .get(pk=facility.pk)
        )
        before = locked.medical_lead.get_username() if locked.medical_lead else None
        locked.medical_lead = lead
        locked.save(update_fields=["medical_lead"])
        audit_record(
            actor=actor, action="facility.medical_lead_set", obj=locked, facility=locked,
            changes={"medical_lead": [before, lead.get_username() if lead else None]},
        )  # fmt: skip
    facility.medical_lead = lead
    return facility


def medical_leads(facility: Facility) -> list[User]:
    """The named medical lead, or every medic of the facility when none is named: one query.

    A named lead who no longer holds the medical role there (or whose account
    is off) is passed over, so that an opening always reaches someone.
    """
    medics = list(
        User.objects.filter(
            is_active=True, memberships__facility=facility, memberships__active=True,
            memberships__role__in=CLINICAL_ROLES,
        )
        .distinct()
        .order_by("full_name", "username")
    )  # fmt: skip
    named = [medic for medic in medics if medic.pk == facility.medical_lead_id]
    return named or medics
