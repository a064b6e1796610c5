"""Dashboard, facility switcher and health check."""

from __future__ import annotations

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cellblock.core import clock
from cellblock.core.access import public, requires, signed_in, user_has_perm
from cellblock.core.facility_scope import choose_facility, current_facility
from cellblock.core.roles import Perm

OVERDUE_SHOWN = 50
# The dashboard lists the oldest few housing alerts; the queue page has them all.
ALERTS_SHOWN = 5
# The compliance panel shows the most urgent alerts; the alert board has them all.
COMPLIANCE_SHOWN = 10
# Up to this many held, the panel derives the alerts on each view; above it, a page
# everyone opens reads what the last compliance sweep recorded (it runs every minute).
COMPLIANCE_LIVE_LIMIT = 2000


@requires(Perm.DASHBOARD_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    from cellblock.booking.selectors import (
        bookings_with_overdue_steps,
        count_bookings_with_overdue_steps,
    )
    from cellblock.classification.selectors import overdue_counts
    from cellblock.compliance.selectors import alerts as compliance_alerts
    from cellblock.compliance.selectors import recorded_summary
    from cellblock.compliance.selectors import summary as compliance_summary
    from cellblock.facilities.selectors import facility_summary
    from cellblock.housing.selectors import open_reviews

    facility = current_facility(request)
    summary = facility_summary(facility) if facility else None
    # Only those who may read bookings see whose intake is late.
    show_overdue = facility is not None and user_has_perm(
        request.user, Perm.BOOKING_VIEW, facility.pk
    )
    overdue = (
        bookings_with_overdue_steps(facility, limit=OVERDUE_SHOWN)
        if facility and show_overdue
        else []
    )
    # The list shows the longest overdue; the badge counts them all.
    overdue_count = (
        count_bookings_with_overdue_steps(facility)
        if facility and len(overdue) >= OVERDUE_SHOWN
        else len(overdue)
    )
    now = clock.now()
    # Classification and housing panels: for the same readers of bookings.
    classification = overdue_counts(facility, now) if facility and show_overdue else None
    alerts = open_reviews(facility) if facility and show_overdue else None
    show_compliance = facility is not None and user_has_perm(
        request.user, Perm.COMPLIANCE_VIEW, facility.pk
    )
    compliance = None
    if facility is not None and show_compliance:
        if summary is not None and summary.occupied > COMPLIANCE_LIVE_LIMIT:
            compliance = recorded_summary(facility, top=COMPLIANCE_SHOWN)
        else:
            found = compliance_alerts(facility, now)
            compliance = compliance_summary(found, top=COMPLIANCE_SHOWN)
    context = {
        "summary": summary, "show_overdue": show_overdue, "overdue": overdue,
        "overdue_count": overdue_count, "now": now,
        "classification_overdue": classification,
        "alerts": list(alerts[:ALERTS_SHOWN]) if alerts is not None else [],
        "alert_count": alerts.count() if alerts is not None else 0,
        "compliance": compliance,
        "tz": facility.timezone if facility else "UTC",
    }  # fmt: skip
    return render(request, "core/dashboard.html", context)


@require_POST
@signed_in
def switch_facility(request: HttpRequest) -> HttpResponse:
    facility = choose_facility(request, request.POST.get("facility", ""))
    if facility is None:
        messages.error(request, "You have no role at that facility.")
    else:
        messages.success(request, f"Now working in {facility.name}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "core:dashboard")


@require_GET
@public
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers 200 only when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
