"""The JSON API: one NinjaAPI, one router per app, one error shape.

Every error answers ``{"message": str, "code": str, "extra": {...}}``:
400 invalid input, 401 not signed in, 403 role lacks the permission,
404 missing or not visible, 409 the current state forbids it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cellblock.accounts.api import router as accounts_router
from cellblock.audit.api import router as audit_router
from cellblock.booking.api import router as booking_router
from cellblock.classification.api import router as classification_router
from cellblock.compliance.api import router as compliance_router
from cellblock.core.access import ApiRequires
from cellblock.core.errors import DomainError, field_errors_from_django
from cellblock.court.api import router as court_router
from cellblock.custody.api import router as custody_router
from cellblock.facilities.api import router as facilities_router
from cellblock.housing.api import router as housing_router
from cellblock.incidents.api import router as incidents_router
from cellblock.medical.api import router as medical_router
from cellblock.people.api import router as people_router
from cellblock.release.api import router as release_router
from cellblock.requests.api import router as requests_router
from cellblock.visits.api import router as visits_router

api = NinjaAPI(
    title="cellblock API",
    version="1",
    description=(
        "Detention facility management. Authenticate with a personal API token "
        "(`Authorization: Bearer cbk_...`) or a signed-in session with the CSRF header. "
        "Errors answer `{message, code, extra}`."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # An operation that forgets to declare its permission is refused to everyone.
    auth=ApiRequires("undeclared"),
)

api.add_router("/accounts", accounts_router, tags=["accounts"])
api.add_router("/facilities", facilities_router, tags=["facilities"])
api.add_router("/people", people_router, tags=["people"])
api.add_router("/bookings", booking_router, tags=["bookings"])
api.add_router("/classification", classification_router, tags=["classification"])
api.add_router("/audit", audit_router, tags=["audit"])
api.add_router("/housing", housing_router, tags=["housing"])
api.add_router("/custody", custody_router, tags=["custody"])
api.add_router("/incidents", incidents_router, tags=["incidents"])
api.add_router("/compliance", compliance_router, tags=["compliance"])
api.add_router("/visits", visits_router, tags=["visits"])
api.add_router("/requests", requests_router, tags=["requests"])
api.add_router("/medical", medical_router, tags=["medical"])
api.add_router("/court", court_router, tags=["court"])
api.add_router("/releases", release_router, tags=["releases"])


def _error(
    request: HttpRequest, status: int, message: str, code: str, extra: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"message": message, "code": code, "extra": extra or {}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.code, exc.extra)


_LOCATIONS = frozenset({"body", "query", "path", "file", "form", "header", "cookie"})


def _field_name(loc: Any) -> str:
    """("body", "payload", "charges", 0, "statute") -> "charges[0].statute", as services name it."""
    parts = [part for part in loc if part not in _LOCATIONS]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "__all__"


@api.exception_handler(NinjaValidationError)
def on_invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        name = _field_name(error.get("loc", ()))
        fields.setdefault(name, []).append(str(error.get("msg", "is invalid")))
    message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
    return _error(request, 400, message, "validation_failed", {"fields": fields})


@api.exception_handler(DjangoValidationError)
def on_model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = field_errors_from_django(exc)
    message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
    return _error(request, 400, message, "validation_failed", {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "Sign in or send a valid API token (Authorization: Bearer ...).",
        "not_authenticated",
    )


@api.exception_handler(DjangoPermissionDenied)
def on_forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "Not allowed.", "permission_denied")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.", "not_found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), f"http_{exc.status_code}")


@api.exception_handler(IntegrityError)
def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # The services check first; reaching a database constraint means two
    # requests raced.  Name the constraint so the client can tell which rule.
    text = str(exc)
    return _error(
        request,
        409,
        "The change conflicts with the current records; reload and try again.",
        "constraint_violated",
        {"detail": text.splitlines()[0][:300] if text else ""},
    )
