"""Reads of the court records: cases, the hearing calendar, sentences, holds.

Access: a case is seen by staff holding ``court.view`` at the case's facility,
or at the facility that holds the person now (a transfer moves the person, not
the case); anything else is 404.  Hearings, sentences and credits are reached
through their case, holds through their booking.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.court.models import (
    Case,
    CaseCharge,
    CaseParty,
    CaseStatus,
    CreditEntry,
    Hearing,
    HearingStatus,
    Hold,
    Sentence,
    SentenceStatus,
    Verdict,
)
from cellblock.facilities.models import Facility, FacilityPolicy
from cellblock.people.models import Person


def _held_at(facility_ids: list[int]) -> Exists:
    """The case's person has an open booking at one of ``facility_ids``."""
    return Exists(
        Booking.objects.filter(
            person_id=OuterRef("person_id"), status__in=OPEN_STATUSES, facility_id__in=facility_ids
        )
    )


# What a case shows beside itself, read with it.
CASE_RELATED = ("court__jurisdiction", "facility", "person", "presiding_user", "opened_by")


def cases_for_user(user: User, perm: Perm = Perm.COURT_VIEW) -> QuerySet[Case]:
    """Cases filed at one of the user's facilities, or of someone held at one of them."""
    mine = user.facilities_with(perm)
    return Case.objects.filter(Q(facility_id__in=mine) | _held_at(mine)).select_related(
        *CASE_RELATED
    )


def case_get_for_user(user: User, public_id: str | uuid.UUID, perm: Perm = Perm.COURT_VIEW) -> Case:
    key = parse_public_id(public_id, what="case")
    case = cases_for_user(user, perm).filter(public_id=key).first()
    if case is None:
        raise NotFound(f"No case with id {key}.")
    return case


