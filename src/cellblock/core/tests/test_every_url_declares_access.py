"""Deny by default: every page and API operation says who may use it, and means it.

The walk covers the whole URLconf (recursively through includes), except the
Django admin, which admits only ``is_staff`` accounts on its own terms.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.views import View
from ninja import NinjaAPI, Router
from ninja.security import APIKeyHeader

from cellblock.api import api
from cellblock.core.access import (
    INSTALLATION,
    PUBLIC,
    SIGNED_IN,
    UNDECLARED,
    ApiRequires,
    Endpoint,
    api_requires,
    endpoints,
    public,
    requires,
    undeclared_endpoints,
)
from cellblock.core.errors import PermissionDenied
from cellblock.core.roles import ROLE_PERMS, Perm, Role

ENDPOINTS = list(endpoints())
PAGES = [e for e in ENDPOINTS if not e.is_api]
GUARDED_PAGES = [e for e in PAGES if e.permission != PUBLIC]
ROLE_GUARDED_PAGES = [e for e in PAGES if isinstance(e.permission, Perm)]
OPERATIONS = [(e, method) for e in ENDPOINTS if e.is_api for method in e.methods]
ROLE_GUARDED_OPERATIONS = [(e, m) for e, m in OPERATIONS if isinstance(e.permission, Perm)]
ERROR_SHAPE = {"message", "code", "extra"}
# The wrong roles tried: custody pages are not for administrators,
# configuration and the audit log are not for officers.
WRONG_ROLES = (Role.ADMIN, Role.OFFICER)

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def url_of(endpoint: Endpoint) -> str:
    """The endpoint's route with every path converter filled with a dummy value."""

    def dummy(match: re.Match[str]) -> str:
        return "987654" if match["kind"] == "int" else str(uuid.uuid4())

    assert not endpoint.route.startswith("^"), f"regex route {endpoint.route!r}: add a filler"
    return "/" + _CONVERTER.sub(dummy, endpoint.route)


def label(item: Endpoint | tuple[Endpoint, str]) -> str:
    if isinstance(item, tuple):
        return f"{item[1]} {item[0].name}"
    return item.name or item.route


