"""Booking visits: check a visit against the rule book, schedule it, authorise it, cancel it.

A visit that breaks a rule is refused (409 ``visit_refused``) with every rule
named.  Only the commander may let one visit go ahead despite overridable
rules, with a reason and conditions; the override is stored on that visit
alone and audited.  An in-cell visit asked for by a clerk waits for a
supervisor's or the commander's authorisation.

Two clerks booking the last place in a room, or two visits for the same
person or visitor at once, must not both succeed: the booking, the room and
the visitors are row-locked (PostgreSQL) before the rules read the schedule;
SQLite queues whole write transactions (IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import (
    ContactScope,
    GroupMembership,
    ProtectiveOrder,
    SeparationOrder,
)
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.schedule import at_local
from cellblock.custody.services.movements import require_perm
from cellblock.facilities.models import Cell
from cellblock.housing.models import BedAssignment
from cellblock.visits import rules
from cellblock.visits.models import (
    BOOKED_STATUSES,
    ROOM_KIND_FOR_VISIT,
    UNLIMITED_KINDS,
    VISIT_TRANSITIONS,
    Guardianship,
    ListEntryStatus,
    RoomKind,
    Visit,
    VisitingListEntry,
    VisitKind,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitOverride,
    VisitParticipant,
    VisitRoom,
    VisitStatus,
    VisitSuspension,
)

VISIT_REFUSED = "This visit is refused: {rules}."
OVERRIDE_NOT_ALLOWED = (
    "Only the commander can override the visit rules: ask the commander, or change the visit."
)
NOTHING_TO_OVERRIDE = "there is no rule to override: the visit is allowed as it is."
OVERRIDE_REASON_NEEDED = "say why this visit may go ahead despite the rules."
OVERRIDE_CONDITIONS_NEEDED = "say on what conditions (an officer at the door, no contact ...)."
UNKNOWN_KIND = "must be one of {choices}."
AT_NAIVE = "must say its time zone."
MINUTES_RANGE = "must be from 1 to {limit} minutes."
NO_ROOM = "is required: a {kind} visit takes place in a visit room."
ROOM_FOR_IN_CELL = "must be empty: an in-cell visit takes place in the person's own cell."
ROOM_ELSEWHERE = "{room} is not a visit room of {facility}."
VISITOR_ELSEWHERE = "{visitor} is not registered as a visitor at {facility}."
VISITOR_TWICE = "{visitor} is named twice."
NOT_HOUSED = "{person} has no cell now: an in-cell visit needs one."
TOO_LONG_TEXT = "is too long: at most {limit} characters."
REASON_NEEDED = "say why the visit is cancelled."
NOT_REQUESTED = "This visit is {status}: only a visit awaiting authorisation can be authorised."
NOT_CANCELLABLE = "This visit is {status}: it can no longer be cancelled."

# The longest visit anyone may book, whatever the policy (an override excuses the policy).
MAX_MINUTES = 8 * 60
NOTES_LIMIT = 1000
REASON_LIMIT = 1000


def _refused(violations: Sequence[rules.Violation], named: Sequence[rules.Violation]) -> Conflict:
    """409 naming the rules in ``named``; every violation goes in ``extra``."""
    text = "; ".join(v.message.rstrip(".") for v in named)
    return Conflict(
        VISIT_REFUSED.format(rules=text),
        code="visit_refused",
        extra={"violations": [v.as_dict() for v in violations]},
    )


def excused_codes(visit: Visit) -> frozenset[str]:
    """The rule codes the commander's override excuses for ``visit`` (empty when none)."""
    try:
        override = visit.override
    except VisitOverride.DoesNotExist:
        return frozenset()
    return frozenset(str(code) for code in override.rules)


# --- Input ---------------------------------------------------------------------------------


def _text(value: str, limit: int, name: str, errors: dict[str, list[str]]) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.setdefault(name, []).append(TOO_LONG_TEXT.format(limit=limit))
    return value


