"""Care alerts: medical tells custody what to do, and the flags they set feed housing and rounds."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.models import Flag, FlagKind, FlagOrigin
from cellblock.classification.services import (
    FLAG_DERIVED,
    HOW_DERIVED,
    flag_derived_lift,
    flag_lift,
    flag_set,
)
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.custody.selectors.rounds import Level, observation_board
from cellblock.housing.models import HousingReview
from cellblock.housing.rules import CARE_NEED_UNMET
from cellblock.housing.selectors import placement_verdict
from cellblock.housing.services import bed_assign
from cellblock.medical.models import CareAlert, CareAlertKind
from cellblock.medical.screening import WATCH_INSTRUCTIONS
from cellblock.medical.selectors.care import (
    CARE_ALERT_TONE,
    care_alerts_in_force,
    care_alerts_of,
)
from cellblock.medical.services import care_alerts as service
from cellblock.medical.services.care_alerts import care_alert_end, care_alert_set
from cellblock.medical.tests.conftest import NOW
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(admit) -> Booking:
    """Itachi Uchiha, an adult in custody, screened clear and housed in A1-1's lower bunk."""
    return admit(given_name="Itachi", born=dt.date(1990, 6, 9))


def bed(site, code: str, cell: int = 0):
    return site.cells[cell].beds.get(code=code)


def level_on_rounds(site, booking: Booking) -> str:
    rows = observation_board(site.facility, core_clock.now())
    return next(row.level for row in rows if row.booking == booking)


def flag_of(alert: CareAlert) -> Flag:
    """The flag an alert set (the alert's kind sets one)."""
    assert alert.flag is not None
    return alert.flag


def active_flags(booking: Booking) -> list[tuple[str, str, str]]:
    return sorted(
        (flag.kind, flag.detail, flag.origin)
        for flag in Flag.objects.filter(booking=booking, lifted_at__isnull=True)
    )


# --- Setting an alert ------------------------------------------------------------------------


def test_a_lower_bunk_alert_tells_custody_and_sets_a_medical_need_flag(held, medic, clock):
    alert = care_alert_set(actor=medic, booking=held, kind=CareAlertKind.LOWER_BUNK)

    assert (alert.instruction, alert.set_by, alert.set_at) == ("Lower bunk only.", medic, NOW)
    assert alert.flag is not None
    assert (alert.flag.kind, alert.flag.detail, alert.flag.origin, alert.flag.set_by) == (
        FlagKind.MEDICAL_NEED, "lower-bunk", FlagOrigin.MEDICAL, medic,
    )  # fmt: skip
    assert alert.flag.reason == "Care alert from medical: Lower bunk."


@pytest.mark.parametrize(
    ("kind", "level", "flag"),
    [
        (CareAlertKind.SUICIDE_WATCH, "at_risk", (FlagKind.SUICIDE_RISK, "at_risk")),
        (CareAlertKind.SUICIDE_WATCH, "constant", (FlagKind.SUICIDE_RISK, "constant")),
        (CareAlertKind.LOWER_BUNK, "", (FlagKind.MEDICAL_NEED, "lower-bunk")),
        (CareAlertKind.MEDICAL_MONITORING, "", (FlagKind.MEDICAL_NEED, "medical-monitoring")),
        (CareAlertKind.WHEELCHAIR_CELL, "", (FlagKind.DISABILITY_NEED, "wheelchair-cell")),
        (CareAlertKind.NEAR_MEDICAL, "", (FlagKind.MEDICAL_NEED, "near-medical")),
        (CareAlertKind.MONITOR_MEALS, "", None),
        (CareAlertKind.RESTRAINT_LIMIT, "", None),
    ],
)
def test_each_kind_sets_its_flag_or_none(held, medic, kind, level, flag):
    alert = care_alert_set(actor=medic, booking=held, kind=kind, level=level)

    assert alert.instruction
    if flag is None:
        assert alert.flag is None
    else:
        assert (flag_of(alert).kind, flag_of(alert).detail) == flag


def test_a_suicide_watch_instruction_follows_its_level(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="suicide_watch")

    assert (alert.level, alert.instruction) == (
        "suicide_watch",
        WATCH_INSTRUCTIONS["suicide_watch"],
    )


