"""The audit log page for auditors: filter by actor, object and time."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime

from cellblock.audit.selectors import audit_events
from cellblock.core.access import requires
from cellblock.core.roles import Perm

PAGE_SIZE = 50


def _when(text: str) -> dt.datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


@requires(Perm.AUDIT_READ)
def log(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("actor", "object_id", "action", "since", "until")}
    events = audit_events(
        actor=filters["actor"],
        object_id=filters["object_id"],
        action=filters["action"],
        facility_ids=request.user.facilities_with(Perm.AUDIT_READ),  # type: ignore[union-attr]
        since=_when(filters["since"]),
        until=_when(filters["until"]),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "audit/log.html#events" if request.headers.get("HX-Request") else "audit/log.html"
    return render(request, template, {"page": page, "filters": filters})
