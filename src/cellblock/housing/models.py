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


class HousingReview(models.Model):
    """A housing alert: a current placement breaks a rule, and the person waits to be moved.

    Raised when a new order or flag (or a change to the cell) makes a placement
    unlawful; the open reviews are the housing engine's queue.  A review is
    resolved when the placement no longer breaks the rule (a move, the order
    ended), never by simply dismissing it.
    """

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="housing_reviews"
    )
    # The rule broken (housing.rules codes) and what about: "keep_separate:<order>:<booking>".
    code = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    message = models.CharField(max_length=500)
    # What made the check run: "keep-separate order recorded", "flag containment set" ...
    cause = models.CharField(max_length=200)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "subject"],
                condition=Q(resolved_at__isnull=True),
                name="housing_housingreview_once_while_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("raised_at")),
                name="housing_housingreview_resolved_after_raised",
            ),
        ]

    def __str__(self) -> str:
        return self.message
