"""Court API: cases, their counts and parties; and the shapes the other court modules answer.

Cases, counts, hearings and sentences are named by opaque id (a count also by
its number within the case), people in custody by booking number, staff by
username.  A case the caller cannot see is 404 in the path and a 400 naming
the field in a body.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking, Charge, ChargeSeverity
from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.models import ProtectedRole
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import Conflict, NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court import selectors as reads
from cellblock.court.api import router
from cellblock.court.models import (
    Case,
    CaseCharge,
    CaseParty,
    CaseStatus,
    Court,
    CreditEntry,
    CreditKind,
    Hearing,
    HearingKind,
    HearingStatus,
    Sentence,
    SentenceRelation,
    SentenceStatus,
    Verdict,
)
from cellblock.court.services import cases as services
from cellblock.custody.api.movements import staff_named
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.people.models import Person, Sex
from cellblock.people.selectors import person_matches
from cellblock.people.services import person_create

T = TypeVar("T")

WHICH_FACILITY = "say which facility: you see court records at more than one."
PERSON_EITHER = "give either {name}_id (someone on record) or {name} (a new person)."
POSSIBLE_DUPLICATES = (
    "{count} person(s) on record may be {who}: name one of them with {name}_id, or send "
    "confirm_new_person=true."
)
NO_COURT = "no court with id {id} in the agency of {facility}."
NO_CHARGE = "no booking charge with id {id} of this person."
NO_COUNT = "case {docket} has no count {count}."
LIST_LIMIT = 500


# --- Helpers ----------------------------------------------------------------------------------


def name_of(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def named_in_body(field: str, find: Callable[[], T]) -> T:
    """A record named in the body: one the caller cannot see is a 400 naming the field."""
    try:
        return find()
    except NotFound as missing:
        raise ValidationFailed.for_fields({field: [missing.message]}) from None


@contextmanager
def fields_named(renames: Mapping[str, str] | None = None, prefix: str = "") -> Iterator[None]:
    """Name a service's fields as the payload does (``sentences[0].charge`` -> ``...count``).

    ``renames`` maps the last part of a field name; ``prefix`` goes before every name.
    """
    try:
        yield
    except ValidationFailed as error:
        fields = error.extra.get("fields")
        if not isinstance(fields, dict):
            raise
        renamed: dict[str, list[str]] = {}
        for name, messages in fields.items():
            head, dot, last = name.rpartition(".")
            last = (renames or {}).get(last, last)
            renamed.setdefault(f"{prefix}{head}{dot}{last}", []).extend(messages)
        raise ValidationFailed.for_fields(renamed) from None


def facility_chosen(user: User, facility: uuid.UUID | None, perm: Perm) -> Facility:
    """The facility asked for, or the caller's only one; else a 400 naming ``facility``."""
    if facility is not None:
        return facility_get_for_user(user, facility, perm=perm)
    mine = user.facilities_with(perm)
    if len(mine) != 1:
        raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
    return Facility.objects.select_related("agency").get(pk=mine[0])


def booking_seen(user: User, number: str, perm: Perm = Perm.COURT_VIEW) -> Booking:
    """A booking of a facility where the user holds ``perm``; else 404."""
    booking = booking_get_for_user(user, number)
    if perm not in user.perms_at(booking.facility_id):
        raise NotFound(f"No booking {number}.")
    return booking


def person_in_agency(public_id: uuid.UUID, agency_id: int) -> Person:
    """Someone on record in the agency, or never booked anywhere (a victim outside)."""
    person = (
        Person.objects.filter(
            Q(bookings__facility__agency_id=agency_id) | Q(bookings__isnull=True),
            public_id=public_id,
        )
        .distinct()
        .first()
    )
    if person is None:
        raise NotFound(f"No person with id {public_id}.")
    return person


class PersonIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN


