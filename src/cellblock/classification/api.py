"""Classification API: the instrument and assessments, PREA screening, flags, groups,
keep-separate and protective orders, staff conflicts, the queue and housing alerts.

Who is reachable: a booking through ``booking_get_for_user``; a person in
custody (the subject of an order or a membership) through their latest
booking at one of the caller's facilities, whose facility is where the
write is checked and audited.  Everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool

from cellblock.accounts.models import User
from cellblock.accounts.selectors import staff_for_user
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user, bookings_for_user
from cellblock.classification import services
from cellblock.classification.models import (
    Assessment,
    AssessmentReason,
    ConflictKind,
    ContactScope,
    Flag,
    FlagKind,
    FlagOrigin,
    GroupKind,
    GroupMembership,
    Instrument,
    PreaKind,
    PreaScreening,
    ProtectedRole,
    ProtectiveOrder,
    ProtectiveSource,
    SecurityGroup,
    SeparationOrder,
    SeparationScope,
    StaffConflict,
)
from cellblock.classification.selectors import (
    QueueRow,
    classification_queue,
    instrument_in_force,
    orders_of,
    parsed_instrument,
    pending_overrides,
    policy_of,
)
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import Conflict, NotFound, ValidationFailed
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.housing.models import HousingReview
from cellblock.housing.selectors import open_reviews
from cellblock.people.api import MatchOut, match_out
from cellblock.people.models import Person, Sex
from cellblock.people.selectors import person_matches, persons_for_user
from cellblock.people.services import person_create

router = Router()

NO_SUCH_STAFF = "no member of staff '{username}' works at {facility}."
PROTECTED_PERSON_EITHER = (
    "give either protected_person_id (someone on record) or protected_person (a new person)."
)
PROTECTED_POSSIBLE_DUPLICATES = (
    "{count} person(s) on record may be the protected person: name one of them with "
    "protected_person_id, or send confirm_new_person=true."
)


# --- Shared shapes ------------------------------------------------------------------


class PersonRefOut(Schema):
    id: uuid.UUID
    given_name: str
    family_name: str


class EndIn(Schema):
    reason: str = Field(max_length=500)


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def person_ref(person: Person) -> PersonRefOut:
    return PersonRefOut(
        id=person.public_id, given_name=person.given_name, family_name=person.family_name
    )


@contextmanager
def _fields_named(names: Mapping[str, str] | None = None, prefix: str = "") -> Iterator[None]:
    """Name a service's fields as the payload does: ``other_person`` -> ``other_person_id``."""
    try:
        yield
    except ValidationFailed as error:
        fields = error.extra.get("fields")
        if not isinstance(fields, dict):
            raise
        renamed = {
            (names or {}).get(name, f"{prefix}{name}"): msgs for name, msgs in fields.items()
        }
        raise ValidationFailed.for_fields(renamed) from None


# --- Who and where ----------------------------------------------------------------


def _booking_of_person(user: User, person_id: str | uuid.UUID) -> Booking:
    """The person's latest booking at one of the user's facilities, else 404.

    Orders and memberships belong to the agency and outlive a booking, so a
    released person is still reachable here; the booking's facility is where
    the write is permission-checked and audited.
    """
    key = parse_public_id(person_id, what="person")
    booking = (
        bookings_for_user(user)
        .filter(person__public_id=key)
        .select_related("facility__agency")
        .order_by("-booked_at", "-id")
        .first()
    )
    if booking is None:
        raise NotFound(f"No person with id {key}.")
    return booking


def _person_in_agency(public_id: uuid.UUID, agency_id: int) -> Person:
    """The other party of an order: anyone on record in the agency, or never booked.

    The same set the intake duplicate check offers (people/selectors): the
    other party of a keep-separate order may be held at another facility of the
    agency, and a protected person (a victim outside) has usually never been
    booked.  Callers reach this only after the subject resolved at one of
    their own facilities.
    """
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


def _staff_at(user: User, facility: Facility, username: str, field: str) -> User:
    """A member of staff of ``facility`` named by username (a 400 naming ``field`` if none)."""
    staff = (
        staff_for_user(user, perm=Perm.BOOKING_VIEW, facility_id=facility.pk)
        .filter(username=username.strip())
        .first()
    )
    if staff is None:
        raise ValidationFailed.for_fields(
            {field: [NO_SUCH_STAFF.format(username=username.strip(), facility=facility.name)]}
        )
    return staff


def _facility_for_order(user: User, agency_id: int, people: list[Person]) -> Facility:
    """Where the caller acts on an order: the facility of a party's latest booking, else 404."""
    booking = (
        bookings_for_user(user)
        .filter(person__in=people, facility__agency_id=agency_id)
        .order_by("-booked_at", "-id")
        .first()
    )
    if booking is None:
        raise NotFound("No such order.")
    return booking.facility


