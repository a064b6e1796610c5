"""The duplicate check at intake: the selector, its endpoint, and intake's use of it."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.conftest import make_staff
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Agency
from cellblock.people.models import Person, PersonIdentifier
from cellblock.people.selectors import (
    MATCH_FAMILY_AND_BIRTH,
    MATCH_IDENTIFIER,
    MATCH_NAME,
    MATCH_NAME_AND_BIRTH,
    MATCH_SWAPPED_NAME,
    person_matches,
)
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 5, 17)


def _anywhere(**query):
    """The selector over every agency on record: for tests of the matching itself."""
    return person_matches(agency_ids=set(Agency.objects.values_list("pk", flat=True)), **query)


@pytest.fixture
def jose(db):
    return person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez", date_of_birth=BORN,
        identifiers={"passport": "AB 123"},
    )  # fmt: skip


def _matches(client, **payload):
    response = client.post("/api/people/matches", payload, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def _counts():
    return (Person.objects.count(), Booking.objects.count(), AuditEvent.objects.count())


def _intake(client, site, person=None, **extra):
    payload = {"facility": str(site.facility.public_id), "source": "arrest", **extra}
    if person is not None:
        payload["person"] = person
    return client.post("/api/bookings/", payload, content_type="application/json")


# --- The selector --------------------------------------------------------------


def test_a_name_typed_without_accents_and_in_capitals_finds_the_person(jose):
    [match] = _anywhere(given_name="jose", family_name="NUNEZ", date_of_birth=BORN)
    assert match.person == jose
    assert match.reasons == (MATCH_NAME_AND_BIRTH,)


def test_a_document_number_written_differently_finds_the_person(jose):
    [match] = _anywhere(given_name="Someone", identifiers={"passport": "ab-123"})
    assert match.person == jose
    assert match.reasons == (MATCH_IDENTIFIER.format(kind="Passport"),)


def test_the_same_number_on_another_kind_of_document_is_no_match(jose):
    assert _anywhere(identifiers={"driving_licence": "AB123"}) == []


def test_given_and_family_names_swapped_find_the_person(jose):
    [match] = _anywhere(given_name="Nunez", family_name="Jose")
    assert match.person == jose
    assert match.reasons == (MATCH_SWAPPED_NAME,)


def test_the_same_name_without_a_date_of_birth_is_a_weaker_match(jose):
    [match] = _anywhere(given_name="José", family_name="Ñúñez")
    assert match.reasons == (MATCH_NAME,)
    sure = _anywhere(given_name="José", family_name="Ñúñez", date_of_birth=BORN)[0]
    assert sure.score > match.score


def test_a_family_name_and_date_of_birth_match_even_when_the_given_name_differs(jose):
    [match] = _anywhere(given_name="Pepe", family_name="Nunez", date_of_birth=BORN)
    assert match.reasons == (MATCH_FAMILY_AND_BIRTH,)


def test_a_different_person_born_the_same_day_is_not_offered(jose):
    assert _anywhere(given_name="Maria", family_name="Lopez", date_of_birth=BORN) == []


def test_a_document_number_outranks_a_name(jose):
    namesake = person_create(
        actor=None, facility=None, given_name="Jose", family_name="Nunez", date_of_birth=BORN
    )
    matches = _anywhere(
        given_name="Jose",
        family_name="Nunez",
        date_of_birth=BORN,
        identifiers={"passport": "AB123"},
    )
    assert [m.person for m in matches] == [jose, namesake]
    assert matches[0].score > matches[1].score


def test_a_match_says_which_booking_holds_the_person_now(site, jose):
    booking = booking_open(actor=None, facility=site.facility, person=jose, source="arrest")
    [match] = _anywhere(given_name="Jose", family_name="Nunez", date_of_birth=BORN)
    assert match.open_booking == booking.booking_number


def test_the_duplicate_check_takes_a_fixed_number_of_queries(jose, django_assert_num_queries):
    for n in range(10):
        person_create(
            actor=None, facility=None, given_name="Jose", family_name="Nunez",
            identifiers={"passport": f"P{n}"},
        )  # fmt: skip
    agencies = set(Agency.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):
        matches = person_matches(
            agency_ids=agencies, given_name="Jose", family_name="Nunez", date_of_birth=BORN
        )
    assert len(matches) == 11


# --- The endpoint --------------------------------------------------------------


def test_the_clerk_s_endpoint_finds_the_person_by_name_and_birth(jose, booking_clerk, client_for):
    [match] = _matches(
        client_for(booking_clerk),
        given_name="jose",
        family_name="NUNEZ",
        date_of_birth="1990-05-17",
    )
    assert match["person"]["id"] == str(jose.public_id)
    assert match["person"]["family_name"] == "Ñúñez"
    assert match["reasons"] == [MATCH_NAME_AND_BIRTH]
    assert match["open_booking"] is None


def test_the_clerk_s_endpoint_finds_the_person_by_document(jose, booking_clerk, client_for):
    [match] = _matches(client_for(booking_clerk), identifiers={"passport": "ab-123"})
    assert match["person"]["id"] == str(jose.public_id)
    assert match["person"]["identifiers"] == {"passport": "AB 123"}


def test_the_clerk_s_endpoint_finds_swapped_names(jose, booking_clerk, client_for):
    [match] = _matches(client_for(booking_clerk), given_name="ÑUÑEZ", family_name="jose")
    assert match["reasons"] == [MATCH_SWAPPED_NAME]


def test_an_officer_may_not_run_the_duplicate_check(jose, officer, client_for):
    response = client_for(officer).post(
        "/api/people/matches", {"family_name": "Nunez"}, content_type="application/json"
    )
    assert response.status_code == 403


# --- Intake uses it ------------------------------------------------------------

NEW_JOSE = {"given_name": "jose", "family_name": "NUNEZ", "date_of_birth": "1990-05-17"}


def test_booking_a_new_person_who_may_be_on_record_is_stopped_and_nothing_is_written(
    site, jose, booking_clerk, client_for
):
    before = _counts()
    response = _intake(
        client_for(booking_clerk),
        site,
        NEW_JOSE,
        charges=[{"statute": "PC 1", "description": "Theft", "severity": "felony"}],
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "possible_duplicates"
    assert "person_id" in body["message"]
    assert "confirm_new_person" in body["message"]
    [match] = body["extra"]["matches"]
    assert match["person"]["id"] == str(jose.public_id)
    assert match["reasons"] == [MATCH_NAME_AND_BIRTH]
    assert _counts() == before


def test_the_clerk_may_confirm_that_the_person_is_new(site, jose, booking_clerk, client_for):
    response = _intake(client_for(booking_clerk), site, NEW_JOSE, confirm_new_person=True)
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] != str(jose.public_id)
    assert Person.objects.count() == 2


def test_the_clerk_may_book_the_person_found_instead(site, jose, booking_clerk, client_for):
    response = _intake(client_for(booking_clerk), site, person_id=str(jose.public_id))
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == str(jose.public_id)
    assert Person.objects.count() == 1
    assert Booking.objects.get().person == jose
    assert not AuditEvent.objects.filter(action="person.create", actor__isnull=False).exists()


def test_a_person_held_at_another_facility_is_offered_with_that_booking(
    site, other_site, jose, outsider, booking_clerk, client_for
):
    # The check spans the agency (both jails are Test County's): the same
    # person must not be created twice.
    earlier = booking_open(
        actor=outsider, facility=other_site.facility, person=jose, source="arrest"
    )
    [match] = _matches(client_for(booking_clerk), **NEW_JOSE)
    assert match["open_booking"] == earlier.booking_number


def test_a_document_number_already_on_record_cannot_be_given_to_a_new_person(
    site, jose, booking_clerk, client_for
):
    before = _counts()
    response = _intake(
        client_for(booking_clerk),
        site,
        {"given_name": "Other", "family_name": "Person", "identifiers": {"passport": "ab-123"}},
        confirm_new_person=True,
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "identifier_taken"
    assert "identifiers" in response.json()["extra"]["fields"]
    assert _counts() == before
    assert PersonIdentifier.objects.count() == 1


def test_a_new_person_with_a_known_document_number_is_first_offered_the_match(
    site, jose, booking_clerk, client_for
):
    response = _intake(
        client_for(booking_clerk),
        site,
        {"given_name": "Other", "family_name": "Person", "identifiers": {"passport": "ab-123"}},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "possible_duplicates"
    [match] = response.json()["extra"]["matches"]
    assert match["reasons"] == [MATCH_IDENTIFIER.format(kind="Passport")]


def test_giving_both_a_person_id_and_a_new_person_is_refused(site, jose, booking_clerk, client_for):
    response = _intake(client_for(booking_clerk), site, NEW_JOSE, person_id=str(jose.public_id))
    assert response.status_code == 400
    assert "person" in response.json()["extra"]["fields"]


def test_an_unknown_person_id_is_not_found(site, booking_clerk, client_for):
    response = _intake(
        client_for(booking_clerk), site, person_id="00000000-0000-4000-8000-000000000000"
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_a_person_known_only_to_another_agency_is_not_offered_or_bookable(
    site, booking_clerk, client_for
):
    """Another agency's records stay out of sight: no names, dates or documents leak."""
    elsewhere = facility_services.agency_create(actor=None, code="FAR", name="Far County")
    far_jail = facility_services.facility_create(
        actor=None, agency=elsewhere, code="FAR", name="Far Jail", timezone="UTC"
    )
    far_clerk = make_staff("far_clerk", far_jail, Role.BOOKING)
    stranger = person_create(
        actor=None, facility=far_jail, given_name="José", family_name="Ñúñez",
        date_of_birth=BORN, identifiers={"passport": "AB 123"},
    )  # fmt: skip
    booking_open(actor=far_clerk, facility=far_jail, person=stranger, source="arrest")

    assert _matches(client_for(booking_clerk), **NEW_JOSE) == []
    response = _intake(client_for(booking_clerk), site, person_id=str(stranger.public_id))
    assert response.status_code == 404
    # Far County's own clerk is offered the match.
    [match] = _matches(client_for(far_clerk), **NEW_JOSE)
    assert match["person"]["id"] == str(stranger.public_id)
