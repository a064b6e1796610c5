"""Holds: warrants and detainers placed and lifted, and what they do to the legal status."""

from __future__ import annotations

import pytest

from cellblock.booking.models import LegalStatus
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court import sentencing
from cellblock.court.selectors import open_holds
from cellblock.court.services.holds import hold_lift, hold_place
from cellblock.court.services.verdicts import SentenceData, VerdictData, verdict_record
from cellblock.court.tests.court_support import THEFT, events

pytestmark = pytest.mark.django_db


@pytest.fixture
def kakashi(clock, held):
    return held()


def _warrant(actor, booking, reference="W-2026-17"):
    return hold_place(
        actor=actor, booking=booking, kind="warrant", issued_by="Suna Village Court",
        reference=reference, reason="Outstanding theft warrant.",
    )  # fmt: skip


def test_the_booking_desk_places_a_warrant_and_the_status_becomes_hold(kakashi, booking_clerk):
    hold = _warrant(booking_clerk, kakashi)
    assert open_holds(kakashi) == [hold]
    kakashi.refresh_from_db()
    assert kakashi.legal_status == LegalStatus.HOLD
    (placed,) = events("hold.place")
    assert (placed.actor, placed.changes["reference"]) == (booking_clerk, "W-2026-17")
    (status,) = events("booking.legal_status")
    assert status.changes == {"legal_status": ["pretrial", "hold"]}


def test_a_hold_beside_a_sentence_makes_the_status_mixed_until_it_is_lifted(
    kakashi, file_case, court_clerk
):
    case = file_case(kakashi.person, charges=[THEFT])
    (count,) = case.charges.all()
    verdict_record(
        actor=court_clerk, case=case, verdicts=[VerdictData(count, "guilty")],
        sentences=[SentenceData(charge=count, term=sentencing.Term(years=1))],
    )  # fmt: skip
    hold = _warrant(court_clerk, kakashi)
    kakashi.refresh_from_db()
    assert kakashi.legal_status == LegalStatus.MIXED
    lifted = hold_lift(actor=court_clerk, hold=hold, reason="Warrant recalled by Suna.")
    assert lifted.lifted_by == court_clerk
    kakashi.refresh_from_db()
    assert kakashi.legal_status == LegalStatus.SENTENCED
    assert open_holds(kakashi) == []
    assert events("hold.lift")[0].reason == "Warrant recalled by Suna."


def test_a_hold_while_a_count_awaits_trial_keeps_the_person_pretrial(
    kakashi, file_case, court_clerk
):
    file_case(kakashi.person)
    _warrant(court_clerk, kakashi)
    kakashi.refresh_from_db()
    assert kakashi.legal_status == LegalStatus.PRETRIAL
    assert events("booking.legal_status") == []


def test_the_same_warrant_is_placed_once(kakashi, court_clerk):
    _warrant(court_clerk, kakashi)
    with pytest.raises(Conflict) as refused:
        _warrant(court_clerk, kakashi, reference="w-2026-17")
    assert refused.value.code == "hold_exists"
    _warrant(court_clerk, kakashi, reference="W-2026-18")
    assert len(open_holds(kakashi)) == 2


def test_a_hold_needs_its_kind_issuer_and_reference(kakashi, court_clerk):
    with pytest.raises(ValidationFailed) as refused:
        hold_place(actor=court_clerk, booking=kakashi, kind="grudge", issued_by="", reference="")
    assert set(refused.value.extra["fields"]) == {"kind", "issued_by", "reference"}


def test_an_officer_places_no_hold_and_the_booking_desk_lifts_none(kakashi, officer, booking_clerk):
    with pytest.raises(PermissionDenied):
        _warrant(officer, kakashi)
    hold = _warrant(booking_clerk, kakashi)
    with pytest.raises(PermissionDenied) as refused:
        hold_lift(actor=booking_clerk, hold=hold, reason="Recalled.")
    assert "court.record" in refused.value.message


def test_a_hold_is_lifted_once_and_with_a_reason(kakashi, court_clerk):
    hold = _warrant(court_clerk, kakashi)
    with pytest.raises(ValidationFailed) as refused:
        hold_lift(actor=court_clerk, hold=hold, reason="  ")
    assert list(refused.value.extra["fields"]) == ["reason"]
    hold_lift(actor=court_clerk, hold=hold, reason="Detainer withdrawn.")
    with pytest.raises(Conflict) as refused_again:
        hold_lift(actor=court_clerk, hold=hold, reason="Again.")
    assert refused_again.value.code == "hold_lifted"
