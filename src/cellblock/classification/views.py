"""Classification pages: the queue, the assessment and PREA forms, flags and orders.

Each page reads through selectors and writes through services; what a page
adds is where each message is shown.  Times are typed and shown in the
facility's time zone.  Every page of a booking fetches it through
``booking_get_for_user`` (404 for a booking the user does not see) and then
checks the permission at the booking's facility (403).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.accounts.models import User
from cellblock.accounts.selectors import staff_for_user
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user, booking_search
from cellblock.classification import instrument as scoring
from cellblock.classification.forms import (
    NEW_PERSON,
    AssessmentForm,
    ConflictForm,
    DecisionForm,
    FlagForm,
    PreaForm,
    ProtectiveForm,
    ReasonForm,
    SeparationForm,
)
from cellblock.classification.models import (
    Assessment,
    AssessmentStatus,
    Flag,
    FlagKind,
    Instrument,
    PreaScreening,
    SecurityGroup,
)
from cellblock.classification.profile import (
    OrderRows,
    active_flag_rows,
    detail_rules,
    feature_tags,
    latest_screening,
    level_label,
    order_rows,
)
from cellblock.classification.selectors import (
    DueKind,
    classification_queue,
    instrument_in_force,
    latest_assessment,
    orders_of,
    overdue_counts,
    parsed_instrument,
    pending_overrides,
    policy_of,
)
from cellblock.classification.services import (
    assessment_override_decide,
    assessment_record,
    flag_lift,
    flag_set,
    prea_screening_record,
    protective_order_create,
    protective_order_end,
    separation_order_create,
    separation_order_end,
    staff_conflict_create,
    staff_conflict_end,
)
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.housing.selectors import open_reviews
from cellblock.people.models import Person
from cellblock.people.selectors import person_matches
from cellblock.people.services import person_create

NO_FACILITY = "You have no role at any facility."
ASSESSED = "Scored {level} ({total} points)."
OVERRIDE_ASKED = "The override to {level} waits for a supervisor or commander."
OVERRIDE_APPROVED = "Override approved: {person} is now {level}."
OVERRIDE_REFUSED = "Override refused: {person} stays {level}."
CHOOSE_DECISION = "choose approve or refuse."
SCREENED = "PREA screening recorded."
FLAG_SET = "Flag set: {flag}."
FLAG_LIFTED = "Flag lifted: {flag}."
SEPARATION_RECORDED = "Keep-separate order recorded: {person} and {other} ({scope})."
PROTECTIVE_RECORDED = "Protective order recorded: no contact with {person} ({scope})."
CONFLICT_RECORDED = "Staff conflict recorded: {staff}."
ORDER_ENDED = "Ended: {order}."
OTHER_NOT_FOUND = "is not a booking you can see; search again and choose from the list."
GROUP_NOT_FOUND = "is not a group of this agency."
STAFF_NOT_FOUND = "choose a member of staff of this facility."
CHOOSE_PROTECTED = (
    "People on record match this name: choose one of them, or confirm this is a new person."
)
CHOSEN_PERSON_GONE = "The person chosen is no longer among the matches; check the name again."
# How many people a search offers at most.
SEARCH_LIMIT = 10
# Where a flag or order change sends the user back to on the profile.
SECTION_ANCHOR = "#section-classification"
PREA_DUE_KINDS = frozenset({DueKind.PREA_INITIAL, DueKind.PREA_REASSESSMENT})


# --- Helpers ----------------------------------------------------------------------------


def _me(request: HttpRequest) -> User:
    # Only reached behind @requires.
    return cast(User, request.user)


def _missing(perm: Perm) -> PermissionDenied:
    return PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    """The facility the user is working in, if their roles there allow ``perm``."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise _missing(perm)
    return facility


@contextmanager
def _facility_time(facility: Facility) -> Iterator[None]:
    """Read typed times and show stored ones on the facility's wall clock."""
    with timezone.override(ZoneInfo(facility.timezone)):
        yield


def _booking_for(request: HttpRequest, booking_number: str, perm: Perm) -> Booking:
    """The booking, if the user sees it (else 404) and holds ``perm`` at its facility (else 403)."""
    user = _me(request)
    booking = booking_get_for_user(user, booking_number)
    if perm not in user.perms_at(booking.facility_id):
        raise _missing(perm)
    return booking


BookingView = Callable[..., HttpResponse]


