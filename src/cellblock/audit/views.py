"""The audit log page for auditors: filter by actor, object, action, outcome and time."""

from __future__ import annotations

import datetime as dt
import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from cellblock.audit.models import Outcome
from cellblock.audit.selectors import audit_events
from cellblock.core.access import requires
from cellblock.core.roles import Perm

PAGE_SIZE = 50
FILTERS = ("actor", "object_id", "action", "outcome", "since", "until")


def parse_moment(text: str) -> dt.datetime | None:
    """A moment typed in a filter (``2025-03-01T14:30``), read as UTC; None if unreadable."""
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:  # well formed but impossible, such as month 13
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


@requires(Perm.AUDIT_READ)
def log(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in FILTERS}
    if filters["outcome"] not in Outcome.values:
        filters["outcome"] = ""
    oldest_first = request.GET.get("order") == "oldest"
    events = audit_events(
        actor=filters["actor"],
        object_id=filters["object_id"],
        action=filters["action"],
        outcome=filters["outcome"],
        facility_ids=request.user.facilities_with(Perm.AUDIT_READ),  # type: ignore[union-attr]
        since=parse_moment(filters["since"]),
        until=parse_moment(filters["until"]),
        oldest_first=oldest_first,
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.changes_text = json.dumps(event.changes, indent=1, ensure_ascii=False)  # type: ignore[attr-defined]
    active = {key: value for key, value in filters.items() if value}
    order = "oldest" if oldest_first else "newest"
    context = {
        "page": page,
        "filters": filters,
        "outcomes": Outcome.choices,
        "order": order,
        # Query strings that keep the filters: for the pager, and to flip the order.
        "query": urlencode({**active, "order": order}),
        "flip_query": urlencode({**active, "order": "newest" if oldest_first else "oldest"}),
        "bad_moment": [
            key for key in ("since", "until") if filters[key] and parse_moment(filters[key]) is None
        ],
    }
    # htmx asks for the events alone, except when it restores a page from history.
    fragment = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(request, "audit/log.html#events" if fragment else "audit/log.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
