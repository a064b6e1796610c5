"""Reads of the visitor registry, limited to the reader's facilities.

Visitors, visiting-list entries, bans, rooms and suspensions of another
facility are "not found" (404), exactly like records that do not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from django.db.models import Prefetch, Q, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import Person
from cellblock.people.names import name_key
from cellblock.people.selectors import persons_for_user
from cellblock.visits.models import (
    Guardianship,
    ListEntryStatus,
    Visit,
    VisitingListEntry,
    Visitor,
    VisitorBan,
    VisitParticipant,
    VisitRoom,
    VisitSuspension,
)

VIEW = Perm.VISIT_VIEW
SEARCH_LIMIT = 200


# --- Visitors -----------------------------------------------------------------------------


def _with_details(visitors: QuerySet[Visitor]) -> QuerySet[Visitor]:
    """Everything a visitor's card shows, in a fixed number of queries (five)."""
    return visitors.select_related(
        "person", "facility", "id_checked_by", "decided_by", "registered_by"
    ).prefetch_related(
        Prefetch("bans", queryset=VisitorBan.objects.select_related("imposed_by", "lifted_by")),
        Prefetch(
            "guardianships",
            queryset=Guardianship.objects.select_related("guardian__person").order_by(
                "guardian__person__family_name", "guardian__person__given_name", "pk"
            ),
        ),
        Prefetch(
            "wards",
            queryset=Guardianship.objects.select_related("minor__person").order_by(
                "minor__person__family_name", "minor__person__given_name", "pk"
            ),
        ),
        Prefetch(
            "list_entries",
            queryset=VisitingListEntry.objects.select_related("booking__person").order_by(
                "added_at", "pk"
            ),
        ),
    )


def visitors_for_user(user: User, perm: Perm = VIEW) -> QuerySet[Visitor]:
    return Visitor.objects.filter(facility_id__in=user.facilities_with(perm))


def visitor_get_for_user(user: User, public_id: str | uuid.UUID, perm: Perm = VIEW) -> Visitor:
    """A visitor of one of the user's facilities, with bans, guardians and lists; else 404."""
    key = parse_public_id(public_id, what="visitor")
    visitor = _with_details(visitors_for_user(user, perm).filter(public_id=key)).first()
    if visitor is None:
        raise NotFound(f"No visitor with id {key}.")
    return visitor


def visitors_search(
    facility: Facility | Collection[Facility],
    q: str = "",
    status: str | None = None,
    *,
    limit: int = SEARCH_LIMIT,
) -> list[Visitor]:
    """Visitors of ``facility`` (or of several) whose names hold every word of ``q``,
    or whose document number is ``q``; by family name."""
    places = [facility] if isinstance(facility, Facility) else list(facility)
    visitors = Visitor.objects.filter(facility__in=places)
    if status:
        visitors = visitors.filter(status=status)
    words = name_key(q).split()
    if words:
        by_name = Q()
        for word in words:
            by_name &= Q(person__given_key__contains=word) | Q(person__family_key__contains=word)
        visitors = visitors.filter(by_name | Q(id_number__iexact=q.strip()))
    return list(_with_details(visitors)[:limit])


def person_for_visitor(user: User, public_id: str | uuid.UUID) -> Person:
    """A person on record the user may register as a visitor: someone they see booked,
    someone a no-contact order protects from a person booked there, or someone
    already registered as a visitor at one of their facilities."""
    key = parse_public_id(public_id, what="person")
    booked = persons_for_user(user).values("pk")
    visible = (
        Q(pk__in=booked)
        | Q(protected_by__person_id__in=booked)
        | Q(visitor_records__facility_id__in=user.facilities_with(VIEW))
    )
    person = Person.objects.filter(visible, public_id=key).distinct().first()
    if person is None:
        raise NotFound(f"No person with id {key}.")
    return person


def guardians_of(visitor: Visitor) -> list[Guardianship]:
    """Who may bring this minor to a visit."""
    return list(
        Guardianship.objects.filter(minor=visitor)
        .select_related("guardian__person")
        .order_by("guardian__person__family_name", "guardian__person__given_name", "pk")
    )


# --- Bans ---------------------------------------------------------------------------------


def in_force_q(at: dt.datetime) -> Q:
    """Bans and suspensions in force at ``at``: started, not expired, not lifted."""
    return (
        Q(starts_at__lte=at)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=at))
    )


