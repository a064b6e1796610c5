"""The facility tree page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cellblock.core.access import requires
from cellblock.core.errors import NotFound
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import FacilityPolicy
from cellblock.facilities.policy import POLICY_SOURCES
from cellblock.facilities.selectors import facility_tree


@requires(Perm.FACILITY_VIEW)
def tree(request: HttpRequest) -> HttpResponse:
    facility = current_facility(request)
    if facility is None:
        raise NotFound("You have no role at any facility.")
    policy = FacilityPolicy.objects.get(facility=facility)
    policy_rows = [
        (field.verbose_name, getattr(policy, field.name), POLICY_SOURCES.get(field.name, ""))
        for field in FacilityPolicy._meta.fields
        if field.name not in ("id", "facility")
    ]
    return render(
        request,
        "facilities/tree.html",
        {"tree": facility_tree(facility), "policy_rows": policy_rows},
    )
