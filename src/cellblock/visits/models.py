"""Visits: the visitor registry, visiting lists, rooms, the schedule and visit day.

A visit is where the outside meets the inside.  Every refusal rule lives in
``visits/rules.py``; a commander's one-time override of those rules is stored
on the visit it covers (``VisitOverride``) and nowhere else.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field
from cellblock.people.models import IdentifierKind

# --- Visitors ----------------------------------------------------------------


class VisitorStatus(models.TextChoices):
    # Registered; identity or background not yet decided.
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class Visitor(models.Model):
    """A person from outside registered to visit at one facility."""

    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="visitors"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="visitor_records"
    )
    status = models.CharField(
        max_length=10, choices=VisitorStatus.choices, default=VisitorStatus.PENDING
    )
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    # The identity document last checked, by whom and when.
    id_kind = models.CharField(max_length=20, choices=IdentifierKind.choices, blank=True)
    id_number = models.CharField(max_length=64, blank=True)
    id_checked_at = models.DateTimeField(null=True, blank=True)
    id_checked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The approval decision (approved or denied), by whom, when and why.
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["person__family_name", "person__given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "person"], name="visits_visitor_once_per_facility"
            ),
            models.CheckConstraint(
                condition=Q(status__in=VisitorStatus.values), name="visits_visitor_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(id_kind="") | Q(id_kind__in=IdentifierKind.values),
                name="visits_visitor_id_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)


class GuardianRole(models.TextChoices):
    PARENT = "parent", "Parent"
    LEGAL_GUARDIAN = "legal_guardian", "Legal guardian"


class Guardianship(models.Model):
    """``guardian`` may bring ``minor`` to a visit (minors visit only with one)."""

    minor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="guardianships")
    guardian = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="wards")
    role = models.CharField(max_length=16, choices=GuardianRole.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["minor", "guardian"]
        constraints = [
            models.UniqueConstraint(fields=["minor", "guardian"], name="visits_guardian_once"),
            models.CheckConstraint(
                condition=~Q(minor=F("guardian")), name="visits_guardian_not_self"
            ),
            models.CheckConstraint(
                condition=Q(role__in=GuardianRole.values), name="visits_guardian_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} for {self.minor_id}"


class VisitorBan(models.Model):
    """A visitor barred from the facility, with a reason, until it expires or is lifted."""

    public_id = public_id_field()
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="bans")
    reason = models.CharField(max_length=500)
    starts_at = models.DateTimeField()
    # None: until lifted.
    expires_at = models.DateTimeField(null=True, blank=True)
    imposed_at = models.DateTimeField()
    imposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("starts_at")),
                name="visits_ban_expires_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="visits_ban_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"Ban of {self.visitor_id} from {self.starts_at:%Y-%m-%d}"

    def in_force_at(self, moment: dt.datetime) -> bool:
        if self.lifted_at is not None and self.lifted_at <= moment:
            return False
        if self.expires_at is not None and self.expires_at <= moment:
            return False
        return self.starts_at <= moment


# --- Visiting lists ------------------------------------------------------------


class Relationship(models.TextChoices):
    PARENT = "parent", "Parent"
    GUARDIAN = "guardian", "Guardian"
    SPOUSE = "spouse", "Spouse or partner"
    CHILD = "child", "Child"
    SIBLING = "sibling", "Sibling"
    RELATIVE = "relative", "Other relative"
    FRIEND = "friend", "Friend"
    COLLEAGUE = "colleague", "Colleague"
    ATTORNEY = "attorney", "Attorney"
    CLERGY = "clergy", "Clergy"
    OFFICIAL = "official", "Official"
    OTHER = "other", "Other"


class ListEntryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REMOVED = "removed", "Removed"


class VisitingListEntry(models.Model):
    """One visitor on the visiting list of one booking."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="visiting_list"
    )
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="list_entries")
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    status = models.CharField(
        max_length=8, choices=ListEntryStatus.choices, default=ListEntryStatus.PENDING
    )
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    remove_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["booking", "visitor"]
        verbose_name_plural = "visiting list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "visitor"],
                condition=~Q(status="removed"),
                name="visits_list_entry_once_while_listed",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ListEntryStatus.values),
                name="visits_list_entry_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values),
                name="visits_list_entry_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} on the list of {self.booking_id}"