def with_details(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with counts, parties, hearings and sentences (and credits): a fixed few queries."""
    return cases.prefetch_related(
        Prefetch(
            "charges",
            queryset=CaseCharge.objects.select_related("verdict_by", "booking_charge__booking"),
        ),
        Prefetch("parties", queryset=CaseParty.objects.select_related("person")),
        Prefetch(
            "hearings",
            queryset=Hearing.objects.select_related(
                "booking", "production", "scheduled_by", "concluded_by"
            ),
        ),
        Prefetch("sentences", queryset=_sentences_with_details()),
    )


def _sentences_with_details() -> QuerySet[Sentence]:
    return Sentence.objects.select_related(
        "charge", "consecutive_to", "recorded_by", "case"
    ).prefetch_related(
        Prefetch("credits", queryset=CreditEntry.objects.select_related("rule", "recorded_by"))
    )


def case_detail_for_user(user: User, public_id: str | uuid.UUID) -> Case:
    """One case with everything its page and API answer show."""
    key = parse_public_id(public_id, what="case")
    case = with_details(cases_for_user(user)).filter(public_id=key).first()
    if case is None:
        raise NotFound(f"No case with id {key}.")
    return case


def cases_for_person(person: Person) -> QuerySet[Case]:
    """A person's cases, newest first (callers have already checked they may see the person)."""
    return Case.objects.filter(person=person).select_related(*CASE_RELATED)


def cases_of_facility(facility: Facility, status: str | None = None) -> QuerySet[Case]:
    """Cases filed at ``facility`` or of someone held there now, newest first."""
    cases = Case.objects.filter(Q(facility=facility) | _held_at([facility.pk])).select_related(
        *CASE_RELATED
    )
    if status:
        cases = cases.filter(status=status)
    return cases


def case_list_rows(cases: QuerySet[Case]) -> list[Case]:
    """A list of cases with their counts and next hearing: three queries whatever the length."""
    rows: list[Case] = list(
        cases.prefetch_related(
            Prefetch("charges", queryset=CaseCharge.objects.only(
                "id", "case_id", "count_number", "statute", "severity", "verdict",
            )),
            Prefetch(
                "hearings",
                queryset=Hearing.objects.filter(status=HearingStatus.SCHEDULED),
                to_attr="upcoming_hearings",
            ),
        )
    )  # fmt: skip
    return rows


def hearing_get_for_user(user: User, public_id: str | uuid.UUID) -> Hearing:
    key = parse_public_id(public_id, what="hearing")
    hearing = (
        Hearing.objects.filter(public_id=key, case__in=cases_for_user(user))
        .select_related(
            "case__court", "case__facility", "case__person", "booking__facility", "production",
            "scheduled_by", "concluded_by",
        )
        .first()
    )  # fmt: skip
    if hearing is None:
        raise NotFound(f"No hearing with id {key}.")
    return hearing


def hearings_between(facility: Facility, start: dt.datetime, end: dt.datetime) -> QuerySet[Hearing]:
    """The calendar: hearings from ``start`` (inclusive) to ``end`` (exclusive).

    A facility's calendar has the hearings of its cases and of the people it
    holds (whose cases may be filed elsewhere).
    """
    return (
        Hearing.objects.filter(scheduled_at__gte=start, scheduled_at__lt=end)
        .filter(Q(case__facility=facility) | Q(booking__facility=facility))
        .select_related(
            "case__court", "case__person", "booking", "production", "scheduled_by",
            "concluded_by",
        )
        .order_by("scheduled_at", "id")
    )  # fmt: skip


def missed_productions(facility: Facility, now: dt.datetime) -> list[Hearing]:
    """Hearings of people held here that nobody produced by their time plus the grace.

    Missed from the minute the grace runs out (as the compliance board counts
    it) until someone produces the person or concludes the hearing.
    """
    policy = FacilityPolicy.objects.filter(facility=facility).first()
    grace = policy.court_production_grace_minutes if policy is not None else 30
    return list(
        Hearing.objects.filter(
            status=HearingStatus.SCHEDULED,
            production__isnull=True,
            booking__facility=facility,
            booking__status__in=OPEN_STATUSES,
            scheduled_at__lte=now - dt.timedelta(minutes=grace),
        )
        .select_related("case__court", "case__person", "booking", "scheduled_by")
        .order_by("scheduled_at", "id")
    )


def sentence_get_for_user(user: User, public_id: str | uuid.UUID) -> Sentence:
    key = parse_public_id(public_id, what="sentence")
    sentence = (
        _sentences_with_details()
        .filter(public_id=key, case__in=cases_for_user(user))
        .select_related("case__court__jurisdiction", "case__facility", "case__person")
        .first()
    )
    if sentence is None:
        raise NotFound(f"No sentence with id {key}.")
    return sentence


def active_sentences(person: Person | int) -> list[Sentence]:
    """The person's sentences being served, in the order they were imposed."""
    person_id = person if isinstance(person, int) else person.pk
    return list(
        _sentences_with_details()
        .filter(person_id=person_id, status=SentenceStatus.ACTIVE)
        .select_related("case__court")
    )


def pending_charges(person: Person | int) -> list[CaseCharge]:
    """Counts awaiting verdict on the person's open cases."""
    person_id = person if isinstance(person, int) else person.pk
    return list(
        CaseCharge.objects.filter(
            case__person_id=person_id, case__status=CaseStatus.OPEN, verdict=Verdict.PENDING
        )
        .select_related("case__court")
        .order_by("case__filed_at", "case_id", "count_number")
    )


def open_holds(booking: Booking) -> list[Hold]:
    """Warrants, detainers and orders on the booking not yet lifted, oldest first."""
    return list(
        Hold.objects.filter(booking=booking, lifted_at__isnull=True)
        .select_related("placed_by")
        .order_by("placed_at", "id")
    )


def holds_of(booking: Booking) -> list[Hold]:
    """Every hold of the booking, open ones first, newest first within each."""
    holds = list(Hold.objects.filter(booking=booking).select_related("placed_by", "lifted_by"))
    holds.sort(key=lambda h: (h.lifted_at is not None, -h.placed_at.timestamp(), -h.pk))
    return holds


def hold_get_for_user(user: User, public_id: str | uuid.UUID) -> Hold:
    key = parse_public_id(public_id, what="hold")
    hold = (
        Hold.objects.filter(
            public_id=key, booking__facility_id__in=user.facilities_with(Perm.COURT_VIEW)
        )
        .select_related("booking__facility", "booking__person", "placed_by", "lifted_by")
        .first()
    )
    if hold is None:
        raise NotFound(f"No hold with id {key}.")
    return hold


@dataclass(frozen=True)
class CourtRecord:
    """The court side of one booking: the person's cases, sentences being served, holds."""

    booking: Booking
    # Each with its counts, parties, hearings and sentences prefetched.
    cases: list[Case]
    active_sentences: list[Sentence]
    holds: list[Hold]


def court_record_of(booking: Booking) -> CourtRecord:
    """What the court records say about the booking's person, in a fixed few queries."""
    cases = list(with_details(cases_for_person(booking.person)))
    return CourtRecord(
        booking=booking,
        cases=cases,
        active_sentences=[
            s for case in cases for s in case.sentences.all() if s.status == SentenceStatus.ACTIVE
        ],
        holds=holds_of(booking),
    )
