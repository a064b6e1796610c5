"""Classification: how dangerous and how vulnerable a person is, and who must never meet.

- ``Instrument`` and ``Assessment``: the objective custody instrument
  (instrument.py does the arithmetic) and each scoring of a booking, with an
  override that a supervisor or commander approves.
- ``ReviewTrigger``: an event (a new charge, a verdict, a serious incident)
  that makes a reassessment due.
- ``PreaScreening``: the risk screening of 28 CFR 115.41.
- ``Flag``: special-management flags with who, when, why and until when.
- ``SecurityGroup`` and ``GroupMembership``: gangs and rival factions.
- ``SeparationOrder``: keep two people (or a person and a group) apart, at a scope.
- ``ProtectiveOrder``: no contact between a person in custody and a person outside.
- ``StaffConflict``: a staff member who is the alleged victim of a person in custody.

Orders and groups belong to the agency: they follow the person between its
facilities and outlive a single booking.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field


class FlagKind(models.TextChoices):
    JUVENILE = "juvenile", "Juvenile"
    SUICIDE_RISK = "suicide_risk", "Suicide risk"
    DANGEROUS = "dangerous", "Dangerous to others"
    ESCAPE_RISK = "escape_risk", "Escape risk"
    MEDICAL_NEED = "medical_need", "Medical need"
    DISABILITY_NEED = "disability_need", "Disability need"
    # ``detail`` names the cell-feature tag the cell must have, e.g. chakra-suppression.
    CONTAINMENT = "containment", "Containment need"
    DIET = "diet", "Diet"
    PREFERENCE = "preference", "Preference"
    # Housed alone (a cellmate would be at risk, or put them at risk).
    SINGLE_CELL = "single_cell", "Single cell"
    # An authorised restrictive housing placement (the commander's decision).
    RESTRICTIVE_HOUSING = "restrictive_housing", "Restrictive housing"
    # Set by PREA screening (28 CFR 115.41), never by hand.
    PREA_VICTIM = "prea_victim", "PREA: high victim risk"
    PREA_ABUSER = "prea_abuser", "PREA: high abuser risk"


# Flags that change where a person may sleep (housing/rules.py reads them).
HOUSING_FLAGS = frozenset(
    {
        FlagKind.JUVENILE,
        FlagKind.CONTAINMENT,
        FlagKind.PREA_VICTIM,
        FlagKind.PREA_ABUSER,
        FlagKind.SINGLE_CELL,
        FlagKind.RESTRICTIVE_HOUSING,
        FlagKind.MEDICAL_NEED,
        FlagKind.DISABILITY_NEED,
    }
)


class FlagOrigin(models.TextChoices):
    STAFF = "staff", "Set by staff"
    # The juvenile flag, from the person's date of birth.
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    PREA_SCREENING = "prea_screening", "PREA screening"
    # A care alert from medical (medical.CareAlert): lifted when the alert ends.
    MEDICAL = "medical", "Medical care alert"


class ObservationLevel(models.TextChoices):
    """How closely a person at risk is watched (the suicide-risk flag's detail)."""

    AT_RISK = "at_risk", "At risk (30 min)"
    SUICIDE_WATCH = "suicide_watch", "Suicide watch (irregular, 15 min at most)"
    CONSTANT = "constant", "Constant observation"


# What a medical or disability flag asks of the bed (the flag's detail).
class CareNeed(models.TextChoices):
    LOWER_BUNK = "lower-bunk", "Lower bunk"
    WHEELCHAIR_CELL = "wheelchair-cell", "Wheelchair-accessible cell"
    NEAR_MEDICAL = "near-medical", "Housed near medical"
    MEDICAL_MONITORING = "medical-monitoring", "Medical monitoring"


# How each flag shows in lists: the colour class of its badge.
FLAG_TONE: dict[str, str] = {
    FlagKind.JUVENILE: "warn",
    FlagKind.SUICIDE_RISK: "bad",
    FlagKind.DANGEROUS: "bad",
    FlagKind.ESCAPE_RISK: "bad",
    FlagKind.MEDICAL_NEED: "info",
    FlagKind.DISABILITY_NEED: "info",
    FlagKind.CONTAINMENT: "warn",
    FlagKind.DIET: "muted",
    FlagKind.PREFERENCE: "muted",
    FlagKind.PREA_VICTIM: "warn",
    FlagKind.PREA_ABUSER: "bad",
    FlagKind.SINGLE_CELL: "warn",
    FlagKind.RESTRICTIVE_HOUSING: "bad",
}


class Flag(models.Model):
    """A flag is active from ``set_at`` until it is lifted or its ``until`` passes."""

    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    # What exactly: the observation level, the feature tag, the diet ...
    detail = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=500)
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    until = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)
    origin = models.CharField(max_length=16, choices=FlagOrigin.choices, default=FlagOrigin.STAFF)

    class Meta:
        ordering = ["kind", "set_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FlagKind.values), name="classification_flag_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["booking", "kind", "detail"],
                condition=Q(lifted_at__isnull=True),
                name="classification_flag_once_while_active",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("set_at")),
                name="classification_flag_until_after_set",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("set_at")),
                name="classification_flag_lifted_after_set",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=FlagOrigin.values), name="classification_flag_origin_valid"
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label}: {self.detail}" if self.detail else label


