"""``cellblock housing solve``, ``show`` and ``apply``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.conftest import screen_clear
from cellblock.facilities.services import cell_create, unit_create
from cellblock.housing.management.commands.housing import APPLIED, EngineBar, summary
from cellblock.housing.models import BedAssignment, HousingProposal, ProposalStatus
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("housing", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _book(site, given):
    """A booking screened clear at intake: the engine houses only those ready for a bed."""
    person = person_create(actor=None, facility=None, given_name=given, family_name="Test")
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking)


@pytest.fixture
def guy(site, supervisor):
    booking = _book(site, "Guy")
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[0].beds.get(code="B1"))
    return booking


@pytest.fixture
def wing(site):
    unit = unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    return cell_create(actor=None, unit=unit, code="B1-1", beds=2)


def test_solve_stores_a_proposal_and_prints_its_summary(site, guy, supervisor):
    lee = _book(site, "Lee")
    out, err = run("solve", "--facility", "tst", "--time-limit", "5", "--as", supervisor.username)
    proposal = HousingProposal.objects.get()
    assert out == summary(proposal)
    assert "1 moves, 0 unplaced" in out
    assert (proposal.mode, proposal.created_by) == ("daily", supervisor)
    assert proposal.moves.get().booking == lee
    # The bar ends at the whole run.
    assert "100/100" in err


def test_a_closure_names_its_units(site, guy, wing):
    run("solve", "--facility", "TST", "--mode", "closure", "--close", "A1")
    proposal = HousingProposal.objects.get()
    assert proposal.closing == [str(site.unit.public_id)]
    assert proposal.moves.get().to_bed in set(wing.beds.all())
    with pytest.raises(CommandError, match="no housing unit 'Z9'"):
        run("solve", "--facility", "TST", "--mode", "closure", "--close", "Z9")


def test_show_lists_the_moves(site, guy, wing):
    run("solve", "--facility", "TST", "--mode", "closure", "--close", "A1")
    proposal = HousingProposal.objects.get()
    out, _ = run("show", str(proposal.public_id))
    lines = out.splitlines()
    assert lines[0] == summary(proposal)
    assert lines[1].startswith(f"  {guy.booking_number} Guy Test: Unit A1 / A1-1 B1 -> Unit B1 /")


def test_apply_moves_people_as_the_named_supervisor(site, guy, wing, supervisor):
    run("solve", "--facility", "TST", "--mode", "closure", "--close", "A1")
    proposal = HousingProposal.objects.get()
    with pytest.raises(CommandError):
        run("apply", str(proposal.public_id))
    out, _ = run("apply", str(proposal.public_id), "--as", supervisor.username)
    assert out == APPLIED.format(id=proposal.public_id, moved=1, skipped=0, unplaced=0)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPLIED
    assert BedAssignment.objects.get(booking=guy, ended_at__isnull=True).bed.cell == wing
    assert AuditEvent.objects.get(action="housing.proposal_applied").actor == supervisor


def test_an_unknown_proposal_is_an_error(db):
    with pytest.raises(CommandError, match="No housing proposal nope"):
        run("show", "nope")


def test_the_engine_bar_starts_a_bar_per_stage():
    drawn: list[tuple[str, int]] = []

    class Bar:
        def __init__(self, label: str) -> None:
            self.label = label

        def advance(self, n: int = 1) -> None:
            drawn.append((self.label, n))

        def close(self) -> None:
            drawn.append((self.label, -1))

    bar = EngineBar(lambda label, total: Bar(label))
    bar("bound", 0.1)
    bar("bound", 0.3)
    bar("search", 0.8)
    bar.close()
    assert drawn == [
        ("% bound", 10), ("% bound", 20), ("% bound", -1), ("% search", 80), ("% search", -1),
    ]  # fmt: skip