def person_from_payload(
    user: User,
    facility: Facility,
    *,
    person_id: uuid.UUID | None,
    new: PersonIn | None,
    confirm_new: bool,
    name: str,
    who: str,
) -> Person:
    """The person named by ``{name}_id``, or recorded now after intake's duplicate check."""
    if person_id is not None and new is None:
        return named_in_body(f"{name}_id", lambda: person_in_agency(person_id, facility.agency_id))
    if new is None or person_id is not None:
        raise ValidationFailed.for_fields({f"{name}_id": [PERSON_EITHER.format(name=name)]})
    if not confirm_new:
        matches = person_matches(
            agency_ids={facility.agency_id}, given_name=new.given_name,
            family_name=new.family_name, date_of_birth=new.date_of_birth,
        )  # fmt: skip
        if matches:
            raise Conflict(
                POSSIBLE_DUPLICATES.format(count=len(matches), who=who, name=name),
                code="possible_duplicates",
                extra={"field": name, "matches": [
                    {"id": str(m.person.public_id), "given_name": m.person.given_name,
                     "family_name": m.person.family_name,
                     "date_of_birth": m.person.date_of_birth.isoformat()
                     if m.person.date_of_birth else None,
                     "reasons": list(m.reasons), "open_booking": m.open_booking}
                    for m in matches
                ]},
            )  # fmt: skip
    with fields_named(prefix=f"{name}."):
        return person_create(
            actor=user, facility=facility, given_name=new.given_name,
            family_name=new.family_name, date_of_birth=new.date_of_birth, sex=new.sex,
        )  # fmt: skip


# --- Output shapes ----------------------------------------------------------------------------


class PersonRefOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str


def person_ref(person: Person) -> PersonRefOut:
    return PersonRefOut(
        id=person.public_id, given_name=person.given_name, family_name=person.family_name
    )


class CourtRefOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    location: str


class CaseChargeOut(Schema):
    id: uuid.UUID
    count: int
    statute: str
    description: str
    severity: ChargeSeverity
    booking_charge: uuid.UUID | None
    booking_number: str | None
    verdict: Verdict
    verdict_at: dt.datetime | None
    verdict_by: str | None
    verdict_note: str


def charge_out(charge: CaseCharge) -> CaseChargeOut:
    linked = charge.booking_charge
    return CaseChargeOut(
        id=charge.public_id, count=charge.count_number, statute=charge.statute,
        description=charge.description, severity=ChargeSeverity(charge.severity),
        booking_charge=linked.public_id if linked else None,
        booking_number=linked.booking.booking_number if linked else None,
        verdict=Verdict(charge.verdict), verdict_at=charge.verdict_at,
        verdict_by=name_of(charge.verdict_by), verdict_note=charge.verdict_note,
    )  # fmt: skip


class PartyOut(Schema):
    id: uuid.UUID
    person: PersonRefOut
    role: ProtectedRole


def party_out(party: CaseParty) -> PartyOut:
    return PartyOut(
        id=party.public_id, person=person_ref(party.person), role=ProtectedRole(party.role)
    )


class ProductionOut(Schema):
    movement: uuid.UUID
    left_at: dt.datetime
    expected_return_at: dt.datetime | None
    returned_at: dt.datetime | None


class HearingOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    docket_number: str
    court: str
    person: PersonRefOut
    kind: HearingKind
    scheduled_at: dt.datetime
    expected_minutes: int
    ends_at: dt.datetime
    courtroom: str
    status: HearingStatus
    booking_number: str | None = Field(description="The booking to produce, when held")
    production: ProductionOut | None
    outcome: str
    scheduled_by: str | None
    concluded_at: dt.datetime | None
    concluded_by: str | None


def hearing_out(hearing: Hearing, case: Case | None = None) -> HearingOut:
    """``case``: the hearing's case when the caller has it loaded already."""
    case = case or hearing.case
    movement = hearing.production
    return HearingOut(
        id=hearing.public_id, case=case.public_id, docket_number=case.docket_number,
        court=case.court.name, person=person_ref(case.person), kind=HearingKind(hearing.kind),
        scheduled_at=hearing.scheduled_at, expected_minutes=hearing.expected_minutes,
        ends_at=hearing.scheduled_at + dt.timedelta(minutes=hearing.expected_minutes),
        courtroom=hearing.courtroom, status=HearingStatus(hearing.status),
        booking_number=hearing.booking.booking_number if hearing.booking else None,
        production=ProductionOut(
            movement=movement.public_id, left_at=movement.left_at,
            expected_return_at=movement.expected_return_at, returned_at=movement.returned_at,
        ) if movement else None,
        outcome=hearing.outcome, scheduled_by=name_of(hearing.scheduled_by),
        concluded_at=hearing.concluded_at, concluded_by=name_of(hearing.concluded_by),
    )  # fmt: skip


class TermOut(Schema):
    years: int
    months: int
    days: int
    text: str


