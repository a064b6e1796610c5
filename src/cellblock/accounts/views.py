"""Sign in, sign out, and one's own API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cellblock.accounts.forms import ApiTokenForm, RoleForm, SignInForm, StaffForm
from cellblock.accounts.models import ApiToken, User
from cellblock.accounts.selectors import staff_get_for_user, staff_rows
from cellblock.accounts.services import (
    account_unlock,
    api_token_create,
    api_token_revoke,
    membership_grant,
    membership_revoke,
    staff_create,
    staff_set_active,
)
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, public, requires, signed_in
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility


class SignInView(auth_views.LoginView):
    # Success and failure are audited by the backend and the login signal,
    # so the admin's sign-in page is covered the same way.
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


sign_in = public(SignInView.as_view())


@require_POST
@public
def sign_out(request: HttpRequest) -> HttpResponseBase:
    # Audited by the logout signal.
    return auth_views.LogoutView.as_view()(request)


def _me(request: HttpRequest) -> User:
    # Only reached behind @signed_in.
    return cast(User, request.user)


@signed_in
@never_cache  # the page shows a new raw token once; keep it out of caches
def tokens(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    issued_raw = ""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            issued = api_token_create(
                actor=user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationFailed as exc:
            for field, problems in exc.extra["fields"].items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            issued_raw = issued.raw
            form = ApiTokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "issued_raw": issued_raw,
            "tokens": user.api_tokens.all(),
            "now": clock.now(),
        },
    )


@require_POST
@signed_in
def token_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _me(request)
    token = get_object_or_404(ApiToken, public_id=public_id, user=user)
    api_token_revoke(actor=user, token=token)
    messages.success(request, f"Token '{token.name}' revoked.")
    return redirect("accounts:tokens")


# --- staff (administrators) --------------------------------------------------


def _facility_or_404(request: HttpRequest) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound("You have no role at any facility.")
    return facility


@requires(Perm.STAFF_VIEW)
def staff(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    facility = _facility_or_404(request)
    can_manage = Perm.STAFF_MANAGE in me.perms_at(facility.pk)
    form = StaffForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MISSING_ROLE.format(perm=Perm.STAFF_MANAGE.value))
        if form.is_valid():
            try:
                created = staff_create(actor=me, facility=facility, **form.cleaned_data)
            except ValidationFailed as exc:
                for field, problems in exc.extra.get("fields", {}).items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"{created} can now sign in as {created.username}.")
                return redirect("accounts:staff")
    return render(
        request,
        "accounts/staff.html",
        {
            "rows": staff_rows(me, facility.pk),
            "can_manage": can_manage,
            "form": form,
            "role_form": RoleForm(),
        },
    )


def _staff_action(
    request: HttpRequest, public_id: str, action: Callable[[User, User], str]
) -> HttpResponse:
    me = _me(request)
    target = staff_get_for_user(me, public_id, Perm.STAFF_MANAGE)
    try:
        messages.success(request, action(me, target))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:staff")


@require_POST
@requires(Perm.STAFF_MANAGE)
def staff_unlock(request: HttpRequest, public_id: str) -> HttpResponse:
    reason = request.POST.get("reason", "")

    def unlock(me: User, target: User) -> str:
        account_unlock(actor=me, user=target, reason=reason)
        return f"{target} is released and can sign in again."

    return _staff_action(request, public_id, unlock)


@require_POST
@requires(Perm.STAFF_MANAGE)
def staff_active(request: HttpRequest, public_id: str) -> HttpResponse:
    active = request.POST.get("active") == "1"
    reason = request.POST.get("reason", "")

    def set_active(me: User, target: User) -> str:
        staff_set_active(actor=me, user=target, active=active, reason=reason)
        return f"{target} is {'active again' if active else 'deactivated'}."

    return _staff_action(request, public_id, set_active)


@require_POST
@requires(Perm.STAFF_MANAGE)
def staff_role(request: HttpRequest, public_id: str) -> HttpResponse:
    role = request.POST.get("role", "")
    grant = request.POST.get("grant") == "1"
    facility = _facility_or_404(request)

    def change(me: User, target: User) -> str:
        if grant:
            membership_grant(actor=me, user=target, facility=facility, role=role)
            return f"{target} now holds the {role} role."
        membership_revoke(actor=me, user=target, facility=facility, role=role)
        return f"{target} no longer holds the {role} role."

    return _staff_action(request, public_id, change)
