"""Bed board pages: the facility as unit tiles, a unit's beds, and the move panel.

Reads go through ``housing.board`` and the rule book's ``placement_verdict``;
writes through the services (``moves`` for moves and requests, ``bed_assign``
for the commander's override, ``facilities.services`` for cells).  A refusal is
shown where it happened: in the move panel, beside the request or the cell.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility, facilities_of
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed, Facility, HousingUnit
from cellblock.facilities.services import cell_feature_set, cell_set_service
from cellblock.housing import board as reads
from cellblock.housing.forms import (
    NOT_HOUSED,
    CellServiceForm,
    DecisionForm,
    FeatureForm,
    MoveForm,
)
from cellblock.housing.models import BedAssignment, MoveRequest, MoveRequestStatus
from cellblock.housing.moves import move_request_create, move_request_decide
from cellblock.housing.recommend import bed_recommendations
from cellblock.housing.selectors import Verdict, placement_verdict
from cellblock.housing.services import ANY_BED, AnyBed, bed_assign
from cellblock.medical.selectors.care import care_alerts_in_force

NO_FACILITY = "You have no role at any facility."
MOVED = "{person} moved to {bed}."
REQUESTED = "The move of {person} to {bed} waits for a supervisor."
APPROVED = "Approved: {person} moved to {bed}."
REFUSED = "Refused: {person} stays where they are."
OUT_OF_SERVICE_DONE = "{cell} is out of service: re-house the people listed below."
BACK_IN_SERVICE = "{cell} is back in service."
FEATURE_DONE = "{cell}: {tag} marked {status}."
CHOOSE_PERSON = "choose the person to move."
CHOOSE_BED = "choose a bed."
CHOOSE_DECISION = "choose approve or refuse."
NOT_IN_FACILITY = "{bed} is not in {facility}, where {person} is held."
SAME_BED = "{person} already sleeps in {bed}."
NOT_ON_RECORD = "is not a booking held here; choose from the list."
LAWFUL = "Lawful"
# How many people to re-house get their recommended beds on the unit board.
REHOUSE_RECOMMENDED = 8


# --- Helpers ----------------------------------------------------------------------------


def _me(request: HttpRequest) -> User:
    # Only reached behind @requires.
    return cast(User, request.user)


def _missing(perm: Perm) -> PermissionDenied:
    return PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")


def _require(user: User, perm: Perm, facility: Facility) -> frozenset[Perm]:
    perms = user.perms_at(facility.pk)
    if perm not in perms:
        raise _missing(perm)
    return perms


def _fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def bed_label(bed: Bed) -> str:
    """How staff name a bed: unit / cell / bed (its cell and unit should be loaded)."""
    return f"{bed.cell.unit.name} / {bed.cell.code} / {bed.code}"


def _unit_url(unit: HousingUnit, **query: str) -> str:
    url = reverse("housing:unit", args=[unit.public_id])
    wanted = {key: value for key, value in query.items() if value}
    return f"{url}?{urlencode(wanted)}" if wanted else url


def _booking_here(user: User, facility: Facility, number: str) -> Booking | None:
    """An open booking of ``facility`` the user sees, or None."""
    if not number:
        return None
    try:
        booking = booking_get_for_user(user, number)
    except NotFound:
        return None
    if booking.facility_id != facility.pk or not booking.is_open:
        return None
    return booking


def _bed_here(user: User, public_id: str) -> Bed | None:
    if not public_id:
        return None
    try:
        return reads.bed_get_for_user(user, public_id)
    except NotFound:
        return None


# --- The move panel ---------------------------------------------------------------------


@dataclass
class MovePanel:
    """What the move panel shows: the choices, the rule book's verdict and the next step."""

    form: MoveForm
    unit: HousingUnit
    facility: Facility
    people: list[reads.PersonChoice]
    beds: list[reads.BedRow]
    booking: Booking | None = None
    bed: Bed | None = None
    current: BedAssignment | None = None
    verdict: Verdict | None = None
    problem: str = ""
    error: str = ""
    recommendations: list[Any] = field(default_factory=list)
    can_assign: bool = False
    can_request: bool = False
    can_override: bool = False

    @property
    def bed_elsewhere(self) -> Bed | None:
        """The chosen bed when it is not one of this unit's (a recommendation elsewhere)."""
        if self.bed is None or any(row.bed.pk == self.bed.pk for row in self.beds):
            return None
        return self.bed

    @property
    def bed_choice(self) -> str:
        return str(self.bed.public_id) if self.bed else ""

    @property
    def expect_from(self) -> str:
        return str(self.current.bed.public_id) if self.current else NOT_HOUSED

    @property
    def current_label(self) -> str:
        return bed_label(self.current.bed) if self.current else ""

    @property
    def ready(self) -> bool:
        return self.booking is not None and self.bed is not None and not self.problem

    @property
    def override_needed(self) -> bool:
        return self.verdict is not None and not self.verdict.lawful

    @property
    def can_confirm(self) -> bool:
        if not self.ready or not (self.can_assign or self.can_request):
            return False
        return not self.override_needed or self.can_override

    @property
    def confirm_label(self) -> str:
        if self.override_needed and self.can_override:
            return "Override the rule book and move"
        return "Move" if self.can_assign else "Ask a supervisor to approve"


