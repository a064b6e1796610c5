"""The juvenile flag: derived from the date of birth, lifted on the 18th birthday, local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import (
    DOB_REASON_NEEDED,
    booking_open,
    booking_transition,
    person_date_of_birth_correct,
)
from cellblock.classification.models import Flag, FlagKind, FlagOrigin
from cellblock.classification.services import (
    JUVENILE_HAS_DOB,
    TURNED_18,
    UNDER_18,
    adulthood_at,
    classification_sweep,
    eighteenth_birthday,
    flag_lift,
    flag_set,
)
from cellblock.conftest import ready_for_bed
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.housing.models import HousingReview
from cellblock.housing.rules import JUVENILE_IN_ADULT_UNIT
from cellblock.housing.selectors import placement_checks
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# Noon in Konoha (UTC+9).
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=TOKYO)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def konoha(site):
    """A facility nine hours ahead of UTC, with one adult cell."""
    facility = facility_services.facility_create(
        actor=None, agency=site.agency, code="KON", name="Konoha Prison", timezone="Asia/Tokyo"
    )
    zone = facility_services.zone_create(actor=None, facility=facility, code="M", name="Main")
    unit = facility_services.unit_create(actor=None, zone=zone, code="M1", name="Main block")
    cell = facility_services.cell_create(actor=None, unit=unit, code="C-01", beds=2)
    return facility, cell


@pytest.fixture
def warden(konoha, staff_factory):
    return staff_factory("tsunade", Role.COMMANDER, facility=konoha[0])


def _book(facility, given, born, *, actor=None):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name="Uchiha", date_of_birth=born
    )
    return booking_open(actor=actor, facility=facility, person=person, source="arrest")


def _juvenile_flag(booking) -> Flag:
    return Flag.objects.get(booking=booking, kind=FlagKind.JUVENILE)


def _at(moment):
    return time_machine.travel(moment, tick=False)


# --- The birthday ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "turns_18"),
    [
        (dt.date(2008, 3, 15), dt.date(2026, 3, 15)),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1)),
        # A leap year is never 18 years after another: the 29th is always 1 March.
        (dt.date(2000, 2, 29), dt.date(2018, 3, 1)),
        (dt.date(2006, 2, 28), dt.date(2024, 2, 28)),
        (dt.date(2007, 12, 31), dt.date(2025, 12, 31)),
    ],
)
def test_the_18th_birthday(born, turns_18):
    assert eighteenth_birthday(born) == turns_18


def test_adulthood_begins_at_local_midnight_of_the_birthday(konoha):
    facility, _ = konoha
    assert adulthood_at(dt.date(2008, 3, 15), facility) == dt.datetime(
        2026, 3, 14, 15, 0, tzinfo=dt.UTC
    )


# --- Booking ------------------------------------------------------------------------------


def test_booking_a_16_year_old_flags_them_until_their_18th_birthday(konoha, staff_factory):
    facility, _ = konoha
    clerk = staff_factory("izumo", Role.BOOKING, facility=facility)
    with _at(NOW):
        booking = _book(facility, "Sasuke", dt.date(2009, 7, 23), actor=clerk)

    flag = _juvenile_flag(booking)
    assert flag.origin == FlagOrigin.DATE_OF_BIRTH
    assert flag.until == dt.datetime(2027, 7, 23, tzinfo=TOKYO)
    assert flag.reason == UNDER_18.format(dob=dt.date(2009, 7, 23))
    assert (flag.set_by, flag.set_at) == (clerk, NOW)
    event = AuditEvent.objects.get(action="flag.set")
    assert (event.actor, event.changes["kind"], event.changes["origin"]) == (
        clerk, "juvenile", "date_of_birth",
    )  # fmt: skip


def test_an_adult_or_a_person_without_a_date_of_birth_is_not_flagged(konoha):
    facility, _ = konoha
    with _at(NOW):
        adult = _book(facility, "Kakashi", dt.date(1996, 9, 15))
        unknown = _book(facility, "Sai", None)
        # 18 since midnight this morning, local time.
        today = _book(facility, "Karin", dt.date(2008, 3, 14))
    assert not Flag.objects.filter(booking__in=[adult, unknown, today]).exists()


def test_someone_booked_late_on_the_eve_of_their_birthday_is_flagged_until_midnight(konoha):
    facility, _ = konoha
    eve = dt.datetime(2026, 3, 14, 23, 30, tzinfo=TOKYO)
    with _at(eve):
        booking = _book(facility, "Suigetsu", dt.date(2008, 3, 15))
    assert _juvenile_flag(booking).until == dt.datetime(2026, 3, 15, tzinfo=TOKYO)


def test_a_person_born_on_29_february_is_a_juvenile_through_28_february(konoha):
    facility, _ = konoha
    with _at(dt.datetime(2026, 2, 28, 23, 0, tzinfo=TOKYO)):
        booking = _book(facility, "Hanabi", dt.date(2008, 2, 29))
    assert _juvenile_flag(booking).until == dt.datetime(2026, 3, 1, tzinfo=TOKYO)


# --- The sweep --------------------------------------------------------------------------


def test_the_sweep_lifts_the_flag_at_local_midnight_by_the_system(konoha):
    facility, _ = konoha
    with _at(NOW - dt.timedelta(days=40)):
        booking = _book(facility, "Juugo", dt.date(2008, 3, 15))
    midnight = dt.datetime(2026, 3, 15, tzinfo=TOKYO)

    # 14:59 UTC is still the 14th in Konoha.
    with _at(midnight - MINUTE):
        assert classification_sweep().juveniles_lifted == 0
    assert _juvenile_flag(booking).lifted_at is None
    with _at(midnight + MINUTE):
        assert classification_sweep().juveniles_lifted == 1

    flag = _juvenile_flag(booking)
    assert flag.lifted_at == midnight
    assert flag.lifted_by is None
    assert flag.lift_reason == TURNED_18.format(date="2026-03-15") == "Turned 18 on 2026-03-15."
    event = AuditEvent.objects.get(action="flag.lift")
    assert (event.actor, event.actor_username) == (None, "")
    assert event.reason == "Turned 18 on 2026-03-15."


def test_a_sweep_days_late_still_lifts_the_flag_as_of_the_birthday(konoha):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Tayuya", dt.date(2008, 4, 1))
    with _at(dt.datetime(2026, 4, 9, tzinfo=TOKYO)):
        classification_sweep()
    flag = _juvenile_flag(booking)
    assert flag.lifted_at == dt.datetime(2026, 4, 1, tzinfo=TOKYO)
    assert flag.lift_reason == "Turned 18 on 2026-04-01."


def test_the_sweep_lifts_a_29_february_birthday_on_1_march(konoha):
    facility, _ = konoha
    with _at(dt.datetime(2026, 2, 1, tzinfo=TOKYO)):
        booking = _book(facility, "Hanabi", dt.date(2008, 2, 29))
    with _at(dt.datetime(2026, 2, 28, 23, 59, tzinfo=TOKYO)):
        assert classification_sweep().juveniles_lifted == 0
    with _at(dt.datetime(2026, 3, 1, 0, 1, tzinfo=TOKYO)):
        assert classification_sweep().juveniles_lifted == 1
    assert _juvenile_flag(booking).lift_reason == "Turned 18 on 2026-03-01."


def test_the_flag_stops_counting_for_housing_at_midnight_even_before_the_sweep(konoha, warden):
    facility, cell = konoha
    with _at(NOW):
        booking = _book(facility, "Kimimaro", dt.date(2008, 3, 15))
        ready_for_bed(booking)
        bed_assign(
            actor=warden, booking=booking, bed=cell.beds.get(code="B1"),
            override_reason="No juvenile unit in this facility.",
        )  # fmt: skip
        [check] = placement_checks([booking], NOW)
        assert [v.code for v in check.violations] == [JUVENILE_IN_ADULT_UNIT]
    after = dt.datetime(2026, 3, 15, 0, 1, tzinfo=TOKYO)
    [check] = placement_checks([booking], after)
    assert check.violations == []
    # The sweep then records the lift and clears the alert.
    with _at(after):
        classification_sweep()
    alert = HousingReview.objects.get(booking=booking)
    assert alert.resolved_at == after
    assert alert.resolved_by is None


def test_the_sweep_flags_an_under_18_who_lacks_the_flag(konoha):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Inari", None)
        # The date of birth is corrected after booking (an import, the admin).
        Person.objects.filter(pk=booking.person_id).update(date_of_birth=dt.date(2012, 5, 5))
        result = classification_sweep()
    assert result.juveniles_flagged == 1
    flag = _juvenile_flag(booking)
    assert (flag.origin, flag.set_by) == (FlagOrigin.DATE_OF_BIRTH, None)
    assert flag.until == dt.datetime(2030, 5, 5, tzinfo=TOKYO)
    with _at(NOW + MINUTE):
        assert classification_sweep().juveniles_flagged == 0


def test_the_sweep_leaves_a_corrected_adult_alone(konoha):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Tazuna", None)
        Person.objects.filter(pk=booking.person_id).update(date_of_birth=dt.date(2007, 1, 1))
        assert classification_sweep().juveniles_flagged == 0
    assert not Flag.objects.filter(booking=booking).exists()


def test_the_sweep_flags_a_minor_whose_earlier_juvenile_flag_was_lifted_by_hand(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Konohamaru", None)
        by_hand = flag_set(
            actor=warden, booking=booking, kind="juvenile", reason="looks about fourteen"
        )
        flag_lift(actor=warden, flag=by_hand, reason="says he is twenty")
        flag_set(actor=warden, booking=booking, kind="diet", detail="no sweets", reason="asked")
        Person.objects.filter(pk=booking.person_id).update(date_of_birth=dt.date(2012, 1, 1))
        assert classification_sweep().juveniles_flagged == 1
    assert Flag.objects.filter(
        booking=booking, kind=FlagKind.JUVENILE, lifted_at__isnull=True,
        origin=FlagOrigin.DATE_OF_BIRTH,
    ).exists()  # fmt: skip


def test_released_people_are_not_flagged_by_the_sweep(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Haku", None)
        booking_transition(actor=warden, booking=booking, to="cancelled", reason="mistaken")
        Person.objects.filter(pk=booking.person_id).update(date_of_birth=dt.date(2012, 1, 1))
        assert classification_sweep().juveniles_flagged == 0


# --- By hand ----------------------------------------------------------------------------


def test_a_juvenile_flag_by_hand_is_refused_when_the_date_of_birth_is_known(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Kakashi", dt.date(1996, 9, 15))
        with pytest.raises(ValidationFailed) as raised:
            flag_set(actor=warden, booking=booking, kind="juvenile", reason="looks young")
    assert raised.value.extra["fields"] == {
        "kind": [JUVENILE_HAS_DOB.format(dob=dt.date(1996, 9, 15))]
    }
    assert not Flag.objects.filter(booking=booking).exists()


def test_a_juvenile_flag_by_hand_is_allowed_when_the_date_of_birth_is_unknown(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Naruto", None)
        flag = flag_set(actor=warden, booking=booking, kind="juvenile", reason="says he is ten")
    assert (flag.origin, flag.set_by, flag.until) == (FlagOrigin.STAFF, warden, None)


def test_the_derived_flag_cannot_be_lifted_by_hand(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Sasuke", dt.date(2009, 7, 23))
        with pytest.raises(Conflict) as raised:
            flag_lift(actor=warden, flag=_juvenile_flag(booking), reason="mature for his age")
    assert raised.value.code == "flag_derived"
    assert "correct the date of birth" in raised.value.message


# --- A corrected date of birth -----------------------------------------------------------


def test_a_date_of_birth_corrected_to_an_adult_lifts_the_juvenile_flag(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Itachi", dt.date(2010, 6, 9))
        assert _juvenile_flag(booking).lifted_at is None
        person_date_of_birth_correct(
            actor=warden, booking=booking, date_of_birth=dt.date(1995, 6, 9),
            reason="Passport seen",
        )  # fmt: skip
    flag = _juvenile_flag(booking)
    assert flag.lifted_at == NOW
    assert flag.lift_reason == "Date of birth corrected to 1995-06-09."
    assert AuditEvent.objects.filter(action="person.date_of_birth_correct", actor=warden).exists()


def test_a_date_of_birth_corrected_to_a_minor_sets_the_flag_until_the_new_birthday(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Konohamaru", dt.date(1990, 1, 1))
        assert not Flag.objects.filter(booking=booking).exists()
        person_date_of_birth_correct(
            actor=warden, booking=booking, date_of_birth=dt.date(2014, 5, 20),
            reason="School register",
        )  # fmt: skip
    flag = _juvenile_flag(booking)
    assert flag.until == dt.datetime(2032, 5, 20, tzinfo=TOKYO)
    assert flag.origin == FlagOrigin.DATE_OF_BIRTH


def test_a_correction_without_a_reason_changes_nothing(konoha, warden):
    facility, _ = konoha
    with _at(NOW):
        booking = _book(facility, "Itachi", dt.date(2010, 6, 9))
        with pytest.raises(ValidationFailed) as raised:
            person_date_of_birth_correct(
                actor=warden, booking=booking, date_of_birth=dt.date(1995, 6, 9), reason=" "
            )
    assert raised.value.extra["fields"] == {"reason": [DOB_REASON_NEEDED]}
    assert Person.objects.get(pk=booking.person_id).date_of_birth == dt.date(2010, 6, 9)