def _group_for_user(user: User, group_id: uuid.UUID) -> SecurityGroup:
    """A security group of an agency where the user works, else 404."""
    agencies = Facility.objects.filter(pk__in=user.facilities_with(Perm.BOOKING_VIEW)).values(
        "agency_id"
    )
    group = SecurityGroup.objects.filter(public_id=group_id, agency_id__in=agencies).first()
    if group is None:
        raise NotFound(f"No group with id {group_id}.")
    return group


# --- Flags ----------------------------------------------------------------------------


class FlagIn(Schema):
    kind: FlagKind
    detail: str = Field(default="", max_length=100)
    reason: str = Field(max_length=500)
    until: dt.datetime | None = None


class LiftIn(Schema):
    reason: str = Field(max_length=500)


class FlagRecordOut(Schema):
    """A flag with its history (bookings' FlagOut is the short form on the roster)."""

    id: uuid.UUID
    kind: FlagKind
    detail: str
    reason: str
    origin: FlagOrigin = Field(description="staff, or derived: date_of_birth, prea_screening")
    set_at: dt.datetime
    set_by: str | None
    until: dt.datetime | None
    lifted_at: dt.datetime | None
    lift_reason: str


def flag_out(flag: Flag) -> FlagRecordOut:
    return FlagRecordOut(
        id=flag.public_id, kind=FlagKind(flag.kind), detail=flag.detail, reason=flag.reason,
        origin=FlagOrigin(flag.origin), set_at=flag.set_at, set_by=_username(flag.set_by),
        until=flag.until, lifted_at=flag.lifted_at, lift_reason=flag.lift_reason,
    )  # fmt: skip


@router.get(
    "/bookings/{booking_number}/flags",
    response=list[FlagRecordOut],
    auth=api_requires(Perm.BOOKING_VIEW),
)
def list_flags(request: HttpRequest, booking_number: str) -> list[FlagRecordOut]:
    """Every flag of the booking, lifted ones included (the history matters)."""
    booking = booking_get_for_user(acting_user(request), booking_number)
    return [flag_out(flag) for flag in booking.flags.select_related("set_by")]


