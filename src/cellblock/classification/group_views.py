"""Security group pages: the agency's gangs and rival factions, and who belongs to them.

Groups belong to the agency, so every facility of the agency sees the same
groups; a group of another agency is not found (404).  Members are named only
to staff who hold them, as on the API: a membership shows when its person has
a booking at one of the user's facilities.  Reading needs booking.view;
recording needs classification.edit at the facility the user works in, and a
new member is chosen among the people held there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.forms import ServiceErrorsMixin
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import booking_get_for_user, booking_search, bookings_for_user
from cellblock.classification.forms import ReasonForm
from cellblock.classification.models import GroupKind, GroupMembership, SecurityGroup
from cellblock.classification.services import (
    group_member_add,
    group_member_end,
    security_group_create,
)
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import Person

NO_FACILITY = "You have no role at any facility."
GROUP_RECORDED = "Security group recorded: {group}."
MEMBER_ADDED = "{person} recorded as a member of {group}."
MEMBER_ENDED = "{person} is no longer recorded as a member of {group}."
CHOOSE_PERSON = "choose the person from the search results."
NOT_HELD_HERE = "is not someone held at {facility}; search again and choose from the list."
# How many people a search offers, and how many past members the page lists.
SEARCH_LIMIT = 10
PAST_SHOWN = 100


# --- Access -------------------------------------------------------------------------------


def _me(request: HttpRequest) -> User:
    # Only reached behind @requires.
    return cast(User, request.user)


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    """The facility the user is working in, if their roles there allow ``perm``."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _group_for(
    request: HttpRequest, group_id: uuid.UUID, perm: Perm
) -> tuple[SecurityGroup, Facility]:
    """A group of the agency the user works in (else 404), if they hold ``perm`` there (else 403).

    Also the facility they work in, where a change is recorded.
    """
    facility = current_facility(request)
    # Groups are the agency's: any facility of the agency reaches them, no other.
    group = (
        SecurityGroup.objects.filter(public_id=group_id, agency_id=facility.agency_id).first()
        if facility is not None
        else None
    )
    if group is None:
        raise NotFound(f"No security group {group_id}.")
    return group, _facility_for(request, perm)


# --- Reads --------------------------------------------------------------------------------


def _held_by_user(user: User) -> Exists:
    """The membership's person has a booking at one of the user's facilities."""
    return Exists(bookings_for_user(user).filter(person_id=OuterRef("person_id")))


def groups_with_counts(user: User, facility: Facility) -> list[SecurityGroup]:
    """The agency's groups, each with ``member_count``: its current members the user may see."""
    current = (
        GroupMembership.objects.filter(_held_by_user(user), group=OuterRef("pk"))
        .filter(ended_at__isnull=True)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        SecurityGroup.objects.filter(agency_id=facility.agency_id)
        .annotate(member_count=Coalesce(Subquery(current, output_field=IntegerField()), Value(0)))
        .order_by("name", "code")
    )


def _first(condition: Q) -> Case:
    """0 for the rows that meet ``condition``, else 1: an ordering that puts them first."""
    return Case(When(condition, then=Value(0)), default=Value(1), output_field=IntegerField())


def _linked_bookings(user: User, facility: Facility) -> QuerySet[Booking]:
    """A person's bookings the user sees, the one to link first: open here, open, newest."""
    return (
        bookings_for_user(user)
        .annotate(
            open_rank=_first(Q(status__in=OPEN_STATUSES)),
            here_rank=_first(Q(facility_id=facility.pk)),
        )
        .order_by("open_rank", "here_rank", "-booked_at", "-id")
    )


@dataclass(frozen=True)
class MemberRow:
    membership: GroupMembership
    # The booking the name links to (see _linked_bookings).
    booking: Booking
    held_here: bool
    error: str = ""
    reason: str = ""

    @property
    def person(self) -> Person:
        return self.membership.person


