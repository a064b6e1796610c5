"""Pages of the compliance app: the alert board, the compliance report and the sweep button.

The board derives every alert from the records when it is drawn (and again
every minute, by htmx); the report reads the episodes the sweep wrote.
"""

from __future__ import annotations

import datetime as dt
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.compliance import rules
from cellblock.compliance.selectors import alerts, episode_minutes, filtered, report, summary
from cellblock.compliance.services import compliance_sweep
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.schedule import day_bounds, local_date
from cellblock.facilities.models import Facility

NO_FACILITY = "You have no role at any facility."
# The board redraws itself this often (seconds).
REFRESH_SECONDS = 60
# Rows drawn at most: the most urgent; the counts and filters reach the rest.
BOARD_SHOWN = 500
DEFAULT_REPORT_DAYS = 7
MAX_REPORT_DAYS = 366
SWEPT = "Sweep done: {opened} opened, {cleared} cleared, {open} open now."
SWEEP_SUPERSEDED = "A newer sweep had just run; nothing more to record."
BAD_DATE = "Could not read the {which} date ({value}); showing the last 7 days."
BAD_RANGE = "The range must run forward and cover at most 366 days; showing the last 7 days."


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _fragment_requested(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


@require_GET
@requires(Perm.COMPLIANCE_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """Every alert now: breaches first, then the oldest; filter by severity and rule."""
    facility = _facility_for(request, Perm.COMPLIANCE_VIEW)
    severity = request.GET.get("severity", "")
    severity = severity if severity in (rules.WARNING, rules.BREACH) else ""
    rule = request.GET.get("rule", "")
    rule = rule if rule in rules.RULES else ""
    now = clock.now()
    found = alerts(facility, now)
    shown = filtered(found, severity=severity, rule=rule)
    query = urlencode(
        {key: value for key, value in (("severity", severity), ("rule", rule)) if value}
    )
    context = {
        "facility": facility, "tz": facility.timezone, "now": now, "alerts": shown[:BOARD_SHOWN],
        "hidden": max(0, len(shown) - BOARD_SHOWN),
        "summary": summary(found), "severity": severity, "rule": rule,
        "rules": sorted(rules.RULES.values(), key=lambda r: r.title),
        "refresh_url": reverse("compliance:board") + (f"?{query}" if query else ""),
        "refresh_seconds": REFRESH_SECONDS,
    }  # fmt: skip
    template = (
        "compliance/board.html#board" if _fragment_requested(request) else "compliance/board.html"
    )
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _report_range(
    request: HttpRequest, facility: Facility, now: dt.datetime
) -> tuple[dt.date, dt.date, list[str]]:
    problems: list[str] = []
    values = {which: request.GET.get(which, "").strip() for which in ("from", "to")}
    parsed = {which: _date(value) for which, value in values.items()}
    for which, value in values.items():
        if value and parsed[which] is None:
            problems.append(BAD_DATE.format(which=which, value=value))
    today = local_date(now, facility.timezone)
    last = parsed["to"] or today
    first = parsed["from"] or last - dt.timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if problems or last < first or (last - first).days + 1 > MAX_REPORT_DAYS:
        if not problems:
            problems.append(BAD_RANGE)
        last, first = today, today - dt.timedelta(days=DEFAULT_REPORT_DAYS - 1)
    return first, last, problems


@require_GET
@requires(Perm.COMPLIANCE_VIEW)
def report_page(request: HttpRequest) -> HttpResponse:
    """Alert episodes that overlap a range of days, grouped by rule, with their durations."""
    facility = _facility_for(request, Perm.COMPLIANCE_VIEW)
    now = clock.now()
    first, last, problems = _report_range(request, facility, now)
    starts_at = day_bounds(first, facility.timezone)[0]
    ends_at = day_bounds(last, facility.timezone)[1]
    totals = report(facility, starts_at, ends_at, now)
    context = {
        "facility": facility, "tz": facility.timezone, "now": now, "first": first, "last": last,
        "problems": problems, "totals": totals,
        "episodes": sum(t.count for t in totals),
        "rows": [
            (t, [(episode, episode_minutes(episode, now)) for episode in t.episodes])
            for t in totals
        ],
        "can_sweep": user_has_perm(request.user, Perm.COMPLIANCE_SWEEP, facility.pk),
    }  # fmt: skip
    return render(request, "compliance/report.html", context, status=400 if problems else 200)


@require_POST
@requires(Perm.COMPLIANCE_SWEEP)
def sweep(request: HttpRequest) -> HttpResponse:
    """Run the sweep now (it also runs on a schedule) and go back to the report."""
    facility = _facility_for(request, Perm.COMPLIANCE_SWEEP)
    try:
        result = compliance_sweep(actor=cast(User, request.user), facility=facility)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if result.superseded:
            messages.info(request, SWEEP_SUPERSEDED)
        else:
            messages.success(
                request,
                SWEPT.format(
                    opened=len(result.opened), cleared=len(result.cleared), open=result.open_now
                ),
            )
    wanted = {key: request.POST.get(key, "") for key in ("from", "to")}
    query = urlencode({key: value for key, value in wanted.items() if _date(value)})
    return redirect(reverse("compliance:report") + (f"?{query}" if query else ""))