def visit_page(client: Client, url: str):
    """GET the page, or POST to it if it only accepts POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def call_operation(client: Client, method: str, url: str):
    return client.generic(method, url, data="{}", content_type="application/json")


@pytest.fixture
def clients_lacking(staff_factory, client_for):
    """Signed-in clients for staff whose roles do not grant ``perm``.

    Always one member of staff with no role at all, then an administrator
    and an officer where their role lacks ``perm`` (or else any role that does).
    """

    def make(perm: Perm) -> list[tuple[str, Client]]:
        lacking = [role for role in Role if perm not in ROLE_PERMS[role]]
        wrong = [role for role in WRONG_ROLES if role in lacking] or lacking[:1]
        users = [("no role", staff_factory("nora_norole"))]
        users += [(role.value, staff_factory(f"wrong_{role.value}", role)) for role in wrong]
        return [(who, client_for(user)) for who, user in users]

    return make


# --- every URL declares its access -----------------------------------------


def test_every_page_and_api_operation_declares_who_may_use_it():
    assert undeclared_endpoints() == []


def api_routers() -> list[tuple[str, Any]]:
    """Every router of the API with its full prefix, nested ones included (custody nests)."""
    found: dict[tuple[str, int], Any] = {}

    def walk(prefix: str, router: Any) -> None:
        # Once the URLs are built, ninja may list a nested router at the top as well.
        prefix = "/" + "/".join(part for part in prefix.split("/") if part)
        found[(prefix, id(router))] = router
        for child_prefix, child, *_ in router._routers:
            walk(f"{prefix}/{child_prefix}", child)

    for prefix, router in api._routers:
        walk(prefix, router)
    return [(prefix, router) for (prefix, _), router in found.items()]


def test_the_walk_reaches_pages_in_every_app_and_every_api_operation():
    names = {e.name for e in ENDPOINTS}
    assert {"core:dashboard", "accounts:tokens", "facilities:tree", "audit:log"} <= names
    walked = {(e.route, m) for e, m in OPERATIONS}
    declared_in_api = {
        (re.sub(r"\{(\w+:)?(\w+)\}", r"<\1\2>", f"api{prefix}{op_path}").replace("//", "/"), m)
        for prefix, router in api_routers()
        for op_path, path_view in router.path_operations.items()
        for operation in path_view.operations
        for m in operation.methods
    }
    assert walked == declared_in_api


def test_every_api_operation_declares_a_real_permission_or_signed_in():
    allowed = {*Perm, SIGNED_IN, INSTALLATION}
    for prefix, router in api_routers():
        for op_path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                where = f"{operation.methods} {prefix}{op_path}"
                assert len(operation.auth_callbacks) == 1, where
                (auth,) = operation.auth_callbacks
                assert isinstance(auth, ApiRequires), where
                assert auth.required_permission in allowed, where


def _open_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("open to all by accident")


def _nested_open_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("also open")


@public
def _public_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("meant to be open")


@requires(Perm.AUDIT_READ)
def _guarded_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("for auditors")


class _PlainView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("class-based, undeclared")


_probe_router = Router()


@_probe_router.get("/forgotten")
def forgotten(request: HttpRequest) -> dict[str, str]:
    return {}


@_probe_router.get("/opened", auth=None)
def opened(request: HttpRequest) -> dict[str, str]:
    return {}


class _HeaderKey(APIKeyHeader):
    param_name = "X-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> str | None:
        return key


@_probe_router.get("/other-auth", auth=_HeaderKey())
def other_auth(request: HttpRequest) -> dict[str, str]:
    return {}


@_probe_router.get("/declared", auth=api_requires(Perm.FACILITY_VIEW))
def declared(request: HttpRequest) -> dict[str, str]:
    return {}


_probe_api = NinjaAPI(urls_namespace="access_probe", auth=ApiRequires("undeclared"))
_probe_api.add_router("/", _probe_router)

# A URLconf with one of each mistake, next to correct declarations.
urlpatterns: list[URLPattern | URLResolver] = [
    path("open/", _open_page, name="open"),
    path("cbv/", _PlainView.as_view(), name="cbv"),
    path("public/", _public_page, name="public"),
    path("CBV-public/", public(_PlainView.as_view()), name="cbv_public"),
    path("guarded/<uuid:thing>/", _guarded_page, name="guarded"),
    path("inner/", include(([path("nested/", _nested_open_page, name="nested")], "inner"))),
    path("probe-api/", _probe_api.urls),
]


def test_a_page_or_operation_without_a_declaration_is_caught():
    caught = {label(e) for e in undeclared_endpoints(urlpatterns)}
    assert caught == {
        "open",
        "cbv",
        "inner:nested",
        "access_probe:forgotten",
        "access_probe:opened",
        "access_probe:other_auth",
    }


def test_the_api_default_for_undeclared_operations_refuses_even_a_commander(commander, rf):
    request = rf.get("/api/anything")
    request.user = commander
    with pytest.raises(PermissionDenied) as refused:
        ApiRequires("undeclared")(request)
    assert refused.value.code == "undeclared_access"
    assert refused.value.message == UNDECLARED


def test_the_system_checks_name_an_undeclared_page():
    with (
        override_settings(ROOT_URLCONF=__name__),
        pytest.raises(SystemCheckError, match=r"cellblock\.W001.*inner:nested"),
    ):
        call_command("check", "--fail-level", "WARNING")


# --- pages --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("page", GUARDED_PAGES, ids=label)
def test_a_guarded_page_sends_anonymous_callers_to_sign_in(page):
    response = visit_page(Client(), url_of(page))
    assert response.status_code == 302, response.status_code
    assert response.url.startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize("page", ROLE_GUARDED_PAGES, ids=label)
def test_a_page_refuses_staff_whose_roles_lack_its_permission(page, clients_lacking):
    for who, client in clients_lacking(page.permission):
        response = visit_page(client, url_of(page))
        assert response.status_code in (403, 404), f"{who}: {response.status_code}"


# --- API operations -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "method"), OPERATIONS, ids=[label(o) for o in OPERATIONS])
def test_an_api_operation_answers_anonymous_callers_401_in_the_error_shape(operation, method):
    response = call_operation(Client(), method, url_of(operation))
    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_SHAPE
    assert body["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("operation", "method"),
    ROLE_GUARDED_OPERATIONS,
    ids=[label(o) for o in ROLE_GUARDED_OPERATIONS],
)
def test_an_api_operation_refuses_staff_whose_roles_lack_its_permission(
    operation, method, clients_lacking
):
    for who, client in clients_lacking(operation.permission):
        response = call_operation(client, method, url_of(operation))
        assert response.status_code in (403, 404), f"{who}: {response.status_code}"
        assert set(response.json()) == ERROR_SHAPE
