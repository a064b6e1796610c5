"""Booking photos, streamed only to staff who may see the person."""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from cellblock.core.access import requires
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import PersonPhoto, PhotoFormat
from cellblock.people.selectors import persons_for_user

NO_PHOTO = "No photo with id {photo_id}."
# Photo files never change (they are named by their SHA-256), but who may see
# them does: browsers keep them an hour, shared caches never.
CACHE_CONTROL = "private, max-age=3600"
THUMBNAIL_TYPE = PhotoFormat.JPEG.value


def _photo_for_user(request: HttpRequest, photo_id: uuid.UUID) -> PersonPhoto:
    """The photo, if its person has a booking at one of the user's facilities and it was
    taken in one of their agencies (or outside any booking); else 404."""
    user = request.user
    visible = persons_for_user(user).values("pk")  # type: ignore[arg-type]
    agencies = Facility.objects.filter(
        pk__in=user.facilities_with(Perm.PERSON_VIEW)  # type: ignore[union-attr]
    ).values("agency_id")
    photo = (
        PersonPhoto.objects.filter(public_id=photo_id, person_id__in=visible)
        .filter(Q(booking__isnull=True) | Q(booking__facility__agency_id__in=agencies))
        .first()
    )
    if photo is None:
        raise NotFound(NO_PHOTO.format(photo_id=photo_id))
    return photo


def _stream(stored: FieldFile, content_type: str, filename: str) -> FileResponse:
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise NotFound("The photo file is missing from storage.") from None
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@requires(Perm.PERSON_VIEW)
def photo(request: HttpRequest, photo_id: uuid.UUID) -> FileResponse:
    found = _photo_for_user(request, photo_id)
    extension = "png" if found.content_type == PhotoFormat.PNG else "jpg"
    return _stream(found.image, found.content_type, f"{found.public_id}.{extension}")


@require_GET
@requires(Perm.PERSON_VIEW)
def thumbnail(request: HttpRequest, photo_id: uuid.UUID) -> FileResponse:
    found = _photo_for_user(request, photo_id)
    return _stream(found.thumbnail, THUMBNAIL_TYPE, f"{found.public_id}.thumb.jpg")
