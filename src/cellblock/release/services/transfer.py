"""A transfer to another facility of the agency: the booking here closes, one opens there.

The person arrives at the receiving facility with their records, not as a
stranger: the receiving booking is opened by the system (the sender holds no
role there) with the same legal status, details and charges, and its intake
checklist starts so the receiver screens, classifies and houses them.  What
keeps them safe and lawfully held carries over at once: flags and care alerts
in force, the custody level, open holds and warrants, the link between each
court count and its booking charge, and the release date, recomputed from
the sentences of their cases (cases and sentences belong to the person).
"""

from __future__ import annotations

from django.db.models import QuerySet

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking, BookingSource, BookingStatus, Charge, ReleaseType
from cellblock.booking.services import (
    DETAIL_FIELDS,
    BookingDetails,
    ChargeData,
    booking_open,
    booking_transition,
)
from cellblock.classification.carry_over import flags_carry_over
from cellblock.court.models import CaseCharge, Hearing, HearingStatus, Hold
from cellblock.court.services.release_dates import release_date_recompute
from cellblock.medical.services.carry_over import care_alerts_carry_over
from cellblock.release.models import Release

TRANSFER_OUT = "Transfer to {facility}."
TRANSFER_IN = "Transfer from {booking} ({facility}) by {user}."
RECOMPUTE_DETAIL = "Transfer from {booking} ({facility})"


def _charges(booking: Booking) -> QuerySet[Charge]:
    # Opening order: the receiving booking's charges are created in this order too.
    return Charge.objects.filter(booking=booking).order_by("id")


def _charge_data(charge: Charge) -> ChargeData:
    return ChargeData(
        statute=charge.statute, description=charge.description, severity=charge.severity,
        charge_class=charge.charge_class, counts=charge.counts, case_number=charge.case_number,
    )  # fmt: skip


def transfer_complete(*, actor: User, release: Release, emergency_reason: str = "") -> Booking:
    """Close the booking of ``release`` as a transfer and open the receiving one; its booking.

    Runs inside ``release_complete``'s transaction, which holds the release's lock.
    """
    booking = release.booking
    facility = booking.facility
    destination = release.to_facility
    assert destination is not None  # noqa: S101 (a database constraint says so)
    sent = list(_charges(booking))
    details = BookingDetails(**{name: getattr(booking, name) for name in DETAIL_FIELDS})
    closed = booking_transition(
        actor=actor, booking=booking, to=BookingStatus.RELEASED, release_type=ReleaseType.TRANSFER,
        reason=TRANSFER_OUT.format(facility=destination.name), emergency_reason=emergency_reason,
    )  # fmt: skip
    received = booking_open(
        actor=None, facility=destination, person=booking.person, source=BookingSource.TRANSFER_IN,
        legal_status=closed.legal_status, details=details,
        charges=[_charge_data(charge) for charge in sent],
    )  # fmt: skip
    received.custody_level = closed.custody_level
    received.save(update_fields=["custody_level"])
    audit_record(
        actor=actor, action="booking.transfer_in", obj=received, facility=destination,
        reason=TRANSFER_IN.format(
            booking=booking.booking_number, facility=facility.name, user=actor.get_username()
        ),
        changes={"from_booking": booking.booking_number, "from_facility": facility.code,
                 "release": str(release.public_id), "legal_status": received.legal_status,
                 "custody_level": received.custody_level or None},
    )  # fmt: skip
    flags_carry_over(actor=actor, source=booking, target=received)
    care_alerts_carry_over(actor=actor, source=booking, target=received)
    _holds_follow(actor=actor, source=booking, target=received)
    _hearings_follow(actor=actor, source=booking, target=received)
    _counts_follow(actor=actor, sent=sent, target=received)
    release_date_recompute(
        actor=actor, booking=received, cause="transfer",
        cause_detail=RECOMPUTE_DETAIL.format(
            booking=booking.booking_number, facility=facility.code
        ),
    )  # fmt: skip
    return received


def _holds_follow(*, actor: User, source: Booking, target: Booking) -> None:
    """Open holds and warrants go with the person: they bind the receiver as they bound us."""
    for hold in Hold.objects.select_for_update().filter(booking=source, lifted_at__isnull=True):
        hold.booking = target
        hold.save(update_fields=["booking"])
        audit_record(
            actor=actor, action="hold.transfer", obj=hold, facility=target.facility,
            changes={"booking": [source.booking_number, target.booking_number],
                     "kind": hold.kind, "reference": hold.reference},
        )  # fmt: skip


def _hearings_follow(*, actor: User, source: Booking, target: Booking) -> None:
    """Hearings still to come produce the person from the receiving facility now.

    The missed-production alert reads the hearing's booking: left on the closed
    booking here, a hearing nobody produced them for would alert nowhere.
    """
    for hearing in Hearing.objects.select_for_update(of=("self",)).filter(
        booking=source, status=HearingStatus.SCHEDULED, production__isnull=True
    ):
        hearing.booking = target
        hearing.save(update_fields=["booking"])
        audit_record(
            actor=actor, action="hearing.transfer", obj=hearing, facility=target.facility,
            changes={"booking": [source.booking_number, target.booking_number],
                     "scheduled_at": hearing.scheduled_at},
        )  # fmt: skip


def _counts_follow(*, actor: User, sent: list[Charge], target: Booking) -> None:
    """Each court count linked to a charge here is linked to its copy at the receiver."""
    copies = dict(zip((charge.pk for charge in sent), _charges(target), strict=True))
    counts = CaseCharge.objects.select_for_update(of=("self",)).filter(
        booking_charge_id__in=list(copies)
    )
    for count in counts.select_related("case"):
        previous = count.booking_charge_id
        count.booking_charge = copies[previous] if previous is not None else None
        count.save(update_fields=["booking_charge"])
        audit_record(
            actor=actor, action="case_charge.relink", obj=count, facility=target.facility,
            object_label=f"{count.case.docket_number} count {count.count_number}",
            changes={"booking": target.booking_number,
                     "booking_charge": str(count.booking_charge.public_id)
                     if count.booking_charge else None},
        )  # fmt: skip
