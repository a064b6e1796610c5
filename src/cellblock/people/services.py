"""Writes on persons: record one, and add a booking photo."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import (
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonPhoto,
    PhotoFormat,
    Sex,
)
from cellblock.people.names import identifier_key, name_key

if TYPE_CHECKING:
    from cellblock.booking.models import Booking


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
            if PersonIdentifier.objects.filter(kind=kind, value_key=identifier_key(value)).exists():
                raise Conflict(
                    f"identifiers: {kind} {value.strip()} already belongs to another person.",
                    code="identifier_taken",
                    extra={"fields": {"identifiers": [f"{kind} {value.strip()} is taken."]}},
                )
        person = Person.objects.create(
            given_name=given_name, family_name=family_name, date_of_birth=date_of_birth,
            sex=sex, created_at=clock.now(), given_key=name_key(given_name),
            family_key=name_key(family_name),
        )  # fmt: skip
        PersonIdentifier.objects.bulk_create(
            PersonIdentifier(
                person=person, kind=kind, value=value.strip(), value_key=identifier_key(value)
            )
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


IDENTIFIER_TAKEN = "identifiers: {kind} {value} already belongs to another person."


def person_identifier_add(
    *, actor: User | None, person: Person, kind: str, value: str, facility: Facility | None
) -> PersonIdentifier:
    """Add a document number to a person on record (a new passport, a number from an import)."""
    if actor is not None and (
        facility is None or Perm.PERSON_EDIT not in actor.perms_at(facility.pk)
    ):
        raise PermissionDenied("Adding identifiers needs the booking role.", code="missing_role")
    errors: dict[str, list[str]] = {}
    if kind not in IdentifierKind.values:
        errors["kind"] = [f"must be one of {', '.join(IdentifierKind.values)}."]
    if not value.strip():
        errors["value"] = ["is required."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    key = identifier_key(value)
    with transaction.atomic():
        existing = PersonIdentifier.objects.filter(kind=kind, value_key=key).first()
        if existing is not None and existing.person_id == person.pk:
            return existing
        if existing is not None:
            raise Conflict(
                IDENTIFIER_TAKEN.format(kind=kind, value=value.strip()),
                code="identifier_taken",
                extra={"fields": {"identifiers": [f"{kind} {value.strip()} is taken."]}},
            )
        identifier = PersonIdentifier.objects.create(
            person=person, kind=kind, value=value.strip(), value_key=key
        )
        audit_record(
            actor=actor, action="person.identifier_add", obj=person, facility=facility,
            changes={"kind": kind, "value": value.strip()},
        )  # fmt: skip
    return identifier


PHOTO_DENIED = "Taking booking photos needs the booking role at the facility."
PHOTO_BOOKING_CLOSED = "Booking {booking} is closed: its photos can no longer change."
PHOTO_NOT_AN_IMAGE = "must be a JPEG or PNG image; this file is not one."
PHOTO_WRONG_FORMAT = "must be a JPEG or PNG image; this file is {found}."
PHOTO_TOO_LARGE = "is larger than the limit of {limit} bytes."
PHOTO_TOO_MANY_PIXELS = "is {width} x {height} pixels; the limit is {limit} pixels in all."
PHOTO_EMPTY = "is empty."
_FORMATS = {"JPEG": PhotoFormat.JPEG, "PNG": PhotoFormat.PNG}
_EXTENSIONS: dict[str, str] = {PhotoFormat.JPEG: "jpg", PhotoFormat.PNG: "png"}


def _photo_error(message: str) -> ValidationFailed:
    return ValidationFailed.for_fields({"photo": [message]})


def _inspect_photo(content: bytes) -> tuple[str, int, int]:
    """The format and size of a photo, refusing anything but a sound JPEG or PNG."""
    limit = settings.CELLBLOCK_PHOTO_MAX_BYTES
    if not content:
        raise _photo_error(PHOTO_EMPTY)
    if len(content) > limit:
        raise _photo_error(PHOTO_TOO_LARGE.format(size=len(content), limit=limit))
    try:
        with Image.open(io.BytesIO(content)) as image:
            found = image.format or "unknown"
            width, height = image.size
            if found not in _FORMATS:
                raise _photo_error(PHOTO_WRONG_FORMAT.format(found=found))
            max_pixels = settings.CELLBLOCK_PHOTO_MAX_PIXELS
            if width * height > max_pixels:
                raise _photo_error(
                    PHOTO_TOO_MANY_PIXELS.format(width=width, height=height, limit=max_pixels)
                )
            # Decode the whole image: a truncated or corrupt file fails here.
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _photo_error(PHOTO_NOT_AN_IMAGE) from None
    return _FORMATS[found], width, height


def _thumbnail(content: bytes) -> bytes:
    size = settings.CELLBLOCK_PHOTO_THUMBNAIL_PX
    with Image.open(io.BytesIO(content)) as opened:
        # A camera held upright says so in EXIF; turn the pixels to match.
        upright = ImageOps.exif_transpose(opened) or opened
        small = upright.convert("RGB")
        small.thumbnail((size, size))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _store(name: str, content: bytes) -> str:
    # Content-addressed: an existing file with this name holds these bytes already.
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(content))


def person_photo_add(
    *,
    actor: User | None,
    person: Person,
    content: bytes,
    booking: Booking | None = None,
    facility: Facility | None = None,
) -> PersonPhoto:
    """Store a booking photo with its SHA-256 and a thumbnail; the newest is the current one."""
    where = facility or (booking.facility if booking else None)
    if actor is not None and (where is None or Perm.BOOKING_CREATE not in actor.perms_at(where.pk)):
        raise PermissionDenied(PHOTO_DENIED, code="missing_role")
    from cellblock.booking.models import OPEN_STATUSES

    if booking is not None and booking.status not in OPEN_STATUSES:
        raise Conflict(PHOTO_BOOKING_CLOSED.format(booking=booking), code="booking_closed")
    content_type, width, height = _inspect_photo(content)
    digest = hashlib.sha256(content).hexdigest()
    existing = PersonPhoto.objects.filter(person=person, sha256=digest).first()
    if existing is not None:
        raise Conflict(
            "photo: this exact photo is already on the record.",
            code="photo_duplicate",
            extra={"photo_id": str(existing.public_id)},
        )
    folder = f"photos/{digest[:2]}"
    image_name = _store(f"{folder}/{digest}.{_EXTENSIONS[content_type]}", content)
    thumb_name = _store(f"{folder}/{digest}.thumb.jpg", _thumbnail(content))
    with transaction.atomic():
        photo = PersonPhoto.objects.create(
            person=person, booking=booking, sha256=digest, content_type=content_type,
            byte_size=len(content), width=width, height=height, image=image_name,
            thumbnail=thumb_name, taken_at=clock.now(), taken_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="person.photo_add", obj=photo,
            facility=where,
            object_label=f"photo of {person}",
            changes={"person": str(person.public_id), "sha256": digest,
                     "content_type": content_type, "bytes": len(content),
                     "booking": booking.booking_number if booking else None},
        )  # fmt: skip
    return photo
