"""Reads of incidents, limited to the facilities where the reader sees who is held."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.incidents.models import (
    INCIDENT_TRANSITIONS,
    Incident,
    IncidentNote,
    IncidentOrigin,
    IncidentStatus,
)

# Incidents name people in custody: whoever sees who is held sees them.
VIEW = Perm.BOOKING_VIEW
LIST_LIMIT = 500

# Status colours, as the pages show them.
STATUS_TONES = {
    IncidentStatus.OPEN: "bad",
    IncidentStatus.UNDER_REVIEW: "warn",
    IncidentStatus.CLOSED: "ok",
}


def incidents_for_user(user: User) -> QuerySet[Incident]:
    return Incident.objects.filter(facility_id__in=user.facilities_with(VIEW))


def _with_people(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    return incidents.select_related(
        "facility", "cell__unit__zone", "zone", "reported_by", "reviewed_by", "closed_by"
    ).prefetch_related(
        Prefetch(
            "people",
            queryset=Booking.objects.select_related("person").order_by("booking_number"),
        ),
        Prefetch("staff", queryset=User.objects.order_by("username")),
    )


def incident_get_for_user(user: User, public_id: str | uuid.UUID) -> Incident:
    """An incident of a facility the user sees, with its people, staff and notes; else 404."""
    key = parse_public_id(public_id, what="incident")
    incident = (
        _with_people(incidents_for_user(user).filter(public_id=key))
        .prefetch_related(
            Prefetch(
                "notes",
                queryset=IncidentNote.objects.select_related("written_by").order_by(
                    "written_at", "pk"
                ),
            )
        )
        .first()
    )
    if incident is None:
        raise NotFound(f"No incident with id {key}.")
    return incident


@dataclass(frozen=True)
class IncidentFilter:
    status: str = ""
    kind: str = ""
    # Facility-local dates, inclusive, compared with when it happened.
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def incident_list(facility: Facility, wanted: IncidentFilter | None = None) -> list[Incident]:
    """The facility's incidents, newest first, with people and staff (three queries)."""
    wanted = wanted or IncidentFilter()
    found = Incident.objects.filter(facility=facility)
    if wanted.status:
        found = found.filter(status=wanted.status)
    if wanted.kind:
        found = found.filter(kind=wanted.kind)
    if wanted.since is not None:
        found = found.filter(occurred_at__gte=wanted.since)
    if wanted.until is not None:
        found = found.filter(occurred_at__lt=wanted.until)
    return list(_with_people(found).order_by("-occurred_at", "-pk")[:LIST_LIMIT])


def automatic_unreviewed(facility: Facility, kind: str | None = None) -> list[Incident]:
    """Incidents the system opened that nobody has reviewed yet (they alert until then)."""
    found = Incident.objects.filter(
        facility=facility, origin=IncidentOrigin.AUTOMATIC, reviewed_at__isnull=True
    )
    if kind is not None:
        found = found.filter(kind=kind)
    return list(_with_people(found).order_by("occurred_at", "pk"))


def next_statuses(incident: Incident) -> list[IncidentStatus]:
    """The statuses the incident may move to, in the order of the lifecycle."""
    allowed = INCIDENT_TRANSITIONS[incident.status]
    return [status for status in IncidentStatus if status in allowed]
