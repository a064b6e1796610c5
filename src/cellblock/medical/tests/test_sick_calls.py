"""Sick calls: filed by whoever hears them, triaged and worked through by medical staff."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_transition
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.medical.models import SickCallStatus, SickCallUrgency
from cellblock.medical.selectors.clinic import sick_call_queue
from cellblock.medical.services.encounters import encounter_schedule
from cellblock.medical.services.sick_calls import (
    sick_call_close,
    sick_call_file,
    sick_call_triage,
)

# Time stands still on 14 March 2026 from the first fixture on.
pytestmark = [pytest.mark.usefixtures("clock"), pytest.mark.django_db]


@pytest.fixture
def held(admit):
    """Sasuke Uchiha as an adult: the test jail has adult units only (conftest's is 15)."""
    return admit(born=dt.date(1996, 7, 23))


@pytest.fixture
def filed(held, officer):
    def make(booking=None, complaint="My head hurts", via="officer", **kwargs):
        return sick_call_file(
            actor=officer, booking=booking or held, complaint=complaint, via=via, **kwargs
        )

    return make


def audited(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


@pytest.mark.parametrize("who", ["officer", "supervisor", "visits_clerk", "medic", "commander"])
def test_whoever_hears_it_files_a_sick_call(held, who, request):
    sick_call = sick_call_file(
        actor=request.getfixturevalue(who), booking=held, complaint="Toothache", via="officer"
    )

    assert (sick_call.status, sick_call.urgency) == (SickCallStatus.WAITING, "untriaged")


def test_a_kiosk_files_as_the_system(held):
    sick_call = sick_call_file(actor=None, booking=held, complaint="Toothache", via="kiosk")

    assert sick_call.filed_by is None


@pytest.mark.parametrize("who", ["auditor", "booking_clerk", "admin_user"])
def test_others_do_not_file_sick_calls(held, who, request):
    with pytest.raises(PermissionDenied) as refused:
        sick_call_file(
            actor=request.getfixturevalue(who), booking=held, complaint="Toothache",
            via="officer",
        )  # fmt: skip

    assert refused.value.code == "missing_role"
    assert refused.value.message == (
        "Filing a sick call at Test Jail needs an officer, the visits desk or medical staff."
    )


def test_the_audit_keeps_how_it_came_not_what_he_said(filed, held):
    sick_call = filed(complaint="CHEST-PAIN-SECRET", via="paper")

    event = audited("sickcall.file")
    assert event.changes == {
        "booking": held.booking_number, "via": "paper", "filed_at": event.changes["filed_at"],
    }  # fmt: skip
    assert "CHEST-PAIN-SECRET" not in f"{event.reason} {event.changes} {event.object_label}"
    assert sick_call.complaint == "CHEST-PAIN-SECRET"


def test_a_paper_slip_keeps_when_it_was_handed_in(filed, clock):
    clock.shift(dt.timedelta(hours=5))
    handed_in = core_clock.now() - dt.timedelta(hours=3)

    assert filed(via="paper", filed_at=handed_in).filed_at == handed_in


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"complaint": "  "}, "complaint"),
        ({"via": "pigeon"}, "via"),
        ({"filed_at": dt.datetime(2026, 3, 15, tzinfo=dt.UTC)}, "filed_at"),
    ],
)
def test_a_sick_call_names_each_bad_field(filed, values, field):
    with pytest.raises(ValidationFailed) as refused:
        filed(**values)

    assert field in refused.value.extra["fields"]


def test_no_sick_call_once_he_is_released(filed, held):
    booking_transition(actor=None, booking=held, to="released", release_type="bail")

    with pytest.raises(Conflict) as refused:
        filed()

    assert refused.value.code == "booking_closed"


def test_a_medic_triages_it(filed, medic):
    sick_call = sick_call_triage(actor=medic, sick_call=filed(), urgency="urgent")

    assert sick_call.urgency == SickCallUrgency.URGENT
    assert sick_call.triaged_by == medic
    assert audited("sickcall.triage").changes["urgency"] == ["untriaged", "urgent"]


