"""Pages: recomputed release dates to review, and the worked computation beside a sentence.

Whenever a sentence, a credit, a verdict, a rule version or a transfer moves
someone's release date, the difference is listed here until the court staff
or the commander look at it and mark it reviewed (with a note when there is
something to say).  The reviewed ones stay a click away.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court.models import ReleaseDateChange
from cellblock.court.services.release_dates import (
    release_date_change_get_for_user,
    release_date_change_review,
    unreviewed_changes,
)
from cellblock.court.views.common import (
    can,
    facility_for,
    form_state,
    fragment,
    me,
    posted,
    problem_text,
    require_perm_at,
    safe_next,
)

REVIEWED = "Release-date change of {person} reviewed."
# Reviewed changes shown when asked for: the most recent.
REVIEWED_SHOWN = 50
CAUSES = {
    "sentence": "Sentence",
    "credit": "Credit",
    "rule": "Credit rule",
    "verdict": "Verdict",
    "transfer": "Transfer",
}


@dataclass(frozen=True)
class ChangeRow:
    change: ReleaseDateChange
    # New minus previous, in days (positive: later); None when one side has no date.
    shift: int | None
    cause: str

    @property
    def moved(self) -> str:
        if self.change.previous_on is None:
            return "first date"
        if self.change.new_on is None:
            return "no date now"
        days = abs(self.shift or 0)
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {'later' if (self.shift or 0) > 0 else 'earlier'}"


def change_rows(changes: list[ReleaseDateChange]) -> list[ChangeRow]:
    rows = []
    for change in changes:
        shift = None
        if change.previous_on is not None and change.new_on is not None:
            shift = (change.new_on - change.previous_on).days
        rows.append(ChangeRow(change, shift, CAUSES.get(change.cause, change.cause.title())))
    return rows


def _context(request: HttpRequest, **state: Any) -> dict[str, Any]:
    facility = facility_for(request, Perm.COURT_VIEW)
    show = request.GET.get("show", "")
    unreviewed = list(unreviewed_changes(facility).select_related("booking__person", "computed_by"))
    reviewed: list[ReleaseDateChange] = []
    if show == "reviewed":
        reviewed = list(
            ReleaseDateChange.objects.filter(booking__facility=facility, reviewed_at__isnull=False)
            .select_related("booking__person", "computed_by", "reviewed_by")
            .order_by("-reviewed_at", "-id")[:REVIEWED_SHOWN]
        )
    return {
        "facility": facility,
        "tz": facility.timezone,
        "rows": change_rows(unreviewed),
        "reviewed": change_rows(reviewed),
        "show": show,
        "can_review": can(request, Perm.RELEASE_DATE_REVIEW, facility.pk),
        "can_record": can(request, Perm.COURT_RECORD, facility.pk),
        "self_url": request.get_full_path(),
        **form_state("", None, None, ""),
        **state,
    }


@require_GET
@requires(Perm.COURT_VIEW)
def changes(request: HttpRequest) -> HttpResponse:
    """Every release date that moved and is not reviewed yet, oldest first."""
    return fragment(render(request, "court/changes.html", _context(request)))


@require_POST
@requires(Perm.RELEASE_DATE_REVIEW)
def review(request: HttpRequest, change_id: uuid.UUID) -> HttpResponse:
    """Mark one change reviewed, with a note."""
    change = release_date_change_get_for_user(me(request), change_id, Perm.RELEASE_DATE_REVIEW)
    require_perm_at(request, Perm.RELEASE_DATE_REVIEW, change.booking.facility_id)
    form = {**posted(request), "change": str(change.public_id)}
    try:
        release_date_change_review(actor=me(request), change=change, note=form.get("note", ""))
    except DomainError as exc:
        context = _context(request, **form_state("review", form, {}, problem_text(exc)))
        return fragment(render(request, "court/changes.html", context, status=exc.status))
    messages.success(request, REVIEWED.format(person=change.booking.person.full_name))
    return redirect(safe_next(request, reverse("court:changes")))


urlpatterns = [
    path("release-dates/", changes, name="changes"),
    path("release-dates/<uuid:change_id>/review/", review, name="change_review"),
]
