"""The shift's daily work: counts, movements, rounds, restraints, doors, posts and meals.

Every record here is a fact with its time and its actor; the compliance board
derives its alerts from these facts and never stores a verdict of its own.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field

# --- Formal counts -----------------------------------------------------------


class CountStatus(models.TextChoices):
    # Sheets are being counted; moves and releases are frozen.
    OPEN = "open", "Open"
    # Every sheet matches or is reconciled; a supervisor cleared it and movement resumes.
    CLEARED = "cleared", "Cleared"
    # Abandoned by a supervisor with a reason (e.g. an emergency lockdown took over).
    CANCELLED = "cancelled", "Cancelled"


COUNT_TRANSITIONS: dict[str, frozenset[str]] = {
    CountStatus.OPEN: frozenset({CountStatus.CLEARED, CountStatus.CANCELLED}),
    CountStatus.CLEARED: frozenset(),
    CountStatus.CANCELLED: frozenset(),
}


class CountMethod(models.TextChoices):
    # Officers walk the unit and count heads.
    HEAD = "head", "Head count"
    # People stay where they are; officers count without disturbing them (e.g. at night).
    SOFT = "soft", "Soft count"
    # Everyone stands at their bed and is identified by name and photo.
    HARD = "hard", "Hard count"


class FormalCount(models.Model):
    """One formal count of a facility: a sheet per unit, cleared by a supervisor."""

    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="formal_counts"
    )
    method = models.CharField(max_length=8, choices=CountMethod.choices)
    status = models.CharField(max_length=10, choices=CountStatus.choices, default=CountStatus.OPEN)
    # The scheduled time it answers (None: an unscheduled count called by a supervisor).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CountStatus.values), name="custody_count_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=CountMethod.values), name="custody_count_method_valid"
            ),
            # One count at a time per facility: the freeze has one owner.
            models.UniqueConstraint(
                fields=["facility"],
                condition=Q(status="open"),
                name="custody_count_one_open_per_facility",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=F("started_at")),
                name="custody_count_cleared_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} of {self.started_at:%Y-%m-%d %H:%M}"


class SheetStatus(models.TextChoices):
    # Waiting for the officer's figure.
    PENDING = "pending", "To count"
    MATCHED = "matched", "Matches"
    # The figure differed: count again.
    RECOUNT = "recount", "Recount"
    # The recount differed too: a supervisor must explain the difference.
    DISCREPANT = "discrepant", "Discrepancy"
    RECONCILED = "reconciled", "Reconciled"


class CountSheet(models.Model):
    """What a unit should hold when the count began, and what the officers counted."""

    public_id = public_id_field()
    count = models.ForeignKey(FormalCount, on_delete=models.PROTECT, related_name="sheets")
    unit = models.ForeignKey("facilities.HousingUnit", on_delete=models.PROTECT, related_name="+")
    # Housed in the unit and in their cells (not out on a movement) at the start.
    expected = models.PositiveIntegerField()
    # Housed in the unit but out of cell or out of the facility at the start.
    expected_out = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=SheetStatus.choices, default=SheetStatus.PENDING
    )
    counted = models.PositiveIntegerField(null=True, blank=True)
    counted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counted_at = models.DateTimeField(null=True, blank=True)
    recounted = models.PositiveIntegerField(null=True, blank=True)
    recounted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recounted_at = models.DateTimeField(null=True, blank=True)
    reconciliation = models.CharField(max_length=1000, blank=True)
    reconciled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["count", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["count", "unit"], name="custody_sheet_unit_once"),
            models.CheckConstraint(
                condition=Q(status__in=SheetStatus.values), name="custody_sheet_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="reconciled") | ~Q(reconciliation=""),
                name="custody_sheet_reconciled_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Sheet {self.unit_id} of count {self.count_id}"


# --- Movements ---------------------------------------------------------------


class MovementKind(models.TextChoices):
    # Still inside the walls: yard, visit room, clinic, programme.
    OUT_OF_CELL = "out_of_cell", "Out of cell"
    # Court, hospital, an assignment outside.
    OUT_OF_FACILITY = "out_of_facility", "Out of facility"


class Destination(models.TextChoices):
    EXERCISE_YARD = "exercise_yard", "Exercise yard"
    VISIT_ROOM = "visit_room", "Visit room"
    MEDICAL = "medical", "Medical"
    PROGRAMME = "programme", "Programme or work"
    COURT = "court", "Court"
    HOSPITAL = "hospital", "Hospital"
    ASSIGNMENT = "assignment", "Assignment"
    # A temporary release on the person's own (release.Release): no escort.
    FURLOUGH = "furlough", "Furlough"
    OTHER = "other", "Other"


# Where a person leaves the facility to go; the rest are inside the walls.
OUTSIDE_DESTINATIONS = frozenset(
    {Destination.COURT, Destination.HOSPITAL, Destination.ASSIGNMENT, Destination.FURLOUGH}
)

# Time at these destinations is spent with other people (Mandela Rule 44's
# "meaningful human contact"): it ends a day of solitary by itself.
CONTACT_DESTINATIONS = frozenset(
    {Destination.VISIT_ROOM, Destination.MEDICAL, Destination.PROGRAMME, Destination.COURT}
)


class Movement(models.Model):
    """A person out of their cell, from leaving until returning (open while not back)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    destination = models.CharField(max_length=16, choices=Destination.choices)
    # The room, courtroom or hospital, in words.
    destination_detail = models.CharField(max_length=200, blank=True)
    escort = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField()
    expected_return_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    # Time with other people (a visit, a clinic, a programme): not solitary.
    meaningful_contact = models.BooleanField(default=False)
    # Recorded during a formal count because it could not wait.
    emergency_reason = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-left_at"]
        indexes = [
            models.Index(fields=["booking", "left_at"], name="custody_movement_booking_left"),
            models.Index(
                fields=["returned_at", "expected_return_at"], name="custody_movement_open"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MovementKind.values), name="custody_movement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(destination__in=Destination.values),
                name="custody_movement_destination_valid",
            ),
            # A person is in one place at a time.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(returned_at__isnull=True),
                name="custody_movement_one_open_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("left_at")),
                name="custody_movement_returned_after_left",
            ),
            models.CheckConstraint(
                condition=Q(expected_return_at__isnull=True)
                | Q(expected_return_at__gt=F("left_at")),
                name="custody_movement_expected_after_left",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} to {self.destination} at {self.left_at:%Y-%m-%d %H:%M}"


