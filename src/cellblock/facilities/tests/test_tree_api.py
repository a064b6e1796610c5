import pytest

pytestmark = pytest.mark.django_db


def test_an_officer_reads_the_tree_of_their_facility_with_capacity(site, officer, client_for):
    response = client_for(officer).get(f"/api/facilities/{site.facility.public_id}/tree")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["capacity"] == 4
    assert body["zones"][0]["units"][0]["cells"][0]["features"] == {"lighting": "working"}


def test_a_commander_of_another_facility_gets_404_not_403(site, outsider, client_for):
    response = client_for(outsider).get(f"/api/facilities/{site.facility.public_id}/tree")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_anonymous_caller_is_refused_in_the_error_shape(site, client):
    response = client.get(f"/api/facilities/{site.facility.public_id}/tree")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "extra"}


def test_an_officer_cannot_add_a_zone(site, officer, client_for):
    response = client_for(officer).post(
        f"/api/facilities/{site.facility.public_id}/zones",
        {"code": "B", "name": "Block B"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "missing_role"


def test_a_bad_zone_code_names_the_field_and_the_rule(site, admin_user, client_for):
    response = client_for(admin_user).post(
        f"/api/facilities/{site.facility.public_id}/zones",
        {"code": "has space", "name": "Block B"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "code" in body["extra"]["fields"]
