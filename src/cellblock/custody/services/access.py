"""Who may go where: zone rules by role, time-boxed entry grants, door events, cell condition.

The rule, in full:

- a grant in force for the cell (or for its zone) lets its holder in, anywhere;
- a restricted zone (``Zone.restricted``) lets nobody else in, whatever their
  role: entering it, or any cell in it, needs a grant for that cell or zone;
- an unrestricted zone lets in the roles its ``ZoneAccess`` rows name, or,
  when it has none, every role whose work takes them into cells
  (``FLOOR_ROLES``); its cells follow the zone.

A door opened or unlocked for someone without access is refused (403
``no_entry_grant``) and the refusal is logged as a denied door event.  If
they go in anyway the officer records the event as forced: it is stored as
"denied but forced", an incident opens by itself and stays on the commander's
alert board until reviewed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.db import transaction
from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.audit.models import Outcome
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm, Role
from cellblock.custody.models import DoorAction, DoorEvent, DoorOutcome, EntryGrant, ZoneAccess
from cellblock.facilities.models import Cell, CellFeature, Facility, FeatureStatus, Zone
from cellblock.facilities.services import cell_feature_set
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin

# Roles whose work takes them into cells: an unrestricted zone without rules lets them in.
# Clerks, court staff, auditors and administrators go in on a grant.
FLOOR_ROLES = frozenset({Role.COMMANDER, Role.SUPERVISOR, Role.OFFICER, Role.MEDICAL})
# A grant is for a visit, a shift at most: longer access is a zone rule.
GRANT_MAX_HOURS = 24
# Door actions that let someone in, so each entrant is checked.
ENTERING = frozenset({DoorAction.OPEN, DoorAction.UNLOCK})

GRANT_DENIED = "Issuing entry grants at {facility} needs a supervisor or the commander."
DOOR_DENIED = "Recording door events at {facility} needs an officer, a supervisor or the commander."
CONDITION_DENIED = (
    "Reporting a cell's condition at {facility} needs an officer, a supervisor or the commander."
)
CONFIGURE_DENIED = (
    "Setting who may enter a zone at {facility} needs the administrator or commander."
)
ONE_PLACE = "name one place: a cell or a zone."
NOT_HERE = "is not part of {facility}."
STAFF_NOT_HERE = "{who} holds no role at {facility}."
REASON_REQUIRED = "is required: say why entry is needed."
UNTIL_AFTER_FROM = "must be after valid_from."
UNTIL_PAST = "must be in the future."
TOO_LONG = f"must be at most {GRANT_MAX_HOURS} hours after valid_from."
ALREADY_REVOKED = "This grant was revoked at {when} by {who}."
IN_THE_FUTURE = "cannot be in the future."
NOT_AN_ACTION = "'{value}' is not a door action; choose one of {choices}."
NOT_A_ROLE = "'{value}' is not a role; choose among {choices}."
PERSON_NOT_HERE = "{number} is not held at {facility}."
FORCED_NOTE_REQUIRED = (
    "is required for a forced entry: say who went in, over whose protest, and why."
)
NO_ENTRY_GRANT = (
    "{who} may not enter {place}: {reasons} Nobody went in; if they did anyway, record it "
    "as forced."
)
NOT_A_STATUS = "'{value}' is not a status; choose working or compromised."
COMPROMISED_NOTE = "is required when a feature is compromised: say what is wrong."
FORCED_NARRATIVE = (
    "Unauthorised entry: {who} entered {place} without an entry grant; {operator} recorded the "
    "door ({action}) as forced."
)

# Reasons given by may_enter.
BY_GRANT = "grant from {by} until {until}"
RESTRICTED = "{zone} is a restricted zone: entry needs a grant for the zone or the cell."
ROLE_ALLOWED = "the {role} role may enter {zone}"
ROLE_REFUSED = "{zone} admits {roles}; {who} holds {held}."
NO_ROLE = "{who} holds no role at {facility}."


@dataclass(frozen=True)
class Place:
    """A cell, or a whole zone, with the zone either way."""

    zone: Zone
    cell: Cell | None = None

    @property
    def label(self) -> str:
        if self.cell is not None:
            return f"cell {self.cell.code} ({self.zone.name})"
        return str(self.zone.name)

    @property
    def facility_id(self) -> int:
        return self.zone.facility_id


def _place(cell: Cell | None, zone: Zone | None) -> Place:
    if (cell is None) == (zone is None):
        raise ValidationFailed.for_fields({"place": [ONE_PLACE]})
    if cell is not None:
        return Place(zone=cell.unit.zone, cell=cell)
    return Place(zone=cast(Zone, zone))


def _moment(at: dt.datetime | None, field: str = "at") -> dt.datetime:
    now = clock.now()
    if at is None:
        return now
    if at > now:
        raise ValidationFailed.for_fields({field: [IN_THE_FUTURE]})
    return at


def _local(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def _require(actor: User, facility: Facility, perm: Perm, message: str) -> None:
    if perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(message.format(facility=facility.name), code="missing_role")


def grants_in_force_q(at: dt.datetime) -> Q:
    return Q(valid_from__lte=at, valid_until__gt=at) & (
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
    )


# --- Zone rules ------------------------------------------------------------------------


def zone_access_set(*, actor: User | None, zone: Zone, roles: Iterable[str]) -> list[str]:
    """Name the roles that may enter an unrestricted zone (none: every floor role)."""
    facility = zone.facility
    if actor is not None:
        _require(actor, facility, Perm.FACILITY_CONFIGURE, CONFIGURE_DENIED)
    wanted = sorted(set(roles))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise ValidationFailed.for_fields(
            {"roles": [NOT_A_ROLE.format(value=r, choices=", ".join(Role.values)) for r in unknown]}
        )
    with transaction.atomic():
        before = sorted(ZoneAccess.objects.filter(zone=zone).values_list("role", flat=True))
        ZoneAccess.objects.filter(zone=zone).exclude(role__in=wanted).delete()
        ZoneAccess.objects.bulk_create(
            [ZoneAccess(zone=zone, role=role) for role in wanted if role not in before]
        )
        audit_record(
            actor=actor, action="zone.access_set", obj=zone, facility=facility,
            changes={"roles": [before, wanted]},
        )  # fmt: skip
    return wanted


# --- Grants ----------------------------------------------------------------------------


def entry_grant_issue(
    *,
    actor: User,
    staff: User,
    cell: Cell | None = None,
    zone: Zone | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime,
    reason: str,
) -> EntryGrant:
    """Let ``staff`` into one cell or zone from ``valid_from`` (now) until ``valid_until``."""
    place = _place(cell, zone)
    facility = place.zone.facility
    _require(actor, facility, Perm.ENTRY_GRANT, GRANT_DENIED)
    now = clock.now()
    valid_from = valid_from or now
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not staff.roles_at(facility.pk):
        errors["staff"] = [STAFF_NOT_HERE.format(who=staff, facility=facility.name)]
    if not reason:
        errors["reason"] = [REASON_REQUIRED]
    if valid_until <= valid_from:
        errors["valid_until"] = [UNTIL_AFTER_FROM]
    elif valid_until <= now:
        errors["valid_until"] = [UNTIL_PAST]
    elif valid_until - valid_from > dt.timedelta(hours=GRANT_MAX_HOURS):
        errors["valid_until"] = [TOO_LONG]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        grant = EntryGrant.objects.create(
            facility=facility, staff=staff, cell=place.cell,
            zone=None if place.cell is not None else place.zone, reason=reason,
            valid_from=valid_from, valid_until=valid_until, granted_by=actor, granted_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action="entry_grant.issue", obj=grant, facility=facility, reason=reason,
            object_label=f"{staff.get_username()} into {place.label}",
            changes={
                "staff": staff.get_username(), "place": place.label,
                "valid_from": valid_from, "valid_until": valid_until,
            },
        )  # fmt: skip
    return grant


def entry_grant_revoke(*, actor: User, grant: EntryGrant, reason: str = "") -> EntryGrant:
    """End a grant now; door events already recorded keep it."""
    facility = grant.facility
    _require(actor, facility, Perm.ENTRY_GRANT, GRANT_DENIED)
    with transaction.atomic():
        locked = (
            EntryGrant.objects.select_for_update(of=("self",))
            .select_related("revoked_by", "staff", "facility")
            .get(pk=grant.pk)
        )
        if locked.revoked_at is not None:
            raise Conflict(
                ALREADY_REVOKED.format(
                    when=_local(locked.revoked_at, facility), who=locked.revoked_by
                ),
                code="already_revoked",
            )
        locked.revoked_at, locked.revoked_by = clock.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor, action="entry_grant.revoke", obj=locked, facility=facility,
            reason=reason.strip(), object_label=f"grant to {locked.staff.get_username()}",
        )  # fmt: skip
    return locked


# --- Who may enter ---------------------------------------------------------------------


def _grant_for(staff: User, place: Place, at: dt.datetime) -> EntryGrant | None:
    """A grant in force at ``at`` covering ``place``.

    A cell is covered by a grant for it or for its zone; a zone's gate by a
    grant for the zone or for any cell in it (the way to that cell).
    """
    if place.cell is not None:
        covers = Q(cell=place.cell) | Q(zone=place.zone)
    else:
        covers = Q(zone=place.zone) | Q(cell__unit__zone=place.zone)
    return (
        EntryGrant.objects.filter(grants_in_force_q(at), covers, staff=staff)
        .select_related("granted_by")
        .order_by("valid_until")
        .first()
    )


def may_enter(
    staff: User, *, cell: Cell | None = None, zone: Zone | None = None, at: dt.datetime
) -> tuple[bool, EntryGrant | None, str]:
    """May ``staff`` enter the cell (or zone) at ``at``?  (allowed, the grant used, why)."""
    return _may_enter(staff, _place(cell, zone), at)


def _may_enter(staff: User, place: Place, at: dt.datetime) -> tuple[bool, EntryGrant | None, str]:
    facility = place.zone.facility
    grant = _grant_for(staff, place, at)
    if grant is not None:
        return (
            True,
            grant,
            BY_GRANT.format(by=grant.granted_by, until=_local(grant.valid_until, facility)),
        )
    if place.zone.restricted:
        return False, None, RESTRICTED.format(zone=place.zone.name)
    held = staff.roles_at(facility.pk)
    if not held:
        return False, None, NO_ROLE.format(who=staff, facility=facility.name)
    rules = set(ZoneAccess.objects.filter(zone=place.zone).values_list("role", flat=True))
    admitted = rules or set(FLOOR_ROLES)
    allowed = sorted(held & admitted)
    if allowed:
        return True, None, ROLE_ALLOWED.format(role=allowed[0], zone=place.zone.name)
    return False, None, ROLE_REFUSED.format(
        zone=place.zone.name, roles=", ".join(sorted(admitted)), who=staff,
        held=", ".join(sorted(held)),
    )  # fmt: skip


# --- Doors -----------------------------------------------------------------------------


def _occupants(cell: Cell) -> list[Booking]:
    return list(
        Booking.objects.filter(
            bed_assignments__bed__cell=cell, bed_assignments__ended_at__isnull=True,
            status__in=OPEN_STATUSES,
        ).distinct()
    )  # fmt: skip


def door_event_record(
    *,
    actor: User,
    action: str,
    cell: Cell | None = None,
    zone: Zone | None = None,
    staff_passed: Iterable[User] = (),
    people_passed: Iterable[Booking] = (),
    forced: bool = False,
    note: str = "",
    at: dt.datetime | None = None,
) -> DoorEvent:
    """Log a door of a cell (or a zone's gate) operated by ``actor`` and who passed.

    Opening or unlocking checks every member of staff passing (``may_enter``).
    Anyone without access: the refusal is stored as a denied door event and
    403 ``no_entry_grant`` names who and where, unless ``forced`` says they
    went in anyway; then the event is stored as forced with an incident
    (the entrants refused, the people in the cell) opened by itself.
    """
    place = _place(cell, zone)
    facility = place.zone.facility
    _require(actor, facility, Perm.DOOR_OPERATE, DOOR_DENIED)
    staff, people = list(dict.fromkeys(staff_passed)), list(dict.fromkeys(people_passed))
    note = note.strip()
    errors: dict[str, list[str]] = {}
    if action not in DoorAction.values:
        errors["action"] = [
            NOT_AN_ACTION.format(value=action, choices=", ".join(DoorAction.values))
        ]
    for booking in people:
        if booking.facility_id != facility.pk or booking.status not in OPEN_STATUSES:
            errors.setdefault("people_passed", []).append(
                PERSON_NOT_HERE.format(number=booking.booking_number, facility=facility.name)
            )
    try:
        when = _moment(at)
    except ValidationFailed as exc:
        errors.update(exc.extra["fields"])
        when = clock.now()
    if errors:
        raise ValidationFailed.for_fields(errors)
    refused: list[tuple[User, str]] = []
    grant: EntryGrant | None = None
    if action in ENTERING:
        for member in staff:
            ok, used, why = _may_enter(member, place, when)
            if not ok:
                refused.append((member, why))
            elif used is not None and grant is None:
                grant = used
    if refused and forced and not note:
        raise ValidationFailed.for_fields({"note": [FORCED_NOTE_REQUIRED]})
    outcome = DoorOutcome.ALLOWED
    if refused:
        outcome = DoorOutcome.FORCED if forced else DoorOutcome.DENIED
    with transaction.atomic():
        event = DoorEvent.objects.create(
            facility=facility, cell=place.cell, zone=place.zone if place.cell is None else None,
            action=action, outcome=outcome, at=when, operated_by=actor, grant=grant, note=note,
        )  # fmt: skip
        event.staff_passed.set(staff)
        event.people_passed.set(people)
        if outcome == DoorOutcome.FORCED:
            event.incident = _forced_entry_incident(
                actor=actor, event=event, place=place, refused=refused, people=people
            )
            event.save(update_fields=["incident"])
        audit_record(
            actor=actor, action=f"door.{action}", obj=event, facility=facility, reason=note,
            outcome=Outcome.DENIED if outcome == DoorOutcome.DENIED else Outcome.SUCCESS,
            object_label=f"{place.label} {action}",
            changes={
                "place": place.label, "outcome": outcome, "at": when,
                "staff_passed": [u.get_username() for u in staff],
                "people_passed": [b.booking_number for b in people],
                "refused": {u.get_username(): why for u, why in refused},
                **({"grant": str(grant.public_id)} if grant else {}),
                **({"incident": event.incident.number} if event.incident else {}),
            },
        )  # fmt: skip
    if outcome == DoorOutcome.DENIED:
        # The refusal stays in the door log; the caller learns who was refused and why.
        names = ", ".join(str(member) for member, _ in refused)
        raise PermissionDenied(
            NO_ENTRY_GRANT.format(
                who=names, place=place.label, reasons=" ".join(why for _, why in refused)
            ),
            code="no_entry_grant",
            extra={
                "door_event": str(event.public_id),
                "refused": [
                    {"staff": member.get_username(), "reason": why} for member, why in refused
                ],
            },
        )
    return event


def _forced_entry_incident(
    *,
    actor: User,
    event: DoorEvent,
    place: Place,
    refused: list[tuple[User, str]],
    people: list[Booking],
) -> Incident:
    from cellblock.incidents.services import incident_report

    facility = place.zone.facility
    involved = list(dict.fromkeys([*(_occupants(place.cell) if place.cell else []), *people]))
    narrative = FORCED_NARRATIVE.format(
        who=", ".join(str(member) for member, _ in refused), place=place.label, operator=actor,
        action=event.action,
    )  # fmt: skip
    return incident_report(
        actor=actor, facility=facility, kind=IncidentKind.FORCED_ENTRY,
        narrative=f"{narrative} {event.note}".strip(), occurred_at=event.at, cell=place.cell,
        zone=place.zone, people=involved, staff=[member for member, _ in refused],
        origin=IncidentOrigin.AUTOMATIC,
    )  # fmt: skip


# --- Cell condition --------------------------------------------------------------------


def cell_condition_report(
    *, actor: User, cell: Cell, tag: str, status: str, note: str = ""
) -> CellFeature:
    """An officer on shift reports a cell's feature: bars damaged, a light fitted.

    A feature the cell did not have is added (a light fitted where there was
    none); the housing alerts of the people in the cell follow at once.
    """
    facility = cell.unit.zone.facility
    _require(actor, facility, Perm.CELL_CONDITION_REPORT, CONDITION_DENIED)
    note = note.strip()
    if status not in FeatureStatus.values:
        raise ValidationFailed.for_fields({"status": [NOT_A_STATUS.format(value=status)]})
    if status == FeatureStatus.COMPROMISED and not note:
        raise ValidationFailed.for_fields({"note": [COMPROMISED_NOTE]})
    return cell_feature_set(actor=actor, cell=cell, tag=tag.strip(), status=status, note=note)
