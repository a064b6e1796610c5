"""Who sleeps where: bed assignments over time."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field


class BedAssignment(models.Model):
    """``booking`` held in ``bed`` from ``started_at`` until ``ended_at`` (open while null)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="bed_assignments"
    )
    bed = models.ForeignKey("facilities.Bed", on_delete=models.PROTECT, related_name="assignments")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(ended_at__isnull=True),
                name="housing_bedassignment_one_active_per_booking",
            ),
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(ended_at__isnull=True),
                name="housing_bedassignment_one_occupant_per_bed",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="housing_bedassignment_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} in {self.bed_id}"
