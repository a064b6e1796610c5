"""Incidents: reported with a number, damage marks the cell, followed up, reviewed, closed.

Case file 1 step 6: while talking to Tsunade, Kakashi dents a bar of his cell:
the cell's chakra-suppression is marked compromised, so the cell is no longer
lawful for him (a housing alert opens for the move).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.services import flag_set
from cellblock.conftest import ready_for_bed
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities import services as fs
from cellblock.facilities.models import Cell, CellFeature
from cellblock.housing.models import HousingReview
from cellblock.housing.services import bed_assign
from cellblock.incidents.models import Incident, IncidentNote
from cellblock.incidents.selectors import incident_get_for_user, incident_list
from cellblock.incidents.services import (
    incident_note_add,
    incident_report,
    incident_review,
    incident_transition,
)
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _book(site, given="Kakashi", family="Hatake"):
    person = person_create(
        actor=None, facility=site.facility, given_name=given, family_name=family,
        date_of_birth=dt.date(1996, 9, 15),
    )  # fmt: skip
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


@pytest.fixture
def kakashi_in_a_chakra_cell(site, commander):
    cell = site.cells[0]
    fs.cell_feature_set(actor=None, cell=cell, tag="chakra-suppression")
    kakashi = _book(site)
    ready_for_bed(kakashi)
    bed_assign(actor=None, booking=kakashi, bed=cell.beds.get(code="B1"))
    flag_set(
        actor=commander, booking=kakashi, kind="containment", detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    return kakashi, cell


def _report(actor, site, **more):
    values = {"kind": "assault", "narrative": "A fight in the yard.", "place": "exercise yard"}
    return incident_report(actor=actor, facility=site.facility, **{**values, **more})


# --- Reporting --------------------------------------------------------------------------


def test_kakashi_dents_a_bar_and_his_cell_is_no_longer_lawful_for_him(
    site, officer, commander, kakashi_in_a_chakra_cell
):
    kakashi, cell = kakashi_in_a_chakra_cell
    incident = incident_report(
        actor=officer, facility=site.facility, kind="property_damage",
        narrative="While talking with the Hokage he dented a bar of his cell.",
        cell=cell, people=[kakashi], staff=[commander], damaged_feature="chakra-suppression",
    )  # fmt: skip
    assert incident.number == "TST-INC-2026-0001"
    assert (incident.zone, incident.status, incident.origin) == (site.zone, "open", "staff")
    assert (incident.reported_by, incident.reported_at, incident.occurred_at) == (officer, NOW, NOW)
    feature = CellFeature.objects.get(cell=cell, tag="chakra-suppression")
    assert feature.status == "compromised"
    assert feature.note == "Damaged: incident TST-INC-2026-0001."
    alert = HousingReview.objects.get(booking=kakashi, resolved_at__isnull=True)
    assert alert.code == "containment_missing"
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["cell.feature_set", "housing.alert", "incident.report"]


def test_a_cell_can_be_taken_out_of_service_with_the_incident(site, officer):
    incident = _report(
        officer, site, kind="property_damage", cell=site.cells[1], take_cell_out_of_service=True,
        narrative="Flooded the cell.",
    )  # fmt: skip
    cell = Cell.objects.get(pk=site.cells[1].pk)
    assert cell.out_of_service
    assert cell.out_of_service_reason == "Incident TST-INC-2026-0001: damage to a cell or property."
    assert incident.cell_taken_out_of_service
    # A cell already out of service stays so with its reason; the incident says it took none out.
    again = _report(officer, site, cell=cell, take_cell_out_of_service=True)
    assert not again.cell_taken_out_of_service


def test_numbers_run_per_facility_and_year(site, other_site, officer, outsider, clock):
    assert _report(officer, site).number == "TST-INC-2026-0001"
    assert _report(officer, site).number == "TST-INC-2026-0002"
    assert _report(outsider, other_site).number == "OTH-INC-2026-0001"
    clock.move_to(dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC))
    assert _report(officer, site).number == "TST-INC-2027-0001"


def test_the_number_follows_the_ten_thousandth(site, officer):
    Incident.objects.create(
        facility=site.facility, number="TST-INC-2026-9999", kind="other", occurred_at=NOW,
        reported_at=NOW, narrative="x",
    )  # fmt: skip
    Incident.objects.create(
        facility=site.facility, number="TST-INC-2026-10000", kind="other", occurred_at=NOW,
        reported_at=NOW, narrative="x",
    )  # fmt: skip
    assert _report(officer, site).number == "TST-INC-2026-10001"


def test_a_report_says_what_where_and_when(site, officer):
    with pytest.raises(ValidationFailed) as refused:
        incident_report(
            actor=officer, facility=site.facility, kind="riot", narrative=" ",
            occurred_at=NOW + dt.timedelta(minutes=1),
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {"kind", "narrative", "occurred_at", "place"}


def test_staff_cannot_report_the_kinds_only_the_system_opens(site, officer):
    for kind in ("forced_entry", "restraint_removal"):
        with pytest.raises(ValidationFailed) as refused:
            _report(officer, site, kind=kind)
        assert "opened by the system only" in refused.value.extra["fields"]["kind"][0]


def test_people_staff_and_places_must_be_of_this_facility(site, other_site, officer, outsider):
    stranger = _book(other_site, "Orochimaru", "Snake")
    with pytest.raises(ValidationFailed) as refused:
        _report(
            officer, site, cell=other_site.cells[0], zone=other_site.zone, people=[stranger],
            staff=[outsider],
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {"cell", "zone", "people", "staff"}


def test_an_incident_cannot_predate_the_booking_of_someone_involved(site, officer):
    kakashi = _book(site)
    with pytest.raises(ValidationFailed) as refused:
        _report(officer, site, people=[kakashi], occurred_at=NOW - dt.timedelta(hours=1))
    assert "before TST-2026-000001 was booked" in refused.value.extra["fields"]["occurred_at"][0]


def test_damage_names_a_feature_of_the_cell(site, officer):
    with pytest.raises(ValidationFailed) as no_cell:
        _report(officer, site, damaged_feature="lighting", take_cell_out_of_service=True)
    assert set(no_cell.value.extra["fields"]) == {"damaged_feature", "take_cell_out_of_service"}
    with pytest.raises(ValidationFailed) as unknown:
        _report(officer, site, cell=site.cells[0], damaged_feature="chakra-suppression")
    assert unknown.value.extra["fields"]["damaged_feature"] == [
        "cell A1-1 has no feature 'chakra-suppression'."
    ]


def test_a_medic_reports_incidents_but_not_damage_to_a_cell(site, medic, visits_clerk):
    assert _report(medic, site, kind="medical_emergency").reported_by == medic
    with pytest.raises(PermissionDenied) as damage:
        _report(medic, site, cell=site.cells[0], damaged_feature="lighting")
    assert "report the incident without the damage" in damage.value.message
    with pytest.raises(PermissionDenied):
        _report(visits_clerk, site)
    assert Incident.objects.count() == 1


# --- Follow-up ------------------------------------------------------------------------------


def test_notes_are_added_by_staff_who_report(site, officer, visits_clerk, clock):
    incident = _report(officer, site)
    clock.shift(dt.timedelta(minutes=5))
    note = incident_note_add(actor=officer, incident=incident, text="Both seen by medical.")
    assert (note.written_at, note.written_by) == (NOW + dt.timedelta(minutes=5), officer)
    with pytest.raises(ValidationFailed):
        incident_note_add(actor=officer, incident=incident, text="  ")
    with pytest.raises(PermissionDenied):
        incident_note_add(actor=visits_clerk, incident=incident, text="x")


def test_an_incident_moves_along_its_lifecycle_and_closing_needs_an_outcome(
    site, officer, supervisor
):
    incident = _report(officer, site)
    incident_transition(actor=supervisor, incident=incident, to="under_review", note="Looking")
    with pytest.raises(ValidationFailed) as no_outcome:
        incident_transition(actor=supervisor, incident=incident, to="closed")
    assert "outcome" in no_outcome.value.extra["fields"]
    closed = incident_transition(
        actor=supervisor, incident=incident, to="closed", note="Both warned; yard times split."
    )
    assert (closed.status, closed.closed_by, closed.outcome) == (
        "closed", supervisor, "Both warned; yard times split.",
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        incident_transition(actor=supervisor, incident=incident, to="open")
    assert refused.value.code == "invalid_transition"
    reopened = incident_transition(
        actor=supervisor, incident=incident, to="under_review", note="New witness"
    )
    assert (reopened.status, reopened.closed_at) == ("under_review", None)
    assert list(IncidentNote.objects.values_list("status_to", flat=True)) == [
        "under_review", "closed", "under_review",
    ]  # fmt: skip


def test_officers_cannot_move_or_review_incidents(site, officer):
    incident = _report(officer, site)
    with pytest.raises(PermissionDenied):
        incident_transition(actor=officer, incident=incident, to="closed", note="done")
    with pytest.raises(PermissionDenied):
        incident_review(actor=officer, incident=incident)


def test_a_review_is_recorded_once(site, officer, commander):
    incident = _report(officer, site)
    reviewed = incident_review(actor=commander, incident=incident, note="Seen.")
    assert (reviewed.reviewed_by, reviewed.reviewed_at) == (commander, NOW)
    with pytest.raises(Conflict) as twice:
        incident_review(actor=commander, incident=incident)
    assert twice.value.code == "already_reviewed"


def test_an_incident_the_system_opened_is_reviewed_before_it_is_closed(
    site, staff_factory, commander
):
    captain = staff_factory("anbu_captain", Role.OFFICER)
    automatic = incident_report(
        actor=captain, facility=site.facility, kind="forced_entry", narrative="Forced entry.",
        zone=site.zone, origin="automatic",
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        incident_transition(actor=commander, incident=automatic, to="closed", note="fine")
    assert refused.value.code == "not_reviewed"
    incident_review(actor=commander, incident=automatic)
    assert (
        incident_transition(actor=commander, incident=automatic, to="closed", note="fine").status
        == "closed"
    )


def test_the_system_opens_only_its_own_kinds(site, officer):
    with pytest.raises(ValidationFailed):
        _report(officer, site, origin="automatic")


# --- Reads ------------------------------------------------------------------------------------


def test_another_facilitys_incident_is_not_found(site, officer, outsider):
    from cellblock.core.errors import NotFound

    incident = _report(officer, site)
    assert incident_get_for_user(officer, incident.public_id) == incident
    with pytest.raises(NotFound):
        incident_get_for_user(outsider, incident.public_id)


def test_the_list_reads_any_number_of_incidents_in_three_queries(
    site, officer, django_assert_num_queries
):
    people = [_book(site, given=f"P{n}", family="Held") for n in range(3)]
    for booking in people:
        _report(officer, site, people=[booking], staff=[officer], cell=site.cells[0])
    with django_assert_num_queries(3):
        found = incident_list(site.facility)
        assert [i.number for i in found] == [
            "TST-INC-2026-0003", "TST-INC-2026-0002", "TST-INC-2026-0001",
        ]  # fmt: skip
        assert [p.person.given_name for i in found for p in i.people.all()] == ["P2", "P1", "P0"]
        assert found[0].cell is not None
        assert found[0].cell.unit.zone.name == "Block A"
