from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from cellblock.accounts.backends import ACCOUNT_LOCKED_FLAG
from cellblock.accounts.services import ACCOUNT_LOCKED


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the lockout explained instead of hidden."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, ACCOUNT_LOCKED_FLAG, False):
                raise forms.ValidationError(ACCOUNT_LOCKED, code="locked") from None
            raise


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'count tablet 3'."
    )
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for a token that lasts until revoked.",
    )
