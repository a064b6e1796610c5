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
    # Who placed them; and when the commander housed them against a hard rule, why and
    # which rules (their codes): the placement stays on the alert board until it is lawful.
    assigned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(max_length=500, blank=True)
    overridden_rules = models.JSONField(default=list, blank=True)

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


class MoveRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a supervisor"
    APPROVED = "approved", "Approved and moved"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class MoveRequest(models.Model):
    """An officer's move, waiting for a supervisor (unless policy lets officers move)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="move_requests"
    )
    from_bed = models.ForeignKey(
        "facilities.Bed", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_bed = models.ForeignKey("facilities.Bed", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=MoveRequestStatus.choices, default=MoveRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status="pending"),
                name="housing_moverequest_one_pending_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MoveRequestStatus.values),
                name="housing_moverequest_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | Q(decided_at__gte=F("requested_at")),
                name="housing_moverequest_decided_after_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} to {self.to_bed_id} ({self.status})"


class ProposalMode(models.TextChoices):
    COLD_START = "cold_start", "Cold start: place everyone"
    DAILY = "daily", "Daily: new bookings, releases, reclassifications"
    CLOSURE = "closure", "Closure of a unit or facility"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for review"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


class HousingProposal(models.Model):
    """A housing engine run, stored for a supervisor to review and apply."""

    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="housing_proposals"
    )
    mode = models.CharField(max_length=12, choices=ProposalMode.choices)
    # Units or the facility being closed (their public ids), for a closure run.
    closing = models.JSONField(default=list, blank=True)
    seed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    # The engine's answer: its objective, the proven lower bound and the gap between them.
    objective = models.BigIntegerField()
    lower_bound = models.BigIntegerField()
    gap = models.FloatField()
    solver_status = models.CharField(max_length=20)
    # Counts and timings of the run (people, beds, moves, unplaced, seconds ...).
    stats = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why it was discarded (a proposal applied needs no note: its moves say what happened).
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values),
                name="housing_housingproposal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(lower_bound__lte=F("objective")),
                name="housing_housingproposal_bound_below_objective",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} proposal {self.public_id}"


class ProposedMove(models.Model):
    """One person's line in a proposal: a new bed, or unplaced with the reason."""

    proposal = models.ForeignKey(HousingProposal, on_delete=models.CASCADE, related_name="moves")
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    from_bed = models.ForeignKey(
        "facilities.Bed", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Null: the engine found no lawful bed; ``explanation`` says why.
    to_bed = models.ForeignKey(
        "facilities.Bed", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cost = models.IntegerField(default=0)
    # Why this bed and which alternatives lost (engine.Explanation as JSON).
    explanation = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # What happened on apply: "moved", or why it was skipped (the bed was taken meanwhile ...).
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "booking"], name="housing_proposedmove_once_per_booking"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.from_bed_id} -> {self.to_bed_id}"