def _validated(
    *,
    booking: Booking,
    kind: str,
    visitors: Sequence[Visitor],
    starts_at: dt.datetime,
    minutes: int | None,
    room: VisitRoom | None,
    errors: dict[str, list[str]],
) -> int:
    """Check the shape of a visit (not the rules); returns its length in minutes."""
    facility = booking.facility
    if kind not in VisitKind.values:
        errors["kind"] = [UNKNOWN_KIND.format(choices=", ".join(VisitKind.values))]
    if timezone.is_naive(starts_at):
        errors["starts_at"] = [AT_NAIVE]
    length = policy_of(facility).visit_length_minutes if minutes is None else minutes
    if not 1 <= length <= MAX_MINUTES:
        errors["minutes"] = [MINUTES_RANGE.format(limit=MAX_MINUTES)]
    if kind == VisitKind.IN_CELL and room is not None:
        errors["room"] = [ROOM_FOR_IN_CELL]
    elif kind in VisitKind.values and kind != VisitKind.IN_CELL and room is None:
        errors["room"] = [NO_ROOM.format(kind=VisitKind(kind).label.lower())]
    elif room is not None and room.facility_id != facility.pk:
        errors["room"] = [ROOM_ELSEWHERE.format(room=room.name, facility=facility.name)]
    seen: set[int] = set()
    for visitor in visitors:
        if visitor.facility_id != facility.pk:
            errors.setdefault("visitors", []).append(
                VISITOR_ELSEWHERE.format(visitor=visitor, facility=facility.name)
            )
        elif visitor.pk in seen:
            errors.setdefault("visitors", []).append(VISITOR_TWICE.format(visitor=visitor))
        seen.add(visitor.pk)
    return length


def current_cell(booking: Booking) -> Cell | None:
    """The cell the person sleeps in now (None when not housed)."""
    assignment = (
        BedAssignment.objects.filter(booking_id=booking.pk, ended_at__isnull=True)
        .select_related("bed__cell")
        .first()
    )
    return assignment.bed.cell if assignment is not None else None


# --- Facts for the rule book -------------------------------------------------------------


def _window_q(start: dt.datetime, end: dt.datetime, *, until: Iterable[str]) -> Q:
    """Rows in force at some moment of [start, end): started before its end, not over before."""
    q = Q(starts_at__lt=end)
    for name in until:
        q &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gt": start})
    return q


def _until(*moments: dt.datetime | None) -> dt.datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def _booked_visits(
    *,
    booking: Booking,
    room: VisitRoom | None,
    visitor_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    exclude: Visit | None,
) -> list[Visit]:
    """Other visits holding a slot that the rules compare with: the person's week, the
    room and the visitors at the same time."""
    zone = booking.facility.timezone
    day = rules.local(start, zone).date()
    monday, _ = rules.week_of(day)
    week_start = at_local(monday, dt.time(0), zone)
    week_end = at_local(monday + dt.timedelta(days=7), dt.time(0), zone)
    overlap = Q(starts_at__lt=end, ends_at__gt=start)
    wanted = Q(booking_id=booking.pk) & (
        Q(starts_at__gte=week_start, starts_at__lt=week_end) | overlap
    )
    if room is not None:
        wanted |= Q(room_id=room.pk) & overlap
    if visitor_ids:
        wanted |= Q(participants__visitor_id__in=visitor_ids) & overlap
    visits = Visit.objects.filter(wanted, status__in=BOOKED_STATUSES)
    if exclude is not None:
        visits = visits.exclude(pk=exclude.pk)
    return list(
        Visit.objects.filter(pk__in=visits.values("id"))
        .select_related("booking__person")
        .prefetch_related("participants")
        .order_by("starts_at", "id")
    )


