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
    TIME_SERVED = "time_served", "Time served"
    BAIL = "bail", "Bail or bond"
    ACQUITTAL = "acquittal", "Acquittal or dismissal"
    TRANSFER = "transfer", "Transfer"
    ASSIGNMENT = "assignment", "Release to an assignment"
    FURLOUGH = "furlough", "Furlough"
    ESCAPE = "escape", "Escape"
    DEATH = "death", "Death"


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

    class Meta:
        ordering = ["-booked_at"]
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
