"""Verdicts, sentences and credits: what the court decides, and what follows at once.

``verdict_record`` takes the court's decision in one piece: a verdict per
count, the sentences on guilty counts, a remand into custody (case file 1:
a booking opened from the court record, the person in the courtroom until an
officer takes them to the cells) and a no-contact order for each party.  Every
write here ends with ``legal_status_sync`` and a release-date recomputation
(``court/services/release_dates.py``) of the person's open booking, so the
legal status and the date never lag the court record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import (
    Booking,
    BookingStatus,
    Charge,
    ChargeSeverity,
    IntakeStepCode,
    LegalStatus,
)
from cellblock.booking.services import (
    BookingDetails,
    ChargeData,
    booking_open,
    booking_transition,
    intake_step_complete,
)
from cellblock.classification.models import ContactScope, ProtectiveOrder, ProtectiveSource
from cellblock.classification.services import protective_order_create
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court import sentencing
from cellblock.court.models import (
    Case,
    CaseCharge,
    CaseParty,
    CaseStatus,
    CreditEntry,
    CreditKind,
    CreditRule,
    Hearing,
    Sentence,
    SentenceRelation,
    SentenceStatus,
    Verdict,
)
from cellblock.court.services.cases import (
    choice,
    fact_time,
    legal_status_sync,
    local_today,
    lock_case,
    open_booking,
    require,
    text,
)
from cellblock.court.services.release_dates import release_date_recompute
from cellblock.custody.models import Destination, Movement
from cellblock.custody.services.movements import escort_may_escort, movement_start
from cellblock.facilities.models import Facility

__all__ = [
    "RemandData",
    "SentenceData",
    "VerdictData",
    "VerdictResult",
    "credit_record",
    "legal_status_sync",
    "sentence_correct",
    "sentence_impose",
    "sentence_vacate",
    "verdict_record",
]

FINAL_VERDICTS = (Verdict.GUILTY, Verdict.NOT_GUILTY, Verdict.DISMISSED)

NO_VERDICTS = "give the verdict on at least one count."
NOT_OF_CASE = "is not a count of case {docket}."
COUNT_TWICE = "count {count} is given more than once."
VERDICT_RECORDED = (
    "Count {count} of {docket} already has its verdict ({verdict}, {when}): a verdict is "
    "recorded once."
)
AT_BEFORE_FILING = "is before the case was filed ({when:%Y-%m-%d})."
HEARING_OF_ANOTHER = "is a hearing of another case."
REMAND_NEEDS_GUILTY = "a remand into custody follows a guilty verdict given now."
ALREADY_IN_CUSTODY = (
    "{person} is already held ({booking} at {facility}): the remand opens no second booking."
)
REMAND_FACILITY_AGENCY = "is a facility of another agency than the court."
REMAND_ESCORT_NEEDED = (
    "name the officer who takes {them} to the cells: recording that movement needs "
    "movement.record, which your roles at {facility} lack."
)
ESCORT_NOT_HERE = "{escort} does not escort people at {facility}: choose one of its officers."
REMAND_IDENTITY = "Court record {docket}: identified in court ({court})."
REMAND_CHARGES = "From the court record {docket}: {count} count(s)."
REMAND_REASON = "Remanded into custody by {court} ({docket})."
REMAND_MOVEMENT_REASON = "Remanded in court ({docket}): in the courtroom until taken to the cells."
# A remanded person is in the courtroom, not in a cell: a count at the facility has nobody
# of theirs to freeze, so the movement is recorded with this reason when a count is open.
REMAND_DURING_COUNT = "Remanded in court: not yet in the facility, so not on the count."
NO_PARTIES = "case {docket} names no victim, witness or protected party to protect."
NO_CONTACT_REASON = "No contact ordered with the verdict in {docket}."

SENTENCE_NOT_GUILTY = "count {count} is {verdict}: a sentence follows a guilty verdict."
SENTENCE_INFRACTION = "count {count} is an infraction: an infraction carries no custodial term."
SENTENCE_EXISTS = (
    "Count {count} of {docket} already has an active sentence ({sentence}): correct or vacate "
    "it instead."
)
SENTENCE_TWICE = "count {count} is sentenced twice in this decision."
TERM_LIMITS = "must be at most {years} years, {months} months and {days} days in its parts."
IMPOSED_IN_FUTURE = "is after today ({today}) at {facility}."
NO_RULE = "no credit rule of {jurisdiction} applies to a sentence imposed on {day}."
STARTS_BEFORE_IMPOSED = (
    "is before the day the sentence is imposed ({day}): credit custody before it as "
    "time_served_days."
)
CONSECUTIVE_NEEDS_ONE = "a consecutive sentence names the sentence it follows."
CONCURRENT_NAMES_NONE = "only a consecutive sentence follows another one."
CONSECUTIVE_OTHER_PERSON = "is a sentence of another person."
CONSECUTIVE_NOT_ACTIVE = "is {status}: a sentence follows an active one."
CONSECUTIVE_ITSELF = "a sentence cannot follow itself."
CONSECUTIVE_CYCLE = "would make the sentences follow each other in a circle."
CONSECUTIVE_NO_SENTENCE = (
    "count {count} of {docket} has no active sentence: sentence it first (earlier in the list)."
)
TIME_SERVED_RANGE = "must be between 0 and {limit} days."
SENTENCE_NOT_ACTIVE = "This sentence is {status} ({when}): only an active sentence {what}."
REASON_NEEDED = "say why (the order or ruling)."
CREDIT_DAYS_RANGE = "must be between 1 and {limit} days."
NO_RULE_FOR_CREDIT = "No credit rule of {jurisdiction} applies to this sentence."

MAX_YEARS, MAX_MONTHS, MAX_DAYS = 150, 1800, 54_750
MAX_TIME_SERVED = 36_500
MAX_CREDIT_DAYS = 3_650


@dataclass(frozen=True)
class VerdictData:
    charge: CaseCharge
    verdict: str
    note: str = ""


@dataclass(frozen=True)
class SentenceData:
    """A sentence as the court pronounces it on one guilty count."""

    charge: CaseCharge
    term: sentencing.Term
    # None: the facility's local today (or the verdict's local date).
    imposed_on: dt.date | None = None
    # None: the day it is imposed.
    starts_on: dt.date | None = None
    relation: str = SentenceRelation.CONCURRENT
    # A count means the sentence on that count: in the same decision (listed earlier) or before.
    consecutive_to: Sentence | CaseCharge | None = None
    # None: the local days the person has been held in the current booking before imposed_on.
    time_served_days: int | None = None
    good_time_eligible: bool = True


@dataclass(frozen=True)
class RemandData:
    """Remand into custody: where (None: the case's facility), and who takes them down."""

    facility: Facility | None = None
    escort: User | None = None


@dataclass
class VerdictResult:
    case: Case
    # The open booking after the verdict: the one the remand opened, or the one already held.
    booking: Booking | None
    sentences: list[Sentence] = field(default_factory=list)
    orders: list[ProtectiveOrder] = field(default_factory=list)
    # The movement to the cells a remand started (open until an officer records the return).
    movement: Movement | None = None


# --- Shared -----------------------------------------------------------------------------------


def _recompute(*, actor: User | None, person_id: int, cause: str, detail: str) -> None:
    """Legal status and release date of the person's open booking, after a court write."""
    booking = open_booking(person_id)
    if booking is None:
        return
    legal_status_sync(actor=actor, booking=booking)
    release_date_recompute(actor=actor, booking=booking, cause=cause, cause_detail=detail[:300])


def _rule_on(case: Case, day: dt.date) -> CreditRule | None:
    """The credit rule version that applies to a sentence imposed on ``day`` (rule_for's choice)."""
    return (
        CreditRule.objects.filter(jurisdiction_id=case.court.jurisdiction_id, applies_from__lte=day)
        .order_by("-applies_from", "-version")
        .first()
    )


def _time_served(person_id: int, imposed_on: dt.date) -> int:
    """Local days held in the current booking before ``imposed_on`` (0 when not held).

    Only custody before any sentence counts: once a sentence of the person has
    started, the days after its start are served on it, not credit for another.
    """
    booking = open_booking(person_id)
    if booking is None:
        return 0
    booked_on = clock.local(booking.booked_at, booking.facility.timezone).date()
    serving_since = (
        Sentence.objects.filter(person_id=person_id, status=SentenceStatus.ACTIVE)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    until = min(imposed_on, serving_since) if serving_since else imposed_on
    return max(0, (until - booked_on).days)


def _verdict_label(charge: CaseCharge) -> str:
    return str(Verdict(charge.verdict).label).lower()


def _local_day(moment: dt.datetime | None, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d}" if moment else ""


@dataclass
class _Planned:
    """A sentence checked and ready to write, with its resolved dates."""

    data: SentenceData
    imposed_on: dt.date
    starts_on: dt.date


def _sentence_check(
    data: SentenceData,
    *,
    case: Case,
    prefix: str,
    errors: dict[str, list[str]],
    verdict_of: dict[int, str],
    planned: set[int],
    today: dt.date,
    replacing: Sentence | None = None,
) -> _Planned:
    """Field errors of one sentence (prefixed); 409 when its count already has one.

    ``verdict_of`` gives each count of the case its verdict as it stands after
    the decision being recorded.
    """
    charge = data.charge
    docket = case.docket_number
    if charge.case_id != case.pk or charge.pk not in verdict_of:
        errors.setdefault(f"{prefix}charge", []).append(NOT_OF_CASE.format(docket=docket))
    elif verdict_of[charge.pk] != Verdict.GUILTY:
        errors.setdefault(f"{prefix}charge", []).append(
            SENTENCE_NOT_GUILTY.format(
                count=charge.count_number, verdict=Verdict(verdict_of[charge.pk]).label.lower()
            )
        )
    elif charge.severity == ChargeSeverity.INFRACTION:
        errors.setdefault(f"{prefix}charge", []).append(
            SENTENCE_INFRACTION.format(count=charge.count_number)
        )
    elif charge.pk in planned:
        errors.setdefault(f"{prefix}charge", []).append(
            SENTENCE_TWICE.format(count=charge.count_number)
        )
    else:
        others = Sentence.objects.filter(charge=charge, status=SentenceStatus.ACTIVE)
        if replacing is not None:
            others = others.exclude(pk=replacing.pk)
        current = others.first()
        if current is not None:
            raise Conflict(
                SENTENCE_EXISTS.format(
                    count=charge.count_number, docket=docket, sentence=current.public_id
                ),
                code="sentence_exists",
                extra={"sentence": str(current.public_id)},
            )
    term = data.term
    if term.years > MAX_YEARS or term.months > MAX_MONTHS or term.days > MAX_DAYS:
        errors.setdefault(f"{prefix}term", []).append(
            TERM_LIMITS.format(years=MAX_YEARS, months=MAX_MONTHS, days=MAX_DAYS)
        )
    imposed_on = data.imposed_on or today
    if imposed_on > today:
        errors.setdefault(f"{prefix}imposed_on", []).append(
            IMPOSED_IN_FUTURE.format(today=today, facility=case.facility.name)
        )
    elif _rule_on(case, imposed_on) is None:
        errors.setdefault(f"{prefix}imposed_on", []).append(
            NO_RULE.format(jurisdiction=case.court.jurisdiction.name, day=imposed_on)
        )
    starts_on = data.starts_on or imposed_on
    if starts_on < imposed_on:
        errors.setdefault(f"{prefix}starts_on", []).append(
            STARTS_BEFORE_IMPOSED.format(day=imposed_on)
        )
    choice(data.relation, SentenceRelation.values, f"{prefix}relation", errors)
    _consecutive_check(
        data, case=case, prefix=prefix, errors=errors, planned=planned, replacing=replacing
    )
    served = data.time_served_days
    if served is not None and not 0 <= served <= MAX_TIME_SERVED:
        errors.setdefault(f"{prefix}time_served_days", []).append(
            TIME_SERVED_RANGE.format(limit=MAX_TIME_SERVED)
        )
    return _Planned(data=data, imposed_on=imposed_on, starts_on=starts_on)


def _consecutive_check(
    data: SentenceData,
    *,
    case: Case,
    prefix: str,
    errors: dict[str, list[str]],
    planned: set[int],
    replacing: Sentence | None,
) -> None:
    name = f"{prefix}consecutive_to"
    target = data.consecutive_to
    if data.relation != SentenceRelation.CONSECUTIVE:
        if target is not None:
            errors.setdefault(name, []).append(CONCURRENT_NAMES_NONE)
        return
    if target is None:
        errors.setdefault(name, []).append(CONSECUTIVE_NEEDS_ONE)
        return
    if isinstance(target, CaseCharge):
        if target.pk == data.charge.pk:
            errors.setdefault(name, []).append(CONSECUTIVE_ITSELF)
            return
        if target.case.person_id != case.person_id:
            errors.setdefault(name, []).append(CONSECUTIVE_OTHER_PERSON)
            return
        if target.pk in planned:
            return
        found = Sentence.objects.filter(charge=target, status=SentenceStatus.ACTIVE).first()
        if found is None:
            errors.setdefault(name, []).append(
                CONSECUTIVE_NO_SENTENCE.format(
                    count=target.count_number, docket=target.case.docket_number
                )
            )
            return
        target = found
    else:
        # As it stands now, not as the caller last read it.
        target = Sentence.objects.get(pk=target.pk)
    if replacing is not None and target.pk == replacing.pk:
        errors.setdefault(name, []).append(CONSECUTIVE_ITSELF)
    elif target.person_id != case.person_id:
        errors.setdefault(name, []).append(CONSECUTIVE_OTHER_PERSON)
    elif target.status != SentenceStatus.ACTIVE:
        errors.setdefault(name, []).append(
            CONSECUTIVE_NOT_ACTIVE.format(status=SentenceStatus(target.status).label.lower())
        )
    elif replacing is not None and _follows(target, replacing):
        errors.setdefault(name, []).append(CONSECUTIVE_CYCLE)


def _follows(sentence: Sentence, ancestor: Sentence) -> bool:
    """Does ``sentence`` run after ``ancestor``, directly or along a chain?"""
    seen: set[int] = set()
    current: int | None = sentence.consecutive_to_id
    while current is not None and current not in seen:
        if current == ancestor.pk:
            return True
        seen.add(current)
        current = Sentence.objects.filter(pk=current).values_list("consecutive_to_id", flat=True)[0]
    return False


def _sentence_write(
    *, actor: User | None, case: Case, plan: _Planned, made: dict[int, Sentence]
) -> Sentence:
    """Write a checked sentence; ``made`` maps counts to the sentences of this decision."""
    data = plan.data
    target = data.consecutive_to
    if isinstance(target, CaseCharge):
        target = made.get(target.pk) or Sentence.objects.get(
            charge=target, status=SentenceStatus.ACTIVE
        )
    served = data.time_served_days
    if served is None:
        # A consecutive sentence starts when the earlier one ends: the custody before both
        # is credited once, to the first.
        served = 0 if target is not None else _time_served(case.person_id, plan.imposed_on)
    term = data.term
    sentence = Sentence.objects.create(
        case=case, charge=data.charge, person_id=case.person_id,
        jurisdiction_id=case.court.jurisdiction_id, imposed_on=plan.imposed_on,
        starts_on=plan.starts_on, term_years=term.years, term_months=term.months,
        term_days=term.days, relation=data.relation, consecutive_to=target,
        time_served_days=served, good_time_eligible=data.good_time_eligible,
        imposed_by=case.presiding_authority[:200], recorded_at=clock.now(), recorded_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action="sentence.impose", obj=sentence, facility=case.facility,
        object_label=f"{case.docket_number} count {data.charge.count_number}: {term}",
        changes={
            "case": case.docket_number, "count": data.charge.count_number, "term": str(term),
            "imposed_on": plan.imposed_on, "starts_on": plan.starts_on,
            "relation": data.relation,
            "consecutive_to": str(target.public_id) if target is not None else None,
            "time_served_days": served, "good_time_eligible": data.good_time_eligible,
        },
    )  # fmt: skip
    made[data.charge.pk] = sentence
    return sentence


# --- The verdict -------------------------------------------------------------------------------


def verdict_record(
    *,
    actor: User | None,
    case: Case,
    verdicts: Sequence[VerdictData],
    sentences: Sequence[SentenceData] = (),
    remand: RemandData | None = None,
    no_contact: bool = False,
    at: dt.datetime | None = None,
    hearing: Hearing | None = None,
) -> VerdictResult:
    """The court's decision in one transaction: verdicts, sentences, remand, no-contact orders.

    ``hearing`` is the hearing the verdict was given at: a remand's movement to
    the cells becomes its production, so ``hearing_return`` closes it.
    """
    require(actor, case.facility, [Perm.COURT_RECORD], "Recording a verdict")
    errors: dict[str, list[str]] = {}
    when = fact_time(at, "at", errors)
    if not errors and when < case.filed_at:
        errors["at"] = [AT_BEFORE_FILING.format(when=case.filed_at)]
    if not verdicts:
        errors["verdicts"] = [NO_VERDICTS]
    if hearing is not None and hearing.case_id != case.pk:
        errors["hearing"] = [HEARING_OF_ANOTHER]
    with transaction.atomic():
        locked = lock_case(case)
        docket = locked.docket_number
        counts = {c.pk: c for c in CaseCharge.objects.select_for_update().filter(case=locked)}
        seen: set[int] = set()
        for n, given in enumerate(verdicts):
            prefix = f"verdicts[{n}]."
            choice(given.verdict, FINAL_VERDICTS, f"{prefix}verdict", errors)
            text(given.note, f"{prefix}note", errors, limit=500)
            charge = counts.get(given.charge.pk)
            if charge is None:
                errors.setdefault(f"{prefix}charge", []).append(NOT_OF_CASE.format(docket=docket))
            elif charge.pk in seen:
                errors.setdefault(f"{prefix}charge", []).append(
                    COUNT_TWICE.format(count=charge.count_number)
                )
            elif charge.verdict != Verdict.PENDING:
                raise Conflict(
                    VERDICT_RECORDED.format(
                        count=charge.count_number, docket=docket, verdict=_verdict_label(charge),
                        when=_local_day(charge.verdict_at, locked.facility),
                    ),
                    code="verdict_recorded",
                    extra={"count": charge.count_number},
                )  # fmt: skip
            if charge is not None:
                seen.add(charge.pk)
        guilty_now = {
            v.charge.pk for v in verdicts if v.verdict == Verdict.GUILTY and v.charge.pk in counts
        }
        # The sentences see the counts as they will be after this verdict.
        verdict_of = {pk: c.verdict for pk, c in counts.items()}
        verdict_of |= {v.charge.pk: v.verdict for v in verdicts if v.charge.pk in counts}
        today = local_today(locked.facility, when)
        plans: list[_Planned] = []
        planned: set[int] = set()
        for n, data in enumerate(sentences):
            plan = _sentence_check(
                data, case=locked, prefix=f"sentences[{n}].", errors=errors,
                verdict_of=verdict_of, planned=planned, today=today,
            )  # fmt: skip
            plans.append(plan)
            planned.add(data.charge.pk)
        remand_facility = _remand_check(locked, remand, guilty_now, errors)
        parties = list(CaseParty.objects.filter(case=locked).select_related("person"))
        if no_contact and not parties:
            errors["no_contact"] = [NO_PARTIES.format(docket=docket)]
        if errors:
            raise ValidationFailed.for_fields(errors)

        for given in verdicts:
            charge = counts[given.charge.pk]
            charge.verdict = given.verdict
            charge.verdict_at = when
            charge.verdict_by = actor
            charge.verdict_note = given.note.strip()
            charge.save(update_fields=["verdict", "verdict_at", "verdict_by", "verdict_note"])
        booking, movement = None, None
        if remand is not None and remand_facility is not None:
            booking, movement = _remand(
                actor=actor, case=locked, remand=remand, facility=remand_facility,
                counts=counts, sentenced=bool(plans), at=when, hearing=hearing,
            )  # fmt: skip
        made: dict[int, Sentence] = {}
        written = [
            _sentence_write(actor=actor, case=locked, plan=plan, made=made) for plan in plans
        ]
        if booking is None:
            booking = open_booking(locked.person_id)
        orders = (
            _no_contact(actor=actor, case=locked, parties=parties, booking=booking)
            if no_contact
            else []
        )
        before = locked.status
        if not any(c.verdict == Verdict.PENDING for c in counts.values()):
            locked.status = CaseStatus.DISPOSED
            locked.save(update_fields=["status"])
        audit_record(
            actor=actor, action="case.verdict", obj=locked, facility=locked.facility,
            object_label=docket,
            changes={
                "verdicts": [
                    {"count": counts[v.charge.pk].count_number, "verdict": v.verdict,
                     "note": v.note.strip() or None}
                    for v in verdicts
                ],
                "at": when,
                "sentences": [str(s.public_id) for s in written],
                "remand": booking.booking_number if movement is not None and booking else None,
                "no_contact": [str(o.public_id) for o in orders],
                **({"status": [before, locked.status]} if before != locked.status else {}),
            },
        )  # fmt: skip
        _recompute(
            actor=actor, person_id=locked.person_id, cause="verdict",
            detail=f"Verdict in {docket}",
        )  # fmt: skip
        if booking is not None:
            booking.refresh_from_db(fields=["legal_status", "status"])
    return VerdictResult(
        case=locked, booking=booking, sentences=written, orders=orders, movement=movement
    )


def _remand_check(
    case: Case, remand: RemandData | None, guilty_now: set[int], errors: dict[str, list[str]]
) -> Facility | None:
    """Where the remanded person goes; field errors, or 409 when they are already held."""
    if remand is None:
        return None
    if not guilty_now:
        errors.setdefault("remand", []).append(REMAND_NEEDS_GUILTY)
        return None
    facility = remand.facility or case.facility
    if facility.agency_id != case.court.agency_id:
        errors.setdefault("remand.facility", []).append(REMAND_FACILITY_AGENCY)
        return None
    held = open_booking(case.person_id)
    if held is not None:
        raise Conflict(
            ALREADY_IN_CUSTODY.format(
                person=case.person.full_name, booking=held.booking_number,
                facility=held.facility.name,
            ),
            code="already_in_custody",
            extra={"booking_number": held.booking_number},
        )  # fmt: skip
    escort = remand.escort
    if escort is not None and not escort_may_escort(escort, facility):
        errors.setdefault("remand.escort", []).append(
            ESCORT_NOT_HERE.format(escort=escort.get_username(), facility=facility.name)
        )
    return facility


def _them(case: Case) -> str:
    return {"male": "him", "female": "her"}.get(case.person.sex, "them")


def _remand(
    *,
    actor: User | None,
    case: Case,
    remand: RemandData,
    facility: Facility,
    counts: dict[int, CaseCharge],
    sentenced: bool,
    at: dt.datetime,
    hearing: Hearing | None,
) -> tuple[Booking, Movement]:
    """Open the booking from the court record; the person is in the courtroom, in custody."""
    # Recording a movement is custody's work: a court clerk records it in the escort's name.
    mover = actor
    if actor is not None and Perm.MOVEMENT_RECORD not in actor.perms_at(facility.pk):
        if remand.escort is None:
            raise ValidationFailed.for_fields(
                {"remand.escort": [REMAND_ESCORT_NEEDED.format(them=_them(case),
                                                              facility=facility.name)]}
            )  # fmt: skip
        mover = remand.escort
    court = case.court
    docket = case.docket_number
    # The counts that hold the person: guilty ones and those still awaiting verdict.
    holding = [
        c
        for c in sorted(counts.values(), key=lambda c: c.count_number)
        if c.verdict in (Verdict.GUILTY, Verdict.PENDING)
    ]
    booking = booking_open(
        actor=actor, facility=facility, person=case.person, source="court_remand",
        legal_status=LegalStatus.SENTENCED if sentenced else LegalStatus.PRETRIAL,
        booked_at=at,
        details=BookingDetails(
            committing_authority=f"{court.name}, {case.presiding_authority}"[:200],
            authority_reference=docket[:100],
        ),
        charges=[
            ChargeData(statute=c.statute, description=c.description, severity=c.severity,
                       case_number=docket)
            for c in holding
        ],
    )  # fmt: skip
    booked = list(Charge.objects.filter(booking=booking).order_by("id"))
    for count, charge in zip(holding, booked, strict=True):
        count.booking_charge = charge
        count.save(update_fields=["booking_charge"])
    intake_step_complete(
        actor=actor, booking=booking, step=IntakeStepCode.IDENTITY,
        note=REMAND_IDENTITY.format(docket=docket, court=court.name),
    )  # fmt: skip
    intake_step_complete(
        actor=actor, booking=booking, step=IntakeStepCode.CHARGES,
        note=REMAND_CHARGES.format(docket=docket, count=len(holding)),
    )  # fmt: skip
    booking = booking_transition(
        actor=actor, booking=booking, to=BookingStatus.IN_CUSTODY,
        reason=REMAND_REASON.format(court=court.name, docket=docket),
    )  # fmt: skip
    booking.facility = facility
    booking.person = case.person
    where = (hearing.courtroom if hearing is not None else "") or court.location or court.name
    movement = movement_start(
        actor=mover, booking=booking, destination=Destination.COURT,
        destination_detail=where[:200], escort=remand.escort,
        reason=REMAND_MOVEMENT_REASON.format(docket=docket), emergency_reason=REMAND_DURING_COUNT,
        at=at,
    )  # fmt: skip
    if hearing is not None:
        locked = Hearing.objects.select_for_update().get(pk=hearing.pk)
        locked.booking = booking
        fields = ["booking"]
        if locked.production_id is None:
            locked.production = movement
            fields.append("production")
        locked.save(update_fields=fields)
    return booking, movement


def _no_contact(
    *,
    actor: User | None,
    case: Case,
    parties: list[CaseParty],
    booking: Booking | None,
) -> list[ProtectiveOrder]:
    """A court no-contact order for every party; one already in force is left as it is."""
    facility = booking.facility if booking is not None else case.facility
    now = clock.now()
    orders = []
    for party in parties:
        in_force = (
            ProtectiveOrder.objects.filter(
                person_id=case.person_id, protected_person=party.person, ended_at__isnull=True
            )
            .exclude(expires_at__lte=now)
            .exists()
        )
        if in_force:
            continue
        try:
            order = protective_order_create(
                actor=actor, facility=facility, person=case.person,
                protected_person=party.person, protected_role=party.role,
                source=ProtectiveSource.COURT_ORDER, scope=ContactScope.ALL_CONTACT,
                issued_by=case.presiding_authority, reference=case.docket_number[:100],
                reason=NO_CONTACT_REASON.format(docket=case.docket_number),
            )  # fmt: skip
        except ValidationFailed as refused:
            # Name the field the payload has: the order is part of the verdict.
            fields = refused.extra.get("fields", {})
            messages = [f"{party.person.full_name}: {m}" for ms in fields.values() for m in ms]
            raise ValidationFailed.for_fields({"no_contact": messages}) from None
        orders.append(order)
    return orders


# --- Sentences ---------------------------------------------------------------------------------


def _verdicts_of(case: Case) -> dict[int, str]:
    return dict(CaseCharge.objects.filter(case=case).values_list("pk", "verdict"))


def sentence_impose(*, actor: User | None, case: Case, data: SentenceData) -> Sentence:
    """A sentence on a guilty count, after the verdict (a sentencing hearing)."""
    require(actor, case.facility, [Perm.COURT_RECORD], "Imposing a sentence")
    with transaction.atomic():
        locked = lock_case(case)
        errors: dict[str, list[str]] = {}
        plan = _sentence_check(
            data, case=locked, prefix="", errors=errors, verdict_of=_verdicts_of(locked),
            planned=set(), today=local_today(locked.facility),
        )  # fmt: skip
        if errors:
            raise ValidationFailed.for_fields(errors)
        sentence = _sentence_write(actor=actor, case=locked, plan=plan, made={})
        _recompute(
            actor=actor, person_id=locked.person_id, cause="sentence",
            detail=f"Sentence imposed in {locked.docket_number} (count "
            f"{data.charge.count_number})",
        )  # fmt: skip
    return sentence


def _lock_sentence(sentence: Sentence, what: str) -> Sentence:
    locked = (
        Sentence.objects.select_for_update(of=("self",))
        .select_related("case__court__jurisdiction", "case__facility", "case__person", "charge")
        .get(pk=sentence.pk)
    )
    if locked.status != SentenceStatus.ACTIVE:
        raise Conflict(
            SENTENCE_NOT_ACTIVE.format(
                status=SentenceStatus(locked.status).label.lower(),
                when=f"{locked.ended_at:%Y-%m-%d}", what=what,
            ),
            code="sentence_not_active",
        )  # fmt: skip
    return locked


def _end(*, actor: User | None, sentence: Sentence, reason: str, action: str) -> None:
    sentence.status = SentenceStatus.VACATED
    sentence.ended_at = clock.now()
    sentence.end_reason = reason
    sentence.save(update_fields=["status", "ended_at", "end_reason"])
    audit_record(
        actor=actor, action=action, obj=sentence, facility=sentence.case.facility,
        object_label=f"{sentence.case.docket_number} count {sentence.charge.count_number}",
        reason=reason, changes={"status": [SentenceStatus.ACTIVE, SentenceStatus.VACATED]},
    )  # fmt: skip


def _reason(reason: str) -> str:
    errors: dict[str, list[str]] = {}
    value = text(reason, "reason", errors, limit=500)
    if not value:
        errors["reason"] = [REASON_NEEDED]
    if errors:
        raise ValidationFailed.for_fields(errors)
    return value


def sentence_vacate(*, actor: User | None, sentence: Sentence, reason: str) -> Sentence:
    """Set a sentence aside (on appeal, by the court); a sentence after it runs from its start."""
    require(actor, sentence.case.facility, [Perm.COURT_RECORD], "Vacating a sentence")
    reason = _reason(reason)
    with transaction.atomic():
        lock_case(sentence.case)
        locked = _lock_sentence(sentence, "is vacated")
        _end(actor=actor, sentence=locked, reason=reason, action="sentence.vacate")
        _recompute(
            actor=actor, person_id=locked.person_id, cause="sentence",
            detail=f"Sentence vacated in {locked.case.docket_number}: {reason}",
        )  # fmt: skip
    return locked


def sentence_correct(
    *, actor: User | None, sentence: Sentence, data: SentenceData, reason: str
) -> Sentence:
    """Replace a sentence with a corrected one (vacate and impose, one transaction).

    Sentences that ran after the old one run after the new one.
    """
    case = sentence.case
    require(actor, case.facility, [Perm.COURT_RECORD], "Correcting a sentence")
    reason = _reason(reason)
    with transaction.atomic():
        locked_case = lock_case(case)
        old = _lock_sentence(sentence, "is corrected")
        errors: dict[str, list[str]] = {}
        plan = _sentence_check(
            data, case=locked_case, prefix="", errors=errors,
            verdict_of=_verdicts_of(locked_case), planned=set(),
            today=local_today(locked_case.facility), replacing=old,
        )  # fmt: skip
        if errors:
            raise ValidationFailed.for_fields(errors)
        _end(actor=actor, sentence=old, reason=reason, action="sentence.vacate")
        new = _sentence_write(actor=actor, case=locked_case, plan=plan, made={})
        followers = list(
            Sentence.objects.filter(consecutive_to=old, status=SentenceStatus.ACTIVE)
            .exclude(pk=new.pk)
            .values_list("public_id", flat=True)
        )
        Sentence.objects.filter(consecutive_to=old, status=SentenceStatus.ACTIVE).exclude(
            pk=new.pk
        ).update(consecutive_to=new)
        audit_record(
            actor=actor, action="sentence.correct", obj=new, facility=locked_case.facility,
            object_label=f"{locked_case.docket_number} count {new.charge.count_number}",
            reason=reason,
            changes={"replaces": str(old.public_id), "followers": [str(f) for f in followers]},
        )  # fmt: skip
        _recompute(
            actor=actor, person_id=locked_case.person_id, cause="sentence",
            detail=f"Sentence corrected in {locked_case.docket_number}: {reason}",
        )  # fmt: skip
    return new


def credit_record(
    *, actor: User | None, sentence: Sentence, kind: str, days: int, reason: str
) -> CreditEntry:
    """Days of earned credit, or good time forfeited, on an active sentence."""
    case = sentence.case
    require(actor, case.facility, [Perm.COURT_RECORD], "Recording credit")
    errors: dict[str, list[str]] = {}
    choice(kind, CreditKind.values, "kind", errors)
    if not 1 <= days <= MAX_CREDIT_DAYS:
        errors["days"] = [CREDIT_DAYS_RANGE.format(limit=MAX_CREDIT_DAYS)]
    value = text(reason, "reason", errors, limit=500, required=True)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _lock_sentence(sentence, "earns or loses credit")
        rule = _rule_on(locked.case, locked.imposed_on)
        if rule is None:
            raise Conflict(
                NO_RULE_FOR_CREDIT.format(jurisdiction=locked.case.court.jurisdiction.name),
                code="no_credit_rule",
            )
        entry = CreditEntry.objects.create(
            sentence=locked, kind=kind, days=days, reason=value, rule=rule,
            recorded_at=clock.now(), recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="credit.record", obj=entry, facility=locked.case.facility,
            object_label=f"{locked.case.docket_number} count {locked.charge.count_number}",
            reason=value,
            changes={"sentence": str(locked.public_id), "kind": kind, "days": days,
                     "rule": f"{locked.case.court.jurisdiction.code} v{rule.version}"},
        )  # fmt: skip
        _recompute(
            actor=actor, person_id=locked.person_id, cause="credit",
            detail=f"{CreditKind(kind).label}: {days} days ({locked.case.docket_number})",
        )  # fmt: skip
    return entry
