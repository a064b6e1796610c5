"""Transfers to another facility of the agency: the records travel with the person."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import BookingStatus, IntakeStep
from cellblock.classification.models import Flag
from cellblock.classification.services import flag_set
from cellblock.core import clock
from cellblock.core.errors import ValidationFailed
from cellblock.court.models import CaseCharge, Hearing, Hold, ReleaseDate, SentenceStatus
from cellblock.court.services.hearings import hearing_schedule
from cellblock.custody.selectors.counts import live_count
from cellblock.facilities import services as facility_services
from cellblock.medical.models import CareAlert
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.release.services import releases

from .conftest import TODAY, sentenced, warrant, work_checklist

pytestmark = pytest.mark.django_db


@pytest.fixture
def transferred(site, other_site, kakashi, commander, supervisor, officer, medic):
    """Kakashi, flagged, on a care alert, sentenced, with a detainer, sent to the Other Jail."""
    kakashi.custody_level = "maximum"
    kakashi.save(update_fields=["custody_level"])
    flag_set(actor=commander, booking=kakashi, kind="escape_risk", reason="Elite shinobi")
    flag_set(
        actor=commander, booking=kakashi, kind="containment", detail="chakra-suppression",
        reason="Chakra user",
    )  # fmt: skip
    care_alert_set(actor=medic, booking=kakashi, kind="lower_bunk")
    care_alert_set(actor=medic, booking=kakashi, kind="monitor_meals", instruction="Log meals")
    sentence = sentenced(kakashi, release_on=TODAY.replace(month=8))
    detainer = warrant(kakashi, reference="D-12")
    hearing_schedule(
        actor=commander, case=sentence.case, kind="review",
        scheduled_at=clock.now() + dt.timedelta(days=3),
    )  # fmt: skip
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="transfer", to_facility=other_site.facility,
        authority="Transfer order 2026-14",
    )  # fmt: skip
    work_checklist(release, by=officer, medic=medic)
    done = releases.release_complete(actor=supervisor, release=release)
    return done, sentence, detainer


def test_the_booking_closes_here_and_one_opens_at_the_receiver_in_intake(
    site, other_site, kakashi, transferred
):
    release, _, _ = transferred
    received = release.new_booking

    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == (BookingStatus.RELEASED, "transfer")
    assert (received.facility, received.person, received.status, received.source) == (
        other_site.facility, kakashi.person, BookingStatus.INTAKE, "transfer_in",
    )  # fmt: skip
    assert (received.legal_status, received.custody_level) == (kakashi.legal_status, "maximum")
    assert IntakeStep.objects.filter(booking=received, completed_at__isnull=True).count() == 7
    assert live_count(site.facility).held == 0
    arrived = live_count(other_site.facility)
    assert (arrived.held, arrived.unhoused.held) == (1, 1)


def test_flags_and_care_alerts_in_force_follow_the_person(kakashi, transferred):
    received = transferred[0].new_booking

    flags = Flag.objects.filter(booking=received, lifted_at__isnull=True)

    assert sorted((f.kind, f.detail, f.origin) for f in flags) == [
        ("containment", "chakra-suppression", "staff"),
        ("escape_risk", "", "staff"),
        ("medical_need", "lower-bunk", "medical"),
    ]
    alerts = CareAlert.objects.filter(booking=received, ended_at__isnull=True)
    assert sorted(a.kind for a in alerts) == ["lower_bunk", "monitor_meals"]
    bunk = alerts.get(kind="lower_bunk")
    assert bunk.flag is not None
    assert bunk.flag.booking == received
    assert Flag.objects.get(booking=received, kind="escape_risk").reason == (
        f"From {kakashi.booking_number} (Test Jail): Elite shinobi"
    )


def test_holds_counts_and_sentences_go_with_the_person(kakashi, transferred):
    release, sentence, detainer = transferred
    received = release.new_booking

    detainer.refresh_from_db()
    assert (detainer.booking, detainer.lifted_at) == (received, None)
    count = CaseCharge.objects.select_related("booking_charge").get(case=sentence.case)
    assert count.booking_charge is not None
    assert count.booking_charge.booking == received
    assert received.charges.count() == kakashi.charges.count() == 1
    sentence.refresh_from_db()
    assert sentence.status == SentenceStatus.ACTIVE
    assert ReleaseDate.objects.get(booking=received).release_on is not None
    # His review hearing produces him from the receiving facility now.
    [review] = Hearing.objects.filter(case=sentence.case)
    assert review.booking == received


def test_every_carry_over_is_in_the_audit_trail_with_its_actor(kakashi, supervisor, transferred):
    received = transferred[0].new_booking

    arrival = AuditEvent.objects.get(action="booking.transfer_in")

    assert arrival.actor == supervisor
    assert arrival.reason == (
        f"Transfer from {kakashi.booking_number} (Test Jail) by sam_supervisor."
    )
    assert arrival.changes["from_booking"] == kakashi.booking_number
    assert AuditEvent.objects.filter(action="flag.carry_over").count() == 2
    assert AuditEvent.objects.get(action="carealert.carry_over").changes["from_booking"] == (
        kakashi.booking_number
    )
    assert AuditEvent.objects.get(action="hold.transfer").changes["booking"] == [
        kakashi.booking_number, received.booking_number,
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="case_charge.relink", actor=supervisor).count() == 1
    assert Hold.objects.filter(booking=kakashi).count() == 0


def test_a_transfer_stays_within_the_agency_and_leaves_this_facility(site, kakashi, supervisor):
    elsewhere = facility_services.facility_create(
        actor=None,
        agency=facility_services.agency_create(actor=None, code="SND", name="Sand Village"),
        code="SUN", name="Sunagakure Jail", timezone="UTC",
    )  # fmt: skip
    for destination, message in (
        (None, "is required for a transfer: the receiving facility."),
        (site.facility, "is this facility: a transfer goes to another facility of the agency."),
        (elsewhere, "is not a facility of Test County: transfers stay within the agency."),
    ):
        with pytest.raises(ValidationFailed) as refused:
            releases.release_start(
                actor=supervisor, booking=kakashi, kind="transfer", to_facility=destination
            )
        assert refused.value.extra["fields"] == {"to_facility": [message]}
