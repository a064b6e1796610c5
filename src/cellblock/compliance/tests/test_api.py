"""The compliance API's access rules and inputs: alerts, report and sweep."""

from __future__ import annotations

import pytest

from cellblock.compliance import rules

pytestmark = pytest.mark.django_db


def test_alerts_of_a_facility_can_be_narrowed_by_severity_and_rule(
    naruto, site, officer, client_for
):
    client = client_for(officer)
    everything = client.get("/api/compliance/alerts", {"facility": site.facility.public_id}).json()
    assert {a["rule"] for a in everything} >= {rules.DARK_CELL, rules.FORMAL_COUNT_MISSED}
    count = next(a for a in everything if a["rule"] == rules.FORMAL_COUNT_MISSED)
    assert (count["booking"], count["place"]) == (None, "TST count 06:00")
    dark = client.get(
        "/api/compliance/alerts", {"facility": site.facility.public_id, "rule": rules.DARK_CELL}
    ).json()
    assert [a["subject"] for a in dark] == [f"dark_cell:{naruto.booking_number}"]
    assert dark[0]["source"] == "Mandela Rule 43(1)(c)"
    assert dark[0]["since"] == "2025-12-14T12:00:00Z"
    warnings = client.get(
        "/api/compliance/alerts", {"facility": site.facility.public_id, "severity": "warning"}
    ).json()
    assert warnings == []


def test_one_persons_alerts_leave_out_the_places(naruto, site, officer, client_for):
    found = (
        client_for(officer)
        .get("/api/compliance/alerts", {"booking": naruto.booking_number.lower()})
        .json()
    )
    assert {a["booking"] for a in found} == {naruto.booking_number}


def test_bad_filters_and_a_missing_place_are_400(site, officer, client_for):
    client = client_for(officer)
    nowhere = client.get("/api/compliance/alerts")
    assert nowhere.status_code == 400
    assert nowhere.json()["extra"]["fields"] == {
        "facility": ["give the facility, or a booking to see one person's alerts."]
    }
    bad = client.get(
        "/api/compliance/alerts",
        {"facility": site.facility.public_id, "severity": "awful", "rule": "curfew"},
    )
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"severity", "rule"}


def test_other_facilities_are_404_and_roles_without_the_board_403(
    naruto, site, outsider, admin_user, client_for
):
    stranger = client_for(outsider)
    assert (
        stranger.get("/api/compliance/alerts", {"facility": site.facility.public_id}).status_code
        == 404
    )
    assert (
        stranger.get("/api/compliance/alerts", {"booking": naruto.booking_number}).status_code
        == 404
    )
    assert (
        stranger.get("/api/compliance/report", {"facility": site.facility.public_id}).status_code
        == 404
    )
    assert stranger.post(
        "/api/compliance/sweep", {"facility": str(site.facility.public_id)},
        content_type="application/json",
    ).status_code == 404  # fmt: skip
    admin = client_for(admin_user)
    assert (
        admin.get("/api/compliance/alerts", {"facility": site.facility.public_id}).status_code
        == 403
    )


def test_officers_read_the_report_but_only_supervisors_sweep(site, officer, client_for, clock):
    client = client_for(officer)
    report = client.get("/api/compliance/report", {"facility": site.facility.public_id})
    assert report.status_code == 200
    assert (report.json()["from"], report.json()["to"]) == ("2026-03-08", "2026-03-14")
    refused = client.post(
        "/api/compliance/sweep", {"facility": str(site.facility.public_id)},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"


def test_the_report_range_is_checked(site, officer, client_for, clock):
    client = client_for(officer)
    backwards = client.get(
        "/api/compliance/report",
        {"facility": site.facility.public_id, "from": "2026-03-14", "to": "2026-03-01"},
    )
    assert backwards.status_code == 400
    assert backwards.json()["extra"]["fields"] == {"to": ["must be on or after from."]}
    too_long = client.get(
        "/api/compliance/report", {"facility": site.facility.public_id, "from": "2020-01-01"}
    )
    assert too_long.status_code == 400