# --- Rooms -------------------------------------------------------------------------


class RoomKind(models.TextChoices):
    CONTACT = "contact", "Contact (tables)"
    NON_CONTACT = "non_contact", "Non-contact (booths behind glass)"
    LEGAL = "legal", "Legal (private, for counsel and officials)"


class VisitRoom(models.Model):
    """A visit room or a row of booths: ``capacity`` visits at once, within its hours."""

    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="visit_rooms"
    )
    zone = models.ForeignKey(
        "facilities.Zone", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=RoomKind.choices)
    # Visits at once: tables in a contact room, booths in a non-contact row.
    capacity = models.PositiveSmallIntegerField(default=1)
    # Local opening hours; every visit in the room fits inside them.
    opens_at = models.TimeField(default=dt.time(8, 0))
    closes_at = models.TimeField(default=dt.time(20, 0))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="visits_room_code_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="visits_room_has_capacity"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="visits_room_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RoomKind.values), name="visits_room_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Visits --------------------------------------------------------------------------


class VisitKind(models.TextChoices):
    CONTACT = "contact", "Contact"
    NON_CONTACT = "non_contact", "Non-contact"
    # In the person's own cell: needs a supervisor's or the commander's authorisation.
    IN_CELL = "in_cell", "In cell (authorised)"
    LEGAL = "legal", "Legal"
    OFFICIAL = "official", "Official"


# Legal and official visits do not count against, nor are held to, the visit limits.
UNLIMITED_KINDS = frozenset({VisitKind.LEGAL, VisitKind.OFFICIAL})

# Which room a visit of each kind takes (in-cell visits take the person's cell).
ROOM_KIND_FOR_VISIT: dict[str, str] = {
    VisitKind.CONTACT: RoomKind.CONTACT,
    VisitKind.NON_CONTACT: RoomKind.NON_CONTACT,
    VisitKind.LEGAL: RoomKind.LEGAL,
    VisitKind.OFFICIAL: RoomKind.LEGAL,
}


class VisitStatus(models.TextChoices):
    # An in-cell visit waiting for a supervisor's authorisation.
    REQUESTED = "requested", "Awaiting authorisation"
    SCHEDULED = "scheduled", "Scheduled"
    # Visitors identified and screened at the front desk.
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROGRESS = "in_progress", "In progress"
    # The visit is over; visitors are still inside.
    ENDED = "ended", "Ended"
    # Visitors have left.
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"


VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    VisitStatus.REQUESTED: frozenset({VisitStatus.SCHEDULED, VisitStatus.CANCELLED}),
    VisitStatus.SCHEDULED: frozenset(
        {VisitStatus.CHECKED_IN, VisitStatus.CANCELLED, VisitStatus.NO_SHOW}
    ),
    # Refused at the door (a ban, a new order): cancelled with the reason.
    VisitStatus.CHECKED_IN: frozenset({VisitStatus.IN_PROGRESS, VisitStatus.CANCELLED}),
    VisitStatus.IN_PROGRESS: frozenset({VisitStatus.ENDED}),
    VisitStatus.ENDED: frozenset({VisitStatus.COMPLETED}),
    VisitStatus.COMPLETED: frozenset(),
    VisitStatus.CANCELLED: frozenset(),
    VisitStatus.NO_SHOW: frozenset(),
}

# Visits that hold their slot (count against limits and room capacity).
BOOKED_STATUSES = frozenset(
    {
        VisitStatus.REQUESTED,
        VisitStatus.SCHEDULED,
        VisitStatus.CHECKED_IN,
        VisitStatus.IN_PROGRESS,
        VisitStatus.ENDED,
        VisitStatus.COMPLETED,
    }
)


