"""Audit every sign-in and sign-out, whichever page (ours or the admin's) did it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cellblock.accounts.backends import SIGN_IN_CHECKED, client_ip
from cellblock.accounts.middleware import LOGOUT_REASON, stamp_new_session
from cellblock.accounts.models import User
from cellblock.accounts.services import login_success_record, logout_record


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None:
        return
    # The session limits count from here.
    stamp_new_session(request)
    if getattr(request, SIGN_IN_CHECKED, None) == user.pk:
        login_success_record(user=user, ip_address=client_ip(request))


def on_user_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    logout_record(user=user, reason=getattr(request, LOGOUT_REASON, ""))
