"""Reads of persons, limited to those the user may see."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.people.models import Person
from cellblock.people.names import identifier_key, name_key


def persons_for_user(user: User) -> QuerySet[Person]:
    """People with a booking at one of the user's facilities (any status)."""
    facility_ids = user.facilities_with(Perm.PERSON_VIEW)
    return (
        Person.objects.filter(Q(bookings__facility_id__in=facility_ids))
        .distinct()
        .prefetch_related("identifiers")
    )


def person_get_for_user(user: User, public_id: str | uuid.UUID) -> Person:
    key = parse_public_id(public_id, what="person")
    person = persons_for_user(user).filter(public_id=key).first()
    if person is None:
        raise NotFound(f"No person with id {key}.")
    return person


@dataclass(frozen=True)
class PersonMatch:
    """A person who may be the one being booked, and why the check thinks so."""

    person: Person
    reasons: tuple[str, ...]
    # Higher is surer: a document number outweighs a name.
    score: int
    open_booking: str | None


MATCH_IDENTIFIER = "same {kind}"
MATCH_NAME_AND_BIRTH = "same name and date of birth"
MATCH_NAME = "same name"
MATCH_SWAPPED_NAME = "same names, given and family swapped"
MATCH_FAMILY_AND_BIRTH = "same family name and date of birth"
MATCH_GIVEN_AND_BIRTH = "same given name and date of birth"


def booking_agencies(user: User) -> frozenset[int]:
    """The agencies in which the user may book someone (``booking.create`` at a facility)."""
    from cellblock.facilities.models import Facility

    facilities = Facility.objects.filter(pk__in=user.facilities_with(Perm.BOOKING_CREATE))
    return frozenset(facilities.values_list("agency_id", flat=True))


def _on_record_in(agency_ids: Collection[int]) -> QuerySet[Person]:
    """People booked at some facility of these agencies, or never booked anywhere."""
    return Person.objects.filter(
        Q(bookings__facility__agency_id__in=list(agency_ids)) | Q(bookings__isnull=True)
    )


def person_matches(
    *,
    agency_ids: Collection[int],
    given_name: str = "",
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    identifiers: dict[str, str] | None = None,
    limit: int = 20,
) -> list[PersonMatch]:
    """People already on record who may be this person, surest first.

    Names compare accent- and case-insensitively (``names.name_key``) and
    documents ignore spaces and dashes (``names.identifier_key``).  The check
    spans every facility of the given agencies (a person known at another
    jail of the agency must not be created twice) and people never booked;
    other agencies' records stay out of sight.
    """
    given, family = name_key(given_name), name_key(family_name)
    keys = {kind: identifier_key(value) for kind, value in (identifiers or {}).items() if value}
    conditions = Q(pk__in=[])
    for kind, key in keys.items():
        conditions |= Q(identifiers__kind=kind, identifiers__value_key=key)
    if given and family:
        conditions |= Q(given_key=given, family_key=family)
        conditions |= Q(given_key=family, family_key=given)
    if date_of_birth is not None and (given or family):
        conditions |= Q(date_of_birth=date_of_birth) & (
            Q(family_key=family or None) | Q(given_key=given or None)
        )
    candidates = list(
        _on_record_in(agency_ids)
        .filter(conditions)
        .distinct()
        .prefetch_related("identifiers")[: limit * 2]
    )
    open_numbers = dict(
        Booking.objects.filter(person__in=candidates, status__in=OPEN_STATUSES).values_list(
            "person_id", "booking_number"
        )
    )
    matches = []
    for person in candidates:
        reasons: list[str] = []
        score = 0
        for identifier in person.identifiers.all():
            if keys.get(identifier.kind) == identifier.value_key:
                reasons.append(MATCH_IDENTIFIER.format(kind=identifier.get_kind_display()))
                score += 100
        same_birth = date_of_birth is not None and person.date_of_birth == date_of_birth
        same_name = bool(given and family) and (person.given_key, person.family_key) == (
            given,
            family,
        )
        if same_name and same_birth:
            reasons.append(MATCH_NAME_AND_BIRTH)
            score += 80
        elif same_name:
            reasons.append(MATCH_NAME)
            score += 30
        elif bool(given and family) and (person.given_key, person.family_key) == (family, given):
            reasons.append(MATCH_SWAPPED_NAME)
            score += 25 + (30 if same_birth else 0)
        elif same_birth and family and person.family_key == family:
            reasons.append(MATCH_FAMILY_AND_BIRTH)
            score += 50
        elif same_birth and given and person.given_key == given:
            reasons.append(MATCH_GIVEN_AND_BIRTH)
            score += 40
        if reasons:
            matches.append(PersonMatch(person, tuple(reasons), score, open_numbers.get(person.pk)))
    matches.sort(key=lambda match: (-match.score, match.person.family_key, match.person.pk))
    return matches[:limit]


def person_get_for_booking(user: User, public_id: str | uuid.UUID) -> Person:
    """A person the user may book: anyone the duplicate check could have offered them.

    That is anyone booked in an agency where the user may book, or never
    booked; the booking itself then checks the facility.  Reading the
    person's past records stays limited by ``persons_for_user``.
    """
    key = parse_public_id(public_id, what="person")
    person = (
        _on_record_in(booking_agencies(user))
        .filter(public_id=key)
        .prefetch_related("identifiers")
        .first()
    )
    if person is None:
        raise NotFound(f"No person with id {key}.")
    return person
