"""Reads of inmate requests: one request with its thread, the inbox, a booking's open requests.

Whoever sees who is held at a facility (``request.view``) reads its requests;
who may answer one is decided by ``may_answer``: its addressee (the named
member of staff, or anyone holding the addressed role there) or a manager.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum

from django.db.models import Count, Prefetch, Q, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm, Role
from cellblock.facilities.models import Facility
from cellblock.requests.models import (
    ADDRESSEE_ROLES,
    REQUEST_TRANSITIONS,
    WAITING_STATUSES,
    InmateRequest,
    RequestEntry,
    RequestStatus,
)

VIEW = Perm.REQUEST_VIEW
LIST_LIMIT = 500

# Not closed nor withdrawn: still someone's business (an answered grievance may be appealed).
UNFINISHED_STATUSES = frozenset({*WAITING_STATUSES, RequestStatus.ANSWERED})

# The status filter's extra value: open or in progress.
WAITING = "waiting"

# Status colours, as the pages show them; an overdue request is red whatever its status.
STATUS_TONES: dict[str, str] = {
    RequestStatus.OPEN: "warn",
    RequestStatus.IN_PROGRESS: "info",
    RequestStatus.ANSWERED: "ok",
    RequestStatus.CLOSED: "out",
    RequestStatus.WITHDRAWN: "out",
}


class Scope(StrEnum):
    # Addressed to the reader by name, or to a role they hold at the facility.
    MINE = "mine"
    ALL = "all"


def requests_for_user(user: User) -> QuerySet[InmateRequest]:
    return InmateRequest.objects.filter(facility_id__in=user.facilities_with(VIEW))


def _listed(found: QuerySet[InmateRequest]) -> QuerySet[InmateRequest]:
    return found.select_related(
        "facility", "booking__person", "addressee", "filed_by", "answered_by"
    )


def request_get_for_user(user: User, public_id: str | uuid.UUID) -> InmateRequest:
    """A request of a facility the user reads, with its thread; else 404."""
    key = parse_public_id(public_id, what="request")
    found = (
        _listed(requests_for_user(user).filter(public_id=key))
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=RequestEntry.objects.select_related("actor", "to_user").order_by(
                    "at", "pk"
                ),
            )
        )
        .first()
    )
    if found is None:
        raise NotFound(f"No request with id {key}.")
    return found


# --- Who is it for ---------------------------------------------------------------


def addressee_roles_of(user: User, facility_id: int) -> frozenset[str]:
    """The roles ``user`` holds at the facility that requests may be addressed to."""
    return user.roles_at(facility_id) & frozenset(ADDRESSEE_ROLES)


def addressed_to(user: User, request: InmateRequest) -> bool:
    """Is ``request`` addressed to ``user``: by name, or to a role they hold there?"""
    if request.addressee_id is not None:
        return request.addressee_id == user.pk
    return request.addressee_role in addressee_roles_of(user, request.facility_id)


def may_answer(user: User, request: InmateRequest) -> bool:
    """The addressee, or a manager of requests at the facility (a supervisor, the commander)."""
    return addressed_to(user, request) or Perm.REQUEST_MANAGE in user.perms_at(request.facility_id)


def _mine_q(user: User, facility: Facility) -> Q:
    roles = addressee_roles_of(user, facility.pk)
    mine = Q(addressee=user)
    if roles:
        mine |= Q(addressee__isnull=True, addressee_role__in=sorted(roles))
    return mine


def addressee_text(request: InmateRequest) -> str:
    """ "Tsunade (named)" or "commander (role)", as lists and messages name the addressee."""
    if request.addressee is not None:
        return f"{request.addressee} (named)"
    return f"{Role(request.addressee_role).label.lower()} (role)"


def is_overdue(request: InmateRequest, now: dt.datetime) -> bool:
    """Still waiting for staff at or past its due time."""
    return request.status in WAITING_STATUSES and request.due_at <= now


def next_statuses(request: InmateRequest) -> frozenset[str]:
    return REQUEST_TRANSITIONS[request.status]


# --- Lists -----------------------------------------------------------------------


def _status_q(status: str) -> Q:
    if not status:
        return Q()
    if status == WAITING:
        return Q(status__in=sorted(WAITING_STATUSES))
    if status not in RequestStatus.values:
        raise ValueError(f"Unknown request status {status!r}.")
    return Q(status=status)


def inbox(
    user: User,
    facility: Facility,
    *,
    scope: str = Scope.MINE,
    status: str = "",
    kind: str = "",
    overdue_only: bool = False,
    booking: Booking | None = None,
    now: dt.datetime | None = None,
) -> list[InmateRequest]:
    """The facility's requests for ``user``, soonest due first (one query).

    ``scope`` "mine": addressed to the user or to a role they hold there; "all":
    every request of the facility.  ``status`` is a status, "waiting" (open or
    in progress) or empty for any; ``overdue_only`` keeps those waiting past
    their due time.
    """
    if VIEW not in user.perms_at(facility.pk):
        return []
    found = InmateRequest.objects.filter(facility=facility).filter(_status_q(status))
    if Scope(scope) == Scope.MINE:
        found = found.filter(_mine_q(user, facility))
    if kind:
        found = found.filter(kind=kind)
    if booking is not None:
        found = found.filter(booking=booking)
    if overdue_only:
        found = found.filter(status__in=sorted(WAITING_STATUSES), due_at__lte=now or clock.now())
    return list(_listed(found).order_by("due_at", "pk")[:LIST_LIMIT])


def inbox_counts(user: User, facility: Facility, now: dt.datetime) -> dict[str, int]:
    """Waiting requests addressed to ``user``, waiting at the facility, and overdue (one query)."""
    waiting = Q(status__in=sorted(WAITING_STATUSES))
    counts = InmateRequest.objects.filter(facility=facility).aggregate(
        mine=Count("pk", filter=waiting & _mine_q(user, facility)),
        all=Count("pk", filter=waiting),
        overdue=Count("pk", filter=waiting & Q(due_at__lte=now)),
    )
    return {name: int(value or 0) for name, value in counts.items()}


def requests_for_booking(booking: Booking, open_only: bool = True) -> list[InmateRequest]:
    """The booking's requests, soonest due first; ``open_only``: not closed nor withdrawn."""
    found = InmateRequest.objects.filter(booking=booking)
    if open_only:
        found = found.filter(status__in=sorted(UNFINISHED_STATUSES))
    return list(found.select_related("addressee").order_by("due_at", "pk"))


