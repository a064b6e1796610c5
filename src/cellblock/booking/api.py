"""Bookings API: intake (finding or creating the person), the roster and search,
charges, the checklist, property, photos, and the lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking import services
from cellblock.booking.checklist import owner_label
from cellblock.booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Charge,
    ChargeSeverity,
    IntakeStepCode,
    LegalStatus,
    PropertyCondition,
    PropertyItem,
    PropertyKind,
    ReleaseType,
)
from cellblock.booking.selectors import (
    ChecklistRow,
    RosterFilters,
    booking_checklist,
    booking_get_for_user,
    booking_search,
    booking_with_columns_for_user,
    bookings_for_user,
    roster_filter_errors,
    roster_page,
    with_roster_columns,
)
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import Conflict, NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.people.api import PersonOut, PhotoOut, match_out, person_out, photo_out
from cellblock.people.models import IdentifierKind, Person, Sex
from cellblock.people.selectors import person_get_for_booking, person_matches
from cellblock.people.services import person_create, person_photo_add

router = Router()

RELEASE_NEEDS_CHECKLIST = "Releases go through the release checklist: POST /api/releases."
POSSIBLE_DUPLICATES = (
    "{count} person(s) on record may be this person: book one of them with person_id, "
    "or send confirm_new_person=true."
)


# --- Schemas ---------------------------------------------------------------


class NewPersonIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    identifiers: dict[IdentifierKind, str] = {}


class ChargeIn(Schema):
    statute: str = Field(max_length=60)
    description: str = Field(max_length=300)
    # Free text so an unknown severity gets our message, naming the choices.
    severity: str = Field(max_length=20, description="felony, misdemeanour or infraction")
    charge_class: str = Field(default="", max_length=20)
    counts: int = 1
    case_number: str = Field(default="", max_length=60)

    def data(self) -> services.ChargeData:
        return services.ChargeData(**self.dict())


class DetailsIn(Schema):
    committing_authority: str = Field(default="", max_length=200)
    authority_reference: str = Field(default="", max_length=100)
    height_cm: int | None = None
    weight_kg: int | None = None
    build: str = Field(default="", max_length=40)
    eye_colour: str = Field(default="", max_length=40)
    hair_colour: str = Field(default="", max_length=40)
    distinguishing_marks: str = Field(default="", max_length=2000)
    emergency_contact_name: str = Field(default="", max_length=200)
    emergency_contact_relationship: str = Field(default="", max_length=100)
    emergency_contact_phone: str = Field(default="", max_length=40)


class BookingIn(DetailsIn):
    facility: uuid.UUID
    source: BookingSource
    legal_status: LegalStatus = LegalStatus.PRETRIAL
    booked_at: dt.datetime | None = Field(default=None, description="Defaults to now")
    person_id: uuid.UUID | None = Field(default=None, description="An existing person")
    person: NewPersonIn | None = Field(default=None, description="Or a new one")
    confirm_new_person: bool = Field(
        default=False, description="Create the new person even though the duplicate check "
        "found possible matches",
    )  # fmt: skip
    charges: list[ChargeIn] = []


class DetailsPatchIn(Schema):
    committing_authority: str | None = Field(default=None, max_length=200)
    authority_reference: str | None = Field(default=None, max_length=100)
    legal_status: LegalStatus | None = None
    height_cm: int | None = None
    weight_kg: int | None = None
    build: str | None = Field(default=None, max_length=40)
    eye_colour: str | None = Field(default=None, max_length=40)
    hair_colour: str | None = Field(default=None, max_length=40)
    distinguishing_marks: str | None = Field(default=None, max_length=2000)
    emergency_contact_name: str | None = Field(default=None, max_length=200)
    emergency_contact_relationship: str | None = Field(default=None, max_length=100)
    emergency_contact_phone: str | None = Field(default=None, max_length=40)


class TransitionIn(Schema):
    to: BookingStatus
    release_type: ReleaseType | None = None
    reason: str = Field(default="", max_length=1000)


class ChargeOut(Schema):
    id: uuid.UUID
    statute: str
    description: str
    severity: ChargeSeverity
    charge_class: str
    counts: int
    case_number: str
    added_at: dt.datetime


class StepOut(Schema):
    step: IntakeStepCode
    label: str
    state: str = Field(description="done, overdue, open, or pending (no module records it yet)")
    owner: str
    due_at: dt.datetime
    completed_at: dt.datetime | None
    completed_by: str | None
    note: str


class HousingOut(Schema):
    unit: str
    cell: str
    bed: str


class FlagOut(Schema):
    kind: str
    detail: str


class BookingSummaryOut(Schema):
    booking_number: str
    person: PersonOut
    status: str
    legal_status: str
    custody_level: str
    booked_at: dt.datetime
    housing: HousingOut | None
    flags: list[FlagOut]
    photo_id: uuid.UUID | None


class BookingOut(BookingSummaryOut, DetailsIn):
    facility: uuid.UUID
    source: str
    in_custody_at: dt.datetime | None
    released_at: dt.datetime | None
    release_type: str
    charges: list[ChargeOut]
    checklist: list[StepOut]


class RosterOut(Schema):
    count: int
    page: int
    pages: int
    results: list[BookingSummaryOut]


class MethodIn(Schema):
    method: str = Field(max_length=200, description="How identity was established")


class PropertyIn(Schema):
    kind: PropertyKind
    description: str = Field(max_length=300)
    quantity: int = 1
    condition: PropertyCondition = PropertyCondition.GOOD
    bag_number: str = Field(default="", max_length=40)
    cash_amount: Decimal | None = None


class PropertyPatchIn(Schema):
    reason: str = Field(max_length=500)
    description: str | None = Field(default=None, max_length=300)
    quantity: int | None = None
    condition: PropertyCondition | None = None
    bag_number: str | None = Field(default=None, max_length=40)
    cash_amount: Decimal | None = None


class ReturnIn(Schema):
    note: str = Field(default="", max_length=300)


class RemoveIn(Schema):
    reason: str = Field(max_length=500)


class PropertyOut(Schema):
    id: uuid.UUID
    kind: PropertyKind
    description: str
    quantity: int
    condition: PropertyCondition
    bag_number: str
    cash_amount: Decimal | None
    recorded_at: dt.datetime
    recorded_by: str | None
    returned_at: dt.datetime | None
    returned_by: str | None
    return_note: str


# --- Shaping ---------------------------------------------------------------


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _housing(booking: Booking) -> HousingOut | None:
    cell = getattr(booking, "cell_code", None)
    if cell is None:
        return None
    return HousingOut(unit=booking.unit_code, cell=cell, bed=booking.bed_label)  # type: ignore[attr-defined]


def summary_out(booking: Booking) -> BookingSummaryOut:
    """For rows of the roster and search (annotated by the selectors)."""
    return BookingSummaryOut(
        booking_number=booking.booking_number, person=person_out(booking.person),
        status=booking.status, legal_status=booking.legal_status,
        custody_level=booking.custody_level, booked_at=booking.booked_at,
        housing=_housing(booking),
        flags=[FlagOut(kind=f.kind, detail=f.detail) for f in getattr(booking, "active_flags", [])],
        photo_id=getattr(booking, "photo_id", None),
    )  # fmt: skip


def step_out(row: ChecklistRow) -> StepOut:
    step = row.step
    return StepOut(
        step=IntakeStepCode(step.step), label=step.get_step_display(), state=row.state,
        owner=owner_label(step.step), due_at=step.due_at, completed_at=step.completed_at,
        completed_by=_username(step.completed_by), note=step.note,
    )  # fmt: skip


def charge_out(charge: Charge) -> ChargeOut:
    return ChargeOut(
        id=charge.public_id, statute=charge.statute, description=charge.description,
        severity=ChargeSeverity(charge.severity), charge_class=charge.charge_class,
        counts=charge.counts, case_number=charge.case_number, added_at=charge.added_at,
    )  # fmt: skip


def property_out(item: PropertyItem) -> PropertyOut:
    return PropertyOut(
        id=item.public_id, kind=PropertyKind(item.kind), description=item.description,
        quantity=item.quantity, condition=PropertyCondition(item.condition),
        bag_number=item.bag_number, cash_amount=item.cash_amount, recorded_at=item.recorded_at,
        recorded_by=_username(item.recorded_by), returned_at=item.returned_at,
        returned_by=_username(item.returned_by), return_note=item.return_note,
    )  # fmt: skip


def booking_out(user: User, booking_number: str) -> BookingOut:
    """The whole booking, read back fresh (with housing, flags, photo and checklist)."""
    booking = booking_with_columns_for_user(user, booking_number)
    summary = summary_out(booking)
    details = {name: getattr(booking, name) for name in DetailsIn.model_fields}
    return BookingOut(
        **summary.dict(), **details, facility=booking.facility.public_id, source=booking.source,
        in_custody_at=booking.in_custody_at, released_at=booking.released_at,
        release_type=booking.release_type,
        charges=[charge_out(c) for c in booking.charges.all()],
        checklist=[step_out(row) for row in booking_checklist(booking)],
    )  # fmt: skip


NOT_NULLABLE = 'cannot be null; leave the field out to keep it, or send "" to clear text.'


def _refuse_nulls(changes: dict[str, object], *, nullable: set[str]) -> None:
    """A PATCH may leave a field out; null is a value only where the record allows none."""
    nulls = sorted(
        name for name, value in changes.items() if value is None and name not in nullable
    )
    if nulls:
        raise ValidationFailed.for_fields({name: [NOT_NULLABLE] for name in nulls})


# --- Intake ----------------------------------------------------------------


def _person_for_intake(user: User, facility: Facility, payload: BookingIn) -> Person:
    facility_person = payload.person
    if payload.person_id is not None and facility_person is None:
        return person_get_for_booking(user, payload.person_id)
    if facility_person is None or payload.person_id is not None:
        raise ValidationFailed.for_fields(
            {"person": ["give either person_id (an existing person) or person (a new one)."]}
        )
    identifiers = {str(kind): value for kind, value in facility_person.identifiers.items()}
    if not payload.confirm_new_person:
        matches = person_matches(
            agency_ids={facility.agency_id},
            given_name=facility_person.given_name, family_name=facility_person.family_name,
            date_of_birth=facility_person.date_of_birth, identifiers=identifiers,
        )  # fmt: skip
        if matches:
            raise Conflict(
                POSSIBLE_DUPLICATES.format(count=len(matches)),
                code="possible_duplicates",
                extra={"matches": [match_out(m).dict() for m in matches]},
            )
    return person_create(
        actor=user, facility=facility, given_name=facility_person.given_name,
        family_name=facility_person.family_name, date_of_birth=facility_person.date_of_birth,
        sex=facility_person.sex, identifiers=identifiers,
    )  # fmt: skip


@router.post("/", response={201: BookingOut}, auth=api_requires(Perm.BOOKING_CREATE))
def open_booking(request: HttpRequest, payload: BookingIn) -> Status[BookingOut]:
    """Book a person: an existing one (``person_id``) or a new one after the duplicate check.

    Person, booking, checklist and charges are written together or not at all.
    """
    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.BOOKING_CREATE)
    details = services.BookingDetails(
        **{name: getattr(payload, name) for name in services.DETAIL_FIELDS}
    )
    with transaction.atomic():
        person = _person_for_intake(user, facility, payload)
        booking = services.booking_open(
            actor=user, facility=facility, person=person, source=payload.source,
            legal_status=payload.legal_status, booked_at=payload.booked_at, details=details,
            charges=[charge.data() for charge in payload.charges],
        )  # fmt: skip
    return Status(201, booking_out(user, booking.booking_number))


# --- Lists (before /{booking_number} so the paths win) ----------------------


@router.get("/", response=list[BookingSummaryOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_bookings(request: HttpRequest, open_only: bool = True) -> list[BookingSummaryOut]:
    """Bookings at your facilities, newest first (at most 500); /roster pages a population."""
    bookings = with_roster_columns(bookings_for_user(acting_user(request), open_only=open_only))
    return [summary_out(b) for b in bookings.prefetch_related("person__identifiers")[:500]]


@router.get("/roster", response=RosterOut, auth=api_requires(Perm.BOOKING_VIEW))
def roster(
    request: HttpRequest,
    facility: uuid.UUID,
    q: str = "",
    unit: str = "",
    status: str = "",
    custody_level: str = "",
    flag: str = "",
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
) -> RosterOut:
    """The current population of a facility, filtered, sorted and paged (50 a page)."""
    chosen = facility_get_for_user(acting_user(request), facility, Perm.BOOKING_VIEW)
    filters = RosterFilters(q=q, unit=unit, status=status, custody_level=custody_level, flag=flag)
    errors = roster_filter_errors(filters)
    if errors:
        raise ValidationFailed.for_fields(errors)
    result = roster_page(chosen, filters, sort=sort, descending=descending, page=page)
    return RosterOut(
        count=result.count, page=result.page, pages=result.pages,
        results=[summary_out(row) for row in result.rows],
    )  # fmt: skip


@router.get("/search", response=list[BookingSummaryOut], auth=api_requires(Perm.BOOKING_VIEW))
def search(request: HttpRequest, q: str, limit: int = 25) -> list[BookingSummaryOut]:
    """By name words, booking number or date of birth; open bookings first."""
    found = booking_search(acting_user(request), q, limit=max(1, min(limit, 100)))
    return [summary_out(booking) for booking in found]


# --- One booking -----------------------------------------------------------


@router.get("/{booking_number}", response=BookingOut, auth=api_requires(Perm.BOOKING_VIEW))
def get_booking(request: HttpRequest, booking_number: str) -> BookingOut:
    user = acting_user(request)
    return booking_out(user, booking_get_for_user(user, booking_number).booking_number)


@router.patch("/{booking_number}", response=BookingOut, auth=api_requires(Perm.BOOKING_CREATE))
def update_details(
    request: HttpRequest, booking_number: str, payload: DetailsPatchIn
) -> BookingOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, nullable={"height_cm", "weight_kg"})
    services.booking_details_update(actor=user, booking=booking, **changes)
    return booking_out(user, booking.booking_number)


class DateOfBirthIn(Schema):
    # null when the date turns out to be unknown.
    date_of_birth: dt.date | None
    reason: str = Field(max_length=500)


@router.post(
    "/{booking_number}/date-of-birth", response=BookingOut, auth=api_requires(Perm.BOOKING_CREATE)
)
def correct_date_of_birth(
    request: HttpRequest, booking_number: str, payload: DateOfBirthIn
) -> BookingOut:
    """Correct the person's date of birth; the juvenile flag and housing alerts follow."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.person_date_of_birth_correct(
        actor=user, booking=booking, date_of_birth=payload.date_of_birth, reason=payload.reason
    )
    return booking_out(user, booking.booking_number)


