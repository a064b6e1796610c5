"""Door events: who passed, checked against zone rules and grants; forced entries open incidents.

Case file 3: Shizune grants Sakura entry to Sasuke's cell at night; Hiroki
unlocks the door with Sakura passing, and closes it when she leaves.  Case
file 2: the ANBU captain has no grant for the lower level and is refused; the
escorting officer records the entry as forced: an incident opens by itself.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.models import DoorEvent, DoorOutcome
from cellblock.custody.selectors.access import door_log
from cellblock.custody.services.access import (
    door_event_record,
    entry_grant_issue,
    zone_access_set,
)
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities import services as fs
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin
from cellblock.incidents.selectors import automatic_unreviewed
from cellblock.incidents.services import incident_review

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def lower(site):
    zone = fs.zone_create(
        actor=None, facility=site.facility, code="LOW", name="Lower level", restricted=True
    )
    unit = fs.unit_create(actor=None, zone=zone, code="ISO", name="Isolation")
    return fs.cell_create(actor=None, unit=unit, code="ISO-1", beds=1, features=["iron-door"])


@pytest.fixture
def naruto(clock, hold, lower):
    # His age plays no part in the doors; the test jail's units are for adults.
    return hold("Uzumaki", given_name="Naruto", born=None, bed=lower.beds.get())


@pytest.fixture
def sasuke(clock, hold, site):
    return hold("Uchiha", given_name="Sasuke", born=None, bed=site.cells[1].beds.get(code="B1"))


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


@pytest.fixture
def shizune(staff_factory):
    return staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura", Role.MEDICAL)


@pytest.fixture
def captain(staff_factory):
    return staff_factory("anbu_captain", Role.OFFICER)


# --- Case file 3: a night visit on a grant ----------------------------------------------------


def test_hiroki_unlocks_for_sakura_on_shizunes_grant_and_closes_when_she_leaves(
    site, sasuke, commander, shizune, sakura, hiroki, clock
):
    # In the main block only officers and supervisors go in without a grant.
    zone_access_set(actor=commander, zone=site.zone, roles=["officer", "supervisor"])
    cell = site.cells[1]
    clock.shift(dt.timedelta(hours=11))  # 23:00
    night = NOW + dt.timedelta(hours=11)
    grant = entry_grant_issue(
        actor=shizune, staff=sakura, cell=cell, valid_until=night + HOUR,
        reason="treat his facial wounds",
    )  # fmt: skip
    unlocked = door_event_record(actor=hiroki, action="unlock", cell=cell, staff_passed=[sakura])
    assert (unlocked.outcome, unlocked.grant, unlocked.operated_by) == (
        DoorOutcome.ALLOWED, grant, hiroki,
    )  # fmt: skip
    assert list(unlocked.staff_passed.all()) == [sakura]
    clock.shift(dt.timedelta(minutes=25))
    closed = door_event_record(actor=hiroki, action="close", cell=cell, staff_passed=[sakura])
    assert closed.outcome == DoorOutcome.ALLOWED
    assert [e.action for e in door_log(site.facility)] == ["close", "unlock"]
    assert AuditEvent.objects.filter(action__startswith="door.").count() == 2
    assert not Incident.objects.exists()


def test_without_the_grant_sakura_is_refused_and_the_refusal_is_logged(
    site, sasuke, commander, sakura, hiroki
):
    zone_access_set(actor=commander, zone=site.zone, roles=["officer", "supervisor"])
    with pytest.raises(PermissionDenied) as refused:
        door_event_record(actor=hiroki, action="unlock", cell=site.cells[1], staff_passed=[sakura])
    error = refused.value
    assert error.code == "no_entry_grant"
    assert error.message.startswith("Sakura may not enter cell A1-2 (Block A): Block A admits")
    assert error.extra["refused"] == [
        {"staff": "sakura", "reason": "Block A admits officer, supervisor; Sakura holds medical."}
    ]
    denied = DoorEvent.objects.get()
    assert str(denied.public_id) == error.extra["door_event"]
    assert (denied.outcome, denied.incident) == (DoorOutcome.DENIED, None)
    assert AuditEvent.objects.get(action="door.unlock").outcome == "denied"


def test_closing_a_door_checks_nobody(site, lower, hiroki, captain):
    event = door_event_record(actor=hiroki, action="close", cell=lower, staff_passed=[captain])
    assert event.outcome == DoorOutcome.ALLOWED


# --- Case file 2: the ANBU captain forces his way in ---------------------------------------------


def test_the_anbu_captain_is_refused_at_the_lower_level(lower, naruto, hiroki, captain):
    with pytest.raises(PermissionDenied) as refused:
        door_event_record(actor=hiroki, action="open", cell=lower, staff_passed=[captain])
    assert refused.value.code == "no_entry_grant"
    assert "Lower level is a restricted zone" in refused.value.message
    assert not Incident.objects.exists()


def test_the_escort_records_the_entry_as_forced_an_incident_opens_and_alerts(
    lower, naruto, hiroki, captain, commander, clock
):
    clock.shift(dt.timedelta(minutes=3))
    with pytest.raises(ValidationFailed) as no_note:
        door_event_record(
            actor=hiroki, action="open", cell=lower, staff_passed=[captain], forced=True
        )
    assert "note" in no_note.value.extra["fields"]
    forced = door_event_record(
        actor=hiroki, action="open", cell=lower, staff_passed=[captain], forced=True,
        note="He went in over my protest to see the boy.",
    )  # fmt: skip
    assert forced.outcome == DoorOutcome.FORCED
    incident = forced.incident
    assert incident is not None
    assert (incident.kind, incident.origin) == (
        IncidentKind.FORCED_ENTRY, IncidentOrigin.AUTOMATIC,
    )  # fmt: skip
    assert incident.number == "TST-INC-2026-0001"
    assert incident.occurred_at == NOW + dt.timedelta(minutes=3)
    assert (incident.cell, incident.zone) == (lower, lower.unit.zone)
    assert list(incident.staff.all()) == [captain]
    assert list(incident.people.all()) == [naruto]
    assert incident.reported_by == hiroki
    assert incident.narrative.startswith(
        "Unauthorised entry: Anbu Captain entered cell ISO-1 (Lower level) without an entry grant"
    )
    assert incident.narrative.endswith("He went in over my protest to see the boy.")
    # On the commander's board until someone reviews it.
    assert automatic_unreviewed(lower.unit.zone.facility) == [incident]
    incident_review(actor=commander, incident=incident, note="spoke to the captain")
    assert automatic_unreviewed(lower.unit.zone.facility) == []
    audit = AuditEvent.objects.get(action="door.open")
    assert audit.changes["outcome"] == "forced"
    assert audit.changes["incident"] == "TST-INC-2026-0001"


def test_forced_through_a_zone_gate_names_the_people_led_in(site, lower, naruto, hiroki, captain):
    forced = door_event_record(
        actor=hiroki, action="unlock", zone=lower.unit.zone, staff_passed=[captain],
        people_passed=[naruto], forced=True, note="took the boy down with him",
    )  # fmt: skip
    assert forced.incident is not None
    assert (forced.incident.cell, forced.incident.zone) == (None, lower.unit.zone)
    assert list(forced.incident.people.all()) == [naruto]


def test_forced_ticked_when_everyone_may_enter_is_a_plain_allowed_event(site, hiroki, officer):
    event = door_event_record(
        actor=hiroki, action="open", cell=site.cells[0], staff_passed=[officer], forced=True,
        note="ticked by mistake",
    )  # fmt: skip
    assert (event.outcome, event.incident) == (DoorOutcome.ALLOWED, None)


# --- Rules of the record --------------------------------------------------------------------------


def test_only_those_who_operate_doors_log_them(site, sakura, visits_clerk):
    for who in (sakura, visits_clerk):
        with pytest.raises(PermissionDenied) as refused:
            door_event_record(actor=who, action="open", cell=site.cells[0])
        assert refused.value.code == "missing_role"


def test_a_door_event_names_one_place_a_known_action_and_no_future(
    site, lower, hiroki, outsider, other_site
):
    with pytest.raises(ValidationFailed) as two:
        door_event_record(actor=hiroki, action="open", cell=lower, zone=site.zone)
    assert "place" in two.value.extra["fields"]
    with pytest.raises(ValidationFailed) as bad:
        door_event_record(
            actor=hiroki, action="smash", cell=lower, at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
        )
    assert set(bad.value.extra["fields"]) == {"action", "at"}


def test_the_door_log_reads_in_three_queries(
    site, lower, naruto, sasuke, hiroki, captain, officer, django_assert_num_queries
):
    for n in range(3):
        door_event_record(
            actor=hiroki, action="open", cell=site.cells[n % 2], staff_passed=[officer],
            people_passed=[sasuke],
        )  # fmt: skip
    door_event_record(
        actor=hiroki, action="open", cell=lower, staff_passed=[captain], forced=True, note="x"
    )
    with django_assert_num_queries(3):
        events = door_log(site.facility)
        assert events[0].outcome == "forced"
        assert [len(e.staff_passed.all()) for e in events] == [1, 1, 1, 1]
        assert events[1].people_passed.all()[0].person.family_name == "Uchiha"
