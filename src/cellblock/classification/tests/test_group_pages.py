"""Security group pages: the agency's gangs and factions, and who belongs to them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.group_views import (
    CHOOSE_PERSON,
    GROUP_RECORDED,
    MEMBER_ADDED,
    MEMBER_ENDED,
    NOT_HELD_HERE,
)
from cellblock.classification.models import GroupMembership, SecurityGroup
from cellblock.classification.services import (
    group_member_add,
    group_member_end,
    security_group_create,
)
from cellblock.conftest import make_staff
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
GROUPS = "/classification/groups/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def book(site, given, family, facility=None):
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    return booking_open(
        actor=None, facility=facility or site.facility, person=person, source="arrest"
    )


@pytest.fixture
def kisame(site):
    return book(site, "Kisame", "Hoshigaki")


@pytest.fixture
def akatsuki(site, cleo):
    return security_group_create(
        actor=cleo, facility=site.facility, code="akatsuki", name="Akatsuki", kind="gang"
    )


def join(cleo, site, group, booking, basis="cloud-pattern cloak"):
    return group_member_add(
        actor=cleo, facility=site.facility, group=group, person=booking.person, basis=basis
    )


def group_url(group, name="group", *args):
    return reverse(f"classification:{name}", args=[group.public_id, *args])


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def main(response) -> str:
    return response.content.decode().split('<main id="main"')[1]


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries)


# --- The list -----------------------------------------------------------------------------


def test_the_queue_leads_to_the_groups(site, officer, client_for):
    html = client_for(officer).get("/classification/").content.decode()
    assert f'href="{GROUPS}"' in html


def test_classification_staff_record_a_group_from_the_list(site, cleo, client_for):
    client = client_for(cleo)
    assert 'data-testid="group-form"' in client.get(GROUPS).content.decode()
    response = client.post(
        reverse("classification:group_create"),
        {"g-code": "Akatsuki", "g-name": "Akatsuki", "g-kind": "gang",
         "g-description": "rogue ninja in cloud-pattern cloaks"},
        follow=True,
    )  # fmt: skip
    group = SecurityGroup.objects.get()
    assert response.redirect_chain == [(group_url(group), 302)]
    assert (group.code, group.agency) == ("akatsuki", site.agency)
    assert GROUP_RECORDED.format(group="Akatsuki") in text(response)
    event = AuditEvent.objects.get(action="group.create")
    assert (event.actor_username, event.object_id) == ("cleo_classification", str(group.public_id))
    listing = client.get(GROUPS).content.decode()
    row = listing[listing.index('data-group="akatsuki"') :]
    assert "Akatsuki" in row
    assert "Gang" in row
    assert 'data-testid="member-count">0<' in row


def test_the_list_counts_current_members_held_at_our_facilities(
    site, other_site, cleo, officer, kisame, akatsuki, client_for
):
    itachi = book(site, "Itachi", "Uchiha")
    join(cleo, site, akatsuki, kisame)
    ended = join(cleo, site, akatsuki, itachi)
    group_member_end(actor=cleo, facility=site.facility, membership=ended, reason="left")
    # Someone held only at the other facility of the agency is not counted to us.
    deidara = book(site, "Deidara", "Iwa", facility=other_site.facility)
    group_member_add(
        actor=None, facility=other_site.facility, group=akatsuki, person=deidara.person,
        basis="explosive clay",
    )  # fmt: skip
    html = client_for(officer).get(GROUPS).content.decode()
    assert 'data-testid="member-count">1<' in html


def test_a_bad_group_form_shows_field_errors_and_keeps_what_was_typed(
    site, cleo, akatsuki, client_for
):
    client = client_for(cleo)
    create = reverse("classification:group_create")
    response = client.post(create, {"g-code": "Sound Four", "g-name": "", "g-kind": "club",
                                    "g-description": "from the sound village"})  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-code">Use lower-case letters' in html
    assert 'data-testid="error-name">Is required.</span>' in html
    assert 'data-testid="error-kind">Must be one of gang, faction, other.</span>' in html
    assert 'value="Sound Four"' in html
    assert "from the sound village</textarea>" in html
    # A code used already is said beside the code.
    response = client.post(create, {"g-code": "akatsuki", "g-name": "Red clouds",
                                    "g-kind": "faction"})  # fmt: skip
    assert response.status_code == 409
    message = escape("The agency already has a group 'akatsuki'.")
    assert f'data-testid="error-code">{message}</span>' in response.content.decode()
    assert SecurityGroup.objects.count() == 1


# --- One group: members -----------------------------------------------------------------


def test_classification_staff_find_someone_held_here_and_record_them(
    site, other_site, cleo, kisame, akatsuki, client_for
):
    elsewhere = book(site, "Kisame", "Other", facility=other_site.facility)
    client = client_for(cleo)
    page = client.get(group_url(akatsuki), {"q": "kisame"})
    html = page.content.decode()
    assert f'name="m-booking" value="{kisame.booking_number}"' in html
    assert elsewhere.booking_number not in html
    # The same choices come as one types (htmx).
    found = client.get(
        group_url(akatsuki, "group_member_search"), {"q": "hosh"}, HTTP_HX_REQUEST="true"
    )
    assert f'value="{kisame.booking_number}"' in found.content.decode()
    assert "<html" not in found.content.decode()
    response = client.post(
        group_url(akatsuki, "group_member_add"),
        {"m-booking": kisame.booking_number, "m-basis": "cloud-pattern cloak"},
        follow=True,
    )
    assert response.redirect_chain == [(group_url(akatsuki), 302)]
    membership = GroupMembership.objects.get()
    assert (membership.person, membership.basis) == (kisame.person, "cloud-pattern cloak")
    assert MEMBER_ADDED.format(person="Kisame Hoshigaki", group="Akatsuki") in text(response)
    members = section(response.content.decode(), 'data-testid="current-members"')
    profile = reverse("booking:profile", args=[kisame.booking_number])
    assert f'href="{profile}">Kisame Hoshigaki</a>' in members
    assert "cloud-pattern cloak" in members
    event = AuditEvent.objects.get(action="group.member_add")
    assert (event.actor_username, event.facility_id) == ("cleo_classification", site.facility.pk)
    # Searching again shows Kisame is a member already.
    again = client.get(group_url(akatsuki), {"q": "kisame"}).content.decode()
    assert "(already a member)" in again


def test_ending_a_membership_needs_a_reason_and_moves_it_to_the_past(
    site, cleo, kisame, akatsuki, client_for
):
    membership = join(cleo, site, akatsuki, kisame)
    end = group_url(akatsuki, "group_member_end", membership.public_id)
    client = client_for(cleo)
    response = client.post(end, {"reason": "  "})
    assert response.status_code == 400
    assert 'data-testid="end-error">Say why the membership ends.</span>' in (
        response.content.decode()
    )
    response = client.post(end, {"reason": "renounced the cloak"}, follow=True)
    assert response.redirect_chain == [(group_url(akatsuki), 302)]
    membership.refresh_from_db()
    assert (membership.end_reason, membership.ended_by) == ("renounced the cloak", cleo)
    assert MEMBER_ENDED.format(person="Kisame Hoshigaki", group="Akatsuki") in text(response)
    html = response.content.decode()
    assert 'data-testid="no-members"' in section(html, 'data-testid="current-members"')
    past = section(html, 'data-testid="past-members"')
    assert "Kisame Hoshigaki" in past
    assert "renounced the cloak" in past
    assert AuditEvent.objects.filter(action="group.member_end", reason="renounced the cloak")
    # Ending it twice is refused, and said.
    again = client.post(end, {"reason": "again"})
    assert again.status_code == 409
    assert 'data-testid="refusal">This membership already ended.</p>' in again.content.decode()


def test_a_bad_member_form_shows_field_errors_and_keeps_the_choice(
    site, cleo, kisame, akatsuki, client_for
):
    client = client_for(cleo)
    add = group_url(akatsuki, "group_member_add")
    response = client.post(add, {"m-booking": "", "m-basis": "tattoo"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-booking">Person {CHOOSE_PERSON}</span>' in html
    assert 'value="tattoo"' in html
    response = client.post(add, {"m-booking": kisame.booking_number, "m-basis": " "})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-basis">Say how the membership is known.</span>' in html
    assert f'value="{kisame.booking_number}" checked' in html
    join(cleo, site, akatsuki, kisame)
    response = client.post(add, {"m-booking": kisame.booking_number, "m-basis": "again"})
    assert response.status_code == 409
    assert "Kisame Hoshigaki is already recorded in Akatsuki." in response.content.decode()
    assert GroupMembership.objects.count() == 1


def test_only_someone_held_here_can_be_recorded(site, other_site, cleo, akatsuki, client_for):
    elsewhere = book(site, "Zetsu", "White", facility=other_site.facility)
    response = client_for(cleo).post(
        group_url(akatsuki, "group_member_add"),
        {"m-booking": elsewhere.booking_number, "m-basis": "spores"},
    )
    assert response.status_code == 400
    expected = NOT_HELD_HERE.format(facility="Test Jail")
    assert f'data-testid="error-booking">Person {expected}</span>' in response.content.decode()
    assert not GroupMembership.objects.exists()


# --- Who may do what ---------------------------------------------------------------------


def test_an_officer_reads_the_pages_without_forms_and_may_not_change_them(
    site, cleo, officer, kisame, akatsuki, client_for
):
    membership = join(cleo, site, akatsuki, kisame)
    client = client_for(officer)
    listing = client.get(GROUPS)
    assert listing.status_code == 200
    assert "Akatsuki" in main(listing)
    assert '<form method="post"' not in main(listing)
    detail = client.get(group_url(akatsuki))
    assert detail.status_code == 200
    assert "Kisame Hoshigaki" in main(detail)
    assert "<form" not in main(detail)
    create = client.post(reverse("classification:group_create"),
                         {"g-code": "sound", "g-name": "Sound", "g-kind": "gang"})  # fmt: skip
    assert create.status_code == 403
    add = client.post(group_url(akatsuki, "group_member_add"),
                      {"m-booking": kisame.booking_number, "m-basis": "x"})  # fmt: skip
    assert add.status_code == 403
    end = client.post(
        group_url(akatsuki, "group_member_end", membership.public_id), {"reason": "x"}
    )
    assert end.status_code == 403
    assert client.get(group_url(akatsuki, "group_member_search"), {"q": "k"}).status_code == 403
    membership.refresh_from_db()
    assert membership.ended_at is None
    assert SecurityGroup.objects.count() == 1


def test_the_other_facility_of_the_agency_sees_the_group_but_not_our_members(
    site, other_site, cleo, outsider, kisame, akatsuki, client_for
):
    """The agency's groups are shared; the names of their members are not."""
    membership = join(cleo, site, akatsuki, kisame)
    stranger = client_for(outsider)
    response = stranger.get(group_url(akatsuki))
    assert response.status_code == 200
    assert "Kisame" not in response.content.decode()
    # Our people are neither found nor recorded by them, and our memberships not ended.
    found = stranger.get(group_url(akatsuki), {"q": "kisame"}).content.decode()
    assert kisame.booking_number not in found
    add = stranger.post(group_url(akatsuki, "group_member_add"),
                        {"m-booking": kisame.booking_number, "m-basis": "x"})  # fmt: skip
    assert add.status_code == 400
    end = stranger.post(
        group_url(akatsuki, "group_member_end", membership.public_id), {"reason": "mine"}
    )
    assert end.status_code == 404
    membership.refresh_from_db()
    assert membership.ended_at is None


