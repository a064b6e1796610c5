"""Sign in, sign out, and one's own API tokens."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cellblock.accounts.forms import ApiTokenForm, SignInForm
from cellblock.accounts.models import ApiToken, User
from cellblock.accounts.services import api_token_create, api_token_revoke
from cellblock.core.access import public, signed_in
from cellblock.core.errors import ValidationFailed


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
        {"form": form, "issued_raw": issued_raw, "tokens": user.api_tokens.all()},
    )


@require_POST
@signed_in
def token_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _me(request)
    token = get_object_or_404(ApiToken, public_id=public_id, user=user)
    api_token_revoke(actor=user, token=token)
    messages.success(request, f"Token '{token.name}' revoked.")
    return redirect("accounts:tokens")