def _visitor_facts(
    booking: Booking, visitors: Sequence[Visitor], start: dt.datetime, end: dt.datetime
) -> tuple[rules.VisitorFacts, ...]:
    ids = [visitor.pk for visitor in visitors]
    if not ids:
        return ()
    guardians: dict[int, list[Visitor]] = defaultdict(list)
    for tie in Guardianship.objects.filter(minor_id__in=ids).select_related("guardian__person"):
        guardians[tie.minor_id].append(tie.guardian)
    listed = set(
        VisitingListEntry.objects.filter(
            booking_id=booking.pk, visitor_id__in=ids, status=ListEntryStatus.APPROVED
        ).values_list("visitor_id", flat=True)
    )
    bans: dict[int, list[rules.Ban]] = defaultdict(list)
    for ban in VisitorBan.objects.filter(
        _window_q(start, end, until=("expires_at", "lifted_at")), visitor_id__in=ids
    ).order_by("starts_at", "id"):
        bans[ban.visitor_id].append(
            rules.Ban(
                starts_at=ban.starts_at,
                until=_until(ban.expires_at, ban.lifted_at),
                reason=ban.reason,
            )
        )
    held = dict(
        Booking.objects.filter(
            person_id__in=[visitor.person_id for visitor in visitors], status__in=OPEN_STATUSES
        ).values_list("person_id", "booking_number")
    )
    return tuple(
        rules.VisitorFacts(
            key=str(visitor.pk),
            person=str(visitor.person_id),
            name=visitor.person.full_name,
            approved=visitor.status == VisitorStatus.APPROVED,
            status_label=visitor.get_status_display(),
            born=visitor.person.date_of_birth,
            on_list=visitor.pk in listed,
            guardians=frozenset(str(g.pk) for g in guardians[visitor.pk]),
            guardian_names=tuple(g.person.full_name for g in guardians[visitor.pk]),
            bans=tuple(bans[visitor.pk]),
            held_as=held.get(visitor.person_id, ""),
        )
        for visitor in visitors
    )


def _same_person_q(visitors: Sequence[Visitor]) -> Q:
    """Protected people who are a visitor: the same record, or the same names and birth date.

    A protected person entered on the order and a visitor registered at the desk
    may be two records of one person; the names' search keys and the date of
    birth still tie them, so an order is never missed for want of a link.
    """
    same = Q(protected_person_id__in=[visitor.person_id for visitor in visitors])
    for visitor in visitors:
        person = visitor.person
        if person.date_of_birth is not None and (person.given_key or person.family_key):
            same |= Q(
                protected_person__given_key=person.given_key,
                protected_person__family_key=person.family_key,
                protected_person__date_of_birth=person.date_of_birth,
            )
    return same


def _protective_orders(
    *, booking: Booking, visitors: Sequence[Visitor], start: dt.datetime, end: dt.datetime
) -> list[rules.ProtectiveOrder]:
    """The no-contact orders against the person in custody that cover one of the visitors."""
    if not visitors:
        return []
    orders = ProtectiveOrder.objects.filter(
        _window_q(start, end, until=("expires_at", "ended_at")),
        _same_person_q(visitors),
        agency_id=booking.facility.agency_id,
        person_id=booking.person_id,
        scope__in=[ContactScope.VISITS, ContactScope.ALL_CONTACT],
    ).select_related("protected_person")
    found = []
    for order in orders:
        protected = order.protected_person
        for visitor in visitors:
            person = visitor.person
            same_record = protected.pk == person.pk
            same_names = person.date_of_birth is not None and (
                (protected.given_key, protected.family_key, protected.date_of_birth)
                == (person.given_key, person.family_key, person.date_of_birth)
            )
            if same_record or same_names:
                found.append(
                    rules.ProtectiveOrder(
                        starts_at=order.starts_at,
                        until=_until(order.expires_at, order.ended_at),
                        protected_person=str(person.pk),
                        label=order.reference or f"issued by {order.issued_by}",
                    )
                )
    return found