# --- The instrument and assessments ---------------------------------------------


class Instrument(models.Model):
    """One published version of a classification instrument (never edited: publish anew)."""

    public_id = public_id_field()
    code = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    # The JSON definition that ``instrument.parse_instrument`` reads.
    definition = models.JSONField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="classification_instrument_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="classification_instrument_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AssessmentReason(models.TextChoices):
    INITIAL = "initial", "Initial classification"
    SCHEDULED = "scheduled", "Scheduled reassessment"
    NEW_CHARGE = "new_charge", "New charge"
    VERDICT = "verdict", "Verdict or sentence"
    INCIDENT = "incident", "Serious incident"
    REQUEST = "request", "Requested by staff"


class AssessmentStatus(models.TextChoices):
    # Scored, no override: the scored level is in force.
    SCORED = "scored", "Scored"
    # An override waits for a supervisor or commander; the scored level is in force meanwhile.
    OVERRIDE_PENDING = "override_pending", "Override awaiting approval"
    OVERRIDE_APPROVED = "override_approved", "Override approved"
    OVERRIDE_REFUSED = "override_refused", "Override refused"
    # A newer assessment was recorded before anyone decided: nothing left to decide.
    SUPERSEDED = "superseded", "Override superseded by a newer assessment"


ASSESSMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AssessmentStatus.SCORED: frozenset(),
    AssessmentStatus.OVERRIDE_PENDING: frozenset(
        {
            AssessmentStatus.OVERRIDE_APPROVED,
            AssessmentStatus.OVERRIDE_REFUSED,
            AssessmentStatus.SUPERSEDED,
        }
    ),
    AssessmentStatus.SUPERSEDED: frozenset(),
    AssessmentStatus.OVERRIDE_APPROVED: frozenset(),
    AssessmentStatus.OVERRIDE_REFUSED: frozenset(),
}

_LEVELS = ["minimum", "medium", "maximum", "special"]


class Assessment(models.Model):
    """One scoring of a booking on the instrument, and any override of its result."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=AssessmentReason.choices)
    # Item code -> answer code, and item code -> points, as scored.
    answers = models.JSONField()
    item_points = models.JSONField()
    total = models.PositiveSmallIntegerField()
    scored_level = models.CharField(max_length=10)
    # Answers that require special management, as "item: answer" texts.
    special_reasons = models.JSONField(default=list, blank=True)
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.CharField(max_length=1000, blank=True)
    override_level = models.CharField(max_length=10, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=18, choices=AssessmentStatus.choices, default=AssessmentStatus.SCORED
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    # When the next scheduled reassessment is due.
    review_due_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-id"]
        # The latest assessment of a booking (the queue's scheduled reviews, the profile).
        indexes = [
            models.Index(
                fields=["booking", "-assessed_at", "-id"], name="classification_assess_latest"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=AssessmentReason.values),
                name="classification_assessment_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values),
                name="classification_assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(scored_level__in=_LEVELS),
                name="classification_assessment_scored_level_valid",
            ),
            # An override names its level and its reason; no override, neither.
            models.CheckConstraint(
                condition=(Q(override_level="") & Q(status=AssessmentStatus.SCORED))
                | (
                    Q(override_level__in=_LEVELS)
                    & ~Q(override_reason="")
                    & ~Q(status=AssessmentStatus.SCORED)
                ),
                name="classification_assessment_override_reasoned",
            ),
            # Approved or refused: by whom and when.
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        AssessmentStatus.SCORED,
                        AssessmentStatus.OVERRIDE_PENDING,
                        AssessmentStatus.SUPERSEDED,
                    ]
                )
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="classification_assessment_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} of {self.booking_id}: {self.level}"

    @property
    def level(self) -> str:
        """The level this assessment puts in force."""
        if self.status == AssessmentStatus.OVERRIDE_APPROVED:
            return self.override_level
        return self.scored_level


class ReviewTrigger(models.Model):
    """An event that makes a reassessment due; the next assessment satisfies it."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="review_triggers"
    )
    reason = models.CharField(max_length=12, choices=AssessmentReason.choices)
    detail = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField()
    satisfied_by = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="triggers"
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=AssessmentReason.values),
                name="classification_reviewtrigger_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.detail}"


