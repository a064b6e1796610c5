"""The clinical forms the record page and the encounter page both offer: a note, vital signs, an
injury and its status.

Each page posts them to its own address and draws itself again; what the fields
mean to the services (``templates/medical/_forms.html`` draws them) is said once,
here.  An ``encounter`` ties what is written to the encounter it was seen in.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.medical.models import ClinicalNote, Encounter, Injury, InjuryStatus
from cellblock.medical.services.encounters import (
    clinical_note_add,
    injury_record,
    injury_update,
)
from cellblock.medical.views.common import BAD_NUMBER

# Whole numbers among the vital signs (temperature has a decimal point).
WHOLE_VITALS = ("systolic", "diastolic", "pulse", "respiration", "spo2", "pain")
VITAL_FIELDS = (*WHOLE_VITALS[:4], "temperature_c", *WHOLE_VITALS[4:])


def vitals_from(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The vital signs typed in, as numbers; a field that is not a number is named."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in VITAL_FIELDS:
        text = form.get(name, "").strip().replace(",", ".")
        if not text:
            continue
        try:
            values[name] = Decimal(text) if name == "temperature_c" else int(text)
        except (ValueError, InvalidOperation):
            errors[name] = [BAD_NUMBER]
    return values, errors


def note_add(
    *, actor: User, booking: Booking, form: dict[str, str], encounter: Encounter | None = None
) -> ClinicalNote:
    return clinical_note_add(
        actor=actor, booking=booking, text=form.get("text", ""), encounter=encounter
    )


def injury_add(
    *, actor: User, booking: Booking, form: dict[str, str], encounter: Encounter | None = None
) -> Injury:
    return injury_record(
        actor=actor, booking=booking, location=form.get("location", ""),
        description=form.get("description", ""),
        # The status list opens at "untreated": a form sent without one means that.
        status=form.get("status", "") or InjuryStatus.UNTREATED, encounter=encounter,
    )  # fmt: skip


def injury_status_set(
    *, actor: User, injury: Injury, form: dict[str, str], encounter: Encounter | None = None
) -> Injury:
    return injury_update(
        actor=actor, injury=injury, status=form.get("status", ""), encounter=encounter
    )