def active_bans(visitor: Visitor, at: dt.datetime) -> list[VisitorBan]:
    return list(VisitorBan.objects.filter(in_force_q(at), visitor=visitor).order_by("starts_at"))


def ban_get_for_user(user: User, public_id: str | uuid.UUID, perm: Perm = VIEW) -> VisitorBan:
    key = parse_public_id(public_id, what="ban")
    ban = (
        VisitorBan.objects.filter(
            public_id=key, visitor__facility_id__in=user.facilities_with(perm)
        )
        .select_related("visitor__person", "visitor__facility", "imposed_by", "lifted_by")
        .first()
    )
    if ban is None:
        raise NotFound(f"No ban with id {key}.")
    return ban


def visits_cancelled_by(record: VisitorBan | VisitSuspension) -> list[Visit]:
    """The visits a ban or a suspension cancelled when it was imposed.

    They were cancelled in the same transaction, by the same person, at the
    very moment it was imposed.
    """
    cancelled = Visit.objects.filter(
        cancelled_at=record.imposed_at, cancelled_by_id=record.imposed_by_id
    )
    if isinstance(record, VisitorBan):
        cancelled = cancelled.filter(
            pk__in=VisitParticipant.objects.filter(visitor_id=record.visitor_id).values("visit_id")
        )
    else:
        cancelled = cancelled.filter(booking_id=record.booking_id)
    return list(cancelled.order_by("starts_at", "pk"))


# --- Visiting lists -----------------------------------------------------------------------


def _entries() -> QuerySet[VisitingListEntry]:
    return VisitingListEntry.objects.select_related(
        "booking__person", "booking__facility", "visitor__person", "added_by", "decided_by",
        "removed_by",
    )  # fmt: skip


def visiting_list(booking: Booking, *, include_removed: bool = False) -> list[VisitingListEntry]:
    """The visitors on a person's list (approved and pending; removed too when asked)."""
    entries = _entries().filter(booking=booking)
    if not include_removed:
        entries = entries.exclude(status=ListEntryStatus.REMOVED)
    return list(
        entries.order_by("visitor__person__family_name", "visitor__person__given_name", "pk")
    )


def list_entry_get_for_user(
    user: User, public_id: str | uuid.UUID, perm: Perm = VIEW
) -> VisitingListEntry:
    key = parse_public_id(public_id, what="visiting list entry")
    entry = (
        _entries()
        .filter(public_id=key, booking__facility_id__in=user.facilities_with(perm))
        .first()
    )
    if entry is None:
        raise NotFound(f"No visiting list entry with id {key}.")
    return entry


# --- Rooms --------------------------------------------------------------------------------


def rooms_for_facility(facility: Facility, active_only: bool = True) -> list[VisitRoom]:
    rooms = VisitRoom.objects.filter(facility=facility).select_related("zone", "facility")
    if active_only:
        rooms = rooms.filter(active=True)
    return list(rooms.order_by("code"))


def room_get_for_user(user: User, public_id: str | uuid.UUID, perm: Perm = VIEW) -> VisitRoom:
    key = parse_public_id(public_id, what="visit room")
    room = (
        VisitRoom.objects.filter(public_id=key, facility_id__in=user.facilities_with(perm))
        .select_related("zone", "facility")
        .first()
    )
    if room is None:
        raise NotFound(f"No visit room with id {key}.")
    return room


# --- Suspensions --------------------------------------------------------------------------


def _suspensions() -> QuerySet[VisitSuspension]:
    return VisitSuspension.objects.select_related(
        "booking__person", "booking__facility", "incident", "imposed_by", "lifted_by"
    )


def suspensions_for_booking(booking: Booking) -> list[VisitSuspension]:
    """Every suspension of a booking, the latest first."""
    return list(_suspensions().filter(booking=booking).order_by("-starts_at", "-pk"))


def suspension_in_force(booking: Booking, at: dt.datetime) -> VisitSuspension | None:
    return (
        _suspensions().filter(in_force_q(at), booking=booking).order_by("starts_at", "pk").first()
    )


def suspension_get_for_user(
    user: User, public_id: str | uuid.UUID, perm: Perm = VIEW
) -> VisitSuspension:
    key = parse_public_id(public_id, what="suspension")
    suspension = (
        _suspensions()
        .filter(public_id=key, booking__facility_id__in=user.facilities_with(perm))
        .first()
    )
    if suspension is None:
        raise NotFound(f"No suspension with id {key}.")
    return suspension
