"""compliance_sweep and ``cellblock compliance sweep``: episodes open, refresh, clear, audited."""

from __future__ import annotations

import datetime as dt
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cellblock.audit.models import AuditEvent
from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode
from cellblock.compliance.services import SWEEP_DENIED, compliance_sweep
from cellblock.core.errors import PermissionDenied
from cellblock.custody.models import Destination
from cellblock.custody.tests.conftest import NOW
from cellblock.requests.models import EntryKind
from cellblock.visits.models import VisitStatus

from .support import out, request_filed, seen, visit_room, visiting

pytestmark = pytest.mark.django_db


def episode(subject: str) -> AlertEpisode:
    return AlertEpisode.objects.get(subject=subject)


def test_a_sweep_opens_an_episode_per_alert_and_audits_once(site, hold, clock, supervisor):
    kakashi = hold("Hatake")
    clock.move_to(NOW + dt.timedelta(minutes=90))
    result = compliance_sweep(actor=supervisor, facility=site.facility)
    subject = f"observation_overdue:{kakashi.booking_number}"
    assert subject in result.opened
    opened = episode(subject)
    assert (opened.rule, opened.booking, opened.severity) == (
        rules.OBSERVATION_OVERDUE, kakashi, rules.BREACH
    )  # fmt: skip
    assert (opened.since, opened.opened_at, opened.worst_number) == (
        NOW + dt.timedelta(hours=1), NOW + dt.timedelta(minutes=90), 90
    )  # fmt: skip
    assert opened.responsible == "Officers on duty; Supervisor: Sam Supervisor"
    event = AuditEvent.objects.get(action="compliance.sweep")
    assert event.actor_username == supervisor.username
    assert event.changes["opened"] == len(result.opened)
    assert subject in event.changes["opened_subjects"]
    assert event.changes["cleared_subjects"] == []


def test_a_later_sweep_refreshes_the_worst_figure_then_clears_what_is_gone(
    site, hold, clock, officer
):
    kakashi = hold("Hatake")
    subject = f"observation_overdue:{kakashi.booking_number}"
    clock.move_to(NOW + dt.timedelta(minutes=90))
    compliance_sweep(actor=None, facility=site.facility)
    clock.move_to(NOW + dt.timedelta(minutes=120))
    again = compliance_sweep(actor=None, facility=site.facility)
    assert subject not in again.opened
    assert (episode(subject).worst_number, episode(subject).last_seen_at) == (
        120, NOW + dt.timedelta(minutes=120)
    )  # fmt: skip
    seen(kakashi, NOW + dt.timedelta(minutes=125), officer)
    clock.move_to(NOW + dt.timedelta(minutes=130))
    cleared = compliance_sweep(actor=None, facility=site.facility)
    assert subject in cleared.cleared
    assert episode(subject).cleared_at == NOW + dt.timedelta(minutes=130)
    # Overdue again later: a new episode, the old one stays as it was.
    clock.move_to(NOW + dt.timedelta(minutes=200))
    compliance_sweep(actor=None, facility=site.facility)
    assert AlertEpisode.objects.filter(subject=subject).count() == 2


def test_an_episode_keeps_its_worst_severity(site, hold, clock):
    clock.move_to(NOW.replace(hour=0) - dt.timedelta(days=11))
    kakashi = hold("Hatake", housed=False)
    clock.move_to(NOW.replace(hour=22))
    compliance_sweep(actor=None, facility=site.facility)
    subject = f"prolonged_solitary:{kakashi.booking_number}"
    assert episode(subject).severity == rules.WARNING
    clock.move_to(NOW.replace(hour=22) + dt.timedelta(days=4))
    compliance_sweep(actor=None, facility=site.facility)
    assert (episode(subject).severity, episode(subject).worst_number) == (rules.BREACH, 16)
    # A visit ends the streak: the episode closes as a breach.
    out(kakashi, Destination.VISIT_ROOM, NOW.replace(hour=22) + dt.timedelta(days=4, minutes=5))
    clock.move_to(NOW.replace(hour=22) + dt.timedelta(days=4, minutes=10))
    compliance_sweep(actor=None, facility=site.facility)
    assert episode(subject).cleared_at is not None
    assert episode(subject).severity == rules.BREACH


