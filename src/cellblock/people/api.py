"""Persons API: read people on record, and the duplicate check used at intake."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.people.models import IdentifierKind, Person, PersonPhoto
from cellblock.people.selectors import (
    PersonMatch,
    booking_agencies,
    person_get_for_user,
    person_matches,
    persons_for_user,
)

router = Router()


class PhotoOut(Schema):
    id: uuid.UUID
    sha256: str
    content_type: str
    byte_size: int
    width: int
    height: int
    taken_at: dt.datetime


class PersonOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    sex: str
    identifiers: dict[str, str]


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.public_id, given_name=person.given_name, family_name=person.family_name,
        date_of_birth=person.date_of_birth, sex=person.sex,
        identifiers={i.kind: i.value for i in person.identifiers.all()},
    )  # fmt: skip


def photo_out(photo: PersonPhoto) -> PhotoOut:
    return PhotoOut(
        id=photo.public_id, sha256=photo.sha256, content_type=photo.content_type,
        byte_size=photo.byte_size, width=photo.width, height=photo.height,
        taken_at=photo.taken_at,
    )  # fmt: skip


class MatchIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    identifiers: dict[IdentifierKind, str] = {}


class MatchOut(Schema):
    person: PersonOut
    reasons: list[str]
    score: int
    open_booking: str | None


def match_out(match: PersonMatch) -> MatchOut:
    return MatchOut(
        person=person_out(match.person), reasons=list(match.reasons), score=match.score,
        open_booking=match.open_booking,
    )  # fmt: skip


@router.post("/matches", response=list[MatchOut], auth=api_requires(Perm.BOOKING_CREATE))
def find_matches(request: HttpRequest, payload: MatchIn) -> list[MatchOut]:
    """People on record who may be this person (accent- and case-insensitive), surest first."""
    matches = person_matches(
        agency_ids=booking_agencies(acting_user(request)),
        given_name=payload.given_name, family_name=payload.family_name,
        date_of_birth=payload.date_of_birth,
        identifiers={str(kind): value for kind, value in payload.identifiers.items()},
    )  # fmt: skip
    return [match_out(match) for match in matches]


@router.get("/", response=list[PersonOut], auth=api_requires(Perm.PERSON_VIEW))
def list_people(request: HttpRequest, q: str = "") -> list[PersonOut]:
    from cellblock.people.names import name_key

    people = persons_for_user(acting_user(request))
    for word in name_key(q).split():
        people = people.filter(family_key__contains=word) | people.filter(given_key__contains=word)
    return [person_out(p) for p in people[:200]]


@router.get("/{person_id}", response=PersonOut, auth=api_requires(Perm.PERSON_VIEW))
def get_person(request: HttpRequest, person_id: uuid.UUID) -> PersonOut:
    return person_out(person_get_for_user(acting_user(request), person_id))


@router.get("/{person_id}/photos", response=list[PhotoOut], auth=api_requires(Perm.PERSON_VIEW))
def list_photos(request: HttpRequest, person_id: uuid.UUID) -> list[PhotoOut]:
    person = person_get_for_user(acting_user(request), person_id)
    return [photo_out(photo) for photo in person.photos.all()]
