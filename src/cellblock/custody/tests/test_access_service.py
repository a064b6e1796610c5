"""Who may enter: zone rules by role, restricted zones, time-boxed grants; a cell's condition."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.selectors.access import grants_in_force, zone_rules
from cellblock.custody.services.access import (
    cell_condition_report,
    entry_grant_issue,
    entry_grant_revoke,
    may_enter,
    zone_access_set,
)
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities import services as fs
from cellblock.facilities.models import CellFeature
from cellblock.housing.models import HousingReview

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def lower(site):
    """The restricted lower level: one isolation cell behind an iron door, no lighting."""
    zone = fs.zone_create(
        actor=None, facility=site.facility, code="LOW", name="Lower level", restricted=True
    )
    unit = fs.unit_create(actor=None, zone=zone, code="ISO", name="Isolation")
    cell = fs.cell_create(actor=None, unit=unit, code="ISO-1", beds=1, features=["iron-door"])
    return zone, cell


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura", Role.MEDICAL)


@pytest.fixture
def clerk(staff_factory):
    return staff_factory("bea_booking", Role.BOOKING)


# --- may_enter ---------------------------------------------------------------------------


def test_a_zone_without_rules_lets_in_every_role_that_works_in_cells(
    clock, site, officer, sakura, clerk
):
    cell = site.cells[0]
    assert may_enter(officer, cell=cell, at=NOW)[0]
    assert may_enter(sakura, cell=cell, at=NOW)[0]
    allowed, grant, why = may_enter(clerk, cell=cell, at=NOW)
    assert (allowed, grant) == (False, None)
    assert "Block A admits" in why


def test_a_zone_with_rules_lets_in_only_the_roles_named(clock, site, officer, sakura, commander):
    zone_access_set(actor=commander, zone=site.zone, roles=["officer", "supervisor"])
    assert may_enter(officer, cell=site.cells[0], at=NOW)[0]
    allowed, _, why = may_enter(sakura, cell=site.cells[0], at=NOW)
    assert not allowed
    assert why == "Block A admits officer, supervisor; Sakura holds medical."
    assert [rule.admits for rule in zone_rules(site.facility)] == ["officer, supervisor"]


def test_a_restricted_zone_admits_nobody_without_a_grant_not_even_the_commander(
    clock, lower, commander
):
    zone, cell = lower
    for place in ({"zone": zone}, {"cell": cell}):
        allowed, _, why = may_enter(commander, **place, at=NOW)
        assert not allowed
        assert why.startswith("Lower level is a restricted zone")


def test_a_grant_for_the_cell_opens_the_cell_and_the_way_to_it(clock, lower, supervisor, officer):
    zone, cell = lower
    grant = entry_grant_issue(
        actor=supervisor, staff=officer, cell=cell, valid_until=NOW + HOUR, reason="light fitting"
    )
    assert may_enter(officer, cell=cell, at=NOW) == (
        True, grant, f"grant from {supervisor} until 2026-03-14 13:00"
    )  # fmt: skip
    assert may_enter(officer, zone=zone, at=NOW)[1] == grant


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (-dt.timedelta(minutes=1), False),
        (dt.timedelta(0), True),
        (HOUR - dt.timedelta(minutes=1), True),
        (HOUR, False),
    ],
)
def test_a_grant_runs_from_its_start_until_just_before_its_end(
    clock, lower, supervisor, officer, offset, allowed
):
    _, cell = lower
    start = NOW + dt.timedelta(minutes=10)
    entry_grant_issue(
        actor=supervisor, staff=officer, cell=cell, valid_from=start, valid_until=start + HOUR,
        reason="night round",
    )  # fmt: skip
    assert may_enter(officer, cell=cell, at=start + offset)[0] is allowed


def test_a_revoked_grant_no_longer_opens_the_door(clock, lower, supervisor, officer):
    _, cell = lower
    grant = entry_grant_issue(
        actor=supervisor, staff=officer, cell=cell, valid_until=NOW + HOUR, reason="round"
    )
    clock.shift(dt.timedelta(minutes=5))
    entry_grant_revoke(actor=supervisor, grant=grant, reason="done early")
    assert not may_enter(officer, cell=cell, at=NOW + dt.timedelta(minutes=5))[0]
    # Before the revocation, the grant held.
    assert may_enter(officer, cell=cell, at=NOW + dt.timedelta(minutes=4))[0]
    with pytest.raises(Conflict) as twice:
        entry_grant_revoke(actor=supervisor, grant=grant)
    assert twice.value.code == "already_revoked"
    assert grants_in_force(cell.unit.zone.facility) == []


def test_a_grant_to_someone_else_or_another_cell_does_not_count(
    clock, lower, site, supervisor, officer, sakura
):
    _, cell = lower
    other = fs.cell_create(actor=None, unit=cell.unit, code="ISO-2", beds=1)
    entry_grant_issue(actor=supervisor, staff=sakura, cell=cell, valid_until=NOW + HOUR, reason="x")
    assert not may_enter(officer, cell=cell, at=NOW)[0]
    assert not may_enter(sakura, cell=other, at=NOW)[0]


# --- Issuing grants ------------------------------------------------------------------------


def test_shizune_grants_sakura_entry_to_a_cell_at_night(clock, site, staff_factory, sakura):
    shizune = staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)
    night = NOW + dt.timedelta(hours=10)
    grant = entry_grant_issue(
        actor=shizune, staff=sakura, cell=site.cells[0], valid_from=night,
        valid_until=night + HOUR, reason="treat his facial wounds",
    )  # fmt: skip
    assert (grant.granted_by, grant.granted_at, grant.zone) == (shizune, NOW, None)
    assert grants_in_force(site.facility) == [grant]
    event = AuditEvent.objects.get(action="entry_grant.issue")
    assert event.changes["staff"] == "sakura"
    assert event.object_label == "sakura into cell A1-1 (Block A)"


def test_only_supervisors_and_the_commander_issue_grants(clock, site, officer, sakura):
    with pytest.raises(PermissionDenied):
        entry_grant_issue(
            actor=officer, staff=sakura, cell=site.cells[0], valid_until=NOW + HOUR, reason="x"
        )


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "message"),
    [
        (NOW, NOW, "must be after valid_from."),
        (NOW - 3 * HOUR, NOW - HOUR, "must be in the future."),
        (
            NOW,
            NOW + 24 * HOUR + dt.timedelta(minutes=1),
            "must be at most 24 hours after valid_from.",
        ),
    ],
)
def test_a_grant_is_time_boxed(clock, site, supervisor, sakura, valid_from, valid_until, message):
    with pytest.raises(ValidationFailed) as refused:
        entry_grant_issue(
            actor=supervisor, staff=sakura, cell=site.cells[0], valid_from=valid_from,
            valid_until=valid_until, reason="treatment",
        )  # fmt: skip
    assert refused.value.extra["fields"]["valid_until"] == [message]


def test_a_grant_names_one_place_a_reason_and_a_member_of_staff_here(
    clock, site, lower, supervisor, outsider
):
    zone, cell = lower
    with pytest.raises(ValidationFailed) as two_places:
        entry_grant_issue(
            actor=supervisor, staff=supervisor, cell=cell, zone=zone, valid_until=NOW + HOUR,
            reason="x",
        )  # fmt: skip
    assert "place" in two_places.value.extra["fields"]
    with pytest.raises(ValidationFailed) as refused:
        entry_grant_issue(
            actor=supervisor, staff=outsider, zone=zone, valid_until=NOW + HOUR, reason=" "
        )
    assert set(refused.value.extra["fields"]) == {"staff", "reason"}


# --- Zone rules --------------------------------------------------------------------------


def test_zone_rules_are_set_by_the_commander_or_an_administrator(site, commander, officer):
    with pytest.raises(PermissionDenied):
        zone_access_set(actor=officer, zone=site.zone, roles=["officer"])
    with pytest.raises(ValidationFailed):
        zone_access_set(actor=commander, zone=site.zone, roles=["janitor"])
    assert zone_access_set(actor=commander, zone=site.zone, roles=["officer", "medical"]) == [
        "medical", "officer",
    ]  # fmt: skip
    assert zone_access_set(actor=commander, zone=site.zone, roles=[]) == []
    assert zone_rules(site.facility)[0].admits == "commander, medical, officer, supervisor"


# --- Cell condition --------------------------------------------------------------------------


def test_the_anbu_captain_places_a_light_in_the_dark_cell(site, lower, staff_factory):
    captain = staff_factory("anbu_captain", Role.OFFICER)
    _, cell = lower
    feature = cell_condition_report(
        actor=captain, cell=cell, tag="lighting", status="working", note="lamp fitted"
    )
    assert (feature.tag, feature.status) == ("lighting", "working")
    assert AuditEvent.objects.filter(action="cell.feature_set", actor=captain).exists()


def test_damaged_bars_are_reported_with_what_is_wrong_and_raise_housing_alerts(
    site, hold, officer, commander
):
    from cellblock.classification.services import flag_set

    cell = site.cells[0]
    fs.cell_feature_set(actor=None, cell=cell, tag="chakra-suppression")
    kakashi = hold("Hatake", given_name="Kakashi", bed=cell.beds.get(code="B1"))
    flag_set(
        actor=commander, booking=kakashi, kind="containment", detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as no_note:
        cell_condition_report(
            actor=officer, cell=cell, tag="chakra-suppression", status="compromised"
        )
    assert "note" in no_note.value.extra["fields"]
    cell_condition_report(
        actor=officer, cell=cell, tag="chakra-suppression", status="compromised", note="bar dented"
    )
    assert CellFeature.objects.get(cell=cell, tag="chakra-suppression").status == "compromised"
    assert HousingReview.objects.filter(booking=kakashi, resolved_at__isnull=True).exists()


def test_a_medic_or_a_clerk_cannot_report_a_cells_condition(site, sakura, clerk):
    for who in (sakura, clerk):
        with pytest.raises(PermissionDenied):
            cell_condition_report(actor=who, cell=site.cells[0], tag="lighting", status="working")


def test_a_condition_is_working_or_compromised(site, officer):
    with pytest.raises(ValidationFailed):
        cell_condition_report(
            actor=officer, cell=site.cells[0], tag="lighting", status="flickering"
        )
