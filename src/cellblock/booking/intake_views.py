"""The booking intake wizard: a new booking, then its charges, photo, property and identity.

Each page reads through selectors and writes through services; what a page
adds is the order of the steps and where each message is shown.  Times are
typed and shown in the facility's time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from cellblock.accounts.models import User
from cellblock.booking.checklist import StepState, owner_label
from cellblock.booking.forms import (
    NEW_PERSON,
    ChargeForm,
    DetailsForm,
    IdentityForm,
    NewBookingForm,
    PropertyEditForm,
    PropertyForm,
    ReasonForm,
)
from cellblock.booking.models import (
    Booking,
    BookingStatus,
    Charge,
    IntakeStep,
    IntakeStepCode,
    PropertyItem,
    PropertyKind,
)
from cellblock.booking.selectors import ChecklistRow, booking_checklist, booking_get_for_user
from cellblock.booking.services import (
    booking_charges_complete,
    booking_details_update,
    booking_identity_confirm,
    booking_open,
    charge_add,
    charge_remove,
    property_inventory_sign,
    property_item_add,
    property_item_return,
    property_item_update,
)
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires
from cellblock.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import Person, PersonPhoto
from cellblock.people.selectors import person_get_for_booking, person_matches
from cellblock.people.services import person_create, person_photo_add

DUPLICATES_FOUND = "Possible duplicates: choose one of the matches or confirm this is a new person."
BOOKING_OPENED = "Booking {number} opened for {person}."
CHOSEN_PERSON_GONE = "The person chosen is no longer on record; check the matches again."
CHARGE_ADDED = "Charge added: {charge}."
CHARGE_REMOVED = "Charge removed: {charge}."
CHARGES_RECORDED = "Charges recorded ({note})."
PHOTO_MISSING = "choose a photo file (JPEG or PNG)."
PHOTO_STORED = "Photo stored."
PROPERTY_ADDED = "Recorded: {item}."
PROPERTY_UPDATED = "Corrected: {item}."
PROPERTY_UNCHANGED = "Nothing changed on {item}."
PROPERTY_RETURNED = "Returned: {item}."
INVENTORY_SIGNED = "Inventory signed ({note})."
IDENTITY_CONFIRMED = "Identity confirmed: {method}."
DETAILS_SAVED = "Booking details saved."
NO_FACILITY = "You have no role at any facility."

# The wizard's steps, in order: (key, label).  Person and booking are the
# new booking page; the rest are pages of an open booking.
WIZARD_STEPS = (
    ("person", "Person"),
    ("booking", "Booking"),
    ("charges", "Charges"),
    ("photo", "Photo"),
    ("property", "Property"),
    ("identity", "Identity"),
)
# The pages of an existing booking, by step.
STEP_PAGES = {
    "booking": "intake:details",
    "charges": "intake:charges",
    "photo": "intake:photo",
    "property": "intake:property",
    "identity": "intake:identity",
}
STEP_CHECKLIST = {
    "charges": IntakeStepCode.CHARGES,
    "property": IntakeStepCode.PROPERTY,
    "identity": IntakeStepCode.IDENTITY,
}
# The page after each, for the "Next" link.
NEXT_STEP = {"booking": "charges", "charges": "photo", "photo": "property", "property": "identity"}
STATE_WORDS = {
    StepState.DONE: "done",
    StepState.OVERDUE: "overdue",
    StepState.OPEN: "to do",
    StepState.PENDING: "pending",
    # The new booking page, before there is a booking.
    "current": "now",
    "later": "next",
}


# --- Helpers ------------------------------------------------------------------


def _me(request: HttpRequest) -> User:
    # Only reached behind @requires.
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


@contextmanager
def _facility_time(facility: Facility) -> Iterator[ZoneInfo]:
    """Read typed times and show stored ones on the facility's wall clock."""
    zone = ZoneInfo(facility.timezone)
    with timezone.override(zone):
        yield zone


def _require_booking_create(user: User, facility: Facility) -> None:
    if Perm.BOOKING_CREATE not in user.perms_at(facility.pk):
        raise PermissionDenied(
            MISSING_ROLE.format(perm=Perm.BOOKING_CREATE.value), code="missing_role"
        )


def _intake_booking(request: HttpRequest, booking_number: str) -> Booking:
    """The booking, if the user sees it (else 404) and may book at its facility (else 403)."""
    user = _me(request)
    booking = booking_get_for_user(user, booking_number)
    _require_booking_create(user, booking.facility)
    return booking