def member_rows(
    user: User, group: SecurityGroup, facility: Facility, *, current: bool
) -> list[MemberRow]:
    """The group's current (or latest past) members whom the user may see.

    Two queries for any number: the memberships, then the bookings to link.
    """
    memberships = (
        group.memberships.filter(_held_by_user(user), ended_at__isnull=current)
        .select_related("person", "recorded_by", "ended_by")
        .prefetch_related(
            Prefetch(
                "person__bookings",
                queryset=_linked_bookings(user, facility),
                to_attr="linked_bookings",
            )
        )
    )
    if current:
        found = list(memberships.order_by("person__family_key", "person__given_key", "pk"))
    else:
        found = list(memberships.order_by("-ended_at", "-pk")[:PAST_SHOWN])
    rows = []
    for membership in found:
        # Never empty: the membership is only listed when such a booking exists.
        booking: Booking = membership.person.linked_bookings[0]  # type: ignore[attr-defined]
        here = booking.is_open and booking.facility_id == facility.pk
        rows.append(MemberRow(membership, booking, here))
    return rows


def candidates(user: User, facility: Facility, text: str) -> list[Booking]:
    """Open bookings of the facility matching ``text`` (the roster's search)."""
    return [
        found
        for found in booking_search(user, text, limit=SEARCH_LIMIT * 2)
        if found.facility_id == facility.pk and found.is_open
    ][:SEARCH_LIMIT]


# --- Forms --------------------------------------------------------------------------------


