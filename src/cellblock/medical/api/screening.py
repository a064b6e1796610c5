"""Medical API: the receiving screening at intake, before a bed.

``POST /bookings/{number}/screenings`` records the answers (medical staff):
cleared completes the intake step ``medical_screening`` and sets the care
alerts the answers call for; not cleared is a referral that says where the
person was sent (400 ``referral`` otherwise), and no bed can be assigned.
``GET`` lists the screenings with their answers: clinical, audited.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.medical.api.schemas import (
    ScreeningIn,
    ScreeningOut,
    booking_seen,
    clinical_answer,
    screening_out,
)
from cellblock.medical.models import ReceivingScreening
from cellblock.medical.services.screening import screening_record

router = Router()


def _screenings(booking_pk: int) -> list[ReceivingScreening]:
    return list(
        ReceivingScreening.objects.filter(booking_id=booking_pk)
        .select_related("screened_by")
        .prefetch_related("care_alerts__set_by", "care_alerts__ended_by")
        .order_by("screened_at", "pk")
    )


@router.post(
    "/bookings/{booking_number}/screenings", response={201: ScreeningOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def record_screening(
    request: HttpRequest, booking_number: str, payload: ScreeningIn
) -> Status[ScreeningOut]:
    """Record a receiving screening; the answer echoes it (an audited read)."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    screening = screening_record(
        actor=user, booking=booking, answers=payload.answers, referral=payload.referral,
        notes=payload.notes,
    )  # fmt: skip
    clinical_answer(user, booking, "screening", screening)
    found = next(s for s in _screenings(booking.pk) if s.pk == screening.pk)
    return Status(201, screening_out(found, booking))


@router.get(
    "/bookings/{booking_number}/screenings", response=list[ScreeningOut],
    auth=api_requires(Perm.MEDICAL_VIEW),
)  # fmt: skip
def list_screenings(request: HttpRequest, booking_number: str) -> list[ScreeningOut]:
    """Every screening of the booking with its answers, oldest first (clinical, audited)."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    clinical_answer(user, booking, "screenings")
    return [screening_out(s, booking) for s in _screenings(booking.pk)]
