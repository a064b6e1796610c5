"""Incident reports: what happened, where, to whom, and what follows (first version)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field


class IncidentKind(models.TextChoices):
    PROPERTY_DAMAGE = "property_damage", "Damage to a cell or property"
    ASSAULT = "assault", "Assault"
    USE_OF_FORCE = "use_of_force", "Use of force"
    SELF_HARM = "self_harm", "Self-harm"
    MEDICAL_EMERGENCY = "medical_emergency", "Medical emergency"
    ESCAPE_ATTEMPT = "escape_attempt", "Escape attempt"
    CONTRABAND = "contraband", "Contraband"
    # Opened by the system: someone entered where they had no grant.
    FORCED_ENTRY = "forced_entry", "Unauthorised entry"
    # Opened by the system: restraints taken off without anyone's authority.
    UNAUTHORISED_RESTRAINT_REMOVAL = (
        "restraint_removal",
        "Restraint removed without authority",
    )
    OTHER = "other", "Other"


# Kinds only the system opens (from a door event or a restraint removal).
AUTOMATIC_KINDS = frozenset(
    {IncidentKind.FORCED_ENTRY, IncidentKind.UNAUTHORISED_RESTRAINT_REMOVAL}
)


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    CLOSED = "closed", "Closed"


INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.UNDER_REVIEW, IncidentStatus.CLOSED}),
    IncidentStatus.UNDER_REVIEW: frozenset({IncidentStatus.OPEN, IncidentStatus.CLOSED}),
    # Reopened when new facts come to light.
    IncidentStatus.CLOSED: frozenset({IncidentStatus.UNDER_REVIEW}),
}


class IncidentOrigin(models.TextChoices):
    STAFF = "staff", "Reported by staff"
    AUTOMATIC = "automatic", "Opened by the system"


class Incident(models.Model):
    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="incidents"
    )
    # KON-INC-2026-0001: what staff say on the radio and write on forms.
    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=20, choices=IncidentKind.choices)
    status = models.CharField(
        max_length=14, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    origin = models.CharField(
        max_length=10, choices=IncidentOrigin.choices, default=IncidentOrigin.STAFF
    )
    occurred_at = models.DateTimeField()
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cell = models.ForeignKey(
        "facilities.Cell", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(
        "facilities.Zone", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Where, in words, when it is not a cell (the yard, the corridor by the showers).
    place = models.CharField(max_length=200, blank=True)
    narrative = models.TextField()
    people = models.ManyToManyField("booking.Booking", blank=True, related_name="incidents")
    staff = models.ManyToManyField("accounts.User", blank=True, related_name="+")
    # Damage: the cell feature it broke (tag), and whether the cell went out of service.
    damaged_feature = models.CharField(max_length=40, blank=True)
    cell_taken_out_of_service = models.BooleanField(default=False)
    # The commander (or a supervisor) looked at it; automatic incidents alert until then.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=IncidentKind.values), name="incidents_incident_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values),
                name="incidents_incident_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""),
                name="incidents_incident_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class IncidentNote(models.Model):
    """Follow-up on an incident: what was done, by whom, when (append-only)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notes")
    written_at = models.DateTimeField()
    written_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    # The status the note moved the incident to, if it did.
    status_to = models.CharField(max_length=14, blank=True)

    class Meta:
        ordering = ["written_at"]

    def __str__(self) -> str:
        return f"Note on {self.incident_id} at {self.written_at:%Y-%m-%d %H:%M}"
