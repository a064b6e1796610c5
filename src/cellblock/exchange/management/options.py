"""What the import and export commands share: finding the facility and the acting user."""

from __future__ import annotations

from django.core.management.base import CommandError

from cellblock.accounts.models import User
from cellblock.facilities.models import Facility


def facility_by_code(code: str) -> Facility:
    facility = Facility.objects.filter(code__iexact=code).first()
    if facility is None:
        raise CommandError(f"No facility with code {code!r}.")
    return facility


def user_by_name(username: str | None) -> User | None:
    """The ``--as`` user; without it the command runs as the system (no user)."""
    if username is None:
        return None
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user
