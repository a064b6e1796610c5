"""Deny by default: every page and API operation declares what it needs.

Pages use ``@requires(Perm.X)`` (or ``@signed_in`` / ``@public``); API operations
use ``auth=api_requires(Perm.X)``.  Both leave a ``required_permission`` mark
that a test reads for every URL, so a view without a declaration fails the
suite.  Record-level checks (the right facility) happen in each app's
``<entity>_get_for_user`` and answer 404 for both missing and forbidden.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from cellblock.core.errors import PermissionDenied
from cellblock.core.roles import Perm

if TYPE_CHECKING:
    from cellblock.accounts.models import User

PUBLIC = "public"
SIGNED_IN = "signed-in"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])

MISSING_ROLE = "Your roles do not allow this: it needs the {perm} permission."


def user_has_perm(user: Any, perm: Perm, facility_id: int | None = None) -> bool:
    """Does ``user`` hold ``perm`` at ``facility_id`` (or at any facility)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if facility_id is None:
        return bool(user.facilities_with(perm))
    return perm in user.perms_at(facility_id)


def requires(perm: Perm) -> Callable[[ViewFunc], ViewFunc]:
    """Page decorator: signed in, and holding ``perm`` at some facility."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_perm(request.user, perm):
                raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return cast(ViewFunc, wrapper)

    return decorate


def signed_in(view: ViewFunc) -> ViewFunc:
    """Page decorator for pages any member of staff may use (their own tokens)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.required_permission = SIGNED_IN  # type: ignore[attr-defined]
    return cast(ViewFunc, wrapper)


def public(view: ViewFunc) -> ViewFunc:
    """Mark a page that needs no sign-in (the login page, health check)."""
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view


class ApiRequires(AuthBase):
    """API auth: a bearer token or a signed-in session, holding ``perm`` somewhere.

    Returns ``None`` (401) when nobody is signed in and raises 403 for a user
    whose roles lack the permission.  Session callers must pass the CSRF check
    on unsafe methods; token callers carry no cookie, so CSRF does not apply.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, perm: Perm | str) -> None:
        self.required_permission = perm
        super().__init__()

    def __call__(self, request: HttpRequest) -> User | None:
        from cellblock.accounts.services import api_token_authenticate

        header = request.headers.get("Authorization", "")
        user: User | None
        if header.lower().startswith("bearer "):
            user = api_token_authenticate(raw_token=header[7:].strip())
            if user is None:
                return None
            request.user = user
        else:
            if not request.user.is_authenticated:
                return None
            if check_csrf(request) is not None:
                raise PermissionDenied(
                    "CSRF check failed: send the X-CSRFToken header with session requests.",
                    code="csrf_failed",
                )
            user = cast("User", request.user)
        if self.required_permission != SIGNED_IN and not user_has_perm(
            user, cast(Perm, self.required_permission)
        ):
            raise PermissionDenied(
                MISSING_ROLE.format(perm=str(self.required_permission)), code="missing_role"
            )
        return user


def api_requires(perm: Perm) -> ApiRequires:
    return ApiRequires(perm)


def api_signed_in() -> ApiRequires:
    return ApiRequires(SIGNED_IN)
