"""Medical records: the only app that stores clinical text.

What custody staff may see and what they may not is decided per field, not
per table: an encounter's provider, time, place and status are custody facts
(an officer escorts the person or opens the door); its reason, findings,
treatment, notes, vitals and injuries are clinical.  Fields that hold clinical
text are listed in ``CLINICAL_FIELDS`` so the API schemas, the pages and the
confidentiality tests agree on one list.

Care alerts are the bridge: a medic writes a non-clinical instruction
("lower bunk", "no restraints on the left arm") that custody staff see on the
profile, the rounds page and the bed board; where it changes housing or
observation it also sets a classification flag (``origin=medical``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field

# --- Receiving screening ---------------------------------------------------------------


class ScreeningOutcome(models.TextChoices):
    # Fit to be admitted and housed.
    CLEARED = "cleared", "Cleared for housing"
    # Not admitted as is: sent to hospital (unconscious, bleeding, severely intoxicated,
    # withdrawing).  A new screening on return clears them.
    REFERRED = "referred", "Refused: sent to hospital"


class RiskLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class ReceivingScreening(models.Model):
    """The questions asked of everyone at intake, before a bed (NCCHC J-E-02)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="medical_screenings"
    )
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=ScreeningOutcome.choices)
    # Clinical: every answer as asked (medical/screening.py names and checks them).
    answers = models.JSONField(default=dict)
    # Clinical: why not cleared, where sent.
    referral = models.CharField(max_length=500, blank=True)
    withdrawal_risk = models.CharField(max_length=10, choices=RiskLevel.choices)
    suicide_risk = models.CharField(max_length=10, choices=RiskLevel.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-screened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ScreeningOutcome.values),
                name="medical_screening_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=ScreeningOutcome.REFERRED) | ~Q(referral=""),
                name="medical_screening_referral_says_where",
            ),
        ]

    def __str__(self) -> str:
        return f"Receiving screening {self.public_id}"


# --- Sick call -----------------------------------------------------------------------


class SickCallVia(models.TextChoices):
    KIOSK = "kiosk", "Kiosk"
    PAPER = "paper", "Paper slip"
    OFFICER = "officer", "Told an officer"
    MEDICAL = "medical", "Told medical staff"


class SickCallUrgency(models.TextChoices):
    # Not yet looked at by medical.
    UNTRIAGED = "untriaged", "Not triaged"
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent (same day)"
    EMERGENCY = "emergency", "Emergency (now)"


# The queue's order: emergencies first, then urgent, then untriaged, then routine.
URGENCY_ORDER = {
    SickCallUrgency.EMERGENCY: 0,
    SickCallUrgency.URGENT: 1,
    SickCallUrgency.UNTRIAGED: 2,
    SickCallUrgency.ROUTINE: 3,
}


class SickCallStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    SCHEDULED = "scheduled", "Scheduled"
    SEEN = "seen", "Seen"
    # Closed without an encounter (resolved, withdrawn, released), with a reason.
    CLOSED = "closed", "Closed"


