"""Custody episodes: one booking from intake to release."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field


class BookingStatus(models.TextChoices):
    INTAKE = "intake", "Intake"
    IN_CUSTODY = "in_custody", "In custody"
    RELEASED = "released", "Released"
    # Opened by mistake and closed without anyone having been held.
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which the person is (or is being) held.
OPEN_STATUSES = (BookingStatus.INTAKE, BookingStatus.IN_CUSTODY)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    BookingStatus.INTAKE: frozenset({BookingStatus.IN_CUSTODY, BookingStatus.CANCELLED}),
    BookingStatus.IN_CUSTODY: frozenset({BookingStatus.RELEASED}),
    BookingStatus.RELEASED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}


class LegalStatus(models.TextChoices):
    PRETRIAL = "pretrial", "Pretrial"
    SENTENCED = "sentenced", "Sentenced"
    MIXED = "mixed", "Mixed"
    HOLD = "hold", "Hold for another agency"


class BookingSource(models.TextChoices):
    ARREST = "arrest", "Arrest"
    WARRANT = "warrant", "Warrant"
    COURT_REMAND = "court_remand", "Court remand"
    TRANSFER_IN = "transfer_in", "Transfer in"


class ReleaseType(models.TextChoices):
    """How a booking closed (release.Release says more).  A furlough keeps it open."""

    TIME_SERVED = "time_served", "Time served"
    BAIL = "bail", "Bail or bond"
    ACQUITTAL = "acquittal", "Acquittal or dismissal"
    TRANSFER = "transfer", "Transfer"
    ASSIGNMENT = "assignment", "Release to an assignment"
    ESCAPE = "escape", "Escape"
    DEATH = "death", "Death"


class CustodyLevel(models.TextChoices):
    """The current level, written by classification; blank until assessed."""

    MINIMUM = "minimum", "Minimum"
    MEDIUM = "medium", "Medium"
    MAXIMUM = "maximum", "Maximum"
    SPECIAL = "special", "Special management"


class Booking(models.Model):
    public_id = public_id_field()
    booking_number = models.CharField(max_length=32, unique=True)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="bookings")
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(
        max_length=12, choices=BookingStatus.choices, default=BookingStatus.INTAKE
    )
    legal_status = models.CharField(
        max_length=10, choices=LegalStatus.choices, default=LegalStatus.PRETRIAL
    )
    source = models.CharField(max_length=14, choices=BookingSource.choices)
    booked_at = models.DateTimeField()
    in_custody_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_type = models.CharField(max_length=12, choices=ReleaseType.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who ordered the detention: the arresting agency, the issuing court ...
    committing_authority = models.CharField(max_length=200, blank=True)
    # ... and its document: warrant number, court order, transfer order.
    authority_reference = models.CharField(max_length=100, blank=True)
    custody_level = models.CharField(
        max_length=10, choices=CustodyLevel.choices, blank=True, db_index=True
    )
    # The booking's id in the system it was imported from (roster import).
    external_reference = models.CharField(max_length=64, blank=True)

    # Physical description at intake (people change between bookings).
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.PositiveSmallIntegerField(null=True, blank=True)
    build = models.CharField(max_length=40, blank=True)
    eye_colour = models.CharField(max_length=40, blank=True)
    hair_colour = models.CharField(max_length=40, blank=True)
    distinguishing_marks = models.TextField(blank=True)

    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-booked_at"]
        indexes = [models.Index(fields=["facility", "status"], name="booking_facility_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["intake", "in_custody"]),
                name="booking_booking_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="booking_booking_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(legal_status__in=LegalStatus.values),
                name="booking_booking_legal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("booked_at")),
                name="booking_booking_released_after_booked",
            ),
            # A released booking says when and how; an open one says neither.
            models.CheckConstraint(
                condition=(Q(status="released", released_at__isnull=False) & ~Q(release_type=""))
                | (~Q(status="released") & Q(released_at__isnull=True, release_type="")),
                name="booking_booking_release_recorded",
            ),
            models.CheckConstraint(
                condition=Q(custody_level="") | Q(custody_level__in=CustodyLevel.values),
                name="booking_booking_custody_level_valid",
            ),
            # Re-running an import must find the booking it made the first time.
            models.UniqueConstraint(
                fields=["facility", "external_reference"],
                condition=~Q(external_reference=""),
                name="booking_booking_external_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.booking_number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class BookingSequence(models.Model):
    """The last booking number issued per facility and year."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "year"], name="booking_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}/{self.year}: {self.last_number}"


class ChargeSeverity(models.TextChoices):
    FELONY = "felony", "Felony"
    MISDEMEANOUR = "misdemeanour", "Misdemeanour"
    INFRACTION = "infraction", "Infraction"


class Charge(models.Model):
    public_id = public_id_field()
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="charges")
    statute = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    severity = models.CharField(max_length=12, choices=ChargeSeverity.choices)
    # Degree or class within the severity: "A", "first degree", "3".
    charge_class = models.CharField(max_length=20, blank=True)
    counts = models.PositiveSmallIntegerField(default=1)
    case_number = models.CharField(max_length=60, blank=True)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=ChargeSeverity.values),
                name="booking_charge_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(counts__gte=1), name="booking_charge_counts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statute} {self.description}"


class IntakeStepCode(models.TextChoices):
    IDENTITY = "identity", "Identity confirmed"
    CHARGES = "charges", "Charges recorded"
    PROPERTY = "property", "Property inventoried and signed"
    MEDICAL_SCREENING = "medical_screening", "Medical receiving screening"
    CLASSIFICATION = "classification", "Initial classification"
    PREA_SCREENING = "prea_screening", "PREA risk screening"
    HOUSING = "housing", "Housed"


class IntakeStep(models.Model):
    """One step of a booking's intake checklist (booking/checklist.py says which and when)."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="intake_steps")
    step = models.CharField(max_length=20, choices=IntakeStepCode.choices)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["booking", "due_at", "id"]
        indexes = [models.Index(fields=["completed_at", "due_at"], name="booking_step_open_due")]
        constraints = [
            models.UniqueConstraint(fields=["booking", "step"], name="booking_intakestep_once"),
            models.CheckConstraint(
                condition=Q(step__in=IntakeStepCode.values), name="booking_intakestep_step_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.step}"


class PropertyKind(models.TextChoices):
    TAKEN = "taken", "Taken at intake"
    ISSUED = "issued", "Issued by the facility"


class PropertyCondition(models.TextChoices):
    NEW = "new", "New"
    GOOD = "good", "Good"
    WORN = "worn", "Worn"
    DAMAGED = "damaged", "Damaged"


class PropertyItem(models.Model):
    """An item taken from the person at intake, or issued to them by the facility."""

    public_id = public_id_field()
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="property_items")
    kind = models.CharField(max_length=8, choices=PropertyKind.choices)
    description = models.CharField(max_length=300)
    quantity = models.PositiveSmallIntegerField(default=1)
    condition = models.CharField(
        max_length=8, choices=PropertyCondition.choices, default=PropertyCondition.GOOD
    )
    bag_number = models.CharField(max_length=40, blank=True)
    # Cash counted in front of the person; null for anything that is not money.
    cash_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    recorded_at = models.DateTimeField()
    # The recording officer's signature is their account: the audit event proves it.
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PropertyKind.values), name="booking_property_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(condition__in=PropertyCondition.values),
                name="booking_property_condition_valid",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="booking_property_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(cash_amount__isnull=True) | Q(cash_amount__gte=0),
                name="booking_property_cash_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("recorded_at")),
                name="booking_property_returned_after_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"
