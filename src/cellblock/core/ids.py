"""Opaque public identifiers: records are addressed by UUID, never by row id."""

from __future__ import annotations

import uuid

from django.db import models

from cellblock.core.errors import NotFound


def new_public_id() -> uuid.UUID:
    return uuid.uuid4()


def public_id_field() -> models.UUIDField:
    return models.UUIDField(default=new_public_id, unique=True, editable=False)


def parse_public_id(value: str | uuid.UUID, *, what: str) -> uuid.UUID:
    """A UUID from a URL or payload; a malformed one is simply "not found"."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id {value!s}.") from None
