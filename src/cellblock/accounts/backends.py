"""Password sign-in that counts failures and refuses locked accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from cellblock.accounts.models import User
from cellblock.accounts.services import (
    login_failure_record,
    login_refused_locked_record,
)

# Set on the request when the password was right, so the sign-in that follows
# is audited as one (``force_login`` and other password-less logins are not).
SIGN_IN_CHECKED = "cellblock_sign_in_checked"
# Set on the request when the account is (now) locked, so the form can say so.
ACCOUNT_LOCKED_FLAG = "cellblock_account_locked"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class LockoutBackend(ModelBackend):
    """Used for every password check, from our sign-in page or the admin's."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        user = User.objects.filter(username__iexact=username).first()
        if user is not None and user.locked_at is not None:
            login_refused_locked_record(user=user, ip_address=client_ip(request))
            if request is not None:
                setattr(request, ACCOUNT_LOCKED_FLAG, True)
            return None
        if user is None:
            # Same work as a real check, so timing does not reveal valid names.
            User().set_password(password)
        elif user.check_password(password) and self.user_can_authenticate(user):
            if request is not None:
                setattr(request, SIGN_IN_CHECKED, user.pk)
            return user
        now_locked = login_failure_record(username=username, ip_address=client_ip(request))
        if now_locked and request is not None:
            setattr(request, ACCOUNT_LOCKED_FLAG, True)
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        # A locked account also loses the sessions it already has: each
        # request reloads the user through here.
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
