"""The alert board, the compliance report, the sweep button and the dashboard panel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.audit.models import AuditEvent
from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode
from cellblock.compliance.selectors import alerts
from cellblock.compliance.services import compliance_sweep
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def rows_of(html: str) -> list[tuple[str, str]]:
    """(rule, severity) of each row of the alert table, in order."""
    return re.findall(r'data-rule="([a-z_]+)" data-severity="([a-z]+)"', html)


def test_the_board_lists_every_alert_breaches_first_with_who_must_act(
    naruto, officer, supervisor, commander, client_for
):
    response = client_for(officer).get("/compliance/")
    assert response.status_code == 200
    html = response.content.decode()
    found = rows_of(html)
    assert {rule for rule, _ in found} >= {
        rules.JUVENILE_IN_ADULT_FACILITY, rules.CHILD_IN_SOLITARY, rules.PROLONGED_SOLITARY,
        rules.DARK_CELL, rules.RESTRAINT_CHECKS_OVERDUE, rules.OBSERVATION_OVERDUE,
        rules.EXERCISE_MISSED, rules.NO_VISITS,
    }  # fmt: skip
    assert [severity for _, severity in found] == sorted(
        (severity for _, severity in found), key=lambda s: s != rules.BREACH
    )
    assert "Naruto Uzumaki" in html
    assert "129,600 min (90 days)" in html
    assert "Commander</span>: Cara Commander" in html
    assert "no officer posted here this shift" in html
    assert 'hx-trigger="every 60s"' in html


def test_the_board_filters_by_severity_and_rule_and_htmx_gets_the_board_alone(
    naruto, officer, client_for
):
    client = client_for(officer)
    dark = client.get("/compliance/", {"rule": rules.DARK_CELL}).content.decode()
    assert rows_of(dark) == [(rules.DARK_CELL, rules.BREACH)]
    warnings = client.get("/compliance/", {"severity": "warning"}).content.decode()
    assert rows_of(warnings) == []
    assert "No alert of this kind now." in warnings
    fragment = client.get(
        "/compliance/", {"rule": rules.DARK_CELL}, headers={"HX-Request": "true"}
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="board"')
    assert "<html" not in fragment
    assert 'hx-get="/compliance/?rule=dark_cell&amp;poll=1"' in fragment


def test_a_quiet_facility_says_every_rule_holds(site, officer, client_for, clock):
    clock.move_to(NOW.replace(hour=5))  # before the first count of the day
    html = client_for(officer).get("/compliance/").content.decode()
    assert "No alert: every rule holds at Test Jail now." in html


def test_staff_without_the_board_are_refused_and_other_facilities_see_nothing(
    naruto, admin_user, outsider, client_for
):
    assert client_for(admin_user).get("/compliance/").status_code == 403
    html = client_for(outsider).get("/compliance/").content.decode()
    assert "Naruto" not in html


def test_the_board_reads_a_fixed_number_of_queries_whatever_the_population(
    naruto, hold, site, officer, client_for, django_assert_num_queries, clock
):
    client = client_for(officer)
    client.get("/compliance/")
    with CaptureQueriesContext(connection) as few:
        client.get("/compliance/")
    clock.move_to(NOW - dt.timedelta(days=3))
    for n in range(3):
        hold(f"Extra{n}", given_name="Genin")
    clock.move_to(NOW)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get("/compliance/").content.decode()
    assert "Genin Extra2" in html


def test_the_report_groups_episodes_by_rule_and_supervisors_sweep_from_it(
    naruto, supervisor, officer, client_for, clock
):
    client = client_for(supervisor)
    page = client.get("/compliance/report").content.decode()
    assert "No alert was recorded in these days" in page
    assert 'data-testid="sweep-now"' in page
    response = client.post("/compliance/sweep", {"from": "2026-03-10", "to": "2026-03-14"})
    assert response.status_code == 302
    assert response["Location"] == "/compliance/report?from=2026-03-10&to=2026-03-14"
    page = client.get(response["Location"]).content.decode()
    assert "Sweep done:" in page
    assert 'data-rule="dark_cell"' in page
    assert "Mandela Rule 43(1)(c)" in page
    event = AuditEvent.objects.filter(action="compliance.sweep").latest("seq")
    assert event.actor_username == supervisor.username
    assert event.changes["opened"] == AlertEpisode.objects.count()

    officer_page = client_for(officer).get("/compliance/report").content.decode()
    assert 'data-testid="sweep-now"' not in officer_page
    assert client_for(officer).post("/compliance/sweep").status_code == 403


def test_the_report_says_when_it_cannot_read_the_dates(site, officer, client_for):
    response = client_for(officer).get("/compliance/report", {"from": "14/03/2026"})
    assert response.status_code == 400
    assert "Could not read the from date (14/03/2026)" in response.content.decode()


def test_the_dashboard_counts_alerts_by_severity_and_lists_the_top_ten(
    naruto, commander, client_for, clock
):
    compliance_sweep(actor=None, facility=naruto.facility)
    html = client_for(commander).get("/").content.decode()
    assert 'data-testid="compliance-alerts"' in html
    breaches = re.search(r'data-testid="compliance-breaches">(\d+)<', html)
    assert breaches is not None
    assert int(breaches.group(1)) >= 9
    top = re.findall(r'<li class="(breach|warning)" data-rule="', html)
    assert 9 <= len(top) <= 10
    assert "Open the alert board" in html


def test_a_large_facility_dashboard_reads_the_last_sweep(
    naruto, commander, client_for, clock, monkeypatch
):
    monkeypatch.setattr("cellblock.core.views.COMPLIANCE_LIVE_LIMIT", 0)
    compliance_sweep(actor=None, facility=naruto.facility)
    live = alerts(naruto.facility, NOW)
    html = client_for(commander).get("/").content.decode()
    assert "As the sweep of 12:00 recorded them" in html
    breaches = re.search(r'data-testid="compliance-breaches">(\d+)<', html)
    assert breaches is not None
    assert int(breaches.group(1)) == sum(1 for a in live if a.severity == rules.BREACH)
    assert 'data-rule="dark_cell"' in html


def test_the_dashboard_has_no_compliance_panel_for_an_administrator(site, admin_user, client_for):
    html = client_for(admin_user).get("/").content.decode()
    assert 'data-testid="compliance-alerts"' not in html


def test_the_profile_shows_the_persons_alerts_and_custody_panel(naruto, officer, client_for, clock):
    clock.shift(dt.timedelta(hours=10, minutes=30))  # 22:30: today counts as well
    html = client_for(officer).get(f"/bookings/{naruto.booking_number}/").content.decode()
    assert 'data-section="custody"' in html
    assert 'data-section="alerts"' in html
    listed = html[html.index('data-testid="profile-alerts"') :]
    assert 'data-rule="child_in_solitary"' in listed
    custody = html[html.index('data-testid="custody-panel"') :]
    assert "At risk / special management, every 30 min." in custody
    assert "Chains since 2025-12-14 12:00" in custody
    assert "never checked" in custody
    assert "In their cell (no open movement)." in custody
    assert "90 days</span> in a row since 2025-12-15" in custody
    assert "Exercise missed 89 days in a row" in custody
    assert NOW.tzinfo is not None