@router.post(
    "/bookings/{booking_number}/flags",
    response={201: FlagRecordOut},
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def set_flag(request: HttpRequest, booking_number: str, payload: FlagIn) -> Status[FlagRecordOut]:
    """Set a flag by hand; juvenile (with a date of birth) and PREA flags are derived."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    flag = services.flag_set(
        actor=user, booking=booking, kind=payload.kind, detail=payload.detail,
        reason=payload.reason, until=payload.until,
    )  # fmt: skip
    return Status(201, flag_out(flag))


@router.post(
    "/bookings/{booking_number}/flags/{flag_id}/lift",
    response=FlagRecordOut,
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def lift_flag(
    request: HttpRequest, booking_number: str, flag_id: uuid.UUID, payload: LiftIn
) -> FlagRecordOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    flag = booking.flags.filter(public_id=flag_id).first()
    if flag is None:
        raise NotFound(f"No flag {flag_id} on booking {booking}.")
    flag.booking = booking
    return flag_out(services.flag_lift(actor=user, flag=flag, reason=payload.reason))


# --- The instrument -----------------------------------------------------------------


class AnswerOut(Schema):
    code: str
    label: str
    points: int


class ItemOut(Schema):
    code: str
    label: str
    answers: list[AnswerOut]


class CutPointsOut(Schema):
    minimum: int = Field(description="Highest total that scores minimum")
    medium: int = Field(description="Highest total that scores medium; above it, maximum")


class SpecialOut(Schema):
    item: str
    answer: str


class InstrumentOut(Schema):
    code: str
    version: int
    name: str
    published_at: dt.datetime | None = Field(description="None: the shipped default, unpublished")
    items: list[ItemOut]
    cut_points: CutPointsOut
    special_management: list[SpecialOut]
    max_total: int


def instrument_out(instrument: Instrument) -> InstrumentOut:
    parsed = parsed_instrument(instrument)
    return InstrumentOut(
        code=parsed.code, version=parsed.version, name=parsed.name,
        published_at=instrument.published_at,
        items=[
            ItemOut(code=item.code, label=item.label, answers=[
                AnswerOut(code=a.code, label=a.label, points=a.points) for a in item.answers
            ])
            for item in parsed.items
        ],
        cut_points=CutPointsOut(minimum=parsed.minimum_max, medium=parsed.medium_max),
        special_management=[
            SpecialOut(item=item, answer=answer)
            for item, answer in sorted(parsed.special_management)
        ],
        max_total=parsed.max_total,
    )  # fmt: skip


@router.get(
    "/bookings/{booking_number}/instrument",
    response=InstrumentOut,
    auth=api_requires(Perm.BOOKING_VIEW),
)
def booking_instrument(request: HttpRequest, booking_number: str) -> InstrumentOut:
    """The instrument the booking's next assessment is scored on (its facility's policy)."""
    booking = booking_get_for_user(acting_user(request), booking_number)
    return instrument_out(
        instrument_in_force(policy_of(booking.facility).classification_instrument)
    )


@router.get(
    "/instruments/{code}", response=list[InstrumentOut], auth=api_requires(Perm.BOOKING_VIEW)
)
def instrument_versions(request: HttpRequest, code: str) -> list[InstrumentOut]:
    """Every published version of an instrument, newest first (or the shipped default)."""
    versions = list(Instrument.objects.filter(code=code).order_by("-version"))
    return [instrument_out(v) for v in versions or [instrument_in_force(code)]]


# --- Assessments ----------------------------------------------------------------------


class AssessmentIn(Schema):
    answers: dict[str, str] = Field(description="Item code -> answer code, every item answered")
    reason: AssessmentReason | None = Field(
        default=None, description="Defaults to initial, then the pending event, then scheduled"
    )
    override_level: str = Field(default="", max_length=10, description="minimum ... special")
    override_reason: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=1000)


class DecisionIn(Schema):
    note: str = Field(default="", max_length=500)


class RefusalIn(Schema):
    note: str = Field(max_length=500)


class AssessmentOut(Schema):
    id: uuid.UUID
    instrument: str
    reason: AssessmentReason
    answers: dict[str, str]
    item_points: dict[str, int]
    total: int
    scored_level: str
    special_reasons: list[str]
    override_level: str
    override_reason: str
    status: str
    level: str = Field(description="The level this assessment puts in force")
    assessed_at: dt.datetime
    assessed_by: str | None
    notes: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str
    review_due_at: dt.datetime


def assessment_out(assessment: Assessment) -> AssessmentOut:
    instrument = assessment.instrument
    return AssessmentOut(
        id=assessment.public_id, instrument=f"{instrument.code} v{instrument.version}",
        reason=AssessmentReason(assessment.reason), answers=assessment.answers,
        item_points=assessment.item_points, total=assessment.total,
        scored_level=assessment.scored_level, special_reasons=assessment.special_reasons,
        override_level=assessment.override_level, override_reason=assessment.override_reason,
        status=assessment.status, level=assessment.level, assessed_at=assessment.assessed_at,
        assessed_by=_username(assessment.assessed_by), notes=assessment.notes,
        decided_at=assessment.decided_at, decided_by=_username(assessment.decided_by),
        decision_note=assessment.decision_note, review_due_at=assessment.review_due_at,
    )  # fmt: skip


def _assessment_of(booking: Booking, assessment_id: uuid.UUID) -> Assessment:
    assessment = (
        booking.assessments.filter(public_id=assessment_id)
        .select_related("instrument", "assessed_by", "decided_by")
        .first()
    )
    if assessment is None:
        raise NotFound(f"No assessment {assessment_id} of booking {booking}.")
    assessment.booking = booking
    return assessment


@router.get(
    "/bookings/{booking_number}/assessments",
    response=list[AssessmentOut],
    auth=api_requires(Perm.BOOKING_VIEW),
)
def list_assessments(request: HttpRequest, booking_number: str) -> list[AssessmentOut]:
    """The booking's assessments, newest first: scores, overrides and who decided them."""
    booking = booking_get_for_user(acting_user(request), booking_number)
    assessments = booking.assessments.select_related(
        "instrument", "assessed_by", "decided_by"
    ).order_by("-assessed_at", "-id")
    return [assessment_out(a) for a in assessments]


@router.post(
    "/bookings/{booking_number}/assessments",
    response={201: AssessmentOut},
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def record_assessment(
    request: HttpRequest, booking_number: str, payload: AssessmentIn
) -> Status[AssessmentOut]:
    """Score the booking; the scored level is in force at once, an override awaits approval."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    assessment = services.assessment_record(
        actor=user, booking=booking, answers=payload.answers, reason=payload.reason or "",
        override_level=payload.override_level, override_reason=payload.override_reason,
        notes=payload.notes,
    )  # fmt: skip
    return Status(201, assessment_out(assessment))


@router.post(
    "/bookings/{booking_number}/assessments/{assessment_id}/approve",
    response=AssessmentOut,
    auth=api_requires(Perm.CLASSIFICATION_APPROVE),
)
def approve_override(
    request: HttpRequest, booking_number: str, assessment_id: uuid.UUID, payload: DecisionIn
) -> AssessmentOut:
    """A supervisor or commander other than the assessor puts the override in force."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.assessment_override_decide(
        actor=user, assessment=_assessment_of(booking, assessment_id), approve=True,
        note=payload.note,
    )  # fmt: skip
    return assessment_out(_assessment_of(booking, assessment_id))


