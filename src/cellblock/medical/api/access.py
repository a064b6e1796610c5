"""Medical API: break-glass and the medical lead.

A commander without clinical access opens one person's record with a reason
(``POST /break-glass``) for the policy's minutes; then ``GET
/bookings/{number}/record`` and the encounters answer the clinical text to
her, each read audited with the reason.  Medical staff get 409
``clinical_access_held`` (they read it anyway).  The reviewers (medical
staff, the auditor, the commander) list the openings and review each once;
the opener never reviews her own.  The administrator or commander names the
medical lead, who is told of openings on the alert board.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Router, Status

from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.api.movements import staff_named
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.medical.api.schemas import (
    BreakGlassIn,
    BreakGlassOut,
    MedicalLeadIn,
    MedicalLeadOut,
    ReviewIn,
    booking_in_body,
    break_glass_out,
    facility_chosen,
)
from cellblock.medical.selectors.record import break_glass_get_for_user, break_glass_list
from cellblock.medical.services.access import (
    break_glass_close,
    break_glass_open,
    break_glass_review,
    medical_lead_set,
    medical_leads,
)

router = Router()


@router.post("/break-glass", response={201: BreakGlassOut}, auth=api_requires(Perm.BREAK_GLASS))
def open_break_glass(request: HttpRequest, payload: BreakGlassIn) -> Status[BreakGlassOut]:
    """Open one person's medical record in an emergency, with a reason, for the policy minutes."""
    user = acting_user(request)
    booking = booking_in_body(user, payload.booking, "booking")
    access = break_glass_open(actor=user, booking=booking, reason=payload.reason)
    found = break_glass_get_for_user(user, access.public_id)
    return Status(201, break_glass_out(found, clock.now()))


@router.get(
    "/break-glass", response=list[BreakGlassOut], auth=api_requires(Perm.BREAK_GLASS_REVIEW)
)
def list_break_glass(
    request: HttpRequest, facility: uuid.UUID | None = None, unreviewed: bool = False
) -> list[BreakGlassOut]:
    """The review list, newest first; ``unreviewed``: only those waiting for a review."""
    chosen = facility_chosen(acting_user(request), facility, Perm.BREAK_GLASS_REVIEW)
    now = clock.now()
    return [break_glass_out(a, now) for a in break_glass_list(chosen, unreviewed_only=unreviewed)]


@router.post(
    "/break-glass/{uuid:break_glass_id}/close", response=BreakGlassOut,
    auth=api_requires(Perm.BREAK_GLASS),
)  # fmt: skip
def close_break_glass(request: HttpRequest, break_glass_id: uuid.UUID) -> BreakGlassOut:
    """The opener closes it before it expires."""
    user = acting_user(request)
    access = break_glass_close(actor=user, access=break_glass_get_for_user(user, break_glass_id))
    return break_glass_out(access, clock.now())


@router.post(
    "/break-glass/{uuid:break_glass_id}/review", response=BreakGlassOut,
    auth=api_requires(Perm.BREAK_GLASS_REVIEW),
)  # fmt: skip
def review_break_glass(
    request: HttpRequest, break_glass_id: uuid.UUID, payload: ReviewIn
) -> BreakGlassOut:
    """Say whether the opening was justified: once, by someone other than the opener."""
    user = acting_user(request)
    access = break_glass_review(
        actor=user, access=break_glass_get_for_user(user, break_glass_id), note=payload.note
    )
    return break_glass_out(access, clock.now())


@router.put(
    "/facilities/{uuid:facility_id}/medical-lead", response=MedicalLeadOut,
    auth=api_requires(Perm.FACILITY_CONFIGURE),
)  # fmt: skip
def set_medical_lead(
    request: HttpRequest, facility_id: uuid.UUID, payload: MedicalLeadIn
) -> MedicalLeadOut:
    """Name the medic told of break-glass openings; null: every medic of the facility."""
    user = acting_user(request)
    facility = facility_get_for_user(user, facility_id, perm=Perm.FACILITY_CONFIGURE)
    lead = staff_named(facility, payload.username, "username") if payload.username else None
    try:
        medical_lead_set(actor=user, facility=facility, lead=lead)
    except ValidationFailed as refused:
        # The service names its argument; the client sent a username.
        fields = refused.extra.get("fields", {})
        raise ValidationFailed.for_fields(
            {"username" if name == "lead" else name: msgs for name, msgs in fields.items()}
        ) from None
    return MedicalLeadOut(
        facility=facility.public_id,
        medical_lead=lead.get_username() if lead is not None else None,
        told=[medic.get_username() for medic in medical_leads(facility)],
    )
