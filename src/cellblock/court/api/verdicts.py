"""Court API: verdicts (with sentences, remand and no-contact orders), sentences and credits.

Counts are named by their number within the case (``count``); a sentence
follows another by ``consecutive_to_count`` (a count of this case) or
``consecutive_to`` (a sentence id, of any case of the same person).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.classification.models import ContactScope, ProtectedRole, ProtectiveOrder
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court import selectors as reads
from cellblock.court import sentencing
from cellblock.court.api import router
from cellblock.court.api.cases import (
    CaseOut,
    CreditOut,
    PersonRefOut,
    SentenceOut,
    case_answer,
    count_of,
    credit_out,
    fields_named,
    named_in_body,
    person_ref,
    sentence_out,
)
from cellblock.court.models import Case, CaseCharge, CreditKind, Sentence, SentenceRelation
from cellblock.court.services import verdicts as services
from cellblock.custody.api.movements import staff_named
from cellblock.facilities.selectors import facility_get_for_user

# The services name a count "charge"; the payload names it by number.
RENAMES = {"charge": "count"}
CONSECUTIVE_EITHER = "give consecutive_to (a sentence id) or consecutive_to_count, not both."


class VerdictIn(Schema):
    count: int = Field(ge=1, description="The count's number within the case")
    verdict: Literal["guilty", "not_guilty", "dismissed"]
    note: str = Field(default="", max_length=500)


class TermIn(Schema):
    years: int = Field(default=0, ge=0, le=services.MAX_YEARS)
    months: int = Field(default=0, ge=0, le=services.MAX_MONTHS)
    days: int = Field(default=0, ge=0, le=services.MAX_DAYS)


class SentenceIn(Schema):
    count: int = Field(ge=1, description="The guilty count sentenced")
    term: TermIn
    imposed_on: dt.date | None = Field(default=None, description="Default: today, local")
    starts_on: dt.date | None = Field(default=None, description="Default: the day imposed")
    relation: SentenceRelation = SentenceRelation.CONCURRENT
    consecutive_to_count: int | None = Field(
        default=None, ge=1, description="Consecutive to the sentence on this count of the case"
    )
    consecutive_to: uuid.UUID | None = Field(
        default=None, description="Consecutive to this sentence (any case of the person)"
    )
    time_served_days: int | None = Field(
        default=None, ge=0, description="Default: local days held in the current booking"
    )
    good_time_eligible: bool = True


class RemandIn(Schema):
    facility: uuid.UUID | None = Field(default=None, description="Default: the case's facility")
    escort: str | None = Field(
        default=None, max_length=150, description="Username of the officer who takes them down"
    )


class DecisionIn(Schema):
    verdicts: list[VerdictIn]
    sentences: list[SentenceIn] = []
    remand: RemandIn | None = Field(default=None, description="Remand into custody")
    no_contact: bool = Field(
        default=False, description="A court no-contact order for every party of the case"
    )
    at: dt.datetime | None = Field(default=None, description="When it was given; default now")
    hearing: uuid.UUID | None = Field(default=None, description="The hearing it was given at")


class OrderOut(Schema):
    id: uuid.UUID
    protected_person: PersonRefOut
    protected_role: ProtectedRole
    scope: ContactScope
    issued_by: str
    reference: str


class DecisionOut(Schema):
    case: CaseOut
    booking_number: str | None = Field(description="The person's open booking after the verdict")
    remanded: bool
    movement: uuid.UUID | None = Field(
        description="The remand's movement to the cells, open until an officer records the return"
    )
    sentences: list[SentenceOut]
    orders: list[OrderOut]


def _order_out(order: ProtectiveOrder) -> OrderOut:
    return OrderOut(
        id=order.public_id, protected_person=person_ref(order.protected_person),
        protected_role=ProtectedRole(order.protected_role), scope=ContactScope(order.scope),
        issued_by=order.issued_by, reference=order.reference,
    )  # fmt: skip


def _sentence_of(user: User, sentence_id: uuid.UUID, field: str) -> Sentence:
    return named_in_body(field, lambda: reads.sentence_get_for_user(user, sentence_id))


def _sentence_data(user: User, case: Case, given: SentenceIn, prefix: str) -> services.SentenceData:
    """The service's sentence from the payload; a term of nothing is a 400 naming ``term``."""
    try:
        term = sentencing.Term(
            years=given.term.years, months=given.term.months, days=given.term.days
        )
    except sentencing.SentencingError as bad:
        raise ValidationFailed.for_fields({f"{prefix}term": [str(bad)]}) from None
    if given.consecutive_to is not None and given.consecutive_to_count is not None:
        raise ValidationFailed.for_fields({f"{prefix}consecutive_to": [CONSECUTIVE_EITHER]})
    follows: Sentence | CaseCharge | None = None
    if given.consecutive_to is not None:
        follows = _sentence_of(user, given.consecutive_to, f"{prefix}consecutive_to")
    elif given.consecutive_to_count is not None:
        follows = count_of(case, given.consecutive_to_count, f"{prefix}consecutive_to_count")
    return services.SentenceData(
        charge=count_of(case, given.count, f"{prefix}count"), term=term,
        imposed_on=given.imposed_on, starts_on=given.starts_on, relation=given.relation,
        consecutive_to=follows, time_served_days=given.time_served_days,
        good_time_eligible=given.good_time_eligible,
    )  # fmt: skip


def _sentence_answer(user: User, sentence: Sentence) -> SentenceOut:
    return sentence_out(reads.sentence_get_for_user(user, sentence.public_id))