def test_triage_is_medical_work(filed, officer):
    with pytest.raises(PermissionDenied) as refused:
        sick_call_triage(actor=officer, sick_call=filed(), urgency="urgent")

    assert refused.value.code == "missing_role"


def test_triage_picks_an_urgency(filed, medic):
    with pytest.raises(ValidationFailed) as refused:
        sick_call_triage(actor=medic, sick_call=filed(), urgency="untriaged")

    assert refused.value.extra["fields"] == {
        "urgency": ["'untriaged' is not one of routine, urgent, emergency."]
    }


def test_a_sick_call_closed_without_an_encounter_says_why(filed, medic):
    sick_call = sick_call_close(actor=medic, sick_call=filed(), reason="Resolved by itself")

    assert sick_call.status == SickCallStatus.CLOSED
    assert sick_call.close_reason == "Resolved by itself"
    assert audited("sickcall.close").reason == "Resolved by itself"
    with pytest.raises(Conflict) as again:
        sick_call_triage(actor=medic, sick_call=sick_call, urgency="routine")
    assert again.value.code == "sick_call_closed"


def test_a_scheduled_sick_call_is_closed_by_cancelling_its_encounter(filed, held, medic):
    sick_call = filed()
    encounter_schedule(
        actor=medic, booking=held, kind="sick_call", provider=medic,
        scheduled_for=core_clock.now() + dt.timedelta(hours=1), place="clinic",
        sick_call=sick_call,
    )  # fmt: skip

    with pytest.raises(Conflict) as refused:
        sick_call_close(actor=medic, sick_call=sick_call, reason="Resolved")

    assert refused.value.code == "sick_call_scheduled"
    assert refused.value.message == (
        "This sick call has an encounter scheduled (2026-03-14 19:00): cancel the encounter to "
        "close it."
    )


def test_a_sick_call_is_scheduled_once(filed, held, medic):
    sick_call = filed()
    values = {
        "actor": medic, "booking": held, "kind": "sick_call", "provider": medic,
        "scheduled_for": core_clock.now(), "place": "clinic", "sick_call": sick_call,
    }  # fmt: skip
    encounter_schedule(**values)

    with pytest.raises(Conflict) as refused:
        encounter_schedule(**values)

    assert refused.value.code == "sick_call_not_waiting"


def test_the_queue_puts_emergencies_first(
    filed, medic, admit, site, clock, django_assert_max_num_queries
):
    naruto = admit("Uzumaki", given_name="Naruto", born=dt.date(1996, 10, 10))
    routine = sick_call_triage(actor=medic, sick_call=filed(), urgency="routine")
    clock.shift(dt.timedelta(minutes=1))
    untriaged = filed(booking=naruto)
    clock.shift(dt.timedelta(minutes=1))
    urgent = sick_call_triage(actor=medic, sick_call=filed(), urgency="urgent")
    clock.shift(dt.timedelta(minutes=1))
    emergency = sick_call_triage(actor=medic, sick_call=filed(booking=naruto), urgency="emergency")
    clock.shift(dt.timedelta(minutes=1))
    later_emergency = sick_call_triage(actor=medic, sick_call=filed(), urgency="emergency")
    closed = sick_call_close(actor=medic, sick_call=filed(), reason="Withdrawn")

    with django_assert_max_num_queries(1):
        queue = sick_call_queue(site.facility)
        names = [s.booking.person.full_name for s in queue]

    assert queue == [emergency, later_emergency, urgent, untriaged, routine]
    assert closed not in queue
    assert names[0] == "Naruto Uzumaki"


def test_a_paper_slip_is_not_dated_before_the_booking(filed, held):
    with pytest.raises(ValidationFailed) as refused:
        filed(via="paper", filed_at=held.booked_at - dt.timedelta(hours=1))

    assert refused.value.extra["fields"] == {
        "filed_at": [f"is before {held.booking_number} was booked (2026-03-14 18:00)."]
    }