def test_a_sweep_escalates_overdue_requests_to_the_commander_and_names_them(
    site, hold, clock, supervisor, commander
):
    kakashi = hold("Hatake")
    request = request_filed(kakashi, filed_at=NOW, addressee=supervisor)
    clock.move_to(NOW + dt.timedelta(days=15) - dt.timedelta(seconds=1))
    assert compliance_sweep(actor=None, facility=site.facility).escalated == []
    clock.move_to(NOW + dt.timedelta(days=15, hours=1))
    result = compliance_sweep(actor=None, facility=site.facility)
    assert result.escalated == [request.number]
    request.refresh_from_db()
    assert (request.addressee_role, request.addressee, request.escalated_at) == (
        "commander", None, NOW + dt.timedelta(days=15, hours=1)
    )  # fmt: skip
    assert request.entries.filter(kind=EntryKind.ESCALATED).count() == 1
    # The alert the same sweep opened already names the commander.
    opened = episode(f"request_overdue:{request.number}")
    assert (opened.rule, opened.booking, opened.worst_number) == (
        rules.REQUEST_OVERDUE, kakashi, 0
    )  # fmt: skip
    assert opened.responsible == "Commander: Cara Commander"
    assert "escalated to the commander" in opened.message
    event = AuditEvent.objects.filter(action="compliance.sweep").latest("seq")
    assert (event.changes["escalated"], event.changes["escalated_requests"]) == (
        1, [request.number]
    )  # fmt: skip
    # Once is enough: the next sweep escalates nothing more.
    clock.move_to(NOW + dt.timedelta(days=16))
    assert compliance_sweep(actor=None, facility=site.facility).escalated == []


def test_a_visit_over_its_time_opens_an_episode_that_clears_when_it_ends(
    site, hold, clock, officer
):
    kakashi = hold("Hatake")
    visit = visiting(kakashi, started_at=NOW, minutes=20, escort=officer, room=visit_room(site))
    subject = f"visit_overrun:{kakashi.booking_number}:{visit.public_id}"
    clock.move_to(NOW + dt.timedelta(minutes=20))
    assert subject in compliance_sweep(actor=None, facility=site.facility).opened
    assert episode(subject).responsible == "Escort: Olly Officer; Supervisor"
    clock.move_to(NOW + dt.timedelta(minutes=24))
    compliance_sweep(actor=None, facility=site.facility)
    assert (episode(subject).worst_number, episode(subject).severity) == (4, rules.BREACH)
    visit.status, visit.ended_at = VisitStatus.ENDED, NOW + dt.timedelta(minutes=24)
    visit.save(update_fields=["status", "ended_at"])
    clock.move_to(NOW + dt.timedelta(minutes=25))
    assert subject in compliance_sweep(actor=None, facility=site.facility).cleared


def test_only_supervisors_and_commanders_sweep(site, officer, outsider):
    with pytest.raises(PermissionDenied) as refused:
        compliance_sweep(actor=officer, facility=site.facility)
    assert refused.value.message == SWEEP_DENIED.format(facility="Test Jail")
    with pytest.raises(PermissionDenied):
        compliance_sweep(actor=outsider, facility=site.facility)


def test_a_sweep_that_read_before_a_newer_one_wrote_writes_nothing(site, hold, clock):
    hold("Hatake")
    clock.move_to(NOW + dt.timedelta(hours=2))
    compliance_sweep(actor=None, facility=site.facility)
    clock.move_to(NOW + dt.timedelta(hours=1, minutes=30))
    late = compliance_sweep(actor=None, facility=site.facility)
    assert late.superseded
    assert AuditEvent.objects.filter(action="compliance.sweep").count() == 1


def test_the_command_sweeps_one_facility_or_all(site, other_site, hold, clock, supervisor):
    hold("Hatake")
    clock.move_to(NOW + dt.timedelta(hours=2))
    output = StringIO()
    call_command("compliance", "sweep", "--facility", "tst", "--as", supervisor.username,
                 stdout=output)  # fmt: skip
    assert output.getvalue().startswith("2026-03-14 14:00:00 TST: ")
    assert "opened" in output.getvalue()
    clock.move_to(NOW + dt.timedelta(hours=3))
    output = StringIO()
    call_command("compliance", "sweep", "--every", "0.01", "--rounds", "2", stdout=output)
    lines = output.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["OTH:", "TST:", "OTH:", "TST:"]
    event = AuditEvent.objects.filter(action="compliance.sweep").latest("seq")
    assert event.actor_username == ""


def test_the_sweep_beside_make_runs_server_parses_and_stays_quiet(site, capsys):
    """The exact command line of the Makefile's run target (one round instead of forever)."""
    makefile = Path(__file__).resolve().parents[4] / "Makefile"
    [line] = [text for text in makefile.read_text().splitlines() if "compliance" in text
              and "sweep" in text and "$(CELLBLOCK)" in text]  # fmt: skip
    argv = shlex.split(line.split("$(CELLBLOCK)", 1)[1].split("&", 1)[0])
    assert argv[:2] == ["compliance", "--verbosity"]

    # Parsed as the command line would be: options after the verb must belong to it.
    call_command(*argv, "--rounds", "1")

    assert capsys.readouterr().out == ""
    assert AuditEvent.objects.filter(action="compliance.sweep").count() == 1


def test_the_command_explains_what_it_cannot_do(site, officer):
    with pytest.raises(CommandError, match="No facility with code 'NOPE'"):
        call_command("compliance", "sweep", "--facility", "NOPE", stdout=StringIO())
    with pytest.raises(CommandError, match="needs a supervisor or the commander"):
        call_command("compliance", "sweep", "--as", officer.username, stdout=StringIO())
    with pytest.raises(CommandError, match="--every must be a positive"):
        call_command("compliance", "sweep", "--every", "0", stdout=StringIO())
