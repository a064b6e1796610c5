"""The facility a member of staff is working in (the facility switcher)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from cellblock.facilities.models import Facility

SESSION_KEY = "cellblock_facility"


def facilities_of(request: HttpRequest) -> list[Facility]:
    from cellblock.facilities.models import Facility

    user = request.user
    if not user.is_authenticated:
        return []
    cached: list[Facility] | None = getattr(request, "_cellblock_facilities", None)
    if cached is None:
        ids = list(user.facility_roles().keys())
        cached = list(Facility.objects.filter(pk__in=ids).order_by("name"))
        request._cellblock_facilities = cached  # type: ignore[attr-defined]
    return cached


def current_facility(request: HttpRequest) -> Facility | None:
    """The facility chosen in the switcher, or the user's first one."""
    facilities = facilities_of(request)
    if not facilities:
        return None
    chosen = request.session.get(SESSION_KEY)
    for facility in facilities:
        if str(facility.public_id) == chosen:
            return facility
    return facilities[0]


def choose_facility(request: HttpRequest, public_id: str) -> Facility | None:
    for facility in facilities_of(request):
        if str(facility.public_id) == public_id:
            request.session[SESSION_KEY] = public_id
            return facility
    return None