def test_a_group_of_another_agency_is_not_found(site, cleo, kisame, client_for):
    agency = facility_services.agency_create(actor=None, code="KIRI", name="Mist County")
    mist = facility_services.facility_create(
        actor=None, agency=agency, code="MST", name="Mist Jail", timezone="UTC"
    )
    mizukage = make_staff("mei_mizukage", mist, Role.COMMANDER)
    swordsmen = security_group_create(
        actor=mizukage, facility=mist, code="swordsmen", name="Seven Swordsmen", kind="faction"
    )
    client = client_for(cleo)
    assert "Seven Swordsmen" not in client.get(GROUPS).content.decode()
    assert client.get(group_url(swordsmen)).status_code == 404
    assert client.get(group_url(swordsmen, "group_member_search"), {"q": "k"}).status_code == 404
    add = client.post(group_url(swordsmen, "group_member_add"),
                      {"m-booking": kisame.booking_number, "m-basis": "the sword"})  # fmt: skip
    assert add.status_code == 404
    # And ours is not found there.
    ours = security_group_create(
        actor=cleo, facility=site.facility, code="akatsuki", name="Akatsuki", kind="gang"
    )
    assert client_for(mizukage).get(group_url(ours)).status_code == 404
    assert not GroupMembership.objects.exists()