def visit_facts(
    *,
    booking: Booking,
    kind: str,
    visitors: Sequence[Visitor],
    starts_at: dt.datetime,
    minutes: int,
    room: VisitRoom | None,
    now: dt.datetime,
    exclude: Visit | None = None,
    in_order_after: Visit | None = None,
) -> rules.VisitFacts:
    """The rule book's view of a visit: a fixed number of queries.

    ``visitors`` come with their person loaded.  ``in_order_after``: the visit is
    checked again, and only visits booked before it count against its limits.
    """
    facility = booking.facility
    person = booking.person
    policy = policy_of(facility)
    end = starts_at + dt.timedelta(minutes=minutes)
    visitor_ids = [visitor.pk for visitor in visitors]
    others = _booked_visits(
        booking=booking, room=room, visitor_ids=visitor_ids, start=starts_at, end=end,
        exclude=exclude,
    )  # fmt: skip
    people = {booking.person_id} | {v.booking.person_id for v in others}
    groups: dict[int, set[str]] = defaultdict(set)
    for person_id, group_id in GroupMembership.objects.filter(
        ended_at__isnull=True, person_id__in=people
    ).values_list("person_id", "group_id"):
        groups[person_id].add(str(group_id))
    separations: list[rules.Separation] = []
    if room is not None:
        mine = groups[booking.person_id]
        for order in (
            SeparationOrder.objects.filter(
                _window_q(starts_at, end, until=("expires_at", "ended_at")),
                agency_id=facility.agency_id,
            )
            .filter(
                Q(person_id=booking.person_id)
                | Q(other_person_id=booking.person_id)
                | Q(group_id__in=[int(group) for group in mine])
            )
            .select_related("group")
        ):
            separations.append(
                rules.Separation(
                    starts_at=order.starts_at,
                    until=_until(order.expires_at, order.ended_at),
                    person=str(order.person_id),
                    other_person=str(order.other_person_id) if order.other_person_id else None,
                    group=str(order.group_id) if order.group_id else None,
                    group_name=order.group.name if order.group is not None else "",
                    label=order.reason,
                )
            )
    protective = _protective_orders(booking=booking, visitors=visitors, start=starts_at, end=end)
    suspensions = [
        rules.Suspension(
            starts_at=s.starts_at,
            until=_until(s.expires_at, s.lifted_at),
            reason=s.reason,
            includes_legal=s.includes_legal,
        )
        for s in VisitSuspension.objects.filter(
            _window_q(starts_at, end, until=("expires_at", "lifted_at")), booking_id=booking.pk
        ).order_by("starts_at", "id")
    ]
    wanted = ROOM_KIND_FOR_VISIT.get(kind)

    def booked_before(other: Visit) -> bool:
        if in_order_after is None:
            return True
        return (other.requested_at, other.pk) < (in_order_after.requested_at, in_order_after.pk)

    return rules.VisitFacts(
        now=now, zone=facility.timezone, kind=kind, kind_label=VisitKind(kind).label,
        unlimited=kind in UNLIMITED_KINDS, starts_at=starts_at, minutes=minutes,
        person=rules.InCustody(
            key=str(person.pk), name=person.full_name, booking_number=booking.booking_number,
            held=booking.status in OPEN_STATUSES, groups=frozenset(groups[booking.person_id]),
        ),
        visitors=_visitor_facts(booking, visitors, starts_at, end),
        policy=rules.Policy(
            length_minutes=policy.visit_length_minutes, per_day=policy.visits_per_day,
            per_week=policy.visits_per_week, visitors_per_visit=policy.visitors_per_visit,
            booking_min_hours=policy.visit_booking_min_hours,
            booking_max_days=policy.visit_booking_max_days,
        ),
        room=(
            rules.Room(
                key=str(room.pk), name=room.name, kind=room.kind,
                kind_label=RoomKind(room.kind).label.split(" (")[0], capacity=room.capacity,
                opens_at=room.opens_at, closes_at=room.closes_at, active=room.active,
            )
            if room is not None
            else None
        ),
        room_kind_wanted=wanted,
        room_kind_wanted_label=RoomKind(wanted).label.split(" (")[0] if wanted else "",
        booked=tuple(
            rules.BookedVisit(
                key=str(other.pk), booking=other.booking.booking_number,
                person=str(other.booking.person_id), person_name=other.booking.person.full_name,
                kind_label=VisitKind(other.kind).label, unlimited=other.kind in UNLIMITED_KINDS,
                room=str(other.room_id) if other.room_id else None, starts_at=other.starts_at,
                ends_at=other.ends_at,
                visitors=frozenset(str(p.visitor_id) for p in other.participants.all()),
                groups=frozenset(groups[other.booking.person_id]),
                booked_before=booked_before(other),
            )
            for other in others
        ),
        protective_orders=tuple(protective),
        separations=tuple(separations),
        suspensions=tuple(suspensions),
    )  # fmt: skip


