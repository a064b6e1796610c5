"""The two medical rules on the records: the health assessment's 14 days, and break-glass."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.compliance import rules
from cellblock.compliance.selectors import alerts
from cellblock.core import clock as clock_module
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.services import cell_create, facility_policy_update
from cellblock.medical.models import Encounter, EncounterKind, EncounterPlace, EncounterStatus
from cellblock.medical.services.access import (
    break_glass_close,
    break_glass_open,
    break_glass_review,
    medical_lead_set,
)

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
FORTNIGHT = dt.timedelta(days=14)
REASON = "Found unresponsive in the cell; the ambulance crew asks about his medication."


def found(site, rule: str, *, booking=None) -> list[rules.Alert]:
    return [a for a in alerts(site.facility, clock_module.now(), booking=booking) if a.rule == rule]


def assessed(booking, medic, *, status: str = EncounterStatus.COMPLETED) -> Encounter:
    """A health assessment as the clinic leaves it (completed unless told otherwise)."""
    at = clock_module.now()
    done = status == EncounterStatus.COMPLETED
    return Encounter.objects.create(
        booking=booking, kind=EncounterKind.HEALTH_ASSESSMENT, status=status, provider=medic,
        scheduled_for=at, scheduled_at=at, place=EncounterPlace.CLINIC,
        started_at=at if done else None, ended_at=at if done else None,
    )  # fmt: skip


# --- Health assessment overdue ----------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), [(-MINUTE, False), (dt.timedelta(0), False),
                                                  (MINUTE, True)])  # fmt: skip
def test_the_health_assessment_is_overdue_from_the_minute_after_fourteen_days(
    site, hold, clock, medic, offset, alerted
):
    kakashi = hold("Hatake")
    clock.move_to(NOW + FORTNIGHT + offset)
    hits = found(site, rules.HEALTH_ASSESSMENT_OVERDUE)
    assert bool(hits) is alerted
    if alerted:
        alert = hits[0]
        assert (alert.booking, alert.severity, alert.number) == (
            kakashi.booking_number, rules.BREACH, 14
        )  # fmt: skip
        assert alert.since == NOW + FORTNIGHT
        assert alert.responsible == (rules.Responsible(rules.MEDIC, ("Mo Medic",)),)


def test_a_completed_health_assessment_clears_it_and_a_scheduled_one_does_not(
    site, hold, clock, medic
):
    kakashi = hold("Hatake")
    clock.move_to(NOW + FORTNIGHT + dt.timedelta(days=2))
    assessed(kakashi, medic, status=EncounterStatus.SCHEDULED)
    assert [a.number for a in found(site, rules.HEALTH_ASSESSMENT_OVERDUE)] == [16]
    assessed(kakashi, medic)
    assert found(site, rules.HEALTH_ASSESSMENT_OVERDUE) == []


def test_the_health_assessment_days_are_the_facilitys_policy(site, hold, clock):
    facility_policy_update(actor=None, facility=site.facility, health_assessment_days=7)
    hold("Hatake")
    clock.move_to(NOW + dt.timedelta(days=7) + MINUTE)
    (alert,) = found(site, rules.HEALTH_ASSESSMENT_OVERDUE)
    assert (alert.number, alert.limit) == (7, 7)


# --- Break-glass access -----------------------------------------------------------------------


def test_a_break_glass_opening_warns_the_medics_naming_who_opened_it_for_whom_never_why(
    site, hold, clock, commander, medic, staff_factory
):
    staff_factory("mina_medic", "medical")
    sasuke = hold("Uchiha", given_name="Sasuke")
    break_glass_open(actor=commander, booking=sasuke, reason=REASON)
    clock.move_to(NOW + dt.timedelta(minutes=25))
    (alert,) = found(site, rules.BREAK_GLASS_ACCESS)
    assert (alert.severity, alert.number, alert.limit, alert.since) == (
        rules.WARNING, 25, 60, NOW
    )  # fmt: skip
    assert (alert.booking, alert.person) == (sasuke.booking_number, "Sasuke Uchiha")
    assert alert.message == rules.BREAK_GLASS_MESSAGE.format(
        opener="Cara Commander", name="Sasuke Uchiha", span="25 min"
    )
    assert "unresponsive" not in alert.message
    # No lead named: every medic of the facility.
    assert alert.responsible == (
        rules.Responsible(rules.MEDICAL_LEAD, ("Mina Medic", "Mo Medic")),
    )  # fmt: skip


def test_the_named_medical_lead_is_the_one_who_must_review(
    site, hold, clock, commander, medic, admin_user, staff_factory
):
    lead = staff_factory("shizune", "medical")
    medical_lead_set(actor=admin_user, facility=site.facility, lead=lead)
    sasuke = hold("Uchiha", given_name="Sasuke")
    break_glass_open(actor=commander, booking=sasuke, reason=REASON)
    (alert,) = found(site, rules.BREAK_GLASS_ACCESS)
    assert alert.responsible == (rules.Responsible(rules.MEDICAL_LEAD, ("Shizune",)),)


def test_the_warning_outlives_the_access_until_someone_reviews_it(
    site, hold, clock, commander, medic
):
    sasuke = hold("Uchiha", given_name="Sasuke")
    access = break_glass_open(actor=commander, booking=sasuke, reason=REASON)
    clock.move_to(NOW + dt.timedelta(minutes=10))
    break_glass_close(actor=commander, access=access)
    clock.move_to(NOW + dt.timedelta(hours=3))
    (alert,) = found(site, rules.BREAK_GLASS_ACCESS, booking=sasuke)
    assert alert.number == 180
    break_glass_review(actor=medic, access=access, note="Justified: the ambulance crew asked.")
    assert found(site, rules.BREAK_GLASS_ACCESS) == []


def test_break_glass_openings_cost_the_same_queries_for_one_or_many(
    site, hold, clock, commander, medic, staff_factory, django_assert_num_queries
):
    site.cells.append(cell_create(actor=None, unit=site.unit, code="A1-9", beds=20))
    people = [hold(f"Extra{n}", given_name="Genin") for n in range(5)]
    second = staff_factory("tsunade", "commander")
    break_glass_open(actor=commander, booking=people[0], reason=REASON)
    with CaptureQueriesContext(connection) as one:
        alerts(site.facility, NOW)
    for person in people[1:]:
        break_glass_open(actor=commander, booking=person, reason=REASON)
        break_glass_open(actor=second, booking=person, reason=REASON)
    with django_assert_num_queries(len(one.captured_queries)):
        found_now = alerts(site.facility, NOW)
    assert len([a for a in found_now if a.rule == rules.BREAK_GLASS_ACCESS]) == 9


def test_without_openings_the_medical_leads_are_not_even_asked(
    site, hold, clock, commander, django_assert_num_queries
):
    sasuke = hold("Uchiha", given_name="Sasuke")
    with CaptureQueriesContext(connection) as quiet:
        alerts(site.facility, NOW)
    break_glass_open(actor=commander, booking=sasuke, reason=REASON)
    with django_assert_num_queries(len(quiet.captured_queries) + 1):
        alerts(site.facility, NOW)
