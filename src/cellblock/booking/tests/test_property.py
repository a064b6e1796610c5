"""Property: items taken at intake or issued, corrected, signed for, and returned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import IntakeStep, PropertyItem
from cellblock.booking.services import (
    PropertyData,
    booking_open,
    booking_transition,
    property_inventory_sign,
    property_item_add,
    property_item_return,
    property_item_update,
    property_return_all,
)
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
WALLET = PropertyData(kind="taken", description="Wallet with cash", cash_amount="120.50")
JUMPSUIT = PropertyData(kind="issued", description="Orange jumpsuit", quantity=2, condition="new")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booking(site):
    person = person_create(actor=None, facility=None, given_name="Might", family_name="Guy")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _url(booking, tail=""):
    return f"/api/bookings/{booking.booking_number}/property{tail}"


def _post(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


def _fields(refused):
    return refused.value.extra["fields"]


# --- Adding --------------------------------------------------------------------------


def test_a_clerk_records_an_item_taken_with_the_cash_counted(booking, booking_clerk, client_for):
    response = _post(
        client_for(booking_clerk),
        _url(booking),
        {"kind": "taken", "description": "Wallet", "cash_amount": "120.5", "bag_number": "B-17"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert Decimal(body["cash_amount"]) == Decimal("120.50")
    assert body["recorded_by"] == "bea_booking"
    assert body["condition"] == "good"
    assert body["returned_at"] is None
    item = PropertyItem.objects.get(public_id=body["id"])
    assert item.cash_amount == Decimal("120.50")
    assert item.bag_number == "B-17"
    event = AuditEvent.objects.get(action="property.add")
    assert event.actor_username == "bea_booking"
    assert event.changes["booking"] == booking.booking_number
    assert Decimal(event.changes["cash_amount"]) == Decimal("120.50")


def test_a_clerk_records_kit_issued_by_the_facility(booking, booking_clerk):
    item = property_item_add(actor=booking_clerk, booking=booking, data=JUMPSUIT)
    assert (item.kind, item.quantity, item.condition, item.cash_amount) == (
        "issued",
        2,
        "new",
        None,
    )


def test_an_officer_cannot_record_property(booking, officer, client_for):
    response = _post(client_for(officer), _url(booking), {"kind": "taken", "description": "Hat"})
    assert response.status_code == 403
    assert not PropertyItem.objects.exists()


def test_negative_cash_is_refused(booking, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        property_item_add(
            actor=booking_clerk, booking=booking,
            data=PropertyData(kind="taken", description="Cash", cash_amount="-5"),
        )  # fmt: skip
    assert _fields(refused) == {"cash_amount": ["must be between 0 and 99,999,999.99."]}


def test_cash_on_an_issued_item_is_refused(booking, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        property_item_add(
            actor=booking_clerk, booking=booking,
            data=PropertyData(kind="issued", description="Blanket", cash_amount="3"),
        )  # fmt: skip
    assert _fields(refused) == {"cash_amount": ["the facility does not issue cash."]}


def test_a_cash_amount_that_is_not_a_number_is_refused(booking, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        property_item_add(
            actor=booking_clerk, booking=booking,
            data=PropertyData(kind="taken", description="Cash", cash_amount="ten ryo"),
        )  # fmt: skip
    assert "cash_amount" in _fields(refused)


def test_a_quantity_of_zero_is_refused(booking, booking_clerk, client_for):
    response = _post(
        client_for(booking_clerk),
        _url(booking),
        {"kind": "taken", "description": "Hat", "quantity": 0},
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"quantity": ["must be between 1 and 9999."]}


def test_an_unknown_condition_is_refused_naming_the_field(booking, booking_clerk, client_for):
    with pytest.raises(ValidationFailed) as refused:
        property_item_add(
            actor=booking_clerk, booking=booking,
            data=PropertyData(kind="taken", description="Hat", condition="pristine"),
        )  # fmt: skip
    assert _fields(refused) == {"condition": ["must be one of new, good, worn, damaged."]}
    response = _post(
        client_for(booking_clerk),
        _url(booking),
        {"kind": "taken", "description": "Hat", "condition": "pristine"},
    )
    assert response.status_code == 400
    assert "condition" in response.json()["extra"]["fields"]


def test_bad_items_write_nothing(booking, booking_clerk):
    before = (PropertyItem.objects.count(), AuditEvent.objects.count())
    for bad in (
        PropertyData(kind="taken", description=" "),
        PropertyData(kind="lent", description="Hat"),
        PropertyData(kind="taken", description="Hat", quantity=10_000),
    ):
        with pytest.raises(ValidationFailed):
            property_item_add(actor=booking_clerk, booking=booking, data=bad)
    assert (PropertyItem.objects.count(), AuditEvent.objects.count()) == before


# --- Correcting ------------------------------------------------------------------------


def test_a_correction_needs_a_reason(booking, booking_clerk):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    with pytest.raises(ValidationFailed) as refused:
        property_item_update(actor=booking_clerk, item=item, reason=" ", quantity=2)
    assert "reason" in _fields(refused)


def test_a_correction_keeps_the_old_and_new_values_in_the_audit(booking, booking_clerk, client_for):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    response = client_for(booking_clerk).patch(
        _url(booking, f"/{item.public_id}"),
        {"reason": "recounted with the detainee", "cash_amount": "102.00", "condition": "worn"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["cash_amount"]) == Decimal("102.00")
    event = AuditEvent.objects.get(action="property.update")
    assert event.reason == "recounted with the detainee"
    assert event.actor_username == "bea_booking"
    assert event.changes["condition"] == ["good", "worn"]
    old, new = event.changes["cash_amount"]
    assert (Decimal(old), Decimal(new)) == (Decimal("120.50"), Decimal("102.00"))
    assert set(event.changes) == {"condition", "cash_amount"}


def test_the_kind_of_an_item_cannot_be_corrected(booking, booking_clerk):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    with pytest.raises(ValidationFailed) as refused:
        property_item_update(actor=booking_clerk, item=item, reason="typo", kind="issued")
    assert _fields(refused) == {"kind": ["cannot be changed."]}


def test_a_correction_is_checked_like_a_new_item(booking, booking_clerk):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    with pytest.raises(ValidationFailed) as refused:
        property_item_update(actor=booking_clerk, item=item, reason="recount", cash_amount="-1")
    assert "cash_amount" in _fields(refused)
    item.refresh_from_db()
    assert item.cash_amount == Decimal("120.50")


# --- Signing -----------------------------------------------------------------------------


def test_signing_the_inventory_completes_the_property_step_with_the_signer(
    booking, booking_clerk, client_for
):
    property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    property_item_add(actor=booking_clerk, booking=booking, data=JUMPSUIT)
    response = _post(client_for(booking_clerk), _url(booking, "/sign"))
    assert response.status_code == 200, response.content
    step = IntakeStep.objects.get(booking=booking, step="property")
    assert step.completed_by == booking_clerk
    assert step.completed_at == NOW
    assert step.note == "1 taken, 1 issued"
    shown = next(row for row in response.json() if row["step"] == "property")
    assert (shown["state"], shown["completed_by"]) == ("done", "bea_booking")
    event = AuditEvent.objects.get(action="intake.step_complete")
    assert event.changes["step"] == "property"


def test_an_officer_cannot_sign_the_inventory(booking, officer):
    with pytest.raises(PermissionDenied):
        property_inventory_sign(actor=officer, booking=booking)


# --- Returning --------------------------------------------------------------------------


def test_a_booking_clerk_may_not_return_property(booking, booking_clerk, client_for):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    response = _post(client_for(booking_clerk), _url(booking, f"/{item.public_id}/return"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.returned_at is None


def test_a_supervisor_returns_an_item_and_it_is_audited(
    booking, booking_clerk, supervisor, client_for
):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    response = _post(
        client_for(supervisor), _url(booking, f"/{item.public_id}/return"), {"note": "counted out"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["returned_by"] == "sam_supervisor"
    assert body["return_note"] == "counted out"
    event = AuditEvent.objects.get(action="property.return")
    assert event.actor_username == "sam_supervisor"
    assert event.changes == {"booking": booking.booking_number, "note": "counted out"}


def test_an_item_cannot_be_returned_twice(booking, booking_clerk, supervisor):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    property_item_return(actor=supervisor, item=item)
    with pytest.raises(Conflict) as refused:
        property_item_return(actor=supervisor, item=item)
    assert refused.value.code == "property_returned"


def test_a_returned_item_can_no_longer_be_corrected(booking, booking_clerk, supervisor):
    item = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    property_item_return(actor=supervisor, item=item)
    with pytest.raises(Conflict):
        property_item_update(actor=booking_clerk, item=item, reason="recount", quantity=2)


def test_returning_everything_returns_only_what_is_still_held(
    booking, booking_clerk, supervisor, commander
):
    wallet = property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    property_item_add(actor=booking_clerk, booking=booking, data=JUMPSUIT)
    property_item_add(actor=booking_clerk, booking=booking, data=PropertyData("taken", "Watch"))
    property_item_return(actor=supervisor, item=wallet)
    booking_transition(actor=commander, booking=booking, to="in_custody")
    booking_transition(actor=commander, booking=booking, to="released", release_type="bail")
    returned = property_return_all(actor=supervisor, booking=booking, note="at release")
    assert returned == 2
    assert not PropertyItem.objects.filter(returned_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="property.return").count() == 3
    assert PropertyItem.objects.get(pk=wallet.pk).return_note == ""


def test_a_booking_clerk_may_not_return_everything(booking, booking_clerk):
    property_item_add(actor=booking_clerk, booking=booking, data=WALLET)
    with pytest.raises(PermissionDenied):
        property_return_all(actor=booking_clerk, booking=booking)


def test_property_cannot_be_added_after_release(booking, booking_clerk, commander):
    booking_transition(actor=commander, booking=booking, to="in_custody")
    booking_transition(actor=commander, booking=booking, to="released", release_type="bail")
    with pytest.raises(Conflict) as refused:
        property_item_add(actor=commander, booking=booking, data=WALLET)
    assert refused.value.code == "booking_closed"


def test_the_property_list_shows_every_item_in_a_fixed_number_of_queries(
    booking, booking_clerk, officer, client_for, django_assert_max_num_queries
):
    client = client_for(officer)
    client.get(_url(booking))  # the session is loaded once
    for n in range(8):
        property_item_add(
            actor=booking_clerk, booking=booking, data=PropertyData("taken", f"Item {n}")
        )
    with django_assert_max_num_queries(8):
        response = client.get(_url(booking))
    assert response.status_code == 200
    assert len(response.json()) == 8
    assert {row["recorded_by"] for row in response.json()} == {"bea_booking"}
