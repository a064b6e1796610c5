"""``cellblock classification sweep``, ``publish FILE.json`` and ``show [CODE]``."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.management.commands.classification import (
    NOT_PUBLISHED_YET,
    PUBLISHED,
    REFUSED,
    SWEPT,
)
from cellblock.classification.models import Flag, FlagKind, FlagOrigin, Instrument
from cellblock.classification.services import flag_set
from cellblock.conftest import ready_for_bed
from cellblock.housing.models import HousingReview
from cellblock.housing.rules import JUVENILE_IN_ADULT_UNIT
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("classification", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def swept(at: dt.datetime, lifted: int = 0, flagged: int = 0, expired: int = 0, rechecked: int = 0):
    return SWEPT.format(
        at=at.isoformat(timespec="seconds"), lifted=lifted, flagged=flagged, expired=expired,
        rechecked=rechecked,
    )  # fmt: skip


def book(site, given: str, born: dt.date | None, bed_of=None, *, actor=None):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name="Test", date_of_birth=born
    )
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    if bed_of is not None:
        # Juveniles go to the adult unit only on the commander's override: the alert is the point.
        ready_for_bed(booking)
        bed_assign(
            actor=actor, booking=booking, bed=bed_of.beds.get(code="B1"),
            override_reason="No juvenile unit in this facility.",
        )  # fmt: skip
    return booking


def juvenile_flag(booking) -> Flag:
    return Flag.objects.get(booking=booking, kind=FlagKind.JUVENILE)


# --- sweep ----------------------------------------------------------------------------


def test_the_sweep_lifts_the_juvenile_flag_on_the_18th_birthday_and_says_so(site):
    with time_machine.travel(NOW, tick=False):
        booking = book(site, "Konohamaru", dt.date(2008, 3, 15))
        assert juvenile_flag(booking).origin == FlagOrigin.DATE_OF_BIRTH
    the_day_before = dt.datetime(2026, 3, 14, 23, 59, tzinfo=dt.UTC)
    with time_machine.travel(the_day_before, tick=False):
        assert run("sweep") == swept(the_day_before)
        assert juvenile_flag(booking).lifted_at is None
    birthday = dt.datetime(2026, 3, 15, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(birthday, tick=False):
        assert run("sweep") == swept(birthday, lifted=1)

    flag = juvenile_flag(booking)
    # Lifted at midnight of the birthday, not when the sweep happened to run.
    assert flag.lifted_at == dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    assert flag.lift_reason == "Turned 18 on 2026-03-15."
    event = AuditEvent.objects.filter(action="flag.lift").get()
    assert event.actor is None
    assert event.reason == "Turned 18 on 2026-03-15."


def test_someone_born_on_29_february_turns_18_on_1_march(site):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        booking = book(site, "Hanabi", dt.date(2008, 2, 29))
    last_of_february = dt.datetime(2026, 2, 28, 23, 59, tzinfo=dt.UTC)
    with time_machine.travel(last_of_february, tick=False):
        assert run("sweep") == swept(last_of_february)
    first_of_march = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(first_of_march, tick=False):
        assert run("sweep") == swept(first_of_march, lifted=1)
    assert juvenile_flag(booking).lift_reason == "Turned 18 on 2026-03-01."


def test_turning_18_clears_the_housing_alert_of_a_juvenile_in_an_adult_unit(site, commander):
    with time_machine.travel(NOW, tick=False):
        booking = book(site, "Moegi", dt.date(2008, 3, 15), site.cells[0], actor=commander)
    alert = HousingReview.objects.get(booking=booking)
    assert alert.code == JUVENILE_IN_ADULT_UNIT
    assert alert.resolved_at is None

    with time_machine.travel(dt.datetime(2026, 3, 15, 0, 5, tzinfo=dt.UTC), tick=False):
        run("sweep")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert AuditEvent.objects.filter(action="housing.alert_cleared", actor=None).exists()


def test_the_sweep_records_flags_that_ran_past_their_until_as_expired(site, commander):
    with time_machine.travel(NOW, tick=False):
        booking = book(site, "Udon", dt.date(1990, 1, 1))
        flag = flag_set(
            actor=commander, booking=booking, kind="escape_risk", reason="tunnel found",
            until=NOW + dt.timedelta(hours=1),
        )  # fmt: skip
    later = NOW + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        assert run("sweep") == swept(later, expired=1)
        # Nothing is left for a second run.
        assert run("sweep") == swept(later)
    flag.refresh_from_db()
    assert (flag.lifted_at, flag.lift_reason) == (NOW + dt.timedelta(hours=1), "Expired.")


def test_the_sweep_flags_a_juvenile_whose_date_of_birth_was_corrected(site, commander):
    with time_machine.travel(NOW, tick=False):
        booking = book(site, "Inari", None, site.cells[1], actor=commander)
        assert not Flag.objects.filter(booking=booking).exists()
        # Corrected by an administrator after booking (the Django admin audits it).
        Person.objects.filter(pk=booking.person_id).update(date_of_birth=dt.date(2010, 6, 1))
        # Flagged, and the flag puts the unit out of bounds: the booking now has an alert.
        assert run("sweep") == swept(NOW, flagged=1, rechecked=1)

    flag = juvenile_flag(booking)
    assert flag.until == dt.datetime(2028, 6, 1, tzinfo=dt.UTC)
    assert flag.set_by is None
    assert HousingReview.objects.filter(booking=booking, resolved_at__isnull=True).exists()


# --- publish ----------------------------------------------------------------------------


def definition(**changes):
    new = copy.deepcopy(NIC_CUSTODY_V1)
    new.update(changes)
    return new


def write(tmp_path, content) -> str:
    path = tmp_path / "instrument.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_publishing_a_new_version_records_it_and_its_note(db, tmp_path):
    v2 = definition(version=2, cut_points={"minimum": 4, "medium": 10})

    printed = run("publish", write(tmp_path, v2), "--note", "Cut-points lowered by the board")

    assert printed == PUBLISHED.format(name=v2["name"], code="nic-custody", version=2)
    stored = Instrument.objects.get(code="nic-custody", version=2)
    assert stored.definition == v2
    assert (stored.note, stored.published_by) == ("Cut-points lowered by the board", None)
    event = AuditEvent.objects.filter(action="instrument.publish").get()
    assert event.changes["cut_points"] == [4, 10]


def test_publishing_as_a_user_records_who_published_it(db, tmp_path, commander):
    run("publish", write(tmp_path, definition(version=2)), "--as", commander.username)
    assert Instrument.objects.get(version=2).published_by == commander


def test_a_bad_definition_prints_every_problem_and_publishes_nothing(db, tmp_path):
    bad = definition(version=0, cut_points={"minimum": 8, "medium": 3})
    bad["items"][0]["answers"][0]["points"] = -1
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command(
            "classification", "publish", write(tmp_path, bad), stdout=io.StringIO(), stderr=err
        )

    problems = err.getvalue().splitlines()
    assert problems == [
        "version: must be a whole number from 1.",
        "items[0].answers[0].points: must be a whole number from 0 to 100.",
        "cut_points.medium: must be higher than the minimum cut-point.",
    ]
    assert str(refused.value) == REFUSED.format(path=tmp_path / "instrument.json", count=3)
    assert not Instrument.objects.exists()


def test_a_published_version_is_never_replaced(db, tmp_path):
    path = write(tmp_path, definition(version=2))
    run("publish", path)
    with pytest.raises(CommandError, match="a new version must be higher"):
        run("publish", path)
    assert Instrument.objects.filter(version=2).count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "Cannot read"), ("[1, 2]", "must hold one JSON object")],
)
def test_a_file_that_is_not_a_definition_is_refused(db, tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run("publish", write(tmp_path, content))


def test_publishing_as_someone_unknown_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        run("publish", write(tmp_path, definition(version=2)), "--as", "nobody")


# --- show ---------------------------------------------------------------------------------


def test_show_prints_every_item_answer_points_and_cut_point_of_the_shipped_default(db):
    printed = run("show").splitlines()

    assert printed[0] == "Objective custody instrument (NIC model): nic-custody version 1"
    assert printed[1] == NOT_PUBLISHED_YET
    assert "1. History of institutional violence (last 5 years) [institutional_violence]" in printed
    for item in NIC_CUSTODY_V1["items"]:
        for answer in item["answers"]:
            assert any(
                line.split()[:2] == [str(answer["points"]), answer["code"]] for line in printed
            ), (item["code"], answer["code"])
    assert "  0 to 5: minimum" in printed
    assert "  6 to 11: medium" in printed
    assert "  12 or more: maximum" in printed
    assert (
        "  Special management need: Juvenile held in the adult system "
        "[special_needs=juvenile_in_adult_system]" in printed
    )


def test_show_prints_the_newest_published_version_and_who_published_it(db, tmp_path, commander):
    v2 = definition(version=2, cut_points={"minimum": 4, "medium": 10})
    run("publish", write(tmp_path, v2), "--as", commander.username, "--note", "Board decision")

    printed = run("show", "nic-custody").splitlines()

    assert printed[0].endswith("nic-custody version 2")
    assert printed[1].startswith("Published ")
    assert printed[1].endswith("by cara_commander: Board decision")
    assert "  0 to 4: minimum" in printed


def test_show_json_is_a_starting_point_for_the_next_version(db, tmp_path):
    shown = json.loads(run("show", "--json"))
    assert shown == NIC_CUSTODY_V1

    shown["version"] = 2
    run("publish", write(tmp_path, shown))
    assert json.loads(run("show", "--json"))["version"] == 2


def test_show_of_an_unknown_instrument_says_so(db):
    with pytest.raises(CommandError, match="No classification instrument 'lsi-r'"):
        run("show", "lsi-r")