def booking_page(perm: Perm) -> Callable[[BookingView], BookingView]:
    """Fetch the URL's booking for the view (needing ``perm`` there), on the facility's clock."""

    def decorate(view: BookingView) -> BookingView:
        @wraps(view)
        def wrapper(request: HttpRequest, booking_number: str, **kwargs: Any) -> HttpResponse:
            booking = _booking_for(request, booking_number, perm)
            with _facility_time(booking.facility):
                response = view(request, booking, **kwargs)
            patch_vary_headers(response, ["HX-Request"])
            return response

        return wrapper

    return decorate


def _profile_url(booking: Booking) -> str:
    return reverse("booking:profile", args=[booking.booking_number]) + SECTION_ANCHOR


def _field_errors(exc: DomainError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = exc.extra.get("fields", {})
    return fields


def _apply_error(form: Any, exc: DomainError) -> int:
    """Show a service's refusal on ``form``; the HTTP status to answer with."""
    if isinstance(exc, ValidationFailed) and _field_errors(exc):
        form.add_service_errors(_field_errors(exc))
    else:
        form.add_error(None, exc.message)
    return exc.status


# --- The queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    booking: Booking
    label: str
    detail: str
    due_at: dt.datetime
    overdue: bool
    # The page that does the work, for those who may; empty for the rest.
    action_url: str
    action_label: str


# The queue shows the most urgent rows; a facility just imported may owe thousands.
QUEUE_SHOWN = 200

# The page that does each kind of due work, and the permission it needs.
_DUE_ACTIONS = {
    True: (Perm.PREA_SCREEN, "classification:prea", "Screen"),
    False: (Perm.CLASSIFICATION_EDIT, "classification:assess", "Assess"),
}


def _due_rows(facility: Facility, now: dt.datetime, perms: frozenset[Perm]) -> list[DueRow]:
    rows = []
    for row in classification_queue(facility, now, limit=QUEUE_SHOWN):
        perm, page, label = _DUE_ACTIONS[row.kind in PREA_DUE_KINDS]
        url = reverse(page, args=[row.booking.booking_number]) if perm in perms else ""
        due = DueRow(
            row.booking, row.label, row.detail, row.due_at, row.overdue, url, label if url else ""
        )
        rows.append(due)
    return rows


@dataclass(frozen=True)
class OverrideRow:
    assessment: Assessment
    form: DecisionForm

    @property
    def scored_label(self) -> str:
        return level_label(self.assessment.scored_level)

    @property
    def override_label(self) -> str:
        return level_label(self.assessment.override_level)


def _render_queue(
    request: HttpRequest,
    facility: Facility,
    *,
    decision: tuple[uuid.UUID, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    perms = _me(request).perms_at(facility.pk)
    rows = _due_rows(facility, now, perms)
    alerts = open_reviews(facility)
    overrides = [
        OverrideRow(
            assessment,
            decision[1]
            if decision is not None and decision[0] == assessment.public_id
            else DecisionForm(prefix=f"d-{assessment.public_id}"),
        )
        for assessment in pending_overrides(facility)
    ]
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "rows": rows,
        # The list stops at the most urgent QUEUE_SHOWN; the badge counts every overdue one.
        "overdue_count": overdue_counts(facility, now).total,
        "truncated": len(rows) >= QUEUE_SHOWN,
        "shown": QUEUE_SHOWN,
        "overrides": overrides,
        "alerts": list(alerts[:QUEUE_SHOWN]),
        "alert_count": alerts.count(),
        "can_decide": Perm.CLASSIFICATION_APPROVE in perms,
    }
    return render(request, "classification/queue.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """Who is due or overdue for classification or PREA screening, and what waits for a decision."""
    return _render_queue(request, _facility_for(request, Perm.BOOKING_VIEW))


def _assessment_for_user(user: User, assessment_id: uuid.UUID) -> Assessment:
    """An assessment of a booking the user sees; 404 for anything else."""
    assessment = (
        Assessment.objects.filter(
            public_id=assessment_id,
            booking__facility_id__in=user.facilities_with(Perm.BOOKING_VIEW),
        )
        .select_related("booking__facility", "booking__person")
        .first()
    )
    if assessment is None:
        raise NotFound(f"No assessment {assessment_id}.")
    return assessment


@require_POST
@requires(Perm.CLASSIFICATION_APPROVE)
def override_decide(request: HttpRequest, assessment_id: uuid.UUID) -> HttpResponse:
    """Approve or refuse an override, from the queue."""
    user = _me(request)
    assessment = _assessment_for_user(user, assessment_id)
    booking = assessment.booking
    if Perm.CLASSIFICATION_APPROVE not in user.perms_at(booking.facility_id):
        raise _missing(Perm.CLASSIFICATION_APPROVE)
    form = DecisionForm(request.POST, prefix=f"d-{assessment.public_id}")
    form.is_valid()
    choice = form.text("decision")
    if choice not in ("approve", "refuse"):
        form.add_error("decision", CHOOSE_DECISION)
        return _render_queue(request, booking.facility, decision=(assessment_id, form), status=400)
    try:
        decided = assessment_override_decide(
            actor=user, assessment=assessment, approve=choice == "approve", note=form.text("note")
        )
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_queue(
            request, booking.facility, decision=(assessment_id, form), status=status
        )
    person = booking.person.full_name
    if decided.status == AssessmentStatus.OVERRIDE_APPROVED:
        note = OVERRIDE_APPROVED.format(person=person, level=level_label(decided.override_level))
    else:
        note = OVERRIDE_REFUSED.format(person=person, level=level_label(decided.scored_level))
    messages.success(request, note)
    return redirect("classification:queue")


# --- Assessment -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePreview:
    """The running total as items are answered; complete, it is the instrument's own score."""

    answered: int
    items: int
    total: int
    level: str
    special_reasons: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.answered == self.items

    @property
    def remaining(self) -> int:
        return self.items - self.answered

    @property
    def level_label(self) -> str:
        return level_label(self.level)


def score_preview(instrument: scoring.Instrument, answers: dict[str, str]) -> ScorePreview:
    chosen = [
        (item, answer)
        for item in instrument.items
        if (answer := item.answer(answers.get(item.code, ""))) is not None
    ]
    if len(chosen) == len(instrument.items):
        result = scoring.score(instrument, {item.code: a.code for item, a in chosen})
        return ScorePreview(
            len(chosen), len(chosen), result.total, result.level, result.special_reasons
        )
    total = sum(answer.points for _, answer in chosen)
    special = tuple(
        f"{item.label}: {answer.label}"
        for item, answer in chosen
        if (item.code, answer.code) in instrument.special_management
    )
    level = scoring.level_for_total(
        total, minimum_max=instrument.minimum_max, medium_max=instrument.medium_max
    )
    return ScorePreview(
        len(chosen), len(instrument.items), total, scoring.SPECIAL if special else level, special
    )


def _instrument_for(booking: Booking) -> tuple[Instrument, scoring.Instrument]:
    stored = instrument_in_force(policy_of(booking.facility).classification_instrument)
    return stored, parsed_instrument(stored)


def _render_assess(
    request: HttpRequest,
    booking: Booking,
    form: AssessmentForm,
    stored: Instrument,
    *,
    status: int = 200,
) -> HttpResponse:
    instrument = form.instrument
    previous = latest_assessment(booking)
    context = {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "tz": booking.facility.timezone,
        "form": form,
        "rows": form.item_rows(),
        "instrument": instrument,
        "stored": stored,
        "preview": score_preview(instrument, form.answers() if form.is_bound else {}),
        "previous": previous,
        "previous_label": level_label(previous.level) if previous else "",
    }
    return render(request, "classification/assess.html", context, status=status)


@requires(Perm.CLASSIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
@booking_page(Perm.CLASSIFICATION_EDIT)
def assess(request: HttpRequest, booking: Booking) -> HttpResponse:
    """Score the booking on the instrument in force; an override waits for approval."""
    stored, instrument = _instrument_for(booking)
    if request.method != "POST":
        return _render_assess(request, booking, AssessmentForm(instrument=instrument), stored)
    form = AssessmentForm(request.POST, instrument=instrument)
    if not form.is_valid():
        return _render_assess(request, booking, form, stored, status=400)
    try:
        assessment = assessment_record(
            actor=_me(request), booking=booking, answers=form.answers(),
            reason=form.text("reason"), override_level=form.text("override_level"),
            override_reason=form.text("override_reason"), notes=form.text("notes"),
        )  # fmt: skip
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_assess(request, booking, form, stored, status=status)
    note = ASSESSED.format(level=level_label(assessment.scored_level), total=assessment.total)
    if assessment.override_level:
        note += " " + OVERRIDE_ASKED.format(level=level_label(assessment.override_level))
    messages.success(request, note)
    return redirect(_profile_url(booking))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def assess_score(request: HttpRequest, booking: Booking) -> HttpResponse:
    """The running total and level for the answers so far (htmx, as each is chosen)."""
    _, instrument = _instrument_for(booking)
    form = AssessmentForm(request.POST, instrument=instrument)
    form.is_valid()
    context = {"preview": score_preview(instrument, form.answers()), "instrument": instrument}
    response = render(request, "classification/assess.html#score", context)
    response["Cache-Control"] = "no-store"
    return response


# --- PREA screening ---------------------------------------------------------------------


@requires(Perm.PREA_SCREEN)
@require_http_methods(["GET", "POST"])
@booking_page(Perm.PREA_SCREEN)
def prea(request: HttpRequest, booking: Booking) -> HttpResponse:
    """The screening of 28 CFR 115.41: yes or no for every criterion."""
    status = 200
    form = PreaForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                screening = prea_screening_record(
                    actor=_me(request), booking=booking, answers=form.answers(),
                    kind=form.text("kind"), notes=form.text("notes"),
                )  # fmt: skip
            except DomainError as exc:
                status = _apply_error(form, exc)
            else:
                messages.success(request, SCREENED)
                return redirect(
                    "classification:prea_result", booking.booking_number, screening.public_id
                )
    context = {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "tz": booking.facility.timezone,
        "form": form,
        "previous": latest_screening(booking),
    }
    return render(request, "classification/prea.html", context, status=status)


@require_GET
@requires(Perm.PREA_SCREEN)
@booking_page(Perm.PREA_SCREEN)
def prea_result(request: HttpRequest, booking: Booking, screening_id: uuid.UUID) -> HttpResponse:
    """What a screening found: the two risks and their flags, never the answers."""
    screening = (
        PreaScreening.objects.filter(booking=booking, public_id=screening_id)
        .defer("answers")
        .select_related("screened_by")
        .first()
    )
    if screening is None:
        raise NotFound(f"No PREA screening {screening_id} of booking {booking.booking_number}.")
    flags = Flag.objects.filter(
        booking=booking,
        kind__in=[FlagKind.PREA_VICTIM, FlagKind.PREA_ABUSER],
        lifted_at__isnull=True,
    )
    context = {
        "booking": booking,
        "person": booking.person,
        "tz": booking.facility.timezone,
        "screening": screening,
        "flags": list(flags),
    }
    return render(request, "classification/prea_result.html", context)


# --- Flags -------------------------------------------------------------------------------


def _render_flags(
    request: HttpRequest,
    booking: Booking,
    *,
    form: FlagForm | None = None,
    lift_errors: dict[str, str] | None = None,
    lift_reasons: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    lift_errors = lift_errors or {}
    lift_reasons = lift_reasons or {}
    rows = active_flag_rows(booking, clock.now())
    context = {
        "booking": booking,
        "person": booking.person,
        "tz": booking.facility.timezone,
        "flag_form": form or FlagForm(prefix="flag"),
        "flag_rows": [
            (row, lift_errors.get(str(row.flag.public_id), ""),
             lift_reasons.get(str(row.flag.public_id), ""))
            for row in rows
        ],
        "detail_rules": detail_rules(feature_tags(booking.facility)),
        "can_edit": booking.is_open,
    }  # fmt: skip
    return render(request, "classification/flags.html", context, status=status)


@requires(Perm.CLASSIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
@booking_page(Perm.CLASSIFICATION_EDIT)
def flags(request: HttpRequest, booking: Booking) -> HttpResponse:
    """Set a special-management flag; the profile's form posts here."""
    if request.method != "POST":
        return _render_flags(request, booking)
    form = FlagForm(request.POST, prefix="flag")
    if not form.is_valid():
        return _render_flags(request, booking, form=form, status=400)
    try:
        flag = flag_set(
            actor=_me(request), booking=booking, kind=form.text("kind"),
            detail=form.text("detail"), reason=form.text("reason"), until=form.moment("until"),
        )  # fmt: skip
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_flags(request, booking, form=form, status=status)
    messages.success(request, FLAG_SET.format(flag=flag))
    return redirect(_profile_url(booking))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def flag_lift_view(request: HttpRequest, booking: Booking, flag_id: uuid.UUID) -> HttpResponse:
    flag = Flag.objects.filter(booking=booking, public_id=flag_id).first()
    if flag is None:
        raise NotFound(f"No flag {flag_id} on booking {booking.booking_number}.")
    flag.booking = booking
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        flag_lift(actor=_me(request), flag=flag, reason=form.text("reason"))
    except DomainError as exc:
        problems = _field_errors(exc).get("reason", [exc.message])
        key = str(flag.public_id)
        return _render_flags(
            request, booking, lift_errors={key: " ".join(problems)},
            lift_reasons={key: form.text("reason")}, status=exc.status,
        )  # fmt: skip
    messages.success(request, FLAG_LIFTED.format(flag=flag))
    return redirect(_profile_url(booking))


# --- Orders ------------------------------------------------------------------------------


def _staff_choices(user: User, facility: Facility) -> list[tuple[str, str]]:
    staff = staff_for_user(user, perm=Perm.BOOKING_VIEW, facility_id=facility.pk)
    return [(str(member.public_id), member.full_name or member.username) for member in staff]


def _staff_member(user: User, facility: Facility, public_id: str) -> User | None:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    staff = staff_for_user(user, perm=Perm.BOOKING_VIEW, facility_id=facility.pk)
    return staff.filter(public_id=key).first()


def _groups(facility: Facility) -> list[SecurityGroup]:
    return list(SecurityGroup.objects.filter(agency_id=facility.agency_id).order_by("name"))


def _group(facility: Facility, public_id: str) -> SecurityGroup | None:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    return SecurityGroup.objects.filter(agency_id=facility.agency_id, public_id=key).first()


def other_bookings(user: User, booking: Booking, text: str) -> list[Booking]:
    """Open bookings of the facility matching ``text``, this one left out (the roster's search)."""
    return [
        found
        for found in booking_search(user, text, limit=SEARCH_LIMIT * 2)
        if found.facility_id == booking.facility_id and found.is_open and found.pk != booking.pk
    ][:SEARCH_LIMIT]


def _protected_matches(form: ProtectiveForm, facility: Facility) -> list[Any]:
    if not form.has_person_data():
        return []
    return person_matches(
        agency_ids={facility.agency_id}, limit=SEARCH_LIMIT, **form.person_query()
    )


@dataclass
class OrderForms:
    separation: SeparationForm | None = None
    protective: ProtectiveForm | None = None
    conflict: ConflictForm | None = None


def _render_orders(
    request: HttpRequest,
    booking: Booking,
    *,
    forms: OrderForms | None = None,
    end_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    facility = booking.facility
    perms = user.perms_at(facility.pk)
    forms = forms or OrderForms()
    now = clock.now()
    can_separate = booking.is_open and Perm.CLASSIFICATION_EDIT in perms
    can_protect = Perm.ORDERS_EDIT in perms
    staff = _staff_choices(user, facility) if can_separate else []
    groups = _groups(facility) if can_separate else []
    separation = forms.separation or SeparationForm(
        prefix="sep", groups=[(str(g.public_id), g.name) for g in groups], staff=staff
    )
    protective = forms.protective or ProtectiveForm(prefix="po")
    conflict = forms.conflict or ConflictForm(prefix="sc", staff=staff)
    other_q = request.GET.get("other_q", "").strip()
    chosen_other = separation.text("other_booking") if separation.is_bound else ""
    if not other_q and chosen_other:
        other_q = chosen_other
    rows = order_rows(
        user, booking, orders_of(booking.person, facility.agency_id, include_past=True), now
    )
    if end_errors:
        rows = OrderRows(
            *(
                [replace(row, error=end_errors.get(str(row.order.public_id), "")) for row in kind]
                for kind in (rows.separations, rows.protective, rows.staff_conflicts)
            )
        )
    context = {
        "booking": booking,
        "person": booking.person,
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "orders": rows,
        "alerts": list(open_reviews(facility).filter(booking=booking)),
        "can_separate": can_separate,
        "can_protect": can_protect,
        "can_conflict": can_separate,
        "separation": separation,
        "protective": protective,
        "conflict": conflict,
        "groups": groups,
        "other_q": other_q,
        "others": other_bookings(user, booking, other_q) if can_separate and other_q else [],
        "chosen_other": chosen_other,
        "searched": bool(other_q),
        "matches": _protected_matches(protective, facility) if protective.is_bound else [],
        "chosen_match": protective.text("protected_match") if protective.is_bound else "",
        "match_errors": protective.errors.get("protected_match") if protective.is_bound else None,
        "new_person": NEW_PERSON,
    }
    return render(request, "classification/orders.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
@booking_page(Perm.BOOKING_VIEW)
def orders(request: HttpRequest, booking: Booking) -> HttpResponse:
    """Every order naming the person, past ones included; forms for those who may record them."""
    return _render_orders(request, booking)


@require_GET
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def other_search(request: HttpRequest, booking: Booking) -> HttpResponse:
    """People held here who match the search, as choices for a keep-separate order (htmx)."""
    other_q = request.GET.get("other_q", "").strip()
    context = {
        "others": other_bookings(_me(request), booking, other_q) if other_q else [],
        "other_q": other_q,
        "searched": bool(other_q),
        "chosen_other": "",
        "separation": SeparationForm(prefix="sep"),
    }
    response = render(request, "classification/orders.html#others", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(Perm.ORDERS_EDIT)
@booking_page(Perm.ORDERS_EDIT)
def protected_search(request: HttpRequest, booking: Booking) -> HttpResponse:
    """People on record matching the protected person typed so far (htmx, as one types)."""
    form = ProtectiveForm(request.POST, prefix="po")
    form.is_valid()  # what parses is used; a half-typed date is left out
    context = {
        "matches": _protected_matches(form, booking.facility),
        "searched": form.has_person_data(),
        "chosen_match": form.text("protected_match"),
        "match_errors": None,
        "new_person": NEW_PERSON,
        "protective": form,
    }
    response = render(request, "classification/orders.html#matches", context)
    response["Cache-Control"] = "no-store"
    return response


def _orders_url(booking: Booking) -> str:
    return reverse("classification:orders", args=[booking.booking_number])


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def separation_create(request: HttpRequest, booking: Booking) -> HttpResponse:
    user = _me(request)
    facility = booking.facility
    staff = _staff_choices(user, facility)
    groups = [(str(g.public_id), g.name) for g in _groups(facility)]
    form = SeparationForm(request.POST, prefix="sep", groups=groups, staff=staff)
    other_person: Person | None = None
    group: SecurityGroup | None = None
    authoriser: User | None = None
    if form.is_valid():
        if number := form.text("other_booking"):
            try:
                other_person = booking_get_for_user(user, number).person
            except NotFound:
                form.add_error("other_booking", OTHER_NOT_FOUND)
        if (group_id := form.text("group")) and (group := _group(facility, group_id)) is None:
            form.add_error("group", GROUP_NOT_FOUND)
        if (by := form.text("authorised_by")) and (
            authoriser := _staff_member(user, facility, by)
        ) is None:
            form.add_error("authorised_by", STAFF_NOT_FOUND)
    if not form.is_valid():
        return _render_orders(request, booking, forms=OrderForms(separation=form), status=400)
    try:
        order = separation_order_create(
            actor=user, facility=facility, person=booking.person, other_person=other_person,
            group=group, scope=form.text("scope"), reason=form.text("reason"),
            starts_at=form.moment("starts_at"), expires_at=form.moment("expires_at"),
            authorised_by=authoriser,
        )  # fmt: skip
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_orders(request, booking, forms=OrderForms(separation=form), status=status)
    other = other_person.full_name if other_person else group.name if group else ""
    messages.success(
        request,
        SEPARATION_RECORDED.format(
            person=booking.person.full_name, other=other, scope=order.get_scope_display().lower()
        ),
    )
    return redirect(_orders_url(booking))


class _ChooseProtected(Exception):
    """People on record match the protected person, and the user has not said which."""


def _protected_person(user: User, facility: Facility, form: ProtectiveForm) -> Person:
    """The person chosen among the matches, or a new one once no match is left unanswered."""
    choice = form.text("protected_match")
    if choice and choice != NEW_PERSON:
        matches = _protected_matches(form, facility)
        chosen = next((m.person for m in matches if str(m.person.public_id) == choice), None)
        if chosen is None:
            raise NotFound(CHOSEN_PERSON_GONE)
        return chosen
    if choice != NEW_PERSON and _protected_matches(form, facility):
        raise _ChooseProtected(CHOOSE_PROTECTED)
    return person_create(actor=user, facility=facility, **form.person_query())


@require_POST
@requires(Perm.ORDERS_EDIT)
@booking_page(Perm.ORDERS_EDIT)
def protective_create(request: HttpRequest, booking: Booking) -> HttpResponse:
    user = _me(request)
    facility = booking.facility
    form = ProtectiveForm(request.POST, prefix="po")
    if not form.is_valid():
        return _render_orders(request, booking, forms=OrderForms(protective=form), status=400)
    try:
        # One transaction: an order refused leaves no new person behind.
        with transaction.atomic():
            protected = _protected_person(user, facility, form)
            order = protective_order_create(
                actor=user, facility=facility, person=booking.person, protected_person=protected,
                protected_role=form.text("protected_role"), source=form.text("source"),
                scope=form.text("scope"), issued_by=form.text("issued_by"),
                reference=form.text("reference"), reason=form.text("reason"),
                starts_at=form.moment("starts_at"), expires_at=form.moment("expires_at"),
            )  # fmt: skip
    except _ChooseProtected as exc:
        form.add_error("protected_match", str(exc))
        return _render_orders(request, booking, forms=OrderForms(protective=form), status=400)
    except NotFound as exc:
        form.add_error("protected_match", exc.message)
        return _render_orders(request, booking, forms=OrderForms(protective=form), status=400)
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_orders(request, booking, forms=OrderForms(protective=form), status=status)
    messages.success(
        request,
        PROTECTIVE_RECORDED.format(
            person=protected.full_name, scope=order.get_scope_display().lower()
        ),
    )
    return redirect(_orders_url(booking))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def conflict_create(request: HttpRequest, booking: Booking) -> HttpResponse:
    user = _me(request)
    facility = booking.facility
    form = ConflictForm(request.POST, prefix="sc", staff=_staff_choices(user, facility))
    staff = _staff_member(user, facility, form.text("staff")) if form.is_valid() else None
    if form.is_valid() and staff is None:
        form.add_error("staff", STAFF_NOT_FOUND)
    if staff is None:
        return _render_orders(request, booking, forms=OrderForms(conflict=form), status=400)
    try:
        staff_conflict_create(
            actor=user, facility=facility, person=booking.person, staff=staff,
            kind=form.text("kind"), reason=form.text("reason"),
            starts_at=form.moment("starts_at"), expires_at=form.moment("expires_at"),
        )  # fmt: skip
    except DomainError as exc:
        status = _apply_error(form, exc)
        return _render_orders(request, booking, forms=OrderForms(conflict=form), status=status)
    messages.success(request, CONFLICT_RECORDED.format(staff=staff.full_name or staff.username))
    return redirect(_orders_url(booking))


def _order_end(
    request: HttpRequest,
    booking: Booking,
    order_id: uuid.UUID,
    kind: str,
    end: Callable[..., Any],
) -> HttpResponse:
    """End one of the person's orders with a reason; a refusal is shown beside the order."""
    found = orders_of(booking.person, booking.facility.agency_id, include_past=True)
    by_kind: dict[str, list[Any]] = {
        "separation": list(found.separations),
        "protective": list(found.protective),
        "conflict": list(found.staff_conflicts),
    }
    listed = by_kind[kind]
    order = next((o for o in listed if o.public_id == order_id), None)
    if order is None:
        raise NotFound(f"No order {order_id} naming {booking.person}.")
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.text("reason")
    try:
        if kind == "conflict":
            end(actor=_me(request), facility=booking.facility, conflict=order, reason=reason)
        else:
            end(actor=_me(request), facility=booking.facility, order=order, reason=reason)
    except DomainError as exc:
        problems = _field_errors(exc).get("reason", [exc.message])
        return _render_orders(
            request,
            booking,
            end_errors={str(order_id): " ".join(problems)},
            status=exc.status,
        )
    messages.success(request, ORDER_ENDED.format(order=order))
    return redirect(_orders_url(booking))


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def separation_end(request: HttpRequest, booking: Booking, order_id: uuid.UUID) -> HttpResponse:
    return _order_end(request, booking, order_id, "separation", separation_order_end)


@require_POST
@requires(Perm.ORDERS_EDIT)
@booking_page(Perm.ORDERS_EDIT)
def protective_end(request: HttpRequest, booking: Booking, order_id: uuid.UUID) -> HttpResponse:
    return _order_end(request, booking, order_id, "protective", protective_order_end)


@require_POST
@requires(Perm.CLASSIFICATION_EDIT)
@booking_page(Perm.CLASSIFICATION_EDIT)
def conflict_end(request: HttpRequest, booking: Booking, order_id: uuid.UUID) -> HttpResponse:
    return _order_end(request, booking, order_id, "conflict", staff_conflict_end)
