"""Formal counts through the services: start, figures, recounts, reconciliation, clear, cancel."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.custody.models import CountStatus, SheetStatus
from cellblock.custody.services import counts as service
from cellblock.custody.services import movements as movements_service
from cellblock.custody.services.counts import (
    count_cancel,
    count_clear,
    count_sheet_reconcile,
    count_sheet_record,
    count_start,
)
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.services import cell_create, unit_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def jail(site, clock, hold, officer):
    """Unit A1 holds three (one at court), unit A2 holds one; one more waits for a bed."""
    a2 = unit_create(actor=None, zone=site.zone, code="A2", name="Unit A2")
    cell = cell_create(actor=None, unit=a2, code="A2-1", beds=2)
    people = [hold("Hatake"), hold("Uzumaki", given_name="Naruto"), hold("Uchiha")]
    hold("Haruno", given_name="Sakura", sex="female", bed=cell.beds.get(code="B1"))
    hold("Waiting", housed=False)
    court = movement_start(actor=officer, booking=people[2], destination="court")
    return {"a2": a2, "people": people, "court": court}


def _sheet(count, code):
    return count.sheets.select_related("unit").get(unit__code=code)


def _started(supervisor, site, method="head"):
    count = count_start(actor=supervisor, facility=site.facility, method=method)
    count.facility = site.facility
    return count


def _figure(actor, count, code, counted):
    sheet = _sheet(count, code)
    sheet.count = count
    return count_sheet_record(actor=actor, sheet=sheet, counted=counted)


def test_a_supervisor_starts_a_count_with_a_sheet_per_unit_of_who_should_be_in_cell(
    site, jail, supervisor
):
    count = _started(supervisor, site)

    assert count.status == CountStatus.OPEN
    assert count.scheduled_for is None
    a1, a2 = _sheet(count, "A1"), _sheet(count, "A2")
    assert (a1.expected, a1.expected_out, a1.status) == (2, 1, SheetStatus.PENDING)
    assert (a2.expected, a2.expected_out) == (1, 0)
    event = AuditEvent.objects.get(action="count.start")
    assert event.actor == supervisor
    assert event.changes["expected"] == 3
    assert event.changes["expected_out"] == 1


def test_an_officer_cannot_start_a_count(site, jail, officer):
    with pytest.raises(PermissionDenied) as refused:
        count_start(actor=officer, facility=site.facility, method="head")

    assert refused.value.code == "missing_role"


def test_a_count_needs_a_known_method(site, jail, supervisor):
    with pytest.raises(ValidationFailed) as refused:
        count_start(actor=supervisor, facility=site.facility, method="glance")

    assert refused.value.extra["fields"]["method"] == [
        service.UNKNOWN_METHOD.format(choices="head, soft, hard")
    ]


def test_only_one_count_is_open_at_a_time(site, jail, supervisor):
    _started(supervisor, site)

    with pytest.raises(Conflict) as refused:
        count_start(actor=supervisor, facility=site.facility, method="hard")

    assert refused.value.code == "count_already_open"


def test_a_figure_that_matches_closes_the_sheet(site, jail, supervisor, officer):
    count = _started(supervisor, site)

    sheet = _figure(officer, count, "A1", 2)

    assert (sheet.status, sheet.counted, sheet.counted_by) == (SheetStatus.MATCHED, 2, officer)
    assert AuditEvent.objects.filter(action="count.figure").count() == 1


def test_a_figure_that_differs_forces_a_recount_which_can_then_match(
    site, jail, supervisor, officer, staff_factory
):
    count = _started(supervisor, site)
    second = staff_factory("second_officer", "officer")

    first = _figure(officer, count, "A1", 3)
    again = _figure(second, count, "A1", 2)

    assert first.status == SheetStatus.RECOUNT
    assert (again.status, again.counted, again.recounted, again.recounted_by) == (
        SheetStatus.MATCHED, 3, 2, second,
    )  # fmt: skip


def test_a_recount_that_still_differs_is_a_discrepancy_that_takes_no_more_figures(
    site, jail, supervisor, officer
):
    count = _started(supervisor, site)
    _figure(officer, count, "A1", 3)

    sheet = _figure(officer, count, "A1", 3)

    assert sheet.status == SheetStatus.DISCREPANT
    with pytest.raises(Conflict) as refused:
        _figure(officer, count, "A1", 2)
    assert refused.value.code == "sheet_discrepant"


def test_a_matched_sheet_takes_no_more_figures(site, jail, supervisor, officer):
    count = _started(supervisor, site)
    _figure(officer, count, "A2", 1)

    with pytest.raises(Conflict) as refused:
        _figure(officer, count, "A2", 1)

    assert refused.value.code == "sheet_done"


@pytest.mark.parametrize("counted", [-1, 1.5, "two", True, 100_001])
def test_a_figure_is_a_whole_number_of_people(site, jail, supervisor, officer, counted):
    count = _started(supervisor, site)

    with pytest.raises(ValidationFailed) as refused:
        _figure(officer, count, "A1", counted)

    assert refused.value.extra["fields"]["counted"] == [service.COUNTED_NOT_A_NUMBER]


def test_a_person_back_from_court_during_the_count_is_counted_in_their_cell(
    site, jail, supervisor, officer, clock
):
    count = _started(supervisor, site)
    clock.shift(dt.timedelta(minutes=5))
    movement_return(actor=officer, movement=jail["court"])

    sheet = _figure(officer, count, "A1", 3)

    assert sheet.status == SheetStatus.MATCHED
    assert sheet.expected == 2  # the snapshot stays as it was at the start
    event = AuditEvent.objects.get(action="count.figure")
    assert (event.changes["should_be"], event.changes["expected_at_start"]) == (3, 2)


def test_a_supervisor_reconciles_a_discrepancy_with_an_explanation(site, jail, supervisor, officer):
    count = _started(supervisor, site)
    _figure(officer, count, "A1", 1)
    sheet = _figure(officer, count, "A1", 1)

    done = count_sheet_reconcile(
        actor=supervisor, sheet=sheet, explanation="Uzumaki was in the showers, seen there."
    )

    assert done.status == SheetStatus.RECONCILED
    assert done.reconciled_by == supervisor
    event = AuditEvent.objects.get(action="count.reconcile")
    assert event.reason == "Uzumaki was in the showers, seen there."


def test_a_reconciliation_needs_an_explanation_a_discrepancy_and_a_supervisor(
    site, jail, supervisor, officer
):
    count = _started(supervisor, site)
    pending = _sheet(count, "A2")
    pending.count = count
    with pytest.raises(Conflict) as not_discrepant:
        count_sheet_reconcile(actor=supervisor, sheet=pending, explanation="why not")
    _figure(officer, count, "A1", 1)
    sheet = _figure(officer, count, "A1", 1)

    with pytest.raises(ValidationFailed) as blank:
        count_sheet_reconcile(actor=supervisor, sheet=sheet, explanation="  ")
    with pytest.raises(PermissionDenied):
        count_sheet_reconcile(actor=officer, sheet=sheet, explanation="counted wrong")

    assert not_discrepant.value.code == "not_discrepant"
    assert blank.value.extra["fields"]["explanation"] == [service.EXPLANATION_NEEDED]


def test_the_count_clears_only_when_every_sheet_matches_or_is_reconciled(
    site, jail, supervisor, officer
):
    count = _started(supervisor, site)
    _figure(officer, count, "A1", 1)

    with pytest.raises(Conflict) as refused:
        count_clear(actor=supervisor, count=count)

    assert refused.value.code == "count_not_balanced"
    assert refused.value.message == service.NOT_BALANCED.format(
        units="Unit A1, Unit A2", verb="are"
    )
    assert [u["unit"] for u in refused.value.extra["units"]] == ["A1", "A2"]
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN


def test_a_supervisor_clears_a_balanced_count_and_movement_resumes(
    site, jail, supervisor, officer, clock
):
    count = _started(supervisor, site)
    _figure(officer, count, "A1", 1)
    sheet = _figure(officer, count, "A1", 1)
    count_sheet_reconcile(actor=supervisor, sheet=sheet, explanation="miscounted bunk 2")
    _figure(officer, count, "A2", 1)
    clock.shift(dt.timedelta(minutes=12))

    cleared = count_clear(actor=supervisor, count=count)

    assert (cleared.status, cleared.cleared_by) == (CountStatus.CLEARED, supervisor)
    event = AuditEvent.objects.get(action="count.clear")
    assert event.changes == {"sheets": 2, "reconciled": ["A1"], "minutes": 12}
    movement_start(actor=officer, booking=jail["people"][0], destination="exercise_yard")


def test_an_officer_cannot_clear_a_count(site, jail, supervisor, officer):
    count = _started(supervisor, site)

    with pytest.raises(PermissionDenied):
        count_clear(actor=officer, count=count)


def test_a_count_is_cancelled_with_a_reason_and_then_takes_no_figures(
    site, jail, supervisor, officer
):
    count = _started(supervisor, site)
    with pytest.raises(ValidationFailed) as blank:
        count_cancel(actor=supervisor, count=count, reason="")

    cancelled = count_cancel(actor=supervisor, count=count, reason="Lockdown: fight in the yard")

    assert blank.value.extra["fields"]["reason"] == [service.REASON_NEEDED]
    assert (cancelled.status, cancelled.cancel_reason) == (
        CountStatus.CANCELLED, "Lockdown: fight in the yard",
    )  # fmt: skip
    assert AuditEvent.objects.get(action="count.cancel").reason == "Lockdown: fight in the yard"
    with pytest.raises(Conflict) as closed:
        _figure(officer, count, "A1", 2)
    assert closed.value.code == "count_closed"
    with pytest.raises(Conflict) as again:
        count_clear(actor=supervisor, count=count)
    assert again.value.code == "invalid_transition"


def test_a_figure_cannot_be_dated_in_the_future_or_before_the_count(
    site, jail, supervisor, officer, clock
):
    count = _started(supervisor, site)
    sheet = _sheet(count, "A1")
    sheet.count = count

    with pytest.raises(ValidationFailed) as future:
        count_sheet_record(
            actor=officer, sheet=sheet, counted=2, at=count.started_at + dt.timedelta(minutes=1)
        )
    with pytest.raises(ValidationFailed) as early:
        count_sheet_record(
            actor=officer, sheet=sheet, counted=2, at=count.started_at - dt.timedelta(minutes=1)
        )

    assert future.value.extra["fields"]["at"] == [movements_service.AT_IN_FUTURE]
    assert "before the count started" in early.value.extra["fields"]["at"][0]


def test_a_late_entry_snapshots_the_facility_as_it_was(site, jail, supervisor, officer, clock):
    left_at = jail["court"].left_at
    clock.shift(dt.timedelta(minutes=30))
    movement_return(actor=officer, movement=jail["court"], at=left_at + dt.timedelta(minutes=20))

    count = count_start(
        actor=supervisor, facility=site.facility, method="soft",
        at=left_at + dt.timedelta(minutes=10),
    )  # fmt: skip

    a1 = _sheet(count, "A1")
    assert (a1.expected, a1.expected_out) == (2, 1)
    assert count.started_at == left_at + dt.timedelta(minutes=10)
