"""CJIS session limits: lock after 30 minutes idle, re-authenticate every 12 hours."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from cellblock.core import clock

SIGNED_IN_AT = "cellblock_signed_in_at"
LAST_SEEN_AT = "cellblock_last_seen_at"
IDLE_LOCKED = "Your session was locked after {minutes} minutes without activity. Sign in again."
TOO_OLD = "Sessions last at most {hours} hours. Sign in again to continue."
# Refreshing the idle stamp on every request would save the session on every
# request; once a minute is precise enough for a 30-minute limit.
_TOUCH_EVERY_SECONDS = 60


def stamp_new_session(request: HttpRequest) -> None:
    now = clock.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            ended = self._end_if_expired(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _end_if_expired(self, request: HttpRequest) -> HttpResponse | None:
        from cellblock.accounts.services import logout_record

        now = clock.now().timestamp()
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:
            # A session from before these limits (or the test client's
            # force_login): start counting now.
            stamp_new_session(request)
            return None
        idle_limit = settings.CELLBLOCK_SESSION_IDLE_MINUTES * 60
        age_limit = settings.CELLBLOCK_SESSION_MAX_HOURS * 3600
        message = ""
        if now - signed_in_at > age_limit:
            message = TOO_OLD.format(hours=settings.CELLBLOCK_SESSION_MAX_HOURS)
        elif now - last_seen_at > idle_limit:
            message = IDLE_LOCKED.format(minutes=settings.CELLBLOCK_SESSION_IDLE_MINUTES)
        if not message:
            if now - last_seen_at > _TOUCH_EVERY_SECONDS:
                session[LAST_SEEN_AT] = now
            return None
        user = request.user
        logout_record(user=user, reason=message)  # type: ignore[arg-type]
        logout(request)
        if request.path.startswith("/api/"):
            # The API answers 401 in its own shape; let it.
            return None
        messages.warning(request, message)
        return redirect_to_login(request.get_full_path())
