from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from cellblock.accounts.backends import ACCOUNT_LOCKED_FLAG
from cellblock.accounts.services import ACCOUNT_LOCKED
from cellblock.core.roles import Role


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


class StaffForm(forms.Form):
    username = forms.CharField(max_length=150)
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; the person changes it later.",
    )
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text="At this facility."
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
