"""What every page view asks first: who is signed in, at which facility, with which permission.

The ``@requires`` decorator has already checked that the user holds the
permission *somewhere*; these helpers check it at the facility the page is
about (the one chosen in the switcher, or a record's own facility).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest

from cellblock.core.access import MISSING_ROLE, user_has_perm
from cellblock.core.errors import NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm

if TYPE_CHECKING:
    from cellblock.accounts.models import User
    from cellblock.facilities.models import Facility

NO_FACILITY = "You have no role at any facility."


def me(request: HttpRequest) -> User:
    # Only reached behind @requires, so somebody is signed in.
    return cast("User", request.user)


def require_perm_at(request: HttpRequest, perm: Perm, facility_id: int) -> None:
    """The page decorator checks ``perm`` somewhere; a record's facility needs it too."""
    if not user_has_perm(request.user, perm, facility_id):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")


def facility_for(request: HttpRequest, perm: Perm) -> Facility:
    """The facility the user works at now (the switcher's), if they hold ``perm`` there."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    require_perm_at(request, perm, facility.pk)
    return facility


def can(request: HttpRequest, perm: Perm, facility_id: int) -> bool:
    return user_has_perm(request.user, perm, facility_id)
