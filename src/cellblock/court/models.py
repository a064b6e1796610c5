"""Court records: cases, charges and verdicts, hearings, sentences, credits, holds.

Cases and sentences belong to a person, not to one booking: a transfer opens a
new booking and the sentences go on being served.  The release date of a
booking is computed by ``court/sentencing.py`` (pure) from the person's active
sentences and the credit rule versions of their jurisdiction, and stored in
``ReleaseDate``; every change of that date is a ``ReleaseDateChange`` that
someone reviews.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.booking.models import ChargeSeverity
from cellblock.classification.models import ProtectedRole
from cellblock.core.ids import public_id_field


class Jurisdiction(models.Model):
    """Whose sentencing law applies: its credit rules are versioned below."""

    public_id = public_id_field()
    agency = models.ForeignKey(
        "facilities.Agency", on_delete=models.PROTECT, related_name="jurisdictions"
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"], name="court_jurisdiction_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CreditRule(models.Model):
    """One version of a jurisdiction's credit rules (good time, earned credit, minimum served).

    A version applies to sentences imposed on or after ``applies_from`` until a
    later version's date; adding a version recomputes every release date it
    touches.  Versions are never edited: a change is a new version.
    """

    public_id = public_id_field()
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="credit_rules"
    )
    version = models.PositiveSmallIntegerField()
    applies_from = models.DateField()
    # Good time: floor(term days x numerator / denominator) days off, for eligible sentences.
    good_time_numerator = models.PositiveSmallIntegerField(default=0)
    good_time_denominator = models.PositiveSmallIntegerField(default=1)
    # Severities whose sentences earn no good time (e.g. ["felony"]).
    good_time_excluded_severities = models.JSONField(default=list, blank=True)
    # Earned credit (work, programmes): at most this many days per month of the term as
    # pronounced (a days-only term counts one month per full 30 days).
    earned_days_per_month_cap = models.PositiveSmallIntegerField(default=0)
    # Nobody leaves before serving this share of the term (truth in sentencing); 0 for none.
    minimum_served_percent = models.PositiveSmallIntegerField(default=0)
    # Where the rule comes from (statute, order), shown beside the computation.
    source = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["jurisdiction", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "version"], name="court_creditrule_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(good_time_denominator__gte=1)
                & Q(good_time_numerator__lt=F("good_time_denominator")),
                name="court_creditrule_good_time_below_term",
            ),
            models.CheckConstraint(
                condition=Q(minimum_served_percent__lte=100),
                name="court_creditrule_minimum_served_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction.code} v{self.version}"


class Court(models.Model):
    public_id = public_id_field()
    agency = models.ForeignKey("facilities.Agency", on_delete=models.PROTECT, related_name="courts")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="courts")
    # Where hearings are held (a courtroom in the village hall): not housing.
    location = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="court_court_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    # Every charge has its verdict.
    DISPOSED = "disposed", "Disposed"


class Case(models.Model):
    """A criminal case against one person, in one court, under a docket number."""

    public_id = public_id_field()
    agency = models.ForeignKey("facilities.Agency", on_delete=models.PROTECT, related_name="+")
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases")
    docket_number = models.CharField(max_length=60)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    # The facility that holds (or, on remand, will hold) the person for this case.
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    # The judge or official presiding ("Tsunade, Fifth Hokage"), and the staff user when
    # the presiding authority also works in the facility.
    presiding_authority = models.CharField(max_length=200)
    presiding_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    filed_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "docket_number"], name="court_case_docket_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="court_case_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.docket_number


class Verdict(models.TextChoices):
    PENDING = "pending", "Pending"
    GUILTY = "guilty", "Guilty"
    NOT_GUILTY = "not_guilty", "Not guilty"
    DISMISSED = "dismissed", "Dismissed"


class CaseCharge(models.Model):
    """One count of a case; linked to the booking's charge while the person is held."""

    public_id = public_id_field()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="charges")
    count_number = models.PositiveSmallIntegerField()
    statute = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    severity = models.CharField(max_length=12, choices=ChargeSeverity.choices)
    booking_charge = models.ForeignKey(
        "booking.Charge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verdict = models.CharField(max_length=12, choices=Verdict.choices, default=Verdict.PENDING)
    verdict_at = models.DateTimeField(null=True, blank=True)
    verdict_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verdict_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["case", "count_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "count_number"], name="court_casecharge_count_unique"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="court_casecharge_verdict_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=ChargeSeverity.values),
                name="court_casecharge_severity_valid",
            ),
            # A verdict says when; a pending count has none.
            models.CheckConstraint(
                condition=(Q(verdict="pending") & Q(verdict_at__isnull=True))
                | (~Q(verdict="pending") & Q(verdict_at__isnull=False)),
                name="court_casecharge_verdict_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} count {self.count_number}: {self.statute}"


class CaseParty(models.Model):
    """A victim, witness or protected party named in the case (a verdict may protect them)."""

    public_id = public_id_field()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=ProtectedRole.choices)

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="court_caseparty_once"),
            models.CheckConstraint(
                condition=Q(role__in=ProtectedRole.values), name="court_caseparty_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.role}"


class HearingKind(models.TextChoices):
    ARRAIGNMENT = "arraignment", "Arraignment"
    TRIAL = "trial", "Trial"
    SENTENCING = "sentencing", "Sentencing"
    REVIEW = "review", "Review"


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    ADJOURNED = "adjourned", "Adjourned"
    CANCELLED = "cancelled", "Cancelled"


class Hearing(models.Model):
    """A hearing on the calendar; a person in custody is produced (a movement to court)."""

    public_id = public_id_field()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="hearings")
    kind = models.CharField(max_length=12, choices=HearingKind.choices)
    scheduled_at = models.DateTimeField()
    expected_minutes = models.PositiveSmallIntegerField(default=60)
    courtroom = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=HearingStatus.choices, default=HearingStatus.SCHEDULED
    )
    # The booking to produce, when the person is held; the production's movement.
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    production = models.ForeignKey(
        "custody.Movement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=500, blank=True)
    scheduled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="court_hearing_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=HearingKind.values), name="court_hearing_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=HearingStatus.values), name="court_hearing_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(expected_minutes__gte=1), name="court_hearing_has_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scheduled_at:%Y-%m-%d %H:%M}"


