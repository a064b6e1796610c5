import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cellblock.booking.models import Booking
from cellblock.exchange.forms import KEEP_GOOD_LABEL
from cellblock.exchange.models import ImportRun
from cellblock.exchange.services import roster_import
from cellblock.exchange.tests.support import roster, row

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def upload(content: bytes, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def good() -> bytes:
    return roster(
        row("OLD-1", "Hatake", "Kakashi", cell="A1-1", bed="B1", steps_done="medical_screening"),
        row("OLD-2", "Haruno", "Sakura"),
    )


def bad() -> bytes:
    return roster(
        row("OLD-1", "Hatake", "Kakashi"),
        row("OLD-2", "Haruno", "Sakura", date_of_birth="31/02/1990"),
    )


def test_the_commander_sees_the_instructions_the_example_and_the_form(site, commander, client_for):
    response = client_for(commander).get("/imports/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/imports/example.csv"' in page
    assert KEEP_GOOD_LABEL in page
    assert 'hx-indicator="#import-progress"' in page
    assert "<progress" in page
    assert "Checking and importing <span data-row-count>the</span> rows…" in page
    assert "<code>external_id</code>" in page


def test_a_good_file_is_imported_and_its_report_shown_in_place(site, commander, client_for):
    client = client_for(commander)
    response = client.post("/imports/", {"file": upload(good())}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-result"' in page
    assert "Imported" in page
    assert "<strong>2</strong> imported" in page
    # The list of runs is refreshed beside the result.
    assert 'id="import-runs" hx-swap-oob="true"' in page
    assert Booking.objects.filter(facility=site.facility).count() == 2
    assert ImportRun.objects.get().started_by == commander


def test_a_bad_file_shows_every_bad_row_and_imports_nothing(site, commander, client_for):
    response = client_for(commander).post("/imports/", {"file": upload(bad())}, **HTMX)
    page = response.content.decode()
    assert "Rejected" in page
    assert "31/02/1990 is not a date (YYYY-MM-DD)." in page
    assert '<td class="num">3</td><td><code>date_of_birth</code></td>' in page
    assert not Booking.objects.exists()


def test_ticking_keep_good_imports_the_good_rows(site, commander, client_for):
    response = client_for(commander).post(
        "/imports/", {"file": upload(bad()), "keep_good": "on"}, **HTMX
    )
    assert "Partly imported" in response.content.decode()
    assert list(Booking.objects.values_list("external_reference", flat=True)) == ["OLD-1"]


def test_without_htmx_the_upload_leads_to_the_run_page(site, commander, client_for):
    client = client_for(commander)
    response = client.post("/imports/", {"file": upload(bad())})
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{run.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "31/02/1990 is not a date (YYYY-MM-DD)." in page
    assert "Rejected" in page


def test_an_upload_without_a_file_is_answered_with_the_form_error(site, commander, client_for):
    response = client_for(commander).post("/imports/", {}, **HTMX)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_an_officer_may_not_import(site, officer, client_for):
    client = client_for(officer)
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/", {"file": upload(good())}).status_code == 403
    assert client.get("/imports/example.csv").status_code == 403
    assert not Booking.objects.exists()


def test_a_run_of_another_facility_is_not_found(site, commander, outsider, client_for):
    run = roster_import(actor=commander, facility=site.facility, file_name="r.csv", content=bad())
    assert client_for(commander).get(f"/imports/{run.public_id}/").status_code == 200
    assert client_for(outsider).get(f"/imports/{run.public_id}/").status_code == 404
    assert client_for(outsider).get("/imports/").content.decode().count("r.csv") == 0


def test_the_list_of_runs_costs_the_same_queries_however_many_runs(
    site, commander, client_for, django_assert_max_num_queries
):
    client = client_for(commander)
    roster_import(actor=commander, facility=site.facility, file_name="r.csv", content=bad())
    client.get("/imports/")
    with django_assert_max_num_queries(12) as one:
        client.get("/imports/")
    for n in range(5):
        roster_import(actor=commander, facility=site.facility, file_name=f"r{n}.csv", content=bad())
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/imports/").content.decode()
    assert page.count("status-bad") == 6
