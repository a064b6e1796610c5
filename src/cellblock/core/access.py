"""Deny by default: every page and API operation declares what it needs.

Pages use ``@requires(Perm.X)`` (or ``@signed_in`` / ``@public``); API operations
use ``auth=api_requires(Perm.X)``.  Both leave a ``required_permission`` mark
that ``endpoints()`` reads for every URL, so a view without a declaration fails
the suite and the system checks.  Record-level checks (the right facility)
happen in each app's ``<entity>_get_for_user`` and answer 404 for both missing
and forbidden.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from cellblock.core.errors import PermissionDenied
from cellblock.core.roles import Perm

if TYPE_CHECKING:
    from cellblock.accounts.models import User

PUBLIC = "public"
SIGNED_IN = "signed-in"
# API operations for installation superusers only (``cellblock createsuperuser``):
# creating agencies and facilities, which no facility role can do.
INSTALLATION = "installation"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])

MISSING_ROLE = "Your roles do not allow this: it needs the {perm} permission."
UNDECLARED = "This operation does not declare the permission it needs, so it is refused."
_PERM_VALUES = frozenset(perm.value for perm in Perm)

NOT_INSTALLATION_ADMIN = (
    "Only an installation administrator (a superuser) may do this: "
    "agencies and facilities are created for the whole installation."
)
CSRF_FAILED = "CSRF check failed: send the X-CSRFToken header with session requests."


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
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
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
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
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
    ``INSTALLATION`` admits superusers only.  Anything but a ``Perm``,
    ``SIGNED_IN`` or ``INSTALLATION`` (the API's "undeclared" default) refuses
    every caller.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, perm: Perm | str) -> None:
        self.required_permission: Perm | str = perm
        if perm in _PERM_VALUES:
            self.required_permission = Perm(perm)
        super().__init__()

    def __call__(self, request: HttpRequest) -> User | None:
        user = self._caller(request)
        if user is None:
            return None
        perm = self.required_permission
        if perm == SIGNED_IN:
            return user
        if perm == INSTALLATION:
            if not user.is_superuser:
                raise PermissionDenied(NOT_INSTALLATION_ADMIN, code="installation_only")
            return user
        if not isinstance(perm, Perm):
            raise PermissionDenied(UNDECLARED, code="undeclared_access")
        if not user_has_perm(user, perm):
            raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
        return user

    def _caller(self, request: HttpRequest) -> User | None:
        from cellblock.accounts.services import api_token_authenticate

        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if header:
            # Explicit credentials are judged on their own: a bad token is
            # refused even if a session cookie came along.
            if scheme.lower() != "bearer":
                return None
            user = api_token_authenticate(raw_token=credentials.strip())
            if user is not None:
                request.user = user
            return user
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(CSRF_FAILED, code="csrf_failed")
        return request.user


def api_requires(perm: Perm) -> ApiRequires:
    return ApiRequires(perm)


def api_signed_in() -> ApiRequires:
    return ApiRequires(SIGNED_IN)


def api_installation() -> ApiRequires:
    return ApiRequires(INSTALLATION)


# --- Every URL declares its access ------------------------------------------

# Namespaces whose views guard themselves another way: the Django admin lets
# in only ``is_staff`` accounts, with Django's model permissions.
SELF_GUARDED_NAMESPACES = frozenset({"admin"})


@dataclass(frozen=True)
class Endpoint:
    """One page, or one API operation, with the access it declares."""

    route: str
    name: str
    # API operations list their methods; pages answer whichever they accept.
    methods: tuple[str, ...]
    is_api: bool
    # ``None`` when nothing was declared.
    permission: Perm | str | None

    @property
    def declared(self) -> bool:
        allowed: set[Perm | str] = {*Perm, SIGNED_IN}
        if self.is_api:
            allowed.add(INSTALLATION)
        if not self.is_api:
            allowed.add(PUBLIC)
        return self.permission in allowed


def _ninja_path_view(callback: Callable[..., Any]) -> Any | None:
    """The django-ninja ``PathView`` behind a URL callback, if it is one."""
    from ninja.operation import PathView

    for cell in getattr(callback, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(contents, PathView):
            return contents
    return None


def _ninja_schema_page(callback: Callable[..., Any]) -> bool:
    """django-ninja's own OpenAPI schema, docs and root pages."""
    from ninja.openapi.views import default_home, openapi_json, openapi_view

    func = callback.func if isinstance(callback, functools.partial) else callback
    return func in (openapi_json, openapi_view, default_home)


def _operation_permission(operation: Any) -> Perm | str | None:
    callbacks: Sequence[Any] = operation.auth_callbacks or ()
    if len(callbacks) != 1 or not isinstance(callbacks[0], ApiRequires):
        return None
    return callbacks[0].required_permission


def _walk(
    patterns: Iterable[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), namespace, entry


def _qualified(namespace: str, name: str) -> str:
    return f"{namespace}:{name}" if namespace and name else name


def endpoints(patterns: Iterable[URLPattern | URLResolver] | None = None) -> Iterator[Endpoint]:
    """Every page and API operation reachable from ``patterns`` (the root URLconf)."""
    from django.views.static import serve

    seen_path_views: set[int] = set()
    for route, namespace, pattern in _walk(
        get_resolver().url_patterns if patterns is None else patterns, "", ""
    ):
        if namespace.split(":")[0] in SELF_GUARDED_NAMESPACES:
            continue
        callback = pattern.callback
        if callback is serve:
            continue
        path_view = _ninja_path_view(callback)
        if path_view is not None:
            # Operations on one path share a PathView, which every one of
            # their URL patterns dispatches to: list its operations once.
            if id(path_view) in seen_path_views:
                continue
            seen_path_views.add(id(path_view))
            for operation in path_view.operations:
                op_name = getattr(operation, "url_name", None) or operation.view_func.__name__
                yield Endpoint(
                    route=route,
                    name=_qualified(namespace, op_name),
                    methods=tuple(operation.methods),
                    is_api=True,
                    permission=_operation_permission(operation),
                )
            continue
        name = _qualified(namespace, pattern.name or "")
        if _ninja_schema_page(callback):
            # The API's schema and docs describe operations and hold no records.
            permission: Perm | str | None = PUBLIC
        else:
            permission = getattr(callback, "required_permission", None)
        yield Endpoint(route=route, name=name, methods=(), is_api=False, permission=permission)


def undeclared_endpoints(
    patterns: Iterable[URLPattern | URLResolver] | None = None,
) -> list[Endpoint]:
    """Pages and API operations that do not say who may use them."""
    return [endpoint for endpoint in endpoints(patterns) if not endpoint.declared]


def acting_user(request: HttpRequest) -> User:
    """The member of staff an API operation's auth resolved (token or session)."""
    return request.auth  # type: ignore[attr-defined]