def test_the_medic_may_write_the_instruction(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="other",
                           instruction="  Allow a second blanket.  ")  # fmt: skip

    assert alert.instruction == "Allow a second blanket."
    assert str(alert) == "Other instruction: Allow a second blanket."


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({"kind": "hug"}, {"kind": [f"must be one of {', '.join(CareAlertKind.values)}."]}),
        ({"kind": "other"}, {"instruction": [service.INSTRUCTION_NEEDED]}),
        ({"kind": "other", "instruction": "x" * 301},
         {"instruction": [service.INSTRUCTION_TOO_LONG]}),
        ({"kind": "suicide_watch"},
         {"level": [service.LEVEL_NEEDED.format(levels="at_risk, suicide_watch, constant")]}),
        ({"kind": "suicide_watch", "level": "hourly"},
         {"level": [service.LEVEL_NEEDED.format(levels="at_risk, suicide_watch, constant")]}),
        ({"kind": "lower_bunk", "level": "constant"},
         {"level": [service.LEVEL_ONLY_FOR_WATCH.format(kind="lower bunk")]}),
        ({"kind": "lower_bunk", "until": NOW - dt.timedelta(minutes=1)},
         {"until": [service.UNTIL_IN_PAST]}),
        ({"kind": "lower_bunk", "until": NOW.replace(tzinfo=None) + dt.timedelta(days=1)},
         {"until": [service.NAIVE_TIME]}),
    ],
)  # fmt: skip
def test_a_bad_alert_is_refused_naming_the_field_and_rule(held, medic, clock, given, fields):
    with pytest.raises(ValidationFailed) as caught:
        care_alert_set(actor=medic, booking=held, **given)

    assert caught.value.extra["fields"] == fields
    assert not CareAlert.objects.exists()


def test_one_alert_of_a_flagged_kind_at_a_time(held, medic, clock):
    first = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="at_risk")

    with pytest.raises(Conflict) as caught:
        care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="constant")

    assert caught.value.code == "care_alert_exists"
    assert caught.value.extra == {"care_alert_id": str(first.public_id)}
    assert caught.value.message == service.CARE_ALERT_EXISTS.format(
        person=held.person, kind="suicide watch", when=NOW.date()
    )


def test_other_instructions_may_stand_side_by_side_but_not_twice(held, medic):
    care_alert_set(actor=medic, booking=held, kind="other", instruction="Allow a second blanket.")
    care_alert_set(actor=medic, booking=held, kind="other", instruction="Soft food only.")

    with pytest.raises(Conflict) as caught:
        care_alert_set(actor=medic, booking=held, kind="other", instruction="Soft food only.")

    assert caught.value.code == "care_alert_exists"
    assert CareAlert.objects.filter(booking=held).count() == 2


def test_a_flag_staff_already_set_is_not_set_twice(held, medic, commander):
    by_hand = flag_set(actor=commander, booking=held, kind=FlagKind.MEDICAL_NEED,
                       detail="lower-bunk", reason="Bad knee, seen at booking.")  # fmt: skip

    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")

    assert alert.flag is None
    assert active_flags(held) == [(FlagKind.MEDICAL_NEED, "lower-bunk", FlagOrigin.STAFF)]

    care_alert_end(actor=medic, alert=alert, reason="Knee healed.")

    by_hand.refresh_from_db()
    assert by_hand.lifted_at is None


def test_a_closed_booking_takes_no_alert(site, medic):
    person = person_create(actor=None, facility=site.facility, given_name="Naruto",
                           family_name="Uzumaki", sex="male")  # fmt: skip
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    booking_transition(actor=None, booking=booking, to=BookingStatus.CANCELLED,
                       reason="Opened by mistake.")  # fmt: skip

    with pytest.raises(Conflict) as caught:
        care_alert_set(actor=medic, booking=booking, kind="lower_bunk")

    assert caught.value.code == "booking_closed"


# --- Ending an alert ---------------------------------------------------------------------------


def test_ending_an_alert_lifts_its_flag(held, medic, second_medic, clock):
    alert = care_alert_set(actor=medic, booking=held, kind="medical_monitoring")
    clock.shift(dt.timedelta(hours=2))

    ended = care_alert_end(actor=second_medic, alert=alert, reason="  No longer needed.  ")

    assert (ended.ended_at, ended.ended_by, ended.end_reason) == (
        NOW + dt.timedelta(hours=2), second_medic, "No longer needed.",
    )  # fmt: skip
    flag = Flag.objects.get(pk=flag_of(alert).pk)
    assert (flag.lifted_at, flag.lifted_by) == (ended.ended_at, second_medic)
    assert flag.lift_reason == "Medical ended the care alert (Medical monitoring)."
    assert care_alerts_of(held) == []


