"""Special-management flags on a custody episode.

The classification instrument, PREA screening and keep-separate orders join
this app later; flags come first because every list of people shows them.
"""

from __future__ import annotations

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
}


class Flag(models.Model):
    """A flag is active from ``set_at`` until it is lifted or its ``until`` passes."""

    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
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
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label}: {self.detail}" if self.detail else label