@router.post(
    "/cases/{uuid:case_id}/verdicts", response={201: DecisionOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def record_verdict(
    request: HttpRequest, case_id: uuid.UUID, payload: DecisionIn
) -> Status[DecisionOut]:
    """The court's decision: verdicts per count, sentences, remand, no-contact orders.

    A remand opens a booking from the court record (409 ``already_in_custody``
    if the person is held); the person is in the courtroom, on an open movement
    to court, until an officer records the return to the cells.
    """
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    verdicts = [
        services.VerdictData(
            charge=count_of(case, given.count, f"verdicts[{n}].count"), verdict=given.verdict,
            note=given.note,
        )
        for n, given in enumerate(payload.verdicts)
    ]  # fmt: skip
    sentences = [
        _sentence_data(user, case, given, f"sentences[{n}].")
        for n, given in enumerate(payload.sentences)
    ]
    remand = None
    if payload.remand is not None:
        facility = case.facility
        if payload.remand.facility is not None:
            chosen = payload.remand.facility
            facility = named_in_body(
                "remand.facility",
                lambda: facility_get_for_user(user, chosen, perm=Perm.BOOKING_CREATE),
            )
        escort = (
            staff_named(facility, payload.remand.escort, "remand.escort")
            if payload.remand.escort
            else None
        )
        remand = services.RemandData(facility=facility, escort=escort)
    hearing = None
    if payload.hearing is not None:
        hearing_id = payload.hearing
        hearing = named_in_body("hearing", lambda: reads.hearing_get_for_user(user, hearing_id))
    with fields_named(RENAMES):
        result = services.verdict_record(
            actor=user, case=case, verdicts=verdicts, sentences=sentences, remand=remand,
            no_contact=payload.no_contact, at=payload.at, hearing=hearing,
        )  # fmt: skip
    return Status(
        201,
        DecisionOut(
            case=case_answer(user, case),
            booking_number=result.booking.booking_number if result.booking else None,
            remanded=result.movement is not None,
            movement=result.movement.public_id if result.movement else None,
            sentences=[_sentence_answer(user, s) for s in result.sentences],
            orders=[_order_out(o) for o in result.orders],
        ),
    )


@router.post(
    "/cases/{uuid:case_id}/sentences", response={201: SentenceOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def impose_sentence(
    request: HttpRequest, case_id: uuid.UUID, payload: SentenceIn
) -> Status[SentenceOut]:
    """A sentence on a guilty count, after the verdict (a sentencing hearing)."""
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    data = _sentence_data(user, case, payload, "")
    with fields_named(RENAMES):
        sentence = services.sentence_impose(actor=user, case=case, data=data)
    return Status(201, _sentence_answer(user, sentence))


@router.get(
    "/sentences/{uuid:sentence_id}", response=SentenceOut, auth=api_requires(Perm.COURT_VIEW)
)
def get_sentence(request: HttpRequest, sentence_id: uuid.UUID) -> SentenceOut:
    """The sentence with its credits and the rule version of each."""
    return sentence_out(reads.sentence_get_for_user(acting_user(request), sentence_id))


class ReasonIn(Schema):
    reason: str = Field(max_length=500)


@router.post(
    "/sentences/{uuid:sentence_id}/vacate", response=SentenceOut,
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def vacate_sentence(request: HttpRequest, sentence_id: uuid.UUID, payload: ReasonIn) -> SentenceOut:
    """Set a sentence aside; the release date is recomputed."""
    user = acting_user(request)
    sentence = reads.sentence_get_for_user(user, sentence_id)
    services.sentence_vacate(actor=user, sentence=sentence, reason=payload.reason)
    return _sentence_answer(user, sentence)


class CorrectionIn(SentenceIn):
    reason: str = Field(max_length=500)


@router.post(
    "/sentences/{uuid:sentence_id}/correct", response={201: SentenceOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def correct_sentence(
    request: HttpRequest, sentence_id: uuid.UUID, payload: CorrectionIn
) -> Status[SentenceOut]:
    """Replace the sentence with a corrected one; the answer is the new sentence."""
    user = acting_user(request)
    sentence = reads.sentence_get_for_user(user, sentence_id)
    data = _sentence_data(user, sentence.case, payload, "")
    with fields_named(RENAMES):
        corrected = services.sentence_correct(
            actor=user, sentence=sentence, data=data, reason=payload.reason
        )
    return Status(201, _sentence_answer(user, corrected))


class CreditIn(Schema):
    kind: CreditKind
    days: int = Field(ge=1, le=services.MAX_CREDIT_DAYS)
    reason: str = Field(max_length=500)


@router.post(
    "/sentences/{uuid:sentence_id}/credits", response={201: CreditOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def record_credit(
    request: HttpRequest, sentence_id: uuid.UUID, payload: CreditIn
) -> Status[CreditOut]:
    """Earned credit, or good time forfeited; the rule version in force is recorded with it."""
    user = acting_user(request)
    sentence = reads.sentence_get_for_user(user, sentence_id)
    entry = services.credit_record(
        actor=user, sentence=sentence, kind=payload.kind, days=payload.days,
        reason=payload.reason,
    )  # fmt: skip
    found = sentence.credits.select_related("rule", "recorded_by").filter(pk=entry.pk).first()
    if found is None:
        raise NotFound(f"No credit entry {entry.public_id}.")
    return Status(201, credit_out(found, sentence.case.court.jurisdiction.code))
