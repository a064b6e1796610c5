"""Writes on persons."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.facilities.models import Facility
from cellblock.people.models import IdentifierKind, Person, PersonIdentifier, Sex


def person_create(
    *,
    actor: User | None,
    facility: Facility | None,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None = None,
    sex: str = Sex.UNKNOWN,
    identifiers: dict[str, str] | None = None,
) -> Person:
    """Record a person.  ``facility`` is where the record was made (for the audit)."""
    given_name, family_name = given_name.strip(), family_name.strip()
    errors: dict[str, list[str]] = {}
    if not given_name and not family_name:
        errors["family_name"] = ["a given name or a family name is required."]
    if sex not in Sex.values:
        errors["sex"] = [f"must be one of {', '.join(Sex.values)}."]
    if date_of_birth is not None and date_of_birth > clock.now().date():
        errors["date_of_birth"] = ["cannot be in the future."]
    for kind, value in (identifiers or {}).items():
        if kind not in IdentifierKind.values:
            errors.setdefault("identifiers", []).append(f"'{kind}' is not an identifier kind.")
        elif not value.strip():
            errors.setdefault("identifiers", []).append(f"{kind} has no value.")
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        for kind, value in (identifiers or {}).items():
            if PersonIdentifier.objects.filter(kind=kind, value=value.strip()).exists():
                raise Conflict(
                    f"identifiers: {kind} {value.strip()} already belongs to another person.",
                    code="identifier_taken",
                    extra={"fields": {"identifiers": [f"{kind} {value.strip()} is taken."]}},
                )
        person = Person.objects.create(
            given_name=given_name, family_name=family_name, date_of_birth=date_of_birth,
            sex=sex, created_at=clock.now(),
        )  # fmt: skip
        PersonIdentifier.objects.bulk_create(
            PersonIdentifier(person=person, kind=kind, value=value.strip())
            for kind, value in (identifiers or {}).items()
        )
        audit_record(
            actor=actor, action="person.create", obj=person, facility=facility,
            changes={
                "given_name": given_name, "family_name": family_name,
                "date_of_birth": date_of_birth, "sex": sex, "identifiers": identifiers or {},
            },
        )  # fmt: skip
    return person
