"""Inmate requests and grievances: who asked what of whom, its route, its answer, its deadline.

A request is addressed to a role ("the commander", "medical") or to a named
staff member; it must be answered within the policy's days (LASD: 15), and an
unanswered request past that day is escalated to the commander.  Grievances
are the same record with ``kind=grievance`` and appeal levels.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field
from cellblock.core.roles import Role


class RequestKind(models.TextChoices):
    REQUEST = "request", "Request"
    GRIEVANCE = "grievance", "Grievance"


class RequestCategory(models.TextChoices):
    GENERAL = "general", "General"
    SPEAK_TO_STAFF = "speak_to_staff", "Speak with a staff member"
    MEDICAL = "medical", "Medical"
    LEGAL = "legal", "Legal and court"
    VISITS = "visits", "Visits"
    PROPERTY = "property", "Property and money"
    FOOD = "food", "Food and diet"
    HOUSING = "housing", "Housing"
    RELIGION = "religion", "Religion"
    STAFF_CONDUCT = "staff_conduct", "Staff conduct"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    # Filed and waiting for its addressee.
    OPEN = "open", "Open"
    # The addressee has taken it up.
    IN_PROGRESS = "in_progress", "In progress"
    # Answered; a grievance may still be appealed.
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"
    # Taken back by the person who filed it.
    WITHDRAWN = "withdrawn", "Withdrawn"


REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.OPEN: frozenset(
        {RequestStatus.IN_PROGRESS, RequestStatus.ANSWERED, RequestStatus.WITHDRAWN}
    ),
    # Routed elsewhere while taken up: it waits for its new addressee.
    RequestStatus.IN_PROGRESS: frozenset(
        {RequestStatus.OPEN, RequestStatus.ANSWERED, RequestStatus.WITHDRAWN}
    ),
    # An appeal (grievances) opens the next level; otherwise the answer is closed.
    RequestStatus.ANSWERED: frozenset({RequestStatus.OPEN, RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
}

# Statuses that still wait for staff, and so count towards the deadline.
WAITING_STATUSES = frozenset({RequestStatus.OPEN, RequestStatus.IN_PROGRESS})


class FiledVia(models.TextChoices):
    # An officer wrote it down for the person.
    OFFICER = "officer", "Through an officer"
    # The person typed it at the unit's kiosk.
    KIOSK = "kiosk", "At the kiosk"
    PAPER = "paper", "On a paper form"


# Grievance levels: the first goes to the addressee, appeals go up.
GRIEVANCE_LEVELS: dict[int, str] = {
    1: "First level",
    2: "Appeal to the commander",
    3: "Final appeal to the agency",
}


# Who a grievance goes to at each level when no one is named: the first level to
# a supervisor, appeals to the commander (who records the agency's answer at 3).
GRIEVANCE_ADDRESSEES: dict[int, str] = {
    1: Role.SUPERVISOR,
    2: Role.COMMANDER,
    3: Role.COMMANDER,
}

# The roles a request may be addressed to: those that see requests and act on
# them.  The auditor only reads, and administrators see no one in custody.
ADDRESSEE_ROLES: tuple[str, ...] = (
    Role.COMMANDER,
    Role.SUPERVISOR,
    Role.OFFICER,
    Role.MEDICAL,
    Role.VISITS,
    Role.CLASSIFICATION,
    Role.BOOKING,
    Role.COURT,
)


class InmateRequest(models.Model):
    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="inmate_requests"
    )
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="inmate_requests"
    )
    # KON-REQ-2026-0001 or KON-GRV-2026-0001: what staff and the person quote.
    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    category = models.CharField(
        max_length=16, choices=RequestCategory.choices, default=RequestCategory.GENERAL
    )
    subject = models.CharField(max_length=200)
    text = models.TextField()
    # Addressed to a role (everyone holding it at the facility) or to a named staff member.
    addressee_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    addressee = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    # Grievances: 1, then 2 and 3 on appeal.  Requests stay at 1.
    level = models.PositiveSmallIntegerField(default=1)
    filed_via = models.CharField(max_length=8, choices=FiledVia.choices)
    filed_at = models.DateTimeField()
    # The staff member who wrote it down, or whose kiosk session the person used.
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The answer is due by then (policy.request_answer_days from filing or from the appeal).
    due_at = models.DateTimeField()
    # Set when the deadline passed unanswered and the request went up to the commander.
    escalated_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["facility", "status", "due_at"], name="requests_open_due_idx"),
        ]
        constraints = [
            # Addressed to exactly one of: a role, a named staff member.
            models.CheckConstraint(
                condition=(Q(addressee_role="") & Q(addressee__isnull=False))
                | (~Q(addressee_role="") & Q(addressee__isnull=True)),
                name="requests_request_one_addressee",
            ),
            models.CheckConstraint(
                condition=Q(addressee_role="") | Q(addressee_role__in=Role.values),
                name="requests_request_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RequestKind.values), name="requests_request_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="requests_request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=RequestCategory.values),
                name="requests_request_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(filed_via__in=FiledVia.values), name="requests_request_via_valid"
            ),
            # Only grievances have appeal levels.
            models.CheckConstraint(
                condition=Q(level=1) | Q(kind="grievance", level__gte=1, level__lte=3),
                name="requests_request_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("filed_at")),
                name="requests_request_due_after_filed",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class EntryKind(models.TextChoices):
    FILED = "filed", "Filed"
    ROUTED = "routed", "Routed"
    TAKEN_UP = "taken_up", "Taken up"
    NOTE = "note", "Note"
    RESPONSE = "response", "Response"
    ESCALATED = "escalated", "Escalated (overdue)"
    APPEALED = "appealed", "Appealed"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RequestEntry(models.Model):
    """One step in a request's thread: filing, routing, answers, appeals, escalations."""

    request = models.ForeignKey(InmateRequest, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    text = models.TextField(blank=True)
    at = models.DateTimeField()
    # None: the system (an escalation by the sweep).
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The level the entry belongs to, and where the request was sent (routing, escalation).
    level = models.PositiveSmallIntegerField(default=1)
    to_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    to_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["request", "at", "id"]
        verbose_name_plural = "request entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="requests_entry_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.request_id}"
