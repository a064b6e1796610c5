"""Incident reports: opened by staff or by the system, followed up, reviewed and closed.

Damage reported with an incident goes through the facilities services: the
feature is marked compromised, or the cell taken out of service, and their
hooks raise the housing alerts in the same transaction (a dented
chakra-suppression bar makes the cell unlawful for whoever needs one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.numbers import save_numbered
from cellblock.core.roles import Perm
from cellblock.facilities.models import Cell, CellFeature, Facility, FeatureStatus, Zone
from cellblock.facilities.services import cell_feature_set, cell_set_service
from cellblock.incidents.models import (
    AUTOMATIC_KINDS,
    INCIDENT_TRANSITIONS,
    Incident,
    IncidentKind,
    IncidentNote,
    IncidentOrigin,
    IncidentStatus,
)

REPORT_DENIED = (
    "Reporting an incident at {facility} needs an officer, a medic, a supervisor or the commander."
)
REVIEW_DENIED = "Reviewing and moving incidents at {facility} needs a supervisor or the commander."
DAMAGE_DENIED = (
    "Marking a cell's feature compromised or taking a cell out of service at {facility} needs "
    "an officer, a supervisor or the commander: report the incident without the damage and "
    "ask one of them."
)
NARRATIVE_REQUIRED = "is required: say what happened."
NOT_A_KIND = "'{kind}' is not a kind of incident; choose one of {kinds}."
AUTOMATIC_ONLY = (
    "is opened by the system only (a forced door, a restraint removed without authority)."
)
AUTOMATIC_KIND_NEEDED = "must be one the system opens: {kinds}."
WHERE_REQUIRED = "name the cell, the zone or the place where it happened."
NOT_HERE = "is not part of {facility}."
CELL_NOT_IN_ZONE = "cell {cell} is not in zone {zone}."
FEATURE_NEEDS_CELL = "needs the cell whose feature was damaged."
NO_SUCH_FEATURE = "cell {cell} has no feature '{tag}'."
OUT_OF_SERVICE_NEEDS_CELL = "needs the cell to take out of service."
IN_THE_FUTURE = "cannot be in the future."
BEFORE_BOOKING = "is before {number} was booked ({booked})."
PERSON_NOT_HERE = "{number} is not held at {facility}."
STAFF_NOT_HERE = "{username} holds no role at {facility}."
NOTE_REQUIRED = "is required."
BAD_TRANSITION = "An incident that is {current} cannot become {to}; it can become: {allowed}."
OUTCOME_REQUIRED = "is required to close an incident: write the outcome."
REVIEW_FIRST = (
    "Incident {number} was opened by the system and has not been reviewed: review it before "
    "closing it."
)
ALREADY_REVIEWED = "Incident {number} was reviewed by {who} at {when}."
NUMBER_TAKEN = "Incident numbers were taken by reports made at the same moment; try again."

# The roles that may change a cell's state (facilities.services._require_cell_state).
_CELL_STATE = frozenset({Perm.FACILITY_CONFIGURE, Perm.HOUSING_APPROVE, Perm.CELL_CONDITION_REPORT})


def _facility_of_cell(cell: Cell) -> int:
    return cell.unit.zone.facility_id


def _save_numbered(incident: Incident, facility: Facility, year: int) -> None:
    """Insert with the next number of the facility's year: KON-INC-2026-0001, -0002 ..."""
    save_numbered(
        incident, numbered=Incident.objects.filter(facility=facility),
        prefix=f"{facility.code}-INC-{year}-", taken_message=NUMBER_TAKEN,
        taken_code="incident_number_taken",
    )  # fmt: skip


def _validate_people(
    facility: Facility,
    people: list[Booking],
    occurred_at: dt.datetime,
    errors: dict[str, list[str]],
) -> None:
    for booking in people:
        if booking.facility_id != facility.pk:
            errors.setdefault("people", []).append(
                PERSON_NOT_HERE.format(number=booking.booking_number, facility=facility.name)
            )
        elif occurred_at < booking.booked_at:
            errors.setdefault("occurred_at", []).append(
                BEFORE_BOOKING.format(
                    number=booking.booking_number,
                    booked=f"{clock.local(booking.booked_at, facility.timezone):%Y-%m-%d %H:%M}",
                )
            )


def _validate_staff(facility: Facility, staff: list[User], errors: dict[str, list[str]]) -> None:
    for member in staff:
        if not member.roles_at(facility.pk):
            errors.setdefault("staff", []).append(
                STAFF_NOT_HERE.format(username=member.get_username(), facility=facility.name)
            )


