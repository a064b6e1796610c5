"""The visit rule book over plain facts: every rule, its message, and who is exempt."""

from __future__ import annotations

import dataclasses
import datetime as dt

from cellblock.visits import rules
from cellblock.visits.rules import (
    Ban,
    BookedVisit,
    InCustody,
    Policy,
    ProtectiveOrder,
    Room,
    Separation,
    Suspension,
    Violation,
    VisitFacts,
    VisitorFacts,
    check_visit,
)

# Saturday noon; tomorrow at 14:00 is inside the booking window and the room's hours.
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 3, 15, 14, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)

KAKASHI = InCustody(key="1", name="Kakashi Hatake", booking_number="TST-2026-000001")
INO = VisitorFacts(key="10", person="20", name="Ino Yamanaka", born=dt.date(1990, 9, 23))
ROOM = Room(
    key="5", name="Visit room 1", kind="contact", kind_label="Contact", capacity=2,
    opens_at=dt.time(8), closes_at=dt.time(20),
)  # fmt: skip


def facts(**changes: object) -> VisitFacts:
    base = VisitFacts(
        now=NOW, zone="UTC", kind="contact", kind_label="Contact", unlimited=False,
        starts_at=START, minutes=30, person=KAKASHI, visitors=(INO,), policy=Policy(),
        room=ROOM, room_kind_wanted="contact", room_kind_wanted_label="Contact",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def legal(**changes: object) -> VisitFacts:
    room = dataclasses.replace(ROOM, kind="legal", kind_label="Legal", name="Counsel room")
    return facts(
        kind="legal", kind_label="Legal", unlimited=True, room=room, room_kind_wanted="legal",
        room_kind_wanted_label="Legal", **changes,
    )  # fmt: skip


def booked(
    *,
    key: str = "99",
    person: InCustody = KAKASHI,
    starts_at: dt.datetime = START,
    minutes: int = 30,
    room: str | None = ROOM.key,
    visitors: frozenset[str] = frozenset({"11"}),
    unlimited: bool = False,
    groups: frozenset[str] = frozenset(),
    booked_before: bool = True,
) -> BookedVisit:
    return BookedVisit(
        key=key, booking=person.booking_number, person=person.key, person_name=person.name,
        kind_label="Legal" if unlimited else "Contact", unlimited=unlimited, room=room,
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
        visitors=visitors, groups=groups, booked_before=booked_before,
    )  # fmt: skip


NARUTO = InCustody(key="2", name="Naruto Uzumaki", booking_number="TST-2026-000002")


def codes(given: VisitFacts) -> list[str]:
    return [v.code for v in check_visit(given)]


def only(given: VisitFacts) -> Violation:
    found = check_visit(given)
    assert len(found) == 1, found
    return found[0]


def test_a_visit_inside_every_rule_breaks_none():
    assert check_visit(facts()) == []


def test_every_rule_is_overridable_or_not_and_has_a_title():
    assert rules.OVERRIDABLE.isdisjoint(rules.NOT_OVERRIDABLE)
    assert set(rules.TITLES) == rules.OVERRIDABLE | rules.NOT_OVERRIDABLE
    assert rules.UNLIMITED_EXEMPT <= rules.OVERRIDABLE


def test_a_violation_reads_as_a_dict():
    found = only(facts(minutes=45))
    assert found.as_dict() == {
        "code": "visit_too_long",
        "message": "Visit length: 45 minutes asked; the limit is 30 minutes.",
        "overridable": True,
    }


# --- Who may visit whom ------------------------------------------------------------------


def test_a_protective_order_protecting_the_visitor_refuses_naming_the_order():
    order = ProtectiveOrder(starts_at=NOW - HOUR, protected_person=INO.person, label="KON-CR-7")
    found = only(facts(protective_orders=(order,)))
    assert found.code == "protective_order"
    assert found.overridable
    assert found.message == (
        "Protective order: Ino Yamanaka is protected by a no-contact order against "
        "Kakashi Hatake (KON-CR-7)."
    )


def test_a_protective_order_over_before_the_visit_or_for_someone_else_does_not_refuse():
    expired = ProtectiveOrder(starts_at=NOW - HOUR, until=START, protected_person=INO.person)
    later = ProtectiveOrder(starts_at=START + HOUR, protected_person=INO.person)
    other = ProtectiveOrder(starts_at=NOW - HOUR, protected_person="777")
    assert codes(facts(protective_orders=(expired, later, other))) == []


def test_a_ban_in_force_at_the_visit_refuses_with_its_reason_and_expiry():
    ino = dataclasses.replace(
        INO, bans=(Ban(starts_at=NOW, until=START + 24 * HOUR, reason="smuggling"),)
    )
    found = only(facts(visitors=(ino,)))
    assert found.message == (
        "Visitor banned: Ino Yamanaka is banned from the facility until 2026-03-16 14:00: "
        "smuggling."
    )


def test_a_ban_lifted_before_the_visit_does_not_refuse():
    ino = dataclasses.replace(INO, bans=(Ban(starts_at=NOW - HOUR, until=NOW, reason="x"),))
    assert codes(facts(visitors=(ino,))) == []


def test_a_visitor_not_approved_is_refused_naming_the_registry_status():
    ino = dataclasses.replace(INO, approved=False, status_label="Pending approval")
    assert only(facts(visitors=(ino,))).message == (
        "Visitor not approved: Ino Yamanaka is not an approved visitor (registry: pending "
        "approval)."
    )


def test_a_visitor_not_on_the_visiting_list_is_refused():
    ino = dataclasses.replace(INO, on_list=False)
    assert only(facts(visitors=(ino,))).message == (
        "Visiting list: Ino Yamanaka is not on the approved visiting list of Kakashi Hatake."
    )


def test_a_visitor_held_in_custody_cannot_visit():
    ino = dataclasses.replace(INO, held_as="TST-2026-000009")
    found = only(facts(visitors=(ino,)))
    assert (found.code, found.overridable) == ("visitor_in_custody", False)


def test_a_person_no_longer_held_cannot_be_visited():
    found = only(facts(person=dataclasses.replace(KAKASHI, held=False)))
    assert (found.code, found.overridable) == ("not_in_custody", False)
    assert (
        found.message
        == "Not in custody: Kakashi Hatake (TST-2026-000001) is not held here any more."
    )


def test_a_visit_needs_a_visitor():
    found = only(facts(visitors=()))
    assert (found.code, found.overridable) == ("no_visitors", False)


def test_suspended_visits_refuse_social_visits_but_not_legal_ones_unless_said():
    suspension = Suspension(starts_at=NOW, until=None, reason="assault on an officer")
    found = only(facts(suspensions=(suspension,)))
    assert found.message == (
        "Visits suspended: the visits of Kakashi Hatake are suspended until further notice: "
        "assault on an officer."
    )
    assert codes(legal(suspensions=(suspension,))) == []
    with_legal = dataclasses.replace(suspension, includes_legal=True)
    assert codes(legal(suspensions=(with_legal,))) == ["visits_suspended"]


# --- Minors -------------------------------------------------------------------------------


SAKURA = VisitorFacts(
    key="12", person="22", name="Sakura Haruno", born=dt.date(2010, 3, 28),
    guardians=frozenset({"13"}), guardian_names=("Mebuki Haruno",),
)  # fmt: skip
MEBUKI = VisitorFacts(key="13", person="23", name="Mebuki Haruno", born=dt.date(1984, 5, 1))


def test_a_minor_alone_is_refused_naming_their_age_and_registered_guardians():
    found = only(facts(visitors=(SAKURA,)))
    assert (found.code, found.overridable) == ("minor_without_guardian", True)
    assert found.message == (
        "Minor visitor: Sakura Haruno is 15 and comes without a parent or guardian "
        "(registered: Mebuki Haruno)."
    )


def test_a_minor_with_a_registered_guardian_may_visit():
    assert codes(facts(visitors=(SAKURA, MEBUKI))) == []


def test_a_minor_with_an_adult_who_is_not_their_guardian_is_refused():
    assert codes(facts(visitors=(SAKURA, INO))) == ["minor_without_guardian"]


def test_a_minor_without_any_guardian_on_record_is_told_so():
    alone = dataclasses.replace(SAKURA, guardians=frozenset(), guardian_names=())
    assert only(facts(visitors=(alone,))).message.endswith("(registered: none).")


def test_someone_eighteen_on_the_local_day_of_the_visit_is_an_adult():
    turning = dataclasses.replace(SAKURA, born=dt.date(2008, 3, 15))
    assert codes(facts(visitors=(turning,))) == []
    day_before = dataclasses.replace(SAKURA, born=dt.date(2008, 3, 16))
    late = START.replace(hour=15, minute=30)
    assert codes(facts(visitors=(day_before,), starts_at=late)) == ["minor_without_guardian"]
    # 15:30 UTC is 00:30 the next day in Tokyo: the birthday has come there.
    tokyo_room = dataclasses.replace(ROOM, opens_at=dt.time(0), closes_at=dt.time(23, 59))
    in_tokyo = facts(visitors=(day_before,), starts_at=late, zone="Asia/Tokyo", room=tokyo_room)
    assert codes(in_tokyo) == []


# --- Keep-separate orders ----------------------------------------------------------------


def test_a_keep_separate_order_refuses_meeting_in_the_same_room_at_the_same_time():
    order = Separation(starts_at=NOW - HOUR, person="1", other_person="2", label="co-defendants")
    naruto_visit = booked(person=NARUTO, starts_at=START + dt.timedelta(minutes=15))
    found = only(facts(separations=(order,), booked=(naruto_visit,)))
    assert (found.code, found.overridable) == ("keep_separate", True)
    assert found.message == (
        "Keep separate: Kakashi Hatake and Naruto Uzumaki are under a keep-separate order "
        "(co-defendants), and Naruto Uzumaki has a visit in Visit room 1 from 14:15 to 14:45."
    )


def test_a_keep_separate_order_between_two_others_or_in_another_room_or_time_does_not_refuse():
    order = Separation(starts_at=NOW - HOUR, person="1", other_person="2")
    elsewhere = booked(person=NARUTO, room="6")
    later = booked(person=NARUTO, starts_at=START + dt.timedelta(minutes=30))
    assert codes(facts(separations=(order,), booked=(elsewhere, later))) == []
    stranger = dataclasses.replace(NARUTO, key="3")
    assert codes(facts(separations=(order,), booked=(booked(person=stranger),))) == []


def test_a_group_order_keeps_the_person_from_every_member_of_the_group():
    order = Separation(
        starts_at=NOW - HOUR, person="1", group="40", group_name="Akatsuki", label="rivals"
    )
    member = booked(person=NARUTO, groups=frozenset({"40"}))
    found = only(facts(separations=(order,), booked=(member,)))
    assert found.message == (
        "Keep separate: Kakashi Hatake and Naruto Uzumaki are kept apart (Kakashi Hatake from "
        "the members of Akatsuki: rivals), and Naruto Uzumaki has a visit in Visit room 1 from "
        "14:00 to 14:30."
    )
    # And the other way round: a member of the group meets the person the order names.
    reverse = Separation(
        starts_at=NOW - HOUR, person="2", group="40", group_name="Akatsuki", label="rivals"
    )
    mine = facts(
        person=dataclasses.replace(KAKASHI, groups=frozenset({"40"})),
        separations=(reverse,), booked=(booked(person=NARUTO),),
    )  # fmt: skip
    assert only(mine).message.startswith(
        "Keep separate: Kakashi Hatake and Naruto Uzumaki are kept apart (Naruto Uzumaki from "
        "the members of Akatsuki: rivals)"
    )


def test_an_in_cell_visit_meets_nobody_in_a_room():
    order = Separation(starts_at=NOW - HOUR, person="1", other_person="2")
    in_cell = facts(
        kind="in_cell", kind_label="In cell", room=None, room_kind_wanted=None,
        separations=(order,), booked=(booked(person=NARUTO),),
    )  # fmt: skip
    assert codes(in_cell) == []


# --- Rooms and clashes ------------------------------------------------------------------


def test_a_full_room_refuses_and_cannot_be_overridden():
    others = (
        booked(key="a", person=NARUTO),
        booked(key="b", person=dataclasses.replace(NARUTO, key="3"), minutes=60),
    )
    found = only(facts(booked=others))
    assert (found.code, found.overridable) == ("room_full", False)
    assert found.message == (
        "Room capacity: Visit room 1 already holds 2 visits then (14:00 to 14:30); its "
        "capacity is 2."
    )


def test_visits_one_after_the_other_do_not_fill_a_room():
    first = booked(key="a", person=NARUTO, starts_at=START - dt.timedelta(minutes=30))
    second = booked(key="b", person=NARUTO, starts_at=START + dt.timedelta(minutes=30))
    third = booked(key="c", person=dataclasses.replace(NARUTO, key="3"))
    assert codes(facts(booked=(first, second, third))) == []
    assert rules.most_at_once(
        [(first.starts_at, first.ends_at), (third.starts_at, third.ends_at)],
        START - HOUR, START + HOUR,
    ) == 1  # fmt: skip


def test_a_visit_outside_the_rooms_local_hours_is_refused():
    late = START.replace(hour=19, minute=45)
    found = only(facts(starts_at=late))
    assert (found.code, found.overridable) == ("room_closed", False)
    assert found.message == (
        "Room hours: Visit room 1 is open from 08:00 to 20:00; the visit runs from "
        "2026-03-15 19:45 to 20:15."
    )
    # New York keeps summer time from 8 March: 13:00 UTC is 09:00 there, 11:00 UTC is 07:00.
    monday = START + 24 * HOUR
    assert codes(facts(starts_at=monday.replace(hour=13), zone="America/New_York")) == []
    assert codes(facts(starts_at=monday.replace(hour=11), zone="America/New_York")) == [
        "room_closed"
    ]


def test_a_room_out_of_use_is_closed():
    found = only(facts(room=dataclasses.replace(ROOM, active=False)))
    assert found.message == "Room hours: Visit room 1 is not in use."


def test_a_visit_kind_takes_its_own_kind_of_room():
    booths = dataclasses.replace(ROOM, kind="non_contact", kind_label="Non-contact", name="Booths")
    found = only(facts(room=booths))
    assert (found.code, found.overridable) == ("room_kind", False)
    assert found.message == (
        "Room kind: a contact visit takes a contact room; Booths is a non-contact room."
    )


def test_a_visitor_on_another_visit_then_is_busy():
    other = booked(person=NARUTO, visitors=frozenset({INO.key}), room="6", minutes=60,
                   starts_at=START - dt.timedelta(minutes=30))  # fmt: skip
    found = only(facts(booked=(other,)))
    assert (found.code, found.overridable) == ("visitor_busy", False)
    assert found.message == (
        "Visitor busy: Ino Yamanaka is on another visit then (Naruto Uzumaki, 13:30 to 14:30)."
    )


def test_the_person_on_another_visit_then_is_busy_even_a_legal_one():
    counsel = booked(unlimited=True, room="7", starts_at=START + dt.timedelta(minutes=20))
    found = only(facts(booked=(counsel,)))
    assert (found.code, found.overridable) == ("person_busy", False)
    assert (
        found.message
        == "Another visit: Kakashi Hatake has another visit then (legal, 14:20 to 14:50)."
    )


# --- Time and the booking window -------------------------------------------------------


def test_a_visit_in_the_past_is_refused_and_nothing_else_about_time_is_said():
    found = only(facts(starts_at=NOW - HOUR))
    assert (found.code, found.overridable) == ("in_the_past", False)


def test_a_visit_booked_less_than_the_notice_period_ahead_is_refused():
    found = only(facts(starts_at=NOW + 3 * HOUR))
    assert found.message == (
        "Booking notice: the visit starts at 2026-03-14 15:00, 3 hours from now; visits are "
        "booked at least 24 hours ahead."
    )
    assert (
        only(facts(starts_at=NOW + 23.5 * HOUR)).message.split(", ")[1]
        == "23.5 hours from now; visits are booked at least 24 hours ahead."
    )


def test_a_visit_booked_too_far_ahead_is_refused():
    found = only(facts(starts_at=START + dt.timedelta(days=14)))
    assert found.message == (
        "Booking horizon: the visit starts on 2026-03-29, 15 days from now; visits are booked "
        "at most 14 days ahead."
    )
    assert codes(facts(starts_at=NOW + dt.timedelta(days=14))) == []


# --- The policy numbers --------------------------------------------------------------------


def test_too_many_visitors_are_refused():
    three = (INO, MEBUKI, dataclasses.replace(INO, key="14", name="Choji Akimichi"))
    assert only(facts(visitors=three)).message == (
        "Visitors per visit: 3 visitors; the limit is 2 per visit."
    )


def test_a_second_visit_on_the_same_local_day_is_refused_naming_the_limit():
    earlier = booked(room="6", starts_at=START - 4 * HOUR)
    assert only(facts(booked=(earlier,))).message == (
        "Visits per day: Kakashi Hatake already has 1 visit on 2026-03-15; the limit is 1."
    )


def test_the_day_is_the_facilitys_local_day():
    night = booked(room="6", starts_at=dt.datetime(2026, 3, 14, 23, 30, tzinfo=dt.UTC))
    tokyo_room = dataclasses.replace(ROOM, opens_at=dt.time(0), closes_at=dt.time(23, 59))
    assert codes(facts(booked=(night,), room=tokyo_room)) == []
    # 23:30 UTC on the 14th is 08:30 on the 15th in Tokyo, the day of the visit (23:00 there).
    assert codes(facts(booked=(night,), room=tokyo_room, zone="Asia/Tokyo")) == ["visits_per_day"]


def test_the_week_runs_monday_to_sunday():
    policy = Policy(per_day=5, per_week=3)
    monday = dt.datetime(2026, 3, 16, 10, tzinfo=dt.UTC)
    week = tuple(booked(key=str(n), room="6", starts_at=monday + n * 24 * HOUR) for n in range(3))
    thursday = monday + 3 * 24 * HOUR + 4 * HOUR
    found = only(facts(policy=policy, booked=week, starts_at=thursday))
    assert found.message == (
        "Visits per week: Kakashi Hatake already has 3 visits in the week of 2026-03-16 to "
        "2026-03-22; the limit is 3."
    )
    next_monday = monday + 7 * 24 * HOUR
    assert codes(facts(policy=policy, booked=week, starts_at=next_monday)) == []


def test_visits_of_other_people_do_not_count_against_the_limits():
    assert codes(facts(booked=(booked(person=NARUTO, room="6", starts_at=START - 4 * HOUR),))) == []


def test_a_longer_visit_than_the_policy_allows_is_refused():
    assert codes(facts(minutes=31)) == ["visit_too_long"]


# --- Legal and official visits ----------------------------------------------------------


def test_legal_visits_are_exempt_from_the_limits_and_the_visiting_list():
    counsel = dataclasses.replace(INO, on_list=False)
    third = dataclasses.replace(INO, key="15", person="25", name="Shikaku Nara")
    # Four social visits that day already (16:00 to 19:00), all after the legal one.
    day_full = tuple(booked(key=str(n), room="6", starts_at=NOW + (n + 4) * HOUR) for n in range(4))
    given = legal(
        visitors=(counsel, MEBUKI, third), minutes=90, starts_at=NOW + 2 * HOUR,
        booked=day_full,
    )  # fmt: skip
    assert codes(given) == []


def test_legal_visits_do_not_count_against_social_visits():
    counsel_visits = tuple(
        booked(key=str(n), room="7", unlimited=True, starts_at=START - (n + 2) * HOUR)
        for n in range(3)
    )
    assert codes(facts(booked=counsel_visits)) == []


def test_legal_visits_are_still_held_to_the_horizon_the_rooms_and_the_orders():
    order = ProtectiveOrder(starts_at=NOW, protected_person=INO.person, label="KON-1")
    assert codes(legal(starts_at=NOW + dt.timedelta(days=20))) == ["booked_too_far_ahead"]
    assert codes(legal(protective_orders=(order,))) == ["protective_order"]


# --- Checking a booked visit again ----------------------------------------------------------


def test_visits_booked_later_do_not_count_when_a_visit_is_checked_again():
    # A second visit that day went ahead on the commander's override; the first stays lawful.
    later = booked(room="6", starts_at=START + 3 * HOUR, booked_before=False)
    assert codes(facts(booked=(later,))) == []
    order = Separation(starts_at=NOW - HOUR, person="1", other_person="2")
    overridden = booked(person=NARUTO, booked_before=False)
    assert codes(facts(separations=(order,), booked=(overridden,))) == []


def test_rules_that_cannot_be_overridden_come_first():
    found = check_visit(facts(minutes=45, room=dataclasses.replace(ROOM, active=False)))
    assert [(v.code, v.overridable) for v in found] == [
        ("room_closed", False),
        ("visit_too_long", True),
    ]