def test_someone_without_booking_view_is_refused(site, admin_user, akatsuki, client_for):
    client = client_for(admin_user)
    assert client.get(GROUPS).status_code == 403
    assert client.get(group_url(akatsuki)).status_code == 403


# --- Query counts ------------------------------------------------------------------------


def test_the_list_query_count_does_not_grow(
    site, cleo, akatsuki, client_for, django_assert_num_queries
):
    client = client_for(cleo)

    def grow(n, start):
        for i in range(start, start + n):
            group = security_group_create(
                actor=cleo, facility=site.facility, code=f"clan-{i}", name=f"Clan {i}",
                kind="faction",
            )  # fmt: skip
            join(cleo, site, group, book(site, f"Member{i}", "Clan"))
            join(cleo, site, akatsuki, book(site, f"Cloak{i}", "Red"))

    grow(1, 0)
    one = _queries(client, GROUPS)
    grow(6, 1)
    with django_assert_num_queries(one):
        html = client.get(GROUPS).content.decode()
    assert "Clan 6" in html
    assert 'data-testid="member-count">7<' in html


def test_the_group_page_query_count_does_not_grow(
    site, cleo, akatsuki, client_for, django_assert_num_queries
):
    client = client_for(cleo)
    path = group_url(akatsuki)

    def grow(n, start):
        for i in range(start, start + n):
            join(cleo, site, akatsuki, book(site, f"Current{i}", "Cloak"))
            gone = join(cleo, site, akatsuki, book(site, f"Former{i}", "Cloak"))
            group_member_end(actor=cleo, facility=site.facility, membership=gone, reason="left")

    grow(1, 0)
    one = _queries(client, path)
    grow(6, 1)
    with django_assert_num_queries(one):
        html = client.get(path).content.decode()
    assert "Current6 Cloak" in section(html, 'data-testid="current-members"')
    assert "Former6 Cloak" in section(html, 'data-testid="past-members"')