def requests_overdue(facility: Facility, now: dt.datetime) -> list[InmateRequest]:
    """Requests of the facility waiting for staff at or past their due time, oldest due first."""
    return list(
        _listed(
            InmateRequest.objects.filter(
                facility=facility, status__in=sorted(WAITING_STATUSES), due_at__lte=now
            )
        ).order_by("due_at", "pk")
    )


# --- The kiosk -------------------------------------------------------------------

_BOOKING_NUMBER = re.compile(
    r"^(?P<prefix>[A-Z0-9][A-Z0-9_-]{0,9})-(?P<year>\d{4})-(?P<seq>\d{1,9})$"
)


def normalised_booking_number(text: str) -> str:
    """ "kon-2026-42" is KON-2026-000042, as booking numbers are stored."""
    text = text.strip().upper()
    match = _BOOKING_NUMBER.match(text)
    if match is None:
        return text
    return f"{match['prefix']}-{match['year']}-{int(match['seq']):06d}"


def kiosk_identify(facility: Facility, booking_number: str, born: dt.date) -> Booking | None:
    """The person held at ``facility`` with that booking number and date of birth, or None.

    Both must match: the kiosk never says which one did not.
    """
    return (
        Booking.objects.select_related("person", "facility")
        .filter(
            facility=facility,
            booking_number=normalised_booking_number(booking_number),
            status__in=OPEN_STATUSES,
            person__date_of_birth=born,
        )
        .first()
    )
