"""Konoha's medical records as the demo opens (case file 3, step 4; step 5 is tonight).

Everyone was screened at intake by Shizune before a bed. Sasuke came in with
facial wounds he will let nobody treat but Sakura, the medic he is held for
trying to kill: the refusal is on record, witnessed by Hiroki, and Sakura's
visit to his cell tonight waits on nothing but her entry grant, Shizune having
acknowledged the conflict. Around them: Naruto's health assessment, never
done in three months (an alert for medical), Mizuki's toothache in the
sick-call queue, Gatō's lower bunk, and Shizune named the medical lead.

Everything goes through the services; each part is written only when missing.
"""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStepCode
from cellblock.core import clock
from cellblock.custody.schedule import at_local, local_date
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    BodyLocation,
    CareAlert,
    CareAlertKind,
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Encounter,
    EncounterKind,
    EncounterPlace,
    EncounterStatus,
    Injury,
    SickCall,
    SickCallVia,
)
from cellblock.medical.screening import CLEAR_ANSWERS
from cellblock.medical.services.access import medical_lead_set
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.medical.services.consent import consent_record
from cellblock.medical.services.encounters import (
    encounter_acknowledge,
    encounter_complete,
    encounter_schedule,
    encounter_start,
    injury_record,
)
from cellblock.medical.services.screening import screening_record
from cellblock.medical.services.sick_calls import sick_call_file

# What the screening at intake found, by given name (everyone else: fit, no needs).
SCREENING_ANSWERS: dict[str, dict[str, object]] = {
    "Sasuke": {
        **CLEAR_ANSWERS,
        "injuries": "Cuts and bruises across the face from the fight; refuses treatment.",
    },
    "Gatō": {
        **CLEAR_ANSWERS,
        "current_illness": "Arthritis in both knees; walks with a cane.",
        "needs_lower_bunk": True,
    },
}
# Sakura's visit to Sasuke's cell: tonight at 23:00 Konoha time.
NIGHT_VISIT_HOUR = 23


def screen_at_intake(booking: Booking) -> None:
    """Shizune screens a new arrival before a bed, unless it is done already."""
    if not booking.intake_steps.filter(
        step=IntakeStepCode.MEDICAL_SCREENING, completed_at__isnull=True
    ).exists():
        return
    answers = SCREENING_ANSWERS.get(booking.person.given_name, CLEAR_ANSWERS)
    screening_record(
        actor=User.objects.get(username="shizune"), booking=booking, answers=answers,
        notes="Screened at the booking desk.",
    )  # fmt: skip


def medical_records(facility: Facility) -> None:
    staff = {
        user.username: user
        for user in User.objects.filter(username__in=("shizune", "sakura", "hiroki"))
    }
    held = {
        booking.person.given_name: booking
        for booking in Booking.objects.filter(
            facility=facility, status__in=OPEN_STATUSES
        ).select_related("person")
    }
    if facility.medical_lead_id is None:
        medical_lead_set(actor=None, facility=facility, lead=staff["shizune"])
    if "Sasuke" in held:
        _sasuke_refuses_all_but_sakura(facility, held["Sasuke"], staff)
    for name in ("Mizuki", "Kabuto"):
        if name in held:
            _health_assessment_done(held[name], staff["shizune"])
    if "Mizuki" in held and not SickCall.objects.filter(booking=held["Mizuki"]).exists():
        sick_call_file(
            actor=staff["hiroki"], booking=held["Mizuki"], via=SickCallVia.OFFICER,
            complaint="Toothache on the left side for three days; cannot chew.",
        )  # fmt: skip


def _sasuke_refuses_all_but_sakura(
    facility: Facility, sasuke: Booking, staff: dict[str, User]
) -> None:
    shizune, sakura = staff["shizune"], staff["sakura"]
    if not Injury.objects.filter(booking=sasuke).exists():
        injury_record(
            actor=shizune, booking=sasuke, location=BodyLocation.FACE,
            description="Cuts and bruises across the face; not cleaned, not dressed.",
        )  # fmt: skip
    if not ConsentRecord.objects.filter(booking=sasuke).exists():
        consent_record(
            actor=shizune, booking=sasuke, decision=ConsentDecision.REFUSAL,
            scope=ConsentScope.GENERAL, except_provider=sakura,
            statement="He will let nobody treat him but Sakura; he understood the risk of "
            "infection.",
            person_signed=False, witness=staff["hiroki"],
        )  # fmt: skip
    if not CareAlert.objects.filter(booking=sasuke, kind=CareAlertKind.MONITOR_MEALS).exists():
        care_alert_set(
            actor=shizune, booking=sasuke, kind=CareAlertKind.MONITOR_MEALS,
            instruction="Tell medical when he refuses or misses a meal.",
        )  # fmt: skip
    if Encounter.objects.filter(booking=sasuke, provider=sakura).exists():
        return
    now = clock.now()
    today = local_date(now, facility.timezone)
    tonight = at_local(today, dt.time(NIGHT_VISIT_HOUR), facility.timezone)
    if tonight <= now:
        tonight = now + dt.timedelta(hours=1)
    scheduled = encounter_schedule(
        actor=shizune, booking=sasuke, kind=EncounterKind.TREATMENT, provider=sakura,
        scheduled_for=tonight, place=EncounterPlace.CELL, reason="Untreated facial wounds.",
    )  # fmt: skip
    if scheduled.encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT:
        encounter_acknowledge(
            actor=shizune, encounter=scheduled.encounter,
            note="He accepts no one else. Hiroki opens the door and stays outside it.",
        )  # fmt: skip


def _health_assessment_done(booking: Booking, medic: User) -> None:
    """The 14-day health assessment, done today by Shizune in the clinic."""
    if Encounter.objects.filter(booking=booking, kind=EncounterKind.HEALTH_ASSESSMENT).exists():
        return
    now = clock.now()
    scheduled = encounter_schedule(
        actor=medic, booking=booking, kind=EncounterKind.HEALTH_ASSESSMENT, provider=medic,
        scheduled_for=now, place=EncounterPlace.CLINIC, reason="Health assessment (14 days).",
    )  # fmt: skip
    encounter_start(actor=medic, encounter=scheduled.encounter, at=now)
    encounter_complete(
        actor=medic, encounter=scheduled.encounter, at=now,
        findings="Well; no chronic conditions; vaccinations up to date.",
    )  # fmt: skip