class CreditOut(Schema):
    id: uuid.UUID
    kind: CreditKind
    days: int
    reason: str
    rule: str = Field(description="The credit rule version in force: jurisdiction and version")
    recorded_at: dt.datetime
    recorded_by: str | None


def credit_out(entry: CreditEntry, jurisdiction_code: str) -> CreditOut:
    return CreditOut(
        id=entry.public_id, kind=CreditKind(entry.kind), days=entry.days, reason=entry.reason,
        rule=f"{jurisdiction_code} v{entry.rule.version}", recorded_at=entry.recorded_at,
        recorded_by=name_of(entry.recorded_by),
    )  # fmt: skip


class SentenceOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    docket_number: str
    count: int
    term: TermOut
    imposed_on: dt.date
    starts_on: dt.date
    relation: SentenceRelation
    consecutive_to: uuid.UUID | None
    time_served_days: int
    good_time_eligible: bool
    status: SentenceStatus
    imposed_by: str
    recorded_at: dt.datetime
    recorded_by: str | None
    ended_at: dt.datetime | None
    end_reason: str
    credits: list[CreditOut]


def term_text(sentence: Sentence) -> str:
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in (
            (sentence.term_years, "year"),
            (sentence.term_months, "month"),
            (sentence.term_days, "day"),
        )
        if n
    ]
    return " ".join(parts)


def sentence_out(sentence: Sentence, case: Case | None = None) -> SentenceOut:
    """``case``: the sentence's case when the caller has it loaded already."""
    case = case or sentence.case
    code = case.court.jurisdiction.code
    follows = sentence.consecutive_to
    return SentenceOut(
        id=sentence.public_id, case=case.public_id, docket_number=case.docket_number,
        count=sentence.charge.count_number,
        term=TermOut(years=sentence.term_years, months=sentence.term_months,
                     days=sentence.term_days, text=term_text(sentence)),
        imposed_on=sentence.imposed_on, starts_on=sentence.starts_on,
        relation=SentenceRelation(sentence.relation),
        consecutive_to=follows.public_id if follows else None,
        time_served_days=sentence.time_served_days,
        good_time_eligible=sentence.good_time_eligible, status=SentenceStatus(sentence.status),
        imposed_by=sentence.imposed_by, recorded_at=sentence.recorded_at,
        recorded_by=name_of(sentence.recorded_by), ended_at=sentence.ended_at,
        end_reason=sentence.end_reason,
        credits=[credit_out(entry, code) for entry in sentence.credits.all()],
    )  # fmt: skip


class CaseOut(Schema):
    id: uuid.UUID
    docket_number: str
    court: CourtRefOut
    facility: uuid.UUID
    person: PersonRefOut
    presiding_authority: str
    presiding_user: str | None
    status: CaseStatus
    filed_at: dt.datetime
    opened_by: str | None
    note: str
    charges: list[CaseChargeOut]
    parties: list[PartyOut]
    hearings: list[HearingOut]
    sentences: list[SentenceOut]


def case_out(case: Case) -> CaseOut:
    """A case read with ``selectors.with_details``."""
    court = case.court
    return CaseOut(
        id=case.public_id, docket_number=case.docket_number,
        court=CourtRefOut(id=court.public_id, code=court.code, name=court.name,
                          location=court.location),
        facility=case.facility.public_id, person=person_ref(case.person),
        presiding_authority=case.presiding_authority,
        presiding_user=name_of(case.presiding_user), status=CaseStatus(case.status),
        filed_at=case.filed_at, opened_by=name_of(case.opened_by), note=case.note,
        charges=[charge_out(c) for c in case.charges.all()],
        parties=[party_out(p) for p in case.parties.all()],
        hearings=[hearing_out(h, case) for h in case.hearings.all()],
        sentences=[sentence_out(s, case) for s in case.sentences.all()],
    )  # fmt: skip


def case_answer(user: User, case: Case) -> CaseOut:
    """The case as it stands now, read again with its details."""
    return case_out(reads.case_detail_for_user(user, case.public_id))


class CaseSummaryOut(Schema):
    id: uuid.UUID
    docket_number: str
    court: str
    person: PersonRefOut
    presiding_authority: str
    status: CaseStatus
    filed_at: dt.datetime
    counts: int
    pending: int = Field(description="Counts awaiting verdict")
    next_hearing_at: dt.datetime | None


