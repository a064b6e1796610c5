"""Agency > facility > zone > housing unit > cell > bed, posts and policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    "Use letters, digits, '-' or '_', starting with a letter or digit.",
)
times_validator = RegexValidator(
    r"^([01][0-9]|2[0-3]):[0-5][0-9](,([01][0-9]|2[0-3]):[0-5][0-9])*$",
    "Use local times as HH:MM, separated by commas, e.g. 06:00,18:00.",
)
tag_validator = RegexValidator(
    r"^[a-z][a-z0-9-]*$", "Use lower-case letters, digits and '-', starting with a letter."
)


class SecurityRating(models.TextChoices):
    MINIMUM = "minimum", "Minimum"
    MEDIUM = "medium", "Medium"
    MAXIMUM = "maximum", "Maximum"
    SPECIAL = "special", "Special management"


class SexServed(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    ANY = "any", "Any"


class AgeGroup(models.TextChoices):
    ADULT = "adult", "Adults"
    JUVENILE = "juvenile", "Juveniles (under 18)"
    ANY = "any", "Any"


class Agency(models.Model):
    public_id = public_id_field()
    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    public_id = public_id_field()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="facilities")
    # Prefix of booking numbers, e.g. KON-2026-000001.
    code = models.CharField(max_length=10, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    # Adult jails may hold juveniles only briefly (JJDPA); this says whether
    # the facility is an adult one.
    serves_adults = models.BooleanField(default=True)
    # The medic told when a record is opened by break-glass (and who reviews it); when
    # nobody is named, every medic of the facility is.
    medical_lead = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """An area with its own access rules, such as a cell block or a restricted level."""

    public_id = public_id_field()
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    # Entry needs a grant issued for the person, whatever their role.
    restricted = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="facilities_zone_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class HousingUnit(models.Model):
    public_id = public_id_field()
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    security_rating = models.CharField(
        max_length=10, choices=SecurityRating.choices, default=SecurityRating.MEDIUM
    )
    sex_served = models.CharField(max_length=6, choices=SexServed.choices, default=SexServed.ANY)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices, default=AgeGroup.ADULT)
    restrictive_housing = models.BooleanField(default=False)
    # Walking minutes to the medical unit: those who need to be near medical are housed close.
    minutes_to_medical = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["zone", "code"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "code"], name="facilities_unit_code_unique"),
            models.CheckConstraint(
                condition=Q(security_rating__in=SecurityRating.values),
                name="facilities_unit_rating_valid",
            ),
            models.CheckConstraint(
                condition=Q(sex_served__in=SexServed.values), name="facilities_unit_sex_valid"
            ),
            models.CheckConstraint(
                condition=Q(age_group__in=AgeGroup.values), name="facilities_unit_age_group_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cell(models.Model):
    public_id = public_id_field()
    unit = models.ForeignKey(HousingUnit, on_delete=models.PROTECT, related_name="cells")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200, blank=True)
    out_of_service = models.BooleanField(default=False)
    out_of_service_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["unit", "code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="facilities_cell_code_unique"),
            # A cell taken out of service always says why.
            models.CheckConstraint(
                condition=Q(out_of_service=False) | ~Q(out_of_service_reason=""),
                name="facilities_cell_out_of_service_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class FeatureStatus(models.TextChoices):
    WORKING = "working", "Working"
    COMPROMISED = "compromised", "Compromised"


# Tags the pages offer; facilities may add their own.
KNOWN_FEATURE_TAGS = (
    "chakra-suppression",
    "iron-door",
    "lighting",
    "observation",
    "wheelchair",
    "single-occupancy",
    "suicide-resistant",
)


class CellFeature(models.Model):
    """A physical feature of a cell that placements may depend on."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="features")
    tag = models.CharField(max_length=40, validators=[tag_validator])
    status = models.CharField(
        max_length=12, choices=FeatureStatus.choices, default=FeatureStatus.WORKING
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["cell", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["cell", "tag"], name="facilities_cellfeature_unique"),
            models.CheckConstraint(
                condition=Q(status__in=FeatureStatus.values),
                name="facilities_cellfeature_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} ({self.status})"


class Bed(models.Model):
    public_id = public_id_field()
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="beds")
    code = models.CharField(max_length=20, validators=[code_validator])
    lower_bunk = models.BooleanField(default=False)
    out_of_service = models.BooleanField(default=False)

    class Meta:
        ordering = ["cell", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cell", "code"], name="facilities_bed_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class GuardPost(models.Model):
    """A post that must be staffed by a number of officers on every shift."""

    public_id = public_id_field()
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="posts")
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="posts", null=True, blank=True
    )
    cell = models.ForeignKey(
        Cell, on_delete=models.PROTECT, related_name="posts", null=True, blank=True
    )
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    required_officers = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "code"], name="facilities_post_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(required_officers__gte=1), name="facilities_post_needs_an_officer"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FacilityPolicy(models.Model):
    """The policy numbers of one facility; defaults cite their source (docs/policy.md)."""

    facility = models.OneToOneField(Facility, on_delete=models.PROTECT, related_name="policy")
    # Observation (Texas 37 TAC 275.1; NCCHC).
    check_interval_general_minutes = models.PositiveSmallIntegerField(default=60)
    check_interval_special_minutes = models.PositiveSmallIntegerField(default=30)
    check_interval_suicide_watch_minutes = models.PositiveSmallIntegerField(default=15)
    constant_observation_log_minutes = models.PositiveSmallIntegerField(default=15)
    # Restraints (Texas 37 TAC 273.6).
    restraint_check_minutes = models.PositiveSmallIntegerField(default=15)
    restraint_max_minutes_without_approval = models.PositiveSmallIntegerField(default=120)
    # Restrictive housing (Mandela Rules 43-45).
    solitary_hours_per_day = models.PositiveSmallIntegerField(default=22)
    prolonged_solitary_alert_day = models.PositiveSmallIntegerField(default=12)
    prolonged_solitary_breach_day = models.PositiveSmallIntegerField(default=16)
    # Juveniles in an adult facility (JJDPA).
    juvenile_adult_hold_hours = models.PositiveSmallIntegerField(default=6)
    # Mandela Rule 23.
    outdoor_exercise_minutes_per_day = models.PositiveSmallIntegerField(default=60)
    # PREA 28 CFR 115.41.
    prea_screening_hours = models.PositiveSmallIntegerField(default=72)
    prea_reassessment_days = models.PositiveSmallIntegerField(default=30)
    # NCCHC.
    health_assessment_days = models.PositiveSmallIntegerField(default=14)
    # Intake: identity, charges, property, receiving screening and a bed within
    # this many hours of booking (local policy); classification per NIC.
    intake_completion_hours = models.PositiveSmallIntegerField(default=8)
    classification_initial_hours = models.PositiveSmallIntegerField(default=48)
    # Scheduled reassessment, and the instrument in use (its code; the newest version applies).
    classification_review_days = models.PositiveSmallIntegerField(default=90)
    classification_instrument = models.CharField(max_length=40, default="nic-custody")
    # Co-defendants (a shared case number) are kept apart at this scope; "" for not at all.
    co_defendant_separation_scope = models.CharField(max_length=8, default="unit", blank=True)
    # Formal counts (Fresno D-300, CDCR): the local times they are due, comma-separated.
    formal_counts_per_day = models.PositiveSmallIntegerField(default=2)
    formal_count_times = models.CharField(
        max_length=100, default="06:00,18:00", validators=[times_validator]
    )
    # A scheduled count not started this many minutes after its time is missed.
    formal_count_grace_minutes = models.PositiveSmallIntegerField(default=30)
    # Shifts start at these local times (the last runs until the first of the next day).
    shift_starts = models.CharField(
        max_length=100, default="06:00,14:00,22:00", validators=[times_validator]
    )
    # Meals are served at these local times (breakfast, lunch, dinner).
    meal_times = models.CharField(
        max_length=100, default="07:00,12:00,17:30", validators=[times_validator]
    )
    # Missed or refused meals in a row before a medical referral; and a hunger strike.
    meals_missed_referral = models.PositiveSmallIntegerField(default=3)
    hunger_strike_meals = models.PositiveSmallIntegerField(default=9)
    # Movements: a return this many minutes past its expected time is overdue.
    movement_return_grace_minutes = models.PositiveSmallIntegerField(default=15)
    # Days without a visit (or another contact with the outside) before an alert.
    no_visit_alert_days = models.PositiveSmallIntegerField(default=30)
    # Visits (Mesa Co., Fresno Co.).
    visit_length_minutes = models.PositiveSmallIntegerField(default=30)
    visits_per_day = models.PositiveSmallIntegerField(default=1)
    visitors_per_visit = models.PositiveSmallIntegerField(default=2)
    visits_per_week = models.PositiveSmallIntegerField(default=3)
    # Visits are booked at least this many hours and at most this many days ahead.
    visit_booking_min_hours = models.PositiveSmallIntegerField(default=24)
    visit_booking_max_days = models.PositiveSmallIntegerField(default=14)
    # Inmate requests (LASD).
    request_answer_days = models.PositiveSmallIntegerField(default=15)
    # How long a commander's emergency (break-glass) access to a medical record lasts.
    break_glass_minutes = models.PositiveSmallIntegerField(default=60)
    # Court: a person to be produced who has not left this many minutes after the
    # hearing's time is a missed production.
    court_production_grace_minutes = models.PositiveSmallIntegerField(default=30)
    # The release-date board's "this week": releases due within this many days.
    release_due_soon_days = models.PositiveSmallIntegerField(default=7)
    # Moves by an officer need a supervisor's approval unless this is on.
    officer_moves_without_approval = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "facility policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    prolonged_solitary_alert_day__lt=models.F("prolonged_solitary_breach_day")
                ),
                name="facilities_policy_solitary_alert_before_breach",
            ),
            models.CheckConstraint(
                condition=Q(
                    check_interval_special_minutes__lte=models.F("check_interval_general_minutes")
                ),
                name="facilities_policy_special_checks_not_looser",
            ),
            models.CheckConstraint(
                condition=Q(
                    co_defendant_separation_scope__in=["", "cell", "unit", "facility", "total"]
                ),
                name="facilities_policy_co_defendant_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Policy of {self.facility}"

    def clean(self) -> None:
        # The schedule must hold at least the counts the policy promises each day.
        times = [part for part in self.formal_count_times.split(",") if part.strip()]
        if len(times) < self.formal_counts_per_day:
            raise ValidationError(
                {
                    "formal_count_times": (
                        f"must list at least {self.formal_counts_per_day} times "
                        "(formal_counts_per_day)."
                    )
                }
            )
