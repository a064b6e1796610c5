"""Sign in, sign out, and one's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cellblock.accounts.backends import client_ip
from cellblock.accounts.forms import ApiTokenForm, SignInForm
from cellblock.accounts.middleware import stamp_new_session
from cellblock.accounts.models import ApiToken, User
from cellblock.accounts.services import (
    api_token_create,
    api_token_revoke,
    login_success_record,
    logout_record,
)
from cellblock.core.access import public, signed_in
from cellblock.core.errors import ValidationFailed


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        stamp_new_session(self.request)
        login_success_record(user=form.get_user(), ip_address=client_ip(self.request))
        return response


sign_in = public(SignInView.as_view())


@require_POST
@public
def sign_out(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        logout_record(user=request.user)  # type: ignore[arg-type]
    return auth_views.LogoutView.as_view()(request)


@signed_in
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    issued_raw = ""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(
                actor=user, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
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
    token = get_object_or_404(ApiToken, public_id=public_id, user=request.user)
    api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, f"Token '{token.name}' revoked.")
    return redirect("accounts:tokens")