def case_summary_out(case: Case) -> CaseSummaryOut:
    """A case read with ``selectors.case_list_rows``."""
    counts = list(case.charges.all())
    upcoming: list[Hearing] = getattr(case, "upcoming_hearings", [])
    return CaseSummaryOut(
        id=case.public_id, docket_number=case.docket_number, court=case.court.name,
        person=person_ref(case.person), presiding_authority=case.presiding_authority,
        status=CaseStatus(case.status), filed_at=case.filed_at, counts=len(counts),
        pending=sum(1 for c in counts if c.verdict == Verdict.PENDING),
        next_hearing_at=min((h.scheduled_at for h in upcoming), default=None),
    )  # fmt: skip


def count_of(case: Case, number: int, field: str) -> CaseCharge:
    """A count of the case by its number, or a 400 naming ``field``."""
    charge = CaseCharge.objects.filter(case=case, count_number=number).first()
    if charge is None:
        raise ValidationFailed.for_fields(
            {field: [NO_COUNT.format(docket=case.docket_number, count=number)]}
        )
    charge.case = case
    return charge


# --- Inputs -----------------------------------------------------------------------------------


class CaseChargeIn(Schema):
    statute: str = Field(max_length=60)
    description: str = Field(max_length=300)
    severity: ChargeSeverity
    booking_charge: uuid.UUID | None = Field(
        default=None, description="The charge of the person's booking this count answers"
    )


class PartyIn(Schema):
    person_id: uuid.UUID | None = Field(default=None, description="Someone on record, or ...")
    person: PersonIn | None = Field(default=None, description="... a new person")
    confirm_new_person: bool = False
    role: ProtectedRole


class CaseIn(Schema):
    facility: uuid.UUID = Field(description="The facility that holds (or will hold) the person")
    court: uuid.UUID
    docket_number: str = Field(max_length=60)
    person_id: uuid.UUID | None = Field(default=None, description="Someone on record, or ...")
    person: PersonIn | None = Field(default=None, description="... a new person")
    confirm_new_person: bool = Field(
        default=False, description="Record the new person although possible matches were found"
    )
    presiding_authority: str = Field(max_length=200)
    presiding_user: str | None = Field(
        default=None, max_length=150, description="Username, when the presiding authority is staff"
    )
    charges: list[CaseChargeIn]
    parties: list[PartyIn] = []
    note: str = Field(default="", max_length=500)
    filed_at: dt.datetime | None = None


def _court_of(facility: Facility, court_id: uuid.UUID) -> Court:
    court = Court.objects.filter(public_id=court_id, agency_id=facility.agency_id).first()
    if court is None:
        raise ValidationFailed.for_fields(
            {"court": [NO_COURT.format(id=court_id, facility=facility.name)]}
        )
    return court


def _booking_charge(person: Person, charge_id: uuid.UUID | None, field: str) -> Charge | None:
    if charge_id is None:
        return None
    charge = (
        Charge.objects.filter(public_id=charge_id, booking__person=person)
        .select_related("booking")
        .first()
    )
    if charge is None:
        raise ValidationFailed.for_fields({field: [NO_CHARGE.format(id=charge_id)]})
    return charge


def _charge_data(person: Person, given: CaseChargeIn, field: str) -> services.CaseChargeData:
    return services.CaseChargeData(
        statute=given.statute, description=given.description, severity=given.severity,
        booking_charge=_booking_charge(person, given.booking_charge, f"{field}.booking_charge"),
    )  # fmt: skip


# --- Operations -------------------------------------------------------------------------------


@router.post("/cases", response={201: CaseOut}, auth=api_requires(Perm.COURT_RECORD))
def open_case(request: HttpRequest, payload: CaseIn) -> Status[CaseOut]:
    """File a case with its counts and parties (409 ``docket_exists``, ``possible_duplicates``)."""
    user = acting_user(request)
    facility = named_in_body(
        "facility", lambda: facility_get_for_user(user, payload.facility, perm=Perm.COURT_RECORD)
    )
    court = _court_of(facility, payload.court)
    presiding = (
        staff_named(facility, payload.presiding_user, "presiding_user")
        if payload.presiding_user
        else None
    )
    with transaction.atomic():
        person = person_from_payload(
            user, facility, person_id=payload.person_id, new=payload.person,
            confirm_new=payload.confirm_new_person, name="person",
            who="the person the case is against",
        )  # fmt: skip
        parties = [
            (
                person_from_payload(
                    user, facility, person_id=party.person_id, new=party.person,
                    confirm_new=party.confirm_new_person, name=f"parties[{n}].person",
                    who="this party",
                ),
                party.role,
            )
            for n, party in enumerate(payload.parties)
        ]  # fmt: skip
        charges = [
            _charge_data(person, given, f"charges[{n}]") for n, given in enumerate(payload.charges)
        ]
        case = services.case_open(
            actor=user, facility=facility, court=court, docket_number=payload.docket_number,
            person=person, presiding_authority=payload.presiding_authority,
            presiding_user=presiding, charges=charges, parties=parties, note=payload.note,
            filed_at=payload.filed_at,
        )  # fmt: skip
    return Status(201, case_answer(user, case))


