"""Reads of one person's medical record, and the ``<entity>_get_for_user`` getters.

The getters answer 404 for both a missing record and one of a booking the
user does not see (``booking.selectors.bookings_for_user``); they decide
nothing about clinical text, which ``services.access.clinical_access``
guards.  ``medical_record`` is the whole clinical record: it checks access
and audits the read itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Prefetch, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import bookings_for_user
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    BreakGlass,
    CareAlert,
    ClinicalNote,
    ConsentRecord,
    Encounter,
    Injury,
    ReceivingScreening,
    SickCall,
    VitalSigns,
)
from cellblock.medical.services.access import clinical_access, clinical_read_audit


@dataclass(frozen=True)
class MedicalRecord:
    """Everything clinical about one booking, oldest first within each part."""

    booking: Booking
    screenings: list[ReceivingScreening]
    # Each with ``notes``, ``vitals``, ``injuries`` and ``door_events`` prefetched.
    encounters: list[Encounter]
    notes: list[ClinicalNote]
    vitals: list[VitalSigns]
    injuries: list[Injury]
    consents: list[ConsentRecord]
    care_alerts: list[CareAlert]
    sick_calls: list[SickCall]
    # The break-glass it was opened by; None for medical staff.
    access: BreakGlass | None = None


# What an injury shows (the table, the API's ``InjuryOut``) besides its booking: read with it.
_INJURY_RELATED = ("booking", "recorded_by", "updated_by", "encounter", "updated_in")


def encounters_with_details(found: QuerySet[Encounter]) -> QuerySet[Encounter]:
    """Encounters with who, where, door events, notes, vitals and injuries: a fixed few queries."""
    return found.select_related(
        "booking__person", "booking__facility", "provider", "scheduled_by", "acknowledged_by",
        "cell", "conflict",
    ).prefetch_related(
        "door_events",
        Prefetch("notes", queryset=ClinicalNote.objects.select_related("author", "amends")),
        Prefetch("vitals", queryset=VitalSigns.objects.select_related("taken_by")),
        Prefetch("injuries", queryset=Injury.objects.select_related(*_INJURY_RELATED)),
    )  # fmt: skip


def medical_record(*, user: User, booking: Booking) -> MedicalRecord:
    """The whole record of ``booking``: medical staff or an open break-glass; one audited read."""
    access = clinical_access(user=user, booking=booking)
    record = MedicalRecord(
        booking=booking,
        screenings=list(
            ReceivingScreening.objects.filter(booking=booking)
            .select_related("screened_by")
            .order_by("screened_at", "pk")
        ),
        encounters=list(encounters_with_details(Encounter.objects.filter(booking=booking))),
        notes=list(
            ClinicalNote.objects.filter(booking=booking).select_related(
                "author", "amends", "encounter"
            )
        ),
        vitals=list(
            VitalSigns.objects.filter(booking=booking).select_related("taken_by", "encounter")
        ),
        injuries=list(Injury.objects.filter(booking=booking).select_related(*_INJURY_RELATED)),
        consents=list(
            ConsentRecord.objects.filter(booking=booking)
            .select_related(
                "recorded_by", "witness", "except_provider", "withdrawn_by", "encounter"
            )
            .order_by("recorded_at", "pk")
        ),
        care_alerts=list(
            CareAlert.objects.filter(booking=booking).select_related("set_by", "ended_by")
        ),
        sick_calls=list(
            SickCall.objects.filter(booking=booking).select_related(
                "filed_by", "triaged_by", "closed_by", "encounter"
            )
        ),
        access=access,
    )
    clinical_read_audit(user=user, booking=booking, section="record", access=access)
    return record


# --- Getters ----------------------------------------------------------------------------------

# The medical records that are reached by their public id, each of one booking.
_Row = TypeVar("_Row", Encounter, SickCall, ConsentRecord, CareAlert, Injury, BreakGlass)


def _one_visible(found: QuerySet[_Row], user: User, public_id: str | uuid.UUID, what: str) -> _Row:
    """The row of ``found`` with this id, of a booking ``user`` sees; else 404 naming ``what``.

    Missing and not visible answer alike, so that an id says nothing of a booking elsewhere.
    """
    key = parse_public_id(public_id, what=what)
    row = found.filter(public_id=key, booking__in=bookings_for_user(user)).first()
    if row is None:
        raise NotFound(f"No {what} with id {key}.")
    return row


def encounter_get_for_user(user: User, public_id: str | uuid.UUID) -> Encounter:
    """An encounter of a booking the user sees, with its details; else 404."""
    found = encounters_with_details(Encounter.objects.all()).prefetch_related("sick_calls")
    return _one_visible(found, user, public_id, "encounter")


def sick_call_get_for_user(user: User, public_id: str | uuid.UUID) -> SickCall:
    found = SickCall.objects.select_related(
        "booking__person", "booking__facility", "filed_by", "triaged_by", "closed_by", "encounter"
    )
    return _one_visible(found, user, public_id, "sick call")


def consent_get_for_user(user: User, public_id: str | uuid.UUID) -> ConsentRecord:
    found = ConsentRecord.objects.select_related(
        "booking__person", "booking__facility", "recorded_by", "witness", "except_provider",
        "withdrawn_by", "encounter",
    )  # fmt: skip
    return _one_visible(found, user, public_id, "consent record")


def care_alert_get_for_user(user: User, public_id: str | uuid.UUID) -> CareAlert:
    found = CareAlert.objects.select_related(
        "booking__person", "booking__facility", "set_by", "ended_by", "flag"
    )
    return _one_visible(found, user, public_id, "care alert")


def injury_get_for_user(user: User, public_id: str | uuid.UUID) -> Injury:
    found = Injury.objects.select_related(*_INJURY_RELATED, "booking__person", "booking__facility")
    return _one_visible(found, user, public_id, "injury")


def _break_glass_listed(found: QuerySet[BreakGlass]) -> QuerySet[BreakGlass]:
    return found.select_related("facility", "booking__person", "opened_by", "reviewed_by")


def break_glass_get_for_user(user: User, public_id: str | uuid.UUID) -> BreakGlass:
    found = _break_glass_listed(BreakGlass.objects.all())
    return _one_visible(found, user, public_id, "break-glass access")


def break_glass_list(facility: Facility, *, unreviewed_only: bool = False) -> list[BreakGlass]:
    """The review list: every opening at ``facility``, newest first; one query."""
    found = BreakGlass.objects.filter(facility=facility)
    if unreviewed_only:
        found = found.filter(reviewed_at__isnull=True)
    return list(_break_glass_listed(found).order_by("-opened_at", "-pk"))
