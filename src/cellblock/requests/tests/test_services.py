"""Requests and grievances through the services: filing, routing, answering, appeals, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.conftest import make_staff
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities.services import facility_policy_update
from cellblock.people.services import person_create
from cellblock.requests import services
from cellblock.requests.models import InmateRequest, RequestEntry
from cellblock.requests.services import (
    grievance_appeal,
    request_close,
    request_file,
    request_note,
    request_respond,
    request_route,
    request_take_up,
    request_withdraw,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(clock):
    return clock


def _entries(request):
    return list(
        RequestEntry.objects.filter(request=request)
        .order_by("at", "pk")
        .values_list("kind", "level", "to_role")
    )


# --- Filing -------------------------------------------------------------------------


def test_an_officer_files_a_request_numbered_for_the_facility_and_due_in_fifteen_days(
    file_request, officer, kakashi
):
    request = file_request()
    assert request.number == "TST-REQ-2026-0001"
    assert request.status == "open"
    assert request.filed_at == NOW
    assert request.due_at == NOW + dt.timedelta(days=15)
    assert request.filed_by == officer
    assert request.filed_via == "officer"
    assert (request.addressee_role, request.addressee) == ("commander", None)
    assert _entries(request) == [("filed", 1, "commander")]
    event = AuditEvent.objects.get(action="request.file")
    assert event.actor == officer
    assert event.object_id == str(request.public_id)
    assert event.changes["booking"] == kakashi.booking_number
    assert event.changes["addressee_role"] == "commander"


def test_a_paper_form_typed_in_later_is_due_fifteen_days_from_when_it_was_handed_in(
    file_request, clock
):
    clock.shift(dt.timedelta(days=3))
    request = file_request(filed_via="paper", handed_in_at=NOW + dt.timedelta(days=1))
    assert request.filed_at == NOW + dt.timedelta(days=1)
    assert request.due_at == NOW + dt.timedelta(days=16)
    assert _entries(request) == [("filed", 1, "commander")]


@pytest.mark.parametrize(
    ("via", "handed_in", "message"),
    [
        ("officer", dt.timedelta(0), services.HANDED_IN_PAPER_ONLY),
        ("paper", dt.timedelta(hours=1), services.HANDED_IN_NOT_PAST),
        ("paper", -dt.timedelta(days=1), "is before TST-2026-000001 was booked."),
    ],
)
def test_the_day_a_form_was_handed_in_must_be_a_paper_forms_past_within_the_booking(
    file_request, via, handed_in, message
):
    with pytest.raises(ValidationFailed) as caught:
        file_request(filed_via=via, handed_in_at=NOW + handed_in)
    assert caught.value.extra["fields"] == {"handed_in_at": [message]}
    assert not InmateRequest.objects.exists()


def test_requests_and_grievances_are_numbered_apart_and_in_sequence(file_request):
    assert file_request().number == "TST-REQ-2026-0001"
    assert file_request().number == "TST-REQ-2026-0002"
    assert file_request(kind="grievance").number == "TST-GRV-2026-0001"


def test_a_new_year_starts_the_numbers_again(file_request, clock):
    file_request()
    clock.move_to(dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC))
    assert file_request().number == "TST-REQ-2027-0001"


def test_the_due_time_follows_the_facility_policy(file_request, site):
    facility_policy_update(actor=None, facility=site.facility, request_answer_days=7)
    site.facility.refresh_from_db()
    request = file_request()
    assert request.due_at == NOW + dt.timedelta(days=7)


def test_a_grievance_without_an_addressee_goes_to_the_supervisors(file_request):
    grievance = file_request(kind="grievance", addressee_role="")
    assert grievance.addressee_role == "supervisor"
    assert grievance.level == 1


def test_a_request_must_be_addressed(file_request):
    with pytest.raises(ValidationFailed) as refused:
        file_request(addressee_role="")
    assert refused.value.extra["fields"] == {"addressee_role": [services.ADDRESSEE_NEEDED]}


def test_a_request_goes_to_a_role_or_a_named_person_not_both(file_request, commander):
    with pytest.raises(ValidationFailed) as refused:
        file_request(addressee=commander)
    assert refused.value.extra["fields"] == {"addressee": [services.ADDRESSEE_TWICE]}


def test_the_auditor_and_administrators_are_not_addressees(file_request):
    with pytest.raises(ValidationFailed) as refused:
        file_request(addressee_role="auditor")
    assert "'auditor' is not a role requests go to" in refused.value.message


def test_a_named_addressee_must_be_on_the_staff_of_the_facility(file_request, outsider, admin_user):
    for stranger in (outsider, admin_user):
        with pytest.raises(ValidationFailed) as refused:
            file_request(addressee_role="", addressee=stranger)
        assert refused.value.extra["fields"] == {
            "addressee": [
                services.STAFF_NOT_HERE.format(name=stranger, facility="Test Jail"),
            ]
        }


def test_a_request_may_name_a_member_of_staff(file_request, medic):
    request = file_request(addressee_role="", addressee=medic, category="medical")
    assert request.addressee == medic
    assert _entries(request) == [("filed", 1, "")]


def test_subject_text_kind_and_category_are_checked_with_the_rule_named(file_request):
    with pytest.raises(ValidationFailed) as refused:
        file_request(subject=" ", text="", kind="wish", category="chakra", filed_via="pigeon")
    fields = refused.value.extra["fields"]
    assert fields["subject"] == [services.SUBJECT_REQUIRED]
    assert fields["text"] == [services.TEXT_REQUIRED]
    assert fields["kind"] == ["'wish' is not a kind; choose one of request, grievance."]
    assert fields["category"][0].startswith("'chakra' is not a category")
    assert fields["filed_via"] == [
        "'pigeon' is not a way of filing; choose one of officer, kiosk, paper."
    ]
    assert InmateRequest.objects.count() == 0


def test_filing_needs_the_request_file_permission(file_request, booking_clerk, auditor):
    for clerk in (booking_clerk, auditor):
        with pytest.raises(PermissionDenied) as refused:
            file_request(actor=clerk)
        assert refused.value.code == "missing_role"
        assert refused.value.message == services.FILE_DENIED.format(facility="Test Jail")


def test_staff_of_another_facility_cannot_file_for_someone_held_here(file_request, outsider):
    with pytest.raises(PermissionDenied):
        file_request(actor=outsider)


def test_a_request_is_filed_only_for_someone_in_custody(officer, site):
    person = person_create(
        actor=None, facility=site.facility, given_name="Gone", family_name="Away"
    )
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    booking.status = "released"
    booking.released_at = NOW
    booking.release_type = "bail"
    booking.save(update_fields=["status", "released_at", "release_type"])
    with pytest.raises(Conflict) as refused:
        request_file(
            actor=officer, booking=booking, kind="request", subject="Phone",
            text="Call.", addressee_role="officer",
        )  # fmt: skip
    assert refused.value.code == "not_in_custody"


# --- Answering ------------------------------------------------------------------------


def test_the_commander_answers_a_request_addressed_to_the_commander_role(file_request, commander):
    request = file_request()
    answered = request_respond(actor=commander, request=request, text="Come at noon.")
    assert answered.status == "answered"
    assert (answered.answered_at, answered.answered_by) == (NOW, commander)
    assert _entries(request)[-1] == ("response", 1, "")
    assert RequestEntry.objects.get(kind="response").text == "Come at noon."
    assert AuditEvent.objects.filter(action="request.respond", actor=commander).exists()


def test_someone_who_is_not_the_addressee_cannot_answer(file_request, officer, medic, auditor):
    request = file_request()
    for stranger in (officer, medic, auditor):
        with pytest.raises(PermissionDenied) as refused:
            request_respond(actor=stranger, request=request, text="No.")
        assert refused.value.code == "not_addressee"
        assert refused.value.message == (
            "TST-REQ-2026-0001 is addressed to the commander (role): only they, a supervisor or "
            "the commander may answer it."
        )
    assert InmateRequest.objects.get().status == "open"


def test_a_supervisor_manages_requests_addressed_to_anyone(file_request, supervisor, medic):
    request = file_request(addressee_role="", addressee=medic)
    request_take_up(actor=supervisor, request=request)
    assert request_respond(actor=supervisor, request=request, text="Seen.").status == "answered"


def test_a_named_addressee_answers_and_others_of_the_same_role_do_not(
    file_request, medic, staff_factory
):
    other_medic = staff_factory("mia_medic", Role.MEDICAL)
    request = file_request(addressee_role="", addressee=medic)
    with pytest.raises(PermissionDenied):
        request_respond(actor=other_medic, request=request, text="Not mine.")
    assert request_respond(actor=medic, request=request, text="Seen.").answered_by == medic


def test_anyone_holding_the_addressed_role_answers(file_request, medic, staff_factory):
    other_medic = staff_factory("mia_medic", Role.MEDICAL)
    request = file_request(addressee_role="medical")
    assert request_respond(actor=other_medic, request=request, text="Seen.").status == "answered"
    assert medic  # both medics were addressed; the first to answer did


def test_taking_up_moves_it_in_progress_once(file_request, commander):
    request = file_request()
    taken = request_take_up(actor=commander, request=request, note="On it.")
    assert taken.status == "in_progress"
    with pytest.raises(Conflict) as refused:
        request_take_up(actor=commander, request=taken)
    assert refused.value.code == "invalid_transition"
    assert refused.value.message == "TST-REQ-2026-0001 is in progress: it cannot be taken up."


def test_an_answer_needs_text(file_request, commander):
    with pytest.raises(ValidationFailed) as refused:
        request_respond(actor=commander, request=file_request(), text="  ")
    assert refused.value.extra["fields"] == {"text": [services.ANSWER_REQUIRED]}


def test_closing_follows_the_answer(file_request, commander):
    request = file_request()
    with pytest.raises(Conflict):
        request_close(actor=commander, request=request)
    request_respond(actor=commander, request=request, text="Granted.")
    closed = request_close(actor=commander, request=request, note="Done.")
    assert (closed.status, closed.closed_at) == ("closed", NOW)
    with pytest.raises(Conflict):
        request_note(actor=commander, request=closed, text="Late.")


# --- Routing ---------------------------------------------------------------------------


def test_the_addressee_routes_a_request_elsewhere_and_the_due_time_stays(
    file_request, commander, medic
):
    request = file_request()
    routed = request_route(actor=commander, request=request, addressee_role="medical", note="Ask.")
    assert (routed.addressee_role, routed.addressee) == ("medical", None)
    assert routed.due_at == NOW + dt.timedelta(days=15)
    assert _entries(request)[-1] == ("routed", 1, "medical")
    event = AuditEvent.objects.get(action="request.route")
    assert event.changes["addressee_role"] == ["commander", "medical"]
    assert request_respond(actor=medic, request=routed, text="Seen.").status == "answered"


def test_routing_a_request_taken_up_reopens_it_for_its_new_addressee(
    file_request, commander, medic
):
    request = file_request()
    request_take_up(actor=commander, request=request)
    routed = request_route(actor=commander, request=request, addressee=medic)
    assert (routed.status, routed.addressee, routed.addressee_role) == ("open", medic, "")


def test_only_the_addressee_or_a_manager_routes(file_request, officer):
    with pytest.raises(PermissionDenied) as refused:
        request_route(actor=officer, request=file_request(), addressee_role="medical")
    assert refused.value.code == "not_addressee"


def test_routing_to_the_current_addressee_is_refused(file_request, commander):
    with pytest.raises(ValidationFailed) as refused:
        request_route(actor=commander, request=file_request(), addressee_role="commander")
    assert refused.value.extra["fields"] == {
        "addressee_role": ["TST-REQ-2026-0001 is already addressed to the commander (role)."]
    }


# --- Notes and withdrawal -----------------------------------------------------------


def test_the_officer_adds_to_the_thread_but_the_auditor_does_not(file_request, officer, auditor):
    request = file_request()
    entry = request_note(actor=officer, request=request, text="He asked again at lunch.")
    assert (entry.kind, entry.actor) == ("note", officer)
    with pytest.raises(PermissionDenied) as refused:
        request_note(actor=auditor, request=request, text="Seen.")
    assert refused.value.code == "not_addressee"


def test_the_person_withdraws_a_request_through_an_officer(file_request, officer, commander):
    request = file_request()
    withdrawn = request_withdraw(actor=officer, request=request, reason="No longer needed.")
    assert (withdrawn.status, withdrawn.closed_at) == ("withdrawn", NOW)
    assert _entries(request)[-1] == ("withdrawn", 1, "")
    assert AuditEvent.objects.get(action="request.withdraw").reason == "No longer needed."
    with pytest.raises(Conflict):
        request_respond(actor=commander, request=withdrawn, text="Too late.")


def test_withdrawing_needs_a_reason_and_comes_before_the_answer(file_request, officer, commander):
    request = file_request()
    with pytest.raises(ValidationFailed) as refused:
        request_withdraw(actor=officer, request=request, reason="")
    assert refused.value.extra["fields"] == {"reason": [services.REASON_REQUIRED]}
    request_respond(actor=commander, request=request, text="Granted.")
    with pytest.raises(Conflict) as late:
        request_withdraw(actor=officer, request=request, reason="Changed my mind.")
    assert late.value.message == "TST-REQ-2026-0001 is answered: it cannot be withdrawn."


def test_the_auditor_cannot_withdraw(file_request, auditor):
    with pytest.raises(PermissionDenied) as refused:
        request_withdraw(actor=auditor, request=file_request(), reason="No.")
    assert refused.value.code == "missing_role"


# --- Grievance appeals -------------------------------------------------------------------


def test_a_grievance_is_appealed_to_the_commander_and_then_to_the_agency(
    file_request, officer, supervisor, commander, clock
):
    grievance = file_request(kind="grievance", addressee_role="")
    request_respond(actor=supervisor, request=grievance, text="The meals are as prescribed.")

    clock.shift(dt.timedelta(days=2))
    second = grievance_appeal(actor=officer, request=grievance, text="The food is cold.")
    assert (second.level, second.status, second.addressee_role) == (2, "open", "commander")
    assert second.due_at == NOW + dt.timedelta(days=2 + 15)
    assert (second.answered_at, second.answered_by) == (None, None)
    # The supervisor answered level 1; level 2 is the commander's.
    with pytest.raises(PermissionDenied):
        request_respond(actor=officer, request=second, text="No.")
    request_respond(actor=commander, request=second, text="Upheld.")

    third = grievance_appeal(actor=officer, request=second, text="To the agency.")
    assert (third.level, third.addressee_role) == (3, "commander")
    request_respond(actor=commander, request=third, text="The agency upholds the answer.")

    with pytest.raises(Conflict) as refused:
        grievance_appeal(actor=officer, request=third, text="Again.")
    assert refused.value.code == "no_further_appeal"
    assert refused.value.status == 409
    assert _entries(grievance) == [
        ("filed", 1, "supervisor"),
        ("response", 1, ""),
        ("appealed", 2, "commander"),
        ("response", 2, ""),
        ("appealed", 3, "commander"),
        ("response", 3, ""),
    ]
    assert AuditEvent.objects.filter(action="request.appeal").count() == 2


def test_only_an_answered_grievance_is_appealed(file_request, officer, commander):
    grievance = file_request(kind="grievance")
    with pytest.raises(Conflict) as unanswered:
        grievance_appeal(actor=officer, request=grievance, text="Why?")
    assert unanswered.value.message == (
        "TST-GRV-2026-0001 is open: only an answered grievance can be appealed."
    )
    request = file_request()
    request_respond(actor=commander, request=request, text="No.")
    with pytest.raises(Conflict) as plain:
        grievance_appeal(actor=officer, request=request, text="Why?")
    assert plain.value.code == "not_a_grievance"


def test_appealing_is_done_on_the_persons_behalf_by_staff_who_file(
    file_request, supervisor, auditor
):
    grievance = file_request(kind="grievance", addressee_role="")
    request_respond(actor=supervisor, request=grievance, text="No.")
    with pytest.raises(PermissionDenied) as refused:
        grievance_appeal(actor=auditor, request=grievance, text="Appeal.")
    assert refused.value.code == "missing_role"


def test_a_commander_of_another_facility_is_nobody_here(file_request, outsider):
    request = file_request()
    with pytest.raises(PermissionDenied):
        request_respond(actor=outsider, request=request, text="Hi.")


def test_a_role_lost_is_an_answer_lost(file_request, site):
    former = make_staff("old_commander", site.facility, Role.COMMANDER)
    request = file_request()
    former.memberships.update(active=False)
    former.forget_roles()
    with pytest.raises(PermissionDenied):
        request_respond(actor=former, request=request, text="Still here?")