class _Form(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def text(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()


class GroupForm(_Form):
    """A new group; the service judges what was typed."""

    code = forms.CharField(
        label="Code", max_length=40, required=False,
        help_text="Lower-case letters, digits and '-'; once per agency.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "akatsuki"}),
    )  # fmt: skip
    name = forms.CharField(
        label="Name", max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    kind = forms.CharField(
        label="Kind", required=False,
        widget=forms.Select(choices=[("", "Choose…"), *GroupKind.choices]),
    )  # fmt: skip
    description = forms.CharField(
        label="Description", max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class MemberForm(_Form):
    """A person held here, chosen from the search, and how the membership is known."""

    # A booking number from the search results.
    booking = forms.CharField(label="Person", required=False)
    basis = forms.CharField(
        label="Basis", max_length=300, required=False,
        help_text="How it is known: self-declared, tattoos, intelligence report …",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip


def _show_refusal(form: _Form, exc: DomainError, *, conflict_field: str | None = None) -> int:
    """Put a service's refusal on ``form``, beside its field when it names one; the status."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {})
    if fields:
        form.add_service_errors(fields)
    elif isinstance(exc, Conflict) and conflict_field:
        form.add_error(conflict_field, exc.message)
    else:
        form.add_error(None, exc.message)
    return exc.status


# --- The list of groups -----------------------------------------------------------------


def _render_groups(
    request: HttpRequest, facility: Facility, form: GroupForm | None = None, *, status: int = 200
) -> HttpResponse:
    user = _me(request)
    context = {
        "facility": facility,
        "groups": groups_with_counts(user, facility),
        "can_edit": Perm.CLASSIFICATION_EDIT in user.perms_at(facility.pk),
        "form": form or GroupForm(prefix="g"),
    }
    return render(request, "classification/groups.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
def groups(request: HttpRequest) -> HttpResponse:
    """The agency's security groups, how many members each has here, and a form to add one."""
    return _render_groups(request, _facility_for(request, Perm.BOOKING_VIEW))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
def group_create(request: HttpRequest) -> HttpResponse:
    facility = _facility_for(request, Perm.CLASSIFICATION_EDIT)
    form = GroupForm(request.POST, prefix="g")
    if not form.is_valid():
        return _render_groups(request, facility, form, status=400)
    try:
        group = security_group_create(
            actor=_me(request), facility=facility, code=form.text("code"),
            name=form.text("name"), kind=form.text("kind"),
            description=form.text("description"),
        )  # fmt: skip
    except DomainError as exc:
        status = _show_refusal(form, exc, conflict_field="code")
        return _render_groups(request, facility, form, status=status)
    messages.success(request, GROUP_RECORDED.format(group=group.name))
    return redirect(_group_url(group))


# --- One group ---------------------------------------------------------------------------


def _group_url(group: SecurityGroup) -> str:
    return reverse("classification:group", args=[group.public_id])


def _render_group(
    request: HttpRequest,
    group: SecurityGroup,
    facility: Facility,
    *,
    form: MemberForm | None = None,
    end_error: tuple[uuid.UUID, str, str] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    can_edit = Perm.CLASSIFICATION_EDIT in user.perms_at(facility.pk)
    form = form or MemberForm(prefix="m")
    current = member_rows(user, group, facility, current=True)
    if end_error is not None:
        failed, message, reason = end_error
        current = [
            MemberRow(row.membership, row.booking, row.held_here, message, reason)
            if row.membership.public_id == failed
            else row
            for row in current
        ]
    q = request.GET.get("q", "").strip()
    chosen = form.text("booking") if form.is_bound else ""
    if not q and chosen:
        # Back with an error: offer the person chosen again.
        q = chosen
    found = candidates(user, facility, q) if can_edit and q else []
    members = {row.membership.person_id for row in current}
    context = {
        "group": group,
        "facility": facility,
        "tz": facility.timezone,
        "current": current,
        "past": member_rows(user, group, facility, current=False),
        "past_shown": PAST_SHOWN,
        "can_edit": can_edit,
        "form": form,
        "q": q,
        "searched": bool(q),
        "candidates": [(booking, booking.person_id in members) for booking in found],
        "chosen": chosen,
        "refusal": refusal,
    }
    return render(request, "classification/groups_detail.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
def group(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    """Who belongs to the group (among the people the user holds), who did, and the forms."""
    found, facility = _group_for(request, group_id, Perm.BOOKING_VIEW)
    return _render_group(request, found, facility)


@require_GET
@requires(Perm.CLASSIFICATION_EDIT)
def member_search(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    """People held here who match the search, as choices for a new member (htmx)."""
    found, facility = _group_for(request, group_id, Perm.CLASSIFICATION_EDIT)
    q = request.GET.get("q", "").strip()
    members = set(
        found.memberships.filter(ended_at__isnull=True).values_list("person_id", flat=True)
    )
    context = {
        "group": found,
        "form": MemberForm(prefix="m"),
        "q": q,
        "searched": bool(q),
        "candidates": [
            (booking, booking.person_id in members)
            for booking in (candidates(_me(request), facility, q) if q else [])
        ],
        "chosen": "",
    }
    response = render(request, "classification/groups_detail.html#candidates", context)
    response["Cache-Control"] = "no-store"
    return response


def _booking_held_here(user: User, facility: Facility, number: str) -> Booking | None:
    """The open booking at the facility with this number, if the user sees it."""
    try:
        booking = booking_get_for_user(user, number)
    except NotFound:
        return None
    return booking if booking.is_open and booking.facility_id == facility.pk else None


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
def member_add(request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
    found, facility = _group_for(request, group_id, Perm.CLASSIFICATION_EDIT)
    user = _me(request)
    form = MemberForm(request.POST, prefix="m")
    booking: Booking | None = None
    if form.is_valid():
        number = form.text("booking")
        if not number:
            form.add_error("booking", CHOOSE_PERSON)
        elif (booking := _booking_held_here(user, facility, number)) is None:
            form.add_error("booking", NOT_HELD_HERE.format(facility=facility.name))
    if booking is None:
        return _render_group(request, found, facility, form=form, status=400)
    try:
        group_member_add(
            actor=user, facility=facility, group=found, person=booking.person,
            basis=form.text("basis"),
        )  # fmt: skip
    except DomainError as exc:
        status = _show_refusal(form, exc)
        return _render_group(request, found, facility, form=form, status=status)
    messages.success(
        request, MEMBER_ADDED.format(person=booking.person.full_name, group=found.name)
    )
    return redirect(_group_url(found))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
def member_end(request: HttpRequest, group_id: uuid.UUID, membership_id: uuid.UUID) -> HttpResponse:
    found, facility = _group_for(request, group_id, Perm.CLASSIFICATION_EDIT)
    user = _me(request)
    # Only memberships the page would list: of someone the user holds.
    membership = (
        found.memberships.filter(_held_by_user(user), public_id=membership_id)
        .select_related("person")
        .first()
    )
    if membership is None:
        raise NotFound(f"No membership {membership_id} in {found}.")
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.text("reason")
    try:
        group_member_end(actor=user, facility=facility, membership=membership, reason=reason)
    except DomainError as exc:
        fields: dict[str, list[str]] = exc.extra.get("fields", {})
        message = " ".join(fields.get("reason", [exc.message]))
        if isinstance(exc, Conflict):
            # Ended meanwhile: no row offers the form any more, so it is said at the top.
            return _render_group(request, found, facility, refusal=message, status=exc.status)
        return _render_group(
            request, found, facility, end_error=(membership_id, message, reason),
            status=exc.status,
        )  # fmt: skip
    messages.success(
        request, MEMBER_ENDED.format(person=membership.person.full_name, group=found.name)
    )
    return redirect(_group_url(found))
