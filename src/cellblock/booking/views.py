"""The roster of the current population and the inmate profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from cellblock.audit.services import audit_record_read
from cellblock.booking.models import Booking, BookingStatus, CustodyLevel
from cellblock.booking.profile import header_context, sections_for
from cellblock.booking.selectors import (
    ROSTER_SORTS,
    UNCLASSIFIED,
    RosterFilters,
    booking_get_for_user,
    roster_filter_errors,
    roster_page,
)
from cellblock.classification.models import FLAG_TONE, Flag, FlagKind
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility, HousingUnit
from cellblock.people.models import PersonPhoto

# Under this age a person gets the "Juvenile" badge, flagged or not.
ADULT_AGE = 18
NO_FACILITY = "You have no role at any facility."
UNKNOWN_UNIT = "is not a housing unit of this facility."
ROSTER_FILTERS = ("q", "unit", "status", "custody_level", "flag")
STATUS_CHOICES = [
    (BookingStatus.INTAKE.value, BookingStatus.INTAKE.label),
    (BookingStatus.IN_CUSTODY.value, BookingStatus.IN_CUSTODY.label),
]
LEVEL_CHOICES = [*CustodyLevel.choices, (UNCLASSIFIED, "Unclassified")]


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    """The facility the user is working in, if their roles there allow ``perm``."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _htmx_fragment(request: HttpRequest) -> bool:
    # htmx asks for the fragment, except when it restores a page from its history.
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str
    title: str = ""


@dataclass(frozen=True)
class RosterRow:
    booking: Booking
    age: int | None
    badges: list[Badge]


def badges_for(flags: Sequence[Flag], age: int | None) -> list[Badge]:
    """A badge per active flag; a person under 18 is shown as a juvenile flagged or not."""
    badges = [
        Badge(flag.get_kind_display(), FLAG_TONE.get(flag.kind, "muted"), flag.detail)
        for flag in flags
    ]
    flagged_juvenile = any(flag.kind == FlagKind.JUVENILE for flag in flags)
    if age is not None and age < ADULT_AGE and not flagged_juvenile:
        badges.insert(0, Badge(FlagKind.JUVENILE.label, FLAG_TONE[FlagKind.JUVENILE], f"age {age}"))
    return badges


def _page_number(text: str) -> int:
    try:
        return max(1, int(text))
    except ValueError:
        return 1


@require_GET
@requires(Perm.BOOKING_VIEW)
def roster(request: HttpRequest) -> HttpResponse:
    """Who is held here now: filter, sort and page on the server."""
    facility = _facility_for(request, Perm.BOOKING_VIEW)
    asked = {name: request.GET.get(name, "").strip() for name in ROSTER_FILTERS}
    filters = RosterFilters(**asked)
    units = list(
        HousingUnit.objects.filter(zone__facility=facility)
        .select_related("zone")
        .order_by("zone__code", "code")
    )
    errors = roster_filter_errors(filters)
    if filters.unit and filters.unit not in {str(unit.public_id) for unit in units}:
        errors["unit"] = [UNKNOWN_UNIT]
    # A value that is not understood is shown as an error and left out of the filter.
    filters = replace(filters, **dict.fromkeys(errors, ""))
    sort = request.GET.get("sort", "name")
    sort = sort if sort in ROSTER_SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    page = roster_page(
        facility,
        filters,
        sort=sort,
        descending=descending,
        page=_page_number(request.GET.get("page", "1")),
    )
    today = clock.local(clock.now(), facility.timezone).date()
    rows = []
    for booking in page.rows:
        age = booking.person.age_on(today)
        rows.append(RosterRow(booking, age, badges_for(booking.active_flags, age)))  # type: ignore[attr-defined]

    active = {name: value for name, value in asked.items() if value and name not in errors}
    sorted_by = {"sort": sort, "dir": "desc" if descending else "asc"}
    query = urlencode({**active, **sorted_by})
    sort_links = {
        key: {
            "query": urlencode(
                {**active, "sort": key, "dir": "desc" if key == sort and not descending else "asc"}
            ),
            "aria": ("descending" if descending else "ascending") if key == sort else "",
        }
        for key in ROSTER_SORTS
    }
    context = {
        "page": page,
        "rows": rows,
        "tz": facility.timezone,
        "asked": asked,
        "errors": errors,
        "units": units,
        "status_choices": STATUS_CHOICES,
        "level_choices": LEVEL_CHOICES,
        "flag_choices": FlagKind.choices,
        "sort": sort,
        "dir": sorted_by["dir"],
        "query": query,
        "sort_links": sort_links,
        "filtered": bool(active),
        "pages": {
            "first": 1,
            "previous": page.page - 1,
            "next": page.page + 1,
            "last": page.pages,
        },
    }
    template = "booking/roster.html#results" if _htmx_fragment(request) else "booking/roster.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@requires(Perm.BOOKING_VIEW)
def profile(request: HttpRequest, booking_number: str) -> HttpResponse:
    """One custody episode: who, where, flags, intake checklist, then each app's section."""
    booking = booking_get_for_user(request.user, booking_number)  # type: ignore[arg-type]
    facility = booking.facility
    person = booking.person
    # Who opened whose record, and when, is itself part of the record.
    audit_record_read(
        actor=request.user, obj=booking, facility=facility, what="profile",  # type: ignore[arg-type]
        label=f"profile of {booking.booking_number}",
    )  # fmt: skip
    today = clock.local(clock.now(), facility.timezone).date()
    age = person.age_on(today)
    photo = (
        PersonPhoto.objects.filter(person=person)
        .order_by("-taken_at", "-id")
        .only("public_id", "taken_at")
        .first()
    )
    header = header_context(booking)
    context = {
        "booking": booking,
        "person": person,
        "facility": facility,
        "tz": facility.timezone,
        "age": age,
        "photo": photo,
        "badges": badges_for([flag for flag, _ in header["active_flags"]], age),
        "can_create": booking.is_open
        and user_has_perm(request.user, Perm.BOOKING_CREATE, facility.pk),
        "sections": sections_for(request, booking),
        **header,
    }
    return render(request, "booking/profile.html", context)
