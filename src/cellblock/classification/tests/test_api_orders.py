"""Keep-separate orders, protective orders and staff conflicts through the API.

A keep-separate order between cellmates raises a housing alert at once; when
the order expires, the periodic sweep clears it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import ProtectiveOrder, SeparationOrder, StaffConflict
from cellblock.classification.services import classification_sweep
from cellblock.conftest import ready_for_bed
from cellblock.core.roles import Role
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
API = "/api/classification"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


@pytest.fixture
def court_clerk(staff_factory):
    return staff_factory("cory_court", Role.COURT)


def _book(site, given, family):
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


@pytest.fixture
def cellmates(site, clock):
    """Zabuza and Haku, sharing cell A1-1."""
    beds = list(site.cells[0].beds.all())
    pair = [_book(site, "Zabuza", "Momochi"), _book(site, "Haku", "Yuki")]
    for booking, bed in zip(pair, beds, strict=True):
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=bed)
    return pair


def _post(client, path, payload):
    return client.post(f"{API}{path}", payload, content_type="application/json")


def _separate(client, first, second, **payload):
    body = {"person_id": str(first.person.public_id),
            "other_person_id": str(second.person.public_id),
            "scope": "cell", "reason": "fought in the yard", **payload}  # fmt: skip
    return _post(client, "/separations", body)


def _orders(client, booking, **params):
    return client.get(f"{API}/people/{booking.person.public_id}/orders", params)


def _alerts(client, site):
    response = client.get(f"{API}/housing-alerts", {"facility": str(site.facility.public_id)})
    assert response.status_code == 200, response.content
    return response.json()


def _fields(response):
    assert response.status_code == 400, response.content
    return response.json()["extra"]["fields"]


# --- Keep-separate ----------------------------------------------------------------------


def test_keep_separate_between_cellmates_raises_a_housing_alert_for_each(
    site, cellmates, cleo, officer, client_for
):
    zabuza, haku = cellmates
    response = _separate(client_for(cleo), zabuza, haku)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["scope"], body["source"]) == ("active", "cell", "staff")
    assert body["authorised_by"] == "cleo_classification"
    alerts = _alerts(client_for(officer), site)
    assert sorted(a["booking_number"] for a in alerts) == sorted(
        b.booking_number for b in cellmates
    )
    assert {a["code"] for a in alerts} == {"keep_separate"}
    assert {a["cause"] for a in alerts} == {"keep-separate order recorded"}
    assert (
        "are under a keep-separate order (cell) and both in Unit A1 / A1-1" in alerts[0]["message"]
    )
    event = AuditEvent.objects.get(action="separation.create")
    assert (event.actor_username, event.object_id) == ("cleo_classification", body["id"])


def test_an_order_that_expires_shows_expired_and_the_sweep_clears_its_alert(
    site, cellmates, cleo, officer, client_for, clock
):
    zabuza, haku = cellmates
    expires = (NOW + 2 * DAY).isoformat()
    _separate(client_for(cleo), zabuza, haku, expires_at=expires)
    assert len(_alerts(client_for(officer), site)) == 2
    clock.move_to(NOW + 3 * DAY)
    client = client_for(officer)
    assert _orders(client, zabuza).json()["separations"] == []
    [order] = _orders(client, zabuza, past="true").json()["separations"]
    assert order["status"] == "expired"
    # Time alone changed nothing in the tables: the periodic sweep notices.
    assert len(_alerts(client, site)) == 2
    classification_sweep()
    assert _alerts(client, site) == []
    cleared = AuditEvent.objects.filter(action="housing.alert_cleared")
    assert cleared.count() == 2
    assert {e.actor_username for e in cleared} == {""}  # the system


def test_ending_an_order_clears_its_alerts_and_cannot_be_done_twice(
    site, cellmates, cleo, officer, client_for
):
    zabuza, haku = cellmates
    client = client_for(cleo)
    order_id = _separate(client, zabuza, haku).json()["id"]
    assert _fields(_post(client, f"/separations/{order_id}/end", {"reason": " "})) == {
        "reason": ["say why it ends."]
    }
    response = _post(client, f"/separations/{order_id}/end", {"reason": "reconciled"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["ended_by"], body["end_reason"]) == (
        "ended", "cleo_classification", "reconciled",
    )  # fmt: skip
    assert _alerts(client_for(officer), site) == []
    again = _post(client, f"/separations/{order_id}/end", {"reason": "again"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_ended"


def test_the_same_pair_cannot_have_two_open_orders_whichever_way_round(cellmates, cleo, client_for):
    zabuza, haku = cellmates
    client = client_for(cleo)
    first = _separate(client, zabuza, haku).json()
    response = _separate(client, haku, zabuza, scope="unit")
    assert response.status_code == 409
    assert response.json()["code"] == "separation_exists"
    assert response.json()["extra"] == {"order_id": first["id"]}


def test_a_separation_names_another_person_or_a_group_and_a_reason(cellmates, cleo, client_for):
    zabuza, _ = cellmates
    client = client_for(cleo)
    neither = {"person_id": str(zabuza.person.public_id), "scope": "cell", "reason": ""}
    fields = _fields(_post(client, "/separations", neither))
    assert fields == {
        "other_person_id": ["name either another person or a group, not both."],
        "reason": ["say why they must be kept apart."],
    }
    myself = _separate(client, zabuza, zabuza)
    assert _fields(myself) == {"other_person_id": ["must be someone other than the person."]}
    bad_scope = _fields(_separate(client, zabuza, cellmates[1], scope="village"))
    assert list(bad_scope) == ["scope"]
    assert not SeparationOrder.objects.exists()


def test_an_order_cannot_expire_before_it_starts(cellmates, cleo, client_for):
    zabuza, haku = cellmates
    response = _separate(
        client_for(cleo), zabuza, haku, starts_at=(NOW + 2 * DAY).isoformat(),
        expires_at=(NOW + DAY).isoformat(),
    )  # fmt: skip
    assert _fields(response) == {"expires_at": ["must be after the start."]}


def test_an_order_starting_later_is_upcoming_and_raises_no_alert_yet(
    site, cellmates, cleo, officer, client_for
):
    zabuza, haku = cellmates
    body = _separate(client_for(cleo), zabuza, haku, starts_at=(NOW + DAY).isoformat()).json()
    assert body["status"] == "upcoming"
    assert _alerts(client_for(officer), site) == []
    [listed] = _orders(client_for(officer), haku).json()["separations"]
    assert listed["id"] == body["id"]


def test_who_authorised_it_is_a_member_of_staff_here(
    cellmates, cleo, supervisor, outsider, client_for
):
    zabuza, haku = cellmates
    client = client_for(cleo)
    unknown = _separate(client, zabuza, haku, authorised_by=outsider.username)
    assert _fields(unknown) == {
        "authorised_by": ["no member of staff 'otto_outsider' works at Test Jail."]
    }
    response = _separate(client, zabuza, haku, authorised_by=supervisor.username)
    assert response.json()["authorised_by"] == "sam_supervisor"
    assert response.json()["recorded_by"] == "cleo_classification"


def test_officers_read_orders_but_cannot_record_them(cellmates, cleo, officer, client_for):
    zabuza, haku = cellmates
    _separate(client_for(cleo), zabuza, haku)
    client = client_for(officer)
    assert _separate(client, zabuza, haku, scope="unit").status_code == 403
    orders = _orders(client, haku)
    assert orders.status_code == 200
    [order] = orders.json()["separations"]
    assert {order["person"]["given_name"], order["other_person"]["given_name"]} == {
        "Zabuza",
        "Haku",
    }


def test_the_orders_of_a_person_cost_the_same_however_many(
    site, cellmates, cleo, court_clerk, officer, client_for, django_assert_max_num_queries,
    django_assert_num_queries,
):  # fmt: skip
    zabuza, haku = cellmates
    client = client_for(officer)
    _separate(client_for(cleo), zabuza, haku)
    _protect(client_for(court_clerk), zabuza, given_name="Tazuna")
    with django_assert_max_num_queries(12) as few:
        assert _orders(client, zabuza).status_code == 200
    # Counted now: every request resets the connection's query log.
    count = len(few.captured_queries)
    others = [_book(site, "Gato", f"Henchman{n}") for n in range(3)]
    for other in others:
        _separate(client_for(cleo), zabuza, other)
        _protect(client_for(court_clerk), zabuza, given_name=f"Villager{other.pk}")
    with django_assert_num_queries(count):
        body = _orders(client, zabuza).json()
    assert (len(body["separations"]), len(body["protective"])) == (4, 4)


# --- Protective orders -------------------------------------------------------------------


def _protect(client, booking, *, person_id=None, **payload):
    new = {"given_name": payload.pop("given_name", "Tazuna"), "family_name": "Bridgebuilder"}
    body = {
        "person_id": str(booking.person.public_id),
        "protected_role": "witness", "source": "court_order", "scope": "all_contact",
        "issued_by": "Land of Waves district court", "reference": "LW-2026-17",
        **({"protected_person_id": person_id} if person_id else {"protected_person": new}),
        **payload,
    }  # fmt: skip
    return _post(client, "/protective-orders", body)


def test_a_court_clerk_records_a_no_contact_order_with_a_new_protected_person(
    cellmates, court_clerk, officer, client_for
):
    zabuza, _ = cellmates
    response = _protect(client_for(court_clerk), zabuza, reason="threatened the witness")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["protected_person"]["given_name"] == "Tazuna"
    assert (body["source"], body["scope"], body["reference"]) == (
        "court_order", "all_contact", "LW-2026-17",
    )  # fmt: skip
    assert (body["status"], body["recorded_by"]) == ("active", "cory_court")
    protected = Person.objects.get(public_id=body["protected_person"]["id"])
    assert not protected.bookings.exists()
    actions = list(
        AuditEvent.objects.filter(actor_username="cory_court").values_list("action", flat=True)
    )
    assert actions == ["person.create", "protective_order.create"]
    [listed] = _orders(client_for(officer), zabuza).json()["protective"]
    assert listed["id"] == body["id"]


def test_a_court_order_needs_its_reference_and_nothing_is_left_behind(
    cellmates, court_clerk, client_for
):
    zabuza, _ = cellmates
    response = _protect(client_for(court_clerk), zabuza, reference="")
    assert _fields(response) == {
        "reference": ["a court order needs its reference (docket or order number)."]
    }
    # The new protected person is recorded with the order or not at all.
    assert not Person.objects.filter(given_name="Tazuna").exists()


def test_the_protected_person_is_named_by_id_or_given_new_never_both(
    cellmates, court_clerk, client_for
):
    zabuza, haku = cellmates
    client = client_for(court_clerk)
    both = _protect(client, zabuza, person_id=str(haku.person.public_id),
                    protected_person={"family_name": "Yuki"})  # fmt: skip
    assert list(_fields(both)) == ["protected_person_id"]
    myself = _protect(client, zabuza, person_id=str(zabuza.person.public_id))
    assert _fields(myself) == {
        "protected_person_id": ["must be someone other than the person in custody."]
    }


def test_a_victim_named_twice_is_found_by_the_duplicate_check(
    site, cellmates, court_clerk, client_for
):
    zabuza, haku = cellmates
    client = client_for(court_clerk)
    first = _protect(client, zabuza).json()
    again = _protect(client, haku)
    assert again.status_code == 409
    assert again.json()["code"] == "possible_duplicates"
    [match] = again.json()["extra"]["matches"]
    assert match["person"]["id"] == first["protected_person"]["id"]
    by_id = _protect(client, haku, person_id=match["person"]["id"])
    assert by_id.status_code == 201
    assert Person.objects.filter(given_name="Tazuna").count() == 1
    forced = _protect(client, haku, confirm_new_person=True, reference="LW-2026-18")
    assert forced.status_code == 201
    assert Person.objects.filter(given_name="Tazuna").count() == 2


def test_a_protective_order_is_ended_with_a_reason(cellmates, court_clerk, client_for):
    zabuza, _ = cellmates
    client = client_for(court_clerk)
    order_id = _protect(client, zabuza).json()["id"]
    response = _post(client, f"/protective-orders/{order_id}/end", {"reason": "order vacated"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["ended_by"]) == ("ended", "cory_court")
    assert ProtectiveOrder.objects.get().end_reason == "order vacated"
    assert AuditEvent.objects.get(action="protective_order.end").actor_username == "cory_court"


def test_officers_and_medics_cannot_record_protective_orders(cellmates, officer, medic, client_for):
    zabuza, _ = cellmates
    for user in (officer, medic):
        assert _protect(client_for(user), zabuza).status_code == 403
    assert not Person.objects.filter(given_name="Tazuna").exists()


# --- Staff conflicts ----------------------------------------------------------------------


def _conflict(client, booking, staff, **payload):
    body = {"person_id": str(booking.person.public_id), "staff": staff,
            "kind": "alleged_victim", "reason": "assaulted in transport", **payload}  # fmt: skip
    return _post(client, "/staff-conflicts", body)


def test_a_staff_conflict_is_recorded_listed_and_ended(cellmates, cleo, medic, officer, client_for):
    zabuza, _ = cellmates
    client = client_for(cleo)
    response = _conflict(client, zabuza, medic.username)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["staff"], body["kind"], body["status"]) == ("mo_medic", "alleged_victim", "active")
    [listed] = _orders(client_for(officer), zabuza).json()["staff_conflicts"]
    assert listed["id"] == body["id"]
    duplicate = _conflict(client, zabuza, medic.username)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "conflict_exists"
    ended = _post(client, f"/staff-conflicts/{body['id']}/end", {"reason": "charges dropped"})
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert _orders(client_for(officer), zabuza).json()["staff_conflicts"] == []
    actions = AuditEvent.objects.filter(action__startswith="staff_conflict.")
    assert [(e.action, e.actor_username) for e in actions.order_by("seq")] == [
        ("staff_conflict.create", "cleo_classification"),
        ("staff_conflict.end", "cleo_classification"),
    ]


def test_the_staff_member_must_work_at_the_facility(cellmates, cleo, outsider, client_for):
    zabuza, _ = cellmates
    response = _conflict(client_for(cleo), zabuza, outsider.username)
    assert _fields(response) == {
        "staff": ["no member of staff 'otto_outsider' works at Test Jail."]
    }
    assert not StaffConflict.objects.exists()


def test_an_officer_cannot_record_a_staff_conflict(cellmates, officer, medic, client_for):
    assert _conflict(client_for(officer), cellmates[0], medic.username).status_code == 403


# --- Outsiders ----------------------------------------------------------------------------


def test_an_outsider_gets_not_found_for_every_order(
    site, cellmates, cleo, court_clerk, medic, outsider, client_for
):
    zabuza, haku = cellmates
    separation = _separate(client_for(cleo), zabuza, haku).json()["id"]
    protective = _protect(client_for(court_clerk), zabuza).json()["id"]
    conflict = _conflict(client_for(cleo), zabuza, medic.username).json()["id"]
    client = client_for(outsider)
    assert _orders(client, zabuza).status_code == 404
    assert _separate(client, zabuza, haku, scope="unit").status_code == 404
    assert _protect(client, zabuza, confirm_new_person=True).status_code == 404
    assert _conflict(client, zabuza, medic.username, kind="other").status_code == 404
    for path in (f"/separations/{separation}/end", f"/protective-orders/{protective}/end",
                 f"/staff-conflicts/{conflict}/end"):  # fmt: skip
        assert _post(client, path, {"reason": "mine now"}).status_code == 404
    alerts = client.get(f"{API}/housing-alerts", {"facility": str(site.facility.public_id)})
    assert alerts.status_code == 404
    assert not SeparationOrder.objects.filter(ended_at__isnull=False).exists()


def test_a_time_without_a_zone_is_a_400_naming_the_field_not_a_server_error(
    site, client_for, commander
):
    haku = _book(site, "Haku", "Yuki")
    zabuza = _book(site, "Zabuza", "Momochi")
    response = client_for(commander).post(
        "/api/classification/separations",
        {"person_id": str(haku.person.public_id), "other_person_id": str(zabuza.person.public_id),
         "scope": "cell", "reason": "threats", "expires_at": "2026-12-01T00:00:00"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert "expires_at" in response.json()["extra"]["fields"]