class SentenceRelation(models.TextChoices):
    CONCURRENT = "concurrent", "Concurrent"
    CONSECUTIVE = "consecutive", "Consecutive"


class SentenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # Set aside or replaced by the court (a corrected sentence is a new one).
    VACATED = "vacated", "Vacated"
    # Served: the person was released on it.
    DISCHARGED = "discharged", "Discharged"


class Sentence(models.Model):
    """The sentence on one guilty count: a term from a start date, and its credits."""

    public_id = public_id_field()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sentences")
    charge = models.ForeignKey(CaseCharge, on_delete=models.PROTECT, related_name="sentences")
    # Denormalised from the case: the release date gathers a person's sentences.
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    imposed_on = models.DateField()
    starts_on = models.DateField()
    term_years = models.PositiveSmallIntegerField(default=0)
    term_months = models.PositiveSmallIntegerField(default=0)
    term_days = models.PositiveIntegerField(default=0)
    relation = models.CharField(
        max_length=12, choices=SentenceRelation.choices, default=SentenceRelation.CONCURRENT
    )
    consecutive_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followed_by"
    )
    # Days in custody before the sentence that the court credits to it.
    time_served_days = models.PositiveIntegerField(default=0)
    # The court may order that no good time be earned on this sentence.
    good_time_eligible = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=SentenceStatus.choices, default=SentenceStatus.ACTIVE
    )
    imposed_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["imposed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_years__gt=0) | Q(term_months__gt=0) | Q(term_days__gt=0),
                name="court_sentence_has_term",
            ),
            models.CheckConstraint(
                condition=Q(relation__in=SentenceRelation.values),
                name="court_sentence_relation_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SentenceStatus.values), name="court_sentence_status_valid"
            ),
            # Consecutive to exactly one other sentence; concurrent to none.
            models.CheckConstraint(
                condition=(Q(relation="consecutive") & Q(consecutive_to__isnull=False))
                | (Q(relation="concurrent") & Q(consecutive_to__isnull=True)),
                name="court_sentence_consecutive_names_one",
            ),
            models.CheckConstraint(
                condition=~Q(consecutive_to=F("id")), name="court_sentence_not_after_itself"
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(ended_at__isnull=True))
                | (~Q(status="active") & Q(ended_at__isnull=False)),
                name="court_sentence_end_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Sentence {self.public_id}"


class CreditKind(models.TextChoices):
    # Days awarded for work or programmes, within the rule's cap.
    EARNED = "earned", "Earned credit"
    # Good time taken away as a disciplinary sanction.
    FORFEITED = "forfeited", "Good time forfeited"


class CreditEntry(models.Model):
    """Days earned or forfeited on a sentence, under the rule version in force."""

    public_id = public_id_field()
    sentence = models.ForeignKey(Sentence, on_delete=models.PROTECT, related_name="credits")
    kind = models.CharField(max_length=10, choices=CreditKind.choices)
    days = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    rule = models.ForeignKey(CreditRule, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CreditKind.values), name="court_creditentry_kind_valid"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="court_creditentry_days"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.days}"


class ReleaseDate(models.Model):
    """A booking's computed release date now, with the computation that gave it."""

    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.PROTECT, related_name="release_date"
    )
    # Null: nothing to compute (no active sentence).
    release_on = models.DateField(null=True, blank=True)
    controlling_sentence = models.ForeignKey(
        Sentence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField()
    # The worked computation (court/sentencing.py's lines) and the rule versions it used.
    breakdown = models.JSONField(default=list)
    rule_versions = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["release_on"], name="court_releasedate_on")]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.release_on}"


class ReleaseDateChange(models.Model):
    """A recomputation that moved a release date: listed until someone reviews it."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="release_date_changes"
    )
    previous_on = models.DateField(null=True, blank=True)
    new_on = models.DateField(null=True, blank=True)
    # What moved it: "sentence", "credit", "rule", "verdict", "transfer".
    cause = models.CharField(max_length=12)
    cause_detail = models.CharField(max_length=300)
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [
            models.Index(fields=["reviewed_at", "computed_at"], name="court_datechange_unreviewed")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(previous_on=F("new_on"))
                | Q(previous_on__isnull=True, new_on__isnull=False)
                | Q(previous_on__isnull=False, new_on__isnull=True),
                name="court_datechange_is_a_change",
            ),
            models.CheckConstraint(
                condition=(Q(reviewed_at__isnull=True) & Q(reviewed_by__isnull=True))
                | Q(reviewed_at__isnull=False),
                name="court_datechange_review_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.previous_on} -> {self.new_on}"


class HoldKind(models.TextChoices):
    WARRANT = "warrant", "Warrant"
    DETAINER = "detainer", "Detainer (another agency)"
    COURT_ORDER = "court_order", "Court order to hold"


class Hold(models.Model):
    """A warrant, detainer or order that keeps a person held whatever their release date."""

    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField(max_length=12, choices=HoldKind.choices)
    issued_by = models.CharField(max_length=200)
    reference = models.CharField(max_length=100)
    reason = models.CharField(max_length=500, blank=True)
    placed_at = models.DateTimeField()
    placed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=HoldKind.values), name="court_hold_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("placed_at")),
                name="court_hold_lifted_after_placed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"
