"""Release dates: gather a person's sentences, compute, store, and list every change.

``court/sentencing.py`` decides; this module feeds it and keeps its answer.
A booking's release date comes from the person's ACTIVE sentences on every
case, each under the credit rule version in force on the day it was imposed,
with its earned and forfeited credit entries and its charge's severity.  The
answer is stored on the booking (``ReleaseDate``: the date, the controlling
sentence, each sentence's worked lines, the versions used).  A recompute that
moves the date (to or from no date too) writes a ``ReleaseDateChange`` for
court staff or the commander to review, and an audit event; one that moves
nothing refreshes the stored computation and leaves nothing to review.

Every write that can move a date calls ``release_date_recompute`` in its own
transaction; a new credit rule version recomputes every booking it can touch
through ``recompute_for_rule``.  Both first take the audit chain's head row
(see ``_queue_behind_writers``), so the two never miss each other's work.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum

from cellblock.accounts.models import User
from cellblock.audit.models import AuditHead
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.court import sentencing
from cellblock.court.models import (
    CreditEntry,
    CreditKind,
    CreditRule,
    ReleaseDate,
    ReleaseDateChange,
    Sentence,
    SentenceStatus,
)
from cellblock.facilities.models import Facility

# What moves a date (``ReleaseDateChange.cause``); the pages name them.
CAUSES = ("sentence", "credit", "rule", "verdict", "transfer")
CAUSE_MAX = 12  # ReleaseDateChange.cause's max_length
DETAIL_MAX = 300  # ReleaseDateChange.cause_detail's max_length
NOTE_MAX = 500  # ReleaseDateChange.review_note's max_length

# Who may have a booking's date recomputed: anyone whose work moves it.  A recompute
# decides nothing itself (the records do), so any of these roles at any facility of the
# booking's agency will do: a transfer recomputes at the receiving facility.
RECOMPUTE_PERMS = frozenset(
    {Perm.COURT_RECORD, Perm.CREDIT_RULES_MANAGE, Perm.RELEASE_DATE_REVIEW, Perm.BOOKING_RELEASE}
)

RECOMPUTE_DENIED = "Recomputing a release date needs a court, release or credit-rule role."
REVIEW_DENIED = "Reviewing a release-date change needs the release_date.review permission here."
ALREADY_REVIEWED = "This change was already reviewed by {who} on {when}."
NOT_COMPUTABLE = "The release date of {booking} cannot be computed: {reason}"
NO_RULE = (
    "no credit rule of {jurisdiction} applies to the sentence on count {count} of {docket}, "
    "imposed on {imposed}: add a version that applies from that day or earlier."
)
UNKNOWN_CAUSE = "must be one of {causes}."
NOTE_TOO_LONG = f"must be at most {NOTE_MAX} characters."


# --- Reads ----------------------------------------------------------------------------------


def days_between(earlier: dt.date | None, later: dt.date | None) -> int | None:
    """``later - earlier`` in days, or None when either is missing (a change's shift)."""
    if earlier is None or later is None:
        return None
    return (later - earlier).days


def release_date_of(booking: Booking) -> ReleaseDate | None:
    """The booking's stored computation, or None when none was ever made."""
    return (
        ReleaseDate.objects.filter(booking=booking).select_related("controlling_sentence").first()
    )


def unreviewed_changes(facility: Facility) -> QuerySet[ReleaseDateChange]:
    """Changes of the facility's bookings nobody has reviewed yet, oldest first."""
    return (
        ReleaseDateChange.objects.filter(booking__facility=facility, reviewed_at__isnull=True)
        .select_related("booking__person", "computed_by")
        .order_by("computed_at", "id")
    )


def release_date_changes(booking: Booking) -> QuerySet[ReleaseDateChange]:
    """Every change of one booking's date, newest first."""
    return ReleaseDateChange.objects.filter(booking=booking).select_related(
        "computed_by", "reviewed_by"
    )


def release_date_change_get_for_user(
    user: User, public_id: str | uuid.UUID, perm: Perm = Perm.COURT_VIEW
) -> ReleaseDateChange:
    """A change of a booking at a facility where ``user`` holds ``perm``; else 404."""
    key = parse_public_id(public_id, what="release-date change")
    change = (
        ReleaseDateChange.objects.filter(
            public_id=key, booking__facility_id__in=user.facilities_with(perm)
        )
        .select_related("booking__facility", "booking__person", "computed_by", "reviewed_by")
        .first()
    )
    if change is None:
        raise NotFound(f"No release-date change with id {key}.")
    return change


# --- Gathering the inputs -------------------------------------------------------------------


def rule_as_data(rule: CreditRule) -> sentencing.CreditRule:
    """A stored credit rule version as the pure module's data."""
    return sentencing.CreditRule(
        jurisdiction=rule.jurisdiction.code,
        version=rule.version,
        applies_from=rule.applies_from,
        good_time=Fraction(rule.good_time_numerator, rule.good_time_denominator),
        excluded_severities=frozenset(rule.good_time_excluded_severities or ()),
        earned_days_per_month_cap=rule.earned_days_per_month_cap,
        minimum_served_percent=rule.minimum_served_percent,
        source=rule.source,
    )


@dataclass
class _Person:
    """One person's active sentences, as the module's inputs and as the rows behind them."""

    inputs: list[sentencing.SentenceInput]
    rules: dict[str, sentencing.CreditRule]
    sentences: dict[str, Sentence]


def _gather(person_ids: Iterable[int]) -> dict[int, _Person]:
    """Every person's active sentences with credits and rule versions: four queries in all."""
    sentences = list(
        Sentence.objects.filter(person_id__in=set(person_ids), status=SentenceStatus.ACTIVE)
        .select_related("charge", "case", "consecutive_to", "jurisdiction")
        .order_by("imposed_on", "id")
    )
    credits: dict[tuple[int, str], int] = {
        (row["sentence_id"], row["kind"]): row["total"]
        for row in CreditEntry.objects.filter(sentence__in=sentences)
        .values("sentence_id", "kind")
        .annotate(total=Sum("days"))
    }
    versions: dict[int, list[sentencing.CreditRule]] = defaultdict(list)
    for stored in CreditRule.objects.filter(
        jurisdiction_id__in={s.jurisdiction_id for s in sentences}
    ).select_related("jurisdiction"):
        versions[stored.jurisdiction_id].append(rule_as_data(stored))
    people: dict[int, _Person] = defaultdict(lambda: _Person([], {}, {}))
    for sentence in sentences:
        key = str(sentence.public_id)
        person = people[sentence.person_id]
        try:
            rule = sentencing.rule_for(versions[sentence.jurisdiction_id], sentence.imposed_on)
        except sentencing.SentencingError:
            raise Conflict(
                NO_RULE.format(
                    jurisdiction=sentence.jurisdiction.code, count=sentence.charge.count_number,
                    docket=sentence.case.docket_number, imposed=sentence.imposed_on,
                ),
                code="no_credit_rule",
                extra={"sentence": key, "imposed_on": sentence.imposed_on.isoformat()},
            ) from None  # fmt: skip
        follows = sentence.consecutive_to
        person.inputs.append(
            sentencing.SentenceInput(
                key=key, imposed_on=sentence.imposed_on, starts_on=sentence.starts_on,
                term=sentencing.Term(sentence.term_years, sentence.term_months, sentence.term_days),
                severity=sentence.charge.severity,
                consecutive_to=str(follows.public_id) if follows is not None else None,
                time_served_days=sentence.time_served_days,
                earned_days=credits.get((sentence.pk, CreditKind.EARNED), 0),
                forfeited_days=credits.get((sentence.pk, CreditKind.FORFEITED), 0),
                good_time_eligible=sentence.good_time_eligible,
            )
        )  # fmt: skip
        person.rules[key] = rule
        person.sentences[key] = sentence
    return people


def _breakdown(person: _Person, computation: sentencing.Computation) -> list[dict[str, Any]]:
    """Each sentence's computation, as stored and shown: what, under which rule, and why."""
    rows = []
    for result in computation.sentences:
        sentence = person.sentences[result.key]
        follows = sentence.consecutive_to
        rows.append(
            {
                "sentence": result.key,
                "key": result.key,
                "case": sentence.case.docket_number,
                "count": sentence.charge.count_number,
                "statute": sentence.charge.statute,
                "severity": sentence.charge.severity,
                "term": str(
                    sentencing.Term(sentence.term_years, sentence.term_months, sentence.term_days)
                ),
                "relation": sentence.relation,
                "consecutive_to": str(follows.public_id) if follows is not None else None,
                "imposed_on": sentence.imposed_on.isoformat(),
                "rule": result.rule,
                "rule_source": person.rules[result.key].source,
                "starts_on": result.starts_on.isoformat(),
                "full_term_on": result.full_term_on.isoformat(),
                "term_days": result.term_days,
                "good_time_days": result.good_time_days,
                "earned_days": result.earned_days,
                "forfeited_days": result.forfeited_days,
                "time_served_days": result.time_served_days,
                "earliest_on": result.earliest_on.isoformat(),
                "release_on": result.release_on.isoformat(),
                "controlling": result.key == computation.controlling,
                "lines": list(result.lines),
            }
        )
    return rows


# --- Computing and storing ------------------------------------------------------------------


def _queue_behind_writers() -> None:
    """Wait for every audited write in flight, and hold them off until this one commits.

    Every audited write takes the audit chain's head row and keeps it to its
    commit (docs/audit.md), so holding it here means that the sentences,
    credits and rule versions read next are all committed ones, and that none
    can commit before the date computed from them.  A sentence recorded while
    a rule version is being added is then computed under that version by
    whichever of the two recomputes runs second.  Nothing else is locked after
    this: a booking row locked now could be held by a writer queued behind us.
    On SQLite every write transaction already runs alone (BEGIN IMMEDIATE).
    """
    AuditHead.objects.select_for_update().filter(pk=1).first()


def _store(
    *,
    actor: User | None,
    booking: Booking,
    person: _Person | None,
    stored: ReleaseDate | None,
    cause: str,
    cause_detail: str,
) -> tuple[ReleaseDate, ReleaseDateChange | None]:
    """Compute one booking and keep the answer; a change (and its audit) when the date moves."""
    if person is None:
        person = _Person([], {}, {})
    try:
        computation = sentencing.compute(person.inputs, person.rules)
    except sentencing.SentencingError as error:
        raise Conflict(
            NOT_COMPUTABLE.format(booking=booking.booking_number, reason=error),
            code="release_date_not_computable",
        ) from None
    now = clock.now()
    controlling = (
        person.sentences[computation.controlling] if computation.controlling is not None else None
    )
    values = {
        "release_on": computation.release_on,
        "controlling_sentence": controlling,
        "computed_at": now,
        "breakdown": _breakdown(person, computation),
        "rule_versions": computation.rule_versions,
    }
    previous_on = stored.release_on if stored is not None else None
    if stored is None:
        stored = ReleaseDate.objects.create(booking=booking, **values)
    else:
        for name, value in values.items():
            setattr(stored, name, value)
        stored.save(update_fields=list(values))
    if previous_on == computation.release_on:
        return stored, None
    change = ReleaseDateChange.objects.create(
        booking=booking, previous_on=previous_on, new_on=computation.release_on, cause=cause,
        cause_detail=cause_detail[:DETAIL_MAX], computed_at=now, computed_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action="release_date.compute", obj=booking, facility=booking.facility,
        reason=cause_detail[:DETAIL_MAX],
        changes={
            "change": str(change.public_id), "cause": cause, "previous_on": previous_on,
            "new_on": computation.release_on,
            "days": days_between(previous_on, computation.release_on),
            "controlling": computation.controlling, "rule_versions": computation.rule_versions,
        },
    )  # fmt: skip
    return stored, change


def _check_cause(cause: str) -> None:
    if cause not in CAUSES:
        raise ValidationFailed.for_fields(
            {"cause": [UNKNOWN_CAUSE.format(causes=", ".join(CAUSES))]}
        )


def _may_recompute(actor: User | None, booking: Booking) -> bool:
    if actor is None or RECOMPUTE_PERMS & actor.perms_at(booking.facility_id):
        return True
    # Sentences follow the person across the agency's facilities (a transfer).
    mine = {fid for perm in RECOMPUTE_PERMS for fid in actor.facilities_with(perm)}
    return Facility.objects.filter(pk__in=mine, agency_id=booking.facility.agency_id).exists()


def release_date_recompute(
    *, actor: User | None, booking: Booking, cause: str, cause_detail: str
) -> ReleaseDate:
    """Compute the booking's date from the person's active sentences now, and keep it.

    Answers the stored ``ReleaseDate``; a date that moved also has its
    ``ReleaseDateChange`` (unreviewed) and an audit event ``release_date.compute``.
    """
    _check_cause(cause)
    if not _may_recompute(actor, booking):
        raise PermissionDenied(RECOMPUTE_DENIED, code="missing_role")
    with transaction.atomic():
        _queue_behind_writers()
        stored = ReleaseDate.objects.filter(booking=booking).first()
        people = _gather([booking.person_id])
        release_date, _ = _store(
            actor=actor, booking=booking, person=people.get(booking.person_id), stored=stored,
            cause=cause, cause_detail=cause_detail,
        )  # fmt: skip
    return release_date


def recompute_for_rule(
    *, actor: User | None, rule: CreditRule, cause_detail: str
) -> list[ReleaseDateChange]:
    """Every open booking of the agency whose person serves a sentence in the rule's jurisdiction.

    Runs inside the caller's transaction (``credit_rule_add``), which has
    already audited the new version and so holds the head row.  The inputs
    of all those people are read in a fixed number of queries; the writes
    are one per booking, and one change and audit event per date that moved.
    """
    _queue_behind_writers()
    serving = Sentence.objects.filter(
        jurisdiction_id=rule.jurisdiction_id, status=SentenceStatus.ACTIVE
    ).values("person_id")
    bookings = list(
        Booking.objects.filter(
            status__in=OPEN_STATUSES,
            facility__agency_id=rule.jurisdiction.agency_id,
            person_id__in=serving,
        )
        .select_related("facility", "person")
        .order_by("pk")
    )
    stored = {rd.booking_id: rd for rd in ReleaseDate.objects.filter(booking__in=bookings)}
    people = _gather(booking.person_id for booking in bookings)
    changes = []
    for booking in bookings:
        _, change = _store(
            actor=actor, booking=booking, person=people.get(booking.person_id),
            stored=stored.get(booking.pk), cause="rule", cause_detail=cause_detail,
        )  # fmt: skip
        if change is not None:
            changes.append(change)
    return changes


# --- Review ---------------------------------------------------------------------------------


def release_date_change_review(
    *, actor: User, change: ReleaseDateChange, note: str = ""
) -> ReleaseDateChange:
    """Mark a change looked at (409 ``already_reviewed`` the second time)."""
    note = note.strip()
    booking = Booking.objects.select_related("facility").get(pk=change.booking_id)
    if Perm.RELEASE_DATE_REVIEW not in actor.perms_at(booking.facility_id):
        raise PermissionDenied(REVIEW_DENIED, code="missing_role")
    if len(note) > NOTE_MAX:
        raise ValidationFailed.for_fields({"note": [NOTE_TOO_LONG]})
    with transaction.atomic():
        locked = (
            ReleaseDateChange.objects.select_for_update(of=("self",))
            .select_related("reviewed_by")
            .get(pk=change.pk)
        )
        if locked.reviewed_at is not None:
            who = locked.reviewed_by.get_username() if locked.reviewed_by else "the system"
            raise Conflict(
                ALREADY_REVIEWED.format(who=who, when=f"{locked.reviewed_at:%Y-%m-%d %H:%M} UTC"),
                code="already_reviewed",
            )
        locked.reviewed_at = clock.now()
        locked.reviewed_by = actor
        locked.review_note = note
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(
            actor=actor, action="release_date.review", obj=locked, facility=booking.facility,
            reason=note,
            changes={
                "booking": booking.booking_number, "previous_on": locked.previous_on,
                "new_on": locked.new_on, "cause": locked.cause,
            },
        )  # fmt: skip
    return locked
