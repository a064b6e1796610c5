"""Releases, transfers and temporary absences (furlough, an assignment with a return).

A release is prepared with a checklist (``ReleaseStep``), then completed: the
booking closes with the release's kind, the bed is given up and the count
drops in the same transaction.  A temporary absence does not close the
booking: the person goes out on a movement, keeps their bed and comes back
(or is overdue).  A transfer closes the booking here and opens one at the
receiving facility, whose intake checklist starts.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field


class ReleaseKind(models.TextChoices):
    TIME_SERVED = "time_served", "Time served"
    BAIL = "bail", "Bail or bond"
    ACQUITTAL = "acquittal", "Acquittal or dismissal"
    TRANSFER = "transfer", "Transfer"
    ASSIGNMENT = "assignment", "Release to an assignment"
    FURLOUGH = "furlough", "Furlough"
    ESCAPE = "escape", "Escape"
    DEATH = "death", "Death"


class ReleaseStatus(models.TextChoices):
    # The checklist is being worked through.
    PREPARING = "preparing", "Preparing"
    # Final: the booking is closed.
    COMPLETED = "completed", "Completed"
    # A temporary absence under way (furlough, an assignment with a return).
    AWAY = "away", "Away"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


# A release still in hand: one per booking at a time.
OPEN_RELEASE_STATUSES = (ReleaseStatus.PREPARING, ReleaseStatus.AWAY)


class Release(models.Model):
    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="releases"
    )
    kind = models.CharField(max_length=12, choices=ReleaseKind.choices)
    status = models.CharField(
        max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.PREPARING
    )
    # The authority for it: a court order, a bond receipt, the commander's decision.
    authority = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Release to an assignment: the mission's rank and conditions, and the commander.
    assignment_rank = models.CharField(max_length=60, blank=True)
    conditions = models.CharField(max_length=500, blank=True)
    authorised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A temporary absence: when the person is due back, the movement out, the return.
    expected_return_at = models.DateTimeField(null=True, blank=True)
    movement = models.ForeignKey(
        "custody.Movement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    # A transfer: where to, and the booking opened there.
    to_facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    new_booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The computed release date when the release was completed, and an early release's
    # override (the commander, with a reason).
    release_date_then = models.DateField(null=True, blank=True)
    early_override_reason = models.CharField(max_length=500, blank=True)
    early_override_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status__in=["preparing", "away"]),
                name="release_release_one_open_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReleaseKind.values), name="release_release_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReleaseStatus.values), name="release_release_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="transfer") | Q(to_facility__isnull=False),
                name="release_release_transfer_has_destination",
            ),
            models.CheckConstraint(
                condition=~Q(kind="furlough") | Q(expected_return_at__isnull=False),
                name="release_release_furlough_returns",
            ),
            models.CheckConstraint(
                condition=~Q(kind="assignment")
                | (Q(authorised_by__isnull=False) & ~Q(assignment_rank="")),
                name="release_release_assignment_authorised",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="release_release_completion_dated",
            ),
            models.CheckConstraint(
                condition=Q(early_override_reason="") | Q(early_override_by__isnull=False),
                name="release_release_override_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_temporary(self) -> bool:
        """Furlough, or an assignment the person comes back from: the booking stays open."""
        return self.kind == ReleaseKind.FURLOUGH or (
            self.kind == ReleaseKind.ASSIGNMENT and self.expected_return_at is not None
        )


class ReleaseStepCode(models.TextChoices):
    HOLDS_CLEAR = "holds_clear", "No open holds, warrants or other cases"
    PROPERTY_RETURNED = "property_returned", "Property returned and signed for"
    MONEY_RETURNED = "money_returned", "Money returned"
    MEDICAL_DISCHARGE = "medical_discharge", "Medical discharge note"
    VISITS_CANCELLED = "visits_cancelled", "Upcoming visits cancelled"


class ReleaseStep(models.Model):
    """One step of a release's checklist; the kind of release decides which steps."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(max_length=20, choices=ReleaseStepCode.choices)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What was done, never clinical text: "3 items returned, signed by the person".
    note = models.CharField(max_length=500, blank=True)
    # Money handed over (in the facility's currency), for the money step.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["release", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "step"], name="release_step_once"),
            models.CheckConstraint(
                condition=Q(step__in=ReleaseStepCode.values), name="release_step_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="release_step_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release_id}: {self.step}"