def test_an_alert_ends_once(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")
    care_alert_end(actor=medic, alert=alert, reason="Healed.")

    with pytest.raises(Conflict) as caught:
        care_alert_end(actor=medic, alert=alert, reason="Again.")

    assert caught.value.code == "care_alert_ended"


def test_ending_needs_a_reason(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")

    with pytest.raises(ValidationFailed) as caught:
        care_alert_end(actor=medic, alert=alert, reason=" ")

    assert caught.value.extra["fields"] == {"reason": [service.END_REASON_NEEDED]}


def test_a_reason_longer_than_the_record_holds_is_refused_not_cut(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")

    with pytest.raises(ValidationFailed) as caught:
        care_alert_end(actor=medic, alert=alert, reason="x" * 501)

    assert set(caught.value.extra["fields"]) == {"reason"}
    alert.refresh_from_db()
    assert alert.ended_at is None


def test_an_ended_kind_may_be_set_again(held, medic):
    first = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="constant")
    care_alert_end(actor=medic, alert=first, reason="Stepped down to at risk.")

    again = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="at_risk")

    assert active_flags(held) == [(FlagKind.SUICIDE_RISK, "at_risk", FlagOrigin.MEDICAL)]
    assert again.flag != first.flag


def test_an_alert_with_an_end_time_lapses_with_its_flag(held, medic, clock):
    until = NOW + dt.timedelta(days=2)
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk", until=until)
    assert flag_of(alert).until == until

    clock.shift(dt.timedelta(days=3))

    assert care_alerts_of(held) == []
    renewed = care_alert_set(actor=medic, booking=held, kind="lower_bunk")
    alert.refresh_from_db()
    assert (alert.ended_at, alert.end_reason, alert.ended_by) == (until, "expired", None)
    assert care_alerts_of(held) == [renewed]
    assert active_flags(held) == [(FlagKind.MEDICAL_NEED, "lower-bunk", FlagOrigin.MEDICAL)]


# --- The flags it sets are derived ----------------------------------------------------------


def test_staff_cannot_lift_a_flag_a_care_alert_set(held, medic, commander):
    alert = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="constant")

    with pytest.raises(Conflict) as caught:
        flag_lift(actor=commander, flag=flag_of(alert), reason="Seems fine to me.")

    assert caught.value.code == "flag_derived"
    assert caught.value.message == FLAG_DERIVED.format(
        flag="Suicide risk", origin="medical care alert", how=HOW_DERIVED[FlagOrigin.MEDICAL]
    )
    assert Flag.objects.get(pk=flag_of(alert).pk).lifted_at is None


def test_a_staff_flag_is_not_lifted_as_a_derived_one(held, commander):
    by_hand = flag_set(actor=commander, booking=held, kind=FlagKind.MEDICAL_NEED,
                       detail="lower-bunk", reason="Bad knee.")  # fmt: skip

    with pytest.raises(Conflict) as caught:
        flag_derived_lift(actor=None, flag=by_hand, reason="Medical ended it.")

    assert caught.value.code == "flag_not_derived"


def test_lifting_a_derived_flag_twice_leaves_the_first_lift(held, medic, clock):
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")
    first = flag_derived_lift(actor=medic, flag=flag_of(alert), reason="Ended.")
    clock.shift(dt.timedelta(hours=1))

    again = flag_derived_lift(actor=None, flag=flag_of(alert), reason="Ended again.")

    assert (again.lifted_at, again.lift_reason) == (first.lifted_at, "Ended.")


# --- Rounds and the rule book ---------------------------------------------------------------


def test_a_suicide_watch_sets_the_observation_level_on_rounds_until_it_ends(site, held, medic):
    assert level_on_rounds(site, held) == Level.GENERAL

    alert = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="suicide_watch")
    assert level_on_rounds(site, held) == Level.SUICIDE_WATCH

    care_alert_end(actor=medic, alert=alert, reason="Assessed by the psychiatrist.")
    assert level_on_rounds(site, held) == Level.GENERAL


def test_a_constant_watch_is_constant_observation_on_rounds(site, held, medic):
    care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="constant")

    assert level_on_rounds(site, held) == Level.CONSTANT


def test_a_lower_bunk_alert_makes_an_upper_bunk_break_the_rule_book(site, held, medic):
    upper = bed(site, "B2", cell=1)
    assert placement_verdict(held, upper, core_clock.now()).lawful

    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")

    verdict = placement_verdict(held, upper, core_clock.now())
    assert [v.code for v in verdict.hard] == [CARE_NEED_UNMET]
    assert "needs a lower bunk" in verdict.hard[0].message
    assert placement_verdict(held, bed(site, "B1", cell=1), core_clock.now()).lawful
    with pytest.raises(Conflict) as caught:
        bed_assign(actor=None, booking=held, bed=upper)
    assert caught.value.code == "housing_rule"

    care_alert_end(actor=medic, alert=alert, reason="Knee healed.")
    assert placement_verdict(held, upper, core_clock.now()).lawful


