"""Persons: people in custody, visitors, victims, and staff as persons."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class Person(models.Model):
    public_id = public_id_field()
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    # ``names.name_key`` of the names, kept in step by the services: what the
    # duplicate check and the search compare.
    given_key = models.CharField(max_length=100, db_index=True, default="", editable=False)
    family_key = models.CharField(max_length=100, db_index=True, default="", editable=False)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="people_person_sex_valid"),
            models.CheckConstraint(
                condition=~Q(given_name="") | ~Q(family_name=""),
                name="people_person_has_a_name",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class IdentifierKind(models.TextChoices):
    STATE_ID = "state_id", "State identification number"
    FBI = "fbi", "FBI number"
    PASSPORT = "passport", "Passport"
    DRIVING_LICENCE = "driving_licence", "Driving licence"
    VILLAGE_REGISTRY = "village_registry", "Village registry"
    OTHER = "other", "Other"


class PersonIdentifier(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(max_length=64)
    # ``names.identifier_key`` of the value: "AB-123" and "ab 123" are one document.
    value_key = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            # The same document number cannot belong to two people.
            models.UniqueConstraint(fields=["kind", "value_key"], name="people_identifier_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=IdentifierKind.values), name="people_identifier_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class PhotoFormat(models.TextChoices):
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"


class PersonPhoto(models.Model):
    """A booking photo.  Files are named by their SHA-256, so a file never changes."""

    public_id = public_id_field()
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="photos")
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=16, choices=PhotoFormat.choices)
    byte_size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    image = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200)
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "sha256"], name="people_photo_once_per_person"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=PhotoFormat.values),
                name="people_photo_format_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"photo {self.sha256[:12]} of {self.person_id}"