def _recommendations(booking: Booking) -> list[Any]:
    found = bed_recommendations(booking, limit=3)
    beds = {
        bed.pk: bed
        for bed in Bed.objects.filter(pk__in=[r.bed.pk for r in found]).select_related("cell__unit")
    }
    return [
        {"bed": beds[r.bed.pk], "label": bed_label(beds[r.bed.pk]), "cost": r.cost,
         "reasons": r.reasons, "unit": beds[r.bed.pk].cell.unit}
        for r in found
        if r.bed.pk in beds
    ]  # fmt: skip


def move_panel(
    request: HttpRequest,
    unit: HousingUnit,
    board: reads.UnitBoard | None,
    form: MoveForm,
    *,
    error: str = "",
) -> MovePanel:
    """Read the form's person and bed, and what the rule book says about them."""
    user = _me(request)
    facility = unit.zone.facility
    perms = user.perms_at(facility.pk)
    form.is_valid()
    board = board or reads.unit_board(unit, clock.now())
    panel = MovePanel(
        form=form, unit=unit, facility=facility, error=error, beds=board.beds,
        people=reads.people_to_move(facility, unit=unit),
        can_assign=Perm.HOUSING_ASSIGN in perms, can_request=Perm.HOUSING_REQUEST in perms,
        can_override=Perm.HOUSING_OVERRIDE in perms,
    )  # fmt: skip
    number = form.text("booking")
    panel.booking = _booking_here(user, facility, number)
    if number and panel.booking is None:
        form.add_error("booking", NOT_ON_RECORD)
    if panel.booking is not None and not any(
        choice.booking_number == number for choice in panel.people
    ):
        panel.people.insert(0, reads.PersonChoice(number, _person_label(panel.booking), "Chosen"))
    panel.bed = _bed_here(user, form.text("bed"))
    if panel.booking is None:
        return panel
    panel.current = (
        BedAssignment.objects.filter(booking=panel.booking, ended_at__isnull=True)
        .select_related("bed__cell__unit")
        .first()
    )
    panel.recommendations = _recommendations(panel.booking)
    if panel.bed is None:
        return panel
    person = panel.booking.person.full_name
    if panel.bed.cell.unit.zone.facility_id != facility.pk:
        panel.problem = NOT_IN_FACILITY.format(
            bed=bed_label(panel.bed), facility=facility.name, person=person
        )
    elif panel.current is not None and panel.current.bed_id == panel.bed.pk:
        panel.problem = SAME_BED.format(person=person, bed=bed_label(panel.bed))
    else:
        panel.verdict = placement_verdict(panel.booking, panel.bed, clock.now())
    return panel


def _panel_context(panel: MovePanel) -> dict[str, Any]:
    chosen = panel.booking.booking_number if panel.booking else ""
    return {"panel": panel, "unit": panel.unit, "people": panel.people, "chosen": chosen}


def _person_label(booking: Booking) -> str:
    person = booking.person
    return f"{person.family_name}, {person.given_name} · {booking.booking_number}"


# --- Pages ------------------------------------------------------------------------------


def _facility_for(request: HttpRequest) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, Perm.HOUSING_VIEW, facility.pk):
        raise _missing(Perm.HOUSING_VIEW)
    return facility


def _decision_forms(
    requests: list[MoveRequest], bound: tuple[str, DecisionForm] | None
) -> list[tuple[MoveRequest, DecisionForm]]:
    rows = []
    for move in requests:
        key = str(move.public_id)
        form = bound[1] if bound and bound[0] == key else DecisionForm(prefix=f"d-{key}")
        rows.append((move, form))
    return rows


@require_GET
@requires(Perm.HOUSING_VIEW)
def facility_board(request: HttpRequest) -> HttpResponse:
    """The facility at a glance: a tile per unit, who waits for a bed, the moves asked for."""
    facility = _facility_for(request)
    return _render_facility(request, facility)


