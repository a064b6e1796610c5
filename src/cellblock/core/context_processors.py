"""What every page's layout needs: facility switcher and role-based navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from cellblock.core.access import user_has_perm
from cellblock.core.facility_scope import current_facility, facilities_of
from cellblock.core.roles import Perm

# The menu in groups, as a shift uses it: (group, ((label, url name, permission needed
# at the current facility), ...)).  A group none of whose entries the user may open is left out.
NAVIGATION: tuple[tuple[str, tuple[tuple[str, str, Perm], ...]], ...] = (
    ("Shift", (
        ("Dashboard", "core:dashboard", Perm.DASHBOARD_VIEW),
        ("Alerts", "compliance:board", Perm.COMPLIANCE_VIEW),
        ("Count", "custody:count", Perm.HOUSING_VIEW),
        ("Rounds", "custody:rounds", Perm.ROUNDS_RECORD),
        ("Posts", "custody:posts", Perm.HOUSING_VIEW),
    )),
    ("People", (
        ("Roster", "booking:roster", Perm.BOOKING_VIEW),
        ("New booking", "intake:new", Perm.BOOKING_CREATE),
        ("Classification", "classification:queue", Perm.BOOKING_VIEW),
        ("Bed board", "housing:board", Perm.HOUSING_VIEW),
    )),
    ("Care and contact", (
        ("Visits", "visits:board", Perm.VISIT_VIEW),
        ("Requests", "requests:inbox", Perm.REQUEST_VIEW),
        ("Medical", "medical:worklist", Perm.MEDICAL_VIEW),
    )),
    ("Custody", (
        ("Movements", "custody:movements", Perm.MOVEMENT_RECORD),
        ("Meals", "custody:meals", Perm.MEALS_RECORD),
        ("Restraints", "custody:restraints", Perm.RESTRAINT_APPLY),
        ("Doors", "custody:access", Perm.DOOR_OPERATE),
        ("Incidents", "incidents:list", Perm.INCIDENT_REPORT),
    )),
    ("Court", (
        ("Court", "court:calendar", Perm.COURT_VIEW),
        ("Releases", "release:board", Perm.COURT_VIEW),
    )),
    ("Records", (
        ("Facility", "facilities:tree", Perm.FACILITY_VIEW),
        ("Staff", "accounts:staff", Perm.STAFF_VIEW),
        ("Import", "exchange:imports", Perm.RECORDS_IMPORT),
        ("Audit log", "audit:log", Perm.AUDIT_READ),
    )),
)  # fmt: skip


def shell(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    facility = current_facility(request)
    facility_id = facility.pk if facility else None
    current = request.resolver_match.view_name if request.resolver_match is not None else ""
    nav = []
    for group, entries in NAVIGATION if facility_id is not None else ():
        items = [
            {"label": label, "url": reverse(name), "active": current == name}
            for label, name, perm in entries
            if user_has_perm(request.user, perm, facility_id)
        ]
        if items:
            nav.append({"group": group, "items": items})
    roles = sorted(request.user.roles_at(facility_id)) if facility_id else []
    return {
        "current_facility": facility,
        "my_facilities": facilities_of(request),
        "my_roles": roles,
        "nav_items": nav,
    }