# --- Observation rounds ------------------------------------------------------


class CheckStatus(models.TextChoices):
    SEEN_WELL = "seen_well", "Seen, well"
    ASLEEP = "asleep", "Asleep, breathing"
    # Seen, but something needs attention (noted).
    CONCERN = "concern", "Seen, concern noted"
    # Needs help now: the officer calls medical.
    EMERGENCY = "emergency", "Emergency"
    # The person was not where they should be: it starts a search.
    NOT_SEEN = "not_seen", "Not seen"


# A check that proves the person was alive and where they should be.
SEEN_STATUSES = frozenset(
    {CheckStatus.SEEN_WELL, CheckStatus.ASLEEP, CheckStatus.CONCERN, CheckStatus.EMERGENCY}
)


class RoundCheck(models.Model):
    """An officer looked at a person in their cell (a round, or a welfare check inside)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="round_checks"
    )
    cell = models.ForeignKey("facilities.Cell", on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=CheckStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    # Staff went in and spoke with the person (a welfare check): meaningful contact.
    welfare_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["booking", "checked_at"], name="custody_check_booking_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CheckStatus.values), name="custody_check_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.status} at {self.checked_at:%H:%M}"


# --- Restraints --------------------------------------------------------------


class RestraintKind(models.TextChoices):
    HANDCUFFS = "handcuffs", "Handcuffs"
    LEG_IRONS = "leg_irons", "Leg irons"
    CHAINS = "chains", "Chains"
    WRIST_BINDINGS = "wrist_bindings", "Wrist bindings"
    RESTRAINT_CHAIR = "restraint_chair", "Restraint chair"
    CHAKRA_SEAL = "chakra_seal", "Chakra seal"


class RestraintPurpose(models.TextChoices):
    TRANSPORT = "transport", "Transport or escort"
    SAFETY = "safety", "Danger to others"
    SELF_HARM = "self_harm", "Danger to self"
    ESCAPE = "escape", "Prevent escape"
    MEDICAL = "medical", "On medical advice"
    # Recorded only to be refused: restraint is never a punishment (Mandela Rule 43(2)).
    DISCIPLINE = "discipline", "Disciplinary sanction"


class Restraint(models.Model):
    """A restraint on a person, from application until removal (in force while not removed)."""

    public_id = public_id_field()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="restraints"
    )
    kind = models.CharField(max_length=16, choices=RestraintKind.choices)
    purpose = models.CharField(max_length=12, choices=RestraintPurpose.choices)
    reason = models.CharField(max_length=1000)
    applied_at = models.DateTimeField()
    applied_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # A second officer at the application (escorts are done in pairs).
    assisted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    authorised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Beyond the policy's limit (2 h) a supervisor and a medic must both approve.
    extension_supervisor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extension_supervisor_at = models.DateTimeField(null=True, blank=True)
    extension_medic = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extension_medic_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # On whose authority it came off; null on a removed restraint: removed without authority.
    removal_authorised_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_note = models.CharField(max_length=500, blank=True)
    # A supervisor reviewed a removal made without authority (the alert then clears).
    removal_reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at"]
        indexes = [
            models.Index(fields=["removed_at", "applied_at"], name="custody_restraint_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RestraintKind.values), name="custody_restraint_kind_valid"
            ),
            # Mandela Rule 43(2): the last line against restraint as punishment.
            models.CheckConstraint(
                condition=Q(purpose__in=RestraintPurpose.values) & ~Q(purpose="discipline"),
                name="custody_restraint_never_a_punishment",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gte=F("applied_at")),
                name="custody_restraint_removed_after_applied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.booking}"


class RestraintCheck(models.Model):
    """A check of a person in restraints: circulation, breathing, position."""

    restraint = models.ForeignKey(Restraint, on_delete=models.PROTECT, related_name="checks")
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    circulation_ok = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["restraint", "checked_at"], name="custody_rcheck_time"),
        ]

    def __str__(self) -> str:
        return f"Check of {self.restraint_id} at {self.checked_at:%H:%M}"


# --- Zone and cell access ----------------------------------------------------


class ZoneAccess(models.Model):
    """A role that may enter an unrestricted zone without a grant.

    A zone with no rules lets in every custody role; a restricted zone
    (``Zone.restricted``) lets nobody in without a grant, whatever the rules.
    """

    zone = models.ForeignKey("facilities.Zone", on_delete=models.PROTECT, related_name="access")
    role = models.CharField(max_length=20)

    class Meta:
        ordering = ["zone", "role"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "role"], name="custody_zoneaccess_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role} may enter {self.zone_id}"


class EntryGrant(models.Model):
    """A supervisor lets a named staff member into a named cell (or zone) for a time."""

    public_id = public_id_field()
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        "facilities.Cell", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(
        "facilities.Zone", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    granted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="custody_grant_until_after_from"
            ),
            # A grant is for exactly one place: a cell, or a whole zone.
            models.CheckConstraint(
                condition=(Q(cell__isnull=False) & Q(zone__isnull=True))
                | (Q(cell__isnull=True) & Q(zone__isnull=False)),
                name="custody_grant_one_place",
            ),
        ]

    def __str__(self) -> str:
        return f"Grant to {self.staff_id}"


class DoorAction(models.TextChoices):
    UNLOCK = "unlock", "Unlock"
    OPEN = "open", "Open"
    CLOSE = "close", "Close"
    LOCK = "lock", "Lock"


class DoorOutcome(models.TextChoices):
    # Everyone who passed was allowed in (by role or by a grant).
    ALLOWED = "allowed", "Allowed"
    # Refused and nobody went in.
    DENIED = "denied", "Denied"
    # Refused, and someone went in anyway: an incident opens by itself.
    FORCED = "forced", "Denied but forced"


class DoorEvent(models.Model):
    """A door of a cell (or a zone's gate) operated by an officer, and who passed."""

    public_id = public_id_field()
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        "facilities.Cell", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(
        "facilities.Zone", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=8, choices=DoorAction.choices)
    outcome = models.CharField(max_length=8, choices=DoorOutcome.choices)
    at = models.DateTimeField()
    operated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    staff_passed = models.ManyToManyField("accounts.User", blank=True, related_name="+")
    people_passed = models.ManyToManyField("booking.Booking", blank=True, related_name="+")
    grant = models.ForeignKey(
        EntryGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="door_events"
    )
    note = models.CharField(max_length=1000, blank=True)
    # The incident a forced entry opened.
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DoorAction.values), name="custody_door_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=DoorOutcome.values), name="custody_door_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(cell__isnull=False) | Q(zone__isnull=False),
                name="custody_door_has_a_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome} at {self.at:%Y-%m-%d %H:%M}"


