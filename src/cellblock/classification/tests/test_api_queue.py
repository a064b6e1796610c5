"""The classification queue and the housing alerts, as the API lists them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.booking.services import booking_open
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.prea import ABUSER_CRITERIA, VICTIM_CRITERIA
from cellblock.classification.services import assessment_record, prea_screening_record
from cellblock.conftest import ready_for_bed
from cellblock.core.roles import Role
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
API = "/api/classification"
NOTHING = {item["code"]: item["answers"][0]["code"] for item in NIC_CUSTODY_V1["items"]}
NO_RISK = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(site, given, family):
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _queue(client, site, **params):
    return client.get(f"{API}/queue", {"facility": str(site.facility.public_id), **params})


def _rows(client, site, **params):
    response = _queue(client, site, **params)
    assert response.status_code == 200, response.content
    return [(row["booking_number"], row["kind"], row["overdue"]) for row in response.json()]


def test_a_new_booking_is_due_for_classification_and_prea_screening(
    site, clock, officer, client_for
):
    booking = _book(site, "Shikamaru", "Nara")
    response = _queue(client_for(officer), site)
    rows = response.json()
    assert [(r["kind"], r["label"], r["overdue"]) for r in rows] == [
        ("initial", "Initial classification", False),
        ("prea_initial", "PREA screening (72 h)", False),
    ]
    assert rows[0]["due_at"].startswith("2026-03-16T12:00")  # 48 h
    assert rows[1]["due_at"].startswith("2026-03-17T12:00")  # 72 h
    assert rows[0]["booking_number"] == booking.booking_number
    assert rows[0]["person"]["family_name"] == "Nara"


def test_overdue_work_comes_first(site, clock, officer, client_for):
    late = _book(site, "Choji", "Akimichi")
    clock.shift(60 * HOUR)
    fresh = _book(site, "Ino", "Yamanaka")
    assert _rows(client_for(officer), site) == [
        (late.booking_number, "initial", True),
        (late.booking_number, "prea_initial", False),
        (fresh.booking_number, "initial", False),
        (fresh.booking_number, "prea_initial", False),
    ]


def test_assessing_and_screening_take_a_booking_off_the_queue(
    site, clock, cleo, officer, client_for
):
    booking = _book(site, "Shikamaru", "Nara")
    client = client_for(cleo)
    assessed = client.post(
        f"{API}/bookings/{booking.booking_number}/assessments", {"answers": NOTHING},
        content_type="application/json",
    )  # fmt: skip
    assert assessed.status_code == 201
    screened = client.post(
        f"{API}/bookings/{booking.booking_number}/prea", {"answers": NO_RISK},
        content_type="application/json",
    )  # fmt: skip
    assert screened.status_code == 201
    # The 90-day review and the 30-day PREA reassessment are beyond a week.
    assert _rows(client_for(officer), site) == []
    assert _rows(client_for(officer), site, horizon_days=30) == [
        (booking.booking_number, "prea_reassessment", False)
    ]


def test_a_new_charge_after_classification_makes_a_reassessment_due(
    site, clock, cleo, officer, commander, client_for
):
    booking = _book(site, "Shikamaru", "Nara")
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    prea_screening_record(actor=cleo, booking=booking, answers=NO_RISK)
    added = client_for(commander).post(
        f"/api/bookings/{booking.booking_number}/charges",
        {"statute": "KNH 1", "description": "Shadow possession of a jounin",
         "severity": "misdemeanour"},
        content_type="application/json",
    )  # fmt: skip
    assert added.status_code == 201, added.content
    [row] = _queue(client_for(officer), site).json()
    assert (row["kind"], row["label"]) == ("event", "Reassessment after an event")
    assert row["detail"] == "New charge: KNH 1 Shadow possession of a jounin"


def test_the_queue_costs_the_same_however_long(
    site, clock, officer, client_for, django_assert_max_num_queries, django_assert_num_queries
):
    _book(site, "Shikamaru", "Nara")
    client = client_for(officer)
    with django_assert_max_num_queries(12) as few:
        assert len(_rows(client, site)) == 2
    count = len(few.captured_queries)
    for n in range(4):
        _book(site, "Genin", f"Number{n}")
    with django_assert_num_queries(count):
        assert len(_rows(client, site)) == 10


def test_the_horizon_is_bounded(site, clock, officer, client_for):
    response = _queue(client_for(officer), site, horizon_days=1000)
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"horizon_days": ["must be from 0 to 365."]}


def test_the_queue_is_ours_alone(site, clock, outsider, admin_user, client_for):
    _book(site, "Shikamaru", "Nara")
    assert _queue(client_for(outsider), site).status_code == 404
    assert _queue(client_for(admin_user), site).status_code == 403


# --- Housing alerts -------------------------------------------------------------------------


def _alerts(client, site):
    return client.get(f"{API}/housing-alerts", {"facility": str(site.facility.public_id)})


def test_a_containment_need_the_cell_lacks_raises_an_alert_until_it_is_lifted(
    site, clock, cleo, officer, client_for
):
    booking = _book(site, "Kakashi", "Hatake")
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.first())
    client = client_for(cleo)
    flags_url = f"{API}/bookings/{booking.booking_number}/flags"
    flag = client.post(
        flags_url, {"kind": "containment", "detail": "chakra-suppression", "reason": "jounin"},
        content_type="application/json",
    ).json()  # fmt: skip
    [alert] = _alerts(client_for(officer), site).json()
    assert (alert["booking_number"], alert["code"]) == (booking.booking_number,
                                                       "containment_missing")  # fmt: skip
    assert alert["cause"] == "flag containment set"
    assert "needs a cell with working chakra-suppression" in alert["message"]
    assert alert["raised_at"].startswith("2026-03-14T12:00")
    client.post(
        f"{flags_url}/{flag['id']}/lift", {"reason": "chakra sealed"},
        content_type="application/json",
    )  # fmt: skip
    assert _alerts(client_for(officer), site).json() == []


def test_housing_alerts_need_housing_view_and_stay_at_home(
    site, clock, admin_user, outsider, other_site, client_for
):
    assert _alerts(client_for(admin_user), site).status_code == 403
    assert _alerts(client_for(outsider), site).status_code == 404
    assert _alerts(client_for(outsider), other_site).json() == []