@router.post(
    "/{booking_number}/transition", response=BookingOut, auth=api_requires(Perm.BOOKING_VIEW)
)
def transition_booking(
    request: HttpRequest, booking_number: str, payload: TransitionIn
) -> BookingOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    if payload.to == BookingStatus.RELEASED:
        # Holds, property, money, the discharge note and visits come first (release app).
        raise Conflict(RELEASE_NEEDS_CHECKLIST, code="release_needs_checklist")
    services.booking_transition(
        actor=user, booking=booking, to=payload.to, release_type=payload.release_type or "",
        reason=payload.reason,
    )  # fmt: skip
    return booking_out(user, booking.booking_number)


@router.get(
    "/{booking_number}/checklist", response=list[StepOut], auth=api_requires(Perm.BOOKING_VIEW)
)
def checklist(request: HttpRequest, booking_number: str) -> list[StepOut]:
    booking = booking_get_for_user(acting_user(request), booking_number)
    return [step_out(row) for row in booking_checklist(booking)]


@router.post(
    "/{booking_number}/checklist/identity",
    response=list[StepOut],
    auth=api_requires(Perm.BOOKING_CREATE),
)
def confirm_identity(request: HttpRequest, booking_number: str, payload: MethodIn) -> list[StepOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.booking_identity_confirm(actor=user, booking=booking, method=payload.method)
    return [step_out(row) for row in booking_checklist(booking)]


@router.post(
    "/{booking_number}/checklist/charges",
    response=list[StepOut],
    auth=api_requires(Perm.BOOKING_CREATE),
)
def charges_complete(request: HttpRequest, booking_number: str) -> list[StepOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.booking_charges_complete(actor=user, booking=booking)
    return [step_out(row) for row in booking_checklist(booking)]


# --- Charges ---------------------------------------------------------------


@router.post(
    "/{booking_number}/charges", response={201: ChargeOut}, auth=api_requires(Perm.BOOKING_CREATE)
)
def add_charge(request: HttpRequest, booking_number: str, payload: ChargeIn) -> Status[ChargeOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    return Status(
        201, charge_out(services.charge_add(actor=user, booking=booking, data=payload.data()))
    )


def _charge(booking: Booking, charge_id: uuid.UUID) -> Charge:
    charge = booking.charges.filter(public_id=charge_id).first()
    if charge is None:
        raise NotFound(f"No charge {charge_id} on booking {booking}.")
    charge.booking = booking
    return charge


@router.post(
    "/{booking_number}/charges/{charge_id}/remove",
    response={204: None},
    auth=api_requires(Perm.BOOKING_CREATE),
)
def remove_charge(
    request: HttpRequest, booking_number: str, charge_id: uuid.UUID, payload: RemoveIn
) -> Status[None]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.charge_remove(actor=user, charge=_charge(booking, charge_id), reason=payload.reason)
    return Status(204, None)


# --- Property --------------------------------------------------------------


def _item(booking: Booking, item_id: uuid.UUID) -> PropertyItem:
    item = booking.property_items.filter(public_id=item_id).first()
    if item is None:
        raise NotFound(f"No property item {item_id} on booking {booking}.")
    item.booking = booking
    return item


@router.get(
    "/{booking_number}/property", response=list[PropertyOut], auth=api_requires(Perm.BOOKING_VIEW)
)
def list_property(request: HttpRequest, booking_number: str) -> list[PropertyOut]:
    booking = booking_get_for_user(acting_user(request), booking_number)
    items = booking.property_items.select_related("recorded_by", "returned_by")
    return [property_out(item) for item in items]


@router.post(
    "/{booking_number}/property",
    response={201: PropertyOut},
    auth=api_requires(Perm.BOOKING_CREATE),
)
def add_property(
    request: HttpRequest, booking_number: str, payload: PropertyIn
) -> Status[PropertyOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    item = services.property_item_add(
        actor=user, booking=booking, data=services.PropertyData(**payload.dict())
    )
    return Status(201, property_out(item))


# Before /property/{item_id}: the first path that matches answers.
@router.post(
    "/{booking_number}/property/sign",
    response=list[StepOut],
    auth=api_requires(Perm.BOOKING_CREATE),
)
def sign_property(request: HttpRequest, booking_number: str) -> list[StepOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.property_inventory_sign(actor=user, booking=booking)
    return [step_out(row) for row in booking_checklist(booking)]


@router.patch(
    "/{booking_number}/property/{item_id}",
    response=PropertyOut,
    auth=api_requires(Perm.BOOKING_CREATE),
)
def update_property(
    request: HttpRequest, booking_number: str, item_id: uuid.UUID, payload: PropertyPatchIn
) -> PropertyOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, nullable={"cash_amount"})
    reason = changes.pop("reason")
    item = services.property_item_update(
        actor=user, item=_item(booking, item_id), reason=reason, **changes
    )
    return property_out(item)


@router.post(
    "/{booking_number}/property/{item_id}/return",
    response=PropertyOut,
    auth=api_requires(Perm.BOOKING_RELEASE),
)
def return_property(
    request: HttpRequest, booking_number: str, item_id: uuid.UUID, payload: ReturnIn
) -> PropertyOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    item = services.property_item_return(
        actor=user, item=_item(booking, item_id), note=payload.note
    )
    return property_out(item)


# --- Photo -----------------------------------------------------------------


@router.post(
    "/{booking_number}/photo", response={201: PhotoOut}, auth=api_requires(Perm.BOOKING_CREATE)
)
def upload_photo(
    request: HttpRequest, booking_number: str, photo: File[UploadedFile]
) -> Status[PhotoOut]:
    """A JPEG or PNG (multipart field ``photo``), at most CELLBLOCK_PHOTO_MAX_BYTES."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    # One byte over the limit is enough to refuse the file without reading all of it.
    content = photo.read(settings.CELLBLOCK_PHOTO_MAX_BYTES + 1)
    added = person_photo_add(actor=user, person=booking.person, content=content, booking=booking)
    return Status(201, photo_out(added))