def _render_facility(
    request: HttpRequest,
    facility: Facility,
    *,
    decision: tuple[str, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    perms = _me(request).perms_at(facility.pk)
    board = reads.facility_board(facility)
    others = [
        f
        for f in facilities_of(request)
        if f.pk != facility.pk and user_has_perm(request.user, Perm.HOUSING_VIEW, f.pk)
    ]
    context = {
        "facility": facility,
        "board": board,
        "totals": {
            name: board.total(name)
            for name in ("capacity", "occupied", "vacant", "out_of_service", "alerts")
        },
        "other_facilities": others,
        "requests": _decision_forms(reads.pending_requests(facility), decision),
        "can_decide": Perm.HOUSING_APPROVE in perms,
        "can_move": bool({Perm.HOUSING_ASSIGN, Perm.HOUSING_REQUEST} & perms),
        # Medical's instructions that decide the bed (lower bunk, wheelchair cell): one query.
        "care": care_alerts_in_force([b.pk for b in board.unhoused], clock.now()),
        "tz": facility.timezone,
    }
    return render(request, "housing/facility.html", context, status=status)


_ANY_ID = uuid.UUID(int=0)


def _row_urls(unit: HousingUnit) -> dict[str, str]:
    """The links every row repeats, reversed once rather than three times a bed."""
    return {
        "unit": reverse("housing:unit", args=[unit.public_id]),
        "move_panel": reverse("housing:move_panel", args=[unit.public_id]),
        "profile": reverse("booking:profile", args=["0"]).removesuffix("0/"),
        "cells": reverse("housing:cell_service", args=[_ANY_ID]).removesuffix(
            f"{_ANY_ID}/service/"
        ),
    }


@dataclass
class UnitProblems:
    """Refusals to show beside what was refused: a request, a cell's forms."""

    decision: tuple[str, DecisionForm] | None = None
    service: tuple[str, CellServiceForm] | None = None
    feature: tuple[str, FeatureForm] | None = None


def _render_unit(
    request: HttpRequest,
    unit: HousingUnit,
    *,
    form: MoveForm | None = None,
    error: str = "",
    problems: UnitProblems | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    facility = unit.zone.facility
    perms = user.perms_at(facility.pk)
    problems = problems or UnitProblems()
    now = clock.now()
    board = reads.unit_board(unit, now)
    form = form or MoveForm(request.GET or None, initial={"unit": str(unit.public_id)})
    panel = move_panel(request, unit, board, form, error=error)
    rehouse = board.to_rehouse
    recommended = {
        occupant.booking.pk: _recommendations(occupant.booking)
        for occupant in rehouse[:REHOUSE_RECOMMENDED]
    }
    can_configure = bool({Perm.FACILITY_CONFIGURE, Perm.HOUSING_APPROVE} & perms)
    cells = []
    for row in board.cells:
        key = str(row.cell.public_id)
        service = problems.service[1] if problems.service and problems.service[0] == key else None
        feature = problems.feature[1] if problems.feature and problems.feature[0] == key else None
        # Only a refused form is bound; the others are written out plainly in the template,
        # since a form object per cell costs more than the rest of a 500-bed board.
        cells.append({"row": row, "service": service, "feature": feature})
    context = {
        **_panel_context(panel),
        "facility": facility,
        "board": board,
        "cells": cells,
        "urls": _row_urls(unit),
        "rehouse": [(o, recommended.get(o.booking.pk)) for o in rehouse],
        "requests": _decision_forms(reads.pending_requests(facility, unit=unit), problems.decision),
        "can_decide": Perm.HOUSING_APPROVE in perms,
        "can_move": panel.can_assign or panel.can_request,
        "can_configure": can_configure,
        # Medical's care alerts of who sleeps here (housing.view holders all see them): one query.
        "care": care_alerts_in_force([o.booking.pk for o in board.occupants], now),
        "tz": facility.timezone,
    }
    return render(request, "housing/unit.html", context, status=status)


@require_GET
@requires(Perm.HOUSING_VIEW)
def unit_board(request: HttpRequest, unit_id: uuid.UUID) -> HttpResponse:
    """A unit's cells and beds, who sleeps where, and the move panel."""
    unit = reads.unit_get_for_user(_me(request), unit_id)
    _require(_me(request), Perm.HOUSING_VIEW, unit.zone.facility)
    return _render_unit(request, unit)


@require_GET
@requires(Perm.HOUSING_VIEW)
def move_panel_fragment(request: HttpRequest, unit_id: uuid.UUID) -> HttpResponse:
    """The move panel with a person or bed chosen (htmx: "Move", "Choose", a recommendation)."""
    unit = reads.unit_get_for_user(_me(request), unit_id)
    _require(_me(request), Perm.HOUSING_VIEW, unit.zone.facility)
    panel = move_panel(request, unit, None, MoveForm(request.GET))
    context = {**_panel_context(panel), "focus": True}
    return _fragment(render(request, "housing/unit.html#move_panel", context))


@require_GET
@requires(Perm.HOUSING_VIEW)
def verdict(request: HttpRequest, unit_id: uuid.UUID) -> HttpResponse:
    """What the rule book says about the chosen person in the chosen bed (htmx, live)."""
    unit = reads.unit_get_for_user(_me(request), unit_id)
    _require(_me(request), Perm.HOUSING_VIEW, unit.zone.facility)
    panel = move_panel(request, unit, None, MoveForm(request.GET))
    return _fragment(render(request, "housing/unit.html#verdict", {"panel": panel, "unit": unit}))


@require_GET
@requires(Perm.HOUSING_VIEW)
def people(request: HttpRequest, unit_id: uuid.UUID) -> HttpResponse:
    """The people offered in the move panel, narrowed to what was typed (htmx)."""
    unit = reads.unit_get_for_user(_me(request), unit_id)
    _require(_me(request), Perm.HOUSING_VIEW, unit.zone.facility)
    text = request.GET.get("q", "").strip()
    found = reads.people_to_move(unit.zone.facility, unit=unit, text=text)
    context = {"people": found, "chosen": "", "searched": text}
    return _fragment(render(request, "housing/unit.html#people", context))


@require_GET
@requires(Perm.HOUSING_VIEW)
def place(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Start placing someone from the facility board: the unit of their best bed."""
    user = _me(request)
    booking = booking_get_for_user(user, booking_number)
    _require(user, Perm.HOUSING_VIEW, booking.facility)
    found = bed_recommendations(booking, limit=1)
    query = {"booking": booking.booking_number}
    unit: HousingUnit | None
    if found:
        bed = Bed.objects.select_related("cell__unit").get(pk=found[0].bed.pk)
        unit = bed.cell.unit
        query["bed"] = str(bed.public_id)
    else:
        unit = (
            HousingUnit.objects.filter(zone__facility=booking.facility)
            .order_by("zone__code", "code")
            .first()
        )
    if unit is None:
        raise NotFound(f"{booking.facility.name} has no housing units.")
    return redirect(_unit_url(unit, **query) + "#move")


# --- Writes -----------------------------------------------------------------------------


def _unit_back(user: User, form: MoveForm, bed: Bed | None) -> HousingUnit | None:
    unit_id = form.text("unit")
    if unit_id:
        try:
            return reads.unit_get_for_user(user, unit_id)
        except NotFound:
            pass
    return bed.cell.unit if bed is not None else None


@require_POST
@requires(Perm.HOUSING_REQUEST)
def move(request: HttpRequest) -> HttpResponse:
    """Confirm a move: made at once, or asked of a supervisor; the commander may override."""
    user = _me(request)
    form = MoveForm(request.POST)
    form.is_valid()
    bed = _bed_here(user, form.text("bed"))
    unit = _unit_back(user, form, bed)
    if unit is None:
        raise NotFound("No housing unit to move into.")
    facility = unit.zone.facility
    perms = _require(user, Perm.HOUSING_REQUEST, facility)
    booking = _booking_here(user, facility, form.text("booking"))
    if booking is None:
        form.add_error("booking", CHOOSE_PERSON if not form.text("booking") else NOT_ON_RECORD)
    if bed is None:
        form.add_error("bed", CHOOSE_BED)
    if booking is None or bed is None:
        return _render_unit(request, unit, form=form, status=400)
    # The bed the person was in when the verdict was shown: a move since then is refused.
    expect = form.text("expect_from")
    expect_from: Bed | AnyBed | None = ANY_BED
    if expect == NOT_HOUSED:
        expect_from = None
    elif expect:
        expect_from = _bed_here(user, expect) or ANY_BED
    override = form.text("override_reason")
    try:
        if override and Perm.HOUSING_OVERRIDE in perms:
            done: MoveRequest | BedAssignment = bed_assign(
                actor=user, booking=booking, bed=bed, reason=form.text("reason"),
                expect_from=expect_from, override_reason=override,
            )  # fmt: skip
        else:
            done = move_request_create(
                actor=user, booking=booking, to_bed=bed, reason=form.text("reason"),
                expect_from=expect_from,
            )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            form.add_service_errors(exc.extra.get("fields", {}))
        return _render_unit(request, unit, form=form, error=exc.message, status=exc.status)
    where = bed_label(Bed.objects.select_related("cell__unit").get(pk=bed.pk))
    person = booking.person.full_name
    if isinstance(done, MoveRequest) and done.status == MoveRequestStatus.PENDING:
        messages.success(request, REQUESTED.format(person=person, bed=where))
    else:
        messages.success(request, MOVED.format(person=person, bed=where))
    return redirect(_unit_url(unit))


def _back_to(request: HttpRequest, fallback: str) -> str:
    """The board the form came from: a unit page or the facility board."""
    target = request.POST.get("next", "")
    if target.startswith("/housing/") and "//" not in target:
        return target
    return fallback


@require_POST
@requires(Perm.HOUSING_APPROVE)
def request_decide(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Approve or refuse a requested move, from a board."""
    user = _me(request)
    move_request = reads.move_request_get_for_user(user, request_id)
    facility = move_request.booking.facility
    _require(user, Perm.HOUSING_APPROVE, facility)
    key = str(move_request.public_id)
    form = DecisionForm(request.POST, prefix=f"d-{key}")
    form.is_valid()
    choice = form.text("decision")
    unit_id = request.POST.get("unit", "")
    unit = reads.unit_get_for_user(user, unit_id) if unit_id else None

    def again(status: int) -> HttpResponse:
        if unit is not None:
            problems = UnitProblems(decision=(key, form))
            return _render_unit(request, unit, problems=problems, status=status)
        return _render_facility(request, facility, decision=(key, form), status=status)

    if choice not in ("approve", "refuse"):
        form.add_error("decision", CHOOSE_DECISION)
        return again(400)
    try:
        decided = move_request_decide(
            actor=user, request=move_request, approve=choice == "approve", note=form.text("note")
        )
    except DomainError as exc:
        if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
            form.add_service_errors(exc.extra["fields"])
        else:
            form.add_error(None, exc.message)
        return again(exc.status)
    person = move_request.booking.person.full_name
    if decided.status == MoveRequestStatus.APPROVED:
        note = APPROVED.format(person=person, bed=bed_label(move_request.to_bed))
    else:
        note = REFUSED.format(person=person)
    messages.success(request, note)
    return redirect(_unit_url(unit) if unit else reverse("housing:board"))


@require_POST
@requires(Perm.HOUSING_VIEW)
def cell_service(request: HttpRequest, cell_id: uuid.UUID) -> HttpResponse:
    """Take a cell out of service with a reason, or return it; its people are listed to move."""
    user = _me(request)
    cell = reads.cell_get_for_user(user, cell_id)
    unit = cell.unit
    key = str(cell.public_id)
    form = CellServiceForm(request.POST, prefix=f"s-{key}")
    form.is_valid()
    out = request.POST.get("out_of_service") == "1"
    try:
        cell_set_service(actor=user, cell=cell, out_of_service=out, reason=form.text("reason"))
    except DomainError as exc:
        if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
            form.add_service_errors(exc.extra["fields"])
        else:
            form.add_error(None, exc.message)
        problems = UnitProblems(service=(key, form))
        return _render_unit(request, unit, problems=problems, status=exc.status)
    done = OUT_OF_SERVICE_DONE if out else BACK_IN_SERVICE
    messages.success(request, done.format(cell=cell.code))
    return redirect(_unit_url(unit) + ("#rehouse" if out else ""))


@require_POST
@requires(Perm.HOUSING_VIEW)
def cell_feature(request: HttpRequest, cell_id: uuid.UUID) -> HttpResponse:
    """Mark a cell feature compromised (damaged bars) or working again."""
    user = _me(request)
    cell = reads.cell_get_for_user(user, cell_id)
    unit = cell.unit
    key = str(cell.public_id)
    form = FeatureForm(request.POST, prefix=f"f-{key}")
    form.is_valid()
    tag, status = form.text("tag"), form.text("status")
    try:
        if not cell.features.filter(tag=tag).exists():
            raise ValidationFailed.for_fields({"tag": [f"{cell.code} has no feature '{tag}'."]})
        cell_feature_set(actor=user, cell=cell, tag=tag, status=status, note=form.text("note"))
    except DomainError as exc:
        if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
            form.add_service_errors(exc.extra["fields"])
        else:
            form.add_error(None, exc.message)
        problems = UnitProblems(feature=(key, form))
        return _render_unit(request, unit, problems=problems, status=exc.status)
    messages.success(request, FEATURE_DONE.format(cell=cell.code, tag=tag, status=status))
    return redirect(_unit_url(unit) + "#rehouse")