# --- PREA screening -----------------------------------------------------------------


class PreaKind(models.TextChoices):
    INITIAL = "initial", "Initial screening (72 h)"
    REASSESSMENT = "reassessment", "Reassessment (30 days)"
    # 115.41(g): after a referral, a request, an incident of sexual abuse or new information.
    REFERRAL = "referral", "Reassessment on referral or new information"


class PreaScreening(models.Model):
    """A PREA risk screening: which criteria apply, and the risks they give.

    The answers are sensitive (115.41(i)): only screening staff, the commander
    and the auditor read them, and every read is audited.  Everyone else sees
    the resulting flags.
    """

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="prea_screenings"
    )
    kind = models.CharField(max_length=12, choices=PreaKind.choices)
    # Criterion code -> true/false (prea.VICTIM_CRITERIA, prea.ABUSER_CRITERIA).
    answers = models.JSONField()
    victim_score = models.PositiveSmallIntegerField()
    abuser_score = models.PositiveSmallIntegerField()
    victim_risk = models.BooleanField()
    abuser_risk = models.BooleanField()
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-screened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PreaKind.values), name="classification_prea_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"PREA {self.kind} of {self.booking_id}"


# --- Groups and orders ---------------------------------------------------------------


class GroupKind(models.TextChoices):
    GANG = "gang", "Gang"
    FACTION = "faction", "Rival faction or clan"
    OTHER = "other", "Other security threat group"


class SecurityGroup(models.Model):
    public_id = public_id_field()
    agency = models.ForeignKey(
        "facilities.Agency", on_delete=models.PROTECT, related_name="security_groups"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=GroupKind.choices)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"], name="classification_securitygroup_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=GroupKind.values),
                name="classification_securitygroup_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    public_id = public_id_field()
    group = models.ForeignKey(SecurityGroup, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="group_memberships"
    )
    # How staff know: self-declared, tattoos, intelligence report ...
    basis = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["group", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "person"],
                condition=Q(ended_at__isnull=True),
                name="classification_groupmembership_once_while_active",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="classification_groupmembership_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"


class SeparationScope(models.TextChoices):
    """How far apart; each scope includes the ones before it."""

    CELL = "cell", "Never in the same cell"
    UNIT = "unit", "Never in the same unit"
    FACILITY = "facility", "Never in the same facility"
    # Also movements, visit rooms and court transport.
    TOTAL = "total", "Total: housing, movements, visit rooms, transport"


class SeparationSource(models.TextChoices):
    STAFF = "staff", "Ordered by staff"
    CO_DEFENDANT = "co_defendant", "Co-defendants (policy)"
    COURT = "court", "Court order"
    INCIDENT = "incident", "After an incident"


class OrderStatus:
    """Where an order stands at a moment (computed, not stored)."""

    ACTIVE = "active"
    UPCOMING = "upcoming"
    EXPIRED = "expired"
    ENDED = "ended"


class _Timeboxed(models.Model):
    """An order in force from ``starts_at`` until it ends or ``expires_at`` passes."""

    public_id = public_id_field()
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    def status_at(self, now: dt.datetime) -> str:
        if self.ended_at is not None:
            return OrderStatus.ENDED
        if self.expires_at is not None and self.expires_at <= now:
            return OrderStatus.EXPIRED
        if self.starts_at > now:
            return OrderStatus.UPCOMING
        return OrderStatus.ACTIVE