def incident_report(
    *,
    actor: User | None,
    facility: Facility,
    kind: str,
    narrative: str,
    occurred_at: dt.datetime | None = None,
    cell: Cell | None = None,
    zone: Zone | None = None,
    place: str = "",
    people: Iterable[Booking] = (),
    staff: Iterable[User] = (),
    damaged_feature: str = "",
    take_cell_out_of_service: bool = False,
    origin: str = IncidentOrigin.STAFF,
) -> Incident:
    """Open an incident with its number; damage marks the feature or the cell at once.

    Staff report with ``incident.report``.  ``origin="automatic"`` is for the
    services that open incidents by themselves (a forced door, a restraint
    removed without authority): ``actor`` is then whoever recorded the fact,
    and the caller has already checked what they may do.
    """
    now = clock.now()
    automatic = origin == IncidentOrigin.AUTOMATIC
    perms = actor.perms_at(facility.pk) if actor is not None else None
    if perms is not None and not automatic and Perm.INCIDENT_REPORT not in perms:
        raise PermissionDenied(REPORT_DENIED.format(facility=facility.name), code="missing_role")
    damage = bool(damaged_feature.strip()) or take_cell_out_of_service
    if damage and perms is not None and not _CELL_STATE & perms:
        raise PermissionDenied(DAMAGE_DENIED.format(facility=facility.name), code="missing_role")
    people, staff = list(dict.fromkeys(people)), list(dict.fromkeys(staff))
    narrative, place, damaged_feature = narrative.strip(), place.strip(), damaged_feature.strip()
    occurred_at = occurred_at or now
    errors: dict[str, list[str]] = {}
    if origin not in IncidentOrigin.values:
        errors["origin"] = [f"'{origin}' is not one of {', '.join(IncidentOrigin.values)}."]
    if kind not in IncidentKind.values:
        errors["kind"] = [NOT_A_KIND.format(kind=kind, kinds=", ".join(IncidentKind.values))]
    elif automatic and kind not in AUTOMATIC_KINDS:
        errors["kind"] = [AUTOMATIC_KIND_NEEDED.format(kinds=", ".join(sorted(AUTOMATIC_KINDS)))]
    elif not automatic and kind in AUTOMATIC_KINDS:
        errors["kind"] = [AUTOMATIC_ONLY]
    if not narrative:
        errors["narrative"] = [NARRATIVE_REQUIRED]
    if occurred_at > now:
        errors["occurred_at"] = [IN_THE_FUTURE]
    if cell is not None and _facility_of_cell(cell) != facility.pk:
        errors["cell"] = [NOT_HERE.format(facility=facility.name)]
    if zone is not None and zone.facility_id != facility.pk:
        errors["zone"] = [NOT_HERE.format(facility=facility.name)]
    if cell is not None and zone is not None and cell.unit.zone_id != zone.pk and not errors:
        errors["cell"] = [CELL_NOT_IN_ZONE.format(cell=cell.code, zone=zone.code)]
    if cell is None and zone is None and not place:
        errors["place"] = [WHERE_REQUIRED]
    if damaged_feature:
        if cell is None:
            errors["damaged_feature"] = [FEATURE_NEEDS_CELL]
        elif not CellFeature.objects.filter(cell=cell, tag=damaged_feature).exists():
            errors["damaged_feature"] = [
                NO_SUCH_FEATURE.format(cell=cell.code, tag=damaged_feature)
            ]
    if take_cell_out_of_service and cell is None:
        errors["take_cell_out_of_service"] = [OUT_OF_SERVICE_NEEDS_CELL]
    if "occurred_at" not in errors:
        _validate_people(facility, people, occurred_at, errors)
    _validate_staff(facility, staff, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    if zone is None and cell is not None:
        zone = cell.unit.zone
    year = clock.local(now, facility.timezone).year
    incident = Incident(
        facility=facility, kind=kind, origin=origin, occurred_at=occurred_at, reported_at=now,
        reported_by=actor, cell=cell, zone=zone, place=place, narrative=narrative,
        damaged_feature=damaged_feature,
    )  # fmt: skip
    with transaction.atomic():
        _save_numbered(incident, facility, year)
        incident.people.set(people)
        incident.staff.set(staff)
        taken_out = False
        if cell is not None and damaged_feature:
            cell_feature_set(
                actor=actor, cell=cell, tag=damaged_feature, status=FeatureStatus.COMPROMISED,
                note=f"Damaged: incident {incident.number}.",
            )  # fmt: skip
        # A cell already out of service stays so, with the reason it has.
        if (
            cell is not None
            and take_cell_out_of_service
            and not Cell.objects.filter(pk=cell.pk, out_of_service=True).exists()
        ):
            cell_set_service(
                actor=actor, cell=cell, out_of_service=True,
                reason=f"Incident {incident.number}: {incident.get_kind_display().lower()}.",
            )  # fmt: skip
            taken_out = True
            incident.cell_taken_out_of_service = True
            incident.save(update_fields=["cell_taken_out_of_service"])
        audit_record(
            actor=actor, action="incident.report", obj=incident, facility=facility,
            changes={
                "number": incident.number, "kind": kind, "origin": origin,
                "occurred_at": occurred_at, "cell": cell.code if cell else None,
                "zone": zone.code if zone else None, "place": place,
                "people": [b.booking_number for b in people],
                "staff": [u.get_username() for u in staff],
                "damaged_feature": damaged_feature, "cell_taken_out_of_service": taken_out,
            },
        )  # fmt: skip
    return incident


def _require(actor: User, incident: Incident, perm: Perm, message: str) -> None:
    if perm not in actor.perms_at(incident.facility_id):
        raise PermissionDenied(message.format(facility=incident.facility.name), code="missing_role")


def incident_note_add(*, actor: User, incident: Incident, text: str) -> IncidentNote:
    """Add follow-up to an incident (append-only): what was done, by whom."""
    _require(actor, incident, Perm.INCIDENT_REPORT, REPORT_DENIED)
    text = text.strip()
    if not text:
        raise ValidationFailed.for_fields({"text": [NOTE_REQUIRED]})
    with transaction.atomic():
        note = IncidentNote.objects.create(
            incident=incident, written_at=clock.now(), written_by=actor, text=text
        )
        audit_record(
            actor=actor, action="incident.note", obj=incident, facility=incident.facility,
            changes={"text": text},
        )  # fmt: skip
    return note


def incident_transition(
    *, actor: User, incident: Incident, to: str, note: str = "", outcome: str = ""
) -> Incident:
    """Move an incident along INCIDENT_TRANSITIONS; closing needs its outcome (or the note)."""
    _require(actor, incident, Perm.INCIDENT_REVIEW, REVIEW_DENIED)
    note, outcome = note.strip(), outcome.strip()
    if to not in IncidentStatus.values:
        raise ValidationFailed.for_fields(
            {"to": [f"'{to}' is not a status; choose one of {', '.join(IncidentStatus.values)}."]}
        )
    now = clock.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("facility").get(pk=incident.pk)
        allowed = INCIDENT_TRANSITIONS[locked.status]
        if to not in allowed:
            raise Conflict(
                BAD_TRANSITION.format(
                    current=locked.get_status_display().lower(),
                    to=IncidentStatus(to).label.lower(),
                    allowed=", ".join(IncidentStatus(s).label.lower() for s in sorted(allowed)),
                ),
                code="invalid_transition",
                extra={"status": locked.status, "allowed": sorted(allowed)},
            )
        fields = ["status"]
        if to == IncidentStatus.CLOSED:
            outcome = outcome or note
            if not outcome:
                raise ValidationFailed.for_fields({"outcome": [OUTCOME_REQUIRED]})
            if locked.origin == IncidentOrigin.AUTOMATIC and locked.reviewed_at is None:
                raise Conflict(REVIEW_FIRST.format(number=locked.number), code="not_reviewed")
            locked.outcome, locked.closed_at, locked.closed_by = outcome, now, actor
            fields += ["outcome", "closed_at", "closed_by"]
        elif locked.status == IncidentStatus.CLOSED:
            # Reopened: the earlier outcome stays in the notes.
            locked.closed_at, locked.closed_by = None, None
            fields += ["closed_at", "closed_by"]
        before = locked.status
        locked.status = to
        locked.save(update_fields=fields)
        IncidentNote.objects.create(
            incident=locked, written_at=now, written_by=actor,
            text=note or outcome or f"Moved to {IncidentStatus(to).label.lower()}.", status_to=to,
        )  # fmt: skip
        audit_record(
            actor=actor, action="incident.transition", obj=locked, facility=locked.facility,
            reason=note,
            changes={"status": [before, to], **({"outcome": outcome} if outcome else {})},
        )  # fmt: skip
    return locked


def incident_review(*, actor: User, incident: Incident, note: str = "") -> Incident:
    """A supervisor or the commander has looked at the incident (an automatic one stops alerting).

    This is the only place ``reviewed_at`` is set.  Reviewing a restraint
    removed without authority also reviews the removal itself.
    """
    _require(actor, incident, Perm.INCIDENT_REVIEW, REVIEW_DENIED)
    note = note.strip()
    now = clock.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("facility").get(pk=incident.pk)
        if locked.reviewed_at is not None:
            who = locked.reviewed_by or "the system"
            when = clock.local(locked.reviewed_at, locked.facility.timezone)
            raise Conflict(
                ALREADY_REVIEWED.format(
                    number=locked.number, who=who, when=f"{when:%Y-%m-%d %H:%M}"
                ),
                code="already_reviewed",
            )
        locked.reviewed_at, locked.reviewed_by = now, actor
        locked.save(update_fields=["reviewed_at", "reviewed_by"])
        IncidentNote.objects.create(
            incident=locked, written_at=now, written_by=actor, text=note or "Reviewed."
        )
        audit_record(
            actor=actor, action="incident.review", obj=locked, facility=locked.facility,
            reason=note,
        )  # fmt: skip
        if locked.kind == IncidentKind.UNAUTHORISED_RESTRAINT_REMOVAL:
            from cellblock.custody.services.restraints import removal_reviewed_with_incident

            removal_reviewed_with_incident(actor=actor, incident=locked, note=note)
    return locked
