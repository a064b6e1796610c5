"""Cases: filing a docket with its counts and parties, amending it, and linking booking charges."""

from __future__ import annotations

import pytest

from cellblock.booking.models import LegalStatus
from cellblock.booking.services import ChargeData, charge_add
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court.models import CaseCharge, CaseStatus, Verdict
from cellblock.court.services.cases import (
    CaseChargeData,
    case_charge_add,
    case_charge_link,
    case_open,
    case_party_add,
    derived_legal_status,
)
from cellblock.court.services.verdicts import VerdictData, verdict_record
from cellblock.court.tests.court_support import ASSAULT, DOCKET, THEFT, events

pytestmark = pytest.mark.django_db


def test_the_clerk_files_a_case_with_numbered_counts_and_a_protected_party(
    clock, file_case, person, court_clerk
):
    kakashi, sakura = person(), person("Sakura", "Haruno", sex="female")
    case = file_case(kakashi, parties=[(sakura, "protected_party")])
    counts = list(case.charges.order_by("count_number"))
    assert [(c.count_number, c.statute, c.verdict) for c in counts] == [
        (1, "PC 484", Verdict.PENDING),
        (2, "PC 240", Verdict.PENDING),
    ]
    assert [(p.person, p.role) for p in case.parties.all()] == [(sakura, "protected_party")]
    assert case.status == CaseStatus.OPEN
    (opened,) = events("case.open")
    assert opened.actor == court_clerk
    assert opened.changes["docket_number"] == DOCKET
    assert [c["statute"] for c in opened.changes["charges"]] == ["PC 484", "PC 240"]


def test_a_docket_number_is_filed_once_per_court(clock, file_case, person):
    file_case(person())
    with pytest.raises(Conflict) as refused:
        file_case(person("Obito", "Uchiha"))
    assert refused.value.code == "docket_exists"
    assert DOCKET in refused.value.message


def test_a_case_needs_a_count_and_names_each_bad_field(clock, site, court, court_clerk, person):
    with pytest.raises(ValidationFailed) as refused:
        case_open(
            actor=court_clerk, facility=site.facility, court=court.court, docket_number=" ",
            person=person(), presiding_authority="", charges=[],
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {
        "docket_number", "presiding_authority", "charges",
    }  # fmt: skip


def test_a_count_with_an_unknown_severity_is_named_by_its_place(clock, file_case, person):
    bad = CaseChargeData(statute="PC 1", description="Loitering", severity="petty")
    with pytest.raises(ValidationFailed) as refused:
        file_case(person(), charges=[THEFT, bad])
    assert list(refused.value.extra["fields"]) == ["charges[1].severity"]


def test_the_person_the_case_is_against_is_not_a_party(clock, file_case, person):
    kakashi = person()
    with pytest.raises(ValidationFailed) as refused:
        file_case(kakashi, parties=[(kakashi, "victim")])
    assert "parties[0].person" in refused.value.extra["fields"]


def test_an_officer_cannot_file_a_case(clock, site, court, officer, person):
    with pytest.raises(PermissionDenied) as refused:
        case_open(
            actor=officer, facility=site.facility, court=court.court, docket_number=DOCKET,
            person=person(), presiding_authority="Judge", charges=[THEFT],
        )  # fmt: skip
    assert refused.value.code == "missing_role"
    assert "court.record" in refused.value.message


def test_a_count_added_later_takes_the_next_number(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    added = case_charge_add(actor=court_clerk, case=case, data=ASSAULT)
    assert added.count_number == 2
    assert events("case.charge_add")[0].changes["count"] == 2


def test_a_disposed_case_takes_no_new_count(clock, file_case, person, court_clerk):
    case = file_case(person(), charges=[THEFT])
    count = case.charges.get()
    verdict_record(
        actor=court_clerk, case=case, verdicts=[VerdictData(charge=count, verdict="not_guilty")]
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPOSED
    with pytest.raises(Conflict) as refused:
        case_charge_add(actor=court_clerk, case=case, data=ASSAULT)
    assert refused.value.code == "case_disposed"


def test_a_count_links_to_the_booking_charge_it_answers(clock, held, file_case, court_clerk):
    booking = held()
    arrest_charge = booking.charges.get()
    case = file_case(booking.person, charges=[THEFT])
    count = case.charges.get()
    case_charge_link(actor=court_clerk, charge=count, booking_charge=arrest_charge)
    assert CaseCharge.objects.get(pk=count.pk).booking_charge == arrest_charge
    (linked,) = events("case.charge_link")
    assert linked.changes["booking"] == booking.booking_number


def test_a_count_cannot_link_to_another_persons_charge(clock, held, file_case, person, court_clerk):
    other = held("Obito", "Uchiha")
    case = file_case(person())
    with pytest.raises(ValidationFailed) as refused:
        case_charge_link(
            actor=court_clerk, charge=case.charges.first(), booking_charge=other.charges.get()
        )
    assert "booking_charge" in refused.value.extra["fields"]


def test_a_filed_count_can_name_the_booking_charge_at_once(clock, held, file_case, booking_clerk):
    booking = held()
    later = charge_add(
        actor=booking_clerk, booking=booking,
        data=ChargeData(statute="PC 240", description="Assault", severity="misdemeanour"),
    )  # fmt: skip
    case = file_case(
        booking.person,
        charges=[CaseChargeData("PC 240", "Assault", "misdemeanour", booking_charge=later)],
    )
    assert case.charges.get().booking_charge == later


def test_a_party_is_named_once(clock, file_case, person, court_clerk):
    sakura = person("Sakura", "Haruno")
    case = file_case(person(), parties=[(sakura, "victim")])
    with pytest.raises(Conflict) as refused:
        case_party_add(actor=court_clerk, case=case, person=sakura, role="witness")
    assert refused.value.code == "party_exists"
    ino = person("Ino", "Yamanaka")
    party = case_party_add(actor=court_clerk, case=case, person=ino, role="witness")
    assert party.role == "witness"
    assert events("case.party_add")[0].actor == court_clerk


def test_filing_a_case_against_a_held_person_leaves_a_pretrial_status_unaudited(
    clock, held, file_case
):
    booking = held()
    file_case(booking.person)
    booking.refresh_from_db()
    assert booking.legal_status == LegalStatus.PRETRIAL
    assert events("booking.legal_status") == []


@pytest.mark.parametrize(
    ("sentenced", "pending", "hold", "status"),
    [
        (False, False, False, LegalStatus.PRETRIAL),
        (False, True, False, LegalStatus.PRETRIAL),
        (False, True, True, LegalStatus.PRETRIAL),
        (False, False, True, LegalStatus.HOLD),
        (True, False, False, LegalStatus.SENTENCED),
        (True, True, False, LegalStatus.MIXED),
        (True, False, True, LegalStatus.MIXED),
    ],
)
def test_the_legal_status_follows_sentences_pending_counts_and_holds(
    sentenced, pending, hold, status
):
    assert derived_legal_status(sentenced=sentenced, pending=pending, held=hold) == status
