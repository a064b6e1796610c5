"""Restraints: applied with a reason, checked every 15 minutes, approved past 2 hours, removed.

Case file 1: two officers cuff Kakashi on a supervisor's authority.  Case file
3: Sasuke's wrists are bound; Sakura (a medic) cuts the bindings, without
authority (recorded, an incident opens, a supervisor reviews) or with
Shizune's (nothing to review).
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.models import Restraint
from cellblock.custody.selectors.restraints import (
    removals_awaiting_review,
    restraint_row,
    restraints_in_force,
    restraints_of,
)
from cellblock.custody.services.restraints import (
    RESTRAINT_AS_PUNISHMENT,
    restraint_apply,
    restraint_check_record,
    restraint_extension_approve,
    restraint_removal_review,
    restraint_remove,
)
from cellblock.custody.tests.conftest import NOW
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin
from cellblock.incidents.services import incident_review

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake", given_name="Kakashi")


@pytest.fixture
def sasuke(clock, hold):
    # His age plays no part here; the test jail has adult units only.
    return hold("Uchiha", given_name="Sasuke", born=None)


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


@pytest.fixture
def shizune(staff_factory):
    """Shift supervisor and a medic: she may sign either side of an extension, never both."""
    return staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura", Role.MEDICAL)


def _bind(officer, booking, **more):
    values = {"kind": "wrist_bindings", "purpose": "safety", "reason": "attacked a medic"}
    return restraint_apply(actor=officer, booking=booking, **{**values, **more})


# --- Applying -------------------------------------------------------------------------


def test_two_officers_cuff_kakashi_on_a_supervisors_authority(kakashi, officer, hiroki, supervisor):
    cuffs = restraint_apply(
        actor=officer, booking=kakashi, kind="handcuffs", purpose="transport",
        reason="escort from the court to the cells", assisted_by=hiroki, authorised_by=supervisor,
    )  # fmt: skip
    assert cuffs.applied_at == NOW
    assert (cuffs.applied_by, cuffs.assisted_by, cuffs.authorised_by) == (
        officer,
        hiroki,
        supervisor,
    )
    event = AuditEvent.objects.get(action="restraint.apply")
    assert event.actor == officer
    assert event.changes["assisted_by"] == "hiroki"
    assert event.changes["authorised_by"] == supervisor.username


def test_a_restraint_as_punishment_is_refused_naming_mandela_rule_43_2(kakashi, officer):
    with pytest.raises(Conflict) as refused:
        _bind(officer, kakashi, purpose="discipline", reason="talked back")
    assert refused.value.code == "restraint_as_punishment"
    assert refused.value.message == RESTRAINT_AS_PUNISHMENT
    assert "Mandela Rule 43(2)" in refused.value.message
    assert not Restraint.objects.exists()


def test_an_officer_in_an_emergency_applies_without_authority_and_the_board_shows_it(
    sasuke, officer
):
    bindings = _bind(officer, sasuke)
    assert bindings.authorised_by is None
    assert restraint_row(bindings).unauthorised


def test_a_supervisor_applying_a_restraint_authorises_it_herself(sasuke, supervisor):
    assert _bind(supervisor, sasuke).authorised_by == supervisor


def test_only_a_supervisor_or_the_commander_can_be_named_as_the_authority(sasuke, officer, hiroki):
    with pytest.raises(ValidationFailed) as refused:
        _bind(officer, sasuke, authorised_by=hiroki)
    assert "cannot authorise restraints" in refused.value.extra["fields"]["authorised_by"][0]


def test_the_second_officer_is_another_member_of_staff_here(sasuke, officer, outsider):
    with pytest.raises(ValidationFailed) as itself:
        _bind(officer, sasuke, assisted_by=officer)
    assert "assisted_by" in itself.value.extra["fields"]
    with pytest.raises(ValidationFailed) as stranger:
        _bind(officer, sasuke, assisted_by=outsider)
    assert "holds no role" in stranger.value.extra["fields"]["assisted_by"][0]


def test_a_restraint_says_what_and_why(sasuke, officer):
    with pytest.raises(ValidationFailed) as refused:
        _bind(officer, sasuke, kind="rope", reason="  ")
    assert set(refused.value.extra["fields"]) == {"kind", "reason"}


def test_a_late_entry_is_accepted_but_not_a_time_in_the_future_or_before_the_booking(
    sasuke, officer, clock
):
    with pytest.raises(ValidationFailed) as future:
        _bind(officer, sasuke, at=NOW + MINUTE)
    assert future.value.extra["fields"]["at"] == ["cannot be in the future."]
    with pytest.raises(ValidationFailed) as before:
        _bind(officer, sasuke, at=NOW - MINUTE)
    assert "before the booking" in before.value.extra["fields"]["at"][0]
    clock.shift(dt.timedelta(minutes=30))
    late = _bind(officer, sasuke, at=NOW + dt.timedelta(minutes=10))
    assert late.applied_at == NOW + dt.timedelta(minutes=10)


def test_the_same_restraint_twice_is_a_conflict(sasuke, officer):
    _bind(officer, sasuke)
    with pytest.raises(Conflict) as twice:
        _bind(officer, sasuke)
    assert twice.value.code == "already_restrained"
    # Another kind is a further restraint.
    _bind(officer, sasuke, kind="leg_irons")


def test_a_medic_or_a_visits_clerk_cannot_apply_restraints(sasuke, medic, visits_clerk):
    for who in (medic, visits_clerk):
        with pytest.raises(PermissionDenied):
            _bind(who, sasuke)


# --- Checks: every 15 minutes (one minute before, at, after) ------------------------------


@pytest.mark.parametrize(
    ("minutes", "overdue", "to_check", "late_by"),
    [(14, False, 1, 0), (15, False, 0, 0), (16, True, 0, 1)],
)
def test_a_check_is_due_15_minutes_after_the_application_and_late_after_that(
    sasuke, officer, clock, minutes, overdue, to_check, late_by
):
    _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=minutes))
    [row] = restraints_in_force(sasuke.facility)
    assert row.next_check_due == NOW + dt.timedelta(minutes=15)
    assert (row.overdue, row.minutes_to_check, row.minutes_overdue) == (overdue, to_check, late_by)


@pytest.mark.parametrize(("minutes", "overdue"), [(14, False), (15, False), (16, True)])
def test_each_check_starts_the_next_15_minutes(sasuke, officer, clock, minutes, overdue):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=10))
    restraint_check_record(actor=officer, restraint=bindings, note="hands warm")
    clock.shift(dt.timedelta(minutes=minutes))
    row = restraint_row(bindings)
    assert row.last_check_at == NOW + dt.timedelta(minutes=10)
    assert row.overdue is overdue


def test_a_check_finding_poor_circulation_says_what_was_done(sasuke, officer):
    bindings = _bind(officer, sasuke)
    with pytest.raises(ValidationFailed) as refused:
        restraint_check_record(actor=officer, restraint=bindings, circulation_ok=False)
    assert "note" in refused.value.extra["fields"]
    check = restraint_check_record(
        actor=officer, restraint=bindings, circulation_ok=False, note="loosened one notch"
    )
    assert check.checked_by == officer
    assert AuditEvent.objects.filter(action="restraint.check").count() == 1


def test_a_check_cannot_predate_the_restraint(sasuke, officer, clock):
    clock.shift(dt.timedelta(minutes=5))
    bindings = _bind(officer, sasuke)
    with pytest.raises(ValidationFailed):
        restraint_check_record(actor=officer, restraint=bindings, at=NOW)


# --- Past 2 hours: a supervisor and a medic, two different people --------------------------


@pytest.mark.parametrize(("minutes", "over"), [(119, False), (120, False), (121, True)])
def test_past_two_hours_without_both_approvals_is_over_the_limit(
    sasuke, officer, clock, minutes, over
):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=minutes))
    row = restraint_row(bindings)
    assert row.minutes_restrained == minutes
    assert row.approvals_missing == ["supervisor", "medic"]
    assert row.over_limit is over


def test_a_supervisor_and_a_medic_approve_and_it_may_stay_on(
    sasuke, officer, supervisor, medic, clock
):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=110))
    restraint_extension_approve(actor=supervisor, restraint=bindings)
    assert restraint_row(bindings).approvals_missing == ["medic"]
    restraint_extension_approve(actor=medic, restraint=bindings)
    clock.shift(dt.timedelta(minutes=20))
    row = restraint_row(bindings)
    assert row.approvals_missing == []
    assert not row.over_limit
    sides = [e.changes["side"] for e in AuditEvent.objects.filter(action__contains="extension")]
    assert sides == ["supervisor", "medic"]


def test_shizune_signs_one_side_only_and_takes_the_medical_side_unless_told(
    sasuke, officer, shizune, supervisor
):
    bindings = _bind(officer, sasuke)
    approved = restraint_extension_approve(actor=shizune, restraint=bindings)
    assert approved.extension_medic == shizune
    assert approved.extension_supervisor is None
    with pytest.raises(Conflict) as both:
        restraint_extension_approve(actor=shizune, restraint=bindings, side="supervisor")
    assert both.value.code == "two_different_people"
    restraint_extension_approve(actor=supervisor, restraint=bindings)


def test_shizune_may_sign_the_supervisor_side_when_she_says_so(sasuke, officer, shizune):
    approved = restraint_extension_approve(
        actor=shizune, restraint=_bind(officer, sasuke), side="supervisor"
    )
    assert (approved.extension_supervisor, approved.extension_medic) == (shizune, None)


def test_a_side_is_approved_once_and_only_by_whoever_holds_it(
    sasuke, officer, supervisor, commander, medic
):
    bindings = _bind(officer, sasuke)
    with pytest.raises(PermissionDenied):
        restraint_extension_approve(actor=supervisor, restraint=bindings, side="medic")
    with pytest.raises(PermissionDenied):
        restraint_extension_approve(actor=officer, restraint=bindings)
    restraint_extension_approve(actor=medic, restraint=bindings)
    with pytest.raises(Conflict) as again:
        restraint_extension_approve(actor=medic, restraint=bindings)
    assert again.value.code == "already_approved"
    with pytest.raises(ValidationFailed):
        restraint_extension_approve(actor=commander, restraint=bindings, side="chaplain")


# --- Removal ---------------------------------------------------------------------------------


def test_sakura_cuts_the_bindings_on_shizunes_authority(sasuke, officer, sakura, shizune, clock):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=12))
    removed = restraint_remove(
        actor=sakura, restraint=bindings, authorised_by=shizune, note="to treat his wrists"
    )
    assert (removed.removed_by, removed.removal_authorised_by) == (sakura, shizune)
    assert removed.removed_at == NOW + dt.timedelta(minutes=12)
    assert not Incident.objects.exists()
    assert removals_awaiting_review(sasuke.facility) == []
    assert restraints_in_force(sasuke.facility) == []


def test_sakura_cuts_the_bindings_without_authority_it_is_recorded_and_alerts(
    sasuke, officer, sakura, supervisor, clock
):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=12))
    removed = restraint_remove(actor=sakura, restraint=bindings, note="his wrists were raw")
    assert removed.removed_by == sakura
    assert removed.removal_authorised_by is None
    incident = Incident.objects.get()
    assert (incident.kind, incident.origin) == (
        IncidentKind.UNAUTHORISED_RESTRAINT_REMOVAL,
        IncidentOrigin.AUTOMATIC,
    )
    assert list(incident.people.all()) == [sasuke]
    assert list(incident.staff.all()) == [sakura]
    assert incident.cell is not None
    assert "without the authority of a supervisor" in incident.narrative
    assert "his wrists were raw" in incident.narrative
    assert incident.reviewed_at is None
    [waiting] = removals_awaiting_review(sasuke.facility)
    assert waiting.restraint == removed

    reviewed = restraint_removal_review(
        actor=supervisor, restraint=removed, note="spoke with Sakura: ask a supervisor first"
    )
    assert reviewed.removal_reviewed_by == supervisor
    assert removals_awaiting_review(sasuke.facility) == []
    incident.refresh_from_db()
    assert incident.reviewed_by == supervisor


def test_reviewing_the_removal_incident_reviews_the_removal(sasuke, officer, sakura, commander):
    removed = restraint_remove(actor=sakura, restraint=_bind(officer, sasuke))
    incident_review(actor=commander, incident=Incident.objects.get(), note="seen")
    removed.refresh_from_db()
    assert removed.removal_reviewed_by == commander
    assert removals_awaiting_review(sasuke.facility) == []


def test_a_supervisor_removing_restraints_is_her_own_authority(sasuke, officer, supervisor):
    removed = restraint_remove(actor=supervisor, restraint=_bind(officer, sasuke))
    assert removed.removal_authorised_by == supervisor
    assert not Incident.objects.exists()


def test_a_removal_review_needs_a_supervisor_a_note_and_a_removal_without_authority(
    sasuke, officer, sakura, supervisor, hiroki
):
    with_authority = restraint_remove(
        actor=hiroki, restraint=_bind(officer, sasuke), authorised_by=supervisor
    )
    with pytest.raises(Conflict) as nothing:
        restraint_removal_review(actor=supervisor, restraint=with_authority, note="fine")
    assert nothing.value.code == "nothing_to_review"
    without = restraint_remove(actor=sakura, restraint=_bind(officer, sasuke, kind="leg_irons"))
    with pytest.raises(PermissionDenied):
        restraint_removal_review(actor=hiroki, restraint=without, note="fine")
    with pytest.raises(ValidationFailed):
        restraint_removal_review(actor=supervisor, restraint=without, note=" ")
    restraint_removal_review(actor=supervisor, restraint=without, note="talked to her")
    with pytest.raises(Conflict) as twice:
        restraint_removal_review(actor=supervisor, restraint=without, note="again")
    assert twice.value.code == "already_reviewed"


def test_a_removed_restraint_cannot_be_checked_or_removed_again(sasuke, officer, supervisor):
    removed = restraint_remove(actor=supervisor, restraint=_bind(officer, sasuke))
    for attempt in (
        lambda: restraint_check_record(actor=officer, restraint=removed),
        lambda: restraint_remove(actor=supervisor, restraint=removed),
        lambda: restraint_extension_approve(actor=supervisor, restraint=removed),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "restraint_removed"


def test_a_removal_cannot_predate_the_last_check(sasuke, officer, supervisor, clock):
    bindings = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=20))
    restraint_check_record(actor=officer, restraint=bindings)
    with pytest.raises(ValidationFailed) as refused:
        restraint_remove(actor=supervisor, restraint=bindings, at=NOW + dt.timedelta(minutes=5))
    assert "the last check" in refused.value.extra["fields"]["at"][0]


def test_a_visits_clerk_cannot_remove_restraints(sasuke, officer, visits_clerk):
    with pytest.raises(PermissionDenied):
        restraint_remove(actor=visits_clerk, restraint=_bind(officer, sasuke))


# --- Reads -----------------------------------------------------------------------------------


def test_the_board_reads_any_number_of_restraints_in_two_queries(
    hold, clock, officer, django_assert_num_queries
):
    people = [hold(f"Held{n}", given_name="Someone") for n in range(3)]
    for booking in people:
        restraint_check_record(actor=officer, restraint=_bind(officer, booking))
    with django_assert_num_queries(2):
        rows = restraints_in_force(people[0].facility)
        assert [row.cell_code for row in rows] == ["A1-1", "A1-1", "A1-2"]
        assert all(row.last_check_at == NOW for row in rows)


def test_restraints_of_a_person_lists_the_removed_ones_too(sasuke, officer, supervisor, clock):
    first = _bind(officer, sasuke)
    clock.shift(dt.timedelta(minutes=30))
    restraint_remove(actor=supervisor, restraint=first)
    _bind(officer, sasuke, kind="handcuffs")
    rows = restraints_of(sasuke)
    assert [row.restraint.kind for row in rows] == ["handcuffs", "wrist_bindings"]
    assert rows[1].minutes_restrained == 30
    assert not rows[1].overdue
