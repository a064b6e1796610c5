"""Housing engine runs stored as proposals, then applied or discarded (housing/proposals.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.conftest import screen_clear
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.facilities.services import cell_create, unit_create
from cellblock.housing.models import (
    BedAssignment,
    HousingProposal,
    ProposalMode,
    ProposalStatus,
    ProposedMove,
)
from cellblock.housing.proposals import (
    BED_TAKEN,
    MOVED,
    MOVED_MEANWHILE,
    SKIPPED,
    proposal_apply,
    proposal_create,
    proposal_discard,
)
from cellblock.housing.services import bed_assign
from cellblock.housing.snapshot import facility_snapshot
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _book(site, given, family="Test", *, screened=True):
    """A booking, screened clear unless ``screened`` is off: the screening comes before a bed."""
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking) if screened else booking


def _bed(site, cell=0, code="B1"):
    return site.cells[cell].beds.get(code=code)


def _bed_now(booking):
    found = BedAssignment.objects.filter(booking=booking, ended_at__isnull=True).first()
    return found.bed if found else None


@pytest.fixture
def wing(site):
    unit = unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    return [cell_create(actor=None, unit=unit, code=f"B1-{n}", beds=2) for n in (1, 2)]


def _plan(site, *moves):
    """A proposal written by hand: (booking, from bed, to bed) per line."""
    proposal = HousingProposal.objects.create(
        facility=site.facility, mode=ProposalMode.DAILY, created_at=core_clock.now(),
        objective=0, lower_bound=0, gap=0.0, solver_status="optimal",
    )  # fmt: skip
    for booking, from_bed, to_bed in moves:
        ProposedMove.objects.create(
            proposal=proposal, booking=booking, from_bed=from_bed, to_bed=to_bed
        )
    return proposal


def _outcomes(proposal):
    return {
        move.booking.booking_number: move.outcome
        for move in proposal.moves.select_related("booking")
    }


# --- Running the engine ----------------------------------------------------------------


def test_a_daily_run_places_the_new_booking_and_leaves_the_housed_alone(site, supervisor):
    settled = _book(site, "Guy")
    bed_assign(actor=supervisor, booking=settled, bed=_bed(site))
    newcomer = _book(site, "Lee")
    proposal = proposal_create(
        actor=supervisor, facility=site.facility, mode=ProposalMode.DAILY, time_limit=5
    )
    [line] = proposal.moves.all()
    assert (line.booking, line.from_bed) == (newcomer, None)
    # Spread out: an empty cell costs nothing.
    assert line.to_bed in set(site.cells[1].beds.all())
    assert (proposal.objective, proposal.lower_bound, proposal.gap) == (0, 0, 0.0)
    assert proposal.stats["people"] == 2
    assert proposal.stats["beds"] == 4
    assert (proposal.stats["moves"], proposal.stats["unplaced"]) == (1, 0)
    assert line.explanation["bed"]["id"] == str(site.cells[1].beds.get(pk=line.to_bed_id).public_id)
    event = AuditEvent.objects.get(action="housing.proposal_created")
    assert (event.actor, event.changes["moves"]) == (supervisor, 1)


def test_a_booking_not_screened_yet_is_left_out_of_the_run(site, supervisor):
    screened = _book(site, "Lee")
    waiting = _book(site, "Neji", screened=False)
    proposal = proposal_create(
        actor=supervisor, facility=site.facility, mode=ProposalMode.DAILY, time_limit=5
    )
    # Neither placed nor unplaced: he waits for his receiving screening, not for a bed.
    assert [line.booking for line in proposal.moves.all()] == [screened]
    assert proposal.stats["people"] == 1
    proposal_apply(actor=supervisor, proposal=proposal)
    assert _bed_now(waiting) is None


def test_a_closure_moves_everyone_out_of_the_closing_unit(site, wing, supervisor):
    people = [_book(site, name) for name in ("Guy", "Lee", "Tenten")]
    for booking, bed in zip(people, [_bed(site), _bed(site, 0, "B2"), _bed(site, 1)], strict=True):
        bed_assign(actor=supervisor, booking=booking, bed=bed)
    proposal = proposal_create(
        actor=supervisor, facility=site.facility, mode=ProposalMode.CLOSURE,
        closing=[site.unit], time_limit=5,
    )  # fmt: skip
    assert proposal.closing == [str(site.unit.public_id)]
    lines = list(proposal.moves.select_related("to_bed__cell__unit"))
    assert {line.booking for line in lines} == set(people)
    assert {line.to_bed.cell.unit.code for line in lines if line.to_bed} == {"B1"}
    proposal_apply(actor=supervisor, proposal=proposal)
    assert {_bed_now(b).cell.unit.code for b in people} == {"B1"}


def test_over_capacity_the_rest_are_unplaced_with_a_reason(site, supervisor):
    people = [_book(site, f"P{n}") for n in range(5)]
    proposal = proposal_create(
        actor=supervisor, facility=site.facility, mode=ProposalMode.COLD_START, time_limit=5
    )
    unplaced = [line for line in proposal.moves.all() if line.to_bed_id is None]
    assert len(unplaced) == 1
    assert unplaced[0].explanation["unplaced_reason"]
    assert proposal.stats["unplaced"] == 1
    applied = proposal_apply(actor=supervisor, proposal=proposal)
    assert applied.status == ProposalStatus.APPLIED
    assert sum(1 for b in people if _bed_now(b) is not None) == 4
    assert _bed_now(unplaced[0].booking) is None
    assert unplaced[0].booking.booking_number in _outcomes(applied)
    assert _outcomes(applied)[unplaced[0].booking.booking_number].startswith("unplaced: ")


def test_a_closure_names_what_closes(site, supervisor, other_site):
    with pytest.raises(ValidationFailed):
        proposal_create(actor=supervisor, facility=site.facility, mode=ProposalMode.CLOSURE)
    with pytest.raises(ValidationFailed):
        proposal_create(
            actor=supervisor, facility=site.facility, mode=ProposalMode.CLOSURE,
            closing=[other_site.unit],
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        proposal_create(
            actor=supervisor, facility=site.facility, mode=ProposalMode.DAILY, closing=[site.unit]
        )


def test_an_officer_cannot_run_the_engine(site, officer):
    with pytest.raises(PermissionDenied):
        proposal_create(actor=officer, facility=site.facility, mode=ProposalMode.DAILY)


# --- Applying ---------------------------------------------------------------------------


def test_a_swap_is_applied_and_nobody_is_left_without_a_bed(site, supervisor):
    guy, lee = _book(site, "Guy"), _book(site, "Lee")
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site))
    bed_assign(actor=supervisor, booking=lee, bed=_bed(site, 1))
    proposal = _plan(site, (guy, _bed(site), _bed(site, 1)), (lee, _bed(site, 1), _bed(site)))
    proposal_apply(actor=supervisor, proposal=proposal)
    assert (_bed_now(guy), _bed_now(lee)) == (_bed(site, 1), _bed(site))
    assert set(_outcomes(proposal).values()) == {MOVED}
    assigned = AuditEvent.objects.filter(action="housing.assign", actor=supervisor)
    assert assigned.count() == 4  # two housings, then the two moves, one event each
    assert AuditEvent.objects.filter(action="housing.vacated").count() == 2
    summary = AuditEvent.objects.get(action="housing.proposal_applied")
    assert summary.changes == {"moved": 2, "skipped": 0, "unplaced": 0}


def test_a_chain_is_applied_in_one_go(site, supervisor):
    guy, lee = _book(site, "Guy"), _book(site, "Lee")
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site))
    bed_assign(actor=supervisor, booking=lee, bed=_bed(site, 0, "B2"))
    # Lee takes Guy's bed as Guy leaves for A1-2.
    proposal = _plan(site, (lee, _bed(site, 0, "B2"), _bed(site)), (guy, _bed(site), _bed(site, 1)))
    proposal_apply(actor=supervisor, proposal=proposal)
    assert (_bed_now(guy), _bed_now(lee)) == (_bed(site, 1), _bed(site))


def test_a_move_whose_bed_was_taken_meanwhile_is_skipped_and_so_is_its_chain(site, supervisor):
    guy, lee, tenten = _book(site, "Guy"), _book(site, "Lee"), _book(site, "Tenten")
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site))
    bed_assign(actor=supervisor, booking=lee, bed=_bed(site, 0, "B2"))
    proposal = _plan(
        site,
        (guy, _bed(site), _bed(site, 1)),  # A1-2 B1: taken meanwhile
        (lee, _bed(site, 0, "B2"), _bed(site)),  # into Guy's bed, who now stays
        (tenten, None, _bed(site, 1, "B2")),
    )
    intruder = _book(site, "Neji")
    bed_assign(actor=supervisor, booking=intruder, bed=_bed(site, 1))
    proposal_apply(actor=supervisor, proposal=proposal)
    assert (_bed_now(guy), _bed_now(lee), _bed_now(tenten)) == (
        _bed(site), _bed(site, 0, "B2"), _bed(site, 1, "B2"),
    )  # fmt: skip
    outcomes = _outcomes(proposal)
    assert outcomes[guy.booking_number] == SKIPPED.format(
        reason=BED_TAKEN.format(bed="A1-2/B1", booking=intruder)
    )
    assert outcomes[lee.booking_number] == SKIPPED.format(
        reason=BED_TAKEN.format(bed="A1-1/B1", booking=guy)
    )
    assert outcomes[tenten.booking_number] == MOVED
    summary = AuditEvent.objects.get(action="housing.proposal_applied")
    assert summary.changes == {"moved": 1, "skipped": 2, "unplaced": 0}


def test_a_person_moved_meanwhile_is_skipped(site, supervisor):
    guy = _book(site, "Guy")
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site))
    proposal = _plan(site, (guy, _bed(site), _bed(site, 1)))
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site, 0, "B2"))
    proposal_apply(actor=supervisor, proposal=proposal)
    assert _bed_now(guy) == _bed(site, 0, "B2")
    assert _outcomes(proposal)[guy.booking_number] == SKIPPED.format(
        reason=MOVED_MEANWHILE.format(booking=guy)
    )


def test_a_move_the_rule_book_now_refuses_is_skipped_and_the_rest_go_ahead(
    site, supervisor, commander
):
    guy, lee = _book(site, "Guy"), _book(site, "Lee")
    bed_assign(actor=supervisor, booking=guy, bed=_bed(site))
    bed_assign(actor=supervisor, booking=lee, bed=_bed(site, 0, "B2"))
    proposal = _plan(
        site, (guy, _bed(site), _bed(site, 1)), (lee, _bed(site, 0, "B2"), _bed(site, 1, "B2"))
    )
    # Since the run, Lee must be single-celled: A1-2 would put him with Guy.
    flag_set(actor=commander, booking=lee, kind=FlagKind.SINGLE_CELL, reason="assaults")
    proposal_apply(actor=supervisor, proposal=proposal)
    assert (_bed_now(guy), _bed_now(lee)) == (_bed(site, 1), _bed(site, 0, "B2"))
    outcomes = _outcomes(proposal)
    assert outcomes[guy.booking_number] == MOVED
    assert outcomes[lee.booking_number].startswith("skipped: ")
    assert "single" in outcomes[lee.booking_number]


def test_only_a_supervisor_applies_and_only_once(site, supervisor, officer):
    proposal = _plan(site)
    with pytest.raises(PermissionDenied):
        proposal_apply(actor=officer, proposal=proposal)
    proposal_apply(actor=supervisor, proposal=proposal)
    with pytest.raises(Conflict):
        proposal_apply(actor=supervisor, proposal=proposal)
    with pytest.raises(Conflict):
        proposal_discard(actor=supervisor, proposal=proposal, reason="too late")


def test_a_discard_says_why(site, supervisor):
    proposal = _plan(site)
    with pytest.raises(ValidationFailed):
        proposal_discard(actor=supervisor, proposal=proposal, reason=" ")
    discarded = proposal_discard(actor=supervisor, proposal=proposal, reason="stale")
    assert (discarded.status, discarded.decided_by) == (ProposalStatus.DISCARDED, supervisor)
    assert discarded.decision_note == "stale"
    with pytest.raises(Conflict):
        proposal_apply(actor=supervisor, proposal=proposal)


# --- The snapshot -------------------------------------------------------------------------


def _populate(site, supervisor, count):
    """``count`` housed and ``count`` waiting, all screened here, before the counted block."""
    for n in range(count):
        cell = cell_create(actor=None, unit=site.unit, code=f"X{n}", beds=2, features=["lighting"])
        bed_assign(actor=supervisor, booking=_book(site, f"P{n}"), bed=cell.beds.get(code="B1"))
        _book(site, f"W{n}")


@pytest.mark.parametrize("population", [5, 40])
def test_the_snapshot_costs_the_same_queries_whatever_the_size(site, supervisor, population):
    _populate(site, supervisor, population)
    with CaptureQueriesContext(connection) as queries:
        snapshot = facility_snapshot(site.facility, now=NOW, mode=ProposalMode.DAILY)
    # Beds, features, current beds, open steps due before a bed, bookings, beds of the waiting
    # (looked up though they have none), flags, groups, orders.
    assert len(queries) == 9
    assert len(snapshot.instance.residents) == 2 * population
    assert len(snapshot.instance.places) == 4 + 2 * population
    housed = [r for r in snapshot.instance.residents if r.current_bed]
    assert len(housed) == population


def test_a_closing_unit_is_out_of_service_in_the_snapshot(site, wing):
    snapshot = facility_snapshot(
        site.facility, now=NOW, mode=ProposalMode.CLOSURE, closing_units={site.unit.pk}
    )
    closed = {p.unit for p in snapshot.instance.places if p.out_of_service}
    assert closed == {str(site.unit.pk)}