@router.post(
    "/bookings/{booking_number}/assessments/{assessment_id}/refuse",
    response=AssessmentOut,
    auth=api_requires(Perm.CLASSIFICATION_APPROVE),
)
def refuse_override(
    request: HttpRequest, booking_number: str, assessment_id: uuid.UUID, payload: RefusalIn
) -> AssessmentOut:
    """Refuse an override, saying why; the scored level stays in force."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    services.assessment_override_decide(
        actor=user, assessment=_assessment_of(booking, assessment_id), approve=False,
        note=payload.note,
    )  # fmt: skip
    return assessment_out(_assessment_of(booking, assessment_id))


class PendingOverrideOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: PersonRefOut
    total: int
    scored_level: str
    override_level: str
    override_reason: str
    assessed_at: dt.datetime
    assessed_by: str | None


def pending_out(a: Assessment) -> PendingOverrideOut:
    return PendingOverrideOut(
        id=a.public_id, booking_number=a.booking.booking_number,
        person=person_ref(a.booking.person), total=a.total, scored_level=a.scored_level,
        override_level=a.override_level, override_reason=a.override_reason,
        assessed_at=a.assessed_at, assessed_by=_username(a.assessed_by),
    )  # fmt: skip


@router.get(
    "/overrides/pending",
    response=list[PendingOverrideOut],
    auth=api_requires(Perm.CLASSIFICATION_APPROVE),
)
def list_pending_overrides(request: HttpRequest, facility: uuid.UUID) -> list[PendingOverrideOut]:
    """Overrides at ``facility`` waiting for a supervisor or commander, oldest first."""
    chosen = facility_get_for_user(acting_user(request), facility, Perm.CLASSIFICATION_APPROVE)
    return [pending_out(a) for a in pending_overrides(chosen)]


# --- PREA screening -------------------------------------------------------------------


class PreaIn(Schema):
    # Strict: "yes", 1 or "" are not answers to a screening question.
    answers: dict[str, StrictBool] = Field(
        description="Every criterion of 28 CFR 115.41(d) and (e), true or false"
    )
    kind: PreaKind | None = Field(
        default=None, description="Defaults to initial, then reassessment, then referral"
    )
    notes: str = Field(default="", max_length=1000)


class PreaResultOut(Schema):
    """What a screening gives; the answers themselves stay behind prea.read."""

    id: uuid.UUID
    kind: PreaKind
    victim_score: int
    abuser_score: int
    victim_risk: bool
    abuser_risk: bool
    screened_at: dt.datetime
    screened_by: str | None


class PreaScreeningOut(PreaResultOut):
    answers: dict[str, bool]
    notes: str


def prea_result_out(screening: PreaScreening) -> PreaResultOut:
    return PreaResultOut(
        id=screening.public_id, kind=PreaKind(screening.kind),
        victim_score=screening.victim_score, abuser_score=screening.abuser_score,
        victim_risk=screening.victim_risk, abuser_risk=screening.abuser_risk,
        screened_at=screening.screened_at, screened_by=_username(screening.screened_by),
    )  # fmt: skip


@router.post(
    "/bookings/{booking_number}/prea",
    response={201: PreaResultOut},
    auth=api_requires(Perm.PREA_SCREEN),
)
def record_prea_screening(
    request: HttpRequest, booking_number: str, payload: PreaIn
) -> Status[PreaResultOut]:
    """Record a screening; it sets or lifts the victim-risk and abuser-risk flags."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    screening = services.prea_screening_record(
        actor=user, booking=booking, answers=payload.answers, kind=payload.kind or "",
        notes=payload.notes,
    )  # fmt: skip
    return Status(201, prea_result_out(screening))


