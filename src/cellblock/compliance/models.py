"""The history of the alert board: when each alert opened and when it cleared.

Alerts themselves are derived from the facts by ``compliance/rules.py`` at the
moment they are asked for; an episode only remembers, for the compliance
report, that an alert was seen open from one time to another.  The sweep
(``compliance_sweep``) writes episodes; nobody types one in.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field


class Severity(models.TextChoices):
    # Act soon: a threshold is near (e.g. day 12 of solitary).
    WARNING = "warning", "Warning"
    # A rule is broken now.
    BREACH = "breach", "Breach"


class AlertEpisode(models.Model):
    public_id = public_id_field()
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    # The rule's code (compliance.rules) and what it is about: "<rule>:<subject key>".
    rule = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=500)
    # The alert's own "since" (from the facts), and the sweeps that saw it open and gone.
    since = models.DateTimeField()
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    # The worst figure seen while open (days in solitary, minutes overdue ...).
    worst_number = models.IntegerField(default=0)
    responsible = models.CharField(max_length=200)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["facility", "opened_at"], name="compliance_episode_opened"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "subject"],
                condition=Q(cleared_at__isnull=True),
                name="compliance_episode_one_open_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=F("opened_at")),
                name="compliance_episode_cleared_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="compliance_episode_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.subject
