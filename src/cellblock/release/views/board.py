"""Pages: the release-date board.

Who is due out today, who within the policy's days, who is held past the
date (red: the commander's alert), which releases for time served are being
prepared before the date (refused without the commander's override), who is
away on a furlough or an assignment (with the Return button), and how many
recomputed release dates wait for review.  It redraws itself every minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from cellblock.booking.models import LegalStatus
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.roles import Perm
from cellblock.release.selectors import BoardRow, release_board
from cellblock.release.views.common import RELEASE_TONE, facility_for, fragment, is_htmx, me

# The board redraws itself this often (seconds).
REFRESH_SECONDS = 60
LEGAL_STATUS = dict(LegalStatus.choices)


@dataclass(frozen=True)
class Line:
    """A board row with what the page says about it in words."""

    row: BoardRow
    legal_status: str
    tone: str

    @property
    def days_text(self) -> str:
        days = self.row.days
        if days is None:
            return ""
        unit = "day" if abs(days) == 1 else "days"
        if days == 0:
            return "today"
        return f"in {days} {unit}" if days > 0 else f"{-days} {unit} past"


def _lines(rows: list[BoardRow]) -> list[Line]:
    return [
        Line(
            row,
            LEGAL_STATUS.get(row.legal_status, row.legal_status),
            RELEASE_TONE.get(row.release.status, "muted") if row.release is not None else "",
        )
        for row in rows
    ]


@require_GET
@requires(Perm.COURT_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """The release-date board of the facility the user works at now."""
    facility = facility_for(request, Perm.COURT_VIEW)
    now = clock.now()
    found = release_board(facility, now)
    perms = me(request).perms_at(facility.pk)
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "board": found,
        "sections": {
            "overdue": _lines(found.overdue),
            "due_today": _lines(found.due_today),
            "due_soon": _lines(found.due_soon),
            "early": _lines(found.early),
            "under_way": _lines(found.under_way),
            "away": _lines(found.away),
        },
        "tones": RELEASE_TONE,
        "can_return": Perm.MOVEMENT_RECORD in perms,
        "can_release": Perm.BOOKING_RELEASE in perms,
        "self_url": reverse("release:board"),
        "refresh_seconds": REFRESH_SECONDS,
    }
    template = "release/board.html#board" if is_htmx(request) else "release/board.html"
    return fragment(render(request, template, context))


urlpatterns = [
    path("", board, name="board"),
]
