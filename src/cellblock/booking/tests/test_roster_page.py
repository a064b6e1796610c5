"""The roster page: who is held, filtered, sorted and paged on the server."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.services import flag_set
from cellblock.conftest import ready_for_bed
from cellblock.core import clock
from cellblock.facilities import services as facility_services
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create, person_photo_add

pytestmark = pytest.mark.django_db

ROSTER = "/bookings/"


def book(site, given, family, born=dt.date(1990, 3, 27), sex="male", facility=None):
    person = person_create(
        actor=None, facility=facility or site.facility, given_name=given, family_name=family,
        date_of_birth=born, sex=sex,
    )  # fmt: skip
    return booking_open(
        actor=None, facility=facility or site.facility, person=person, source="arrest"
    )


def png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 40), colour).save(out, format="PNG")
    return out.getvalue()


def names_in(html: str) -> list[str]:
    """The people in the roster table, in the order shown."""
    return re.findall(r'class="person-link"[^>]*>([^<]+)</a>', html)


def housed(site, booking, cell_index=0, bed_index=0):
    bed = site.cells[cell_index].beds.order_by("code")[bed_index]
    ready_for_bed(booking)
    return bed_assign(actor=None, booking=booking, bed=bed)


def test_the_url_name_is_the_roster():
    assert reverse("booking:roster") == ROSTER


def test_an_officer_sees_who_is_held(site, officer, client_for):
    naruto = book(site, "Naruto", "Uzumaki")
    book(site, "Sakura", "Haruno", sex="female")
    housed(site, naruto)
    response = client_for(officer).get(ROSTER)
    assert response.status_code == 200
    html = response.content.decode()
    assert names_in(html) == ["Haruno, Sakura", "Uzumaki, Naruto"]
    assert naruto.booking_number in html
    assert reverse("booking:profile", args=[naruto.booking_number]) in html
    assert "A1 / A1-1 / B1" in html
    assert "Not housed" in html
    assert "2</strong> held · page 1 of 1" in html
    assert "data-nosort" in html


def test_the_roster_leaves_out_closed_bookings(site, commander, client_for):
    gone = book(site, "Zabuza", "Momochi")
    booking_transition(actor=None, booking=gone, to=BookingStatus.CANCELLED)
    book(site, "Haku", "Yuki")
    html = client_for(commander).get(ROSTER).content.decode()
    assert names_in(html) == ["Yuki, Haku"]


def test_an_administrator_without_booking_view_is_refused(site, admin_user, client_for):
    book(site, "Naruto", "Uzumaki")
    response = client_for(admin_user).get(ROSTER)
    assert response.status_code == 403
    assert b"Uzumaki" not in response.content


def test_someone_signed_out_is_sent_to_sign_in(client, site):
    response = client.get(ROSTER)
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_an_outsider_sees_only_their_own_facility(site, other_site, outsider, client_for):
    book(site, "Naruto", "Uzumaki")
    book(site, "Gaara", "Sabaku", facility=other_site.facility)
    html = client_for(outsider).get(ROSTER).content.decode()
    assert names_in(html) == ["Sabaku, Gaara"]


def test_filter_by_housing_unit(site, officer, client_for):
    unit_b = facility_services.unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    cell_b = facility_services.cell_create(actor=None, unit=unit_b, code="B1-1", beds=1)
    in_a = book(site, "Naruto", "Uzumaki")
    in_b = book(site, "Sasuke", "Uchiha")
    book(site, "Sakura", "Haruno")
    housed(site, in_a)
    ready_for_bed(in_b)
    bed_assign(actor=None, booking=in_b, bed=cell_b.beds.get())
    client = client_for(officer)
    html = client.get(ROSTER, {"unit": str(unit_b.public_id)}).content.decode()
    assert names_in(html) == ["Uchiha, Sasuke"]
    assert "1</strong> held matching the filters" in html
    html = client.get(ROSTER, {"unit": str(site.unit.public_id)}).content.decode()
    assert names_in(html) == ["Uzumaki, Naruto"]
    # The unit select offers the facility's units.
    assert "B1 · Unit B1" in html


def test_a_unit_of_another_facility_is_an_error_not_a_filter(site, other_site, officer, client_for):
    book(site, "Naruto", "Uzumaki")
    html = client_for(officer).get(ROSTER, {"unit": str(other_site.unit.public_id)})
    html = html.content.decode()
    assert "is not a housing unit of this facility." in html
    assert names_in(html) == ["Uzumaki, Naruto"]


def test_filter_by_status(site, officer, client_for):
    custody = book(site, "Naruto", "Uzumaki")
    booking_transition(actor=None, booking=custody, to=BookingStatus.IN_CUSTODY)
    book(site, "Sakura", "Haruno")
    client = client_for(officer)
    assert names_in(client.get(ROSTER, {"status": "in_custody"}).content.decode()) == [
        "Uzumaki, Naruto"
    ]
    html = client.get(ROSTER, {"status": "intake"}).content.decode()
    assert names_in(html) == ["Haruno, Sakura"]
    assert 'class="badge badge-warn">Intake<' in html


def test_filter_by_custody_level_and_unclassified(site, officer, client_for):
    maximum = book(site, "Naruto", "Uzumaki")
    Booking.objects.filter(pk=maximum.pk).update(custody_level="maximum")
    book(site, "Sakura", "Haruno")
    client = client_for(officer)
    html = client.get(ROSTER, {"custody_level": "maximum"}).content.decode()
    assert names_in(html) == ["Uzumaki, Naruto"]
    assert "badge-level-maximum" in html
    html = client.get(ROSTER, {"custody_level": "unclassified"}).content.decode()
    assert names_in(html) == ["Haruno, Sakura"]
    assert 'class="badge badge-muted">Unclassified<' in html


def test_filter_by_flag_and_flags_show_as_badges(site, officer, client_for):
    flagged = book(site, "Gaara", "Sabaku")
    flag_set(
        actor=None,
        booking=flagged,
        kind="suicide_risk",
        detail="suicide_watch",
        reason="said so at intake",
    )
    book(site, "Sakura", "Haruno")
    html = client_for(officer).get(ROSTER, {"flag": "suicide_risk"}).content.decode()
    assert names_in(html) == ["Sabaku, Gaara"]
    badge = html[html.index('class="badge badge-bad"') :].split("</span>")[0]
    assert badge.endswith(">Suicide risk")


def test_a_person_under_18_gets_a_juvenile_badge(site, officer, client_for):
    today = clock.now().date()
    book(site, "Konohamaru", "Sarutobi", born=today.replace(year=today.year - 12))
    book(site, "Iruka", "Umino", born=dt.date(1990, 5, 26))
    html = client_for(officer).get(ROSTER).content.decode()
    assert html.count(">Juvenile</span>") == 1
    row = html[html.index("Sarutobi") :].split("</tr>")[0]
    assert ">Juvenile</span>" in row
    assert ">12<br><small" in row


def test_invalid_filters_are_shown_and_left_out(site, officer, client_for):
    book(site, "Naruto", "Uzumaki")
    response = client_for(officer).get(
        ROSTER, {"status": "escaped", "custody_level": "supermax", "flag": "cursed"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "must be intake or in_custody." in html
    assert "must be one of minimum" in html
    assert "must be one of juvenile" in html
    assert names_in(html) == ["Uzumaki, Naruto"]


@pytest.mark.parametrize("text", ["jose", "JOSÉ", "garc jos", "José García"])
def test_search_by_name_ignores_accents_case_and_order(site, officer, client_for, text):
    book(site, "José", "García")
    book(site, "Naruto", "Uzumaki")
    html = client_for(officer).get(ROSTER, {"q": text}).content.decode()
    assert names_in(html) == ["García, José"]


def test_search_by_booking_number(site, officer, client_for):
    wanted = book(site, "Naruto", "Uzumaki")
    book(site, "Sakura", "Haruno")
    html = client_for(officer).get(ROSTER, {"q": wanted.booking_number.lower()}).content.decode()
    assert names_in(html) == ["Uzumaki, Naruto"]


@pytest.mark.parametrize("typed", ["1992-10-10", "10.10.1992"])
def test_search_by_date_of_birth(site, officer, client_for, typed):
    book(site, "Naruto", "Uzumaki", born=dt.date(1992, 10, 10))
    book(site, "Sakura", "Haruno", born=dt.date(1992, 3, 28))
    html = client_for(officer).get(ROSTER, {"q": typed}).content.decode()
    assert names_in(html) == ["Uzumaki, Naruto"]


def test_sort_by_name_descending_and_the_header_says_so(site, officer, client_for):
    for given, family in (("Naruto", "Uzumaki"), ("Sakura", "Haruno"), ("Kiba", "Inuzuka")):
        book(site, given, family)
    client = client_for(officer)
    html = client.get(ROSTER).content.decode()
    assert names_in(html) == ["Haruno, Sakura", "Inuzuka, Kiba", "Uzumaki, Naruto"]
    # Clicking the active column again flips it.
    assert 'aria-sort="ascending"><a class="sort-link" href="?sort=name&amp;dir=desc"' in html
    html = client.get(ROSTER, {"sort": "name", "dir": "desc"}).content.decode()
    assert names_in(html) == ["Uzumaki, Naruto", "Inuzuka, Kiba", "Haruno, Sakura"]
    assert 'aria-sort="descending"' in html


def test_sort_links_keep_the_filters(site, officer, client_for):
    book(site, "Naruto", "Uzumaki")
    html = client_for(officer).get(ROSTER, {"status": "intake", "sort": "booked"}).content.decode()
    assert 'href="?status=intake&amp;sort=born&amp;dir=asc"' in html
    assert 'href="?status=intake&amp;sort=booked&amp;dir=desc"' in html


def test_sort_by_housing_and_date_of_birth(site, officer, client_for):
    late = book(site, "Naruto", "Uzumaki", born=dt.date(1990, 1, 1))
    early = book(site, "Sakura", "Haruno", born=dt.date(1985, 1, 1))
    housed(site, late, cell_index=0)
    housed(site, early, cell_index=1)
    client = client_for(officer)
    assert names_in(client.get(ROSTER, {"sort": "housing"}).content.decode()) == [
        "Uzumaki, Naruto",
        "Haruno, Sakura",
    ]
    assert names_in(client.get(ROSTER, {"sort": "born"}).content.decode()) == [
        "Haruno, Sakura",
        "Uzumaki, Naruto",
    ]


def test_pages_of_fifty_with_first_previous_next_last(site, officer, client_for):
    for n in range(53):
        book(site, f"Genin{n:02d}", "Leaf")
    client = client_for(officer)
    first = client.get(ROSTER).content.decode()
    assert len(names_in(first)) == 50
    assert "53</strong> held · page 1 of 2" in first
    assert 'rel="next"' in first
    assert 'rel="last"' in first
    assert 'rel="prev"' not in first
    second = client.get(ROSTER, {"page": "2"}).content.decode()
    assert names_in(second) == [f"Leaf, Genin{n:02d}" for n in range(50, 53)]
    assert "page 2 of 2" in second
    assert 'rel="first"' in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    # Past the end, or nonsense, lands on a real page.
    assert "page 2 of 2" in client.get(ROSTER, {"page": "99"}).content.decode()
    assert "page 1 of 2" in client.get(ROSTER, {"page": "x"}).content.decode()


def test_htmx_gets_the_results_alone(site, officer, client_for):
    book(site, "Naruto", "Uzumaki")
    response = client_for(officer).get(ROSTER, {"q": "naru"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="roster-results"')
    assert "<html" not in html
    assert names_in(html) == ["Uzumaki, Naruto"]
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_is_wired_for_htmx(site, officer, client_for):
    html = client_for(officer).get(ROSTER).content.decode()
    assert 'hx-target="#roster-results"' in html
    assert 'hx-push-url="true"' in html
    assert "input changed delay:300ms from:input[name=q], change" in html


def test_a_photo_shows_as_a_thumbnail_and_others_get_initials(
    site, officer, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with_photo = book(site, "Naruto", "Uzumaki")
    book(site, "Sakura", "Haruno")
    photo = person_photo_add(actor=None, person=with_photo.person, content=png())
    html = client_for(officer).get(ROSTER).content.decode()
    assert reverse("people:thumbnail", args=[photo.public_id]) in html
    assert '<span class="mugshot-sm initials" aria-hidden="true">SH</span>' in html


def _queries(client, url=ROSTER, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _populate(site, count, start=0):
    for n in range(start, start + count):
        booking = book(site, f"Shinobi{n:02d}", "Leaf")
        if n % 2 == 0:
            flag_set(actor=None, booking=booking, kind="escape_risk", reason="ran before")
        if n % 3 == 0:
            flag_set(actor=None, booking=booking, kind="diet", reason="no pork", detail="halal")
        if n < 4:
            housed(site, booking, cell_index=n // 2, bed_index=n % 2)
        if n % 5 == 0:
            person_photo_add(actor=None, person=booking.person, content=png((n, 10, 10)))


def test_the_query_count_does_not_grow_with_the_population(
    site, officer, client_for, settings, tmp_path, django_assert_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(officer)
    _populate(site, 3)
    client.get(ROSTER)  # the first request after sign-in does one-off writes
    filtered = {"q": "leaf", "sort": "housing", "dir": "desc"}
    few = _queries(client)
    few_filtered = _queries(client, **filtered)
    _populate(site, 27, start=3)
    with django_assert_num_queries(few):
        assert len(names_in(client.get(ROSTER).content.decode())) == 30
    with django_assert_num_queries(few_filtered):
        client.get(ROSTER, filtered)