class SickCall(models.Model):
    """A person asks to see medical staff; the queue medics work through."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="sick_calls"
    )
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=SickCallVia.choices)
    # Clinical: the complaint in the person's words.
    complaint = models.TextField()
    urgency = models.CharField(
        max_length=10, choices=SickCallUrgency.choices, default=SickCallUrgency.UNTRIAGED
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=SickCallStatus.choices, default=SickCallStatus.WAITING
    )
    encounter = models.ForeignKey(
        "Encounter", on_delete=models.PROTECT, null=True, blank=True, related_name="sick_calls"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["filed_at"]
        indexes = [models.Index(fields=["status", "filed_at"], name="medical_sickcall_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(via__in=SickCallVia.values), name="medical_sickcall_via_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=SickCallUrgency.values),
                name="medical_sickcall_urgency_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SickCallStatus.values), name="medical_sickcall_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Sick call {self.public_id}"


# --- Encounters ------------------------------------------------------------------------


class EncounterKind(models.TextChoices):
    SICK_CALL = "sick_call", "Sick call"
    TREATMENT = "treatment", "Treatment"
    EMERGENCY = "emergency", "Emergency"
    # The full health assessment due within 14 days of booking (NCCHC J-E-04).
    HEALTH_ASSESSMENT = "health_assessment", "Health assessment"
    FOLLOW_UP = "follow_up", "Follow-up"


class EncounterPlace(models.TextChoices):
    CLINIC = "clinic", "Clinic"
    # In the person's cell: the provider needs a cell-entry grant.
    CELL = "cell", "In the cell"
    HOSPITAL = "hospital", "Hospital"
    OTHER = "other", "Elsewhere"


class EncounterStatus(models.TextChoices):
    # The provider is the person's alleged victim: a supervisor must acknowledge first.
    AWAITING_ACKNOWLEDGEMENT = "awaiting_ack", "Awaiting supervisor's acknowledgement"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    # The person refused it when it came (a refusal record says so).
    REFUSED = "refused", "Refused by the person"
    CANCELLED = "cancelled", "Cancelled"


ENCOUNTER_TRANSITIONS: dict[str, frozenset[str]] = {
    EncounterStatus.AWAITING_ACKNOWLEDGEMENT: frozenset(
        {EncounterStatus.SCHEDULED, EncounterStatus.CANCELLED}
    ),
    EncounterStatus.SCHEDULED: frozenset(
        {EncounterStatus.IN_PROGRESS, EncounterStatus.REFUSED, EncounterStatus.CANCELLED}
    ),
    EncounterStatus.IN_PROGRESS: frozenset({EncounterStatus.COMPLETED, EncounterStatus.REFUSED}),
    EncounterStatus.COMPLETED: frozenset(),
    EncounterStatus.REFUSED: frozenset(),
    EncounterStatus.CANCELLED: frozenset(),
}


class Encounter(models.Model):
    """A medic sees a person: scheduled, then started and completed (or refused, cancelled)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="encounters"
    )
    kind = models.CharField(max_length=20, choices=EncounterKind.choices)
    status = models.CharField(max_length=12, choices=EncounterStatus.choices)
    provider = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField()
    scheduled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scheduled_at = models.DateTimeField()
    place = models.CharField(max_length=10, choices=EncounterPlace.choices)
    # In the cell: which cell, and the grant that lets the provider in.
    cell = models.ForeignKey(
        "facilities.Cell", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entry_grant = models.ForeignKey(
        "custody.EntryGrant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place_detail = models.CharField(max_length=200, blank=True)
    # The warnings shown when it was scheduled (codes and messages; not clinical).
    warnings = models.JSONField(default=list)
    # The staff-victim conflict acknowledged by a supervisor (not the provider).
    conflict = models.ForeignKey(
        "classification.StaffConflict",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Clinical.
    reason = models.TextField(blank=True)
    findings = models.TextField(blank=True)
    treatment = models.TextField(blank=True)
    follow_up = models.TextField(blank=True)
    follow_up_due = models.DateField(null=True, blank=True)
    # Not clinical: why it was cancelled.
    cancel_reason = models.CharField(max_length=500, blank=True)
    door_events = models.ManyToManyField("custody.DoorEvent", blank=True, related_name="+")

    class Meta:
        ordering = ["scheduled_for"]
        indexes = [
            models.Index(fields=["booking", "scheduled_for"], name="medical_encounter_booking"),
            models.Index(fields=["status", "scheduled_for"], name="medical_encounter_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EncounterKind.values), name="medical_encounter_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EncounterStatus.values),
                name="medical_encounter_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(place__in=EncounterPlace.values), name="medical_encounter_place_valid"
            ),
            models.CheckConstraint(
                condition=~Q(place=EncounterPlace.CELL) | Q(cell__isnull=False),
                name="medical_encounter_cell_names_the_cell",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | (Q(started_at__isnull=False) & Q(ended_at__gte=F("started_at"))),
                name="medical_encounter_ended_after_started",
            ),
            # A conflict acknowledged names who did it and when.
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="medical_encounter_ack_names_who",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter {self.public_id}"


class ClinicalNote(models.Model):
    """A note in the record; never edited: a correction is a new note that amends it."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="clinical_notes"
    )
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    written_at = models.DateTimeField()
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"Clinical note {self.public_id}"


class VitalSigns(models.Model):
    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="vitals"
    )
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    # 0-10, as the person rates it.
    pain = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at"]
        verbose_name_plural = "vital signs"
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=True) | Q(diastolic__isnull=True)
                | Q(systolic__gt=F("diastolic")),
                name="medical_vitals_systolic_above_diastolic",
            ),
            models.CheckConstraint(
                condition=Q(pain__isnull=True) | Q(pain__lte=10), name="medical_vitals_pain_0_10"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Vital signs {self.public_id}"


class BodyLocation(models.TextChoices):
    HEAD = "head", "Head"
    FACE = "face", "Face"
    NECK = "neck", "Neck"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    BACK = "back", "Back"
    LEFT_ARM = "left_arm", "Left arm"
    RIGHT_ARM = "right_arm", "Right arm"
    LEFT_WRIST = "left_wrist", "Left wrist"
    RIGHT_WRIST = "right_wrist", "Right wrist"
    LEFT_HAND = "left_hand", "Left hand"
    RIGHT_HAND = "right_hand", "Right hand"
    LEFT_LEG = "left_leg", "Left leg"
    RIGHT_LEG = "right_leg", "Right leg"
    LEFT_FOOT = "left_foot", "Left foot"
    RIGHT_FOOT = "right_foot", "Right foot"
    OTHER = "other", "Other"


class InjuryStatus(models.TextChoices):
    UNTREATED = "untreated", "Untreated"
    TREATED = "treated", "Treated"
    HEALING = "healing", "Healing"
    HEALED = "healed", "Healed"


class Injury(models.Model):
    """An injury where it is on the body; its status follows the encounters that see it."""

    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="injuries"
    )
    location = models.CharField(max_length=12, choices=BodyLocation.choices)
    # Clinical.
    description = models.TextField()
    status = models.CharField(max_length=10, choices=InjuryStatus.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The encounter that last changed its status.
    updated_in = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "injuries"
        constraints = [
            models.CheckConstraint(
                condition=Q(location__in=BodyLocation.values),
                name="medical_injury_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InjuryStatus.values), name="medical_injury_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Injury {self.public_id}"


# --- Consent and refusal ---------------------------------------------------------------


class ConsentDecision(models.TextChoices):
    CONSENT = "consent", "Consents"
    REFUSAL = "refusal", "Refuses"


class ConsentScope(models.TextChoices):
    # All care, or all care from every provider but one (``except_provider``).
    GENERAL = "general", "All care"
    # One treatment named in ``treatment``.
    TREATMENT = "treatment", "One treatment"


class ConsentRecord(models.Model):
    """What the person agreed to or refused, signed by the recorder and (refusals) a witness."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="consent_records"
    )
    decision = models.CharField(max_length=8, choices=ConsentDecision.choices)
    scope = models.CharField(max_length=10, choices=ConsentScope.choices)
    # Clinical: the treatment consented to or refused.
    treatment = models.CharField(max_length=300, blank=True)
    # "Refuses every provider except X": the one provider the person accepts.
    except_provider = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Clinical: the person's words, the risks explained.
    statement = models.TextField(blank=True)
    # The person signed, or refused to sign (the witness then matters most).
    person_signed = models.BooleanField(default=False)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=ConsentDecision.values),
                name="medical_consent_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=ConsentScope.values), name="medical_consent_scope_valid"
            ),
            # A refusal is signed by a witness who is not the recorder.
            models.CheckConstraint(
                condition=~Q(decision=ConsentDecision.REFUSAL)
                | (Q(witness__isnull=False) & ~Q(witness=F("recorded_by"))),
                name="medical_consent_refusal_witnessed",
            ),
            models.CheckConstraint(
                condition=~Q(scope=ConsentScope.TREATMENT) | ~Q(treatment=""),
                name="medical_consent_treatment_named",
            ),
            # "Every provider except X" is a general refusal.
            models.CheckConstraint(
                condition=Q(except_provider__isnull=True)
                | (Q(decision=ConsentDecision.REFUSAL) & Q(scope=ConsentScope.GENERAL)),
                name="medical_consent_except_is_general_refusal",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent record {self.public_id}"


# --- Care alerts -----------------------------------------------------------------------


class CareAlertKind(models.TextChoices):
    # Each of these sets a classification flag while in force (CARE_ALERT_FLAGS).
    SUICIDE_WATCH = "suicide_watch", "Suicide watch"
    LOWER_BUNK = "lower_bunk", "Lower bunk"
    MEDICAL_MONITORING = "medical_monitoring", "Medical monitoring"
    WHEELCHAIR_CELL = "wheelchair_cell", "Wheelchair-accessible cell"
    NEAR_MEDICAL = "near_medical", "Housed near medical"
    # Shown to custody only.
    MONITOR_MEALS = "monitor_meals", "Monitor meals"
    RESTRAINT_LIMIT = "restraint_limit", "Restraint limitation"
    OTHER = "other", "Other instruction"


class CareAlert(models.Model):
    """A non-clinical instruction from medical that custody staff see and follow."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="care_alerts"
    )
    kind = models.CharField(max_length=20, choices=CareAlertKind.choices)
    # Suicide watch: the observation level (classification.ObservationLevel).
    level = models.CharField(max_length=20, blank=True)
    # What custody must do, in plain words; never a diagnosis.
    instruction = models.CharField(max_length=300)
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    until = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)
    # The flag it set (suicide risk, medical or disability need), lifted with it.
    flag = models.ForeignKey(
        "classification.Flag", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Where it came from, when it came from a screening.
    screening = models.ForeignKey(
        ReceivingScreening,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_alerts",
    )

    class Meta:
        ordering = ["set_at", "id"]
        indexes = [models.Index(fields=["booking", "ended_at"], name="medical_carealert_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CareAlertKind.values), name="medical_carealert_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["booking", "kind", "instruction"],
                condition=Q(ended_at__isnull=True),
                name="medical_carealert_once_while_open",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("set_at")),
                name="medical_carealert_until_after_set",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CareAlertKind.SUICIDE_WATCH) | ~Q(level=""),
                name="medical_carealert_watch_has_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.instruction}"


# --- Break-glass -----------------------------------------------------------------------


class BreakGlass(models.Model):
    """A non-medical commander opens one person's record in an emergency, for a while."""

    public_id = public_id_field()
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Closed before it expired by the person who opened it.
    closed_at = models.DateTimeField(null=True, blank=True)
    # The medical lead (or the auditor) looked at why, and said so.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "break-glass access"
        verbose_name_plural = "break-glass accesses"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("opened_at")), name="medical_breakglass_expires_after"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="medical_breakglass_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False),
                name="medical_breakglass_review_names_who",
            ),
        ]

    def __str__(self) -> str:
        return f"Break-glass {self.public_id}"


# The fields that hold clinical text, per model: never in a custody-facing schema or page.
class DischargeNote(models.Model):
    """What the person leaving needs to know (medication, follow-up): for the release checklist.

    Custody staff see that it was written, by whom and when; the text is clinical.
    """

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="discharge_notes"
    )
    text = models.TextField()
    # Medication handed over or prescribed to take along; follow-up outside.
    medication = models.CharField(max_length=500, blank=True)
    follow_up = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Discharge note {self.public_id}"


CLINICAL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    ReceivingScreening: ("answers", "referral", "notes", "withdrawal_risk", "suicide_risk"),
    SickCall: ("complaint",),
    Encounter: ("reason", "findings", "treatment", "follow_up", "follow_up_due"),
    ClinicalNote: ("text",),
    VitalSigns: (
        "systolic", "diastolic", "pulse", "respiration", "temperature_c", "spo2", "pain",
    ),
    Injury: ("location", "description", "status"),
    ConsentRecord: ("treatment", "statement"),
    DischargeNote: ("text", "medication", "follow_up"),
}  # fmt: skip