@router.get(
    "/bookings/{booking_number}/prea",
    response=list[PreaScreeningOut],
    auth=api_requires(Perm.PREA_READ),
)
def list_prea_screenings(request: HttpRequest, booking_number: str) -> list[PreaScreeningOut]:
    """The screenings with their answers, newest first; the read is audited."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    return [
        PreaScreeningOut(**prea_result_out(s).dict(), answers=s.answers, notes=s.notes)
        for s in services.prea_screenings_read(actor=user, booking=booking)
    ]


# --- Security groups --------------------------------------------------------------------


class GroupIn(Schema):
    facility: uuid.UUID = Field(description="Where it is recorded; the group is the agency's")
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    kind: GroupKind
    description: str = Field(default="", max_length=500)


class MemberIn(Schema):
    person_id: uuid.UUID
    basis: str = Field(max_length=300, description="How it is known: self-declared, tattoos ...")


class MemberOut(Schema):
    id: uuid.UUID
    person: PersonRefOut
    basis: str
    started_at: dt.datetime
    recorded_by: str | None
    ended_at: dt.datetime | None
    end_reason: str


class GroupOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    kind: GroupKind
    description: str
    created_at: dt.datetime
    members: list[MemberOut] = Field(
        description="Current members held (or once held) at your facilities"
    )


def member_out(membership: GroupMembership) -> MemberOut:
    return MemberOut(
        id=membership.public_id, person=person_ref(membership.person), basis=membership.basis,
        started_at=membership.started_at, recorded_by=_username(membership.recorded_by),
        ended_at=membership.ended_at, end_reason=membership.end_reason,
    )  # fmt: skip


def group_out(group: SecurityGroup, members: list[GroupMembership]) -> GroupOut:
    return GroupOut(
        id=group.public_id, code=group.code, name=group.name, kind=GroupKind(group.kind),
        description=group.description, created_at=group.created_at,
        members=[member_out(m) for m in members],
    )  # fmt: skip


@router.get("/groups", response=list[GroupOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_groups(request: HttpRequest, facility: uuid.UUID) -> list[GroupOut]:
    """The security groups of the facility's agency, with their current members."""
    user = acting_user(request)
    chosen = facility_get_for_user(user, facility, Perm.BOOKING_VIEW)
    # Groups are the agency's, but members' names only show to those who hold them.
    members = GroupMembership.objects.filter(
        ended_at__isnull=True, person__in=persons_for_user(user)
    ).select_related("person", "recorded_by")
    groups = SecurityGroup.objects.filter(agency_id=chosen.agency_id).prefetch_related(
        Prefetch("memberships", queryset=members, to_attr="visible_members")
    )
    return [group_out(g, g.visible_members) for g in groups]


@router.post("/groups", response={201: GroupOut}, auth=api_requires(Perm.CLASSIFICATION_EDIT))
def create_group(request: HttpRequest, payload: GroupIn) -> Status[GroupOut]:
    user = acting_user(request)
    chosen = facility_get_for_user(user, payload.facility, Perm.BOOKING_VIEW)
    group = services.security_group_create(
        actor=user, facility=chosen, code=payload.code, name=payload.name, kind=payload.kind,
        description=payload.description,
    )  # fmt: skip
    return Status(201, group_out(group, []))