IntakeView = Callable[..., HttpResponse]


def intake_page(view: Callable[..., HttpResponse]) -> IntakeView:
    """Fetch the booking of the URL for ``view`` and run it on the facility's clock."""

    @wraps(view)
    def wrapper(request: HttpRequest, booking_number: str, **kwargs: Any) -> HttpResponse:
        booking = _intake_booking(request, booking_number)
        with _facility_time(booking.facility):
            response = view(request, booking, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


@dataclass(frozen=True)
class WizardStep:
    number: int
    key: str
    label: str
    state: str  # a StepState, or "current" / "later" on the new booking page
    url: str
    current: bool

    @property
    def state_word(self) -> str:
        return STATE_WORDS.get(self.state, self.state)


def _new_booking_steps() -> list[WizardStep]:
    return [
        WizardStep(n, key, label, "current" if n <= 2 else "later", "", n <= 2)
        for n, (key, label) in enumerate(WIZARD_STEPS, start=1)
    ]


def _booking_steps(booking: Booking, rows: list[ChecklistRow], current: str) -> list[WizardStep]:
    states = {row.step.step: row.state for row in rows}
    has_photo = PersonPhoto.objects.filter(person_id=booking.person_id).exists()
    steps = []
    for n, (key, label) in enumerate(WIZARD_STEPS, start=1):
        if key in STEP_CHECKLIST:
            state = states.get(STEP_CHECKLIST[key], StepState.OPEN)
        elif key == "photo":
            state = StepState.DONE if has_photo else StepState.OPEN
        else:  # person and booking: recorded when the booking was opened
            state = StepState.DONE
        page = STEP_PAGES.get(key)
        url = reverse(page, args=[booking.booking_number]) if page else ""
        steps.append(WizardStep(n, key, label, state, url, key == current))
    return steps


def _intake_context(booking: Booking, current: str, **extra: Any) -> dict[str, Any]:
    rows = booking_checklist(booking)
    following = NEXT_STEP.get(current)
    return {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "steps": _booking_steps(booking, rows, current),
        "checklist": [
            {
                "row": row,
                "label": row.step.get_step_display(),
                "owner": owner_label(row.step.step),
                "word": STATE_WORDS[row.state],
            }
            for row in rows
        ],
        "is_intake": booking.status == BookingStatus.INTAKE,
        "next_step": (
            {
                "label": dict(WIZARD_STEPS)[following],
                "url": reverse(STEP_PAGES[following], args=[booking.booking_number]),
            }
            if following
            else None
        ),
        **extra,
    }


# --- New booking ----------------------------------------------------------------


class _DuplicatesFound(Exception):
    """People on record may be this person, and the clerk has not said which."""


def _open_booking(user: User, facility: Facility, form: NewBookingForm) -> Booking:
    """The person (chosen, or new once no match is left unanswered) and their booking.

    One transaction: a booking refused after its person was created leaves
    no person behind.
    """
    choice = form.cleaned_data.get("match", "")
    with transaction.atomic():
        person: Person
        if choice and choice != NEW_PERSON:
            person = person_get_for_booking(user, choice)
        else:
            if choice != NEW_PERSON:
                found = person_matches(agency_ids={facility.agency_id}, **form.person_query())
                if found:
                    raise _DuplicatesFound(DUPLICATES_FOUND)
            person = person_create(actor=user, facility=facility, **form.person_data())
        return booking_open(
            actor=user, facility=facility, person=person, **form.booking_arguments()
        )


def _matches_context(form: NewBookingForm, chosen: str, facility: Facility) -> dict[str, Any]:
    searched = form.has_person_data()
    query = form.person_query()
    found = person_matches(agency_ids={facility.agency_id}, **query) if searched else []
    choosable = {str(m.person.public_id) for m in found if not m.open_booking} | {NEW_PERSON}
    return {
        "matches": found,
        "searched": searched,
        "chosen": chosen if chosen in choosable else "",
        "new_person": NEW_PERSON,
    }


def _booking_facility(request: HttpRequest) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    _require_booking_create(_me(request), facility)
    return facility


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    facility = _booking_facility(request)
    status = 200
    with _facility_time(facility) as zone:
        if request.method != "POST":
            now = clock.local(clock.now(), zone.key).replace(second=0, microsecond=0)
            form = NewBookingForm(initial={"booked_at": now.replace(tzinfo=None)})
        else:
            form = NewBookingForm(request.POST)
            if form.is_valid():
                try:
                    booking = _open_booking(user, facility, form)
                except _DuplicatesFound:
                    form.add_error("match", DUPLICATES_FOUND)
                    status = 400
                except ValidationFailed as exc:
                    form.add_service_errors(exc.extra.get("fields", {}))
                    status = 400
                except Conflict as exc:
                    # A document number already on record names the identifiers.
                    if "fields" in exc.extra:
                        form.add_service_errors(exc.extra["fields"])
                    else:
                        form.add_error(None, exc.message)
                    status = 409
                except NotFound:
                    form.add_error("match", CHOSEN_PERSON_GONE)
                    status = 400
                else:
                    messages.success(
                        request,
                        BOOKING_OPENED.format(number=booking.booking_number, person=booking.person),
                    )
                    return redirect("intake:charges", booking.booking_number)
            else:
                status = 400
        context = {
            "form": form,
            "facility": facility,
            "steps": _new_booking_steps(),
            "match_errors": form.errors.get("match"),
            **_matches_context(form, request.POST.get("match", ""), facility),
        }
        return render(request, "booking/intake/new.html", context, status=status)


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
def matches(request: HttpRequest) -> HttpResponse:
    """The possible-matches panel for the person typed so far (htmx, as the clerk types)."""
    data = request.POST if request.method == "POST" else request.GET
    form = NewBookingForm(data)
    form.is_valid()  # what parses is checked; half-typed dates are left out
    context = _matches_context(form, data.get("match", ""), _booking_facility(request))
    response = render(request, "booking/intake/new.html#matches", context)
    response["Cache-Control"] = "no-store"
    return response


# --- Charges --------------------------------------------------------------------


def _render_charges(
    request: HttpRequest,
    booking: Booking,
    form: ChargeForm | None = None,
    *,
    status: int = 200,
    note: str = "",
    problem: str = "",
    remove_errors: dict[str, str] | None = None,
) -> HttpResponse:
    remove_errors = remove_errors or {}
    context = _intake_context(
        booking, "charges",
        charges=[
            {"charge": charge, "remove_error": remove_errors.get(str(charge.public_id), "")}
            for charge in Charge.objects.filter(booking=booking)
        ],
        form=form or ChargeForm(), note=note, problem=problem,
    )  # fmt: skip
    if _is_htmx(request):
        # htmx swaps only 2xx answers: the fragment carries its own errors.
        return render(request, "booking/intake/charges.html#charges", context)
    return render(request, "booking/intake/charges.html", context, status=status)


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
@intake_page
def charges(request: HttpRequest, booking: Booking) -> HttpResponse:
    if request.method != "POST":
        return _render_charges(request, booking)
    form = ChargeForm(request.POST)
    if not form.is_valid():
        return _render_charges(request, booking, form, status=400)
    try:
        charge = charge_add(actor=_me(request), booking=booking, data=form.charge_data())
    except ValidationFailed as exc:
        form.add_service_errors(exc.extra.get("fields", {}))
        return _render_charges(request, booking, form, status=400)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _render_charges(request, booking, form, status=409)
    note = CHARGE_ADDED.format(charge=charge)
    if _is_htmx(request):
        return _render_charges(request, booking, note=note)
    messages.success(request, note)
    return redirect("intake:charges", booking.booking_number)


@require_POST
@requires(Perm.BOOKING_CREATE)
@intake_page
def charge_remove_view(
    request: HttpRequest, booking: Booking, charge_id: uuid.UUID
) -> HttpResponse:
    charge = Charge.objects.filter(booking=booking, public_id=charge_id).first()
    if charge is None:
        raise NotFound(f"No charge {charge_id} on booking {booking.booking_number}.")
    charge.booking = booking
    reason = ReasonForm(request.POST)
    reason.is_valid()
    try:
        charge_remove(
            actor=_me(request), charge=charge, reason=reason.cleaned_data.get("reason", "")
        )
    except ValidationFailed as exc:
        problems = " ".join(exc.extra.get("fields", {}).get("reason", [exc.message]))
        return _render_charges(
            request, booking, status=400, remove_errors={str(charge.public_id): problems}
        )
    except Conflict as exc:
        return _render_charges(request, booking, status=409, problem=exc.message)
    note = CHARGE_REMOVED.format(charge=charge)
    if _is_htmx(request):
        return _render_charges(request, booking, note=note)
    messages.success(request, note)
    return redirect("intake:charges", booking.booking_number)


@require_POST
@requires(Perm.BOOKING_CREATE)
@intake_page
def charges_complete(request: HttpRequest, booking: Booking) -> HttpResponse:
    try:
        step = booking_charges_complete(actor=_me(request), booking=booking)
    except DomainError as exc:
        problems = exc.extra.get("fields", {}).get("charges", [exc.message])
        messages.error(request, "Charges: " + " ".join(problems))
        return redirect("intake:charges", booking.booking_number)
    messages.success(request, CHARGES_RECORDED.format(note=step.note))
    return redirect("intake:photo", booking.booking_number)


# --- Photo ----------------------------------------------------------------------


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
@intake_page
def photo(request: HttpRequest, booking: Booking) -> HttpResponse:
    error = ""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("photo")
        limit = settings.CELLBLOCK_PHOTO_MAX_BYTES
        if upload is None:
            error, status = f"photo: {PHOTO_MISSING}", 400
        else:
            # One byte past the limit is enough for the service to refuse a
            # file that is too large, without reading all of it.
            content = upload.read(limit + 1)
            try:
                person_photo_add(
                    actor=_me(request), person=booking.person, content=content, booking=booking
                )
            except ValidationFailed as exc:
                error, status = exc.message, 400
            except Conflict as exc:
                error, status = exc.message, 409
            else:
                messages.success(request, PHOTO_STORED)
                return redirect("intake:photo", booking.booking_number)
    photos = list(
        PersonPhoto.objects.filter(person_id=booking.person_id).select_related("taken_by")
    )
    context = _intake_context(
        booking, "photo", current_photo=photos[0] if photos else None, earlier_photos=photos[1:],
        error=error, max_bytes=settings.CELLBLOCK_PHOTO_MAX_BYTES,
    )  # fmt: skip
    return render(request, "booking/intake/photo.html", context, status=status)


# --- Property -------------------------------------------------------------------


def _item(booking: Booking, item_id: uuid.UUID) -> PropertyItem:
    item = PropertyItem.objects.filter(booking=booking, public_id=item_id).first()
    if item is None:
        raise NotFound(f"No property item {item_id} on booking {booking.booking_number}.")
    item.booking = booking
    return item


def _edit_form(item: PropertyItem) -> PropertyEditForm:
    return PropertyEditForm(
        prefix=f"edit-{item.public_id}",
        initial={
            "description": item.description, "quantity": item.quantity,
            "condition": item.condition, "bag_number": item.bag_number,
            "cash_amount": "" if item.cash_amount is None else f"{item.cash_amount:.2f}",
        },
    )  # fmt: skip


@dataclass(frozen=True)
class PropertyRow:
    item: PropertyItem
    edit: PropertyEditForm
    # The correction form is shown open: it was just refused.
    edit_open: bool


def _completed_step(context: dict[str, Any], code: str) -> IntakeStep | None:
    """The checklist step ``code`` of the page's checklist, if it is done."""
    for entry in context["checklist"]:
        step: IntakeStep = entry["row"].step
        if step.step == code and step.completed_at is not None:
            return step
    return None


def _render_property(
    request: HttpRequest,
    booking: Booking,
    *,
    form: PropertyForm | None = None,
    bound_edit: tuple[PropertyItem, PropertyEditForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    items = PropertyItem.objects.filter(booking=booking).select_related(
        "recorded_by", "returned_by"
    )
    rows = []
    for item in items:
        if bound_edit is not None and bound_edit[0].pk == item.pk:
            rows.append(PropertyRow(item, bound_edit[1], edit_open=True))
        else:
            rows.append(PropertyRow(item, _edit_form(item), edit_open=False))
    cash = [
        (row.item.cash_amount, row.item.returned_at is None)
        for row in rows
        if row.item.kind == PropertyKind.TAKEN and row.item.cash_amount is not None
    ]
    context = _intake_context(
        booking, "property",
        taken=[row for row in rows if row.item.kind == PropertyKind.TAKEN],
        issued=[row for row in rows if row.item.kind == PropertyKind.ISSUED],
        cash_recorded=sum((amount for amount, _ in cash), Decimal("0.00")),
        cash_held=sum((amount for amount, held in cash if held), Decimal("0.00")),
        form=form or PropertyForm(),
        can_return=Perm.BOOKING_RELEASE in user.perms_at(booking.facility_id),
    )  # fmt: skip
    context["signature"] = _completed_step(context, IntakeStepCode.PROPERTY)
    return render(request, "booking/intake/property.html", context, status=status)


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
@intake_page
def property_page(request: HttpRequest, booking: Booking) -> HttpResponse:
    if request.method != "POST":
        return _render_property(request, booking)
    form = PropertyForm(request.POST)
    if not form.is_valid():
        return _render_property(request, booking, form=form, status=400)
    try:
        item = property_item_add(actor=_me(request), booking=booking, data=form.property_data())
    except ValidationFailed as exc:
        form.add_service_errors(exc.extra.get("fields", {}))
        return _render_property(request, booking, form=form, status=400)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _render_property(request, booking, form=form, status=409)
    messages.success(request, PROPERTY_ADDED.format(item=item))
    return redirect("intake:property", booking.booking_number)


@require_POST
@requires(Perm.BOOKING_CREATE)
@intake_page
def property_update(request: HttpRequest, booking: Booking, item_id: uuid.UUID) -> HttpResponse:
    item = _item(booking, item_id)
    form = PropertyEditForm(request.POST, prefix=f"edit-{item.public_id}")
    if not form.is_valid():
        return _render_property(request, booking, bound_edit=(item, form), status=400)
    try:
        updated = property_item_update(
            actor=_me(request), item=item, reason=form.cleaned_data["reason"], **form.changes()
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc.extra.get("fields", {}))
        return _render_property(request, booking, bound_edit=(item, form), status=400)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _render_property(request, booking, bound_edit=(item, form), status=409)
    changed = any(getattr(updated, name) != getattr(item, name) for name in form.changes())
    template = PROPERTY_UPDATED if changed else PROPERTY_UNCHANGED
    messages.success(request, template.format(item=updated))
    return redirect("intake:property", booking.booking_number)


@require_POST
@requires(Perm.BOOKING_CREATE)
@intake_page
def property_sign(request: HttpRequest, booking: Booking) -> HttpResponse:
    try:
        step = property_inventory_sign(actor=_me(request), booking=booking)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, INVENTORY_SIGNED.format(note=step.note))
    return redirect("intake:property", booking.booking_number)


@require_POST
@requires(Perm.BOOKING_RELEASE)
def property_return(request: HttpRequest, booking_number: str, item_id: uuid.UUID) -> HttpResponse:
    """Hand an item back: release staff, who need not hold ``booking.create``."""
    booking = booking_get_for_user(_me(request), booking_number)
    item = _item(booking, item_id)
    try:
        property_item_return(actor=_me(request), item=item, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, f"{item}: {exc.message}")
    else:
        messages.success(request, PROPERTY_RETURNED.format(item=item))
    # Back to the intake page for those who work there; release staff (and
    # anyone once the booking closed) to the property on the profile.
    if booking.is_open and Perm.BOOKING_CREATE in _me(request).perms_at(booking.facility_id):
        return redirect("intake:property", booking.booking_number)
    return redirect(reverse("booking:profile", args=[booking.booking_number]) + "#property")


# --- Identity and details ----------------------------------------------------------


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
@intake_page
def identity(request: HttpRequest, booking: Booking) -> HttpResponse:
    form = IdentityForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            method = form.method_text()
            try:
                booking_identity_confirm(actor=_me(request), booking=booking, method=method)
            except ValidationFailed as exc:
                form.add_service_errors(exc.extra.get("fields", {}))
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, IDENTITY_CONFIRMED.format(method=method))
                return redirect("intake:identity", booking.booking_number)
    person = Person.objects.prefetch_related("identifiers").get(pk=booking.person_id)
    context = _intake_context(
        booking, "identity", person=person, form=form,
        current_photo=PersonPhoto.objects.filter(person=person).first(),
        age=person.age_on(clock.local(booking.booked_at, booking.facility.timezone).date()),
    )  # fmt: skip
    context["confirmation"] = _completed_step(context, IntakeStepCode.IDENTITY)
    return render(request, "booking/intake/identity.html", context, status=status)


@requires(Perm.BOOKING_CREATE)
@require_http_methods(["GET", "POST"])
@intake_page
def details(request: HttpRequest, booking: Booking) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = DetailsForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                booking_details_update(actor=_me(request), booking=booking, **form.changes())
            except ValidationFailed as exc:
                form.add_service_errors(exc.extra.get("fields", {}))
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, DETAILS_SAVED)
                return redirect("intake:details", booking.booking_number)
    else:
        form = DetailsForm(
            initial={name: getattr(booking, name) for name in DetailsForm.base_fields}
        )
    context = _intake_context(booking, "booking", form=form)
    return render(request, "booking/intake/details.html", context, status=status)