def test_a_person_in_an_upper_bunk_is_put_on_the_housing_alerts_and_off_again(site, admit, medic):
    person = admit("Hyuga", given_name="Neji", born=dt.date(1991, 7, 3), housed=False)
    bed_assign(actor=None, booking=person, bed=bed(site, "B2", cell=1))

    alert = care_alert_set(actor=medic, booking=person, kind="lower_bunk")

    review = HousingReview.objects.get(booking=person, resolved_at__isnull=True)
    assert review.code == CARE_NEED_UNMET

    care_alert_end(actor=medic, alert=alert, reason="Knee healed.")
    review.refresh_from_db()
    assert review.resolved_at is not None


# --- Who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["officer", "supervisor", "commander", "booking_clerk", "auditor", "outsider"]
)
def test_only_medical_staff_set_or_end_a_care_alert(persona, held, medic, request):
    actor = request.getfixturevalue(persona)
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")

    with pytest.raises(PermissionDenied) as setting:
        care_alert_set(actor=actor, booking=held, kind="monitor_meals")
    with pytest.raises(PermissionDenied) as ending:
        care_alert_end(actor=actor, alert=alert, reason="I say so.")

    for caught in (setting, ending):
        assert (caught.value.status, caught.value.code) == (403, "missing_role")
    assert CareAlert.objects.filter(booking=held, ended_at__isnull=True).count() == 1


def test_the_system_may_set_and_end_an_alert(held):
    alert = care_alert_set(actor=None, booking=held, kind="near_medical")
    ended = care_alert_end(actor=None, alert=alert, reason="Moved.")

    assert (ended.set_by, ended.ended_by) == (None, None)


# --- The audit log -----------------------------------------------------------------------------


def test_setting_and_ending_are_audited_with_custody_facts_only(held, medic):
    alert = care_alert_set(actor=medic, booking=held, kind="suicide_watch", level="at_risk")
    care_alert_end(actor=medic, alert=alert, reason="Reviewed.")

    set_event = AuditEvent.objects.get(action="carealert.set")
    end_event = AuditEvent.objects.get(action="carealert.end")
    assert set_event.actor == end_event.actor == medic
    assert set_event.object_id == end_event.object_id == str(alert.public_id)
    assert set_event.changes == {
        "booking": held.booking_number, "kind": "suicide_watch", "level": "at_risk",
        "instruction": WATCH_INSTRUCTIONS["at_risk"], "until": None,
        "flag": str(flag_of(alert).public_id), "screening": None,
    }  # fmt: skip
    assert end_event.reason == "Reviewed."
    assert end_event.changes["kind"] == "suicide_watch"
    flag_events = AuditEvent.objects.filter(
        action__startswith="flag.", object_id=str(flag_of(alert).public_id)
    )
    assert sorted(flag_events.values_list("action", flat=True)) == ["flag.lift", "flag.set"]


# --- Reading ---------------------------------------------------------------------------------


def test_every_kind_has_a_badge_tone():
    assert set(CARE_ALERT_TONE) == set(CareAlertKind.values)
    assert CARE_ALERT_TONE[CareAlertKind.SUICIDE_WATCH] == "bad"


def test_the_alerts_in_force_of_many_people_come_in_one_query(
    site, admit, medic, clock, django_assert_num_queries
):
    people = [admit(name, given_name="A", born=dt.date(1980, 1, 1), housed=False)
              for name in ("Nara", "Akimichi", "Yamanaka")]  # fmt: skip
    for person in people[:2]:
        care_alert_set(actor=medic, booking=person, kind="lower_bunk")
        clock.shift(dt.timedelta(minutes=1))
    later = care_alert_set(actor=medic, booking=people[0], kind="monitor_meals")
    ended = care_alert_set(actor=medic, booking=people[1], kind="near_medical")
    care_alert_end(actor=medic, alert=ended, reason="Moved.")

    with django_assert_num_queries(1):
        found = care_alerts_in_force([p.pk for p in people], core_clock.now())

    assert {pk: [a.kind for a in alerts] for pk, alerts in found.items()} == {
        people[0].pk: ["lower_bunk", "monitor_meals"],
        people[1].pk: ["lower_bunk"],
    }
    assert care_alerts_of(people[0])[-1] == later


def test_the_alerts_in_force_at_a_past_moment_include_those_ended_since(held, medic, clock):
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")
    clock.shift(dt.timedelta(hours=1))
    care_alert_end(actor=medic, alert=alert, reason="Healed.")

    assert care_alerts_in_force([held.pk], NOW + dt.timedelta(minutes=30)) == {held.pk: [alert]}
    assert care_alerts_in_force([held.pk], NOW - dt.timedelta(minutes=1)) == {}
    assert care_alerts_in_force([], NOW) == {}
