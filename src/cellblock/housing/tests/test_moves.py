"""Moves asked for by officers and decided by supervisors (housing/moves.py)."""

from __future__ import annotations

import pytest

from cellblock.accounts.services import membership_grant
from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.conftest import screen_clear
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities.services import facility_policy_update
from cellblock.housing.models import BedAssignment, MoveRequest, MoveRequestStatus
from cellblock.housing.moves import (
    ALREADY_PENDING,
    OWN_REQUEST,
    move_request_create,
    move_request_decide,
    move_request_withdraw,
)
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db


def _book(site, given="Kakashi", family="Hatake", *, screened=True):
    """A booking, screened clear unless ``screened`` is off: the screening comes before a bed."""
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking) if screened else booking


def _bed(site, cell=0, code="B1"):
    return site.cells[cell].beds.get(code=code)


def _bed_now(booking):
    return BedAssignment.objects.get(booking=booking, ended_at__isnull=True).bed


@pytest.fixture
def housed(site, supervisor):
    """Kakashi sleeps in A1-1 B1."""
    booking = _book(site)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site))
    return booking


def _ask(officer, booking, site, cell=1, code="B1", **more):
    return move_request_create(
        actor=officer, booking=booking, to_bed=_bed(site, cell, code), reason="noise", **more
    )


def test_a_supervisor_moves_at_once(site, supervisor, housed):
    made = move_request_create(
        actor=supervisor, booking=housed, to_bed=_bed(site, 1), reason="noise"
    )
    assert isinstance(made, BedAssignment)
    assert _bed_now(housed) == _bed(site, 1)
    assert made.assigned_by == supervisor
    assert not MoveRequest.objects.exists()


def test_an_officer_cannot_move_without_a_supervisor(site, officer, housed):
    request = _ask(officer, housed, site)
    assert isinstance(request, MoveRequest)
    assert request.status == MoveRequestStatus.PENDING
    assert (request.from_bed, request.to_bed) == (_bed(site), _bed(site, 1))
    assert _bed_now(housed) == _bed(site)
    event = AuditEvent.objects.get(action="housing.move_requested")
    assert event.actor == officer
    assert event.changes["request"] == str(request.public_id)


def test_an_officer_moves_at_once_where_policy_allows(site, officer, admin_user, housed):
    facility_policy_update(
        actor=admin_user, facility=site.facility, officer_moves_without_approval=True
    )
    made = _ask(officer, housed, site)
    assert isinstance(made, BedAssignment)
    assert made.assigned_by == officer
    assert _bed_now(housed) == _bed(site, 1)
    assert AuditEvent.objects.filter(action="housing.assign", actor=officer).exists()


def test_the_policy_never_lets_an_officer_break_the_rule_book(
    site, officer, admin_user, commander, housed
):
    facility_policy_update(
        actor=admin_user, facility=site.facility, officer_moves_without_approval=True
    )
    flag_set(
        actor=commander, booking=housed, kind=FlagKind.SINGLE_CELL, reason="assaults cellmates"
    )
    other = _book(site, "Might", "Guy")
    bed_assign(actor=commander, booking=other, bed=_bed(site, 1, "B2"))
    with pytest.raises(Conflict) as refused:
        _ask(officer, housed, site)
    assert refused.value.code == "housing_rule"


