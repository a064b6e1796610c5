"""What the visit pages share: the signed-in user, the facility, htmx fragments, local times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from cellblock.core.errors import DomainError
from cellblock.core.page_access import facility_for, me, require_perm_at  # noqa: F401  (the views import them from here)

# Shared with the medical pages; imported from here by the visit views.
from cellblock.core.page_forms import field_errors as field_errors
from cellblock.core.page_forms import local_value as local_value
from cellblock.core.page_forms import parse_local as parse_local
from cellblock.core.page_forms import posted as posted
from cellblock.visits import rules
from cellblock.visits.models import VisitStatus

BAD_TIME = "is not a date and time (YYYY-MM-DD HH:MM)."
BAD_DATE = "is not a date (YYYY-MM-DD)."
# The tone of each status on the page (a colour, always with the status in words).
STATUS_TONE: dict[str, str] = {
    VisitStatus.REQUESTED: "warn",
    VisitStatus.SCHEDULED: "info",
    VisitStatus.CHECKED_IN: "info",
    VisitStatus.IN_PROGRESS: "ok",
    VisitStatus.ENDED: "warn",
    VisitStatus.COMPLETED: "muted",
    VisitStatus.CANCELLED: "muted",
    VisitStatus.NO_SHOW: "muted",
}


def is_htmx(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


def fragment(response: HttpResponse) -> HttpResponse:
    """Never cached (a page part for htmx, or a page with a live timer), and never mistaken
    for the whole page when htmx asked for a part."""
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


# Field messages that read on from the field's name ("Reason is required ...").
_CONTINUES = ("is ", "are ", "must ", "cannot ", "has ", "was ")


def field_sentence(name: str, message: str) -> str:
    """A service's message about one field, as a sentence naming the field."""
    label = name.replace("_", " ").capitalize()
    return f"{label} {message}" if message.startswith(_CONTINUES) else f"{label}: {message}"


def problem_text(exc: DomainError) -> str:
    """What went wrong, in words: the fields named one by one, or the service's message."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    if not fields:
        return exc.message
    return " ".join(
        field_sentence(name, message) for name, messages in fields.items() for message in messages
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a form posted from the board or the detail page goes back to."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


@dataclass(frozen=True)
class RuleLine:
    """One rule a visit breaks, as the verdict shows it: its title, code and message."""

    code: str
    title: str
    text: str
    overridable: bool


def rule_lines(violations: list[dict[str, Any]] | list[rules.Violation]) -> list[RuleLine]:
    lines = []
    for found in violations:
        item = found.as_dict() if isinstance(found, rules.Violation) else found
        code, message = str(item["code"]), str(item["message"])
        title = rules.TITLES.get(code) or code.replace("_", " ").capitalize() or "Rule"
        text = message.removeprefix(f"{title}: ")
        lines.append(RuleLine(code, title, text, bool(item.get("overridable", True))))
    return lines


@dataclass(frozen=True)
class Timer:
    """The countdown of a visit in progress, as the server's clock sees it now."""

    seconds_left: int

    @property
    def over(self) -> bool:
        return self.seconds_left <= 0

    @property
    def clock(self) -> str:
        whole = abs(self.seconds_left)
        hours, rest = divmod(whole, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