def _timebox_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("starts_at")),
            name=f"{prefix}_expires_after_start",
        ),
        models.CheckConstraint(
            condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("recorded_at")),
            name=f"{prefix}_ended_after_recorded",
        ),
    ]


class SeparationOrder(_Timeboxed):
    """Keep ``person`` apart from ``other_person``, or from every member of ``group``."""

    agency = models.ForeignKey(
        "facilities.Agency", on_delete=models.PROTECT, related_name="separation_orders"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    other_person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        SecurityGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scope = models.CharField(max_length=8, choices=SeparationScope.choices)
    source = models.CharField(
        max_length=12, choices=SeparationSource.choices, default=SeparationSource.STAFF
    )
    reason = models.CharField(max_length=500)
    # The staff member who authorised it (the recorder may be a clerk entering it).
    authorised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # Exactly one other party: a person or a group.
            models.CheckConstraint(
                condition=Q(other_person__isnull=True, group__isnull=False)
                | Q(other_person__isnull=False, group__isnull=True),
                name="classification_separation_one_other_party",
            ),
            # A pair is stored once, lower row id first, so "A from B" and "B from A" clash.
            models.CheckConstraint(
                condition=Q(other_person__isnull=True) | Q(person__lt=F("other_person")),
                name="classification_separation_pair_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "other_person"],
                condition=Q(ended_at__isnull=True, other_person__isnull=False),
                name="classification_separation_pair_once_while_open",
            ),
            models.UniqueConstraint(
                fields=["person", "group"],
                condition=Q(ended_at__isnull=True, group__isnull=False),
                name="classification_separation_group_once_while_open",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=SeparationScope.values),
                name="classification_separation_scope_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=SeparationSource.values),
                name="classification_separation_source_valid",
            ),
            *_timebox_constraints("classification_separation"),
        ]

    def __str__(self) -> str:
        return f"Keep separate ({self.get_scope_display()})"


class ProtectedRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    WITNESS = "witness", "Witness"
    PROTECTED_PARTY = "protected_party", "Protected party"


class ProtectiveSource(models.TextChoices):
    COURT_ORDER = "court_order", "Court order"
    ADMINISTRATIVE = "administrative", "Administrative"


class ContactScope(models.TextChoices):
    VISITS = "visits", "Visits"
    ALL_CONTACT = "all_contact", "All contact (visits, calls, mail, messages)"


class ProtectiveOrder(_Timeboxed):
    """No contact between ``person`` (in custody) and ``protected_person`` (outside)."""

    agency = models.ForeignKey(
        "facilities.Agency", on_delete=models.PROTECT, related_name="protective_orders"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    protected_person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="protected_by"
    )
    protected_role = models.CharField(max_length=16, choices=ProtectedRole.choices)
    source = models.CharField(max_length=16, choices=ProtectiveSource.choices)
    scope = models.CharField(max_length=12, choices=ContactScope.choices)
    # Who issued it: the court or official, and their reference (docket number ...).
    issued_by = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=F("protected_person")),
                name="classification_protective_two_people",
            ),
            models.CheckConstraint(
                condition=Q(protected_role__in=ProtectedRole.values),
                name="classification_protective_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=ProtectiveSource.values),
                name="classification_protective_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=ContactScope.values),
                name="classification_protective_scope_valid",
            ),
            *_timebox_constraints("classification_protective"),
        ]

    def __str__(self) -> str:
        return f"No contact ({self.get_scope_display()})"


class ConflictKind(models.TextChoices):
    ALLEGED_VICTIM = "alleged_victim", "Staff member is the alleged victim"
    FAMILY = "family", "Family or personal relationship"
    OTHER = "other", "Other conflict of interest"


class StaffConflict(_Timeboxed):
    """A staff member who should not deal with ``person`` alone: their alleged victim, kin ..."""

    agency = models.ForeignKey(
        "facilities.Agency", on_delete=models.PROTECT, related_name="staff_conflicts"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ConflictKind.choices)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "staff", "kind"],
                condition=Q(ended_at__isnull=True),
                name="classification_staffconflict_once_while_open",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConflictKind.values),
                name="classification_staffconflict_kind_valid",
            ),
            *_timebox_constraints("classification_staffconflict"),
        ]

    def __str__(self) -> str:
        return f"Staff conflict ({self.get_kind_display()})"
