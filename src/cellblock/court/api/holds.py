"""Court API: holds on a booking, and the court side of a booking at a glance.

Holds are placed by court staff or the booking desk (``court.record`` or
``booking.create`` at the booking's facility) and lifted by court staff.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from cellblock.booking.models import LegalStatus
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.court import selectors as reads
from cellblock.court.api import router
from cellblock.court.api.cases import (
    CaseOut,
    HearingOut,
    SentenceOut,
    booking_seen,
    case_out,
    hearing_out,
    name_of,
    sentence_out,
)
from cellblock.court.models import HearingStatus, Hold, HoldKind
from cellblock.court.services import holds as services


class HoldIn(Schema):
    kind: HoldKind
    issued_by: str = Field(max_length=200, description="The court or agency that issued it")
    reference: str = Field(max_length=100, description="Warrant, detainer or order number")
    reason: str = Field(default="", max_length=500)


class LiftIn(Schema):
    reason: str = Field(max_length=500)


class HoldOut(Schema):
    id: uuid.UUID
    booking_number: str
    kind: HoldKind
    issued_by: str
    reference: str
    reason: str
    open: bool
    placed_at: dt.datetime
    placed_by: str | None
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str


def hold_out(hold: Hold) -> HoldOut:
    return HoldOut(
        id=hold.public_id, booking_number=hold.booking.booking_number, kind=HoldKind(hold.kind),
        issued_by=hold.issued_by, reference=hold.reference, reason=hold.reason,
        open=hold.lifted_at is None, placed_at=hold.placed_at, placed_by=name_of(hold.placed_by),
        lifted_at=hold.lifted_at, lifted_by=name_of(hold.lifted_by), lift_reason=hold.lift_reason,
    )  # fmt: skip


class CourtRecordOut(Schema):
    booking_number: str
    legal_status: LegalStatus
    cases: list[CaseOut]
    active_sentences: list[SentenceOut]
    upcoming_hearings: list[HearingOut]
    holds: list[HoldOut]


@router.post(
    "/bookings/{booking_number}/holds", response={201: HoldOut},
    auth=api_requires(Perm.COURT_VIEW),
)  # fmt: skip
def place_hold(request: HttpRequest, booking_number: str, payload: HoldIn) -> Status[HoldOut]:
    """Place a warrant, detainer or court order (court staff or the booking desk; else 403)."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    hold = services.hold_place(
        actor=user, booking=booking, kind=payload.kind, issued_by=payload.issued_by,
        reference=payload.reference, reason=payload.reason,
    )  # fmt: skip
    return Status(201, hold_out(reads.hold_get_for_user(user, hold.public_id)))


@router.get(
    "/bookings/{booking_number}/holds", response=list[HoldOut], auth=api_requires(Perm.COURT_VIEW)
)
def list_holds(request: HttpRequest, booking_number: str) -> list[HoldOut]:
    """Every hold of the booking: open ones first."""
    booking = booking_seen(acting_user(request), booking_number)
    holds = reads.holds_of(booking)
    for hold in holds:
        hold.booking = booking
    return [hold_out(hold) for hold in holds]


@router.post("/holds/{uuid:hold_id}/lift", response=HoldOut, auth=api_requires(Perm.COURT_RECORD))
def lift_hold(request: HttpRequest, hold_id: uuid.UUID, payload: LiftIn) -> HoldOut:
    """Lift a hold with the reason (the warrant recalled, the detainer withdrawn)."""
    user = acting_user(request)
    hold = reads.hold_get_for_user(user, hold_id)
    services.hold_lift(actor=user, hold=hold, reason=payload.reason)
    return hold_out(reads.hold_get_for_user(user, hold_id))


@router.get(
    "/bookings/{booking_number}/court", response=CourtRecordOut,
    auth=api_requires(Perm.COURT_VIEW),
)  # fmt: skip
def booking_court_record(request: HttpRequest, booking_number: str) -> CourtRecordOut:
    """The person's cases, the sentences being served, coming hearings, holds, legal status."""
    booking = booking_seen(acting_user(request), booking_number)
    record = reads.court_record_of(booking)
    now = clock.now()
    for hold in record.holds:
        hold.booking = booking
    by_pk = {case.pk: case for case in record.cases}
    return CourtRecordOut(
        booking_number=booking.booking_number,
        legal_status=LegalStatus(booking.legal_status),
        cases=[case_out(case) for case in record.cases],
        active_sentences=[sentence_out(s, by_pk[s.case_id]) for s in record.active_sentences],
        upcoming_hearings=[
            hearing_out(h, by_pk[h.case_id])
            for h in sorted(
                (h for case in record.cases for h in case.hearings.all()),
                key=lambda h: (h.scheduled_at, h.pk),
            )
            if h.status == HearingStatus.SCHEDULED and h.scheduled_at >= now
        ],
        holds=[hold_out(hold) for hold in record.holds],
    )
