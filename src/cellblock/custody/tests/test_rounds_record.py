"""Recording round checks: one person, or a whole cell at once."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_transition
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.custody.models import CheckStatus, Destination, RoundCheck
from cellblock.custody.services.movements import movement_start
from cellblock.custody.services.rounds import (
    AT_BEFORE_BOOKING,
    AT_IN_FUTURE,
    AT_NAIVE,
    CheckEntry,
    cell_round_record,
    round_check_record,
)
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_an_officer_records_a_check_in_the_persons_cell(clock, site, hold, officer):
    kakashi = hold(bed=site.cells[1].beds.get(code="B1"))
    check = round_check_record(
        actor=officer, booking=kakashi, status=CheckStatus.CONCERN, note=" not eating ",
        welfare_contact=True,
    )  # fmt: skip
    check.refresh_from_db()
    assert check.cell == site.cells[1]
    assert (check.status, check.note, check.welfare_contact) == ("concern", "not eating", True)
    assert (check.checked_at, check.checked_by) == (NOW, officer)
    event = AuditEvent.objects.filter(action="rounds.check").get()
    assert event.actor == officer
    assert event.changes["status"] == "concern"
    assert event.changes["cell"] == "A1-2"
    assert event.changes["welfare_contact"] is True


def test_a_late_entry_keeps_the_time_it_happened(clock, site, hold, officer):
    person = hold()
    clock.shift(dt.timedelta(minutes=40))
    check = round_check_record(
        actor=officer, booking=person, status=CheckStatus.ASLEEP,
        at=NOW + dt.timedelta(minutes=10),
    )  # fmt: skip
    assert check.checked_at == NOW + dt.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (NOW + dt.timedelta(minutes=1), AT_IN_FUTURE),
        (NOW - dt.timedelta(minutes=1), AT_BEFORE_BOOKING.format(booked="2026-03-14 12:00")),
        (dt.datetime(2026, 3, 14, 11, 0), AT_NAIVE),  # noqa: DTZ001 (the mistake under test)
    ],
    ids=["in the future", "before booking", "without a time zone"],
)
def test_a_check_at_an_impossible_time_is_refused(clock, site, hold, officer, at, message):
    person = hold()
    with pytest.raises(ValidationFailed) as refused:
        round_check_record(actor=officer, booking=person, status=CheckStatus.SEEN_WELL, at=at)
    assert refused.value.extra["fields"] == {"at": [message]}
    assert not RoundCheck.objects.exists()


def test_a_status_that_does_not_exist_is_refused(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        round_check_record(actor=officer, booking=hold(), status="fine")
    assert "status" in refused.value.extra["fields"]


def test_a_visits_clerk_cannot_record_rounds(clock, hold, visits_clerk):
    with pytest.raises(PermissionDenied):
        round_check_record(actor=visits_clerk, booking=hold(), status=CheckStatus.SEEN_WELL)


def test_an_officer_of_another_facility_cannot_record_rounds_here(clock, hold, outsider):
    outsider_officer_elsewhere = outsider
    with pytest.raises(PermissionDenied):
        round_check_record(
            actor=outsider_officer_elsewhere, booking=hold(), status=CheckStatus.SEEN_WELL
        )


def test_someone_without_a_bed_cannot_be_checked_on_rounds(clock, hold, officer):
    with pytest.raises(Conflict) as refused:
        round_check_record(actor=officer, booking=hold(housed=False), status="seen_well")
    assert refused.value.code == "not_housed"


def test_someone_out_at_court_cannot_be_checked_in_their_cell(clock, hold, officer, supervisor):
    person = hold()
    movement_start(actor=supervisor, booking=person, destination=Destination.COURT)
    clock.shift(dt.timedelta(minutes=5))
    with pytest.raises(Conflict) as refused:
        round_check_record(actor=officer, booking=person, status="seen_well")
    assert refused.value.code == "out_of_cell"
    assert "court" in refused.value.message


def test_a_released_person_is_not_checked(clock, hold, officer, supervisor):
    person = hold()
    booking_transition(actor=None, booking=person, to="in_custody")
    booking_transition(actor=None, booking=person, to="released", release_type="bail")
    with pytest.raises(Conflict) as refused:
        round_check_record(actor=officer, booking=person, status="seen_well")
    assert refused.value.code == "booking_closed"


# --- A whole cell -----------------------------------------------------------------------


def test_a_cell_round_records_everyone_in_it_at_once(clock, site, hold, officer):
    cell = site.cells[0]
    a = hold("Hatake", bed=cell.beds.get(code="B1"))
    b = hold("Maito", given_name="Gai", bed=cell.beds.get(code="B2"))
    checks = cell_round_record(
        actor=officer, cell=cell,
        checks=[CheckEntry(a, CheckStatus.SEEN_WELL), CheckEntry(b, CheckStatus.ASLEEP)],
    )  # fmt: skip
    assert [(c.booking, c.status, c.cell) for c in checks] == [
        (a, "seen_well", cell),
        (b, "asleep", cell),
    ]
    assert AuditEvent.objects.filter(action="rounds.check").count() == 2


def test_someone_from_another_cell_cannot_be_checked_in_this_one_and_nothing_is_kept(
    clock, site, hold, officer
):
    here = hold("Hatake", bed=site.cells[0].beds.get(code="B1"))
    elsewhere = hold("Maito", given_name="Gai", bed=site.cells[1].beds.get(code="B1"))
    with pytest.raises(Conflict) as refused:
        cell_round_record(
            actor=officer, cell=site.cells[0],
            checks=[CheckEntry(here, "seen_well"), CheckEntry(elsewhere, "seen_well")],
        )  # fmt: skip
    assert refused.value.code == "not_in_cell"
    assert refused.value.message == (
        "Gai Maito is not housed in A1-1 but in A1-2: check them in their own cell."
    )
    assert not RoundCheck.objects.exists()


def test_a_cell_round_names_each_bad_line(clock, site, hold, officer):
    person = hold(bed=site.cells[0].beds.get(code="B1"))
    with pytest.raises(ValidationFailed) as refused:
        cell_round_record(
            actor=officer, cell=site.cells[0],
            checks=[CheckEntry(person, "seen_well"), CheckEntry(person, "waving")],
        )  # fmt: skip
    fields = refused.value.extra["fields"]
    assert set(fields) == {"checks[1].status", "checks[1].booking"}


def test_an_empty_round_is_refused(clock, site, officer):
    with pytest.raises(ValidationFailed) as refused:
        cell_round_record(actor=officer, cell=site.cells[0], checks=[])
    assert "checks" in refused.value.extra["fields"]