@router.post(
    "/groups/{group_id}/members",
    response={201: MemberOut},
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def add_member(request: HttpRequest, group_id: uuid.UUID, payload: MemberIn) -> Status[MemberOut]:
    """Record a person held at your facility as a member (recorded where they are held)."""
    user = acting_user(request)
    group = _group_for_user(user, group_id)
    booking = _booking_of_person(user, payload.person_id)
    if booking.facility.agency_id != group.agency_id:
        raise NotFound(f"No group with id {group_id}.")
    membership = services.group_member_add(
        actor=user, facility=booking.facility, group=group, person=booking.person,
        basis=payload.basis,
    )  # fmt: skip
    return Status(201, member_out(membership))


@router.post(
    "/groups/{group_id}/members/{membership_id}/end",
    response=MemberOut,
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def end_member(
    request: HttpRequest, group_id: uuid.UUID, membership_id: uuid.UUID, payload: EndIn
) -> MemberOut:
    user = acting_user(request)
    group = _group_for_user(user, group_id)
    membership = group.memberships.filter(public_id=membership_id).select_related("person").first()
    if membership is None:
        raise NotFound(f"No membership {membership_id} in {group}.")
    booking = _booking_of_person(user, membership.person.public_id)
    ended = services.group_member_end(
        actor=user, facility=booking.facility, membership=membership, reason=payload.reason
    )
    return member_out(ended)


# --- Orders -----------------------------------------------------------------------------


class SeparationIn(Schema):
    person_id: uuid.UUID
    other_person_id: uuid.UUID | None = Field(default=None, description="Another person, or ...")
    group_id: uuid.UUID | None = Field(default=None, description="... a group of the agency")
    scope: SeparationScope
    reason: str = Field(max_length=500)
    starts_at: dt.datetime | None = Field(default=None, description="Defaults to now")
    expires_at: dt.datetime | None = None
    authorised_by: str = Field(
        default="", max_length=150, description="Username of who authorised it; defaults to you"
    )


class GroupRefOut(Schema):
    id: uuid.UUID
    code: str
    name: str


class _OrderOut(Schema):
    id: uuid.UUID
    status: str = Field(description="active, upcoming, expired or ended (now)")
    starts_at: dt.datetime
    expires_at: dt.datetime | None
    recorded_at: dt.datetime
    recorded_by: str | None
    ended_at: dt.datetime | None
    ended_by: str | None
    end_reason: str


class SeparationOut(_OrderOut):
    person: PersonRefOut
    other_person: PersonRefOut | None
    group: GroupRefOut | None
    scope: SeparationScope
    source: str
    reason: str
    authorised_by: str | None


class ProtectedPersonIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN


class ProtectiveOrderIn(Schema):
    person_id: uuid.UUID = Field(description="The person in custody")
    protected_person_id: uuid.UUID | None = Field(
        default=None, description="Someone on record (or never booked), or ..."
    )
    protected_person: ProtectedPersonIn | None = Field(
        default=None, description="... a new person, recorded with the order"
    )
    confirm_new_person: bool = Field(
        default=False, description="Record the new person although the duplicate check found "
        "possible matches",
    )  # fmt: skip
    protected_role: ProtectedRole
    source: ProtectiveSource
    scope: ContactScope
    issued_by: str = Field(max_length=200, description="The court or official")
    reference: str = Field(default="", max_length=100, description="Docket or order number")
    reason: str = Field(default="", max_length=500)
    starts_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class ProtectiveOrderOut(_OrderOut):
    person: PersonRefOut
    protected_person: PersonRefOut
    protected_role: ProtectedRole
    source: ProtectiveSource
    scope: ContactScope
    issued_by: str
    reference: str
    reason: str


class StaffConflictIn(Schema):
    person_id: uuid.UUID
    staff: str = Field(max_length=150, description="Username of the member of staff")
    kind: ConflictKind
    reason: str = Field(max_length=500)
    starts_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class StaffConflictOut(_OrderOut):
    person: PersonRefOut
    staff: str
    kind: ConflictKind
    reason: str


class PersonOrdersOut(Schema):
    separations: list[SeparationOut]
    protective: list[ProtectiveOrderOut]
    staff_conflicts: list[StaffConflictOut]


def _order_fields(
    order: SeparationOrder | ProtectiveOrder | StaffConflict, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": order.public_id, "status": order.status_at(now), "starts_at": order.starts_at,
        "expires_at": order.expires_at, "recorded_at": order.recorded_at,
        "recorded_by": _username(order.recorded_by), "ended_at": order.ended_at,
        "ended_by": _username(order.ended_by), "end_reason": order.end_reason,
    }  # fmt: skip


def separation_out(order: SeparationOrder, now: dt.datetime) -> SeparationOut:
    group = order.group
    return SeparationOut(
        **_order_fields(order, now), person=person_ref(order.person),
        other_person=person_ref(order.other_person) if order.other_person else None,
        group=GroupRefOut(id=group.public_id, code=group.code, name=group.name) if group else None,
        scope=SeparationScope(order.scope), source=order.source, reason=order.reason,
        authorised_by=_username(order.authorised_by),
    )  # fmt: skip


def protective_out(order: ProtectiveOrder, now: dt.datetime) -> ProtectiveOrderOut:
    return ProtectiveOrderOut(
        **_order_fields(order, now), person=person_ref(order.person),
        protected_person=person_ref(order.protected_person),
        protected_role=ProtectedRole(order.protected_role),
        source=ProtectiveSource(order.source), scope=ContactScope(order.scope),
        issued_by=order.issued_by, reference=order.reference, reason=order.reason,
    )  # fmt: skip


def conflict_out(conflict: StaffConflict, now: dt.datetime) -> StaffConflictOut:
    return StaffConflictOut(
        **_order_fields(conflict, now), person=person_ref(conflict.person),
        staff=conflict.staff.get_username(), kind=ConflictKind(conflict.kind),
        reason=conflict.reason,
    )  # fmt: skip


@router.get(
    "/people/{person_id}/orders", response=PersonOrdersOut, auth=api_requires(Perm.BOOKING_VIEW)
)
def person_orders(
    request: HttpRequest, person_id: uuid.UUID, past: bool = False
) -> PersonOrdersOut:
    """Orders naming the person in the agency: in force and upcoming (``past``: all of them)."""
    booking = _booking_of_person(acting_user(request), person_id)
    person = booking.person
    found = orders_of(person, booking.facility.agency_id, include_past=past)
    # Protective orders and staff conflicts name this person: no need to load them again.
    for order in found.protective:
        order.person = person
    for conflict in found.staff_conflicts:
        conflict.person = person
    now = clock.now()
    return PersonOrdersOut(
        separations=[separation_out(o, now) for o in found.separations],
        protective=[protective_out(o, now) for o in found.protective],
        staff_conflicts=[conflict_out(c, now) for c in found.staff_conflicts],
    )


@router.post(
    "/separations", response={201: SeparationOut}, auth=api_requires(Perm.CLASSIFICATION_EDIT)
)
def create_separation(request: HttpRequest, payload: SeparationIn) -> Status[SeparationOut]:
    """Keep the person apart from another person or from a group's members, at a scope.

    Recorded at the facility where the person is held, for the whole agency;
    the other person may be held at any facility of the agency.
    """
    user = acting_user(request)
    booking = _booking_of_person(user, payload.person_id)
    facility = booking.facility
    other = (
        _person_in_agency(payload.other_person_id, facility.agency_id)
        if payload.other_person_id
        else None
    )
    group = None
    if payload.group_id is not None:
        group = SecurityGroup.objects.filter(
            public_id=payload.group_id, agency_id=facility.agency_id
        ).first()
        if group is None:
            raise NotFound(f"No group with id {payload.group_id}.")
    authoriser = (
        _staff_at(user, facility, payload.authorised_by, "authorised_by")
        if payload.authorised_by.strip()
        else None
    )
    with _fields_named({"other_person": "other_person_id", "group": "group_id"}):
        order = services.separation_order_create(
            actor=user, facility=facility, person=booking.person, other_person=other,
            group=group, scope=payload.scope, reason=payload.reason, starts_at=payload.starts_at,
            expires_at=payload.expires_at, authorised_by=authoriser,
        )  # fmt: skip
    return Status(201, separation_out(order, clock.now()))


@router.post(
    "/separations/{order_id}/end",
    response=SeparationOut,
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def end_separation(request: HttpRequest, order_id: uuid.UUID, payload: EndIn) -> SeparationOut:
    user = acting_user(request)
    order = (
        SeparationOrder.objects.filter(public_id=order_id)
        .select_related("person", "other_person", "group", "authorised_by", "recorded_by")
        .first()
    )
    if order is None:
        raise NotFound(f"No keep-separate order with id {order_id}.")
    parties = [p for p in (order.person, order.other_person) if p is not None]
    facility = _facility_for_order(user, order.agency_id, parties)
    ended = services.separation_order_end(
        actor=user, facility=facility, order=order, reason=payload.reason
    )
    ended.person, ended.other_person, ended.group = order.person, order.other_person, order.group
    return separation_out(ended, clock.now())


def _protected_person(user: User, facility: Facility, payload: ProtectiveOrderIn) -> Person:
    """The protected person: named by id, or recorded now after the duplicate check.

    A protected person is usually outside (a victim, a witness) and has often
    never been booked, so the intake's rule decides who may be named: anyone
    on record in the agency or never booked.  A new one is recorded with the
    order (same transaction), after the same duplicate check as intake, so
    a victim named in several orders stays one person.
    """
    new = payload.protected_person
    if payload.protected_person_id is not None and new is None:
        return _person_in_agency(payload.protected_person_id, facility.agency_id)
    if new is None or payload.protected_person_id is not None:
        raise ValidationFailed.for_fields({"protected_person_id": [PROTECTED_PERSON_EITHER]})
    if not payload.confirm_new_person:
        matches = person_matches(
            agency_ids={facility.agency_id}, given_name=new.given_name,
            family_name=new.family_name, date_of_birth=new.date_of_birth,
        )  # fmt: skip
        if matches:
            found: list[MatchOut] = [match_out(m) for m in matches]
            raise Conflict(
                PROTECTED_POSSIBLE_DUPLICATES.format(count=len(matches)),
                code="possible_duplicates",
                extra={"matches": [m.dict() for m in found]},
            )
    with _fields_named(prefix="protected_person."):
        return person_create(
            actor=user, facility=facility, given_name=new.given_name,
            family_name=new.family_name, date_of_birth=new.date_of_birth, sex=new.sex,
        )  # fmt: skip


@router.post(
    "/protective-orders",
    response={201: ProtectiveOrderOut},
    auth=api_requires(Perm.ORDERS_EDIT),
)
def create_protective_order(
    request: HttpRequest, payload: ProtectiveOrderIn
) -> Status[ProtectiveOrderOut]:
    """No contact between a person in custody and a person outside (victim, witness ...)."""
    user = acting_user(request)
    booking = _booking_of_person(user, payload.person_id)
    with transaction.atomic():
        protected = _protected_person(user, booking.facility, payload)
        with _fields_named({"protected_person": "protected_person_id"}):
            order = services.protective_order_create(
                actor=user, facility=booking.facility, person=booking.person,
                protected_person=protected, protected_role=payload.protected_role,
                source=payload.source, scope=payload.scope, issued_by=payload.issued_by,
                reference=payload.reference, reason=payload.reason, starts_at=payload.starts_at,
                expires_at=payload.expires_at,
            )  # fmt: skip
    return Status(201, protective_out(order, clock.now()))


@router.post(
    "/protective-orders/{order_id}/end",
    response=ProtectiveOrderOut,
    auth=api_requires(Perm.ORDERS_EDIT),
)
def end_protective_order(
    request: HttpRequest, order_id: uuid.UUID, payload: EndIn
) -> ProtectiveOrderOut:
    user = acting_user(request)
    order = (
        ProtectiveOrder.objects.filter(public_id=order_id)
        .select_related("person", "protected_person", "recorded_by")
        .first()
    )
    if order is None:
        raise NotFound(f"No protective order with id {order_id}.")
    facility = _facility_for_order(user, order.agency_id, [order.person])
    ended = services.protective_order_end(
        actor=user, facility=facility, order=order, reason=payload.reason
    )
    ended.person, ended.protected_person = order.person, order.protected_person
    return protective_out(ended, clock.now())


@router.post(
    "/staff-conflicts",
    response={201: StaffConflictOut},
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def create_staff_conflict(
    request: HttpRequest, payload: StaffConflictIn
) -> Status[StaffConflictOut]:
    """Link a person in custody to a member of staff of that facility (their alleged victim ...)."""
    user = acting_user(request)
    booking = _booking_of_person(user, payload.person_id)
    staff = _staff_at(user, booking.facility, payload.staff, "staff")
    conflict = services.staff_conflict_create(
        actor=user, facility=booking.facility, person=booking.person, staff=staff,
        kind=payload.kind, reason=payload.reason, starts_at=payload.starts_at,
        expires_at=payload.expires_at,
    )  # fmt: skip
    return Status(201, conflict_out(conflict, clock.now()))


@router.post(
    "/staff-conflicts/{conflict_id}/end",
    response=StaffConflictOut,
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def end_staff_conflict(
    request: HttpRequest, conflict_id: uuid.UUID, payload: EndIn
) -> StaffConflictOut:
    user = acting_user(request)
    conflict = (
        StaffConflict.objects.filter(public_id=conflict_id)
        .select_related("person", "staff", "recorded_by")
        .first()
    )
    if conflict is None:
        raise NotFound(f"No staff conflict with id {conflict_id}.")
    facility = _facility_for_order(user, conflict.agency_id, [conflict.person])
    ended = services.staff_conflict_end(
        actor=user, facility=facility, conflict=conflict, reason=payload.reason
    )
    ended.person, ended.staff = conflict.person, conflict.staff
    return conflict_out(ended, clock.now())


# --- The queue and housing alerts -----------------------------------------------------


class QueueRowOut(Schema):
    booking_number: str
    person: PersonRefOut
    kind: str = Field(description="initial, review, event, prea_initial, prea_reassessment")
    label: str
    due_at: dt.datetime
    overdue: bool
    detail: str


def queue_row_out(row: QueueRow) -> QueueRowOut:
    return QueueRowOut(
        booking_number=row.booking.booking_number, person=person_ref(row.booking.person),
        kind=row.kind, label=row.label, due_at=row.due_at, overdue=row.overdue, detail=row.detail,
    )  # fmt: skip


@router.get("/queue", response=list[QueueRowOut], auth=api_requires(Perm.BOOKING_VIEW))
def queue(request: HttpRequest, facility: uuid.UUID, horizon_days: int = 7) -> list[QueueRowOut]:
    """Classifications and PREA screenings overdue or due within ``horizon_days``, overdue first."""
    if not 0 <= horizon_days <= 365:
        raise ValidationFailed.for_fields({"horizon_days": ["must be from 0 to 365."]})
    chosen = facility_get_for_user(acting_user(request), facility, Perm.BOOKING_VIEW)
    rows = classification_queue(chosen, clock.now(), horizon=dt.timedelta(days=horizon_days))
    return [queue_row_out(row) for row in rows]


class HousingAlertOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: PersonRefOut
    code: str
    message: str
    cause: str
    raised_at: dt.datetime


def housing_alert_out(review: HousingReview) -> HousingAlertOut:
    return HousingAlertOut(
        id=review.public_id, booking_number=review.booking.booking_number,
        person=person_ref(review.booking.person), code=review.code, message=review.message,
        cause=review.cause, raised_at=review.raised_at,
    )  # fmt: skip


@router.get("/housing-alerts", response=list[HousingAlertOut], auth=api_requires(Perm.HOUSING_VIEW))
def housing_alerts(request: HttpRequest, facility: uuid.UUID) -> list[HousingAlertOut]:
    """Placements that break a rule and wait for a move, oldest first."""
    chosen = facility_get_for_user(acting_user(request), facility, Perm.HOUSING_VIEW)
    return [housing_alert_out(review) for review in open_reviews(chosen)]