def _with_people(visitors: Iterable[Visitor | int], *, lock: bool = False) -> list[Visitor]:
    """The visitors (or their ids) again with their persons, in the order given; locked
    when ``lock``."""
    ids = [visitor if isinstance(visitor, int) else visitor.pk for visitor in visitors]
    rows: QuerySet[Visitor] = Visitor.objects.select_related("person").filter(pk__in=ids)
    if lock:
        # Lowest id first, every writer alike: two bookings never wait on each other in turn.
        rows = rows.select_for_update(no_key=True, of=("self",)).order_by("pk")
    by_id = {visitor.pk: visitor for visitor in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def _lock(booking: Booking, room: VisitRoom | None) -> tuple[Booking, VisitRoom | None]:
    """Queue the writers of the same person and the same room, in that order.

    NO KEY: rows that point at the booking or the room (movements, audit events,
    other visits) take KEY SHARE and must not wait for a booking being made.
    """
    locked = (
        Booking.objects.select_for_update(no_key=True, of=("self",))
        .select_related("person", "facility")
        .get(pk=booking.pk)
    )
    locked_room = None
    if room is not None:
        locked_room = VisitRoom.objects.select_for_update(no_key=True).get(pk=room.pk)
    return locked, locked_room


# --- Services ----------------------------------------------------------------------------------


def visit_check(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    visitors: Sequence[Visitor],
    starts_at: dt.datetime,
    minutes: int | None = None,
    room: VisitRoom | None = None,
    exclude: Visit | None = None,
) -> list[rules.Violation]:
    """Every rule the visit would break if booked now (nothing is stored)."""
    require_perm(actor, Perm.VISIT_SCHEDULE, booking.facility)
    errors: dict[str, list[str]] = {}
    length = _validated(
        booking=booking, kind=kind, visitors=visitors, starts_at=starts_at, minutes=minutes,
        room=room, errors=errors,
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    if kind == VisitKind.IN_CELL and current_cell(booking) is None:
        raise ValidationFailed.for_fields({"kind": [NOT_HOUSED.format(person=booking.person)]})
    facts = visit_facts(
        booking=booking, kind=kind, visitors=_with_people(visitors), starts_at=starts_at,
        minutes=length, room=room, now=clock.now(), exclude=exclude,
    )  # fmt: skip
    return rules.check_visit(facts)


def visit_schedule(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    visitors: Sequence[Visitor],
    starts_at: dt.datetime,
    minutes: int | None = None,
    room: VisitRoom | None = None,
    notes: str = "",
    override_reason: str = "",
    override_conditions: str = "",
) -> Visit:
    """Book a visit, refused (409 ``visit_refused``) when it breaks a rule.

    With ``override_reason`` and ``override_conditions`` the commander lets this
    one visit go ahead despite the overridable rules it breaks.  An in-cell
    visit booked by someone who may not authorise it waits for authorisation.
    """
    facility = booking.facility
    reason, conditions = override_reason.strip(), override_conditions.strip()
    overriding = bool(reason or conditions)
    # Asked first: whoever asks to override is told it is the commander's alone.  An
    # override is someone's decision, so the system never gives one.
    if overriding and (actor is None or Perm.VISIT_OVERRIDE not in actor.perms_at(facility.pk)):
        raise PermissionDenied(OVERRIDE_NOT_ALLOWED, code="override_not_allowed")
    require_perm(actor, Perm.VISIT_SCHEDULE, facility)
    errors: dict[str, list[str]] = {}
    length = _validated(
        booking=booking, kind=kind, visitors=visitors, starts_at=starts_at, minutes=minutes,
        room=room, errors=errors,
    )  # fmt: skip
    notes = _text(notes, NOTES_LIMIT, "notes", errors)
    if overriding:
        if not reason:
            errors["override_reason"] = [OVERRIDE_REASON_NEEDED]
        if not conditions:
            errors["override_conditions"] = [OVERRIDE_CONDITIONS_NEEDED]
        _text(reason, REASON_LIMIT, "override_reason", errors)
        _text(conditions, REASON_LIMIT, "override_conditions", errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked, locked_room = _lock(booking, room)
        people = _with_people(visitors, lock=True)
        cell = None
        if kind == VisitKind.IN_CELL:
            cell = current_cell(locked)
            if cell is None:
                raise ValidationFailed.for_fields(
                    {"kind": [NOT_HOUSED.format(person=locked.person)]}
                )
        now = clock.now()
        violations = rules.check_visit(
            visit_facts(
                booking=locked,
                kind=kind,
                visitors=people,
                starts_at=starts_at,
                minutes=length,
                room=locked_room,
                now=now,
            )
        )
        if violations and not overriding:
            raise _refused(violations, violations)
        if overriding:
            if not violations:
                raise ValidationFailed.for_fields({"override_reason": [NOTHING_TO_OVERRIDE]})
            blocking = [v for v in violations if not v.overridable]
            if blocking:
                raise _refused(violations, blocking)
        authorised = kind != VisitKind.IN_CELL or (
            actor is None or Perm.VISIT_AUTHORISE in actor.perms_at(facility.pk)
        )
        visit = Visit.objects.create(
            facility=facility, booking=locked, kind=kind,
            status=VisitStatus.SCHEDULED if authorised else VisitStatus.REQUESTED,
            room=locked_room, cell=cell, starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=length), notes=notes, requested_at=now,
            requested_by=actor,
            authorised_at=now if authorised and cell is not None else None,
            authorised_by=actor if authorised and cell is not None else None,
        )  # fmt: skip
        VisitParticipant.objects.bulk_create(
            [VisitParticipant(visit=visit, visitor=visitor) for visitor in people]
        )
        audit_record(
            actor=actor, action="visit.schedule", obj=visit, facility=facility,
            object_label=_label(visit, locked),
            changes={
                "booking": locked.booking_number, "kind": kind, "status": visit.status,
                "room": locked_room.code if locked_room else None,
                "cell": cell.code if cell else None, "starts_at": starts_at,
                "ends_at": visit.ends_at, "visitors": [str(v.public_id) for v in people],
                **({"notes": notes} if notes else {}),
            },
        )  # fmt: skip
        if overriding and actor is not None:
            override = VisitOverride.objects.create(
                visit=visit, rules=rules.refused_codes(violations),
                messages=[v.message for v in violations], reason=reason, conditions=conditions,
                authorised_at=now, authorised_by=actor,
            )  # fmt: skip
            audit_record(
                actor=actor, action="visit.override", obj=visit, facility=facility,
                object_label=_label(visit, locked), reason=reason,
                changes={
                    "override": str(override.public_id), "rules": override.rules,
                    "messages": override.messages, "conditions": conditions,
                },
            )  # fmt: skip
    visit.booking = locked
    return visit


def _label(visit: Visit, booking: Booking) -> str:
    start = rules.local(visit.starts_at, booking.facility.timezone)
    return f"{booking.booking_number}: {visit.get_kind_display()} visit {start:%Y-%m-%d %H:%M}"


def _recheck(visit: Visit, visitors: Sequence[Visitor] | None) -> list[rules.Violation]:
    """The rules ``visit`` breaks now, minus those its override excuses.

    The booking window is judged from when it was booked, and only visits
    booked before it count against its limits.
    """
    booking = visit.booking
    present = (
        _with_people(visitors)
        if visitors is not None
        else [
            p.visitor
            for p in VisitParticipant.objects.filter(visit_id=visit.pk)
            .select_related("visitor__person")
            .order_by("id")
        ]
    )
    facts = visit_facts(
        booking=booking, kind=visit.kind, visitors=present, starts_at=visit.starts_at,
        minutes=visit.minutes, room=visit.room, now=visit.requested_at, exclude=visit,
        in_order_after=visit,
    )  # fmt: skip
    excused = excused_codes(visit)
    return [v for v in rules.check_visit(facts) if v.code not in excused]


def visit_violations_now(
    *, visit: Visit, visitors: Sequence[Visitor] | None = None
) -> list[rules.Violation]:
    """Check a booked visit again (at the desk: only the ``visitors`` present), minus the
    rules its override excuses."""
    return _recheck(visit, visitors)


def visit_authorise(*, actor: User | None, visit: Visit) -> Visit:
    """Authorise an in-cell visit that waits for it; the rules are checked again first."""
    booking = visit.booking
    facility = booking.facility
    require_perm(actor, Perm.VISIT_AUTHORISE, facility)
    with transaction.atomic():
        locked_booking, _ = _lock(booking, visit.room)
        _with_people(
            VisitParticipant.objects.filter(visit_id=visit.pk).values_list("visitor_id", flat=True),
            lock=True,
        )
        locked = (
            Visit.objects.select_for_update(of=("self",)).select_related("room").get(pk=visit.pk)
        )
        if locked.status != VisitStatus.REQUESTED:
            raise Conflict(
                NOT_REQUESTED.format(status=locked.get_status_display().lower()),
                code="visit_not_requested",
            )
        locked.booking = locked_booking
        violations = _recheck(locked, None)
        now = clock.now()
        if locked.starts_at <= now:
            violations.insert(
                0,
                rules.violation(
                    rules.IN_THE_PAST,
                    start=f"{rules.local(locked.starts_at, facility.timezone):%Y-%m-%d %H:%M}",
                ),
            )
        if violations:
            raise _refused(violations, violations)
        locked.status = VisitStatus.SCHEDULED
        locked.authorised_at, locked.authorised_by = now, actor
        locked.save(update_fields=["status", "authorised_at", "authorised_by"])
        audit_record(
            actor=actor, action="visit.authorise", obj=locked, facility=facility,
            object_label=_label(locked, locked_booking),
            changes={"status": [VisitStatus.REQUESTED, VisitStatus.SCHEDULED]},
        )  # fmt: skip
    return locked


def visit_cancel(*, actor: User | None, visit: Visit, reason: str) -> Visit:
    """Cancel a visit not yet under way, with the reason (the desk may cancel one checked in)."""
    booking = visit.booking
    facility = booking.facility
    # Refused at the desk: whoever works the desk may call off a visit checked in.
    at_the_desk = (
        visit.status == VisitStatus.CHECKED_IN
        and actor is not None
        and Perm.VISIT_OPERATE in actor.perms_at(facility.pk)
    )
    if not at_the_desk:
        require_perm(actor, Perm.VISIT_SCHEDULE, facility)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, 500, "reason", errors)
    if not reason:
        errors.setdefault("reason", []).append(REASON_NEEDED)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if VisitStatus.CANCELLED not in VISIT_TRANSITIONS[locked.status]:
            raise Conflict(
                NOT_CANCELLABLE.format(status=locked.get_status_display().lower()),
                code="visit_not_cancellable",
            )
        before = locked.status
        locked.status = VisitStatus.CANCELLED
        locked.cancelled_at, locked.cancelled_by, locked.cancel_reason = clock.now(), actor, reason
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_record(
            actor=actor, action="visit.cancel", obj=locked, facility=facility, reason=reason,
            object_label=_label(locked, booking),
            changes={"status": [before, VisitStatus.CANCELLED]},
        )  # fmt: skip
    locked.booking = booking
    return locked
