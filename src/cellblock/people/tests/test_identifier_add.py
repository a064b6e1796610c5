import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.people.services import person_create, person_identifier_add

pytestmark = pytest.mark.django_db


def _person(name="Kakashi", **identifiers):
    return person_create(
        actor=None, facility=None, given_name=name, family_name="Hatake", identifiers=identifiers
    )


def test_a_booking_clerk_adds_a_new_document_to_a_person_on_record(site, booking_clerk):
    person = _person()
    added = person_identifier_add(
        actor=booking_clerk, person=person, kind="passport", value="p 1001", facility=site.facility
    )
    assert added.value_key == "P1001"
    event = AuditEvent.objects.get(action="person.identifier_add")
    assert event.actor == booking_clerk
    assert event.changes == {"kind": "passport", "value": "p 1001"}


def test_adding_a_document_the_person_already_has_changes_nothing(site, booking_clerk):
    person = _person(passport="P-1001")
    before = AuditEvent.objects.count()
    person_identifier_add(
        actor=booking_clerk, person=person, kind="passport", value="p1001", facility=site.facility
    )
    assert person.identifiers.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_document_of_someone_else_is_refused(site, booking_clerk):
    _person(passport="P-1001")
    other = _person("Obito")
    with pytest.raises(Conflict) as refused:
        person_identifier_add(
            actor=booking_clerk, person=other, kind="passport", value="P 1001",
            facility=site.facility,
        )  # fmt: skip
    assert refused.value.code == "identifier_taken"


def test_an_unknown_kind_or_an_empty_number_is_refused_by_field(site, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        person_identifier_add(
            actor=booking_clerk, person=_person(), kind="tattoo", value=" ",
            facility=site.facility,
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {"kind", "value"}


def test_an_officer_cannot_add_documents(site, officer):
    with pytest.raises(PermissionDenied):
        person_identifier_add(
            actor=officer, person=_person(), kind="passport", value="P1", facility=site.facility
        )
