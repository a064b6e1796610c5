"""Persons API (read).  Persons are created through booking intake."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.people.models import Person
from cellblock.people.selectors import person_get_for_user, persons_for_user

router = Router()


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


@router.get("/", response=list[PersonOut], auth=api_requires(Perm.PERSON_VIEW))
def list_people(request: HttpRequest, q: str = "") -> list[PersonOut]:
    people = persons_for_user(acting_user(request))
    if q:
        people = people.filter(family_name__icontains=q) | people.filter(given_name__icontains=q)
    return [person_out(p) for p in people[:200]]


@router.get("/{person_id}", response=PersonOut, auth=api_requires(Perm.PERSON_VIEW))
def get_person(request: HttpRequest, person_id: uuid.UUID) -> PersonOut:
    return person_out(person_get_for_user(acting_user(request), person_id))
