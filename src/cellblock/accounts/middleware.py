"""CJIS session limits: lock after 30 minutes idle, re-authenticate every 12 hours."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse

from cellblock.core import clock

SIGNED_IN_AT = "cellblock_signed_in_at"
LAST_SEEN_AT = "cellblock_last_seen_at"
# Set on the request before an automatic logout; the logout audit event reads it.
LOGOUT_REASON = "cellblock_logout_reason"
IDLE_LOCKED = "Your session was locked after {minutes} minutes without activity. Sign in again."
TOO_OLD = "Sessions last at most {hours} hours. Sign in again to continue."
# Refreshing the idle stamp on every request would save the session on every
# request; once a minute is precise enough for a 30-minute limit.
_TOUCH_EVERY_SECONDS = 60


def stamp_new_session(request: HttpRequest) -> None:
    now = clock.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def is_poll(request: HttpRequest) -> bool:
    """A page refreshing itself on a timer (a board, a count): not someone at the keyboard."""
    return request.headers.get("X-Cellblock-Poll") == "1" or request.GET.get("poll") == "1"


def session_end_reason(request: HttpRequest) -> str:
    """Why this signed-in session must end now, or "" (and note the activity)."""
    now = clock.now().timestamp()
    session = request.session
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if signed_in_at is None or last_seen_at is None:
        # A session from before these limits: start counting now.
        stamp_new_session(request)
        return ""
    if now - signed_in_at > settings.CELLBLOCK_SESSION_MAX_HOURS * 3600:
        return TOO_OLD.format(hours=settings.CELLBLOCK_SESSION_MAX_HOURS)
    if now - last_seen_at > settings.CELLBLOCK_SESSION_IDLE_MINUTES * 60:
        return IDLE_LOCKED.format(minutes=settings.CELLBLOCK_SESSION_IDLE_MINUTES)
    # A screen left open must still lock: its own refreshes are not activity.
    if now - last_seen_at >= _TOUCH_EVERY_SECONDS and not is_poll(request):
        session[LAST_SEEN_AT] = now
    return ""


class SessionLimitsMiddleware:
    """Ends expired sessions before any view runs (pages and the API alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = session_end_reason(request)
            if reason:
                setattr(request, LOGOUT_REASON, reason)
                logout(request)  # audited as auth.logout with the reason
                if request.headers.get("HX-Request") == "true":
                    # htmx would put the sign-in page inside the panel: load it whole.
                    return self._back_to_sign_in_whole_page(request, reason)
                if not request.path.startswith("/api/"):
                    return self._back_to_sign_in(request, reason)
                # The API answers 401 in its own shape to the now anonymous caller.
        return self.get_response(request)

    @staticmethod
    def _back_to_sign_in_whole_page(request: HttpRequest, reason: str) -> HttpResponse:
        # Back to the page the fragment belongs to once signed in, not to the fragment.
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = page.path + (f"?{page.query}" if page.query else "") if page.path else "/"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect_to_login(here)["Location"]
        return SessionLimitsMiddleware._with_message(request, response, reason)

    @staticmethod
    def _back_to_sign_in(request: HttpRequest, reason: str) -> HttpResponse:
        response = redirect_to_login(request.get_full_path())
        return SessionLimitsMiddleware._with_message(request, response, reason)

    @staticmethod
    def _with_message(request: HttpRequest, response: HttpResponse, reason: str) -> HttpResponse:
        # This runs before MessageMiddleware, so the message goes straight into
        # the (new, anonymous) session for the sign-in page to show.
        storage = default_storage(request)
        storage.add(message_levels.WARNING, reason)
        storage.update(response)
        return response
