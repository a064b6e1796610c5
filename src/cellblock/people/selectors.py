"""Reads of persons, limited to those the user may see."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from cellblock.accounts.models import User
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.people.models import Person


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