def test_a_request_the_rule_book_forbids_is_refused_at_once(site, officer, commander, housed):
    flag_set(
        actor=commander, booking=housed, kind=FlagKind.CONTAINMENT,
        detail="chakra-suppression", reason="elite shinobi",
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        _ask(officer, housed, site)
    assert refused.value.code == "housing_rule"
    assert [v["code"] for v in refused.value.extra["violations"] if v["hard"]] == [
        "containment_missing"
    ]
    assert not MoveRequest.objects.exists()


def test_a_first_bed_for_someone_not_screened_yet_is_refused_at_once(site, officer):
    newcomer = _book(site, "Might", "Guy", screened=False)
    with pytest.raises(Conflict, match="Medical receiving screening") as refused:
        _ask(officer, newcomer, site)
    assert refused.value.code == "intake_before_housing"
    assert not MoveRequest.objects.exists()


def test_a_request_for_an_occupied_bed_is_refused(site, officer, supervisor, housed):
    bed_assign(actor=supervisor, booking=_book(site, "Might", "Guy"), bed=_bed(site, 1))
    with pytest.raises(Conflict) as refused:
        _ask(officer, housed, site)
    assert refused.value.code == "bed_occupied"


def test_a_person_has_one_pending_request_at_a_time(site, officer, housed):
    _ask(officer, housed, site)
    with pytest.raises(Conflict, match="already has a move waiting") as refused:
        _ask(officer, housed, site, code="B2")
    assert refused.value.message == ALREADY_PENDING.format(booking=housed)


def test_a_request_must_say_why(site, officer, housed):
    with pytest.raises(ValidationFailed):
        move_request_create(actor=officer, booking=housed, to_bed=_bed(site, 1), reason=" ")


def test_a_booking_clerk_cannot_move_people(site, booking_clerk, housed):
    with pytest.raises(PermissionDenied):
        _ask(booking_clerk, housed, site)


def test_an_officer_cannot_override_the_rule_book(site, officer, housed):
    with pytest.raises(PermissionDenied):
        _ask(officer, housed, site, override_reason="I said so")


def test_a_supervisor_approves_and_the_move_is_theirs(site, officer, supervisor, housed):
    request = _ask(officer, housed, site)
    decided = move_request_decide(actor=supervisor, request=request, approve=True, note="ok")
    assert decided.status == MoveRequestStatus.APPROVED
    assert (decided.decided_by, decided.decision_note) == (supervisor, "ok")
    assert _bed_now(housed) == _bed(site, 1)
    assignment = BedAssignment.objects.get(booking=housed, ended_at__isnull=True)
    assert assignment.assigned_by == supervisor
    assert assignment.reason == "noise"
    approved = AuditEvent.objects.get(action="housing.move_approved")
    assert approved.actor == supervisor
    assert approved.changes["requested_by"] == officer.username


def test_the_requester_cannot_approve_their_own_request(site, officer, housed):
    request = _ask(officer, housed, site)
    membership_grant(actor=None, user=officer, facility=site.facility, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied) as refused:
        move_request_decide(actor=officer, request=request, approve=True)
    assert refused.value.message == OWN_REQUEST
    request.refresh_from_db()
    assert request.status == MoveRequestStatus.PENDING


def test_an_officer_cannot_decide_requests(site, officer, staff_factory, housed):
    request = _ask(officer, housed, site)
    colleague = staff_factory("hiroki", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        move_request_decide(actor=colleague, request=request, approve=True)


def test_an_approval_fails_when_the_bed_was_taken_meanwhile_and_the_request_waits(
    site, officer, supervisor, housed
):
    request = _ask(officer, housed, site)
    bed_assign(actor=supervisor, booking=_book(site, "Might", "Guy"), bed=_bed(site, 1))
    with pytest.raises(Conflict) as refused:
        move_request_decide(actor=supervisor, request=request, approve=True)
    assert refused.value.code == "bed_occupied"
    request.refresh_from_db()
    assert request.status == MoveRequestStatus.PENDING
    assert _bed_now(housed) == _bed(site)
    assert not AuditEvent.objects.filter(action="housing.move_approved").exists()
    # The supervisor then refuses it with that reason.
    refused_request = move_request_decide(
        actor=supervisor, request=request, approve=False, note="bed taken meanwhile"
    )
    assert refused_request.status == MoveRequestStatus.REFUSED


def test_an_approval_fails_when_the_person_was_moved_meanwhile(
    site, officer, supervisor, commander, housed
):
    request = _ask(officer, housed, site)
    bed_assign(actor=commander, booking=housed, bed=_bed(site, 0, "B2"))
    with pytest.raises(Conflict) as refused:
        move_request_decide(actor=supervisor, request=request, approve=True)
    assert refused.value.code == "moved_meanwhile"
    assert _bed_now(housed) == _bed(site, 0, "B2")


def test_a_refusal_says_why_and_nobody_moves(site, officer, supervisor, housed):
    request = _ask(officer, housed, site)
    with pytest.raises(ValidationFailed):
        move_request_decide(actor=supervisor, request=request, approve=False)
    decided = move_request_decide(actor=supervisor, request=request, approve=False, note="he stays")
    assert decided.status == MoveRequestStatus.REFUSED
    assert _bed_now(housed) == _bed(site)
    assert AuditEvent.objects.get(action="housing.move_refused").reason == "he stays"


def test_a_decided_request_cannot_be_decided_again(site, officer, supervisor, commander, housed):
    request = _ask(officer, housed, site)
    move_request_decide(actor=supervisor, request=request, approve=False, note="no")
    with pytest.raises(Conflict) as refused:
        move_request_decide(actor=commander, request=request, approve=True)
    assert refused.value.code == "not_pending"


def test_the_officer_withdraws_their_request(site, officer, housed):
    request = _ask(officer, housed, site)
    withdrawn = move_request_withdraw(actor=officer, request=request)
    assert withdrawn.status == MoveRequestStatus.WITHDRAWN
    assert AuditEvent.objects.get(action="housing.move_withdrawn").actor == officer
    # A new request may follow.
    assert _ask(officer, housed, site).status == MoveRequestStatus.PENDING


def test_another_officer_cannot_withdraw_it(site, officer, staff_factory, housed):
    request = _ask(officer, housed, site)
    with pytest.raises(PermissionDenied):
        move_request_withdraw(actor=staff_factory("hiroki", Role.OFFICER), request=request)
