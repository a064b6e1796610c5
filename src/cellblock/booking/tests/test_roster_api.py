"""The roster and search endpoints: filters, sorting, pages, access, and fixed query counts."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from cellblock.booking.models import Booking
from cellblock.booking.selectors import ROSTER_PAGE_SIZE, RosterFilters, roster_page
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.services import flag_lift, flag_set
from cellblock.conftest import ready_for_bed
from cellblock.facilities.models import Bed, HousingUnit
from cellblock.facilities.services import cell_create, unit_create
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create, person_photo_add

pytestmark = pytest.mark.django_db

# Test people are housed wherever a test needs them, juveniles included.
TEST_HOUSING = "Test placement"

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _book(facility, given, family, *, born=None, ago=HOUR, identifiers=None):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name=family, date_of_birth=born,
        identifiers=identifiers,
    )  # fmt: skip
    return booking_open(
        actor=None, facility=facility, person=person, source="arrest", booked_at=NOW - ago
    )


def _in_custody(booking):
    return booking_transition(actor=None, booking=booking, to="in_custody")


def _house(booking, unit_code, cell_code, bed_code):
    bed = Bed.objects.get(
        cell__unit__zone__facility=booking.facility_id, cell__unit__code=unit_code,
        cell__code=cell_code, code=bed_code,
    )  # fmt: skip
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=bed, override_reason=TEST_HOUSING)


def _classify(booking, level):
    # Written by the classification instrument once it exists; set directly here.
    Booking.objects.filter(pk=booking.pk).update(custody_level=level)


def _png(colour):
    out = io.BytesIO()
    Image.new("RGB", (30, 40), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Population:
    naruto: Booking
    sasuke: Booking
    sakura: Booking
    jose: Booking
    itachi: Booking
    unit_b: HousingUnit


@pytest.fixture
def population(site, other_site):
    """Four people held at TST (one in each state the filters tell apart), and others not."""
    unit_b = unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    cell_create(actor=None, unit=unit_b, code="B1-1", beds=2)

    naruto = _book(
        site.facility, "Naruto", "Uzumaki", born=dt.date(2008, 10, 10), ago=30 * HOUR,
        identifiers={"village_registry": "KL-1010"},
    )  # fmt: skip
    _in_custody(naruto)
    _house(naruto, "A1", "A1-1", "B1")
    _classify(naruto, "medium")
    # 17 years old: the juvenile flag comes from his date of birth at booking.
    person_photo_add(actor=None, person=naruto.person, content=_png("orange"), booking=naruto)

    sasuke = _book(site.facility, "Sasuke", "Uchiha", born=dt.date(2007, 7, 23), ago=20 * HOUR)
    _in_custody(sasuke)
    _house(sasuke, "B1", "B1-1", "B1")
    _classify(sasuke, "maximum")
    flag_set(actor=None, booking=sasuke, kind="escape_risk", reason="left the village")
    flag_set(actor=None, booking=sasuke, kind="dangerous", reason="chidori")
    lifted = flag_set(
        actor=None, booking=sasuke, kind="diet", detail="tomatoes only", reason="asked"
    )
    flag_lift(actor=None, flag=lifted, reason="eats anything now")

    sakura = _book(site.facility, "Sakura", "Haruno", born=dt.date(2007, 3, 28), ago=2 * HOUR)

    jose = _book(site.facility, "José", "Ñúñez", born=dt.date(1990, 5, 17), ago=10 * HOUR)
    _in_custody(jose)
    _house(jose, "A1", "A1-1", "B2")
    _classify(jose, "minimum")
    flag_set(actor=None, booking=jose, kind="diet", detail="halal", reason="religion")
    with time_machine.travel(NOW - 2 * HOUR, tick=False):
        flag_set(
            actor=None, booking=jose, kind="medical_need", detail="lower-bunk", reason="cast",
            until=NOW - HOUR,
        )  # fmt: skip

    itachi = _book(site.facility, "Itachi", "Uchiha", born=dt.date(2003, 6, 9), ago=50 * HOUR)
    _in_custody(itachi)
    booking_transition(actor=None, booking=itachi, to="released", release_type="bail")
    cancelled = _book(site.facility, "Obito", "Uchiha", ago=5 * HOUR)
    booking_transition(actor=None, booking=cancelled, to="cancelled", reason="wrong person")
    _book(other_site.facility, "Gaara", "Sabaku", born=dt.date(2008, 1, 19))
    return Population(naruto, sasuke, sakura, jose, itachi, unit_b)


def _roster(client, site, **params):
    return client.get("/api/bookings/roster", {"facility": str(site.facility.public_id), **params})


def _numbers(response):
    assert response.status_code == 200, response.content
    return [row["booking_number"] for row in response.json()["results"]]


def _names(response):
    assert response.status_code == 200, response.content
    return [row["person"]["family_name"] for row in response.json()["results"]]


@pytest.fixture
def client(officer, client_for):
    return client_for(officer)


# --- What the roster shows -------------------------------------------------------------


def test_the_roster_holds_everyone_in_intake_or_custody_by_name(population, site, client):
    response = _roster(client, site)
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (4, 1, 1)
    # Ñúñez sorts as "nunez": between Haruno and Uchiha.
    assert _names(response) == ["Haruno", "Ñúñez", "Uchiha", "Uzumaki"]


def test_a_roster_row_shows_housing_level_flags_and_photo(population, site, client):
    rows = {row["person"]["given_name"]: row for row in _roster(client, site).json()["results"]}
    naruto = rows["Naruto"]
    assert naruto["housing"] == {"unit": "A1", "cell": "A1-1", "bed": "B1"}
    assert naruto["custody_level"] == "medium"
    assert naruto["status"] == "in_custody"
    assert naruto["flags"] == [{"kind": "juvenile", "detail": ""}]
    assert naruto["photo_id"] == str(population.naruto.person.photos.get().public_id)
    assert naruto["person"]["identifiers"] == {"village_registry": "KL-1010"}
    sakura = rows["Sakura"]
    assert (sakura["housing"], sakura["custody_level"], sakura["flags"]) == (None, "", [])
    assert sakura["photo_id"] is None


def test_lifted_and_expired_flags_are_not_shown(population, site, client):
    rows = {row["person"]["given_name"]: row for row in _roster(client, site).json()["results"]}
    assert [flag["kind"] for flag in rows["Sasuke"]["flags"]] == ["dangerous", "escape_risk"]
    assert rows["José"]["flags"] == [{"kind": "diet", "detail": "halal"}]


# --- Filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("naruto", ["Uzumaki"]),
        ("UZUMAKI naruto", ["Uzumaki"]),
        ("nar uzu", ["Uzumaki"]),
        ("uchiha", ["Uchiha"]),
        ("jose nunez", ["Ñúñez"]),
        ("NÚÑEZ josé", ["Ñúñez"]),
        ("2008-10-10", ["Uzumaki"]),
        ("10.10.2008", ["Uzumaki"]),
        # Slashes are not read as a date: day-first or month-first?
        ("28/03/2007", []),
        ("gaara", []),
        ("itachi", []),
        ("zzz", []),
    ],
)
def test_the_roster_searches_names_in_any_order_and_dates_of_birth(
    population, site, client, q, expected
):
    assert _names(_roster(client, site, q=q)) == expected


def test_the_roster_finds_a_booking_by_its_number_in_any_case(population, site, client):
    number = population.sakura.booking_number
    assert _numbers(_roster(client, site, q=number.lower())) == [number]


def test_the_roster_finds_a_booking_by_its_number_without_the_leading_zeros(
    population, site, client
):
    number = population.sakura.booking_number
    assert number == "TST-2026-000003"
    assert _numbers(_roster(client, site, q="tst-2026-3")) == [number]


def test_the_roster_filters_by_housing_unit(population, site, client):
    unit_b = str(population.unit_b.public_id)
    assert _names(_roster(client, site, unit=unit_b)) == ["Uchiha"]
    assert _names(_roster(client, site, unit=str(site.unit.public_id))) == ["Ñúñez", "Uzumaki"]


def test_the_roster_filters_by_status(population, site, client):
    assert _names(_roster(client, site, status="intake")) == ["Haruno"]
    assert _names(_roster(client, site, status="in_custody")) == ["Ñúñez", "Uchiha", "Uzumaki"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("unclassified", ["Haruno"]),
        ("maximum", ["Uchiha"]),
        ("minimum", ["Ñúñez"]),
        ("special", []),
    ],
)
def test_the_roster_filters_by_custody_level(population, site, client, level, expected):
    assert _names(_roster(client, site, custody_level=level)) == expected


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("juvenile", ["Uzumaki"]),
        ("escape_risk", ["Uchiha"]),
        ("diet", ["Ñúñez"]),  # Sasuke's diet flag was lifted
        ("medical_need", []),  # José's has expired
    ],
)
def test_the_roster_filters_by_active_flag(population, site, client, flag, expected):
    assert _names(_roster(client, site, flag=flag)) == expected


def test_roster_filters_combine(population, site, client):
    unit_a = str(site.unit.public_id)
    assert _names(_roster(client, site, unit=unit_a, flag="diet")) == ["Ñúñez"]
    assert _names(_roster(client, site, unit=unit_a, flag="escape_risk")) == []
    assert _names(_roster(client, site, q="2007-07-23", custody_level="maximum")) == ["Uchiha"]


# --- Sorting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Haruno", "Ñúñez", "Uchiha", "Uzumaki"]),
        ("booked", ["Uzumaki", "Uchiha", "Ñúñez", "Haruno"]),
        ("born", ["Ñúñez", "Haruno", "Uchiha", "Uzumaki"]),
        ("level", ["Haruno", "Uchiha", "Uzumaki", "Ñúñez"]),
        ("unknown", ["Haruno", "Ñúñez", "Uchiha", "Uzumaki"]),
    ],
)
def test_the_roster_sorts_by_the_chosen_column(population, site, client, sort, expected):
    assert _names(_roster(client, site, sort=sort)) == expected


def test_the_roster_sorts_by_booking_number_and_by_cell(population, site, client):
    by_number = _numbers(_roster(client, site, sort="booking"))
    assert by_number == sorted(by_number)
    by_cell = _names(_roster(client, site, sort="housing", status="in_custody"))
    assert by_cell == ["Uzumaki", "Ñúñez", "Uchiha"]  # A1-1/B1, A1-1/B2, B1-1/B1


def test_the_roster_sorts_descending(population, site, client):
    ascending = _numbers(_roster(client, site, sort="booked"))
    descending = _numbers(_roster(client, site, sort="booked", descending="true"))
    assert descending == list(reversed(ascending))
    assert _names(_roster(client, site, descending="true")) == [
        "Uzumaki",
        "Uchiha",
        "Ñúñez",
        "Haruno",
    ]


# --- Pages --------------------------------------------------------------------------------


def test_the_roster_pages_a_large_population(site, client):
    for n in range(ROSTER_PAGE_SIZE + 3):
        _book(site.facility, "Genin", f"Leaf{n:03d}")
    first = _roster(client, site).json()
    assert (first["count"], first["page"], first["pages"]) == (53, 1, 2)
    assert len(first["results"]) == ROSTER_PAGE_SIZE
    second = _roster(client, site, page=2).json()
    assert [row["person"]["family_name"] for row in second["results"]] == [
        "Leaf050",
        "Leaf051",
        "Leaf052",
    ]
    # Past the end shows the last page; before the start shows the first.
    assert _roster(client, site, page=9).json()["page"] == 2
    assert _roster(client, site, page=0).json()["page"] == 1


def test_an_empty_roster_has_one_empty_page(site, client):
    body = _roster(client, site).json()
    assert body == {"count": 0, "page": 1, "pages": 1, "results": []}


# --- Bad filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "released"}, "status"),
        ({"custody_level": "extreme"}, "custody_level"),
        ({"flag": "grumpy"}, "flag"),
        ({"page": "two"}, "page"),
        ({"descending": "perhaps"}, "descending"),
        ({"unit": "not-a-unit"}, "unit"),
    ],
)
def test_a_bad_roster_filter_is_refused_naming_the_field(population, site, client, params, field):
    response = _roster(client, site, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert field in body["extra"]["fields"]
    assert field in body["message"]


def test_a_bad_custody_level_is_refused_listing_the_levels(population, site, client):
    [message] = _roster(client, site, custody_level="extreme").json()["extra"]["fields"][
        "custody_level"
    ]
    for level in ("minimum", "medium", "maximum", "special", "unclassified"):
        assert level in message


def test_a_roster_without_a_facility_is_refused_naming_it(site, client):
    response = client.get("/api/bookings/roster")
    assert response.status_code == 400
    assert "facility" in response.json()["extra"]["fields"]


# --- Access -------------------------------------------------------------------------------


def test_an_outsider_gets_not_found_for_our_roster_and_our_bookings(
    population, site, outsider, client_for
):
    client = client_for(outsider)
    assert _roster(client, site).status_code == 404
    assert client.get(f"/api/bookings/{population.naruto.booking_number}").status_code == 404
    assert client.get("/api/bookings/search", {"q": "naruto"}).json() == []


def test_an_outsider_sees_their_own_roster(population, other_site, outsider, client_for):
    response = _roster(client_for(outsider), other_site)
    assert _names(response) == ["Sabaku"]


def test_an_officer_reads_the_roster_but_cannot_book(population, site, client):
    assert _roster(client, site).status_code == 200
    response = client.post(
        "/api/bookings/",
        {
            "facility": str(site.facility.public_id),
            "source": "arrest",
            "person": {"given_name": "Rock", "family_name": "Lee"},
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] in {"permission_denied", "missing_role"}


def test_an_administrator_does_not_read_the_roster(population, site, admin_user, client_for):
    assert _roster(client_for(admin_user), site).status_code == 403


# --- Search across the user's facilities --------------------------------------------------


def _search(client, q, **params):
    response = client.get("/api/bookings/search", {"q": q, **params})
    assert response.status_code == 200, response.content
    return [row["booking_number"] for row in response.json()]


def test_search_finds_open_bookings_before_closed_ones(population, client):
    found = _search(client, "uchiha")
    # Sasuke is held; Itachi was released, Obito's booking cancelled.
    assert found[0] == population.sasuke.booking_number
    assert set(found[1:]) == {
        population.itachi.booking_number,
        Booking.objects.get(person__given_name="Obito").booking_number,
    }


def test_search_finds_by_words_number_and_date_of_birth(population, client):
    assert _search(client, "naruto UZUMAKI") == [population.naruto.booking_number]
    assert _search(client, "ñuñez") == [population.jose.booking_number]
    assert _search(client, population.itachi.booking_number.lower()) == [
        population.itachi.booking_number
    ]
    assert _search(client, "2003-06-09") == [population.itachi.booking_number]


def test_search_stays_within_the_user_s_facilities(population, client):
    assert _search(client, "gaara") == []


def test_an_empty_search_finds_nothing_and_no_query_is_refused(population, client):
    assert _search(client, "   ") == []
    response = client.get("/api/bookings/search")
    assert response.status_code == 400
    assert "q" in response.json()["extra"]["fields"]


def test_search_honours_its_limit(site, client):
    for n in range(5):
        _book(site.facility, "Genin", f"Leaf{n}")
    assert len(_search(client, "genin", limit=3)) == 3


# --- A fixed number of queries -------------------------------------------------------------


def _populate(site, start, count, beds):
    """``count`` people held, each housed, flagged, with an identifier; every third photographed."""
    for n in range(start, start + count):
        booking = _book(
            site.facility, "Genin", f"Leaf{n:03d}", born=dt.date(2000, 1, 1),
            identifiers={"village_registry": f"KL-{n:04d}"},
        )  # fmt: skip
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=beds[n], override_reason=TEST_HOUSING)
        flag_set(actor=None, booking=booking, kind="diet", detail="vegetarian", reason="asked")
        if n % 3 == 0:
            person_photo_add(
                actor=None, person=booking.person, content=_png((n, 0, 0)), booking=booking
            )


@pytest.fixture
def beds(site):
    for n in range(20):
        cell_create(actor=None, unit=site.unit, code=f"Q{n:02d}", beds=2)
    return list(Bed.objects.filter(cell__unit=site.unit).order_by("cell__code", "code"))


def _queries(request):
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), response


def test_the_roster_costs_the_same_queries_for_3_and_for_40_held(site, client, beds):
    _roster(client, site)  # the session is settled once
    _populate(site, 0, 3, beds)
    few, response = _queries(lambda: _roster(client, site))
    assert response.json()["count"] == 3
    _populate(site, 3, 37, beds)
    many, response = _queries(lambda: _roster(client, site))
    assert response.json()["count"] == 40
    assert many == few


def test_a_filtered_roster_costs_the_same_queries_for_3_and_for_40_held(site, client, beds):
    params = {"unit": str(site.unit.public_id), "flag": "diet", "q": "genin"}
    _roster(client, site, **params)
    _populate(site, 0, 3, beds)
    few, _ = _queries(lambda: _roster(client, site, **params))
    _populate(site, 3, 37, beds)
    many, response = _queries(lambda: _roster(client, site, **params))
    assert response.json()["count"] == 40
    assert many == few


def test_search_costs_the_same_queries_for_3_and_for_40_found(site, client, beds):
    _search(client, "genin")
    _populate(site, 0, 3, beds)
    few, _ = _queries(lambda: client.get("/api/bookings/search", {"q": "genin leaf"}))
    _populate(site, 3, 37, beds)
    many, response = _queries(
        lambda: client.get("/api/bookings/search", {"q": "genin leaf", "limit": 50})
    )
    assert len(response.json()) == 40
    assert many == few


def test_the_roster_selector_costs_the_same_queries_for_3_and_for_40_held(site, beds):
    def page_rows():
        page = roster_page(site.facility, RosterFilters(flag="diet"), sort="housing")
        # The selector annotates each row with its cell and its active flags.
        return [
            (row.cell_code, [f.kind for f in row.active_flags])  # type: ignore[attr-defined]
            for row in page.rows
        ]

    _populate(site, 0, 3, beds)
    with CaptureQueriesContext(connection) as few:
        assert len(page_rows()) == 3
    _populate(site, 3, 37, beds)
    with CaptureQueriesContext(connection) as many:
        rows = page_rows()
    assert len(rows) == 40
    assert rows[0] == ("A1-1", ["diet"])
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