@router.get("/cases", response=list[CaseSummaryOut], auth=api_requires(Perm.COURT_VIEW))
def list_cases(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    status: CaseStatus | None = None,
    person: uuid.UUID | None = None,
    limit: int = 200,
) -> list[CaseSummaryOut]:
    """Cases of a facility (its own and those of the people it holds), newest first.

    ``person`` narrows to one person's cases wherever the caller may see them.
    Three queries whatever the number of cases.
    """
    if not 1 <= limit <= LIST_LIMIT:
        raise ValidationFailed.for_fields({"limit": [f"must be from 1 to {LIST_LIMIT}."]})
    user = acting_user(request)
    if person is not None and facility is None:
        cases = reads.cases_for_user(user).filter(person__public_id=person)
    else:
        place = facility_chosen(user, facility, Perm.COURT_VIEW)
        cases = reads.cases_of_facility(place)
        if person is not None:
            cases = cases.filter(person__public_id=person)
    if status is not None:
        cases = cases.filter(status=status)
    return [case_summary_out(case) for case in reads.case_list_rows(cases[:limit])]


@router.get("/cases/{uuid:case_id}", response=CaseOut, auth=api_requires(Perm.COURT_VIEW))
def get_case(request: HttpRequest, case_id: uuid.UUID) -> CaseOut:
    """The case with its counts and verdicts, parties, hearings and sentences."""
    return case_out(reads.case_detail_for_user(acting_user(request), case_id))


@router.post(
    "/cases/{uuid:case_id}/charges", response={201: CaseChargeOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def add_charge(
    request: HttpRequest, case_id: uuid.UUID, payload: CaseChargeIn
) -> Status[CaseChargeOut]:
    """Add a count (an amended charging document); it takes the next number."""
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    charge = services.case_charge_add(
        actor=user, case=case, data=_charge_data(case.person, payload, "")
    )
    fresh = CaseCharge.objects.select_related("verdict_by", "booking_charge__booking").get(
        pk=charge.pk
    )
    return Status(201, charge_out(fresh))


class LinkIn(Schema):
    booking_charge: uuid.UUID


@router.post(
    "/cases/{uuid:case_id}/charges/{count}/link", response=CaseChargeOut,
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def link_charge(
    request: HttpRequest, case_id: uuid.UUID, count: int, payload: LinkIn
) -> CaseChargeOut:
    """Link a count to the booking charge it answers (the person was booked after filing)."""
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    charge = CaseCharge.objects.filter(case=case, count_number=count).first()
    if charge is None:
        raise NotFound(NO_COUNT.format(docket=case.docket_number, count=count).capitalize())
    charge.case = case
    booking_charge = _booking_charge(case.person, payload.booking_charge, "booking_charge")
    if booking_charge is not None:
        services.case_charge_link(actor=user, charge=charge, booking_charge=booking_charge)
    fresh = CaseCharge.objects.select_related("verdict_by", "booking_charge__booking").get(
        pk=charge.pk
    )
    return charge_out(fresh)


@router.post(
    "/cases/{uuid:case_id}/parties", response={201: PartyOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def add_party(request: HttpRequest, case_id: uuid.UUID, payload: PartyIn) -> Status[PartyOut]:
    """Name a victim, witness or protected party (``person_id`` or a new ``person``)."""
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    with transaction.atomic():
        person = person_from_payload(
            user, case.facility, person_id=payload.person_id, new=payload.person,
            confirm_new=payload.confirm_new_person, name="person", who="this party",
        )  # fmt: skip
        party = services.case_party_add(actor=user, case=case, person=person, role=payload.role)
    return Status(201, party_out(party))