class Visit(models.Model):
    """One visit to one person in custody: its place, its slot and its day."""

    public_id = public_id_field()
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(max_length=12, choices=VisitKind.choices)
    status = models.CharField(
        max_length=12, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    room = models.ForeignKey(
        VisitRoom, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    # In-cell visits: the cell the person is housed in when the visit is booked.
    cell = models.ForeignKey(
        "facilities.Cell", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The slot: its end is its start plus the length booked.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    notes = models.CharField(max_length=1000, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # In-cell visits: the supervisor or commander who authorised it.
    authorised_at = models.DateTimeField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # The officer who escorts the person and supervises the visit.
    escort = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The walk to the visit room and back (None for in-cell visits).
    movement = models.ForeignKey(
        "custody.Movement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The cell door opened and closed for an in-cell visit.
    door_events = models.ManyToManyField("custody.DoorEvent", blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checked_out_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["facility", "starts_at"], name="visits_visit_day_idx"),
            models.Index(fields=["booking", "starts_at"], name="visits_visit_booking_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="visits_visit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=VisitKind.values), name="visits_visit_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="visits_visit_ends_after_start"
            ),
            # A room, or for an in-cell visit the cell: never both, never neither.
            models.CheckConstraint(
                condition=Q(kind="in_cell", room__isnull=True, cell__isnull=False)
                | (~Q(kind="in_cell") & Q(room__isnull=False, cell__isnull=True)),
                name="visits_visit_room_or_cell",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(started_at__isnull=False, ended_at__gte=F("started_at")),
                name="visits_visit_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.public_id}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def due_end_at(self) -> dt.datetime | None:
        """When the visit must end: its length counted from when it really started."""
        if self.started_at is None:
            return None
        return self.started_at + (self.ends_at - self.starts_at)


class VisitParticipant(models.Model):
    """A visitor on a visit, with the identity check made at the front desk."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="participants")
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="visits")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    id_seen_kind = models.CharField(max_length=20, choices=IdentifierKind.choices, blank=True)
    id_seen_number = models.CharField(max_length=64, blank=True)
    id_checked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["visit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "visitor"], name="visits_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} on {self.visit_id}"


class ItemOutcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed in"
    # Handed back to the visitor at the desk.
    REFUSED = "refused", "Refused (returned to the visitor)"
    # Kept by the facility (contraband, evidence).
    CONFISCATED = "confiscated", "Confiscated"


class VisitItem(models.Model):
    """Something a visitor brought, screened at the desk, and what became of it."""

    public_id = public_id_field()
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="items")
    visitor = models.ForeignKey(
        Visitor, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=300)
    outcome = models.CharField(max_length=12, choices=ItemOutcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visit", "screened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ItemOutcome.values), name="visits_item_outcome_valid"
            ),
            # Refusing or confiscating something needs a reason on the record.
            models.CheckConstraint(
                condition=Q(outcome="allowed") | ~Q(reason=""),
                name="visits_item_refusal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.outcome})"


class VisitOverride(models.Model):
    """The commander's one-time leave for one visit to go ahead despite named rules."""

    public_id = public_id_field()
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="override")
    # The rule codes (visits/rules.py) this override excuses, and their messages when given.
    rules = models.JSONField(default=list)
    messages = models.JSONField(default=list)
    reason = models.CharField(max_length=1000)
    # What the visit is allowed on: "he accepted an assignment", "an officer stays at the door".
    conditions = models.CharField(max_length=1000)
    authorised_at = models.DateTimeField()
    authorised_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-authorised_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="visits_override_has_a_reason"),
            models.CheckConstraint(
                condition=~Q(conditions=""), name="visits_override_has_conditions"
            ),
        ]

    def __str__(self) -> str:
        return f"Override of {', '.join(self.rules)}"


class VisitSuspension(models.Model):
    """Visits suspended for a person in custody, as a sanction, for a time."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="visit_suspensions"
    )
    reason = models.CharField(max_length=500)
    # The incident the sanction follows, when there is one.
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    # Legal and official visits go ahead during a sanction unless this is set.
    includes_legal = models.BooleanField(default=False)
    imposed_at = models.DateTimeField()
    imposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("starts_at")),
                name="visits_suspension_expires_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="visits_suspension_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"Visits suspended for {self.booking_id} from {self.starts_at:%Y-%m-%d}"

    def in_force_at(self, moment: dt.datetime) -> bool:
        if self.lifted_at is not None and self.lifted_at <= moment:
            return False
        if self.expires_at is not None and self.expires_at <= moment:
            return False
        return self.starts_at <= moment