# --- Guard posts -------------------------------------------------------------


class PostAssignment(models.Model):
    """An officer on a guard post for one shift of one day (facility-local date)."""

    public_id = public_id_field()
    post = models.ForeignKey(
        "facilities.GuardPost", on_delete=models.PROTECT, related_name="assignments"
    )
    officer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    shift_date = models.DateField()
    # Index into the facility's shift starts (policy.shift_starts): 0 is the first shift.
    shift = models.PositiveSmallIntegerField()
    assigned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField()
    # Taken off the post before the shift ended (sick, called elsewhere).
    relieved_at = models.DateTimeField(null=True, blank=True)
    relieved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["shift_date", "shift", "post"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "officer", "shift_date", "shift"],
                condition=Q(relieved_at__isnull=True),
                name="custody_postassignment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} on {self.post_id} {self.shift_date} shift {self.shift}"


# --- Meals -------------------------------------------------------------------


class MealOutcome(models.TextChoices):
    SERVED = "served", "Served and taken"
    REFUSED = "refused", "Refused"
    # Not given or not taken for another reason (asleep, out at court, forgotten).
    MISSED = "missed", "Missed"
    # Ate food brought from outside (who brought what is recorded).
    OUTSIDE_FOOD = "outside_food", "Outside food"


# Outcomes in which the person went without food.
WENT_WITHOUT = frozenset({MealOutcome.REFUSED, MealOutcome.MISSED})


class MealRecord(models.Model):
    """One meal of one person: served, refused, missed, or food brought from outside."""

    public_id = public_id_field()
    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="meals")
    # Facility-local date and the meal's index in policy.meal_times (0: breakfast).
    meal_date = models.DateField()
    meal = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=12, choices=MealOutcome.choices)
    # Outside food: who brought it and what it was.
    brought_by = models.CharField(max_length=200, blank=True)
    item = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-meal_date", "-meal"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "meal_date", "meal"], name="custody_meal_once"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=MealOutcome.values), name="custody_meal_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="outside_food") | (~Q(brought_by="") & ~Q(item="")),
                name="custody_meal_outside_food_says_who_and_what",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} meal {self.meal} of {self.meal_date}: {self.outcome}"
